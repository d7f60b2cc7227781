"use strict";
// Which package holds tooleval's binary for a platform, and where the binary is: the
// optionalDependencies pattern of esbuild and biome. npm installs only the package whose `os`
// and `cpu` match the machine.

const PACKAGES = {
  "linux-x64": "@tooleval/cli-linux-x64",
  "linux-arm64": "@tooleval/cli-linux-arm64",
  "darwin-x64": "@tooleval/cli-darwin-x64",
  "darwin-arm64": "@tooleval/cli-darwin-arm64",
  "win32-x64": "@tooleval/cli-win32-x64",
};

const FROM_SOURCE =
  "build it from source instead: cargo install --git https://github.com/tooleval/tooleval --locked";

/** The package that holds the binary for `platform`-`arch`; throws on an unsupported one. */
function packageName(platform, arch) {
  const key = `${platform}-${arch}`;
  const name = PACKAGES[key];
  if (!name) {
    throw new Error(
      `tooleval has no prebuilt binary for ${key}; it has one for ${Object.keys(PACKAGES).join(", ")}. ` +
        FROM_SOURCE
    );
  }
  return name;
}

/** The binary's path on this machine; throws, saying what to do, when it is not installed. */
function binaryPath(platform = process.platform, arch = process.arch, resolve = require.resolve) {
  const name = packageName(platform, arch);
  const exe = platform === "win32" ? "tooleval.exe" : "tooleval";
  try {
    return resolve(`${name}/bin/${exe}`);
  } catch (_) {
    throw new Error(
      `the package ${name}, which holds tooleval's binary for ${platform}-${arch}, is not installed. ` +
        "It is an optional dependency of tooleval: was tooleval installed with --omit=optional " +
        `(or --no-optional)? Install tooleval again without it, or add ${name} yourself; or ${FROM_SOURCE}`
    );
  }
}

module.exports = { PACKAGES, packageName, binaryPath };
