// SPDX-License-Identifier: GPL-2.0
//! Helpers shared by the guest-side Rust tests of io_uring_spawn: SQEs for
//! the spawn opcodes on top of the `io-uring` crate, which predates them.

use io_uring::{cqueue, squeue, IoUring};
use std::ffi::CString;
use std::io;
use std::os::raw::c_char;

/// The series' opcodes and feature bit (6.12 numbering).
pub const IORING_OP_CLONE: u8 = 58;
pub const IORING_OP_EXEC: u8 = 59;
pub const IORING_FEAT_SPAWN: u32 = 1 << 31;

/// `struct io_uring_sqe`, laid out as in the UAPI header.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub struct RawSqe {
    pub opcode: u8,
    pub flags: u8,
    pub ioprio: u16,
    pub fd: i32,
    pub off: u64,
    pub addr: u64,
    pub len: u32,
    pub op_flags: u32,
    pub user_data: u64,
    pub buf_index: u16,
    pub personality: u16,
    pub file_index: u32,
    pub addr3: u64,
    pub pad2: u64,
}

const _: () = assert!(std::mem::size_of::<RawSqe>() == 64);
const _: () = assert!(std::mem::size_of::<squeue::Entry>() == 64);

impl RawSqe {
    /// An SQE the `io-uring` crate can push.
    pub fn entry(self) -> squeue::Entry {
        // SAFETY: `squeue::Entry` is a `#[repr(C)]` wrapper around the
        // crate's `io_uring_sqe`, which is the UAPI struct, as `RawSqe` is;
        // both are 64 bytes (checked above) of plain integers.
        unsafe { std::mem::transmute::<RawSqe, squeue::Entry>(self) }
    }
}

/// `IORING_OP_CLONE` with the default `clone_args`.
pub fn clone_sqe(user_data: u64, sqe_flags: u8) -> squeue::Entry {
    RawSqe {
        opcode: IORING_OP_CLONE,
        flags: sqe_flags,
        user_data,
        ..Default::default()
    }
    .entry()
}

/// A NULL-terminated array of C strings that lives as long as the value.
pub struct CStrVec {
    _strings: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

impl CStrVec {
    pub fn new<S: AsRef<str>>(items: &[S]) -> Self {
        let strings: Vec<CString> = items
            .iter()
            .map(|s| CString::new(s.as_ref()).unwrap())
            .collect();
        let mut ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        CStrVec {
            _strings: strings,
            ptrs,
        }
    }

    pub fn as_ptr(&self) -> *const *const c_char {
        self.ptrs.as_ptr()
    }
}

/// `IORING_OP_EXEC`: execveat(dfd, path, argv, envp, flags). The strings
/// must outlive the EXEC's completion.
pub fn exec_sqe(
    user_data: u64,
    sqe_flags: u8,
    path: &CString,
    argv: &CStrVec,
    envp: &CStrVec,
) -> squeue::Entry {
    RawSqe {
        opcode: IORING_OP_EXEC,
        flags: sqe_flags,
        fd: libc::AT_FDCWD,
        addr: path.as_ptr() as u64,
        off: argv.as_ptr() as u64,
        addr3: envp.as_ptr() as u64,
        user_data,
        ..Default::default()
    }
    .entry()
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
        let argv = CStrVec::new(&["true"]);
        let envp = CStrVec::new::<&str>(&[]);
        let e = exec_sqe(9, 0, &path, &argv, &envp);
        // SAFETY: Entry and RawSqe have the same layout (see `entry`).
        let raw: RawSqe = unsafe { std::mem::transmute(e) };
        assert_eq!(raw.opcode, IORING_OP_EXEC);
        assert_eq!(raw.fd, libc::AT_FDCWD);
        assert_eq!(raw.addr, path.as_ptr() as u64);
        assert_eq!(raw.off, argv.as_ptr() as u64);
        assert_eq!(raw.addr3, envp.as_ptr() as u64);
        assert_eq!(raw.user_data, 9);
    }

    #[test]
    fn cstrvec_is_null_terminated() {
        let v = CStrVec::new(&["a", "bc"]);
        // SAFETY: the array has three elements, the last NULL.
        unsafe {
            assert!(!(*v.as_ptr()).is_null());
            assert!(!(*v.as_ptr().add(1)).is_null());
            assert!((*v.as_ptr().add(2)).is_null());
        }
    }
}
