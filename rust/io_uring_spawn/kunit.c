// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for io_uring_spawn. The cases are Rust (tests.rs), which also
 * builds their array; 6.12 has no #[kunit_tests] macro to register it.
 */
#include <kunit/test.h>
#include "kunit.h"

static struct kunit_suite io_spawn_suite = {
	.name = "io_uring_spawn",
	.test_cases = io_spawn_kunit_cases,
};

kunit_test_suite(io_spawn_suite);
