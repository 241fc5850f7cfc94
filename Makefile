# SPDX-License-Identifier: MIT
# shimbox: one non-recursive Makefile. `make` builds build/shimbox (static, musl, stripped).
VERSION := 0.1.0
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin

CC_MUSL ?= musl-gcc
CLANG ?= clang
BEARSSL := build/bearssl

WARN := -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -I.
CFLAGS := $(BASE_CFLAGS) -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -I$(BEARSSL)/include -DSHIMBOX_VERSION='"$(VERSION)"' -DSHIMBOX_REVISION='"$(GIT_REV)"'
# EXTRA_CFLAGS: for test builds (e2e 35 builds a binary of another handover version so).
CFLAGS += $(EXTRA_CFLAGS)
LDFLAGS := -static -s -Wl,--gc-sections
SAN_CFLAGS := $(BASE_CFLAGS) -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all

WIRE_SRC := $(wildcard wire/*.c)
CORE_SRC := $(wildcard core/*.c)
APPLET_SRC := $(wildcard applets/*.c)
SRC := $(APPLET_SRC) $(CORE_SRC) $(WIRE_SRC)
OBJ := $(SRC:%.c=build/obj/%.o)
HDR := $(wildcard wire/*.h core/*.h applets/*.h applets/*.def)
APPLET_NAMES := $(shell grep -o '^APPLET[^"]*"[a-z-]*"' applets/applets.def | cut -d'"' -f2)

UNIT_SRC := $(wildcard test/unit/t_*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=build/test/%)
CORE_UNIT_SRC := $(wildcard test/unit/m_*.c)
CORE_UNIT_BIN := $(CORE_UNIT_SRC:test/unit/%.c=build/test/%)
FUZZ_SRC := $(wildcard test/fuzz/f_*.c)
FUZZ_BIN := $(FUZZ_SRC:test/fuzz/%.c=build/fuzz/%)
FUZZ_RUNS ?= 10000000

.PHONY: all deps peers check unit e2e cri fuzz fuzz-build bench demo install lint clean

all: build/shimbox

$(BEARSSL)/lib/libbearssl.a:
	scripts/deps

build/obj/%.o: %.c $(HDR) | $(BEARSSL)/lib/libbearssl.a
	@mkdir -p $(dir $@)
	$(CC_MUSL) $(CFLAGS) -c -o $@ $<

# The revision is compiled into main.o: rebuild it when HEAD moves.
build/rev: FORCE
	@mkdir -p build; echo '$(GIT_REV)' | cmp -s - $@ || echo '$(GIT_REV)' > $@
build/obj/applets/main.o: build/rev
.PHONY: FORCE

build/shimbox: $(OBJ) $(BEARSSL)/lib/libbearssl.a
	$(CC_MUSL) $(LDFLAGS) -o $@ $(OBJ) $(BEARSSL)/lib/libbearssl.a
	@echo "build/shimbox: $$(stat -c %s $@) bytes"

# Unit tests of wire/ (and pure core/): clang, glibc, ASan+UBSan.
# core/ files that are pure (no syscalls, no state) are tested there too.
PURE_CORE_SRC := core/proc_rules.c
build/test/t_%: test/unit/t_%.c $(WIRE_SRC) $(PURE_CORE_SRC) $(HDR) test/unit/tap.h test/unit/golden.h $(wildcard test/golden/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(SAN_CFLAGS) -Itest/unit -Itest/golden -o $@ $< $(WIRE_SRC) $(PURE_CORE_SRC)

# Unit tests of core/: musl, static, linked like the product (BearSSL is a musl build).
build/test/m_%: test/unit/m_%.c $(CORE_SRC) $(WIRE_SRC) $(HDR) test/unit/tap.h $(BEARSSL)/lib/libbearssl.a
	@mkdir -p $(dir $@)
	$(CC_MUSL) $(BASE_CFLAGS) -g -O1 -static -I$(BEARSSL)/include -Itest/unit -o $@ $< \
		$(CORE_SRC) $(WIRE_SRC) $(BEARSSL)/lib/libbearssl.a

# libFuzzer targets (clang, glibc, ASan+UBSan). `make check` replays the corpus only.
build/fuzz/f_%: test/fuzz/f_%.c test/fuzz/targets.h $(WIRE_SRC) $(HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(SAN_CFLAGS) -fsanitize=fuzzer -o $@ $< $(WIRE_SRC)

# The Go-built test peers (containerd releases, runc): build/peers, pinned, cached.
peers:
	scripts/peers

unit: $(UNIT_BIN) $(CORE_UNIT_BIN)
fuzz-build: $(FUZZ_BIN)

# The README's test command: installs what is missing, then unit, golden, fuzz replay and e2e.
check:
	scripts/deps
	scripts/peers
	$(MAKE) all unit fuzz-build
	scripts/check

e2e: all
	scripts/deps
	scripts/peers
	scripts/check e2e

# Kubernetes' CRI path on containerd 2.4.2 (critest, crictl); docs/CRI.md has the pass lists.
cri: all
	scripts/deps
	scripts/peers
	scripts/check cri

# Every decoder for FUZZ_RUNS executions of its own; what adds coverage joins the committed
# corpora, and the figures go to docs/FUZZING.md. `scripts/fuzz SECONDS` is the quick look.
fuzz: fuzz-build
	scripts/fuzz --runs $(FUZZ_RUNS) --report docs/FUZZING.md

# Side by side with the reference of Debian's containerd 1.6 and with that of 2.4.2; then the
# Kubernetes figures through 2.4.2's CRI (scripts/bench-cri).
BENCH_RELEASES ?= debian v2.4.2
bench: all
	scripts/deps
	scripts/peers
	for r in $(BENCH_RELEASES); do E2E_CONTAINERD=$$r scripts/bench || exit 1; done
	scripts/bench-cri

# The README's first command: build, start a private containerd, run a container through shimbox.
demo:
	scripts/deps
	$(MAKE) all
	scripts/demo

install: build/shimbox
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 build/shimbox $(DESTDIR)$(BINDIR)/shimbox
	ln -sf shimbox $(DESTDIR)$(BINDIR)/containerd-shim-shimbox-v2
	for a in $(APPLET_NAMES); do ln -sf shimbox $(DESTDIR)$(BINDIR)/$$a; done

lint:
	clang-format --dry-run --Werror $(SRC) $(HDR:%.def=) $(UNIT_SRC) $(CORE_UNIT_SRC) $(FUZZ_SRC)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		-I. -D__linux__ wire core applets

clean:
	rm -rf build/obj build/shimbox build/test build/fuzz
