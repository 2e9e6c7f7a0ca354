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

.PHONY: all build release demo bench test deps fmt-check clippy rust-test header-check php-lint php-style phpunit module clean

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
test: deps header-check fmt-check clippy rust-test php-lint php-style phpunit
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

clean:
	$(CARGO) clean
	rm -rf drupal_module/lib
