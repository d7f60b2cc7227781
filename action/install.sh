#!/usr/bin/env bash
# Installs the release binary of tooleval VERSION for this runner into DEST (skipped when the
# cache restored it, CACHED=true), checks its SHA-256 against the release's, and puts DEST on the
# PATH of the next steps.
set -euo pipefail
: "${VERSION:?}" "${DEST:?}"
case "${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}" in
  Linux-X64 | Linux-x86_64) target=x86_64-unknown-linux-musl ;;
  Linux-ARM64 | Linux-aarch64) target=aarch64-unknown-linux-musl ;;
  macOS-X64 | Darwin-x86_64) target=x86_64-apple-darwin ;;
  macOS-ARM64 | Darwin-arm64) target=aarch64-apple-darwin ;;
  Windows-X64) target=x86_64-pc-windows-msvc ;;
  *)
    echo "::error title=tooleval::no release binary for ${RUNNER_OS:-?}-${RUNNER_ARCH:-?}; build from source (docs/ci.md)" >&2
    exit 2
    ;;
esac
if [ "${CACHED:-}" != true ]; then
  base="${TOOLEVAL_RELEASES:-https://github.com/tooleval/tooleval/releases/download}/v$VERSION"
  if [ "$target" = x86_64-pc-windows-msvc ]; then archive="tooleval-$target.zip"; else archive="tooleval-$target.tar.gz"; fi
  work=$(mktemp -d)
  curl -fsSL -o "$work/$archive" "$base/$archive"
  curl -fsSL -o "$work/$archive.sha256" "$base/$archive.sha256"
  # macOS runners have shasum, not sha256sum; both read the `HASH  FILE` line of the release.
  if command -v sha256sum >/dev/null; then sum=(sha256sum); else sum=(shasum -a 256); fi
  (cd "$work" && "${sum[@]}" -c "$archive.sha256")
  mkdir -p "$DEST"
  case "$archive" in
    *.zip) unzip -q -o "$work/$archive" -d "$DEST" ;;
    *) tar -xzf "$work/$archive" -C "$DEST" ;;
  esac
  rm -rf "$work"
fi
echo "$DEST" >> "$GITHUB_PATH"
"$DEST/tooleval" --version
