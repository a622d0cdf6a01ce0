// SPDX-License-Identifier: GPL-2.0

//! The current task's fd table: dup2(2) and close_range(2).
//!
//! Upstream this would be part of `kernel::fs::file` (later kernels have
//! `File` and `FileDescriptorReservation` there; 6.12 has no file
//! abstraction at all).

use kernel::{bindings, error::to_result, prelude::*};

/// Duplicates `fd` onto `target` in the current task's table, as dup2(2),
/// with `FD_CLOEXEC` as `cloexec` says; with `move_`, closes `fd` once
/// duplicated. `dup_to(fd, fd)` only sets `FD_CLOEXEC` (or, moving, does
/// nothing). Returns `target`.
pub(crate) fn dup_to(fd: i32, target: u32, cloexec: bool, move_: bool) -> Result<i32> {
    // SAFETY: FFI call acting on the current task's fd table.
    let ret = unsafe { bindings::io_spawn_do_dup(fd, target, cloexec, move_) };
    to_result(ret)?;
    Ok(ret)
}

/// close_range(2) on the current task's table.
pub(crate) fn close_range(first: u32, last: u32, flags: u32) -> Result {
    // SAFETY: FFI call acting on the current task's fd table.
    to_result(unsafe { bindings::io_spawn_do_close_range(first, last, flags) })
}
