// SPDX-License-Identifier: GPL-2.0

//! `IORING_OP_EXEC`: execveat(2) in the child, the step that ends a chain.
//!
//! It runs only in a spawn chain (anywhere else it completes with
//! `-EINVAL`); the chain runner asks the child's seccomp filters about it
//! ([`verdict`]) before it is issued.

use kernel::prelude::*;

use crate::abstractions::exec::{execveat, ExecArgs};
use crate::abstractions::io_uring::{op, IssueReq, Issued, Opcode, PrepReq, ReqFlags, Sqe};
use crate::abstractions::seccomp::{exec_verdict, stricter, ExecCall, Verdict};
use crate::abstractions::uapi;
use crate::chain::ChainCmd;

/// `AT_*` flags an EXEC accepts, as execveat(2) does.
pub(crate) const EXEC_FLAGS: u32 = uapi::AT_EMPTY_PATH | uapi::AT_SYMLINK_NOFOLLOW;

/// Checks an EXEC SQE: `fd`, `addr`, `addr2`, `addr3`, `execve_flags`.
pub(crate) fn exec_sqe(s: &Sqe) -> Result<ExecArgs> {
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

/// `IORING_OP_EXEC`.
pub(crate) struct Exec;

impl Opcode for Exec {
    const NR: u8 = op::EXEC;
    type Cmd = ChainCmd<ExecArgs>;

    fn prep(req: &PrepReq<'_>, sqe: &Sqe) -> Result<Self::Cmd> {
        // The dfd names a directory in the child's fd table, not a fixed
        // file; a personality would exec with other creds than the child's.
        if req.flags().has(ReqFlags::FIXED_FILE | ReqFlags::CREDS) {
            return Err(EINVAL);
        }
        // argv and envp are arrays of native pointers.
        if req.compat() {
            return Err(EOPNOTSUPP);
        }
        Ok(ChainCmd::new(exec_sqe(sqe)?))
    }

    fn issue(req: &IssueReq<'_, Self>) -> Issued {
        Issued::Done(req.cmd().in_chain().and_then(execveat).map(|()| 0))
    }
}

/// What the child's seccomp filters say of an EXEC: it stands for
/// execve(2) and execveat(2) alike, so a filter that refuses either
/// refuses it.
pub(crate) fn verdict(a: &ExecArgs) -> Verdict {
    stricter(
        exec_verdict(ExecCall::Execve, a),
        exec_verdict(ExecCall::Execveat, a),
    )
}
