// SPDX-License-Identifier: GPL-2.0

//! The current task's signal handlers and blocked set.
//!
//! Upstream this would be a `kernel::signal` module (6.12 has none).

use kernel::bindings;

/// `SIGCHLD`.
pub(crate) const SIGCHLD: u32 = bindings::SIGCHLD;
/// `SIGSYS`.
pub(crate) const SIGSYS: u32 = bindings::SIGSYS;
/// The highest signal number.
pub(crate) const NSIG: u32 = bindings::_NSIG;

/// A set of signals: bit `n - 1` is signal `n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SigSet(pub(crate) u64);

// A `SigSet` holds every signal.
kernel::static_assert!(NSIG <= 64);

/// Resets the handlers of the signals in `set` to `SIG_DFL` (SIGKILL and
/// SIGSTOP are always so, and are skipped).
pub(crate) fn set_default_handlers(set: SigSet) {
    // SAFETY: FFI call that only changes the current task's handlers.
    unsafe { bindings::io_spawn_set_sigdefault(set.0) }
}

/// Sets the current task's blocked signals to `set`, as sigprocmask(2)
/// with `SIG_SETMASK` (SIGKILL and SIGSTOP are never blocked).
pub(crate) fn set_blocked(set: SigSet) {
    // SAFETY: FFI call that only changes the current task's mask.
    unsafe { bindings::io_spawn_set_sigmask(set.0) }
}
