#!/usr/bin/env node
"use strict";
// Runs the tooleval binary of this platform's package with this process's arguments, standard
// streams and exit code.

const { spawnSync } = require("child_process");
const { binaryPath } = require("../lib/platform.js");

let exe;
try {
  exe = binaryPath();
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(2);
}
// Ctrl-C reaches tooleval too (the terminal signals the whole group): it writes its partial
// report and exits 130, which is passed on; this process must not die first.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {});
}
const result = spawnSync(exe, process.argv.slice(2), { stdio: "inherit" });
if (result.error) {
  console.error(`error: cannot start ${exe}: ${result.error.message}`);
  process.exit(2);
}
if (result.signal) {
  process.exitCode = 128 + (require("os").constants.signals[result.signal] || 0);
} else {
  process.exitCode = result.status === null ? 1 : result.status;
}
