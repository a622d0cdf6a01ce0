// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the C that the spawn opcodes use.
//!
//! This folder is the only Rust code of io_uring_spawn that names
//! `bindings::` or holds `unsafe` (the `extern "C"` entry points that
//! [`io_uring::opcode_table!`] generates are written here too). Each
//! module wraps one C subsystem and says in its header where it would live
//! upstream: all of them in the kernel crate (rust/kernel/), which on 6.12
//! has none of them. They live here so that the series touches the kernel
//! crate only where it must (two error codes), and so that each can be
//! proposed there on its own once a second user needs it.

pub(crate) mod cred;
pub(crate) mod exec;
pub(crate) mod file;
pub(crate) mod fs;
pub(crate) mod io_uring;
#[cfg(CONFIG_IO_URING_SPAWN_KUNIT_TEST)]
pub(crate) mod kunit;
pub(crate) mod seccomp;
pub(crate) mod signal;
pub(crate) mod task;
pub(crate) mod uaccess;
pub(crate) mod uapi;
