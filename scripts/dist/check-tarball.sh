#!/usr/bin/env bash
# Checks a release tarball as an admin would receive it:
#   check-tarball.sh TARBALL VERSION
# 1. its .sha256 file matches (sha256sum -c);
# 2. extracted into a scratch folder it is one folder, entra_provisioning/, with the info file's
#    version, both libraries, the header, BUILD-INFO.txt, and no tests;
# 3. SHA256SUMS inside matches every file (sha256sum -c) and lists them all;
# 4. both libraries pass check-lib.sh (architecture, GLIBC_ baseline, glibc-only dependencies);
# 5. the binding of the extracted module loads the library of this machine with no
#    configuration (smoke.php);
# 6. the other architecture's library cannot run here natively: 4 is its check. When qemu-user
#    and that architecture's glibc are installed (Debian: qemu-user, libc6-arm64-cross), probe.c
#    (built by zig cc) also loads it under qemu and calls it; otherwise this says it skipped that.
# Run it with the dist tools on PATH (with-tools.sh) for 6.
set -euo pipefail

tarball=${1:?usage: check-tarball.sh TARBALL VERSION}
version=${2:?usage: check-tarball.sh TARBALL VERSION}
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "check-tarball: $*" >&2; exit 1; }

(cd "$(dirname "$tarball")" && sha256sum -c "$(basename "$tarball").sha256") \
  || fail "$tarball does not match its .sha256"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar -xzf "$tarball" -C "$scratch"
[ "$(ls -A "$scratch")" = entra_provisioning ] || fail "the tarball must hold one folder, entra_provisioning/: $(ls -A "$scratch" | paste -sd' ')"
module="$scratch/entra_provisioning"

for f in entra_provisioning.info.yml composer.json preload.php lib/entra_provisioning.h BUILD-INFO.txt \
  SHA256SUMS scripts/render-preload-header.php \
  lib/linux-x86_64/libentra_provisioning.so lib/linux-aarch64/libentra_provisioning.so; do
  [ -f "$module/$f" ] || fail "missing entra_provisioning/$f"
done
[ ! -e "$module/tests" ] || fail "the release must not ship the module's tests"
grep -qx "version: '$version'" "$module/entra_provisioning.info.yml" || fail "the info file does not say version '$version'"
grep -qx "version: $version" "$module/BUILD-INFO.txt" || fail "BUILD-INFO.txt does not say version $version"

(cd "$module" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS does not match the extracted files"
unlisted=$(cd "$module" && comm -23 <(find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort) \
  <(sed 's/^[0-9a-f]*  //' SHA256SUMS | LC_ALL=C sort))
[ -z "$unlisted" ] || fail "files missing from SHA256SUMS: $unlisted"
echo "check-tarball: $(wc -l <"$module/SHA256SUMS") files match SHA256SUMS"

for arch in x86_64 aarch64; do
  "$here/check-lib.sh" "$module/lib/linux-$arch/libentra_provisioning.so" "$arch" "${GLIBC_BASELINE:-2.28}"
done

env -u ENTRA_LIBRARY -u ENTRA_HEADER ${PHP:-php} -d ffi.enable=preload "$here/smoke.php" --module="$module" --version="$version"

host=$(uname -m | sed 's/^arm64$/aarch64/; s/^amd64$/x86_64/')
panic=$(sed -n 's/^ *ENTRA_STATUS_PANIC = \([0-9]*\),$/\1/p' "$module/lib/entra_provisioning.h")
abi=$(${PHP:-php} -r 'require $argv[1]; echo Drupal\entra_provisioning\Native\FfiLoader::ABI_VERSION;' "$module/preload.php")
for arch in x86_64 aarch64; do
  [ "$arch" != "$host" ] || continue
  lib="$module/lib/linux-$arch/libentra_provisioning.so"
  if ! command -v "qemu-$arch" >/dev/null 2>&1 || [ ! -f "/usr/$arch-linux-gnu/lib/libc.so.6" ] || ! command -v zig >/dev/null 2>&1; then
    echo "check-tarball: the $arch library is not run here (no qemu-$arch, /usr/$arch-linux-gnu glibc or zig): its checks are those of check-lib.sh above"
    continue
  fi
  zig cc -target "$arch-linux-gnu.${GLIBC_BASELINE:-2.28}" -O1 -o "$scratch/probe-$arch" "$here/probe.c" -ldl
  answer=$("qemu-$arch" -L "/usr/$arch-linux-gnu" "$scratch/probe-$arch" "$lib") || fail "the $arch library fails under qemu-$arch: $answer"
  [ "$answer" = "abi=$abi version=$version panic_status=$panic panic_kind=panic" ] || fail "the $arch library under qemu-$arch answers: $answer"
  glibc=$("qemu-$arch" -L "/usr/$arch-linux-gnu" "/usr/$arch-linux-gnu/lib/libc.so.6" | sed -n '1s/.*release version \([0-9][0-9.]*[0-9]\).*/\1/p')
  echo "check-tarball: the $arch library runs under qemu-$arch with glibc $glibc: $answer"
done
echo "check-tarball: $tarball is a release of $version"
