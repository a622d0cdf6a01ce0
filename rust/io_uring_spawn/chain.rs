// SPDX-License-Identifier: GPL-2.0

//! The chain runner: the requests linked after a CLONE, run in its child.
//!
//! The chain is owned: every request in it is completed exactly once, either
//! by running it in the child or by cancelling it. Dropping a [`Chain`]
//! cancels whatever it still holds, so each error path (a bad request, a
//! failed allocation, a failed clone, a failed step, a successful exec) ends
//! with nothing left behind, without any cleanup written out on that path.
//!
//! The logic is generic over [`ChainReq`] so KUnit can drive it with fake
//! requests; the real ones are io_uring requests (see `clone.rs`).

use kernel::prelude::*;

use crate::abstractions::io_uring::{op, ReqFlags};
use crate::abstractions::seccomp::Verdict;

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
    /// Completes the request with `err` without issuing it.
    fn cancel(self, err: Error);
    /// Completes the request with `-ECANCELED` without issuing it and
    /// without a CQE.
    fn cancel_without_cqe(self);
}

/// What the CLONE and the runner tell a chain-only request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainHead {
    /// Set by the CLONE that owns the chain: these opcodes run only there.
    pub(crate) in_chain: bool,
    /// The fd the request before this one returned, or `-EBADF` if it did
    /// not return one (for `IORING_DUP_FROM_PREV`).
    pub(crate) prev_fd: i32,
}

/// The command of a chain-only request: the [`ChainHead`], then the
/// arguments its ->prep() read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainCmd<T> {
    pub(crate) head: ChainHead,
    pub(crate) args: T,
}

impl<T> ChainCmd<T> {
    pub(crate) fn new(args: T) -> Self {
        ChainCmd {
            head: ChainHead {
                in_chain: false,
                prev_fd: EBADF.to_errno(),
            },
            args,
        }
    }

    /// The arguments, if the request runs in a chain: these opcodes
    /// complete with `-EINVAL` anywhere else.
    pub(crate) fn in_chain(&self) -> Result<&T> {
        if !self.head.in_chain {
            return Err(EINVAL);
        }
        Ok(&self.args)
    }
}

/// Opcodes that run only in a spawn chain: their command is a [`ChainCmd`].
pub(crate) const CHAIN_ONLY: [u8; 4] = [op::EXEC, op::DUP, op::CHDIR, op::CLOSE_RANGE];

/// Opcodes that may run in a spawn chain: they act on the current task's
/// files, fs state and creds and complete synchronously when issued
/// blocking.
const ALLOWED: [u8; 8] = [
    op::NOP,
    op::OPENAT,
    op::OPENAT2,
    op::CLOSE,
    op::EXEC,
    op::DUP,
    op::CHDIR,
    op::CLOSE_RANGE,
];

/// Why a request may not run in a spawn chain, as the error it completes
/// with; `None` if it may.
pub(crate) fn refusal(opcode: u8, flags: ReqFlags) -> Option<Error> {
    if !ALLOWED.contains(&opcode) {
        return Some(EOPNOTSUPP);
    }
    // A personality would run one step with other creds than the child's.
    // A linked timeout would be armed against a request io_uring no longer
    // sees.
    if flags.has(ReqFlags::CREDS) || flags.has(ReqFlags::LTIMEOUT) {
        return Some(EINVAL);
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
    fn pop(&mut self) -> Option<R> {
        let mut req = self.head.take()?;
        self.head = req.take_next();
        Some(req)
    }

    /// Checks that every request may run in a spawn chain and tells the
    /// chain-only ones they are in one. On refusal the offending request
    /// completes with its error, all others with `-ECANCELED`, and the
    /// CLONE is `-EINVAL`.
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
        let mut prev_fd = EBADF.to_errno();
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
            let exec = op == op::EXEC;
            let hard = req.flags().has(ReqFlags::HARDLINK);
            let skip = req.flags().has(ReqFlags::CQE_SKIP);
            if op == op::DUP {
                req.set_prev_fd(prev_fd);
            }
            let res = if exec {
                match req.exec_verdict() {
                    Verdict::Allow => req.run(),
                    Verdict::Fail(err) => {
                        req.cancel(err);
                        err.to_errno()
                    }
                    Verdict::Kill => {
                        req.cancel(EPERM);
                        return Outcome::Killed;
                    }
                }
            } else {
                req.run()
            };
            prev_fd = if res >= 0 && returns_fd {
                res
            } else {
                EBADF.to_errno()
            };
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

    /// Ends the chain without running it, because the child could not be
    /// set up (its attributes failed to apply): the first request carries
    /// `err`, the rest `-ECANCELED`.
    pub(crate) fn abort(mut self, err: Error) -> Outcome {
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
