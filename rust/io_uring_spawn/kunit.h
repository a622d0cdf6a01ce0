/* SPDX-License-Identifier: GPL-2.0 */
/* The Rust KUnit cases of io_uring_spawn, built by tests.rs. */
#ifndef _IO_URING_SPAWN_KUNIT_H
#define _IO_URING_SPAWN_KUNIT_H

#include <kunit/test.h>

/* NULL-terminated, for kunit.c's suite. */
extern struct kunit_case io_spawn_kunit_cases[];

#endif
