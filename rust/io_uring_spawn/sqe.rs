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

/// Checks a CLONE SQE: only `addr`/`len` may be set, and only together.
pub(crate) fn clone_sqe(s: &SqeFields) -> Result<Option<CloneArgsRef>> {
    if s.off != 0
        || s.addr3 != 0
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
    match (s.addr, s.len) {
        (0, 0) => Ok(None),
        (0, _) | (_, 0) => Err(EINVAL),
        (addr, len) => Ok(Some(CloneArgsRef { addr, len })),
    }
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

fn field(buf: &[u8; CLONE_ARGS_SIZE], offset: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[offset..offset + 8]);
    u64::from_ne_bytes(b)
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
    let want_pidfd = flags & bindings::CLONE_PIDFD as u64 != 0;
    if want_pidfd != (pidfd != 0) {
        return Err(EINVAL);
    }
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
