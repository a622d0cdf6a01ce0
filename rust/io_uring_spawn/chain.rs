// SPDX-License-Identifier: GPL-2.0

//! The chain of requests linked after a CLONE.
//!
//! The chain is owned: every request in it is completed exactly once, either
//! by running it in the child or by cancelling it. Dropping a [`Chain`]
//! cancels whatever it still holds, so each error path (a bad request, a
//! failed allocation, a failed clone, a failed step, a successful exec) ends
//! with nothing left behind, without any cleanup written out on that path.
//!
//! The logic is generic over [`ChainReq`] so KUnit can drive it with fake
//! requests; the real ones are [`crate::req::Req`].

use crate::req::{ReqFlags, EBADF, ECANCELED, EOPNOTSUPP, OP_DUP, OP_EXEC};
use kernel::{bindings, prelude::*};

/// A request that a chain owns.
pub(crate) trait ChainReq: Sized {
    fn opcode(&self) -> u8;
    fn flags(&self) -> ReqFlags;
    /// Detaches and returns the request linked after this one.
    fn take_next(&mut self) -> Option<Self>;
    /// Calls `f` with the opcode and flags of this request and each one
    /// linked after it, until `f` returns `false`.
    fn for_each_linked(&self, f: &mut dyn FnMut(u8, ReqFlags) -> bool);
    /// Hands this request and those linked after it over to the child:
    /// the chain-only ones (EXEC, DUP, CHDIR, CLOSE_RANGE) learn that they
    /// belong to a chain, and none keeps state that is the submitter's.
    fn mark_in_chain(&mut self);
    /// Whether a non-negative result of this request is a new fd of the
    /// child (not, say, a fixed file slot of the ring).
    fn returns_fd(&self) -> bool;
    /// Tells this request which fd the request before it returned
    /// (`-EBADF` for none), for `IORING_DUP_FROM_PREV`.
    fn set_prev_fd(&mut self, fd: i32);
    /// For an EXEC: what the child's seccomp filters say of it.
    fn exec_verdict(&self) -> Verdict;
    /// Issues the request in the current task, completes it and returns its
    /// result.
    fn run(self) -> i32;
    /// Completes the request with `res` without issuing it.
    fn cancel(self, res: i32);
    /// Completes the request with `-ECANCELED` without issuing it and
    /// without a CQE.
    fn cancel_without_cqe(self);
}

/// Opcodes that may run in a spawn chain: they act on the current task's
/// files, fs state and creds and complete synchronously when issued
/// blocking.
const ALLOWED: [u32; 8] = [
    bindings::io_uring_op_IORING_OP_NOP,
    bindings::io_uring_op_IORING_OP_OPENAT,
    bindings::io_uring_op_IORING_OP_OPENAT2,
    bindings::io_uring_op_IORING_OP_CLOSE,
    bindings::io_uring_op_IORING_OP_EXEC,
    bindings::io_uring_op_IORING_OP_DUP,
    bindings::io_uring_op_IORING_OP_CHDIR,
    bindings::io_uring_op_IORING_OP_CLOSE_RANGE,
];

/// Why a request may not run in a spawn chain, as the errno it completes
/// with; `None` if it may.
pub(crate) fn refusal(opcode: u8, flags: ReqFlags) -> Option<i32> {
    if !ALLOWED.contains(&(opcode as u32)) {
        return Some(EOPNOTSUPP);
    }
    // A personality would run one step with other creds than the child's.
    // A linked timeout would be armed against a request io_uring no longer
    // sees.
    if flags.has(ReqFlags::CREDS) || flags.has(ReqFlags::LTIMEOUT) {
        return Some(EINVAL.to_errno());
    }
    None
}

/// How a chain ended, as far as the child is concerned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// An EXEC succeeded: the child returns to user space as the new program.
    Execd,
    /// The chain ended without a successful EXEC: the child must exit.
    Failed,
    /// Seccomp said to kill the task that would exec: the child dies of
    /// `SIGSYS`.
    Killed,
}

/// What the child's seccomp filters say of an EXEC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Allow,
    /// The EXEC fails with this errno without being tried.
    Fail(i32),
    Kill,
}

const MAX_ERRNO: u32 = 4095;

/// The verdict on an exec from a `SECCOMP_RET_*` value. The exec is not a
/// system call made from user space: there is no syscall to skip with a
/// tracer's or a supervisor's say, nor a user context to deliver a
/// `SIGSYS` to, so those actions refuse it with `-EPERM`. A
/// `SECCOMP_RET_ERRNO` of 0 would report success without an exec: it is
/// `-EPERM` too. Unknown actions kill, as seccomp does.
pub(crate) fn verdict_of(ret: u32) -> Verdict {
    let data = ret & bindings::SECCOMP_RET_DATA;
    match ret & bindings::SECCOMP_RET_ACTION_FULL {
        bindings::SECCOMP_RET_ALLOW | bindings::SECCOMP_RET_LOG => Verdict::Allow,
        bindings::SECCOMP_RET_ERRNO if data != 0 => Verdict::Fail(-(data.min(MAX_ERRNO) as i32)),
        bindings::SECCOMP_RET_ERRNO
        | bindings::SECCOMP_RET_TRACE
        | bindings::SECCOMP_RET_USER_NOTIF
        | bindings::SECCOMP_RET_TRAP => Verdict::Fail(-(bindings::EPERM as i32)),
        _ => Verdict::Kill,
    }
}

/// The laxer of two verdicts: what a task may do one way or the other.
pub(crate) fn laxer(a: Verdict, b: Verdict) -> Verdict {
    match (a, b) {
        (Verdict::Allow, _) | (_, Verdict::Allow) => Verdict::Allow,
        (Verdict::Fail(e), _) | (_, Verdict::Fail(e)) => Verdict::Fail(e),
        _ => Verdict::Kill,
    }
}

/// The stricter of two verdicts.
pub(crate) fn stricter(a: Verdict, b: Verdict) -> Verdict {
    match (a, b) {
        (Verdict::Kill, _) | (_, Verdict::Kill) => Verdict::Kill,
        (Verdict::Fail(e), _) | (_, Verdict::Fail(e)) => Verdict::Fail(e),
        _ => Verdict::Allow,
    }
}

/// The requests linked after a CLONE, in order.
pub(crate) struct Chain<R: ChainReq> {
    head: Option<R>,
    /// The chain was broken by a failed `IOSQE_CQE_SKIP_SUCCESS` request:
    /// as io_uring does for a link, the requests it cancels post no CQE.
    skip_cqes: bool,
}

impl<R: ChainReq> Chain<R> {
    pub(crate) fn new(head: Option<R>) -> Self {
        Chain {
            head,
            skip_cqes: false,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Takes every request off the chain, for the child to park them where
    /// its exit finds them while it may be stopped or killed.
    pub(crate) fn park(&mut self) -> Option<R> {
        self.head.take()
    }

    /// Puts back what [`Chain::park`] took.
    pub(crate) fn unpark(&mut self, head: Option<R>) {
        self.head = head;
    }

    /// Takes the first request off the chain.
    pub(crate) fn pop(&mut self) -> Option<R> {
        let mut req = self.head.take()?;
        self.head = req.take_next();
        Some(req)
    }

    /// Checks that every request may run in a spawn chain and tells the
    /// EXECs they are in one. On refusal the offending request completes
    /// with its errno, all others with `-ECANCELED`, and the CLONE is
    /// `-EINVAL`.
    pub(crate) fn vet(mut self) -> Result<Self> {
        let mut bad = None;
        let mut index = 0usize;
        if let Some(head) = &self.head {
            head.for_each_linked(&mut |op, fl| match refusal(op, fl) {
                Some(err) => {
                    bad = Some((index, err));
                    false
                }
                None => {
                    index += 1;
                    true
                }
            });
        }
        match bad {
            None => {
                if let Some(head) = &mut self.head {
                    head.mark_in_chain();
                }
                Ok(self)
            }
            Some((at, err)) => {
                for _ in 0..at {
                    if let Some(req) = self.pop() {
                        req.cancel(ECANCELED);
                    }
                }
                if let Some(req) = self.pop() {
                    req.cancel(err);
                }
                // `self` drops here and cancels the rest.
                Err(EINVAL)
            }
        }
    }

    /// Runs the chain in the current task (the child). `stop` runs before
    /// each step, with the steps yet to run: it settles what a return to
    /// user space would (task_work, signals, stops) and says whether the
    /// child must give up (cancelled, or a fatal signal, the one an exec
    /// forces past its point of no return among them). Nothing runs after
    /// that: the steps left are cancelled.
    pub(crate) fn run(mut self, stop: &dyn Fn(&mut Self) -> bool) -> Outcome {
        let mut prev_fd = EBADF;
        while !self.is_empty() {
            if stop(&mut self) {
                // `self` drops: every step left is cancelled.
                return Outcome::Failed;
            }
            let Some(mut req) = self.pop() else {
                break;
            };
            let op = req.opcode();
            let returns_fd = req.returns_fd();
            let exec = op == OP_EXEC;
            let hard = req.flags().has(ReqFlags::HARDLINK);
            let skip = req.flags().has(ReqFlags::CQE_SKIP);
            if op == OP_DUP {
                req.set_prev_fd(prev_fd);
            }
            let res = if exec {
                match req.exec_verdict() {
                    Verdict::Allow => req.run(),
                    Verdict::Fail(err) => {
                        req.cancel(err);
                        err
                    }
                    Verdict::Kill => {
                        req.cancel(-(bindings::EPERM as i32));
                        return Outcome::Killed;
                    }
                }
            } else {
                req.run()
            };
            prev_fd = if res >= 0 && returns_fd { res } else { EBADF };
            if res >= 0 {
                if exec {
                    // `self` drops: whatever follows the EXEC is cancelled.
                    return Outcome::Execd;
                }
            } else if !hard {
                // `self` drops: the rest is cancelled.
                self.skip_cqes = skip;
                return Outcome::Failed;
            }
        }
        Outcome::Failed
    }
}

impl<R: ChainReq> Chain<R> {
    /// Ends the chain without running it, because the child could not be
    /// set up (its attributes failed to apply): the first request carries
    /// `err`, the rest `-ECANCELED`.
    pub(crate) fn abort(mut self, err: i32) -> Outcome {
        if let Some(req) = self.pop() {
            req.cancel(err);
        }
        Outcome::Failed
    }
}

impl<R: ChainReq> Drop for Chain<R> {
    fn drop(&mut self) {
        while let Some(req) = self.pop() {
            if self.skip_cqes {
                req.cancel_without_cqe();
            } else {
                req.cancel(ECANCELED);
            }
        }
    }
}
