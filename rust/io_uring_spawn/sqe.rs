// SPDX-License-Identifier: GPL-2.0

//! What the spawn opcodes accept from user space: SQE fields and
//! `struct clone_args`. Pure functions over plain values, so that KUnit can
//! test every rule directly.

use kernel::{bindings, prelude::*, uaccess::UserSlice};

/// The SQE fields the spawn opcodes look at (`struct io_spawn_sqe`).
pub(crate) type SqeFields = bindings::io_spawn_sqe;

/// `AT_*` flags an EXEC accepts, as execveat(2) does.
pub(crate) const EXEC_FLAGS: u32 = bindings::AT_EMPTY_PATH | bindings::AT_SYMLINK_NOFOLLOW;

/// `clone_args.flags` a CLONE accepts. `CLONE_CLEAR_SIGHAND` is always in
/// effect and is accepted for clone3 compatibility.
pub(crate) const CLONE_FLAGS: u64 =
    bindings::CLONE_PIDFD as u64 | bindings::CLONE_INTO_CGROUP | bindings::CLONE_CLEAR_SIGHAND;

/// Size of `struct clone_args` as this kernel knows it (`CLONE_ARGS_SIZE_VER2`).
pub(crate) const CLONE_ARGS_SIZE: usize = 88;
const CLONE_ARGS_SIZE_VER0: usize = 64;
const CSIGNAL: u64 = 0xff;
const NSIG: u64 = 64;

/// What a CLONE asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CloneOpts {
    /// `CLONE_PIDFD` and/or `CLONE_INTO_CGROUP`.
    pub(crate) flags: u64,
    /// User address of the `int` that receives the pidfd.
    pub(crate) pidfd: u64,
    /// Signal sent to the parent when the child exits.
    pub(crate) exit_signal: u32,
    /// cgroup2 directory fd for `CLONE_INTO_CGROUP`.
    pub(crate) cgroup: u32,
}

impl Default for CloneOpts {
    fn default() -> Self {
        CloneOpts {
            flags: 0,
            pidfd: 0,
            exit_signal: bindings::SIGCHLD,
            cgroup: 0,
        }
    }
}

/// Where a CLONE's `struct clone_args` is, if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CloneArgsRef {
    pub(crate) addr: u64,
    pub(crate) len: u32,
}

/// Where a CLONE's user data is: `struct clone_args` and
/// `struct io_uring_spawn_attr`, each optional.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CloneSqe {
    pub(crate) args: Option<CloneArgsRef>,
    /// User address of the attributes (`sqe->addr2`), 0 for none.
    pub(crate) attr: u64,
}

/// Checks a CLONE SQE: only `addr`/`len` (together) and `addr2` may be set.
pub(crate) fn clone_sqe(s: &SqeFields) -> Result<CloneSqe> {
    if s.addr3 != 0
        || s.pad2 != 0
        || s.op_flags != 0
        || s.fd != 0
        || s.file_index != 0
        || s.ioprio != 0
        || s.buf_index != 0
        || s.personality != 0
    {
        return Err(EINVAL);
    }
    let args = match (s.addr, s.len) {
        (0, 0) => None,
        (0, _) | (_, 0) => return Err(EINVAL),
        (addr, len) => Some(CloneArgsRef { addr, len }),
    };
    Ok(CloneSqe { args, attr: s.off })
}

/// What an EXEC runs: execveat(2)'s arguments, as user addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExecArgs {
    pub(crate) dfd: i32,
    pub(crate) filename: u64,
    pub(crate) argv: u64,
    pub(crate) envp: u64,
    pub(crate) flags: u32,
}

/// Checks an EXEC SQE: `fd`, `addr`, `addr2`, `addr3`, `execve_flags`.
pub(crate) fn exec_sqe(s: &SqeFields) -> Result<ExecArgs> {
    if s.len != 0
        || s.pad2 != 0
        || s.file_index != 0
        || s.ioprio != 0
        || s.buf_index != 0
        || s.personality != 0
    {
        return Err(EINVAL);
    }
    if s.op_flags & !EXEC_FLAGS != 0 {
        return Err(EINVAL);
    }
    Ok(ExecArgs {
        dfd: s.fd,
        filename: s.addr,
        argv: s.off,
        envp: s.addr3,
        flags: s.op_flags,
    })
}

fn field(buf: &[u8], offset: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[offset..offset + 8]);
    u64::from_ne_bytes(b)
}

fn field32(buf: &[u8], offset: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[offset..offset + 4]);
    u32::from_ne_bytes(b)
}

/// Checks a `struct clone_args` whose first `len` bytes (zero-filled past
/// `len`) are in `buf`; the caller has checked the bytes past
/// [`CLONE_ARGS_SIZE`] are zero. The size rules are clone3's.
pub(crate) fn parse_clone_args(buf: &[u8; CLONE_ARGS_SIZE], len: usize) -> Result<CloneOpts> {
    if len < CLONE_ARGS_SIZE_VER0 {
        return Err(EINVAL);
    }
    let flags = field(buf, 0);
    let pidfd = field(buf, 8);
    let exit_signal = field(buf, 32);
    let cgroup = field(buf, 80);
    // child_tid, parent_tid, stack, stack_size, tls, set_tid, set_tid_size:
    // a blank child that execs has no use for any of them.
    if [16, 24, 40, 48, 56, 64, 72]
        .iter()
        .any(|&o| field(buf, o) != 0)
    {
        return Err(EINVAL);
    }
    if flags & !CLONE_FLAGS != 0 {
        return Err(EINVAL);
    }
    if exit_signal & !CSIGNAL != 0 || exit_signal > NSIG {
        return Err(EINVAL);
    }
    // As clone3: the pidfd address counts only with CLONE_PIDFD.
    let want_pidfd = flags & bindings::CLONE_PIDFD as u64 != 0;
    if want_pidfd && pidfd == 0 {
        return Err(EINVAL);
    }
    let pidfd = if want_pidfd { pidfd } else { 0 };
    let into_cgroup = flags & bindings::CLONE_INTO_CGROUP != 0;
    if into_cgroup && (cgroup > i32::MAX as u64 || len < CLONE_ARGS_SIZE) {
        return Err(EINVAL);
    }
    if !into_cgroup && cgroup != 0 {
        return Err(EINVAL);
    }
    Ok(CloneOpts {
        flags: flags & !bindings::CLONE_CLEAR_SIGHAND,
        pidfd,
        exit_signal: exit_signal as u32,
        cgroup: cgroup as u32,
    })
}

/// Reads and checks the `struct clone_args` a CLONE SQE points at.
pub(crate) fn read_clone_args(at: CloneArgsRef) -> Result<CloneOpts> {
    let len = at.len as usize;
    if len > kernel::page::PAGE_SIZE {
        return Err(E2BIG);
    }
    if len < CLONE_ARGS_SIZE_VER0 {
        return Err(EINVAL);
    }
    let mut reader = UserSlice::new(at.addr as usize, len).reader();
    let mut buf = [0u8; CLONE_ARGS_SIZE];
    let known = len.min(CLONE_ARGS_SIZE);
    reader.read_slice(&mut buf[..known])?;
    // A newer struct than ours: what we do not know must be zero.
    let mut tail = [0u8; 64];
    while !reader.is_empty() {
        let n = reader.len().min(tail.len());
        reader.read_slice(&mut tail[..n])?;
        if tail[..n].iter().any(|&b| b != 0) {
            return Err(E2BIG);
        }
    }
    parse_clone_args(&buf, len)
}

/// Size of `struct io_uring_spawn_attr`.
pub(crate) const SPAWN_ATTR_SIZE: usize = 64;

/// `struct io_uring_spawn_attr.flags` this kernel knows.
pub(crate) const SPAWN_ATTR_FLAGS: u32 = bindings::IORING_SPAWN_SETSID
    | bindings::IORING_SPAWN_SETPGROUP
    | bindings::IORING_SPAWN_SETSIGMASK
    | bindings::IORING_SPAWN_SETSIGDEF
    | bindings::IORING_SPAWN_RESETIDS;

// The attributes keep each signal set in one u64 (bit n - 1 = signal n).
kernel::static_assert!(bindings::_NSIG <= 64);

/// The posix_spawn attributes a CLONE asks the child to apply to itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SpawnAttr {
    pub(crate) flags: u32,
    pub(crate) pgid: i32,
    pub(crate) sigmask: u64,
    pub(crate) sigdefault: u64,
}

impl SpawnAttr {
    pub(crate) fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

/// Checks a `struct io_uring_spawn_attr`: known flags only, each field set
/// only with its flag, reserved bytes zero, no signal above `_NSIG`.
pub(crate) fn parse_spawn_attr(buf: &[u8; SPAWN_ATTR_SIZE]) -> Result<SpawnAttr> {
    let flags = field32(buf, 0);
    let pgid = field32(buf, 4) as i32;
    let (sigmask, sigmask_hi) = (field(buf, 8), field(buf, 16));
    let (sigdefault, sigdefault_hi) = (field(buf, 24), field(buf, 32));
    if flags & !SPAWN_ATTR_FLAGS != 0 || [40, 48, 56].iter().any(|&o| field(buf, o) != 0) {
        return Err(EINVAL);
    }
    let attr = SpawnAttr {
        flags,
        pgid,
        sigmask,
        sigdefault,
    };
    let unused = |flag, nonzero: bool| !attr.has(flag) && nonzero;
    if pgid < 0
        || unused(bindings::IORING_SPAWN_SETPGROUP, pgid != 0)
        || unused(bindings::IORING_SPAWN_SETSIGMASK, sigmask != 0)
        || unused(bindings::IORING_SPAWN_SETSIGDEF, sigdefault != 0)
        || sigmask_hi != 0
        || sigdefault_hi != 0
    {
        return Err(EINVAL);
    }
    Ok(attr)
}

/// Reads and checks the `struct io_uring_spawn_attr` at user address `addr`.
pub(crate) fn read_spawn_attr(addr: u64) -> Result<SpawnAttr> {
    let mut buf = [0u8; SPAWN_ATTR_SIZE];
    UserSlice::new(addr as usize, SPAWN_ATTR_SIZE)
        .reader()
        .read_slice(&mut buf)?;
    parse_spawn_attr(&buf)
}

/// Every SQE field but those listed is zero.
fn only(s: &SqeFields, fd: bool, addr: bool, len: bool, op_flags: bool) -> Result {
    if s.off != 0
        || s.addr3 != 0
        || s.pad2 != 0
        || s.file_index != 0
        || s.ioprio != 0
        || s.buf_index != 0
        || s.personality != 0
        || (!fd && s.fd != 0)
        || (!addr && s.addr != 0)
        || (!len && s.len != 0)
        || (!op_flags && s.op_flags != 0)
    {
        return Err(EINVAL);
    }
    Ok(())
}

/// `sqe->dup_flags` a DUP accepts.
pub(crate) const DUP_FLAGS: u32 =
    bindings::IORING_DUP_CLOEXEC | bindings::IORING_DUP_FROM_PREV | bindings::IORING_DUP_MOVE;

/// What a DUP does: dup2 in the child, with options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DupArgs {
    /// The source fd, unless `from_prev`.
    pub(crate) fd: i32,
    pub(crate) target: u32,
    pub(crate) cloexec: bool,
    /// The source is the fd the request before this one returned.
    pub(crate) from_prev: bool,
    /// Close the source once duplicated.
    pub(crate) move_: bool,
}

/// Checks a DUP SQE: `fd`, `len` (the target) and `dup_flags`.
pub(crate) fn dup_sqe(s: &SqeFields) -> Result<DupArgs> {
    only(s, true, false, true, true)?;
    let flags = s.op_flags;
    if flags & !DUP_FLAGS != 0 {
        return Err(EINVAL);
    }
    let from_prev = flags & bindings::IORING_DUP_FROM_PREV != 0;
    if from_prev && s.fd != 0 {
        return Err(EINVAL);
    }
    Ok(DupArgs {
        fd: s.fd,
        target: s.len,
        cloexec: flags & bindings::IORING_DUP_CLOEXEC != 0,
        from_prev,
        move_: flags & bindings::IORING_DUP_MOVE != 0,
    })
}

/// What a CHDIR does: chdir(path) relative to `dfd`, or fchdir(dfd) when
/// there is no path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ChdirArgs {
    pub(crate) dfd: i32,
    /// User address of the path, 0 for fchdir.
    pub(crate) path: u64,
}

/// Checks a CHDIR SQE: `fd` and `addr`.
pub(crate) fn chdir_sqe(s: &SqeFields) -> Result<ChdirArgs> {
    only(s, true, true, false, false)?;
    Ok(ChdirArgs {
        dfd: s.fd,
        path: s.addr,
    })
}

/// What a CLOSE_RANGE does: close_range(2) in the child.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CloseRangeArgs {
    pub(crate) first: u32,
    pub(crate) last: u32,
    pub(crate) flags: u32,
}

/// Checks a CLOSE_RANGE SQE: `fd` (first), `len` (last) and
/// `close_range_flags`. `CLOSE_RANGE_UNSHARE` has no use: the child's fd
/// table is its own.
pub(crate) fn close_range_sqe(s: &SqeFields) -> Result<CloseRangeArgs> {
    only(s, true, false, true, true)?;
    let first = s.fd as u32;
    if s.op_flags & !bindings::CLOSE_RANGE_CLOEXEC != 0 || first > s.len {
        return Err(EINVAL);
    }
    Ok(CloseRangeArgs {
        first,
        last: s.len,
        flags: s.op_flags,
    })
}
