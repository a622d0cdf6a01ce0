// SPDX-License-Identifier: GPL-2.0

//! The fd and cwd opcodes that exist for spawn chains: `IORING_OP_DUP`
//! (dup2), `IORING_OP_CHDIR` (chdir/fchdir) and `IORING_OP_CLOSE_RANGE`.
//!
//! With OPENAT, CLOSE and the CLONE attributes they express every
//! posix_spawn file action. They act on the current task's fd table and fs
//! state, which only in the child is a private copy; in the submitter's
//! context they would duplicate what dup2(2), chdir(2) and close_range(2)
//! already do, so they run only in a chain and complete with `-EINVAL`
//! anywhere else.

use kernel::prelude::*;

use crate::abstractions::io_uring::{op, IssueReq, Issued, Opcode, PrepReq, ReqFlags, Sqe};
use crate::abstractions::{file, fs, uapi};
use crate::chain::ChainCmd;

/// Request flags none of these opcodes take: their fds are the child's,
/// not fixed files, and a personality would run a step with other creds.
fn check_flags(req: &PrepReq<'_>) -> Result {
    if req.flags().has(ReqFlags::FIXED_FILE | ReqFlags::CREDS) {
        return Err(EINVAL);
    }
    Ok(())
}

/// Every SQE field but those listed is zero.
fn only(s: &Sqe, fd: bool, addr: bool, len: bool, op_flags: bool) -> Result {
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
    uapi::IORING_DUP_CLOEXEC | uapi::IORING_DUP_FROM_PREV | uapi::IORING_DUP_MOVE;

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
pub(crate) fn dup_sqe(s: &Sqe) -> Result<DupArgs> {
    only(s, true, false, true, true)?;
    let flags = s.op_flags;
    if flags & !DUP_FLAGS != 0 {
        return Err(EINVAL);
    }
    let from_prev = flags & uapi::IORING_DUP_FROM_PREV != 0;
    if from_prev && s.fd != 0 {
        return Err(EINVAL);
    }
    Ok(DupArgs {
        fd: s.fd,
        target: s.len,
        cloexec: flags & uapi::IORING_DUP_CLOEXEC != 0,
        from_prev,
        move_: flags & uapi::IORING_DUP_MOVE != 0,
    })
}

/// `IORING_OP_DUP`.
pub(crate) struct Dup;

impl Opcode for Dup {
    const NR: u8 = op::DUP;
    type Cmd = ChainCmd<DupArgs>;

    fn prep(req: &PrepReq<'_>, sqe: &Sqe) -> Result<Self::Cmd> {
        check_flags(req)?;
        Ok(ChainCmd::new(dup_sqe(sqe)?))
    }

    /// dup2 in the child; the result is the target fd.
    fn issue(req: &IssueReq<'_, Self>) -> Issued {
        let cmd = req.cmd();
        Issued::Done(cmd.in_chain().and_then(|a| {
            let fd = if a.from_prev { cmd.head.prev_fd } else { a.fd };
            if fd < 0 {
                return Err(EBADF);
            }
            file::dup_to(fd, a.target, a.cloexec, a.move_)
        }))
    }
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
pub(crate) fn chdir_sqe(s: &Sqe) -> Result<ChdirArgs> {
    only(s, true, true, false, false)?;
    Ok(ChdirArgs {
        dfd: s.fd,
        path: s.addr,
    })
}

/// `IORING_OP_CHDIR`.
pub(crate) struct Chdir;

impl Opcode for Chdir {
    const NR: u8 = op::CHDIR;
    type Cmd = ChainCmd<ChdirArgs>;

    fn prep(req: &PrepReq<'_>, sqe: &Sqe) -> Result<Self::Cmd> {
        check_flags(req)?;
        Ok(ChainCmd::new(chdir_sqe(sqe)?))
    }

    fn issue(req: &IssueReq<'_, Self>) -> Issued {
        Issued::Done(req.cmd().in_chain().and_then(|a| {
            match a.path {
                0 => fs::fchdir(a.dfd),
                path => fs::chdir(a.dfd, path),
            }
            .map(|()| 0)
        }))
    }
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
pub(crate) fn close_range_sqe(s: &Sqe) -> Result<CloseRangeArgs> {
    only(s, true, false, true, true)?;
    let first = s.fd as u32;
    if s.op_flags & !uapi::CLOSE_RANGE_CLOEXEC != 0 || first > s.len {
        return Err(EINVAL);
    }
    Ok(CloseRangeArgs {
        first,
        last: s.len,
        flags: s.op_flags,
    })
}

/// `IORING_OP_CLOSE_RANGE`.
pub(crate) struct CloseRange;

impl Opcode for CloseRange {
    const NR: u8 = op::CLOSE_RANGE;
    type Cmd = ChainCmd<CloseRangeArgs>;

    fn prep(req: &PrepReq<'_>, sqe: &Sqe) -> Result<Self::Cmd> {
        check_flags(req)?;
        Ok(ChainCmd::new(close_range_sqe(sqe)?))
    }

    fn issue(req: &IssueReq<'_, Self>) -> Issued {
        Issued::Done(
            req.cmd()
                .in_chain()
                .and_then(|a| file::close_range(a.first, a.last, a.flags))
                .map(|()| 0),
        )
    }
}
