/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * uring_spawn.h - posix_spawn(3) and pidfd_spawn(3) through io_uring_spawn.
 *
 * Same signatures and semantics as glibc's functions (the return value is
 * an errno value; *pid and *pidfd are set only on success; a failed spawn
 * leaves no child and no fd behind), taking glibc's own
 * posix_spawn_file_actions_t and posix_spawnattr_t objects. When the io_uring
 * path cannot express a request exactly, or the kernel cannot run it, the
 * call is handed to glibc.
 *
 * Environment:
 *   IO_URING_SPAWN=0        always use glibc
 *   IO_URING_SPAWN=require  fail with ENOSYS instead of using glibc
 *   IO_URING_SPAWN_LOG=FILE append one line per call to FILE:
 *                           "uring <function> <pid|errno name>" or
 *                           "fallback <function> <reason>"
 *
 * Handed to glibc: POSIX_SPAWN_SETSCHEDPARAM/SETSCHEDULER, the tcsetpgrp
 * file action, a close of an fd at or above RLIMIT_NOFILE, a glibc version
 * not listed in uring_spawn.c's verified_glibc[], a kernel without spawn
 * chains (or one that refuses a chain), IO_URING_SPAWN=0.
 *
 * Known differences from glibc (2.36) on the io_uring path:
 *  - $PATH search: glibc stops at a candidate failing with anything but
 *    ENOENT, ESTALE, ENOTDIR, ENODEV, ETIMEDOUT or EACCES (say ENOEXEC,
 *    ELOOP, E2BIG); the hard-linked EXECs go on to the next candidate, so
 *    where a later one would run, it runs instead of the error. When none
 *    runs, the error returned is glibc's.
 *  - glibc's child leaves glibc's internal signals 32 and 33 ignored across
 *    the exec; here they keep the caller's disposition (SIG_DFL). The UAPI
 *    can reset a signal to SIG_DFL, not make one ignored.
 *  - glibc runs the file actions with every signal blocked and sets the
 *    child's mask just before exec'ing; the kernel sets it before the first
 *    action, so a signal sent to a child blocked in an action (opening a
 *    FIFO) acts at once rather than after the exec. glibc also blocks
 *    signals in the caller during the spawn; here the caller's handlers may
 *    run while it waits for the chain.
 *  - Each thread that spawns keeps a ring: one O_CLOEXEC fd, placed near the
 *    top of the default fd table (1024) so that it does not change which
 *    fd the program's or the child's next open() gets.
 */
#ifndef URING_SPAWN_H
#define URING_SPAWN_H

#include <errno.h>
#include <spawn.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a call returns under IO_URING_SPAWN=require instead of using glibc. */
#define IO_URING_SPAWN_EREQUIRED	ENOSYS

int io_uring_posix_spawn(pid_t *pid, const char *path,
			 const posix_spawn_file_actions_t *file_actions,
			 const posix_spawnattr_t *attrp,
			 char *const argv[], char *const envp[]);

/* As posix_spawnp(3): searches $PATH (of the caller's environment). */
int io_uring_posix_spawnp(pid_t *pid, const char *file,
			  const posix_spawn_file_actions_t *file_actions,
			  const posix_spawnattr_t *attrp,
			  char *const argv[], char *const envp[]);

/*
 * As glibc 2.39's pidfd_spawn(3): *pidfd gets an O_CLOEXEC pidfd for the
 * child, no pid is returned (pidfd_getpid() or /proc/self/fdinfo have it).
 */
int io_uring_pidfd_spawn(int *pidfd, const char *path,
			 const posix_spawn_file_actions_t *file_actions,
			 const posix_spawnattr_t *attrp,
			 char *const argv[], char *const envp[]);

int io_uring_pidfd_spawnp(int *pidfd, const char *file,
			  const posix_spawn_file_actions_t *file_actions,
			  const posix_spawnattr_t *attrp,
			  char *const argv[], char *const envp[]);

/*
 * 1 if this process and kernel can spawn through io_uring (IO_URING_SPAWN
 * and the arguments of a call aside), 0 if not; then *reason (if @reason
 * is not NULL) says why, as the log's fallback lines do.
 */
int io_uring_spawn_supported(const char **reason);

#ifdef __cplusplus
}
#endif

#endif /* URING_SPAWN_H */
