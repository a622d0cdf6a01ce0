// SPDX-License-Identifier: GPL-2.0
//! Helpers shared by the guest-side Rust tests of io_uring_spawn, on top of
//! the raw SQEs of the io-uring-spawn crate (samples/rust/io-uring-spawn).

use io_uring::{cqueue, squeue, IoUring};
use io_uring_spawn::raw::{CStrArray, RawSqe};
use std::ffi::CString;
use std::io;

/// The series' opcodes and feature bit, from the io-uring-spawn crate.
pub use io_uring_spawn::raw::{IORING_FEAT_SPAWN, IORING_OP_CLONE, IORING_OP_EXEC};

/// `IORING_OP_CLONE` with the default `clone_args`.
pub fn clone_sqe(user_data: u64, sqe_flags: u8) -> squeue::Entry {
    RawSqe {
        flags: sqe_flags,
        user_data,
        ..RawSqe::clone(None, None)
    }
    .into_entry()
}

/// A NULL-terminated array of C strings (`argv`, `envp`).
pub fn cstrs<S: AsRef<str>>(items: &[S]) -> CStrArray {
    CStrArray::new(
        items
            .iter()
            .map(|s| CString::new(s.as_ref()).unwrap())
            .collect(),
    )
}

/// `IORING_OP_EXEC`: execveat(AT_FDCWD, path, argv, envp, 0). The strings
/// must outlive the EXEC's completion.
pub fn exec_sqe(
    user_data: u64,
    sqe_flags: u8,
    path: &CString,
    argv: &CStrArray,
    envp: &CStrArray,
) -> squeue::Entry {
    RawSqe {
        flags: sqe_flags,
        user_data,
        ..RawSqe::exec(libc::AT_FDCWD, path, argv, envp)
    }
    .into_entry()
}

/// Submit `entries` in one go and wait for `wait` completions.
pub fn submit_wait(
    ring: &mut IoUring,
    entries: &[squeue::Entry],
    wait: usize,
) -> io::Result<Vec<cqueue::Entry>> {
    for e in entries {
        // SAFETY: the tests keep every buffer an entry points at alive
        // until its completion has been collected below.
        unsafe { ring.submission().push(e) }
            .map_err(|_| io::Error::from_raw_os_error(libc::EBUSY))?;
    }
    let mut out: Vec<cqueue::Entry> = Vec::new();
    ring.submit()?;
    while out.len() < wait {
        ring.submit_and_wait(1)?;
        out.extend(ring.completion());
    }
    out.sort_by_key(|c| c.user_data());
    Ok(out)
}

/// Submit `entries` in one go and return their completions.
pub fn submit_all(ring: &mut IoUring, entries: &[squeue::Entry]) -> io::Result<Vec<cqueue::Entry>> {
    submit_wait(ring, entries, entries.len())
}

/// Whether the running kernel reports `opcode` as supported.
pub fn opcode_supported(ring: &IoUring, opcode: u8) -> io::Result<bool> {
    let mut probe = io_uring::Probe::new();
    ring.submitter().register_probe(&mut probe)?;
    Ok(probe.is_supported(opcode))
}

/// waitpid() for `pid`; returns the raw status.
pub fn wait_pid(pid: i32) -> io::Result<i32> {
    let mut status = 0;
    // SAFETY: plain syscall with a valid out pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
    if r != pid {
        return Err(io::Error::last_os_error());
    }
    Ok(status)
}

/// Whether the kernel running this is one this series' numbers apply to.
pub fn is_spawn_kernel(ring: &IoUring) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    release.starts_with("6.12.") && opcode_supported(ring, IORING_OP_CLONE).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_sqe_puts_fields_where_the_uapi_says() {
        let path = CString::new("/bin/true").unwrap();
        let argv = cstrs(&["true"]);
        let envp = cstrs::<&str>(&[]);
        let e = exec_sqe(9, 1 << 2, &path, &argv, &envp);
        // SAFETY: Entry and RawSqe have the same layout (see
        // `RawSqe::into_entry`).
        let raw: RawSqe = unsafe { std::mem::transmute(e) };
        assert_eq!(raw.opcode, IORING_OP_EXEC);
        assert_eq!(raw.flags, 1 << 2);
        assert_eq!(raw.fd, libc::AT_FDCWD);
        assert_eq!(raw.addr, path.as_ptr() as u64);
        assert_eq!(raw.off, argv.as_ptr() as u64);
        assert_eq!(raw.addr3, envp.as_ptr() as u64);
        assert_eq!(raw.user_data, 9);
    }

    #[test]
    fn clone_sqe_is_a_bare_clone() {
        // SAFETY: as above.
        let raw: RawSqe = unsafe { std::mem::transmute(clone_sqe(3, 1 << 2)) };
        assert_eq!(
            (raw.opcode, raw.flags, raw.user_data),
            (IORING_OP_CLONE, 1 << 2, 3)
        );
        assert_eq!((raw.addr, raw.len, raw.off), (0, 0, 0));
    }

    #[test]
    fn cstrs_are_null_terminated() {
        let v = cstrs(&["a", "bc"]);
        // SAFETY: the array has three elements, the last NULL.
        unsafe {
            assert!(!(*v.as_ptr()).is_null());
            assert!(!(*v.as_ptr().add(1)).is_null());
            assert!((*v.as_ptr().add(2)).is_null());
        }
    }
}
