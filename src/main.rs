//! The `regdoc` binary: the command line. Everything it does is the
//! library's; this crate only parses arguments, prints and picks the exit
//! status.

mod cli;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

use clap::Parser;
use mimalloc::MiMalloc;

/// mimalloc, not glibc's malloc: typst's layout and export allocate and
/// free small objects all the time (a sixth of a long mark-up's time was
/// in glibc's malloc and free). A 1,000-page mark-up takes 12 % less time
/// and the EMRR's 20 % less, for 100 MiB more at the peak (BENCHMARKS.md).
///
/// Except under an address-space limit (`ulimit -v`, as sandboxes and
/// regdoc's own tests bound a run): mimalloc reserves address space in
/// 32 MiB segments and 1 GiB arenas, far beyond what it uses, and a render
/// that fits in 512 MiB with glibc ran out of address space with it
/// (`tests/integrity.rs::table_cells_are_limited`).
#[global_allocator]
static GLOBAL: Allocator = Allocator;

struct Allocator;

/// Which allocator serves the process, chosen at its first allocation and
/// never changed, since memory must be freed by the allocator that gave it.
static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);
const UNDECIDED: u8 = 0;
const MIMALLOC: u8 = 1;
const SYSTEM: u8 = 2;

fn mimalloc_serves() -> bool {
    match CHOICE.load(Ordering::Relaxed) {
        MIMALLOC => true,
        SYSTEM => false,
        _ => {
            // Two threads deciding at once decide the same: the limit is
            // the process's, and regdoc never changes it.
            let choice = if address_space_limited() {
                SYSTEM
            } else {
                MIMALLOC
            };
            CHOICE.store(choice, Ordering::Relaxed);
            choice == MIMALLOC
        }
    }
}

#[cfg(not(unix))]
fn address_space_limited() -> bool {
    false
}

#[cfg(unix)]
fn address_space_limited() -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the limit into `limit`; it allocates
    // nothing, so it may run inside the allocator.
    let read = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    read && limit.rlim_cur != libc::RLIM_INFINITY
}

// SAFETY: every call goes to one allocator, the same for the whole run.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if mimalloc_serves() {
            unsafe { MiMalloc.alloc(layout) }
        } else {
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if mimalloc_serves() {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        } else {
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if mimalloc_serves() {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        } else {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if mimalloc_serves() {
            unsafe { MiMalloc.realloc(ptr, layout, new_size) }
        } else {
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

fn main() {
    #[cfg(feature = "pdf")]
    regdoc::render::pdf::trace("process started");
    let cli = cli::Cli::parse();
    std::process::exit(cli::run(cli));
}
