/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal raw io_uring for the io_uring_spawn selftests: io_uring_setup,
 * io_uring_enter and io_uring_register through syscall(), the rings mapped
 * by hand. No liburing, so the tests depend on nothing but the UAPI header.
 *
 * Only what the tests need: one submitter, SQEs published in batches (a
 * spawn chain must reach the kernel in a single io_uring_enter(), or its open
 * link would be punted to io-wq), and bounded waits for completions.
 */
#ifndef SPAWN_RING_H
#define SPAWN_RING_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <linux/sched.h>

/*
 * The series' numbers on 6.12 (the next free opcodes after
 * IORING_OP_LISTEN). The opcodes are enumerators, not macros, so #ifndef
 * cannot see them in a patched header: defining them again with the same
 * value is harmless there and keeps the tests building against an
 * unpatched header.
 */
#ifndef IORING_OP_CLONE
#define IORING_OP_CLONE		58
#endif
#ifndef IORING_OP_EXEC
#define IORING_OP_EXEC		59
#endif
#ifndef IORING_FEAT_SPAWN
#define IORING_FEAT_SPAWN	0x80000000U	/* bit 31 */
#endif

/* Older installed headers: the tests only need the values. */
#ifndef IORING_NOP_INJECT_RESULT
#define IORING_NOP_INJECT_RESULT	0x1U	/* bit 0 */
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER	0x1000U	/* bit 12 */
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN	0x2000U	/* bit 13 */
#endif
#ifndef IO_URING_OP_SUPPORTED
#define IO_URING_OP_SUPPORTED		0x1U	/* bit 0 */
#endif

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup	425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter	426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register	427
#endif

static inline int sys_io_uring_setup(unsigned int entries,
				     struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, entries, p);
}

static inline int sys_io_uring_enter(int fd, unsigned int to_submit,
				     unsigned int min_complete,
				     unsigned int flags, void *arg,
				     size_t argsz)
{
	return syscall(__NR_io_uring_enter, fd, to_submit, min_complete,
		       flags, arg, argsz);
}

static inline int sys_io_uring_register(int fd, unsigned int opcode,
					void *arg, unsigned int nr_args)
{
	return syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
}

struct spawn_ring {
	int fd;
	unsigned int setup_flags;
	unsigned int features;

	void *sq_map;
	size_t sq_map_sz;
	unsigned int *sq_head;
	unsigned int *sq_tail;
	unsigned int *sq_flags;
	unsigned int *sq_array;
	unsigned int sq_mask;
	unsigned int sq_entries;
	struct io_uring_sqe *sqes;
	size_t sqes_sz;
	/* SQEs handed out by ring_get_sqe() but not yet published. */
	unsigned int sqe_tail;

	void *cq_map;		/* == sq_map with IORING_FEAT_SINGLE_MMAP */
	size_t cq_map_sz;
	unsigned int *cq_head;
	unsigned int *cq_tail;
	unsigned int cq_mask;
	struct io_uring_cqe *cqes;
};

/* A completion copied out of the CQ ring. */
struct spawn_cqe {
	__u64 user_data;
	__s32 res;
	__u32 flags;
};

static inline void ring_exit(struct spawn_ring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_sz);
	if (r->cq_map && r->cq_map != MAP_FAILED && r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_map_sz);
	if (r->sq_map && r->sq_map != MAP_FAILED)
		munmap(r->sq_map, r->sq_map_sz);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/*
 * Set up a ring with @setup_flags (e.g. IORING_SETUP_SQPOLL, or
 * IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN). @sq_idle_ms is
 * the SQPOLL thread's idle time. Returns 0 or a negative errno.
 */
static inline int ring_init(struct spawn_ring *r, unsigned int entries,
			    unsigned int setup_flags, unsigned int sq_idle_ms)
{
	struct io_uring_params p;
	int err;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	memset(&p, 0, sizeof(p));
	p.flags = setup_flags;
	p.sq_thread_idle = sq_idle_ms;

	r->fd = sys_io_uring_setup(entries, &p);
	if (r->fd < 0) {
		err = -errno;
		r->fd = -1;
		return err;
	}
	r->setup_flags = setup_flags;
	r->features = p.features;

	r->sq_map_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_map_sz = p.cq_off.cqes +
		       p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_map_sz > r->sq_map_sz)
			r->sq_map_sz = r->cq_map_sz;
		r->cq_map_sz = r->sq_map_sz;
	}

	r->sq_map = mmap(NULL, r->sq_map_sz, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (r->sq_map == MAP_FAILED)
		goto fail;
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		r->cq_map = r->sq_map;
	} else {
		r->cq_map = mmap(NULL, r->cq_map_sz, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, r->fd,
				 IORING_OFF_CQ_RING);
		if (r->cq_map == MAP_FAILED)
			goto fail;
	}
	r->sqes_sz = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_sz, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		goto fail;

	r->sq_head = (unsigned int *)((char *)r->sq_map + p.sq_off.head);
	r->sq_tail = (unsigned int *)((char *)r->sq_map + p.sq_off.tail);
	r->sq_flags = (unsigned int *)((char *)r->sq_map + p.sq_off.flags);
	r->sq_array = (unsigned int *)((char *)r->sq_map + p.sq_off.array);
	r->sq_mask = *(unsigned int *)((char *)r->sq_map + p.sq_off.ring_mask);
	r->sq_entries = p.sq_entries;
	r->sqe_tail = *r->sq_tail;

	r->cq_head = (unsigned int *)((char *)r->cq_map + p.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq_map + p.cq_off.tail);
	r->cq_mask = *(unsigned int *)((char *)r->cq_map + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_map + p.cq_off.cqes);
	return 0;

fail:
	err = -errno;
	ring_exit(r);
	return err;
}

/* A zeroed SQE, or NULL when the SQ ring is full. */
static inline struct io_uring_sqe *ring_get_sqe(struct spawn_ring *r)
{
	unsigned int head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
	struct io_uring_sqe *sqe;

	if (r->sqe_tail - head >= r->sq_entries)
		return NULL;
	sqe = &r->sqes[r->sqe_tail & r->sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	r->sqe_tail++;
	return sqe;
}

/*
 * Wake an SQPOLL ring's thread if it sleeps, for entries published before
 * the call. Returns 0 or a negative errno.
 */
static inline int ring_wake_sqpoll(struct spawn_ring *r)
{
	/*
	 * Order the tail store before reading the wakeup flag, or the
	 * thread could go to sleep having missed the new entries.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if ((__atomic_load_n(r->sq_flags, __ATOMIC_RELAXED) &
	     IORING_SQ_NEED_WAKEUP) &&
	    sys_io_uring_enter(r->fd, 0, 0, IORING_ENTER_SQ_WAKEUP, NULL, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Publish every SQE taken since the last call (ring_publish()), then
 * hand them to the kernel in one io_uring_enter() (or wake the SQPOLL
 * thread) which, unless SQPOLL, also waits for @wait_nr completions
 * (liburing's io_uring_submit_and_wait()). Returns the number the kernel
 * consumed (for SQPOLL: the number published) or a negative errno.
 */
/*
 * Publish every SQE taken since the last call with one tail update,
 * without entering the kernel. Returns how many were published.
 */
static inline unsigned int ring_publish(struct spawn_ring *r)
{
	unsigned int tail = *r->sq_tail;
	unsigned int n = r->sqe_tail - tail;
	unsigned int i;

	for (i = 0; i < n; i++)
		r->sq_array[(tail + i) & r->sq_mask] = (tail + i) & r->sq_mask;
	/* The SQEs and array entries must be visible before the new tail. */
	__atomic_store_n(r->sq_tail, tail + n, __ATOMIC_RELEASE);
	return n;
}

static inline int ring_submit_and_wait(struct spawn_ring *r,
				       unsigned int wait_nr)
{
	unsigned int n = ring_publish(r);
	int ret;

	if (r->setup_flags & IORING_SETUP_SQPOLL) {
		ret = ring_wake_sqpoll(r);
		return ret < 0 ? ret : (int)n;
	}

	ret = sys_io_uring_enter(r->fd, n, wait_nr,
				 wait_nr ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
	return ret < 0 ? -errno : ret;
}

static inline int ring_submit(struct spawn_ring *r)
{
	return ring_submit_and_wait(r, 0);
}

/* Copy out up to @max ready completions; returns how many. */
static inline int ring_reap(struct spawn_ring *r, struct spawn_cqe *out,
			    int max)
{
	unsigned int head = *r->cq_head;
	unsigned int tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
	int n = 0;

	while (head != tail && n < max) {
		struct io_uring_cqe *cqe = &r->cqes[head & r->cq_mask];

		out[n].user_data = cqe->user_data;
		out[n].res = cqe->res;
		out[n].flags = cqe->flags;
		n++;
		head++;
	}
	/* The entries are read before the kernel may reuse their slots. */
	__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	return n;
}

static inline long long ring_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Collect @want completions, in arrival order, waiting at most @timeout_ms
 * in total. Returns how many were collected (less than @want on timeout) or
 * a negative errno. Waiting goes through io_uring_enter(GETEVENTS), which
 * also runs the task work that DEFER_TASKRUN rings post completions from.
 */
static inline int ring_wait_cqes(struct spawn_ring *r, struct spawn_cqe *out,
				 int want, int timeout_ms)
{
	long long deadline = ring_now_ms() + timeout_ms;
	int got = 0;

	for (;;) {
		struct io_uring_getevents_arg arg;
		struct __kernel_timespec ts;
		long long left;

		got += ring_reap(r, out + got, want - got);
		if (got >= want)
			return got;
		left = deadline - ring_now_ms();
		if (left <= 0)
			return got;

		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		memset(&arg, 0, sizeof(arg));
		arg.ts = (__u64)(unsigned long)&ts;
		if (sys_io_uring_enter(r->fd, 0, want - got,
				       IORING_ENTER_GETEVENTS |
				       IORING_ENTER_EXT_ARG,
				       &arg, sizeof(arg)) < 0 &&
		    errno != ETIME && errno != EINTR && errno != EAGAIN &&
		    errno != EBUSY)
			return -errno;
	}
}

/*
 * 1 if the kernel reports @op as supported, 0 if not, negative errno if
 * the probe itself failed.
 */
static inline int ring_probe_op(struct spawn_ring *r, unsigned int op)
{
	const unsigned int nr = 256;
	struct io_uring_probe *p;
	int ret;

	p = calloc(1, sizeof(*p) + nr * sizeof(struct io_uring_probe_op));
	if (!p)
		return -ENOMEM;
	ret = sys_io_uring_register(r->fd, IORING_REGISTER_PROBE, p, nr);
	if (ret < 0)
		ret = -errno;
	else
		ret = op <= p->last_op && op < nr &&
		      (p->ops[op].flags & IO_URING_OP_SUPPORTED);
	free(p);
	return ret;
}

/* Register the caller's credentials; returns the personality id. */
static inline int ring_register_personality(struct spawn_ring *r)
{
	int ret = sys_io_uring_register(r->fd, IORING_REGISTER_PERSONALITY,
					NULL, 0);

	return ret < 0 ? -errno : ret;
}

/*
 * Request preparation. The caller sets sqe->flags (IOSQE_IO_LINK,
 * IOSQE_IO_HARDLINK) and sqe->user_data after the prep_*() call.
 */
static inline void prep_nop(struct io_uring_sqe *sqe)
{
	sqe->opcode = IORING_OP_NOP;
}

/* A NOP that completes with @res (IORING_NOP_INJECT_RESULT, from 6.10). */
static inline void prep_nop_inject(struct io_uring_sqe *sqe, int res)
{
	sqe->opcode = IORING_OP_NOP;
	sqe->rw_flags = IORING_NOP_INJECT_RESULT;	/* nop_flags */
	sqe->len = (__u32)res;
}

/*
 * @ca: a struct clone_args, or NULL for the defaults (then @len is 0). A
 * void pointer because tests also pass larger or unmapped buffers.
 */
static inline void prep_clone(struct io_uring_sqe *sqe, const void *ca,
			      size_t len)
{
	sqe->opcode = IORING_OP_CLONE;
	sqe->addr = (__u64)(unsigned long)ca;
	sqe->len = len;
}

/*
 * execveat(dfd, path, argv, envp, flags). The flags go in the op-flags
 * union: rw_flags is the same slot as the series' execve_flags, and exists
 * in every header.
 */
static inline void prep_exec(struct io_uring_sqe *sqe, int dfd,
			     const char *path, char *const argv[],
			     char *const envp[], unsigned int flags)
{
	sqe->opcode = IORING_OP_EXEC;
	sqe->fd = dfd;
	sqe->addr = (__u64)(unsigned long)path;
	sqe->addr2 = (__u64)(unsigned long)argv;
	sqe->addr3 = (__u64)(unsigned long)envp;
	sqe->rw_flags = flags;
}

static inline void prep_openat(struct io_uring_sqe *sqe, int dfd,
			       const char *path, int flags, mode_t mode)
{
	sqe->opcode = IORING_OP_OPENAT;
	sqe->fd = dfd;
	sqe->addr = (__u64)(unsigned long)path;
	sqe->len = mode;
	sqe->open_flags = flags;
}

static inline void prep_openat2(struct io_uring_sqe *sqe, int dfd,
				const char *path, struct open_how *how)
{
	sqe->opcode = IORING_OP_OPENAT2;
	sqe->fd = dfd;
	sqe->addr = (__u64)(unsigned long)path;
	sqe->len = sizeof(*how);
	sqe->off = (__u64)(unsigned long)how;
}

static inline void prep_close(struct io_uring_sqe *sqe, int fd)
{
	sqe->opcode = IORING_OP_CLOSE;
	sqe->fd = fd;
}

static inline void prep_read(struct io_uring_sqe *sqe, int fd, void *buf,
			     unsigned int len)
{
	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (__u64)(unsigned long)buf;
	sqe->len = len;
	sqe->off = -1ULL;	/* current position */
}

/* IORING_OP_ASYNC_CANCEL of the request with @user_data. */
static inline void prep_cancel(struct io_uring_sqe *sqe, __u64 user_data)
{
	sqe->opcode = IORING_OP_ASYNC_CANCEL;
	sqe->addr = user_data;
}

/* dup2(@fd, @target) in the child; IORING_DUP_* in @flags. */
static inline void prep_dup(struct io_uring_sqe *sqe, int fd,
			    unsigned int target, unsigned int flags)
{
	sqe->opcode = IORING_OP_DUP;
	sqe->fd = fd;
	sqe->len = target;
	sqe->rw_flags = flags;	/* dup_flags */
}

/* chdir(@path) relative to @dfd; fchdir(@dfd) when @path is NULL. */
static inline void prep_chdir(struct io_uring_sqe *sqe, int dfd,
			      const char *path)
{
	sqe->opcode = IORING_OP_CHDIR;
	sqe->fd = dfd;
	sqe->addr = (__u64)(unsigned long)path;
}

static inline void prep_close_range(struct io_uring_sqe *sqe,
				    unsigned int first, unsigned int last,
				    unsigned int flags)
{
	sqe->opcode = IORING_OP_CLOSE_RANGE;
	sqe->fd = (int)first;
	sqe->len = last;
	sqe->rw_flags = flags;	/* close_range_flags */
}

/* Point a prepared CLONE at a struct io_uring_spawn_attr. */
static inline void prep_clone_attr(struct io_uring_sqe *sqe, const void *attr)
{
	sqe->addr2 = (__u64)(unsigned long)attr;
}

/* Bit (n - 1) of an io_uring_spawn_attr signal set is signal n. */
static inline void spawn_sigset_add(__u64 set[2], int sig)
{
	set[(sig - 1) / 64] |= 1ULL << ((sig - 1) % 64);
}

#endif /* SPAWN_RING_H */
