/*
** safetensors.c -- safetensors model/tensor files: u64 little-endian header length, JSON
** header (libcjson), raw little-endian data.  Writers go through a temp file + rename;
** the loader treats every byte of the file as untrusted (sizes, offsets, overflow).
*/
#include "rdn_impl.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef RDN_HAVE_CJSON
#include <cJSON.h>
#endif

#define MAX_HEADER ((uint64_t)100 << 20)   /* as the reference implementation */
#define C64_KEY "rdn.c64."

struct rdn_safetensors {
  size_t n, nmeta;
  char **names;
  rdn_tensor **tensors;
  char **keys, **values;
};

static int little_endian(void) {
  const uint16_t one = 1;
  return *(const unsigned char *)&one == 1;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

void rdn_safetensors_destroy(rdn_safetensors *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n; i++) {
    free(f->names[i]);
    rdn_tensor_release(f->tensors[i]);
  }
  for (size_t i = 0; i < f->nmeta; i++) {
    free(f->keys[i]);
    free(f->values[i]);
  }
  free(f->names);
  free(f->tensors);
  free(f->keys);
  free(f->values);
  free(f);
}

size_t rdn_safetensors_count(const rdn_safetensors *f) { return f ? f->n : 0; }
size_t rdn_safetensors_meta_count(const rdn_safetensors *f) { return f ? f->nmeta : 0; }

const char *rdn_safetensors_name(const rdn_safetensors *f, size_t i) {
  return f && i < f->n ? f->names[i] : NULL;
}

rdn_tensor *rdn_safetensors_tensor(const rdn_safetensors *f, size_t i) {
  return f && i < f->n ? f->tensors[i] : NULL;
}

rdn_tensor *rdn_safetensors_find(const rdn_safetensors *f, const char *name) {
  for (size_t i = 0; f && name && i < f->n; i++)
    if (!strcmp(f->names[i], name)) return f->tensors[i];
  return NULL;
}

const char *rdn_safetensors_meta_key(const rdn_safetensors *f, size_t i) {
  return f && i < f->nmeta ? f->keys[i] : NULL;
}

const char *rdn_safetensors_meta_value(const rdn_safetensors *f, size_t i) {
  return f && i < f->nmeta ? f->values[i] : NULL;
}

const char *rdn_safetensors_meta(const rdn_safetensors *f, const char *key) {
  for (size_t i = 0; f && key && i < f->nmeta; i++)
    if (!strcmp(f->keys[i], key)) return f->values[i];
  return NULL;
}

#ifndef RDN_HAVE_CJSON
rdn_status rdn_safetensors_save(rdn_ctx *ctx, const char *path, size_t n,
                                const char *const *names, const rdn_tensor *const *tensors,
                                size_t nmeta, const char *const *keys,
                                const char *const *values) {
  (void)path; (void)n; (void)names; (void)tensors; (void)nmeta; (void)keys; (void)values;
  return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_safetensors_save: built without libcjson");
}

rdn_status rdn_safetensors_load(rdn_ctx *ctx, const char *path, rdn_safetensors **out) {
  (void)path;
  *out = NULL;
  return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_safetensors_load: built without libcjson");
}
#else

static const char *st_dtype(rdn_dtype dt) {
  return dt == RDN_F64 ? "F64" : dt == RDN_I32 ? "I32" : "F32";
}

/* ------------------------------------------------------------------ save */

static rdn_status check_save_args(rdn_ctx *ctx, const char *fn, const char *path, size_t n,
                                  const char *const *names, const rdn_tensor *const *tensors,
                                  size_t nmeta, const char *const *keys,
                                  const char *const *values) {
  if (!path || !*path) return rdn__fail(ctx, RDN_EINVAL, "%s: path is empty", fn);
  if (n && (!names || !tensors))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'names' or 'tensors' is NULL", fn);
  if (nmeta && (!keys || !values))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'keys' or 'values' is NULL", fn);
  for (size_t i = 0; i < n; i++) {
    if (!names[i] || !*names[i])
      return rdn__fail(ctx, RDN_EINVAL, "%s: tensor #%zu has an empty name", fn, i + 1);
    if (!strcmp(names[i], "__metadata__"))
      return rdn__fail(ctx, RDN_EINVAL, "%s: tensor name '__metadata__' is reserved", fn);
    if (!tensors[i] || tensors[i]->ctx != ctx)
      return rdn__fail(ctx, RDN_EINVAL, "%s: tensor '%s' is NULL or of another context", fn,
                       names[i]);
    for (size_t j = 0; j < i; j++)
      if (!strcmp(names[i], names[j]))
        return rdn__fail(ctx, RDN_EINVAL, "%s: duplicate tensor name '%s'", fn, names[i]);
  }
  for (size_t i = 0; i < nmeta; i++) {
    if (!keys[i] || !values[i])
      return rdn__fail(ctx, RDN_EINVAL, "%s: metadata entry #%zu is NULL", fn, i + 1);
    if (!strncmp(keys[i], C64_KEY, strlen(C64_KEY)))
      return rdn__fail(ctx, RDN_EINVAL, "%s: metadata key '%s' is reserved", fn, keys[i]);
    for (size_t j = 0; j < i; j++)
      if (!strcmp(keys[i], keys[j]))
        return rdn__fail(ctx, RDN_EINVAL, "%s: duplicate metadata key '%s'", fn, keys[i]);
  }
  return RDN_OK;
}

/* Builds the JSON header text (padded with spaces to a multiple of 8 bytes). */
static char *build_header(size_t n, const char *const *names, const rdn_tensor *const *t,
                          size_t nmeta, const char *const *keys, const char *const *values,
                          size_t *len) {
  cJSON *root = cJSON_CreateObject(), *meta = NULL;
  char *txt = NULL, *out = NULL;
  int has_c64 = 0, ok = root != NULL;
  for (size_t i = 0; i < n; i++) has_c64 |= t[i]->dtype == RDN_C64;
  if (ok && (nmeta || has_c64)) {
    ok = (meta = cJSON_AddObjectToObject(root, "__metadata__")) != NULL;
    for (size_t i = 0; ok && i < nmeta; i++)
      ok = cJSON_AddStringToObject(meta, keys[i], values[i]) != NULL;
  }
  double off = 0;
  for (size_t i = 0; ok && i < n; i++) {
    cJSON *e = cJSON_AddObjectToObject(root, names[i]), *shape, *offs;
    ok = e && cJSON_AddStringToObject(e, "dtype", st_dtype(t[i]->dtype)) &&
         (shape = cJSON_AddArrayToObject(e, "shape")) != NULL;
    for (int a = 0; ok && a < t[i]->ndim; a++)
      ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t[i]->shape[a]));
    if (ok && t[i]->dtype == RDN_C64) {
      char key[1024];
      ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber(2)) &&
           snprintf(key, sizeof key, "%s%s", C64_KEY, names[i]) < (int)sizeof key &&
           cJSON_AddStringToObject(meta, key, "1");
    }
    double bytes = (double)(rdn_tensor_numel(t[i]) * rdn_dtype_size(t[i]->dtype));
    ok = ok && (offs = cJSON_AddArrayToObject(e, "data_offsets")) != NULL &&
         cJSON_AddItemToArray(offs, cJSON_CreateNumber(off)) &&
         cJSON_AddItemToArray(offs, cJSON_CreateNumber(off + bytes));
    off += bytes;
  }
  if (ok) txt = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (!txt) return NULL;
  size_t l = strlen(txt), pad = (8 - l % 8) % 8;
  if ((out = malloc(l + pad + 1))) {
    memcpy(out, txt, l);
    memset(out + l, ' ', pad);
    out[l + pad] = 0;
    *len = l + pad;
  }
  cJSON_free(txt);
  return out;
}

static rdn_status write_all(rdn_ctx *ctx, const char *fn, FILE *f, const char *tmp,
                            const void *p, size_t n) {
  if (n && fwrite(p, 1, n, f) != n)
    return rdn__fail(ctx, RDN_EIO, "%s: cannot write '%s': %s", fn, tmp, strerror(errno));
  return RDN_OK;
}

rdn_status rdn_safetensors_save(rdn_ctx *ctx, const char *path, size_t n,
                                const char *const *names, const rdn_tensor *const *tensors,
                                size_t nmeta, const char *const *keys,
                                const char *const *values) {
  const char *fn = "rdn_safetensors_save";
  rdn_status s = check_save_args(ctx, fn, path, n, names, tensors, nmeta, keys, values);
  if (s != RDN_OK) return s;
  if (!little_endian())
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "%s: big-endian hosts are not supported", fn);
  size_t hlen = 0;
  char *hdr = build_header(n, names, tensors, nmeta, keys, values, &hlen);
  if (!hdr) return rdn__fail(ctx, RDN_ENOMEM, "%s: cannot build the JSON header", fn);
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  if (!tmp) {
    free(hdr);
    return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  }
  snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd >= 0) {                        /* mkstemp makes 0600; a model is a normal file */
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
  }
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  void *buf = NULL;
  if (!f) {
    s = rdn__fail(ctx, RDN_EIO, "%s: cannot create a temp file next to '%s': %s", fn, path,
                  strerror(errno));
    if (fd >= 0) close(fd);
    goto done;
  }
  unsigned char le[8];
  for (int i = 0; i < 8; i++) le[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
  if ((s = write_all(ctx, fn, f, tmp, le, 8)) != RDN_OK) goto done;
  if ((s = write_all(ctx, fn, f, tmp, hdr, hlen)) != RDN_OK) goto done;
  for (size_t i = 0; i < n; i++) {
    size_t bytes = rdn_tensor_numel(tensors[i]) * rdn_dtype_size(tensors[i]->dtype);
    free(buf);
    if (!(buf = malloc(bytes))) {
      s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory for tensor '%s'", fn, names[i]);
      goto done;
    }
    if ((s = rdn_tensor_read(tensors[i], buf, bytes)) != RDN_OK) goto done;
    if ((s = write_all(ctx, fn, f, tmp, buf, bytes)) != RDN_OK) goto done;
  }
  if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
    s = rdn__fail(ctx, RDN_EIO, "%s: cannot write '%s': %s", fn, tmp, strerror(errno));
    goto done;
  }
  int rc = fclose(f);
  f = NULL;
  if (rc != 0)
    s = rdn__fail(ctx, RDN_EIO, "%s: cannot write '%s': %s", fn, tmp, strerror(errno));
  else if (rename(tmp, path) != 0)
    s = rdn__fail(ctx, RDN_EIO, "%s: cannot rename '%s' to '%s': %s", fn, tmp, path,
                  strerror(errno));
done:
  if (f) fclose(f);
  if (s != RDN_OK && fd >= 0) remove(tmp);
  free(buf);
  free(tmp);
  free(hdr);
  return s;
}

/* ------------------------------------------------------------------ load */

typedef struct {
  char *name;
  rdn_dtype dt;
  int ndim, c64;
  size_t shape[RDN_MAX_DIMS + 1];
  uint64_t begin, end;
} entry;

static int cmp_entry(const void *a, const void *b) {
  const entry *x = *(entry *const *)a, *y = *(entry *const *)b;
  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* A JSON number that is an exact non-negative integer below 2^53. */
static int json_uint(const cJSON *v, uint64_t *out) {
  if (!cJSON_IsNumber(v)) return 0;
  double d = v->valuedouble;
  if (!(d >= 0 && d <= 9007199254740992.0 && d == floor(d))) return 0;
  *out = (uint64_t)d;
  return 1;
}

#define BAD(...) do { s = rdn__fail(ctx, RDN_EFORMAT, __VA_ARGS__); goto fail; } while (0)

/* Parses one tensor entry of the header into e (name not set). */
static rdn_status parse_entry(rdn_ctx *ctx, const char *fn, const char *path, const cJSON *j,
                              entry *e) {
  rdn_status s = RDN_OK;
  const char *nm = j->string;
  if (!cJSON_IsObject(j)) BAD("%s: '%s': entry '%s' is not an object", fn, path, nm);
  const cJSON *dt = cJSON_GetObjectItemCaseSensitive(j, "dtype");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "shape");
  const cJSON *of = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
  if (!cJSON_IsString(dt)) BAD("%s: '%s': tensor '%s' has no dtype string", fn, path, nm);
  if (!strcmp(dt->valuestring, "F32")) e->dt = RDN_F32;
  else if (!strcmp(dt->valuestring, "F64")) e->dt = RDN_F64;
  else if (!strcmp(dt->valuestring, "I32")) e->dt = RDN_I32;
  else BAD("%s: '%s': tensor '%s' has unsupported dtype '%.16s' (F32, F64, I32 are read)", fn,
           path, nm, dt->valuestring);
  if (!cJSON_IsArray(sh)) BAD("%s: '%s': tensor '%s' has no shape array", fn, path, nm);
  int nd = cJSON_GetArraySize(sh);
  if (nd > RDN_MAX_DIMS + 1)
    BAD("%s: '%s': tensor '%s' has rank %d (at most %d)", fn, path, nm, nd, RDN_MAX_DIMS);
  uint64_t numel = 1;
  for (int a = 0; a < nd; a++) {
    uint64_t v;
    if (!json_uint(cJSON_GetArrayItem(sh, a), &v))
      BAD("%s: '%s': tensor '%s': shape entry %d is not a non-negative integer", fn, path, nm,
          a + 1);
    if (v == 0) BAD("%s: '%s': tensor '%s' has an empty dimension %d", fn, path, nm, a + 1);
    if (numel > (UINT64_MAX >> 4) / v)
      BAD("%s: '%s': tensor '%s': element count overflows", fn, path, nm);
    numel *= v;
    e->shape[a] = (size_t)v;
  }
  if (nd == 0) e->shape[nd++] = 1;          /* a scalar becomes [1] */
  e->ndim = nd;
  if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 ||
      !json_uint(cJSON_GetArrayItem(of, 0), &e->begin) ||
      !json_uint(cJSON_GetArrayItem(of, 1), &e->end))
    BAD("%s: '%s': tensor '%s' has no valid data_offsets [begin, end]", fn, path, nm);
  if (e->end < e->begin || e->end - e->begin != numel * rdn_dtype_size(e->dt))
    BAD("%s: '%s': tensor '%s': data_offsets [%llu, %llu] do not hold %llu elements of %s", fn,
        path, nm, (unsigned long long)e->begin, (unsigned long long)e->end,
        (unsigned long long)numel, dt->valuestring);
fail:
  return s;
}

static rdn_status parse_meta(rdn_ctx *ctx, const char *fn, const char *path, const cJSON *m,
                             rdn_safetensors *f) {
  rdn_status s = RDN_OK;
  if (!cJSON_IsObject(m)) BAD("%s: '%s': __metadata__ is not an object", fn, path);
  size_t n = (size_t)cJSON_GetArraySize(m);
  f->keys = calloc(n + 1, sizeof *f->keys);
  f->values = calloc(n + 1, sizeof *f->values);
  if (!f->keys || !f->values) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  for (const cJSON *c = m->child; c; c = c->next) {
    if (!cJSON_IsString(c)) BAD("%s: '%s': metadata '%s' is not a string", fn, path, c->string);
    if (rdn_safetensors_meta(f, c->string))
      BAD("%s: '%s': duplicate metadata key '%s'", fn, path, c->string);
    f->keys[f->nmeta] = dup_str(c->string);
    f->values[f->nmeta] = dup_str(c->valuestring);
    f->nmeta++;                         /* counted first, so destroy frees a lone key */
    if (!f->keys[f->nmeta - 1] || !f->values[f->nmeta - 1])
      return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  }
fail:
  return s;
}

/* Reads one tensor's bytes from the data section and uploads them. */
static rdn_status load_tensor(rdn_ctx *ctx, const char *fn, const char *path, FILE *fp,
                              uint64_t base, const entry *e, rdn_tensor **out) {
  rdn_status s = rdn_tensor_new(ctx, out, e->dt, e->ndim, e->shape);
  if (s != RDN_OK) return s;
  size_t bytes = (size_t)(e->end - e->begin);
  void *buf = malloc(bytes);
  if (!buf) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory for tensor '%s'", fn,
                             e->name);
  if (fseeko(fp, (off_t)(base + e->begin), SEEK_SET) != 0 || fread(buf, 1, bytes, fp) != bytes)
    s = rdn__fail(ctx, RDN_EFORMAT, "%s: '%s': cannot read the data of tensor '%s': %s", fn,
                  path, e->name, ferror(fp) ? strerror(errno) : "file is truncated");
  else
    s = rdn_tensor_write(*out, buf, bytes);
  free(buf);
  return s;
}

/* Checks the data offsets: sorted, they must tile [0, data) exactly. */
static rdn_status check_layout(rdn_ctx *ctx, const char *fn, const char *path, entry *ents,
                               size_t n, uint64_t data) {
  rdn_status s = RDN_OK;
  entry **p = malloc((n + 1) * sizeof *p);
  if (!p) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  for (size_t i = 0; i < n; i++) p[i] = &ents[i];
  qsort(p, n, sizeof *p, cmp_entry);
  uint64_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i]->begin != pos) {
      if (p[i]->begin < pos)
        BAD("%s: '%s': tensor '%s' overlaps the previous tensor (offset %llu < %llu)", fn, path,
            p[i]->name, (unsigned long long)p[i]->begin, (unsigned long long)pos);
      BAD("%s: '%s': hole in the data before tensor '%s' (offset %llu, expected %llu)", fn,
          path, p[i]->name, (unsigned long long)p[i]->begin, (unsigned long long)pos);
    }
    pos = p[i]->end;
  }
  if (pos != data)
    BAD("%s: '%s': %s: tensors need %llu data bytes, file has %llu", fn, path,
        pos > data ? "truncated" : "trailing data", (unsigned long long)pos,
        (unsigned long long)data);
fail:
  free(p);
  return s;
}

/* Applies the c64 marks: F32 [..., 2] -> c64 [...]. */
static rdn_status apply_c64(rdn_ctx *ctx, const char *fn, const char *path,
                            const rdn_safetensors *f, entry *e) {
  rdn_status s = RDN_OK;
  char key[1100];
  snprintf(key, sizeof key, "%s%s", C64_KEY, e->name);
  const char *v = rdn_safetensors_meta(f, key);
  if (v && !strcmp(v, "1")) {
    if (e->dt != RDN_F32 || e->ndim < 2 || e->shape[e->ndim - 1] != 2)
      BAD("%s: '%s': tensor '%s' is marked c64 but is not F32 with a last axis of 2", fn, path,
          e->name);
    e->ndim--;
    e->dt = RDN_C64;
  }
  if (e->ndim > RDN_MAX_DIMS)
    BAD("%s: '%s': tensor '%s' has rank %d (at most %d)", fn, path, e->name, e->ndim,
        RDN_MAX_DIMS);
fail:
  return s;
}

rdn_status rdn_safetensors_load(rdn_ctx *ctx, const char *path, rdn_safetensors **out) {
  const char *fn = "rdn_safetensors_load";
  rdn_status s = RDN_OK;
  unsigned char le[8];
  char *hdr = NULL;
  cJSON *root = NULL;
  entry *ents = NULL;
  size_t ne = 0;
  rdn_safetensors *f = NULL;
  struct stat st;
  *out = NULL;
  if (!path) return rdn__fail(ctx, RDN_EINVAL, "%s: path is NULL", fn);
  if (!little_endian())
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "%s: big-endian hosts are not supported", fn);
  FILE *fp = fopen(path, "rb");
  if (!fp) return rdn__fail(ctx, RDN_EIO, "%s: cannot open '%s': %s", fn, path, strerror(errno));
  if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
    s = rdn__fail(ctx, RDN_EIO, "%s: '%s' is not a regular file", fn, path);
    goto fail;
  }
  uint64_t size = (uint64_t)st.st_size, hlen = 0;
  if (size < 8 || fread(le, 1, 8, fp) != 8)
    BAD("%s: '%s' is not a safetensors file: %llu bytes, the header length needs 8", fn, path,
        (unsigned long long)size);
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | le[i];
  if (hlen > MAX_HEADER)
    BAD("%s: '%s': header length %llu exceeds %llu bytes", fn, path, (unsigned long long)hlen,
        (unsigned long long)MAX_HEADER);
  if (hlen > size - 8)
    BAD("%s: '%s': truncated: header length %llu, file has %llu bytes", fn, path,
        (unsigned long long)hlen, (unsigned long long)size);
  if (!(hdr = malloc(hlen + 1))) {
    s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
    goto fail;
  }
  if (fread(hdr, 1, hlen, fp) != hlen) BAD("%s: '%s': cannot read the header", fn, path);
  hdr[hlen] = 0;
  if (hlen < 2 || hdr[0] != '{') BAD("%s: '%s': header does not start with '{'", fn, path);
  if (!(root = cJSON_ParseWithLength(hdr, (size_t)hlen))) {
    const char *at = cJSON_GetErrorPtr();
    long pos = at && at >= hdr && at <= hdr + hlen ? (long)(at - hdr) : -1;
    BAD("%s: '%s': invalid JSON header near byte %ld", fn, path, pos);
  }
  if (!cJSON_IsObject(root)) BAD("%s: '%s': header is not a JSON object", fn, path);
  size_t nchild = (size_t)cJSON_GetArraySize(root);
  f = calloc(1, sizeof *f);
  ents = calloc(nchild + 1, sizeof *ents);
  if (!f || !ents) {
    s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
    goto fail;
  }
  int nmeta = 0;
  for (const cJSON *c = root->child; c; c = c->next)
    if (!strcmp(c->string, "__metadata__")) {
      if (nmeta++) BAD("%s: '%s': duplicate __metadata__", fn, path);
      if ((s = parse_meta(ctx, fn, path, c, f)) != RDN_OK) goto fail;
    }
  for (const cJSON *c = root->child; c; c = c->next) {
    if (!strcmp(c->string, "__metadata__")) continue;
    for (size_t i = 0; i < ne; i++)
      if (!strcmp(ents[i].name, c->string))
        BAD("%s: '%s': duplicate tensor name '%s'", fn, path, c->string);
    if (!(ents[ne].name = dup_str(c->string))) {
      s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
      goto fail;
    }
    ne++;
    if ((s = parse_entry(ctx, fn, path, c, &ents[ne - 1])) != RDN_OK ||
        (s = apply_c64(ctx, fn, path, f, &ents[ne - 1])) != RDN_OK) goto fail;
  }
  if ((s = check_layout(ctx, fn, path, ents, ne, size - 8 - hlen)) != RDN_OK) goto fail;
  f->names = calloc(ne + 1, sizeof *f->names);
  f->tensors = calloc(ne + 1, sizeof *f->tensors);
  if (!f->names || !f->tensors) {
    s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
    goto fail;
  }
  for (size_t i = 0; i < ne; i++) {
    f->n = i + 1;                       /* so destroy releases a half-loaded tensor */
    if ((s = load_tensor(ctx, fn, path, fp, 8 + hlen, &ents[i], &f->tensors[i])) != RDN_OK)
      goto fail;
  }
  for (size_t i = 0; i < ne; i++) {
    f->names[i] = ents[i].name;
    ents[i].name = NULL;
  }
fail:
  fclose(fp);
  for (size_t i = 0; ents && i < ne; i++) free(ents[i].name);
  free(ents);
  cJSON_Delete(root);
  free(hdr);
  if (s != RDN_OK) rdn_safetensors_destroy(f);
  else *out = f;
  return s;
}
#endif
