// SPDX-License-Identifier: GPL-2.0

//! The opcodes that exist for spawn chains: `IORING_OP_DUP` (dup2),
//! `IORING_OP_CHDIR` (chdir/fchdir) and `IORING_OP_CLOSE_RANGE`.
//!
//! With OPENAT, CLOSE and the CLONE attributes they express every
//! posix_spawn file action. They act on the current task's fd table and fs
//! state, which only in the child is a private copy; in the submitter's
//! context they would duplicate what dup2(2), chdir(2) and close_range(2)
//! already do, so they run only in a chain and complete with `-EINVAL`
//! anywhere else.

use core::ffi::c_int;
use kernel::{bindings, prelude::*};

use crate::req::{fits, ChainCmd, Cmd, ReqFlags, ReqRef, OP_CHDIR, OP_CLOSE_RANGE, OP_DUP};
use crate::sqe::{self, ChdirArgs, CloseRangeArgs, DupArgs, SqeFields};

/// A DUP's data between prep and issue.
pub(crate) type DupCmd = ChainCmd<DupArgs>;
/// A CHDIR's data between prep and issue.
pub(crate) type ChdirCmd = ChainCmd<ChdirArgs>;
/// A CLOSE_RANGE's data between prep and issue.
pub(crate) type CloseRangeCmd = ChainCmd<CloseRangeArgs>;

// SAFETY: `ChainCmd` is `repr(C)` and starts with the pointer slot of its
// `ChainHead`; it fits the command area (`fits` below) and is only stored
// in DUP requests.
unsafe impl Cmd for DupCmd {
    const OPCODE: u8 = OP_DUP;
}

// SAFETY: as above, only in CHDIR requests.
unsafe impl Cmd for ChdirCmd {
    const OPCODE: u8 = OP_CHDIR;
}

// SAFETY: as above, only in CLOSE_RANGE requests.
unsafe impl Cmd for CloseRangeCmd {
    const OPCODE: u8 = OP_CLOSE_RANGE;
}

kernel::static_assert!(fits::<DupCmd>());
kernel::static_assert!(fits::<ChdirCmd>());
kernel::static_assert!(fits::<CloseRangeCmd>());

/// Request flags none of these opcodes take: their fds are the child's,
/// not fixed files, and a personality would run a step with other creds.
fn check_flags(req: &ReqRef<'_>) -> Result {
    if req.flags().has(ReqFlags::FIXED_FILE | ReqFlags::CREDS) {
        return Err(EINVAL);
    }
    Ok(())
}

/// The command data of a chain-only request, if it is running in a chain.
fn in_chain<'a, T>(req: &'a ReqRef<'_>) -> Result<&'a ChainCmd<T>>
where
    ChainCmd<T>: Cmd,
{
    let cmd = req.cmd::<ChainCmd<T>>();
    if !cmd.head.in_chain {
        return Err(EINVAL);
    }
    Ok(cmd)
}

fn to_result(ret: c_int) -> Result<i32> {
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(ret)
}

pub(crate) fn dup_prep(req: &mut ReqRef<'_>, sqe: &SqeFields) -> Result {
    check_flags(req)?;
    req.set_cmd(DupCmd::new(sqe::dup_sqe(sqe)?));
    Ok(())
}

/// dup2 in the child; returns the target fd.
pub(crate) fn dup_issue(req: &ReqRef<'_>) -> Result<i32> {
    let cmd = in_chain::<DupArgs>(req)?;
    let a = cmd.args;
    let fd = if a.from_prev { cmd.head.prev_fd } else { a.fd };
    if fd < 0 {
        return Err(EBADF);
    }
    // SAFETY: FFI call acting on the current task's fd table.
    to_result(unsafe { bindings::io_spawn_do_dup(fd, a.target, a.cloexec, a.move_) })
}

pub(crate) fn chdir_prep(req: &mut ReqRef<'_>, sqe: &SqeFields) -> Result {
    check_flags(req)?;
    req.set_cmd(ChdirCmd::new(sqe::chdir_sqe(sqe)?));
    Ok(())
}

/// chdir (or fchdir, without a path) in the child.
pub(crate) fn chdir_issue(req: &ReqRef<'_>) -> Result<i32> {
    let a = in_chain::<ChdirArgs>(req)?.args;
    let ret = if a.path == 0 {
        // SAFETY: FFI call acting on the current task's fs state.
        unsafe { bindings::io_spawn_do_fchdir(a.dfd) }
    } else {
        // SAFETY: the path is a user address, read with the usual checks
        // from the mm the child shares with the submitter.
        unsafe { bindings::io_spawn_do_chdir(a.dfd, a.path as usize as *const _) }
    };
    to_result(ret)
}

pub(crate) fn close_range_prep(req: &mut ReqRef<'_>, sqe: &SqeFields) -> Result {
    check_flags(req)?;
    req.set_cmd(CloseRangeCmd::new(sqe::close_range_sqe(sqe)?));
    Ok(())
}

/// close_range in the child.
pub(crate) fn close_range_issue(req: &ReqRef<'_>) -> Result<i32> {
    let a = in_chain::<CloseRangeArgs>(req)?.args;
    // SAFETY: FFI call acting on the current task's fd table.
    to_result(unsafe { bindings::io_spawn_do_close_range(a.first, a.last, a.flags) })
}
