# rdn -- non-recursive Makefile.  `make demo` configures (installing Debian packages
# when run as root), builds and runs the main demo; `make check` runs every test.
# Outputs: librdn.a librdn.so rdn (interpreter) lua/rdn/core.so rdn.pc, objects in $(BUILD).

BUILD ?= build
CONFIGURE_FLAGS ?= --install-deps
-include config.mk

WERROR ?= -Werror
V ?= 0
Q = $(if $(filter 1,$(V)),,@)
OPT ?= -O2 -g
SAN ?=
CFLAGS_ALL = -std=c11 $(OPT) -Wall -Wextra $(WERROR) -fPIC -MMD -MP -D_POSIX_C_SOURCE=200809L \
  -Iruntime -I$(BUILD)/gen $(DEP_CFLAGS) $(SAN) $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

RT_SRC := $(sort $(wildcard runtime/*.c))
KERNELS := kernels/common.cl $(filter-out kernels/common.cl,$(sort $(wildcard kernels/*.cl)))
LUA_FILES := $(sort $(shell find lua/rdn -name '*.lua' 2>/dev/null))
BIND_SRC := $(filter-out lua/rdn.c,$(sort $(wildcard lua/l_*.c)))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))

RT_OBJ := $(RT_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/kernels.o
BIND_OBJ := $(BIND_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/lua_sources.o
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

ifeq ($(BUILD),build)
OUT_RDN = rdn
OUT_CORE = lua/rdn/core.so
OUT_A = librdn.a
OUT_SO = librdn.so
else
OUT_RDN = $(BUILD)/rdn
OUT_CORE = $(BUILD)/lua/rdn/core.so
OUT_A = $(BUILD)/librdn.a
OUT_SO = $(BUILD)/librdn.so
endif

# keep test/bench objects (they are chained implicit-rule intermediates)
.SECONDARY:

.PHONY: all check check-asan check-valgrind bench demo install clean distclean
all: $(OUT_A) $(OUT_SO) $(OUT_RDN) $(OUT_CORE) rdn.pc

config.mk: configure
	./configure $(CONFIGURE_FLAGS)

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -O1 -o $@ $<

$(BUILD)/gen/kernels.c: $(KERNELS) $(BUILD)/tools/embed
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed $@ rdn__kernels kernels/ $(KERNELS)

$(BUILD)/gen/lua_sources.c: $(LUA_FILES) $(BUILD)/tools/embed
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed $@ rdn__luasrc lua/ $(LUA_FILES)

$(BUILD)/%.o: %.c config.mk
	@mkdir -p $(dir $@)
	@echo '  CC    $<'
	$(Q)$(CC) $(CFLAGS_ALL) $(if $(filter lua/%,$<),$(LUA_CFLAGS) -Ilua) -c -o $@ $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@echo '  CC    $<'
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(OUT_A): $(RT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(OUT_SO): $(RT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,librdn.so.0 $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS)

$(OUT_CORE): $(BIND_OBJ) $(OUT_A)
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS_ALL) -o $@ $(BIND_OBJ) $(OUT_A) $(DEP_LIBS)

$(OUT_RDN): $(BUILD)/lua/rdn.o $(BIND_OBJ) $(OUT_A)
	$(CC) $(LDFLAGS_ALL) -Wl,-E -o $@ $^ $(DEP_LIBS) $(LUA_LIBS) -ldl

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/harness.o $(OUT_A)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS) $(BENCH_LIBS)

$(BUILD)/tests/%.o: tests/%.c config.mk
	@mkdir -p $(dir $@)
	@echo '  CC    $<'
	$(Q)$(CC) $(CFLAGS_ALL) $(BENCH_CFLAGS) -Itests -c -o $@ $<

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/bench/benchutil.o $(OUT_A)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS) $(BENCH_LIBS)

$(BUILD)/bench/%.o: bench/%.c config.mk
	@mkdir -p $(dir $@)
	@echo '  CC    $<'
	$(Q)$(CC) $(CFLAGS_ALL) $(BENCH_CFLAGS) -Ibench -c -o $@ $<

rdn.pc: Makefile config.mk
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: rdn\nDescription: OpenCL runtime for white-box deep networks\nVersion: 0.1.0\nRequires.private: OpenCL\nLibs: -L$${libdir} -lrdn\nLibs.private: %s\nCflags: -I$${includedir}\n' '$(PREFIX)' '$(DEP_LIBS)' > $@

check: all $(TEST_BIN)
	RDN=./$(OUT_RDN) BUILD=$(BUILD) sh tests/run.sh

# Third-party leaks/mismatches (clFFT's FFTRepo, PoCL/LLVM) are suppressed in
# tests/lsan.supp; rdn's own code gets no exemption.
check-asan: export ASAN_OPTIONS = new_delete_type_mismatch=0:detect_leaks=1
check-asan: export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
check-asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g" SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" check

check-valgrind: all $(TEST_BIN)
	RDN=./$(OUT_RDN) BUILD=$(BUILD) VALGRIND=1 sh tests/run.sh

bench: all $(BENCH_BIN)
	RDN=./$(OUT_RDN) BUILD=$(BUILD) sh bench/run.sh

demo: all
	./$(OUT_RDN) examples/quickstart.lua
	./$(OUT_RDN) examples/fashion_mnist_vector.lua

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	mkdir -p $(DESTDIR)$(PREFIX)/lib/lua/5.4/rdn $(DESTDIR)$(PREFIX)/share/lua/5.4
	cp librdn.a librdn.so $(DESTDIR)$(PREFIX)/lib/
	cp runtime/rdn.h $(DESTDIR)$(PREFIX)/include/
	cp rdn $(DESTDIR)$(PREFIX)/bin/
	cp lua/rdn/core.so $(DESTDIR)$(PREFIX)/lib/lua/5.4/rdn/
	cd lua && find rdn -name '*.lua' -exec sh -c 'mkdir -p "$$0/$$(dirname "$$1")" && cp "$$1" "$$0/$$1"' $(DESTDIR)$(PREFIX)/share/lua/5.4 {} \;
	cp rdn.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

clean:
	rm -rf build build-asan librdn.a librdn.so rdn lua/rdn/core.so rdn.pc

distclean: clean
	rm -f config.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
