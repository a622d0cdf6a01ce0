// SPDX-License-Identifier: GPL-2.0

//! The UAPI values the spawn opcodes check user space's input against.
//!
//! Upstream these would come from the `uapi` crate, once its
//! `uapi_helper.h` includes the io_uring, sched, fcntl and close_range
//! UAPI headers; on 6.12 they come from the kernel bindings, through here.

use kernel::bindings;

/// `AT_EMPTY_PATH`.
pub(crate) const AT_EMPTY_PATH: u32 = bindings::AT_EMPTY_PATH;
/// `AT_SYMLINK_NOFOLLOW`.
pub(crate) const AT_SYMLINK_NOFOLLOW: u32 = bindings::AT_SYMLINK_NOFOLLOW;

/// `clone_args.flags` bits, all as `u64`.
pub(crate) const CLONE_VM: u64 = bindings::CLONE_VM as u64;
/// `CLONE_VFORK`.
pub(crate) const CLONE_VFORK: u64 = bindings::CLONE_VFORK as u64;
/// `CLONE_THREAD`.
pub(crate) const CLONE_THREAD: u64 = bindings::CLONE_THREAD as u64;
/// `CLONE_PIDFD`.
pub(crate) const CLONE_PIDFD: u64 = bindings::CLONE_PIDFD as u64;
/// `CLONE_INTO_CGROUP`.
pub(crate) const CLONE_INTO_CGROUP: u64 = bindings::CLONE_INTO_CGROUP;
/// `CLONE_CLEAR_SIGHAND`.
pub(crate) const CLONE_CLEAR_SIGHAND: u64 = bindings::CLONE_CLEAR_SIGHAND;
/// `CSIGNAL`: the exit signal's bits of clone(2)'s flags.
pub(crate) const CSIGNAL: u64 = bindings::CSIGNAL as u64;

/// `close_range(2)` flags.
pub(crate) const CLOSE_RANGE_CLOEXEC: u32 = bindings::CLOSE_RANGE_CLOEXEC;
/// `CLOSE_RANGE_UNSHARE`.
pub(crate) const CLOSE_RANGE_UNSHARE: u32 = bindings::CLOSE_RANGE_UNSHARE;

/// `IORING_OP_DUP`'s `dup_flags`.
pub(crate) const IORING_DUP_CLOEXEC: u32 = bindings::IORING_DUP_CLOEXEC;
/// `IORING_DUP_FROM_PREV`.
pub(crate) const IORING_DUP_FROM_PREV: u32 = bindings::IORING_DUP_FROM_PREV;
/// `IORING_DUP_MOVE`.
pub(crate) const IORING_DUP_MOVE: u32 = bindings::IORING_DUP_MOVE;

/// `struct io_uring_spawn_attr.flags`.
pub(crate) const IORING_SPAWN_SETSID: u32 = bindings::IORING_SPAWN_SETSID;
/// `IORING_SPAWN_SETPGROUP`.
pub(crate) const IORING_SPAWN_SETPGROUP: u32 = bindings::IORING_SPAWN_SETPGROUP;
/// `IORING_SPAWN_SETSIGMASK`.
pub(crate) const IORING_SPAWN_SETSIGMASK: u32 = bindings::IORING_SPAWN_SETSIGMASK;
/// `IORING_SPAWN_SETSIGDEF`.
pub(crate) const IORING_SPAWN_SETSIGDEF: u32 = bindings::IORING_SPAWN_SETSIGDEF;
/// `IORING_SPAWN_RESETIDS`.
pub(crate) const IORING_SPAWN_RESETIDS: u32 = bindings::IORING_SPAWN_RESETIDS;
