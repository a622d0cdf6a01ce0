/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * io_uring_spawn.h - liburing-style helpers that prepare the spawn requests
 * (IORING_OP_CLONE, EXEC, DUP, CHDIR, CLOSE_RANGE) in a struct io_uring_sqe.
 *
 * They only fill an SQE, so they work with liburing (before or after
 * liburing.h: both headers are guarded by LINUX_IO_URING_H, and no name
 * here clashes with liburing's) or with a hand-made ring. Each
 * io_uring_prep_*() but io_uring_prep_clone_attr() resets every field of
 * the SQE except user_data, as liburing's do; set flags and user_data
 * afterwards (io_uring_prep_clone() sets IOSQE_IO_LINK, which a CLONE
 * needs).
 *
 * The constants and struct io_uring_spawn_attr are defined here when the
 * UAPI header in use predates them. See
 * Documentation/userspace-api/io_uring_spawn.rst for the semantics. Needs
 * POSIX.1-2008 declarations (AT_FDCWD, sigset_t): strict ISO C builds
 * define _POSIX_C_SOURCE 200809L.
 */
#ifndef IO_URING_SPAWN_H
#define IO_URING_SPAWN_H

#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <fcntl.h>
#include <linux/types.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
#include <linux/close_range.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The opcodes are enumerators, which #ifdef cannot see: the feature and
 * flag macros added with them tell whether the header has them. A header
 * without them gets the series' numbers (those of a 6.12 base) as macros.
 * IORING_FEAT_SPAWN sits apart from mainline's bits, which have since
 * reached bit 16 (IORING_FEAT_RW_ATTR, 6.15).
 */
#ifndef IORING_FEAT_SPAWN
#define IORING_OP_CLONE		58
#define IORING_OP_EXEC		59
#define IORING_FEAT_SPAWN	0x80000000U	/* bit 31 */
#endif

#ifndef IORING_DUP_CLOEXEC
#define IORING_OP_DUP		60
#define IORING_OP_CHDIR		61
#define IORING_OP_CLOSE_RANGE	62
#define IORING_DUP_CLOEXEC	0x1U	/* bit 0 */
#define IORING_DUP_FROM_PREV	0x2U	/* bit 1 */
#define IORING_DUP_MOVE		0x4U	/* bit 2 */
#endif

#ifndef IORING_SPAWN_SETSID
struct io_uring_spawn_attr {
	__u32	flags;		/* IORING_SPAWN_* */
	__s32	pgid;		/* IORING_SPAWN_SETPGROUP: 0 for the child's pid */
	__u64	sigmask[2];	/* IORING_SPAWN_SETSIGMASK */
	__u64	sigdefault[2];	/* IORING_SPAWN_SETSIGDEF */
	__u64	resv[3];
};

#define IORING_SPAWN_SETSID		0x1U	/* bit 0 */
#define IORING_SPAWN_SETPGROUP		0x2U	/* bit 1 */
#define IORING_SPAWN_SETSIGMASK		0x4U	/* bit 2 */
#define IORING_SPAWN_SETSIGDEF		0x8U	/* bit 3 */
#define IORING_SPAWN_RESETIDS		0x10U	/* bit 4 */
#endif

#ifndef IORING_NOP_INJECT_RESULT
#define IORING_NOP_INJECT_RESULT	0x1U	/* bit 0 */
#endif

/* Highest signal number a struct io_uring_spawn_attr set may hold. */
#define IO_URING_SPAWN_SIGMAX	64

/*
 * Reset an SQE the way liburing's prep helpers do: everything but
 * user_data, which callers may have set before preparing.
 */
static inline void io_uring_spawn_sqe_reset(struct io_uring_sqe *sqe,
					    __u8 opcode)
{
	__u64 user_data = sqe->user_data;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->user_data = user_data;
}

/*
 * CLONE: @args is a clone3 struct clone_args of @size bytes, or NULL (then
 * @size is 0) for the defaults. A CLONE is only valid at the head of a link,
 * so IOSQE_IO_LINK is set here; io_uring_sqe_set_flags() may replace it by
 * IOSQE_IO_HARDLINK.
 */
static inline void io_uring_prep_clone(struct io_uring_sqe *sqe,
				       struct clone_args *args, size_t size)
{
	io_uring_spawn_sqe_reset(sqe, IORING_OP_CLONE);
	sqe->addr = (__u64)(unsigned long)args;
	sqe->len = (__u32)size;
	sqe->flags = IOSQE_IO_LINK;
}

/*
 * Attach posix_spawn-like attributes to a CLONE prepared above. The kernel
 * reads *attr at submission: it need not outlive io_uring_submit().
 */
static inline void io_uring_prep_clone_attr(struct io_uring_sqe *sqe,
					    const struct io_uring_spawn_attr *attr)
{
	sqe->addr2 = (__u64)(unsigned long)attr;
}

/*
 * EXEC: execveat(@dfd, @path, @argv, @envp, @flags) in the child. The
 * strings are read when the EXEC runs, so they must stay valid until its
 * completion arrives. @flags: AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW.
 */
static inline void io_uring_prep_execveat(struct io_uring_sqe *sqe, int dfd,
					  const char *path, char *const argv[],
					  char *const envp[], int flags)
{
	io_uring_spawn_sqe_reset(sqe, IORING_OP_EXEC);
	sqe->fd = dfd;
	sqe->addr = (__u64)(unsigned long)path;
	sqe->addr2 = (__u64)(unsigned long)argv;
	sqe->addr3 = (__u64)(unsigned long)envp;
	/* execve_flags in newer headers: the same slot as rw_flags. */
	sqe->rw_flags = flags;
}

static inline void io_uring_prep_exec(struct io_uring_sqe *sqe,
				      const char *path, char *const argv[],
				      char *const envp[])
{
	io_uring_prep_execveat(sqe, AT_FDCWD, path, argv, envp, 0);
}

/*
 * DUP: dup2(@fd, @target) in the child; IORING_DUP_CLOEXEC sets FD_CLOEXEC
 * on @target (cleared otherwise, also when @fd == @target), IORING_DUP_MOVE
 * closes @fd afterwards.
 */
static inline void io_uring_prep_dup(struct io_uring_sqe *sqe, int fd,
				     int target, unsigned int flags)
{
	io_uring_spawn_sqe_reset(sqe, IORING_OP_DUP);
	sqe->fd = fd;
	sqe->len = (__u32)target;
	sqe->rw_flags = (int)flags;	/* dup_flags */
}

/*
 * DUP whose source is the fd the previous request of the chain produced
 * (an OPENAT): "open onto @target" is OPENAT + this with IORING_DUP_MOVE.
 */
static inline void io_uring_prep_dup_prev(struct io_uring_sqe *sqe,
					  int target, unsigned int flags)
{
	io_uring_prep_dup(sqe, 0, target, flags | IORING_DUP_FROM_PREV);
}

/* CHDIR: chdir(@path) resolved relative to @dfd, in the child. */
static inline void io_uring_prep_chdirat(struct io_uring_sqe *sqe, int dfd,
					 const char *path)
{
	io_uring_spawn_sqe_reset(sqe, IORING_OP_CHDIR);
	sqe->fd = dfd;
	sqe->addr = (__u64)(unsigned long)path;
}

static inline void io_uring_prep_chdir(struct io_uring_sqe *sqe,
				       const char *path)
{
	io_uring_prep_chdirat(sqe, AT_FDCWD, path);
}

/* fchdir(@fd): a CHDIR without a path. */
static inline void io_uring_prep_fchdir(struct io_uring_sqe *sqe, int fd)
{
	io_uring_prep_chdirat(sqe, fd, NULL);
}

/*
 * CLOSE_RANGE: close_range(@first, @last, @flags) in the child; fds that
 * are not open are skipped. @last = ~0U is closefrom(@first).
 */
static inline void io_uring_prep_close_range(struct io_uring_sqe *sqe,
					     unsigned int first,
					     unsigned int last,
					     unsigned int flags)
{
	io_uring_spawn_sqe_reset(sqe, IORING_OP_CLOSE_RANGE);
	sqe->fd = (__s32)first;
	sqe->len = last;
	sqe->rw_flags = (int)flags;	/* close_range_flags */
}

/*
 * A NOP that completes with @res (IORING_NOP_INJECT_RESULT, 6.10+): in a
 * chain, a negative @res fails the chain at that point with that errno.
 */
static inline void io_uring_prep_spawn_fail(struct io_uring_sqe *sqe, int res)
{
	io_uring_spawn_sqe_reset(sqe, IORING_OP_NOP);
	sqe->rw_flags = IORING_NOP_INJECT_RESULT;	/* nop_flags */
	sqe->len = (__u32)res;
}

/*
 * Convert a sigset_t to the attr's 128-bit set (bit n - 1 is signal n).
 * Only signals 1..64 exist on Linux; the kernel rejects higher bits.
 */
static inline void io_uring_spawn_sigset(__u64 out[2], const sigset_t *set)
{
	int sig;

	out[0] = 0;
	out[1] = 0;
	for (sig = 1; sig <= IO_URING_SPAWN_SIGMAX; sig++)
		if (sigismember(set, sig) == 1)
			out[(sig - 1) / 64] |= 1ULL << ((sig - 1) % 64);
}

static inline void io_uring_spawn_attr_init(struct io_uring_spawn_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
}

static inline void io_uring_spawn_attr_set_sigmask(struct io_uring_spawn_attr *attr,
						   const sigset_t *set)
{
	io_uring_spawn_sigset(attr->sigmask, set);
	attr->flags |= IORING_SPAWN_SETSIGMASK;
}

static inline void io_uring_spawn_attr_set_sigdefault(struct io_uring_spawn_attr *attr,
						      const sigset_t *set)
{
	io_uring_spawn_sigset(attr->sigdefault, set);
	attr->flags |= IORING_SPAWN_SETSIGDEF;
}

/*
 * Feature bit, from io_uring_params.features (liburing: ring->features).
 * Mainline numbers other requests 58 and up (6.13 on), so the opcodes mean
 * spawn requests only on a kernel with this series; an early version of
 * the series used bit 16, which mainline 6.15 gave to IORING_FEAT_RW_ATTR.
 * io_uring_spawn_supported() in uring_spawn.h also runs a live probe.
 */
static inline int io_uring_spawn_feature(unsigned int features)
{
	return !!(features & IORING_FEAT_SPAWN);
}

#ifdef __cplusplus
}
#endif

#endif /* IO_URING_SPAWN_H */
