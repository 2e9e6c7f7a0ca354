#!/usr/bin/env bash
# Checks a release library without running it (the aarch64 one cannot run here):
#   - its ELF header names the expected architecture (64-bit, shared object);
#   - no GLIBC_ symbol version it needs is above the baseline (2.28: RHEL 8, Debian 10; Ubuntu
#     20.04 and Debian 11 have newer);
#   - every library it needs (DT_NEEDED) is part of glibc itself, which every glibc host has, so
#     nothing else must be installed next to it: no OpenSSL, no libgcc_s (zig links its
#     unwinder in), no libstdc++;
#   - it exports the C ABI's version function, so it is our library and not an empty shell.
# Prints one line with the GLIBC_ versions it needs.
#   check-lib.sh LIBRARY x86_64|aarch64 [GLIBC_BASELINE]
set -euo pipefail

lib=${1:?usage: check-lib.sh LIBRARY x86_64|aarch64 [GLIBC_BASELINE]}
arch=${2:?usage: check-lib.sh LIBRARY x86_64|aarch64 [GLIBC_BASELINE]}
baseline=${3:-2.28}
fail() { echo "check-lib: $lib: $*" >&2; exit 1; }

[ -f "$lib" ] || fail "no such file"
case "$arch" in
  x86_64) machine='Advanced Micro Devices X86-64'; loader='ld-linux-x86-64.so.2' ;;
  aarch64) machine='AArch64'; loader='ld-linux-aarch64.so.1' ;;
  *) fail "unknown architecture $arch" ;;
esac

header=$(readelf -h "$lib") || fail "not an ELF file"
grep -Eq '^ +Class: +ELF64$' <<<"$header" || fail "not a 64-bit ELF file"
grep -Eq '^ +Type: +DYN ' <<<"$header" || fail "not a shared object"
found=$(sed -n 's/^ *Machine: *//p' <<<"$header")
[ "$found" = "$machine" ] || fail "built for '$found', expected '$machine' ($arch)"

# The versions of the symbols it imports (readelf -V: the version needs section, which is what
# the dynamic loader checks against the host's glibc).
versions=$(readelf -V "$lib" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -V)
[ -n "$versions" ] || fail "needs no GLIBC_ version at all: not linked against glibc?"
newest=$(tail -n1 <<<"$versions")
above() { [ "$(printf '%s\n' "GLIBC_$baseline" "$1" | sort -V | tail -n1)" != "GLIBC_$baseline" ]; }
too_new=()
for v in $versions; do above "$v" && too_new+=("$v"); done
if [ ${#too_new[@]} -gt 0 ]; then
  pattern=$(IFS='|'; echo "${too_new[*]}")
  symbols=$(objdump -T "$lib" | grep -E "\((${pattern//./\\.})\)" | awk '{ print $NF "@" $(NF-1) }' | tr -d '()' | sort -u | paste -sd' ')
  fail "needs ${too_new[*]}, above the GLIBC_$baseline baseline: $symbols"
fi

# glibc's own libraries: the dynamic loader, libc, and the parts glibc before 2.34 kept separate.
allowed=" $loader libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 "
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for n in $needed; do
  [[ "$allowed" == *" $n "* ]] || fail "needs $n, which is not part of glibc (allowed:$allowed)"
done

readelf --dyn-syms -W "$lib" | grep -Eq ' FUNC +GLOBAL +DEFAULT +[0-9]+ entra_abi_version$' \
  || fail "does not export entra_abi_version"

echo "check-lib: $lib: $arch ELF64 shared object; needs $(paste -sd' ' <<<"$needed"); GLIBC_ max $newest (<= $baseline): $(sed 's/^GLIBC_//' <<<"$versions" | paste -sd' ')"
