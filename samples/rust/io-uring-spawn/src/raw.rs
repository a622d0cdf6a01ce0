// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The io_uring_spawn UAPI (6.12 numbering) and raw SQEs for it on top of
//! the `io-uring` crate, which predates the opcodes: for callers (and tests)
//! that build chains by hand rather than through [`Command`](crate::Command).
//! Documentation/userspace-api/io_uring_spawn.rst in the kernel tree says
//! what each field means.

use io_uring::squeue;
use std::ffi::{c_char, CStr, CString};

/// `openat(2)` as a request.
pub const IORING_OP_OPENAT: u8 = 18;
/// Creates the blank child that runs the requests linked after it.
pub const IORING_OP_CLONE: u8 = 58;
/// Ends a chain: `execveat(2)` in the child.
pub const IORING_OP_EXEC: u8 = 59;
/// `dup2(2)` in the child.
pub const IORING_OP_DUP: u8 = 60;
/// `chdir(2)` or `fchdir(2)` in the child.
pub const IORING_OP_CHDIR: u8 = 61;

/// In `io_uring_params.features`: the kernel has the spawn opcodes.
pub const IORING_FEAT_SPAWN: u32 = 1 << 31;

/// The next SQE runs after this one if this one succeeds.
pub const IOSQE_IO_LINK: u8 = 1 << 2;
/// The next SQE runs after this one whatever its result.
pub const IOSQE_IO_HARDLINK: u8 = 1 << 3;

/// DUP: the source is the fd the previous request returned.
pub const IORING_DUP_FROM_PREV: u32 = 1 << 1;
/// DUP: the source is closed once duplicated.
pub const IORING_DUP_MOVE: u32 = 1 << 2;

/// Spawn attribute: the child joins process group `pgid`.
pub const IORING_SPAWN_SETPGROUP: u32 = 1 << 1;
/// Spawn attribute: the child's signal mask is `sigmask`.
pub const IORING_SPAWN_SETSIGMASK: u32 = 1 << 2;
/// Spawn attribute: the signals in `sigdefault` get `SIG_DFL`.
pub const IORING_SPAWN_SETSIGDEF: u32 = 1 << 3;

/// `clone_args.flags`: write a pidfd to `clone_args.pidfd`.
pub const CLONE_PIDFD: u64 = 0x1000;

/// `struct io_uring_sqe`, as the UAPI header lays it out (the unions are
/// named after the members this crate uses).
#[repr(C)]
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawSqe {
    /// `IORING_OP_*`
    pub opcode: u8,
    /// `IOSQE_*`
    pub flags: u8,
    /// `ioprio`
    pub ioprio: u16,
    /// `fd`: the dirfd of OPENAT, CHDIR and EXEC, the source of a DUP
    pub fd: i32,
    /// `off` / `addr2`: EXEC's `argv`, CLONE's spawn attributes
    pub off: u64,
    /// `addr`: a path, or CLONE's `clone_args`
    pub addr: u64,
    /// `len`: a mode, a DUP's target, the size of CLONE's `clone_args`
    pub len: u32,
    /// `rw_flags` union: `open_flags`, `execve_flags`, `dup_flags`,
    /// `close_range_flags`
    pub op_flags: u32,
    /// `user_data`, returned in the CQE
    pub user_data: u64,
    /// `buf_index`
    pub buf_index: u16,
    /// `personality`
    pub personality: u16,
    /// `file_index` / `splice_fd_in`
    pub file_index: u32,
    /// `addr3`: EXEC's `envp`
    pub addr3: u64,
    /// `__pad2[0]`
    pub pad2: u64,
}

const _: () = assert!(std::mem::size_of::<RawSqe>() == 64);
const _: () = assert!(std::mem::size_of::<squeue::Entry>() == 64);
const _: () = assert!(std::mem::align_of::<RawSqe>() == std::mem::align_of::<squeue::Entry>());

impl RawSqe {
    /// The same 64 bytes as an entry the `io-uring` crate pushes.
    pub fn into_entry(self) -> squeue::Entry {
        // SAFETY: `squeue::Entry` is a `#[repr(C)]` struct whose only field
        // is the crate's bindgen'ed `io_uring_sqe`, the UAPI struct that
        // `RawSqe` also mirrors field for field. Same size and alignment
        // (checked at compile time above), and every bit pattern is valid for
        // both: they are plain integers and unions of integers.
        unsafe { std::mem::transmute::<RawSqe, squeue::Entry>(self) }
    }

    /// `IORING_OP_CLONE`: `args` is an optional `clone_args`, `attr` the
    /// spawn attributes.
    pub fn clone(args: Option<&CloneArgs>, attr: Option<&SpawnAttr>) -> Self {
        RawSqe {
            opcode: IORING_OP_CLONE,
            addr: args.map_or(0, |a| a as *const CloneArgs as u64),
            len: args.map_or(0, |_| std::mem::size_of::<CloneArgs>() as u32),
            off: attr.map_or(0, |a| a as *const SpawnAttr as u64),
            ..Default::default()
        }
    }

    /// `IORING_OP_OPENAT` (`openat(dirfd, path, flags, mode)`).
    pub fn openat(dirfd: i32, path: &CStr, flags: i32, mode: u32) -> Self {
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
    pub fn dup(source: i32, target: i32, dup_flags: u32) -> Self {
        RawSqe {
            opcode: IORING_OP_DUP,
            fd: source,
            len: target as u32,
            op_flags: dup_flags,
            ..Default::default()
        }
    }

    /// `IORING_OP_CHDIR`: `chdir(path)` relative to `dirfd`.
    pub fn chdir(dirfd: i32, path: &CStr) -> Self {
        RawSqe {
            opcode: IORING_OP_CHDIR,
            fd: dirfd,
            addr: path.as_ptr() as u64,
            ..Default::default()
        }
    }

    /// `IORING_OP_EXEC`: `execveat(dirfd, path, argv, envp, 0)`.
    pub fn exec(dirfd: i32, path: &CStr, argv: &CStrArray, envp: &CStrArray) -> Self {
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
#[allow(missing_docs)] // clone3(2)'s, documented there
pub struct CloneArgs {
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
pub struct SpawnAttr {
    /// `IORING_SPAWN_*`: which of the fields below apply
    pub flags: u32,
    /// The process group for `IORING_SPAWN_SETPGROUP` (0: the child's pid)
    pub pgid: i32,
    /// The signal mask for `IORING_SPAWN_SETSIGMASK` (see [`SpawnAttr::add`])
    pub sigmask: [u64; 2],
    /// The signals reset by `IORING_SPAWN_SETSIGDEF`
    pub sigdefault: [u64; 2],
    /// Reserved, zero
    pub resv: [u64; 3],
}

const _: () = assert!(std::mem::size_of::<SpawnAttr>() == 64);

impl SpawnAttr {
    /// Adds signal `sig` to a 128-bit UAPI signal set (bit `sig - 1`).
    pub fn add(set: &mut [u64; 2], sig: i32) {
        let bit = (sig - 1) as u32;
        set[(bit / 64) as usize] |= 1 << (bit % 64);
    }
}

/// A NULL-terminated array of C strings (`argv`, `envp`) whose pointers stay
/// valid as long as the value lives, wherever the value moves.
pub struct CStrArray {
    strings: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

impl CStrArray {
    /// The array of `strings`, NULL-terminated.
    pub fn new(strings: Vec<CString>) -> Self {
        let mut ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        CStrArray { strings, ptrs }
    }

    /// The array as `execve(2)` takes it.
    pub fn as_ptr(&self) -> *const *const c_char {
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
