// SPDX-License-Identifier: GPL-2.0

//! What the current task's seccomp filters say of a system call that a
//! request stands for.
//!
//! Upstream this would be a `kernel::seccomp` module over the
//! `seccomp_verdict()` entry point that the preparatory seccomp patch of
//! this series adds (6.12 has neither).

use kernel::{bindings, prelude::*};

use super::exec::ExecArgs;

/// The filters' say, as this series acts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Allowed.
    Allow,
    /// Refused with this error, without being tried.
    Fail(Error),
    /// The task must die.
    Kill,
}

/// `SECCOMP_RET_*` actions.
pub(crate) const RET_ALLOW: u32 = bindings::SECCOMP_RET_ALLOW;
/// `SECCOMP_RET_LOG`.
pub(crate) const RET_LOG: u32 = bindings::SECCOMP_RET_LOG;
/// `SECCOMP_RET_ERRNO`.
pub(crate) const RET_ERRNO: u32 = bindings::SECCOMP_RET_ERRNO;
/// `SECCOMP_RET_TRACE`.
pub(crate) const RET_TRACE: u32 = bindings::SECCOMP_RET_TRACE;
/// `SECCOMP_RET_USER_NOTIF`.
pub(crate) const RET_USER_NOTIF: u32 = bindings::SECCOMP_RET_USER_NOTIF;
/// `SECCOMP_RET_TRAP`.
pub(crate) const RET_TRAP: u32 = bindings::SECCOMP_RET_TRAP;
/// `SECCOMP_RET_KILL_THREAD`.
pub(crate) const RET_KILL_THREAD: u32 = bindings::SECCOMP_RET_KILL_THREAD;
/// `SECCOMP_RET_KILL_PROCESS`.
pub(crate) const RET_KILL_PROCESS: u32 = bindings::SECCOMP_RET_KILL_PROCESS;

const MAX_ERRNO: u32 = bindings::MAX_ERRNO;

/// The verdict from a `SECCOMP_RET_*` value, for a call that is not made
/// from user space: there is no system call to skip with a tracer's or a
/// supervisor's say, nor a user context to deliver a `SIGSYS` to, so those
/// actions refuse it with `-EPERM`. A `SECCOMP_RET_ERRNO` of 0 would report
/// success without the call: it is `-EPERM` too. Unknown actions kill, as
/// seccomp does.
pub(crate) fn verdict_of(ret: u32) -> Verdict {
    let data = ret & bindings::SECCOMP_RET_DATA;
    match ret & bindings::SECCOMP_RET_ACTION_FULL {
        RET_ALLOW | RET_LOG => Verdict::Allow,
        RET_ERRNO if data != 0 => Verdict::Fail(Error::from_errno(-(data.min(MAX_ERRNO) as i32))),
        RET_ERRNO | RET_TRACE | RET_USER_NOTIF | RET_TRAP => Verdict::Fail(EPERM),
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

/// The process creation a spawn stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Creation {
    /// vfork(2).
    Vfork,
    /// The clone(2) that posix_spawn() makes: `CLONE_VM | CLONE_VFORK`,
    /// `SIGCHLD`.
    PosixSpawnClone,
}

/// What the current task's filters say of `call`.
pub(crate) fn creation_verdict(call: Creation) -> Verdict {
    // SAFETY: FFI call that only runs the current task's filters.
    verdict_of(unsafe {
        bindings::io_spawn_seccomp_clone_verdict(call == Creation::PosixSpawnClone)
    })
}

/// The system call an exec stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExecCall {
    /// execve(2), which has no dfd and no flags.
    Execve,
    /// execveat(2).
    Execveat,
}

/// What the current task's filters say of an exec of `a` made as `call`.
pub(crate) fn exec_verdict(call: ExecCall, a: &ExecArgs) -> Verdict {
    // SAFETY: FFI call that only runs the current task's filters; the
    // pointers are only handed to them as numbers.
    verdict_of(unsafe {
        bindings::io_spawn_seccomp_verdict(
            call == ExecCall::Execveat,
            a.dfd,
            a.filename,
            a.argv,
            a.envp,
            a.flags as i32,
        )
    })
}
