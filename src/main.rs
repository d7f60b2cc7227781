use clap::Parser as _;

// Trials, records and reports are many small allocations: mimalloc serves them with about a
// tenth less CPU for a whole run than the system allocator (docs/performance.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_huge_pages();
    let cli = tooleval::cli::Cli::parse();
    std::process::exit(tooleval::main_with(cli));
}

/// Transparent huge pages off for this process. Where the system enables them for everything,
/// each 2 MB the allocator touches becomes resident at once: a 100,000-task run held about 20 MB
/// more at its peak with them, and ran no faster.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process's memory map; its arguments
    // are plain integers and nothing is read from or written to our memory.
    let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}
