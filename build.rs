//! What `tooleval --version` says: the package's version and the commit it is built from
//! (`TOOLEVAL_VERSION`, always set), the commit alone as `TOOLEVAL_COMMIT` when known. The
//! commit is `TOOLEVAL_COMMIT` from the build's environment when set (a build from a source
//! package, which holds no git history), else what git says of the checkout.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=TOOLEVAL_COMMIT");
    // A new commit changes HEAD, or the branch it names: build again to say so.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{branch}");
        }
    }
    let commit = std::env::var("TOOLEVAL_COMMIT").ok().or_else(|| {
        let hash = git(&["rev-parse", "--short=12", "HEAD"])?;
        let date = git(&["log", "-1", "--format=%cs"]).unwrap_or_default();
        Some(format!("{hash} {date}").trim().to_owned())
    });
    let version = env!("CARGO_PKG_VERSION");
    match commit {
        Some(c) => {
            println!("cargo:rustc-env=TOOLEVAL_COMMIT={c}");
            println!("cargo:rustc-env=TOOLEVAL_VERSION={version} ({c})");
        }
        None => println!("cargo:rustc-env=TOOLEVAL_VERSION={version}"),
    }
}
