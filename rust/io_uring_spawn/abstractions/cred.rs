// SPDX-License-Identifier: GPL-2.0

//! The current task's credentials.
//!
//! Upstream this would extend `kernel::cred` (later kernels wrap
//! `struct cred` there; 6.12 has no such module).

use kernel::{bindings, prelude::*};

/// posix_spawn's `POSIX_SPAWN_RESETIDS`: the effective uid and gid become
/// the real ones, as `seteuid(getuid())` then `setegid(getgid())`.
pub(crate) fn reset_ids() -> Result {
    // SAFETY: FFI call acting on the current task's creds.
    let ret = unsafe { bindings::io_spawn_resetids() };
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}
