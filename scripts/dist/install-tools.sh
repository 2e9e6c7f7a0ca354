#!/usr/bin/env bash
# Installs the cross toolchain of `make dist` into one folder and prints that folder's bin/ (for PATH):
#   - ziglang (PyPI wheel of the Zig compiler): `zig cc` links against the glibc version we name
#     (x86_64-unknown-linux-gnu.2.28), not the build machine's, and compiles ring's C for aarch64;
#   - cargo-zigbuild (PyPI wheel of the Rust binary): `cargo zigbuild` wires zig in as CC and linker.
# Both are prebuilt wheels (x86_64 and aarch64 hosts), so a fresh CI machine gets them in seconds
# (no cargo install of cargo-zigbuild, no Zig tarball to verify by hand). Versions and wheel
# hashes are pinned in requirements.txt (pip --require-hashes).
# Idempotent: a folder already holding these versions is reused without network.
# python3 with pip comes from scripts/install-deps.sh; the Rust targets from the Makefile.
set -euo pipefail

root=${1:?usage: install-tools.sh TOOLS_DIR}
requirements="$(cd "$(dirname "$0")" && pwd)/requirements.txt"
# One folder per pinned set: a changed pin installs afresh, the old folder is left alone.
dir="$root/$(grep -v '^#' "$requirements" | sha256sum | cut -c1-12)"

if [ ! -x "$dir/bin/cargo-zigbuild" ] || [ ! -x "$dir/bin/zig" ]; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    echo "install-tools: make dist needs python3 with pip: run scripts/install-deps.sh (as root it installs python3-pip), or: sudo apt-get install python3-pip" >&2
    exit 1
  fi
  echo "install-tools: pip install $(grep -o '^[a-z-]*==[0-9.]*' "$requirements" | paste -sd' ') into $dir" >&2
  rm -rf "$dir.partial"
  # --target: a private folder, never the system's Python (and so no PEP 668 conflict).
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --root-user-action=ignore \
    --only-binary=:all: --require-hashes --target "$dir.partial" -r "$requirements" >&2
  # cargo-zigbuild runs `zig` from PATH: give it the wheel's binary under that name.
  ln -sf ../ziglang/zig "$dir.partial/bin/zig"
  mv "$dir.partial" "$dir"
fi
echo "$dir/bin"
