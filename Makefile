# The two commands (see README.md): `make run` and `make check`; `make demo` too. meson and ninja do the
# building; this file only installs what is missing and calls them.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BENCH_N    ?= 1000000
# make install: where (PREFIX) and under which staging root (DESTDIR, empty for /), built in a
# build dir of its own so that build/ keeps the default prefix that `make run` and `make check` use.
PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD_INSTALL ?= build-install

.PHONY: all deps deps-test build build-asan check run demo install bench bench-http bench-audience bench-campaign fuzz mutate screenshots clean

all: build

deps:
	@./scripts/install-deps.sh

deps-test:
	@./scripts/install-deps.sh --test

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) --buildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

build-asan: deps-test $(BUILD_ASAN)/build.ninja
	@ninja -C $(BUILD_ASAN)

# Every test, in the normal build and again under AddressSanitizer and UBSan on SQLite, then
# the normal build's on a throwaway PostgreSQL 15 (tests/pg.sh); the last line is
# "N passed, N failed".
check: deps-test build build-asan
	@tests/run.sh $(BUILD) $(BUILD_ASAN)

# The mutation check (tests/mutants.list): each mutant applied to a scratch copy, built, and
# its test run; ends "N caught, N survived". Not part of check: it builds once per mutant.
# `make mutate MUTANTS="name ..."` runs only those.
mutate: deps-test
	@scripts/mutate.sh $(MUTANTS)

# The PNGs of the public pages and the console in docs/img/ (scripts/screenshots.sh: Debian's chromium, the
# example policy, fixed fake data at example.com), 1000 px wide, full page.
screenshots: deps-test build
	@scripts/screenshots.sh $(BUILD)/samtycke

# The binary, samtycke(1), the bash completion, the systemd unit and its sysusers.d file and
# the example policy, under PREFIX (docs/operations.md, "Installing").
install: deps
	@[ -f $(BUILD_INSTALL)/build.ninja ] || meson setup $(BUILD_INSTALL) --prefix=$(PREFIX) >/dev/null
	@meson configure $(BUILD_INSTALL) -Dprefix=$(PREFIX)
	@ninja -C $(BUILD_INSTALL) samtycke dist/samtycke.1 dist/samtycke
	@meson install -C $(BUILD_INSTALL) --no-rebuild $(if $(DESTDIR),--destdir $(DESTDIR))

run: build
	@scripts/run.sh $(BUILD)/samtycke

demo: build
	@scripts/demo.sh $(BUILD)/samtycke

# Every benchmark at BENCH_N contacts (or rows); `make bench BENCH_N=100000` for a quicker run.
# core, http and writes also run on a throwaway PostgreSQL (SK_BENCH_PG=0 leaves it out).
bench: build
	@bench/core.sh $(BUILD) $(BENCH_N)
	@SK_BENCH_N=$(BENCH_N) bench/http.sh $(BUILD)
	@bench/import.sh $(BUILD) $(BENCH_N)
	@bench/audit.sh $(BUILD) $(BENCH_N)
	@SK_BENCH_N=$(BENCH_N) bench/writes.sh $(BUILD)
	@bench/audience.sh $(BUILD) $(BENCH_N)
	@bench/campaign.sh $(BUILD)

# Issue 16's two alone: the allowed audience at BENCH_N contacts (the loaded databases kept in
# /tmp for the next run), and a campaign of 100,000 recipients to a loopback SMTP sink
# (docs/BENCHMARKS.md).
bench-audience: build
	@bench/audience.sh $(BUILD) $(BENCH_N)
bench-campaign: build
	@bench/campaign.sh $(BUILD)

# The parsers' libFuzzer targets (tests/fuzz), 60 s each (FUZZ_SECONDS); needs clang.
fuzz:
	@./scripts/install-deps.sh --fuzz
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_INSTALL)
