// Trials, records and reports are many small allocations: mimalloc serves them with about a
// tenth less CPU for a whole run than the system allocator (docs/performance.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_huge_pages();
    purge_at_once();
    let cli = tooleval::cli::Cli::from_args();
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

/// Freed memory goes back to the system at once rather than after mimalloc's default delay of
/// 10 ms: a run's peak resident memory is then what it holds, not what it held a moment ago
/// (about 4 MB less at 1,000 tasks; docs/performance.md).
#[allow(unsafe_code)]
fn purge_at_once() {
    // `mi_option_purge_delay` in mimalloc 3's `mi_option_t` (include/mimalloc.h), which the
    // mimalloc crate builds; its Rust bindings do not name it.
    const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // SAFETY: mi_option_set stores an integer in mimalloc's option table; it takes no pointers.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}
