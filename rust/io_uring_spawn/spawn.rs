// SPDX-License-Identifier: GPL-2.0

//! io_uring_spawn: process creation through io_uring.
//!
//! `IORING_OP_CLONE` creates a blank child that shares the submitter's mm
//! until exec; the requests linked after it run in the child, and
//! `IORING_OP_EXEC` ends the chain by exec'ing a program. See
//! Documentation/userspace-api/io_uring_spawn.rst for the UAPI.
//!
//! Layout, from the bottom up (no module imports one above it):
//! - [`abstractions`]: the only code that touches C, one module per C
//!   subsystem; it knows nothing of chains or of these opcodes.
//! - [`chain`]: the chain runner: ownership, vetting, running, unwinding.
//! - one file per opcode family, with its SQE rules beside its prep and
//!   issue: [`exec`] (EXEC), [`files`] (DUP, CHDIR, CLOSE_RANGE),
//!   [`attr`] (the CLONE's posix_spawn attributes), [`clone`] (CLONE, the
//!   child, and the io_uring requests as its chain runs them).
//! - this file: the opcode table entries io_uring calls.

mod abstractions;
mod attr;
mod chain;
mod clone;
mod exec;
mod files;
#[cfg(CONFIG_IO_URING_SPAWN_KUNIT_TEST)]
mod tests;

/// Prefix of this crate's `pr_*!` messages (there is no `module!` here).
const __LOG_PREFIX: &[u8] = b"io_uring_spawn\0";

abstractions::io_uring::opcode_table! {
    io_clone_prep, io_clone => clone::Clone;
    io_exec_prep, io_exec => exec::Exec;
    io_dup_prep, io_dup => files::Dup;
    io_chdir_prep, io_chdir => files::Chdir;
    io_close_range_prep, io_close_range => files::CloseRange;
}
