// SPDX-License-Identifier: GPL-2.0

//! The posix_spawn attributes a CLONE asks its child to apply to itself
//! (`struct io_uring_spawn_attr`, `sqe->addr2`), before the chain runs.

use kernel::prelude::*;

use crate::abstractions::signal::{self, SigSet};
use crate::abstractions::uaccess::{self, SpawnAttrArgs};
use crate::abstractions::{cred, task, uapi};

/// `struct io_uring_spawn_attr.flags` this kernel knows.
pub(crate) const SPAWN_ATTR_FLAGS: u32 = uapi::IORING_SPAWN_SETSID
    | uapi::IORING_SPAWN_SETPGROUP
    | uapi::IORING_SPAWN_SETSIGMASK
    | uapi::IORING_SPAWN_SETSIGDEF
    | uapi::IORING_SPAWN_RESETIDS;

/// The posix_spawn attributes a CLONE asks the child to apply to itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SpawnAttr {
    pub(crate) flags: u32,
    pub(crate) pgid: i32,
    pub(crate) sigmask: SigSet,
    pub(crate) sigdefault: SigSet,
}

impl SpawnAttr {
    pub(crate) fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

/// Checks a `struct io_uring_spawn_attr`: known flags only, each field set
/// only with its flag, reserved fields zero, no signal above `_NSIG` (each
/// set's second word is zero).
pub(crate) fn parse_spawn_attr(a: &SpawnAttrArgs) -> Result<SpawnAttr> {
    if a.flags & !SPAWN_ATTR_FLAGS != 0 || a.resv.iter().any(|&r| r != 0) {
        return Err(EINVAL);
    }
    let attr = SpawnAttr {
        flags: a.flags,
        pgid: a.pgid,
        sigmask: SigSet(a.sigmask[0]),
        sigdefault: SigSet(a.sigdefault[0]),
    };
    let unused = |flag, nonzero: bool| !attr.has(flag) && nonzero;
    if a.pgid < 0
        || unused(uapi::IORING_SPAWN_SETPGROUP, a.pgid != 0)
        || unused(uapi::IORING_SPAWN_SETSIGMASK, a.sigmask[0] != 0)
        || unused(uapi::IORING_SPAWN_SETSIGDEF, a.sigdefault[0] != 0)
        || a.sigmask[1] != 0
        || a.sigdefault[1] != 0
    {
        return Err(EINVAL);
    }
    Ok(attr)
}

/// Reads and checks the `struct io_uring_spawn_attr` at user address `addr`.
pub(crate) fn read_spawn_attr(addr: u64) -> Result<SpawnAttr> {
    parse_spawn_attr(&uaccess::read_spawn_attr(addr)?)
}

/// What applying the attributes does to the child, behind a trait so KUnit
/// can check the order and the error handling.
pub(crate) trait AttrOps {
    fn sigdefault(&self, set: SigSet);
    fn sigmask(&self, set: SigSet);
    fn setsid(&self) -> Result;
    fn setpgid(&self, pgid: i32) -> Result;
    fn resetids(&self) -> Result;
}

/// Applies the posix_spawn attributes to the child, in glibc's order; stops
/// at the first that fails.
pub(crate) fn apply_attr(attr: &SpawnAttr, ops: &dyn AttrOps) -> Result {
    if attr.has(uapi::IORING_SPAWN_SETSIGDEF) {
        ops.sigdefault(attr.sigdefault);
    }
    if attr.has(uapi::IORING_SPAWN_SETSIGMASK) {
        ops.sigmask(attr.sigmask);
    }
    if attr.has(uapi::IORING_SPAWN_SETSID) {
        ops.setsid()?;
    }
    if attr.has(uapi::IORING_SPAWN_SETPGROUP) {
        ops.setpgid(attr.pgid)?;
    }
    if attr.has(uapi::IORING_SPAWN_RESETIDS) {
        ops.resetids()?;
    }
    Ok(())
}

/// The attributes applied to the current task.
pub(crate) struct CurrentTask;

impl AttrOps for CurrentTask {
    fn sigdefault(&self, set: SigSet) {
        signal::set_default_handlers(set);
    }

    fn sigmask(&self, set: SigSet) {
        signal::set_blocked(set);
    }

    fn setsid(&self) -> Result {
        task::setsid()
    }

    fn setpgid(&self, pgid: i32) -> Result {
        task::setpgid(pgid)
    }

    fn resetids(&self) -> Result {
        cred::reset_ids()
    }
}
