/* SPDX-License-Identifier: GPL-2.0 */
/* The Rust KUnit cases of io_uring_spawn (tests.rs), listed by kunit.c. */
#ifndef _IO_URING_SPAWN_KUNIT_H
#define _IO_URING_SPAWN_KUNIT_H

struct kunit;

void io_spawn_test_clone_sqe(struct kunit *test);
void io_spawn_test_exec_sqe(struct kunit *test);
void io_spawn_test_clone_args(struct kunit *test);
void io_spawn_test_refusal_table(struct kunit *test);
void io_spawn_test_vet_accepts_allowed(struct kunit *test);
void io_spawn_test_vet_refuses_opcode(struct kunit *test);
void io_spawn_test_vet_refuses_flags(struct kunit *test);
void io_spawn_test_run_exec_cancels_rest(struct kunit *test);
void io_spawn_test_run_soft_failure_stops(struct kunit *test);
void io_spawn_test_run_skip_success_failure(struct kunit *test);
void io_spawn_test_run_hardlink_path_search(struct kunit *test);
void io_spawn_test_run_without_exec_fails(struct kunit *test);
void io_spawn_test_run_stops_on_fatal_signal(struct kunit *test);
void io_spawn_test_start_alloc_failure(struct kunit *test);
void io_spawn_test_start_create_failure(struct kunit *test);
void io_spawn_test_start_success(struct kunit *test);
void io_spawn_test_dup_sqe(struct kunit *test);
void io_spawn_test_chdir_close_range_sqe(struct kunit *test);
void io_spawn_test_spawn_attr(struct kunit *test);
void io_spawn_test_run_passes_prev_fd(struct kunit *test);
void io_spawn_test_vet_marks_chain_only(struct kunit *test);
void io_spawn_test_attr_apply(struct kunit *test);
void io_spawn_test_seccomp_verdict(struct kunit *test);
void io_spawn_test_run_seccomp(struct kunit *test);
void io_spawn_test_clone_flags(struct kunit *test);
void io_spawn_test_run_slot_is_no_fd(struct kunit *test);
void io_spawn_test_run_parks_between_steps(struct kunit *test);

#endif
