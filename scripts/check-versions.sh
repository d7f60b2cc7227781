#!/usr/bin/env bash
# Every package says the same version: Cargo.toml's, and the tag's when one is given
# (`scripts/check-versions.sh 0.1.0`). The wheel takes its version from Cargo.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
want="${1:-$cargo_version}"
fail=0
say() { echo "error: $*" >&2; fail=1; }
[ "$cargo_version" = "$want" ] || say "Cargo.toml says $cargo_version, the tag $want"
for pkg in npm/*/package.json; do
  v=$(node -p "require('./$pkg').version")
  [ "$v" = "$want" ] || say "$pkg says $v, not $want"
done
for dep in $(node -p "Object.values(require('./npm/tooleval/package.json').optionalDependencies).join(' ')"); do
  [ "$dep" = "$want" ] || say "npm/tooleval/package.json depends on a platform package at $dep, not $want"
done
if [ "$fail" = 0 ]; then echo "every package is at $want"; fi
exit "$fail"
