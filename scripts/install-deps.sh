#!/usr/bin/env bash
# Installs what `make test` and `make demo` need beyond the Rust toolchain: PHP CLI with FFI,
# PHPUnit, PSR-3 (for the module's Drupal-free services under plain PHPUnit), php-yaml, curl and
# PHP_CodeSniffer (the module's layout check); for the release build (`make dist`, and its x86_64
# part in `make test`): python3 with pip (it installs the pinned ziglang and cargo-zigbuild wheels,
# scripts/dist/install-tools.sh) and binutils (readelf, objdump: the libraries' checks).
# On a fresh Debian machine as root it uses apt-get; otherwise it says what to install.
set -euo pipefail

missing=()
php_has() { command -v php >/dev/null 2>&1 && php -m 2>/dev/null | grep -qix "$1"; }
command -v php >/dev/null 2>&1 || missing+=(php-cli)
php_has FFI || missing+=(php-cli)
php_has yaml || missing+=(php-yaml)
php_has curl || missing+=(php-curl)
command -v phpunit >/dev/null 2>&1 || missing+=(phpunit)
command -v phpcs >/dev/null 2>&1 || missing+=(php-codesniffer)
[ -f /usr/share/php/Psr/Log/autoload.php ] || missing+=(php-psr-log)
command -v rustfmt >/dev/null 2>&1 || missing+=(rustfmt)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
{ command -v readelf && command -v objdump; } >/dev/null 2>&1 || missing+=(binutils)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

# Debian 12 ships PHP 8.2 (php8.2-*); newer releases ship the unversioned meta packages.
packages=()
for m in $(printf '%s\n' "${missing[@]}" | sort -u); do
  case "$m" in
    rustfmt) rustup component add rustfmt clippy >/dev/null ;;
    *) packages+=("$m") ;;
  esac
done
[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: installing ${packages[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
else
  echo "install-deps: missing ${packages[*]}; install them, e.g.: sudo apt-get install ${packages[*]}" >&2
  exit 1
fi
