// SPDX-License-Identifier: GPL-2.0

//! The current task's fs state: chdir(2) and fchdir(2).
//!
//! Upstream this would be a `kernel::fs` module over `struct fs_struct`
//! and path lookup, which 6.12's kernel crate does not have.

use kernel::{bindings, error::to_result, prelude::*};

/// chdir(2) to the path at user address `path`, relative to `dfd`.
pub(crate) fn chdir(dfd: i32, path: u64) -> Result {
    // SAFETY: `path` is a user address, read with the usual checks from
    // the current task's mm.
    to_result(unsafe { bindings::io_spawn_do_chdir(dfd, path as usize as *const _) })
}

/// fchdir(2) to `fd`.
pub(crate) fn fchdir(fd: i32) -> Result {
    // SAFETY: FFI call acting on the current task's fs state.
    to_result(unsafe { bindings::io_spawn_do_fchdir(fd) })
}
