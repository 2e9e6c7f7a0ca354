# entra_provisioning: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PHP ?= php
PHPUNIT ?= phpunit

# Round-trip time the emulator adds to each answer, so the demo's throughput reflects a network.
DEMO_LATENCY_MS ?= 30
RELEASE_LIB := target/release/libentra_provisioning.so
RELEASE_EMULATOR := target/release/entra-graph-emulator
DEBUG_LIB := target/debug/libentra_provisioning.so
DEBUG_EMULATOR := target/debug/entra-graph-emulator
HEADER := include/entra_provisioning.h
PHP_FILES = $(shell find drupal_module scripts -type f \( -name '*.php' -o -name '*.module' -o -name '*.install' -o -name '*.inc' \) | sort)

# Release build (make dist): libraries linked against an old glibc with zig (scripts/dist/).
# One version source: Cargo.toml's [package] version (also the library's entra_version()).
VERSION = $(shell awk -F'"' '/^\[/ { p = ($$0 == "[package]") } p && /^version *=/ { print $$2; exit }' Cargo.toml)
GLIBC_BASELINE := 2.28
DIST_ARCHES := x86_64 aarch64
# The architecture whose library can run here (make test loads it).
HOST_ARCH := $(shell uname -m | sed 's/^arm64$$/aarch64/; s/^amd64$$/x86_64/')
# Its own target dir: the zig-linked release build never mixes with the ordinary builds.
DIST_TARGET_DIR := target/zig
DIST_LIB = $(DIST_TARGET_DIR)/$(1)-unknown-linux-gnu/release/libentra_provisioning.so
DIST_TARBALL = dist/entra_provisioning-$(VERSION).tar.gz

.PHONY: all build release demo bench test deps fmt-check clippy rust-test header-check php-lint php-style phpunit module clean \
  dist dist-check $(addprefix dist-lib-,$(DIST_ARCHES))

all: build

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --release --workspace

## The product's main job on the bundled Graph emulator: no tenant, no Drupal.
demo: deps release
	scripts/with-emulator.sh $(RELEASE_EMULATOR) --latency-ms $(DEMO_LATENCY_MS) \
	  --seed-user 'adele@contoso.onmicrosoft.com|Adele Vance|adele@contoso.com' \
	  --seed-user 'megan@contoso.onmicrosoft.com|Megan Bowen|megan@contoso.com' \
	  --permissions 'User.ReadWrite.All,GroupMember.ReadWrite.All' \
	  --seed-group '60000000-0000-4000-8000-000000000002|Paris engineers|security|megan@contoso.onmicrosoft.com' \
	  --seed-group '60000000-0000-4000-8000-000000000001|Engineering|security|60000000-0000-4000-8000-000000000002' \
	  --seed-group '60000000-0000-4000-8000-000000000003|Drupal staff|security|' \
	  -- $(PHP) -d ffi.enable=preload scripts/demo.php \
	     --library=$(CURDIR)/$(RELEASE_LIB) --header=$(CURDIR)/$(HEADER)

## Benchmarks against the release emulator on loopback (a benchmark, not a test): prints a table and
## writes target/bench/results.json. Options: BENCH_ARGS='--users=3000 --only=quota,memory' or
## BENCH_<NAME> environment variables (scripts/bench/run.php lists them).
BENCH_ARGS ?=
bench: deps release
	$(PHP) -d ffi.enable=preload scripts/bench/run.php --library=$(CURDIR)/$(RELEASE_LIB) \
	  --header=$(CURDIR)/$(HEADER) --emulator=$(CURDIR)/$(RELEASE_EMULATOR) $(BENCH_ARGS)

## Everything CI checks.
test: deps header-check fmt-check clippy rust-test php-lint php-style phpunit dist-check
	@echo "make test: all checks passed"

deps:
	scripts/install-deps.sh

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --workspace

## The committed header must be exactly what cbindgen generates from the sources. It runs
## first in `make test`, before any other build has regenerated include/ in the work tree.
header-check:
	@fresh=$$(mktemp); \
	ENTRA_HEADER_OUT=$$fresh $(CARGO) build -p entra-provisioning --quiet; \
	if diff -u $(HEADER) $$fresh; then echo "header-check: $(HEADER) matches a fresh cbindgen run"; rm -f $$fresh; \
	else echo "header-check: $(HEADER) is stale: run 'cargo build' and commit it" >&2; rm -f $$fresh; exit 1; fi

php-lint:
	@for f in $(PHP_FILES); do $(PHP) -l "$$f" >/dev/null || { $(PHP) -l "$$f"; exit 1; }; done; \
	echo "php-lint: $(words $(PHP_FILES)) files OK"

## The module's PHP in Drupal's layout (drupal_module/phpcs.xml.dist says which sniffs).
php-style:
	cd drupal_module && phpcs -q --standard=phpcs.xml.dist && echo "php-style: the module's PHP follows Drupal's layout"

phpunit: build
	cd drupal_module && ENTRA_LIBRARY=$(CURDIR)/$(DEBUG_LIB) ENTRA_HEADER=$(CURDIR)/$(HEADER) \
	  ENTRA_EMULATOR_BIN=$(CURDIR)/$(DEBUG_EMULATOR) $(PHPUNIT) -c phpunit.xml.dist

## Puts the release library and its header into the module (drupal_module/lib/).
module: release
	mkdir -p drupal_module/lib
	cp $(RELEASE_LIB) drupal_module/lib/
	cp $(HEADER) drupal_module/lib/
	@echo "module: drupal_module/ is ready to copy or symlink into web/modules/custom/entra_provisioning"

## The release a Drupal admin installs without Rust: dist/entra_provisioning-<version>.tar.gz
## (the module with lib/linux-x86_64/ and lib/linux-aarch64/, glibc <= $(GLIBC_BASELINE)) and its .sha256;
## then the tarball's checks (scripts/dist/check-tarball.sh).
dist: deps $(addprefix dist-lib-,$(DIST_ARCHES))
	scripts/dist/with-tools.sh scripts/dist/package.sh dist $(VERSION) \
	  $(foreach a,$(DIST_ARCHES),$(a)=$(call DIST_LIB,$(a)))
	PHP=$(PHP) GLIBC_BASELINE=$(GLIBC_BASELINE) scripts/dist/with-tools.sh scripts/dist/check-tarball.sh $(DIST_TARBALL) $(VERSION)

## One release library, cross-linked by cargo-zigbuild against glibc $(GLIBC_BASELINE); cargo's own
## freshness check makes a second run take a second. Then its ELF checks (scripts/dist/check-lib.sh).
$(addprefix dist-lib-,$(DIST_ARCHES)): dist-lib-%:
	@rustup target list --installed | grep -qx '$*-unknown-linux-gnu' || rustup target add '$*-unknown-linux-gnu'
	scripts/dist/with-tools.sh $(CARGO) zigbuild --release --locked --quiet -p entra-provisioning --lib \
	  --target $*-unknown-linux-gnu.$(GLIBC_BASELINE) --target-dir $(DIST_TARGET_DIR)
	scripts/dist/check-lib.sh $(call DIST_LIB,$*) $* $(GLIBC_BASELINE)

## The part of `make dist` that runs here, in `make test`: this machine's release library, in the
## release layout (scripts/dist/stage-module.sh), loaded by the module's binding with no
## configuration (scripts/dist/smoke.php: ABI version, version, map_user, status report lines).
dist-check: dist-lib-$(HOST_ARCH)
	scripts/dist/with-tools.sh scripts/dist/stage-module.sh target/dist-check $(VERSION) \
	  $(HOST_ARCH)=$(call DIST_LIB,$(HOST_ARCH)) >/dev/null
	env -u ENTRA_LIBRARY -u ENTRA_HEADER $(PHP) -d ffi.enable=preload scripts/dist/smoke.php \
	  --module=target/dist-check/entra_provisioning --version=$(VERSION)

clean:
	$(CARGO) clean
	rm -rf drupal_module/lib dist $(DIST_TARGET_DIR) target/dist-check target/dist-stage
