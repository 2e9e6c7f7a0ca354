#!/usr/bin/env bash
# Writes the release tarball and its checksum file:
#   package.sh OUT_DIR VERSION x86_64=LIB aarch64=LIB
#   -> OUT_DIR/entra_provisioning-VERSION.tar.gz (one folder, entra_provisioning/, see
#      stage-module.sh) and OUT_DIR/entra_provisioning-VERSION.tar.gz.sha256 (to check the
#      download before extracting it: sha256sum -c).
# The archive is reproducible: names sorted, owner root, dates of the commit, gzip without a
# timestamp.
set -euo pipefail

out=${1:?usage: package.sh OUT_DIR VERSION x86_64=LIB aarch64=LIB}
version=${2:?usage: package.sh OUT_DIR VERSION x86_64=LIB aarch64=LIB}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
stage="$repo/target/dist-stage"
name="entra_provisioning-$version.tar.gz"

rm -rf "$stage"
"$here/stage-module.sh" "$stage" "$version" "$@" >/dev/null
epoch=$(git -C "$repo" log -1 --format=%ct)
mkdir -p "$out"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' \
  -C "$stage" -cf - entra_provisioning | gzip -9n >"$out/$name.partial"
mv "$out/$name.partial" "$out/$name"
(cd "$out" && sha256sum "$name" >"$name.sha256")
echo "package: $out/$name ($(du -h "$out/$name" | cut -f1)), sha256 $(cut -d' ' -f1 "$out/$name.sha256")"
