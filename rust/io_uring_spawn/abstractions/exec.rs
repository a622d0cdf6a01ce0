// SPDX-License-Identifier: GPL-2.0

//! exec: execveat(2) with arguments in user memory.
//!
//! Upstream this would be a `kernel::exec` module over fs/exec.c. The entry
//! point it calls, `do_execveat_user()`, is the preparatory exec patch of
//! this series (fs/exec.c's own `do_execveat_common()` is static).

use kernel::{bindings, error::to_result, prelude::*};

/// execveat(2)'s arguments: user addresses, `AT_*` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExecArgs {
    pub(crate) dfd: i32,
    pub(crate) filename: u64,
    pub(crate) argv: u64,
    pub(crate) envp: u64,
    pub(crate) flags: u32,
}

/// Execs the program in the current task, as execveat(2) would. Past the
/// exec's point of no return a failure still returns an error, with a
/// fatal SIGSEGV queued to the task.
pub(crate) fn execveat(a: &ExecArgs) -> Result {
    // SAFETY: the pointers are user addresses, which the exec code checks
    // as it reads them from the current task's mm.
    let ret = unsafe {
        bindings::do_execveat_user(
            a.dfd,
            a.filename as usize as *const _,
            a.argv as usize as *const _,
            a.envp as usize as *const _,
            a.flags as i32,
        )
    };
    to_result(ret)
}
