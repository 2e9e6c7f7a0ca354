#!/usr/bin/env bash
# Runs a command with the bundled Graph emulator listening on a free loopback port; the
# emulator's URL is passed in ENTRA_EMULATOR_URL. The emulator is stopped however the command ends.
#   scripts/with-emulator.sh <emulator-binary> [emulator args...] -- <command...>
set -euo pipefail

emulator=$1
shift
args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  args+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift

out=$(mktemp)
"$emulator" --port 0 "${args[@]}" >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT

url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^EMULATOR_URL=//p' "$out" | head -n1)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "with-emulator: the emulator exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "with-emulator: the emulator did not report its URL" >&2; exit 1; }

ENTRA_EMULATOR_URL=$url "$@"
