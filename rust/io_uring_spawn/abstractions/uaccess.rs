// SPDX-License-Identifier: GPL-2.0

//! Typed reads from user memory of the structs the spawn opcodes take.
//!
//! Upstream [`read_extensible`] would sit beside `UserSliceReader::read`
//! in `kernel::uaccess` as the counterpart of C's
//! `copy_struct_from_user()`, and the two structs would implement
//! `FromBytes` where their bindings are generated.

use core::mem::{size_of, MaybeUninit};
use kernel::{bindings, prelude::*, types::FromBytes, uaccess::UserSlice};

/// Reads a struct that user space may pass in an older, shorter version or
/// a newer, longer one, as `copy_struct_from_user()` does: what `len` does
/// not cover reads as zero, and what lies past `T` must be zero (or the
/// read fails with `E2BIG`).
fn read_extensible<T: FromBytes>(addr: u64, len: usize) -> Result<T> {
    let mut reader = UserSlice::new(addr as usize, len).reader();
    let mut v = MaybeUninit::<T>::zeroed();
    let known = len.min(size_of::<T>());
    // SAFETY: `v` is `size_of::<T>()` bytes that we own, and
    // `MaybeUninit<u8>` has no validity requirement, so viewing its first
    // `known` bytes as such is sound.
    let bytes =
        unsafe { core::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<MaybeUninit<u8>>(), known) };
    reader.read_raw(bytes)?;
    let mut tail = [0u8; 64];
    while !reader.is_empty() {
        let n = reader.len().min(tail.len());
        reader.read_slice(&mut tail[..n])?;
        if tail[..n].iter().any(|&b| b != 0) {
            return Err(E2BIG);
        }
    }
    // SAFETY: every byte of `v` is initialised (zeroed, then partly
    // overwritten), and any bytes are a valid `T` (`FromBytes`).
    Ok(unsafe { v.assume_init() })
}

/// `struct clone_args` as this kernel knows it (`CLONE_ARGS_SIZE_VER2`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CloneArgs {
    pub(crate) flags: u64,
    pub(crate) pidfd: u64,
    pub(crate) child_tid: u64,
    pub(crate) parent_tid: u64,
    pub(crate) exit_signal: u64,
    pub(crate) stack: u64,
    pub(crate) stack_size: u64,
    pub(crate) tls: u64,
    pub(crate) set_tid: u64,
    pub(crate) set_tid_size: u64,
    pub(crate) cgroup: u64,
}

/// Size of `struct clone_args`.
pub(crate) const CLONE_ARGS_SIZE: usize = size_of::<bindings::clone_args>();

#[repr(transparent)]
struct RawCloneArgs(bindings::clone_args);

// SAFETY: `struct clone_args` is eleven `__aligned_u64`s: it has no padding
// and every bit pattern is a valid value.
unsafe impl FromBytes for RawCloneArgs {}

/// Reads the first `len` bytes of a `struct clone_args` at `addr`, with
/// clone3's rules for a `len` other than [`CLONE_ARGS_SIZE`]; the caller
/// checks `len` against the struct's versions.
pub(crate) fn read_clone_args(addr: u64, len: usize) -> Result<CloneArgs> {
    let RawCloneArgs(a) = read_extensible::<RawCloneArgs>(addr, len)?;
    Ok(CloneArgs {
        flags: a.flags,
        pidfd: a.pidfd,
        child_tid: a.child_tid,
        parent_tid: a.parent_tid,
        exit_signal: a.exit_signal,
        stack: a.stack,
        stack_size: a.stack_size,
        tls: a.tls,
        set_tid: a.set_tid,
        set_tid_size: a.set_tid_size,
        cgroup: a.cgroup,
    })
}

/// `struct io_uring_spawn_attr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SpawnAttrArgs {
    pub(crate) flags: u32,
    pub(crate) pgid: i32,
    pub(crate) sigmask: [u64; 2],
    pub(crate) sigdefault: [u64; 2],
    pub(crate) resv: [u64; 3],
}

#[repr(transparent)]
struct RawSpawnAttr(bindings::io_uring_spawn_attr);

// SAFETY: `struct io_uring_spawn_attr` is two 32-bit integers and seven
// `__u64`s: it has no padding and every bit pattern is a valid value.
unsafe impl FromBytes for RawSpawnAttr {}

/// Reads the `struct io_uring_spawn_attr` at `addr`.
pub(crate) fn read_spawn_attr(addr: u64) -> Result<SpawnAttrArgs> {
    let RawSpawnAttr(a) = UserSlice::new(addr as usize, size_of::<RawSpawnAttr>())
        .reader()
        .read::<RawSpawnAttr>()?;
    Ok(SpawnAttrArgs {
        flags: a.flags,
        pgid: a.pgid,
        sigmask: a.sigmask,
        sigdefault: a.sigdefault,
        resv: a.resv,
    })
}
