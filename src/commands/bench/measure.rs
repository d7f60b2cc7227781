//! Measuring a child process: wall time, CPU time and peak memory (wait4), and medians over
//! runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::error::{Error, Result, exit};

/// Runs tooleval with `args` as a child in `dir` and measures it with wait4: wall time, CPU time
/// and peak resident memory of that process (or of the demo server it starts and waits for,
/// whichever is larger).
// The one unsafe call in tooleval: wait4, which std does not wrap, gives one child's own CPU
// time and peak memory (getrusage would mix in every other child).
pub(super) fn measure(
    exe: &Path,
    args: &[&std::ffi::OsStr],
    dir: &Path,
) -> Result<(f64, f64, f64, i32)> {
    let mut command = Command::new(exe);
    command.args(args).current_dir(dir);
    measure_command(command)
}

/// [`measure`] for any command.
#[allow(unsafe_code)]
pub(super) fn measure_command(mut command: Command) -> Result<(f64, f64, f64, i32)> {
    let exe = PathBuf::from(command.get_program());
    let exe = exe.as_path();
    let start = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io("start", exe, e))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes into the two out-parameters we own; the pid is our child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    if rc < 0 {
        return Err(Error::io("wait for", exe, std::io::Error::last_os_error()));
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = secs(usage.ru_utime) + secs(usage.ru_stime);
    // Linux reports ru_maxrss in KiB.
    let rss_mb = usage.ru_maxrss as f64 / 1024.0;
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((wall, cpu, rss_mb, code))
}

/// Medians of wall time, CPU time and peak memory over `runs` runs; a run that fails is an
/// error (its figures would measure something else).
pub(super) fn measure_median(
    exe: &Path,
    args: &[&std::ffi::OsStr],
    dir: &Path,
    runs: usize,
) -> Result<(f64, f64, f64)> {
    let (mut walls, mut cpus, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let (wall, cpu, mb, code) = measure(exe, args, dir)?;
        if code != exit::OK {
            return Err(exited(args, code));
        }
        walls.push(wall);
        cpus.push(cpu);
        rss.push(mb);
    }
    Ok((median(walls), median(cpus), median(rss)))
}

/// The error of a tooleval child that failed: its figures would measure something else.
pub(super) fn exited(args: &[&std::ffi::OsStr], code: i32) -> Error {
    let command: Vec<String> = args.iter().map(|a| a.to_string_lossy().into()).collect();
    Error::usage(
        format!("`tooleval {}` exited with {code}", command.join(" ")),
        Some("run it by hand to see why".to_owned()),
    )
}

/// How many trials a report holds, read without building them.
pub(super) fn trials_in(report: &Path) -> Result<usize> {
    #[derive(serde::Deserialize)]
    struct Trials {
        trials: Vec<serde::de::IgnoredAny>,
    }
    let file = std::fs::File::open(report).map_err(|e| Error::io("read", report, e))?;
    let t: Trials = serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
        Error::io(
            "read",
            report,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    Ok(t.trials.len())
}

pub(super) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
