// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Process creation through io_uring: a [`std::process::Command`]-like API
//! over the io_uring_spawn requests (`IORING_OP_CLONE`, `IORING_OP_EXEC`,
//! `IORING_OP_DUP`, `IORING_OP_CHDIR` and the spawn attributes of the
//! Linux 6.12 io_uring_spawn series).
//!
//! ```
//! # if io_uring_spawn::__doctest_skip() { return Ok(()); }
//! use io_uring_spawn::Command;
//! let out = Command::new("echo").arg("hello").output()?;
//! assert_eq!(out.stdout, b"hello\n");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How a command becomes a chain
//!
//! [`Command::spawn`] submits one chain of linked requests: the
//! `IORING_OP_CLONE` that creates a blank child, then, run by the child in
//! order, the set-up of its standard streams (`IORING_OP_OPENAT` of
//! `/dev/null` followed by `IORING_OP_DUP` with `IORING_DUP_FROM_PREV |
//! IORING_DUP_MOVE`, or a `DUP` of a pipe end or file held by the parent),
//! an `IORING_OP_CHDIR` for [`Command::current_dir`], and the
//! `IORING_OP_EXEC`s: one per candidate path, hard-linked, which is the
//! `$PATH` search. The process group and the signal state (empty mask,
//! `SIGPIPE` back to its default action, as std does) go in the CLONE's
//! `struct io_uring_spawn_attr`, the pidfd request in its `struct
//! clone_args`.
//!
//! The call returns once every completion of the chain has arrived: the
//! child's pid and a [`Child`] if an EXEC succeeded; otherwise the errno of
//! the failed request as an [`std::io::Error`] (see [`Command::spawn`]),
//! after reaping the child, which exits with status 127 without having run
//! any code of the program.
//!
//! [`spawn_batch`] puts the chains of many commands in one submission.
//!
//! # Requirements
//!
//! A kernel with the io_uring_spawn series (6.12 numbering), detected with
//! `IORING_FEAT_SPAWN` in `io_uring_params.features` (see [`Spawner::new`]
//! for the whole check). Without it every spawn fails with
//! [`std::io::ErrorKind::Unsupported`] and a message that says why: this
//! crate has no fallback to `fork`/`posix_spawn`, by design; callers that
//! want one use [`std::process::Command`] on that error. 64-bit Linux only.
//!
//! # Differences from `std::process`
//!
//! - Dropping a [`Child`] neither waits for nor kills the process, as with
//!   std: a child that exits after its `Child` was dropped stays a zombie
//!   until the parent waits for it or exits.
//! - A bare program name is searched for in the child's `PATH` (else
//!   `/bin:/usr/bin`, as std), and every candidate is tried (see
//!   [`Command`]).
//! - Each thread that spawns keeps a ring open (its default [`Spawner`]):
//!   one more close-on-exec file descriptor for the life of the thread.
//!
//! The examples in this documentation spawn real processes: they run on a
//! kernel with io_uring_spawn. (A hidden first line lets them print `SKIP`
//! and return when the kernel lacks it and `IO_URING_SPAWN_ALLOW_MISSING=1`
//! is set; without that variable they fail there.)

#![deny(missing_docs)]
#![cfg(target_os = "linux")]

mod child;
mod command;
pub mod raw;
mod spawner;
mod sys;

pub use child::{Child, ChildStderr, ChildStdin, ChildStdout};
pub use command::{Command, Stdio};
#[doc(hidden)]
pub use spawner::__doctest_skip;
pub use spawner::{is_supported, spawn_batch, Spawner};
/// Re-exported from std: what [`Child::wait`] and [`Command::status`]
/// return (built with [`std::os::unix::process::ExitStatusExt::from_raw`]).
pub use std::process::ExitStatus;
/// Re-exported from std: what [`Command::output`] and
/// [`Child::wait_with_output`] return.
pub use std::process::Output;
