// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The io_uring_spawn UAPI (6.12 numbering) as this crate uses it, and the
//! raw SQEs for it on top of the `io-uring` crate, which predates the
//! opcodes.

use io_uring::squeue;
use std::ffi::{c_char, CStr, CString};
use std::io;

pub(crate) const IORING_OP_OPENAT: u8 = 18;
pub(crate) const IORING_OP_CLONE: u8 = 58;
pub(crate) const IORING_OP_EXEC: u8 = 59;
pub(crate) const IORING_OP_DUP: u8 = 60;
pub(crate) const IORING_OP_CHDIR: u8 = 61;

pub(crate) const IORING_FEAT_SPAWN: u32 = 1 << 31;

pub(crate) const IOSQE_IO_LINK: u8 = 1 << 2;
pub(crate) const IOSQE_IO_HARDLINK: u8 = 1 << 3;

pub(crate) const IORING_DUP_FROM_PREV: u32 = 1 << 1;
pub(crate) const IORING_DUP_MOVE: u32 = 1 << 2;

pub(crate) const IORING_SPAWN_SETPGROUP: u32 = 1 << 1;
pub(crate) const IORING_SPAWN_SETSIGMASK: u32 = 1 << 2;
pub(crate) const IORING_SPAWN_SETSIGDEF: u32 = 1 << 3;

pub(crate) const CLONE_PIDFD: u64 = 0x1000;

/// `struct io_uring_sqe`, as the UAPI header lays it out (the unions are
/// named after the members this crate uses).
#[repr(C)]
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawSqe {
    pub opcode: u8,
    pub flags: u8,
    pub ioprio: u16,
    pub fd: i32,
    /// `off` / `addr2`
    pub off: u64,
    pub addr: u64,
    pub len: u32,
    /// `rw_flags` union: `open_flags`, `execve_flags`, `dup_flags`,
    /// `close_range_flags`
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
const _: () = assert!(std::mem::align_of::<RawSqe>() == std::mem::align_of::<squeue::Entry>());

impl RawSqe {
    /// The same 64 bytes as an entry the `io-uring` crate pushes.
    pub(crate) fn into_entry(self) -> squeue::Entry {
        // SAFETY: `squeue::Entry` is a `#[repr(C)]` struct whose only field
        // is the crate's bindgen'ed `io_uring_sqe`, the UAPI struct that
        // `RawSqe` also mirrors field for field. Same size and alignment
        // (checked at compile time above), and every bit pattern is valid for
        // both: they are plain integers and unions of integers.
        unsafe { std::mem::transmute::<RawSqe, squeue::Entry>(self) }
    }

    /// `IORING_OP_CLONE`: `args` is an optional `clone_args`, `attr` the
    /// spawn attributes.
    pub(crate) fn clone(args: Option<&CloneArgs>, attr: Option<&SpawnAttr>) -> Self {
        RawSqe {
            opcode: IORING_OP_CLONE,
            addr: args.map_or(0, |a| a as *const CloneArgs as u64),
            len: args.map_or(0, |_| std::mem::size_of::<CloneArgs>() as u32),
            off: attr.map_or(0, |a| a as *const SpawnAttr as u64),
            ..Default::default()
        }
    }

    /// `IORING_OP_OPENAT` (`openat(dirfd, path, flags, mode)`).
    pub(crate) fn openat(dirfd: i32, path: &CStr, flags: i32, mode: u32) -> Self {
        RawSqe {
            opcode: IORING_OP_OPENAT,
            fd: dirfd,
            addr: path.as_ptr() as u64,
            len: mode,
            op_flags: flags as u32,
            ..Default::default()
        }
    }

    /// `IORING_OP_DUP`: `dup2(source, target)` in the child.
    pub(crate) fn dup(source: i32, target: i32, dup_flags: u32) -> Self {
        RawSqe {
            opcode: IORING_OP_DUP,
            fd: source,
            len: target as u32,
            op_flags: dup_flags,
            ..Default::default()
        }
    }

    /// `IORING_OP_CHDIR`: `chdir(path)` relative to `dirfd`.
    pub(crate) fn chdir(dirfd: i32, path: &CStr) -> Self {
        RawSqe {
            opcode: IORING_OP_CHDIR,
            fd: dirfd,
            addr: path.as_ptr() as u64,
            ..Default::default()
        }
    }

    /// `IORING_OP_EXEC`: `execveat(dirfd, path, argv, envp, 0)`.
    pub(crate) fn exec(dirfd: i32, path: &CStr, argv: &CStrArray, envp: &CStrArray) -> Self {
        RawSqe {
            opcode: IORING_OP_EXEC,
            fd: dirfd,
            addr: path.as_ptr() as u64,
            off: argv.as_ptr() as u64,
            addr3: envp.as_ptr() as u64,
            ..Default::default()
        }
    }
}

/// `struct clone_args` (clone3's, `CLONE_ARGS_SIZE_VER2`).
#[repr(C)]
#[derive(Default, Debug)]
pub(crate) struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}

const _: () = assert!(std::mem::size_of::<CloneArgs>() == 88);

/// `struct io_uring_spawn_attr`.
#[repr(C)]
#[derive(Default, Debug)]
pub(crate) struct SpawnAttr {
    pub flags: u32,
    pub pgid: i32,
    pub sigmask: [u64; 2],
    pub sigdefault: [u64; 2],
    pub resv: [u64; 3],
}

const _: () = assert!(std::mem::size_of::<SpawnAttr>() == 64);

impl SpawnAttr {
    /// Adds signal `sig` to a 128-bit UAPI signal set (bit `sig - 1`).
    pub(crate) fn add(set: &mut [u64; 2], sig: i32) {
        let bit = (sig - 1) as u32;
        set[(bit / 64) as usize] |= 1 << (bit % 64);
    }
}

/// A NULL-terminated array of C strings (`argv`, `envp`) whose pointers stay
/// valid as long as the value lives, wherever the value moves.
pub(crate) struct CStrArray {
    strings: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

impl CStrArray {
    pub(crate) fn new(strings: Vec<CString>) -> Self {
        let mut ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        CStrArray { strings, ptrs }
    }

    pub(crate) fn as_ptr(&self) -> *const *const c_char {
        self.ptrs.as_ptr()
    }

    #[cfg(test)]
    pub(crate) fn strings(&self) -> &[CString] {
        &self.strings
    }
}

impl std::fmt::Debug for CStrArray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.strings.iter()).finish()
    }
}

/// A `-1`-on-error return value as an `io::Result`.
pub(crate) fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// `cvt`, retrying on `EINTR`.
pub(crate) fn cvt_r(mut f: impl FnMut() -> libc::c_int) -> io::Result<libc::c_int> {
    loop {
        match cvt(f()) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(e: squeue::Entry) -> RawSqe {
        // SAFETY: same layout, see `RawSqe::into_entry`.
        unsafe { std::mem::transmute::<squeue::Entry, RawSqe>(e) }
    }

    #[test]
    fn dup_fields() {
        let e = RawSqe::dup(7, 1, IORING_DUP_MOVE).into_entry();
        let r = raw(e);
        assert_eq!(r.opcode, 60);
        assert_eq!((r.fd, r.len, r.op_flags), (7, 1, IORING_DUP_MOVE));
        assert_eq!((r.addr, r.off, r.addr3, r.user_data), (0, 0, 0, 0));
    }

    #[test]
    fn entry_user_data_lands_where_the_crate_reads_it() {
        let e = RawSqe::chdir(libc::AT_FDCWD, c"/")
            .into_entry()
            .user_data(0x1234_5678);
        let r = raw(e);
        assert_eq!(r.user_data, 0x1234_5678);
        assert_eq!(r.opcode, IORING_OP_CHDIR);
        assert_eq!(r.fd, libc::AT_FDCWD);
    }

    #[test]
    fn exec_and_clone_fields() {
        let argv = CStrArray::new(vec![CString::new("a").unwrap()]);
        let envp = CStrArray::new(vec![]);
        let r = raw(RawSqe::exec(libc::AT_FDCWD, c"/bin/true", &argv, &envp).into_entry());
        assert_eq!(r.opcode, IORING_OP_EXEC);
        assert_eq!(r.off, argv.as_ptr() as u64);
        assert_eq!(r.addr3, envp.as_ptr() as u64);
        let args = CloneArgs::default();
        let attr = SpawnAttr::default();
        let r = raw(RawSqe::clone(Some(&args), Some(&attr)).into_entry());
        assert_eq!(r.opcode, IORING_OP_CLONE);
        assert_eq!(r.addr, &args as *const _ as u64);
        assert_eq!(r.len, 88);
        assert_eq!(r.off, &attr as *const _ as u64);
    }

    #[test]
    fn signal_sets() {
        let mut set = [0u64; 2];
        SpawnAttr::add(&mut set, libc::SIGPIPE);
        SpawnAttr::add(&mut set, 64);
        SpawnAttr::add(&mut set, 65);
        assert_eq!(set, [(1 << 12) | (1 << 63), 1]);
    }

    #[test]
    fn cstr_array_is_null_terminated() {
        let a = CStrArray::new(vec![CString::new("x").unwrap()]);
        // SAFETY: two elements, the last one NULL.
        unsafe {
            assert!(!(*a.as_ptr()).is_null());
            assert!((*a.as_ptr().add(1)).is_null());
        }
        assert_eq!(a.strings().len(), 1);
    }
}
