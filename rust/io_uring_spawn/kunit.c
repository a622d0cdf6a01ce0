// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for io_uring_spawn. The cases are Rust (tests.rs); 6.12 has no
 * #[kunit_tests] macro, so they are exported and listed here.
 */
#include <kunit/test.h>

#include "kunit.h"

static struct kunit_case io_spawn_cases[] = {
	KUNIT_CASE(io_spawn_test_clone_sqe),
	KUNIT_CASE(io_spawn_test_exec_sqe),
	KUNIT_CASE(io_spawn_test_clone_args),
	KUNIT_CASE(io_spawn_test_refusal_table),
	KUNIT_CASE(io_spawn_test_vet_accepts_allowed),
	KUNIT_CASE(io_spawn_test_vet_refuses_opcode),
	KUNIT_CASE(io_spawn_test_vet_refuses_flags),
	KUNIT_CASE(io_spawn_test_run_exec_cancels_rest),
	KUNIT_CASE(io_spawn_test_run_soft_failure_stops),
	KUNIT_CASE(io_spawn_test_run_skip_success_failure),
	KUNIT_CASE(io_spawn_test_run_hardlink_path_search),
	KUNIT_CASE(io_spawn_test_run_without_exec_fails),
	KUNIT_CASE(io_spawn_test_run_stops_on_fatal_signal),
	KUNIT_CASE(io_spawn_test_start_alloc_failure),
	KUNIT_CASE(io_spawn_test_start_create_failure),
	KUNIT_CASE(io_spawn_test_start_success),
	KUNIT_CASE(io_spawn_test_dup_sqe),
	KUNIT_CASE(io_spawn_test_chdir_close_range_sqe),
	KUNIT_CASE(io_spawn_test_spawn_attr),
	KUNIT_CASE(io_spawn_test_run_passes_prev_fd),
	KUNIT_CASE(io_spawn_test_vet_marks_chain_only),
	KUNIT_CASE(io_spawn_test_attr_apply),
	KUNIT_CASE(io_spawn_test_seccomp_verdict),
	KUNIT_CASE(io_spawn_test_run_seccomp),
	KUNIT_CASE(io_spawn_test_clone_flags),
	KUNIT_CASE(io_spawn_test_run_slot_is_no_fd),
	KUNIT_CASE(io_spawn_test_run_parks_between_steps),
	{}
};

static struct kunit_suite io_spawn_suite = {
	.name = "io_uring_spawn",
	.test_cases = io_spawn_cases,
};

kunit_test_suite(io_spawn_suite);
