/*
** bincache.c -- on-disk cache of built OpenCL program binaries, so a second process
** compiles nothing.  One file per program: <dir>/<hash of key>.bin holding
**   "RDNBIN01" | u32 key length | key | u64 binary length | binary | u64 checksum
** The key (rdn version, platform, device, driver, options, source hash) is stored in
** full and compared on load, so a hash collision or a stale file is a miss, never a
** wrong binary.  Writes go to a temp file renamed into place (atomic on POSIX).
** Every failure here is logged and treated as a miss: the cache is never fatal.
*/
#include "rdn_impl.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char MAGIC[8] = { 'R', 'D', 'N', 'B', 'I', 'N', '0', '1' };
#define MAX_BIN ((size_t)1 << 30)

uint64_t rdn__hash64(const void *data, size_t len, uint64_t h) {   /* FNV-1a 64 */
  const unsigned char *p = data;
  if (!h) h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

static char *dup_str(const char *s) {
  char *d = malloc(strlen(s) + 1);
  if (d) strcpy(d, s);
  return d;
}

char *rdn__cache_dir_default(void) {
  const char *e = getenv("RDN_CACHE_DIR");
  char buf[4096];
  if (e && *e) {
    if (!strcmp(e, "off") || !strcmp(e, "0") || !strcmp(e, "none")) return NULL;
    return dup_str(e);
  }
  e = getenv("XDG_CACHE_HOME");
  if (e && *e) {
    snprintf(buf, sizeof buf, "%s/rdn", e);
    return dup_str(buf);
  }
  e = getenv("HOME");
  if (e && *e) {
    snprintf(buf, sizeof buf, "%s/.cache/rdn", e);
    return dup_str(buf);
  }
  return NULL;
}

static void path_for(const rdn_ctx *ctx, const char *key, char *buf, size_t len) {
  uint64_t h = rdn__hash64(key, strlen(key), 0);
  snprintf(buf, len, "%s/%016llx.bin", ctx->cache_dir, (unsigned long long)h);
}

static int mkdirs(const char *dir) {
  char tmp[4096];
  size_t n = strlen(dir);
  if (n >= sizeof tmp) return -1;
  memcpy(tmp, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (tmp[i] == '/' || tmp[i] == 0) {
      char c = tmp[i];
      tmp[i] = 0;
      if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
      tmp[i] = c;
    }
  }
  return 0;
}

rdn_status rdn__cache_load(rdn_ctx *ctx, const char *key, unsigned char **bin, size_t *len) {
  char path[4200], magic[8];
  uint32_t klen;
  uint64_t blen, sum;
  unsigned char *b = NULL;
  char *k = NULL;
  *bin = NULL;
  *len = 0;
  if (!ctx->cache_dir) return RDN_EIO;
  path_for(ctx, key, path, sizeof path);
  FILE *f = fopen(path, "rb");
  if (!f) return RDN_EIO;
  const char *why = "truncated";
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, MAGIC, 8)) { why = "bad magic"; goto bad; }
  if (fread(&klen, 4, 1, f) != 1 || klen != strlen(key)) { why = "key length"; goto bad; }
  if (!(k = malloc(klen + 1))) goto bad;
  if (fread(k, 1, klen, f) != klen || memcmp(k, key, klen)) { why = "key mismatch"; goto bad; }
  if (fread(&blen, 8, 1, f) != 1 || blen == 0 || blen > MAX_BIN) { why = "size"; goto bad; }
  if (!(b = malloc((size_t)blen))) goto bad;
  if (fread(b, 1, (size_t)blen, f) != blen) goto bad;
  if (fread(&sum, 8, 1, f) != 1 || sum != rdn__hash64(b, (size_t)blen, 0)) {
    why = "checksum";
    goto bad;
  }
  fclose(f);
  free(k);
  *bin = b;
  *len = (size_t)blen;
  return RDN_OK;
bad:
  rdn__log(ctx, RDN_LOG_WARN, "binary cache: ignoring %s (%s)", path, why);
  fclose(f);
  free(k);
  free(b);
  return RDN_EFORMAT;
}

void rdn__cache_store(rdn_ctx *ctx, const char *key, const unsigned char *bin, size_t len) {
  char path[4200], tmp[4300];
  if (!ctx->cache_dir || !len) return;
  if (mkdirs(ctx->cache_dir) != 0) {
    rdn__log(ctx, RDN_LOG_WARN, "binary cache: cannot create %s: %s", ctx->cache_dir,
             strerror(errno));
    return;
  }
  path_for(ctx, key, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    rdn__log(ctx, RDN_LOG_WARN, "binary cache: cannot write %s: %s", tmp, strerror(errno));
    return;
  }
  uint32_t klen = (uint32_t)strlen(key);
  uint64_t blen = len, sum = rdn__hash64(bin, len, 0);
  int ok = fwrite(MAGIC, 1, 8, f) == 8 && fwrite(&klen, 4, 1, f) == 1 &&
           fwrite(key, 1, klen, f) == klen && fwrite(&blen, 8, 1, f) == 1 &&
           fwrite(bin, 1, len, f) == len && fwrite(&sum, 8, 1, f) == 1;
  if (fclose(f) != 0) ok = 0;
  if (!ok || rename(tmp, path) != 0) {
    rdn__log(ctx, RDN_LOG_WARN, "binary cache: cannot store %s: %s", path, strerror(errno));
    remove(tmp);
  }
}
