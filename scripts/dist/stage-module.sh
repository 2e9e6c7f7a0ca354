#!/usr/bin/env bash
# Lays out the release module folder: what a Drupal admin extracts into web/modules/contrib/.
#   stage-module.sh DEST_DIR VERSION x86_64=LIB [aarch64=LIB ...]
# DEST_DIR/entra_provisioning/ receives:
#   - the module's files (tracked or new, not ignored), without its tests and dev configuration;
#   - lib/linux-<arch>/libentra_provisioning.so for each LIB given, and lib/entra_provisioning.h;
#   - scripts/render-preload-header.php (the FFI preload set-up, runnable from the module);
#   - the info file with the version lines Drupal.org's packager appends (version, project,
#     datestamp), and composer.json with the version: the repository's copies have none, so a
#     source checkout never claims one;
#   - BUILD-INFO.txt (version, the commit and toolchain it was built from);
#   - SHA256SUMS of every other file, for `sha256sum -c SHA256SUMS` after extraction.
# Dates come from the commit, so the same commit gives the same files.
set -euo pipefail

dest=${1:?usage: stage-module.sh DEST_DIR VERSION x86_64=LIB [aarch64=LIB]}
version=${2:?usage: stage-module.sh DEST_DIR VERSION x86_64=LIB [aarch64=LIB]}
shift 2
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dest"
# Absolute: the files are copied from inside drupal_module/.
module="$(cd "$dest" && pwd)/entra_provisioning"

commit=$(git -C "$repo" rev-parse HEAD)
# A build from uncommitted changes says so: it is not the commit's code.
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] || commit="$commit-dirty"
epoch=$(git -C "$repo" log -1 --format=%ct)

rm -rf "$module"
mkdir -p "$module"
(cd "$repo/drupal_module" && git ls-files --cached --others --exclude-standard -z -- . \
  | grep -zvE '^(tests/|lib/|phpunit\.xml\.dist$|phpcs\.xml\.dist$)' \
  | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
  | xargs -0 cp --parents -t "$module")

mkdir -p "$module/scripts"
cp "$repo/scripts/render-preload-header.php" "$module/scripts/"
mkdir -p "$module/lib"
cp "$repo/include/entra_provisioning.h" "$module/lib/"

libraries=()
for spec in "$@"; do
  arch=${spec%%=*}
  lib=${spec#*=}
  mkdir -p "$module/lib/linux-$arch"
  install -m 0755 "$lib" "$module/lib/linux-$arch/libentra_provisioning.so"
  libraries+=("lib/linux-$arch/libentra_provisioning.so")
done

info="$module/entra_provisioning.info.yml"
if grep -Eq '^(version|project|datestamp):' "$info"; then
  echo "stage-module: drupal_module/entra_provisioning.info.yml must not carry version/project/datestamp (added here)" >&2
  exit 1
fi
cat >>"$info" <<INFO

# Information added by make dist (scripts/dist/stage-module.sh) on $(date -u -d "@$epoch" +%Y-%m-%d)
version: '$version'
project: 'entra_provisioning'
datestamp: $epoch
INFO

# Composer takes a path repository's version from its composer.json (else it calls it dev-master):
# with it, `composer require drupal/entra_provisioning:VERSION` works from the extracted folder.
VERSION="$version" php -r '
  $file = $argv[1];
  $json = json_decode(file_get_contents($file), TRUE, 512, JSON_THROW_ON_ERROR);
  $json = array_slice($json, 0, 2, TRUE) + ["version" => getenv("VERSION")] + $json;
  // The tests are not shipped.
  unset($json["autoload-dev"]);
  file_put_contents($file, json_encode($json, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n");
' "$module/composer.json"

cat >"$module/BUILD-INFO.txt" <<BUILD
project: entra_provisioning
version: $version
commit: $commit
commit_date: $(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
glibc_baseline: ${GLIBC_BASELINE:-2.28}
libraries: ${libraries[*]}
rustc: $(rustc --version)
zig: $(zig version 2>/dev/null || echo unknown)
cargo_zigbuild: $(cargo-zigbuild --version 2>/dev/null | awk '{ print $2 }' || echo unknown)
BUILD

(cd "$module" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort \
  | xargs -d '\n' sha256sum >SHA256SUMS)
find "$module" -exec touch -h -d "@$epoch" {} +
echo "$module"
