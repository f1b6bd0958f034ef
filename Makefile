# hazmap - build, test, run and benchmark.
#
#   make run     install missing packages, build, load the sample into var/, serve
#   make sample  regenerate the synthetic incidents and planted clusters of data/ (tools/gensample)
#   make test    install missing packages, build, run every test (Check's summary last)
#   make test SANITIZE=1   the same with AddressSanitizer + UBSan
#   make bench   benchmarks against the named peers (see BENCHMARKS.md)
#   make allocfail   the N-th allocation failing, N = 1, 2, ... over the core suites, under ASan
#                (build/asan/check_allocfail; see RELIABILITY.md, "Faults")
#   make fuzz    the libFuzzer harnesses of tests/fuzz/, FUZZ_SECONDS (60) each (see RELIABILITY.md)
#   make soak    SOAK_MINUTES (30) of mixed traffic with a kill -9 every KILL_EVERY (120) s (RELIABILITY.md)
#   make analyze static analysis: clang's scan-build and cppcheck, both with zero findings
#
# Build output goes to build/ (build/asan/ for SANITIZE=1, build/fuzz/ for the harnesses), runtime
# state to var/.

SHELL := /bin/bash
# Every core compiles (the object files are independent); `make -jN` on the command line wins,
# and a recursive make (scan-build's) shares its parent's jobs.
ifeq ($(MAKELEVEL)$(filter -j%,$(MAKEFLAGS)),0)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif
CC ?= cc
PORT ?= 8080
BIND ?= 127.0.0.1
DB ?= var/hazmap.sqlite

# Libraries the code links against, by pkg-config name (tools/deps.sh maps them to Debian packages).
PKGS := gdal proj spatialite libmicrohttpd check jansson libpng zlib sqlite3 geos libcrypto libxxhash libpq \
	cairo

ifeq ($(SANITIZE),1)
BUILD := build/asan
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT := -O1 -g
else
BUILD := build
SANFLAGS :=
OPT := -O2 -g
endif

WARN := -std=c11 -Wall -Wextra -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Werror -Wno-error=deprecated-declarations
# System headers (GDAL's cpl_port.h trips -Wundef) are included as -isystem.
PKG_CFLAGS = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS_ALL = $(WARN) $(OPT) -D_GNU_SOURCE -pthread -Iinclude $(PKG_CFLAGS) $(SANFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm -pthread $(SANFLAGS) $(LDFLAGS)

GEO_SRC := $(wildcard geo/*.c geo/*/*.c)
TILES_SRC := $(wildcard tiles/*.c)
SERVER_SRC := $(wildcard server/*.c)
CLI_SRC := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/check_*.c)
LIB_SRC := $(GEO_SRC) $(TILES_SRC) $(SERVER_SRC)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/tests/testutil.o $(BUILD)/obj/tests/suites.o \
	$(BUILD)/obj/tests/faultvfs.o

.PHONY: all deps run test check-unit check-integration bench clean format-check sample web-deps \
	fuzz fuzz-build soak analyze analyze-scan-build analyze-cppcheck allocfail allocfail-build
.DEFAULT_GOAL := all

all: deps $(BUILD)/hazmap $(BUILD)/check_hazmap $(BUILD)/gensample

# Installs only what is missing; apt-get runs only when something is.
deps:
	@tools/deps.sh

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# Check's START_TEST bodies and the *_suite() entry points have no prototypes of their own.
$(BUILD)/obj/tests/%.o: tests/%.c | deps
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -MMD -MP -c $< -o $@

$(BUILD)/libhazmap.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/hazmap: $(CLI_OBJ) $(BUILD)/libhazmap.a
	$(CC) -o $@ $^ $(LDLIBS_ALL)

# Every tests/check_*.c defines `Suite *NAME_suite(void)`; the runner lists them all.
$(BUILD)/gen/suites.h: $(TEST_SRC)
	@mkdir -p $(dir $@)
	@sed -n 's/^Suite \*\([a-z0-9_]*_suite\)(void).*/X(\1)/p' $(TEST_SRC) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/tests/suites.o: tests/suites.c $(BUILD)/gen/suites.h
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS_ALL) -I$(BUILD)/gen -c $< -o $@

$(BUILD)/check_hazmap: $(TEST_OBJ) $(BUILD)/libhazmap.a
	$(CC) -o $@ $^ $(LDLIBS_ALL)

# The allocation-failure build: the library's objects with malloc, calloc, realloc, strdup and
# strndup renamed to the failing allocator of tests/allocfail/allocfail.c (ALLOCFAIL_N=N fails
# the N-th), linked with the Check suites (tests/allocfail.sh runs it).
AF_SYMS := malloc calloc realloc strdup strndup
$(BUILD)/liballocfail.a: $(BUILD)/libhazmap.a
	objcopy $(foreach s,$(AF_SYMS),--redefine-sym $(s)=af_$(s)) $< $@

$(BUILD)/check_allocfail: $(TEST_OBJ) $(BUILD)/obj/tests/allocfail/allocfail.o $(BUILD)/liballocfail.a
	$(CC) -o $@ $^ $(LDLIBS_ALL)

allocfail-build: $(BUILD)/check_allocfail

# The long run: every N until no test reaches it, in the ASan build (build/asan unless
# SANITIZE=1 names the build already). ALLOCFAIL_SUITES: Check suites to run.
ALLOCFAIL_BUILD ?= $(if $(filter 1,$(SANITIZE)),$(BUILD),$(BUILD)/asan)
ALLOCFAIL_SUITES ?= core csv gistar dbscan kde hotspots ehsa release
allocfail:
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(ALLOCFAIL_BUILD) $(ALLOCFAIL_BUILD)/check_allocfail
	@ALLOCFAIL_SUITES="$(ALLOCFAIL_SUITES)" tests/allocfail.sh --long $(ALLOCFAIL_BUILD)/check_allocfail

# The synthetic sample generator (see data/README.md).
$(BUILD)/gensample: tools/gensample.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -o $@ $< -lm

# Regenerates the synthetic incidents and planted clusters of data/ from the committed areas and
# roads (data/README.md, "Regenerating"); the same inputs give byte-identical files.
sample: $(BUILD)/gensample
	$(BUILD)/gensample data/jinjiang_areas.txt data/jinjiang_roads.txt 20141231 \
		data/incidents_2012_2014.csv data/planted_clusters.csv

# The GCJ-02 -> WGS 84 converter of tools/make-subdistricts.sh (built here only for make analyze).
$(BUILD)/gcj2wgs: tools/gcj2wgs.c geo/chinacrs.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -D_GNU_SOURCE -Iinclude -o $@ $^ -lm

$(DB): | $(BUILD)/hazmap
	@mkdir -p $(dir $@)
	tools/load-sample.sh $(BUILD)/hazmap $(DB)

run: all $(DB)
	@echo "hazmap: serving $(DB) at http://$(BIND):$(PORT)/"
	exec $(BUILD)/hazmap serve --db $(DB) --bind $(BIND) --port $(PORT) --web web

# The browser tests' driver (playwright-core); the page itself needs nothing from npm (web/vendor/).
# (Re)installs the page's test packages when missing or older than the lock file.
web-deps: | deps
	@if [ -f web/package-lock.json ] && { [ ! -f web/node_modules/.package-lock.json ] || \
		[ web/package-lock.json -nt web/node_modules/.package-lock.json ]; }; then \
		cd web && npm ci --no-audit --no-fund --loglevel=error; fi

# Integration tests first (each script exits non-zero on failure), Check's summary last. The fuzz
# harnesses (tests/integration/fuzz.sh) run FUZZ_TEST_SECONDS each, in the plain build only.
FUZZ_TEST_SECONDS ?= 10
test: all web-deps allocfail-build $(if $(filter 1,$(SANITIZE)),,fuzz-build)
	@set -e; for t in tests/integration/*.sh; do \
		[ -e "$$t" ] || continue; \
		echo "== $$t"; HAZMAP=$(BUILD)/hazmap BUILD=$(BUILD) SANITIZE=$(SANITIZE) FUZZ_TEST_SECONDS=$(FUZZ_TEST_SECONDS) \
			bash "$$t"; done
	@cd tests && CK_FORK=yes $(abspath $(BUILD))/check_hazmap

check-unit: all
	@cd tests && $(abspath $(BUILD))/check_hazmap

bench: all
	@bench/run.sh $(BUILD)

# The fuzz harnesses: libFuzzer needs clang, so the library is built again with clang and
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/ (the normal build is gcc's).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The CSV reader's record limit and read chunk are made tiny so small inputs cross them (csv.h).
FUZZ_CFLAGS = $(WARN) -O1 -g -D_GNU_SOURCE -pthread -Iinclude $(PKG_CFLAGS) $(FUZZ_SAN) \
	-DCSV_MAX_RECORD=1024 -DCSV_CHUNK=64
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)

$(FUZZ_BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "CC (fuzz) $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/libhazmap.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libhazmap.a
	$(FUZZ_CC) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm -pthread $(FUZZ_SAN)

fuzz-build: $(FUZZ_BIN)
.SECONDARY: $(FUZZ_BIN:$(FUZZ_BUILD)/%=$(FUZZ_BUILD)/obj/tests/fuzz/%.o)

# Each harness for FUZZ_SECONDS on a scratch copy of its committed corpus (tests/fuzz/run.sh).
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# The soak (issue 16, item 6): tools/soak.py against $(BUILD)/hazmap on a fresh copy of the sample
# (tools/load-sample.sh into a scratch directory, kept with the server's logs), 32 clients, a
# SIGKILL and restart every KILL_EVERY seconds; the summary is printed and kept in
# $(BUILD)/soak.md and $(BUILD)/soak.json. Fails on any 5xx, lost write, crash or stray error.
# tests/integration/soak.sh is the 60 s version that `make test` runs.
SOAK_MINUTES ?= 30
KILL_EVERY ?= 120
soak: deps $(BUILD)/hazmap
	@set -eo pipefail; d=$$(mktemp -d /tmp/hazmap-soak.XXXX); echo "soak: scratch directory $$d"; \
		tools/load-sample.sh $(BUILD)/hazmap $$d/soak.sqlite > $$d/load.log; \
		python3 tools/soak.py --hazmap $(BUILD)/hazmap --db $$d/soak.sqlite \
			--seconds $$(( $(SOAK_MINUTES) * 60 )) --kill-every $(KILL_EVERY) --clients 32 \
			--workdir $$d --json $(BUILD)/soak.json | tee $(BUILD)/soak.md

# Static analysis (see RELIABILITY.md); fails on any finding. A false positive is stated away with
# an assert() of the invariant where one exists, else an inline suppression (`// cppcheck-suppress
# ID` or `#ifndef __clang_analyzer__`) with a comment saying why it is one.
#  - scan-build: clang's analyzer with its default checkers (core, unix, deadcode, security,
#    nullability) over a clean build of the library, the CLI, the test runner and the tools,
#    into $(BUILD)/analyze/ (the real compiler is still gcc, so -Werror holds too); the HTML
#    reports of a failing run are kept in $(BUILD)/scan/.
#  - cppcheck over geo/ tiles/ server/ cli/ tools/ tests/ (the fuzz harnesses included):
#    warning, performance and portability checks. style is left out: it is mostly scope and
#    naming advice (hundreds of "variable can be declared const/in a narrower scope"), which would
#    drown the rest. Only our headers are given (-Iinclude), as in the build with -D_GNU_SOURCE;
#    the system and library headers are not (missingIncludeSystem suppressed): cppcheck knows
#    libc through its own std.cfg/posix.cfg, and reading GDAL's and GEOS's headers is slow and
#    finds nothing of ours. tools/cppcheck-check.cfg tells it that Check's ck_assert*() end a
#    test when they fail, else it reports what they rule out (indices, NULLs) in tests/.
#    --library=posix for the POSIX calls; with it readdirCalled suppressed: it advises readdir_r(),
#    which POSIX and glibc deprecate, and readdir() on a stream of one's own is thread-safe.
SCAN_BUILD ?= scan-build
CPPCHECK ?= cppcheck
ANALYZE_BUILD = $(BUILD)/analyze
CPPCHECK_FLAGS := --enable=warning,performance,portability --std=c11 --error-exitcode=1 \
	--inline-suppr --suppress=missingIncludeSystem --library=posix --suppress=readdirCalled \
	--library=tools/cppcheck-check.cfg -D_GNU_SOURCE -Iinclude --quiet -j2

analyze: analyze-scan-build analyze-cppcheck

analyze-scan-build: deps
	@rm -rf $(ANALYZE_BUILD) $(BUILD)/scan
	$(SCAN_BUILD) --status-bugs -o $(BUILD)/scan $(MAKE) --no-print-directory BUILD=$(ANALYZE_BUILD) \
		SANITIZE= $(ANALYZE_BUILD)/hazmap $(ANALYZE_BUILD)/check_hazmap $(ANALYZE_BUILD)/gensample \
		$(ANALYZE_BUILD)/gcj2wgs
	@if ls -d $(BUILD)/scan/*/failures >/dev/null 2>&1; then \
		echo "analyze: clang's analyzer failed on some files: $(BUILD)/scan/*/failures" >&2; exit 1; fi

analyze-cppcheck: deps
	$(CPPCHECK) $(CPPCHECK_FLAGS) geo tiles server cli tools tests

format-check: deps
	@clang-format --dry-run --Werror $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) tests/testutil.[ch] include/hazmap/*.h $(wildcard geo/*/*.h) \
		$(wildcard tests/fuzz/*.[ch]) tests/faultvfs.[ch] tests/allocfail/allocfail.c \
		&& echo "format-check: clean"

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d) \
	$(FUZZ_BIN:$(FUZZ_BUILD)/%=$(FUZZ_BUILD)/obj/tests/fuzz/%.d)
