/*
** rdn.c -- the rdn interpreter: Lua 5.4 with rdn.core preloaded, the Lua library
** (every .lua under lua/rdn) served from copies embedded at build time, and the global
** `rdn` set.  Shaped
** like lua.c: main -> pmain under lua_pcall, msghandler adds a traceback, errors are
** reported as "rdn: <msg>" on stderr with exit status 1.
*/
#include "l_util.h"
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int luaopen_rdn_core(lua_State *L);
size_t rdn__luasrc_count(void);                 /* build/gen/lua_sources.c */
const char *rdn__luasrc_get(size_t i, const char **name, size_t *len);

static const char *progname = "rdn";

static void print_usage(FILE *f) {
  fprintf(f,
          "usage: %s [options] [script [args]]\n"
          "  -e stat    execute string 'stat' (several allowed)\n"
          "  -l mod     require library 'mod' into global 'mod'\n"
          "  -i         enter interactive mode after the other options\n"
          "  -          execute stdin and stop handling options\n"
          "  --         stop handling options\n"
          "  --devices  list OpenCL devices (index P:D for RDN_DEVICE) and exit\n"
          "  --version  print the rdn and Lua versions and exit\n"
          "  --help     print this help and exit\n"
          "The global 'rdn' is the library (require \"rdn\").  Environment: RDN_DEVICE (cpu,\n"
          "gpu, P:D or a name substring), RDN_CACHE_DIR (binary cache, 'off' disables it),\n"
          "RDN_PROFILE=1 (kernel time report at exit), RDN_LUA_DIR (load rdn/*.lua from this\n"
          "directory before the embedded copies).\n", progname);
}

static void l_message(const char *pname, const char *msg) {
  if (pname) fprintf(stderr, "%s: ", pname);
  fprintf(stderr, "%s\n", msg);
  fflush(stderr);
}

static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    l_message(progname, msg ? msg : "(error object is not a string)");
    lua_pop(L, 1);
  }
  return status;
}

/* Message handler: adds a traceback to string errors, tries __tostring on others. */
static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static int docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  int status = lua_pcall(L, narg, nres, base);
  lua_remove(L, base);
  return status;
}

/* ------------------------------------------------------- module searcher */
/* "rdn/nn/Sequential.lua" -> "rdn.nn.Sequential", "rdn/x/init.lua" -> "rdn.x". */
static int file_is_module(const char *file, const char *mod) {
  size_t fl = strlen(file), ml = strlen(mod);
  if (fl < 4 || strcmp(file + fl - 4, ".lua")) return 0;
  fl -= 4;
  if (fl >= 5 && !strncmp(file + fl - 5, "/init", 5)) fl -= 5;
  if (fl != ml) return 0;
  for (size_t i = 0; i < fl; i++)
    if ((file[i] == '/' ? '.' : file[i]) != mod[i]) return 0;
  return 1;
}

/* A package.searchers entry placed before the file searchers: RDN_LUA_DIR files first
** (development), then the sources embedded at build time. */
static int searcher_rdn(lua_State *L) {
  const char *mod = luaL_checkstring(L, 1), *dir = getenv("RDN_LUA_DIR");
  if (dir && *dir) {
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchpath");
    lua_pushstring(L, mod);
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", dir, dir);
    lua_call(L, 2, 1);
    if (lua_isstring(L, -1)) {
      const char *file = lua_tostring(L, -1);
      if (luaL_loadfile(L, file) != LUA_OK)
        return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", mod, file,
                          lua_tostring(L, -1));
      lua_insert(L, -2);                           /* loader, file name */
      return 2;
    }
    lua_pop(L, 2);
  }
  for (size_t i = 0, n = rdn__luasrc_count(); i < n; i++) {
    const char *name, *src = NULL;
    size_t len;
    src = rdn__luasrc_get(i, &name, &len);
    if (!src || !file_is_module(name, mod)) continue;
    lua_pushfstring(L, "@%s", name);
    if (luaL_loadbufferx(L, src, len, lua_tostring(L, -1), "t") != LUA_OK)
      return luaL_error(L, "error loading embedded module '%s':\n\t%s", mod,
                        lua_tostring(L, -1));
    lua_pushfstring(L, "(embedded)/%s", name);
    return 2;
  }
  lua_pushfstring(L, "no embedded module '%s'", mod);
  return 1;
}

static void install_loaders(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_rdn_core);
  lua_setfield(L, -2, "rdn.core");
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");                /* {preload, lua file, C, Croot} */
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  for (lua_Integer i = n; i >= 2; i--) {           /* shift up, insert at 2 */
    lua_rawgeti(L, -1, i);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushcfunction(L, searcher_rdn);
  lua_rawseti(L, -2, 2);
  lua_pop(L, 2);
}

/* ------------------------------------------------------------ --devices */
static int list_devices(void) {
  rdn_device_info d[64];
  char msg[256];
  int n = 0;
  if (rdn_devices(d, 64, &n, msg, sizeof msg) != RDN_OK) {
    l_message(progname, msg);
    return 1;
  }
  rdn_ctx *ctx = NULL;                             /* which one RDN_DEVICE picks */
  int pp = -1, pd = -1;
  if (rdn_ctx_create(&ctx, NULL) == RDN_OK) {
    pp = rdn_ctx_device(ctx)->platform;
    pd = rdn_ctx_device(ctx)->device;
  }
  rdn_ctx_destroy(ctx);
  printf("  %-5s %-5s %-4s %4s %10s  %s\n", "P:D", "type", "fp64", "CUs", "memory", "name");
  for (int i = 0; i < n && i < 64; i++) {
    char idx[16];
    snprintf(idx, sizeof idx, "%d:%d", d[i].platform, d[i].device);
    printf("%c %-5s %-5s %-4s %4d %6.1f GiB  %s (%s)\n",
           d[i].platform == pp && d[i].device == pd ? '*' : ' ', idx,
           d[i].is_gpu ? "gpu" : d[i].is_cpu ? "cpu" : "other", d[i].has_fp64 ? "yes" : "no",
           d[i].compute_units, (double)d[i].global_mem / 1073741824.0, d[i].name,
           d[i].platform_name);
  }
  if (pp < 0) printf("(RDN_DEVICE matches none of them)\n");
  else printf("* = default (RDN_DEVICE or first GPU, else first CPU)\n");
  return 0;
}

/* ----------------------------------------------------------------- REPL */
static int incomplete(lua_State *L, int status) {
  size_t lmsg;
  const char *msg;
  if (status != LUA_ERRSYNTAX) return 0;
  msg = lua_tolstring(L, -1, &lmsg);
  if (lmsg >= 5 && !strcmp(msg + lmsg - 5, "<eof>")) {
    lua_pop(L, 1);
    return 1;
  }
  return 0;
}

/* Reads one statement (more lines while incomplete) and compiles it, trying
** "return <line>" first so expressions print their value, as lua.c does. */
static int load_line(lua_State *L, const char *first) {
  char line[4096];
  lua_pushfstring(L, "return %s", first);
  int status = luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=stdin");
  lua_remove(L, -2);
  if (status == LUA_OK) return status;
  lua_pop(L, 1);
  lua_pushstring(L, first);
  for (;;) {
    size_t len;
    const char *code = lua_tolstring(L, -1, &len);
    status = luaL_loadbuffer(L, code, len, "=stdin");
    if (!incomplete(L, status)) break;
    fputs(">> ", stdout);
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) break;
    size_t l = strlen(line);
    if (l && line[l - 1] == '\n') line[--l] = 0;
    lua_pushliteral(L, "\n");
    lua_pushstring(L, line);
    lua_concat(L, 3);                              /* code so far .. "\n" .. line */
  }
  lua_remove(L, -2);                               /* the source text */
  return status;
}

static void print_results(lua_State *L) {
  int n = lua_gettop(L);
  if (n == 0) return;
  luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
  lua_getglobal(L, "print");
  lua_insert(L, 1);
  if (lua_pcall(L, n, 0, 0) != LUA_OK)
    l_message(progname, lua_pushfstring(L, "error calling 'print' (%s)", lua_tostring(L, -1)));
}

static void do_repl(lua_State *L) {
  char line[4096];
  const char *old = progname;
  progname = NULL;                                 /* lua.c: no prefix in the REPL */
  for (;;) {
    fputs("> ", stdout);
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) break;
    size_t l = strlen(line);
    if (l && line[l - 1] == '\n') line[--l] = 0;
    lua_settop(L, 0);
    int status = load_line(L, line);
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK) print_results(L);
    else report(L, status);
  }
  lua_settop(L, 0);
  fputs("\n", stdout);
  progname = old;
}

/* ------------------------------------------------------------ arguments */
#define HAS_ERROR 1   /* bad option */
#define HAS_I 2       /* -i */
#define HAS_E 4       /* -e */
#define HAS_DEV 8     /* --devices */
#define HAS_V 16      /* --version */
#define HAS_H 32      /* --help */

/* Returns the flags; *first is the index of the script (argc if none). */
static int collect_args(char **argv, int *first) {
  int flags = 0, i;
  for (i = 1; argv[i] != NULL; i++) {
    const char *a = argv[i];
    *first = i;
    if (a[0] != '-') return flags;                 /* script */
    if (!strcmp(a, "--")) {
      *first = i + 1;
      return flags;
    }
    if (!strcmp(a, "-")) return flags;             /* stdin script */
    if (!strcmp(a, "--devices")) flags |= HAS_DEV;
    else if (!strcmp(a, "--version") || !strcmp(a, "-v")) flags |= HAS_V;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) flags |= HAS_H;
    else if (!strcmp(a, "-i")) flags |= HAS_I;
    else if (!strcmp(a, "-e") || !strcmp(a, "-l")) {
      if (!argv[i + 1]) {
        *first = i;
        return HAS_ERROR;
      }
      if (a[1] == 'e') flags |= HAS_E;
      i++;
    } else {
      *first = i;
      return HAS_ERROR;
    }
  }
  *first = i;
  return flags;
}

/* arg[0] = script, arg[1..] its arguments, negative indices the interpreter's. */
static void create_arg_table(lua_State *L, char **argv, int argc, int script) {
  if (script == argc) script = 0;                  /* no script: arg[0] = progname */
  lua_createtable(L, argc - script - 1 > 0 ? argc - script - 1 : 0, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int run_options(lua_State *L, char **argv, int script) {
  for (int i = 1; i < script; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-e")) {
      const char *code = argv[++i];
      int st = luaL_loadbuffer(L, code, strlen(code), "=(command line)");
      if (st == LUA_OK) st = docall(L, 0, 0);
      if (report(L, st) != LUA_OK) return 0;
    } else if (!strcmp(a, "-l")) {
      const char *mod = argv[++i];
      lua_getglobal(L, "require");
      lua_pushstring(L, mod);
      int st = docall(L, 1, 1);
      if (st == LUA_OK) lua_setglobal(L, mod);
      if (report(L, st) != LUA_OK) return 0;
    }
  }
  return 1;
}

static int run_script(lua_State *L, char **argv, int script) {
  const char *fname = argv[script];
  if (!strcmp(fname, "-") && strcmp(argv[script - 1], "--")) fname = NULL;   /* stdin */
  int st = luaL_loadfile(L, fname);
  if (st == LUA_OK) {
    lua_getglobal(L, "arg");
    int n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    for (int i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
    lua_remove(L, -n - 1);                         /* the arg table */
    st = docall(L, n, 0);
  }
  return report(L, st) == LUA_OK;
}

static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  int script = argc;
  int flags = collect_args(argv, &script);
  if (flags & HAS_ERROR) {
    fprintf(stderr, "%s: unrecognized option or missing argument: '%s'\n", progname,
            argv[script]);
    print_usage(stderr);
    return 0;
  }
  if (flags & HAS_H) {
    print_usage(stdout);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (flags & HAS_V) {
    printf("rdn %s (%s)\n", rdn_version(), LUA_RELEASE);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (flags & HAS_DEV) {
    lua_pushboolean(L, list_devices() == 0);
    return 1;
  }
  luaL_checkversion(L);
  luaL_openlibs(L);
  install_loaders(L);
  create_arg_table(L, argv, argc, script);
  lua_gc(L, LUA_GCRESTART);
  lua_gc(L, LUA_GCGEN, 0, 0);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "rdn");
  if (report(L, docall(L, 1, 1)) != LUA_OK) return 0;
  lua_setglobal(L, "rdn");
  if (!run_options(L, argv, script)) return 0;
  if (script < argc && !run_script(L, argv, script)) return 0;
  if (flags & HAS_I) {
    do_repl(L);
  } else if (script == argc && !(flags & HAS_E)) {  /* no script, no -e */
    if (isatty(0)) {
      printf("rdn %s (%s)  -- the global 'rdn' is loaded\n", rdn_version(), LUA_RELEASE);
      do_repl(L);
    } else if (!run_script(L, (char *[]){ "rdn", "-", NULL }, 1)) {
      return 0;
    }
  }
  lua_pushboolean(L, 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    l_message(argv[0], "cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  lua_gc(L, LUA_GCSTOP);
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = lua_pcall(L, 2, 1, 0);
  int result = lua_toboolean(L, -1);
  report(L, status);
  lua_close(L);
  return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
