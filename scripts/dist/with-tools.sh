#!/usr/bin/env bash
# Runs a command with the dist toolchain (zig, cargo-zigbuild) first on PATH, installing it first
# when needed (install-tools.sh; DIST_TOOLS_DIR, default target/dist-tools of the repository).
#   with-tools.sh cargo zigbuild --release --target x86_64-unknown-linux-gnu.2.28
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$("$here/install-tools.sh" "${DIST_TOOLS_DIR:-$here/../../target/dist-tools}")
PATH="$bin:$PATH" exec "$@"
