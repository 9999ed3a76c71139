//! Mapping this executable's machine code in on a helper thread, before the compiler runs it.
//!
//! A `nyash` process compiles a small program in a few milliseconds, and the kernel maps the
//! driver's own code in lazily: the first call into each 64 KiB window of the code segment
//! that the front end and the backend touch stops for a page fault (file-backed pages already
//! in the page cache, but each fault still costs microseconds, more so in a VM). Over the
//! benchmark suite that was about a tenth of Cranelift's per-process compile time while the
//! driver was warm in the CPU caches (measured by mapping the code in before the timers
//! started; benches/README, round 6).
//!
//! So the `nyash` executable first starts a thread that asks the kernel to map the code
//! segment in (`MADV_POPULATE_READ`, Linux 5.14+), while the main thread parses arguments and
//! source. Only the executable does: tests that run the CLI in process, many at a time, would
//! just spend CPU on it. Nothing waits for the thread: a page it has not reached yet simply
//! faults as before, an older kernel refuses the advice, and a process that exits early takes
//! the thread with it. With a single CPU the thread would only compete with the compiler, so
//! it checks for a second one first.

use std::ffi::{c_int, c_void};

/// Starts the helper thread that maps this executable's code in (see the module docs). Never
/// fails: this is only a head start.
pub fn start() {
    let spawned = std::thread::Builder::new()
        .name("nyash-prefault".into())
        .stack_size(64 << 10)
        .spawn(populate_code);
    drop(spawned);
}

fn populate_code() {
    // Asked here, not by the caller: `available_parallelism` reads cgroup files.
    if !std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2) {
        return;
    }
    let Some((start, len)) = code_segment() else { return };
    // SAFETY: sysconf has no preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        p if p > 0 => p as usize,
        _ => return,
    };
    let end = start + len;
    let mut chunk = start & !(page - 1);
    while chunk < end {
        let size = CHUNK.min(end - chunk);
        // SAFETY: the range lies within a mapping of this executable (its executable PT_LOAD
        // segment), and MADV_POPULATE_READ only faults pages in as a read would: it changes
        // no contents and no protection. A failure (EINVAL before Linux 5.14) ends the work.
        let done = unsafe { libc::madvise(chunk as *mut c_void, size, libc::MADV_POPULATE_READ) };
        if done != 0 {
            return;
        }
        chunk += size;
    }
}

/// Bytes mapped per `madvise` call. The kernel holds the address space's lock for reading
/// during a call, so the main thread's own `mmap`s and `brk`s (its heap growing) wait for
/// it: one call over the whole segment stalled them for up to the half millisecond it takes,
/// a quarter-mebibyte call for about twenty microseconds.
const CHUNK: usize = 256 << 10;

/// The address and length of the executable's largest executable segment (its code).
fn code_segment() -> Option<(usize, usize)> {
    unsafe extern "C" fn first_object(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: glibc passes a valid `info` whose `dlpi_phdr` points at `dlpi_phnum`
        // program headers, and `data` is the `Option` `code_segment` passed in.
        let (info, found) = unsafe { (&*info, &mut *(data as *mut Option<(usize, usize)>)) };
        let headers = match info.dlpi_phdr.is_null() {
            true => &[][..],
            // SAFETY: see above.
            false => unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum.into()) },
        };
        *found = headers
            .iter()
            .filter(|h| h.p_type == libc::PT_LOAD && h.p_flags & libc::PF_X != 0)
            .max_by_key(|h| h.p_memsz)
            .map(|h| (info.dlpi_addr as usize + h.p_vaddr as usize, h.p_memsz as usize));
        // The first object glibc reports is the executable itself: stop there.
        1
    }
    let mut found: Option<(usize, usize)> = None;
    // SAFETY: the callback only reads what glibc hands it and writes `found`, which outlives
    // the call.
    unsafe { libc::dl_iterate_phdr(Some(first_object), &mut found as *mut _ as *mut c_void) };
    found
}
