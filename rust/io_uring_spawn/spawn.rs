// SPDX-License-Identifier: GPL-2.0

//! io_uring_spawn: process creation through io_uring.
//!
//! `IORING_OP_CLONE` creates a blank child that shares the submitter's mm
//! until exec; the requests linked after it run in the child, and
//! `IORING_OP_EXEC` ends the chain by exec'ing a program. See
//! Documentation/userspace-api/io_uring_spawn.rst for the UAPI.
//!
//! Layout:
//! - [`sqe`]: validation of the SQE fields and of `struct clone_args` (pure).
//! - [`req`]: safe wrappers over the C shim for the requests we own.
//! - [`chain`]: the chain of linked requests: ownership, vetting, running.
//! - [`child`]: creating the blank task and what it runs.
//! - [`ops`]: the opcodes that exist for chains (DUP, CHDIR, CLOSE_RANGE).
//! - this file: the opcode handlers that io_uring's opcode table calls.

use core::ffi::{c_int, c_uint};
use kernel::bindings;

mod chain;
mod child;
mod ops;
mod req;
mod sqe;
#[cfg(CONFIG_IO_URING_SPAWN_KUNIT_TEST)]
mod tests;

use req::{RawSqe, ReqRef};

/// Prefix of this crate's `pr_*!` messages (there is no `module!` here).
const __LOG_PREFIX: &[u8] = b"io_uring_spawn\0";

/// io_uring's "the handler posted the result itself" return value.
const IOU_OK: c_int = 0;

/// `IORING_OP_CLONE` prep: validate the SQE, read `struct clone_args`.
///
/// # Safety
///
/// Called by io_uring with a request being initialised and its SQE.
#[no_mangle]
pub unsafe extern "C" fn io_clone_prep(
    req: *mut bindings::io_kiocb,
    sqe: *const bindings::io_uring_sqe,
) -> c_int {
    // SAFETY: io_uring passes a live request that it does not touch
    // concurrently while ->prep() runs, and the SQE it was read from.
    let (mut req, sqe) = unsafe { (ReqRef::from_raw(req), RawSqe::read(sqe)) };
    match child::clone_prep(&mut req, &sqe) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `IORING_OP_CLONE` issue: create the child and hand it the chain.
///
/// # Safety
///
/// Called by io_uring with a prepared CLONE request.
#[no_mangle]
pub unsafe extern "C" fn io_clone(req: *mut bindings::io_kiocb, _issue_flags: c_uint) -> c_int {
    // SAFETY: io_uring passes a live, prepared request that it does not touch
    // concurrently while ->issue() runs.
    let req = unsafe { ReqRef::from_raw(req) };
    match child::clone_issue(&req) {
        // The child is created, and the CLONE completed, once the
        // submitting system call is done.
        Ok(req::Kept { .. }) => req::ISSUE_LATER,
        Err(e) => {
            req.set_res(e.to_errno());
            IOU_OK
        }
    }
}

/// `IORING_OP_EXEC` prep.
///
/// # Safety
///
/// Called by io_uring with a request being initialised and its SQE.
#[no_mangle]
pub unsafe extern "C" fn io_exec_prep(
    req: *mut bindings::io_kiocb,
    sqe: *const bindings::io_uring_sqe,
) -> c_int {
    // SAFETY: as in `io_clone_prep`.
    let (mut req, sqe) = unsafe { (ReqRef::from_raw(req), RawSqe::read(sqe)) };
    match child::exec_prep(&mut req, &sqe) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `IORING_OP_EXEC` issue: only does anything inside a spawn chain.
///
/// # Safety
///
/// Called by io_uring with a prepared EXEC request.
#[no_mangle]
pub unsafe extern "C" fn io_exec(req: *mut bindings::io_kiocb, _issue_flags: c_uint) -> c_int {
    // SAFETY: as in `io_clone`.
    let req = unsafe { ReqRef::from_raw(req) };
    let res = match child::exec_issue(&req) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    };
    req.set_res(res);
    IOU_OK
}

/// Runs a ->prep() written in Rust.
///
/// # Safety
///
/// `req` and `sqe` are what io_uring passes to ->prep().
unsafe fn prep_with(
    req: *mut bindings::io_kiocb,
    sqe: *const bindings::io_uring_sqe,
    prep: fn(&mut ReqRef<'_>, &sqe::SqeFields) -> kernel::error::Result,
) -> c_int {
    // SAFETY: as in `io_clone_prep`.
    let (mut req, sqe) = unsafe { (ReqRef::from_raw(req), RawSqe::read(sqe)) };
    match prep(&mut req, &sqe) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Runs an ->issue() written in Rust and posts its result.
///
/// # Safety
///
/// `req` is what io_uring passes to ->issue().
unsafe fn issue_with(
    req: *mut bindings::io_kiocb,
    issue: fn(&ReqRef<'_>) -> kernel::error::Result<i32>,
) -> c_int {
    // SAFETY: as in `io_clone`.
    let req = unsafe { ReqRef::from_raw(req) };
    req.set_res(issue(&req).unwrap_or_else(|e| e.to_errno()));
    IOU_OK
}

/// `IORING_OP_DUP` prep.
///
/// # Safety
///
/// Called by io_uring with a request being initialised and its SQE.
#[no_mangle]
pub unsafe extern "C" fn io_dup_prep(
    req: *mut bindings::io_kiocb,
    sqe: *const bindings::io_uring_sqe,
) -> c_int {
    // SAFETY: per this function's contract.
    unsafe { prep_with(req, sqe, ops::dup_prep) }
}

/// `IORING_OP_DUP` issue.
///
/// # Safety
///
/// Called by io_uring with a prepared DUP request.
#[no_mangle]
pub unsafe extern "C" fn io_dup(req: *mut bindings::io_kiocb, _issue_flags: c_uint) -> c_int {
    // SAFETY: per this function's contract.
    unsafe { issue_with(req, ops::dup_issue) }
}

/// `IORING_OP_CHDIR` prep.
///
/// # Safety
///
/// Called by io_uring with a request being initialised and its SQE.
#[no_mangle]
pub unsafe extern "C" fn io_chdir_prep(
    req: *mut bindings::io_kiocb,
    sqe: *const bindings::io_uring_sqe,
) -> c_int {
    // SAFETY: per this function's contract.
    unsafe { prep_with(req, sqe, ops::chdir_prep) }
}

/// `IORING_OP_CHDIR` issue.
///
/// # Safety
///
/// Called by io_uring with a prepared CHDIR request.
#[no_mangle]
pub unsafe extern "C" fn io_chdir(req: *mut bindings::io_kiocb, _issue_flags: c_uint) -> c_int {
    // SAFETY: per this function's contract.
    unsafe { issue_with(req, ops::chdir_issue) }
}

/// `IORING_OP_CLOSE_RANGE` prep.
///
/// # Safety
///
/// Called by io_uring with a request being initialised and its SQE.
#[no_mangle]
pub unsafe extern "C" fn io_close_range_prep(
    req: *mut bindings::io_kiocb,
    sqe: *const bindings::io_uring_sqe,
) -> c_int {
    // SAFETY: per this function's contract.
    unsafe { prep_with(req, sqe, ops::close_range_prep) }
}

/// `IORING_OP_CLOSE_RANGE` issue.
///
/// # Safety
///
/// Called by io_uring with a prepared CLOSE_RANGE request.
#[no_mangle]
pub unsafe extern "C" fn io_close_range(
    req: *mut bindings::io_kiocb,
    _issue_flags: c_uint,
) -> c_int {
    // SAFETY: per this function's contract.
    unsafe { issue_with(req, ops::close_range_issue) }
}
