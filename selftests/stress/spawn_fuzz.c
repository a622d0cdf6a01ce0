// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_fuzz - a structure-aware fuzzer of io_uring's spawn opcodes.
 *
 *   spawn_fuzz [-n iterations] [-s seed] [-T seconds] [-q] [-v] [-k kind]
 *              [-c program]
 *
 * Each iteration submits one batch of 1..6 SQEs, most often a CLONE and
 * what may follow it in a chain: EXEC, DUP, CHDIR, CLOSE_RANGE, NOP,
 * OPENAT, now and then a READ, a second CLONE or an opcode that does not
 * exist. Every field is drawn from zero, random and boundary values, and
 * pointers from valid structs, structs with random contents, unmapped
 * memory, structs and strings that run into a PROT_NONE page, huge
 * lengths, huge strings and buffers that overlap one another. sqe->flags
 * get random link bits and now and then IOSQE_FIXED_FILE, IOSQE_ASYNC,
 * IOSQE_BUFFER_SELECT, IOSQE_CQE_SKIP_SUCCESS (never on a CLONE: its CQE
 * carries the pid we must reap) or an undefined bit, never IOSQE_IO_DRAIN
 * (see sanitize()), and the personality field is sometimes a registered
 * one, sometimes not.
 *
 * The oracle, for every iteration:
 *  - every CQE comes once; those the kernel owes us (all but requests with
 *    IOSQE_CQE_SKIP_SUCCESS and the rest of their link) arrive within
 *    WAIT_MS, or the iteration fails and its SQEs are printed;
 *  - a result is >= 0 only where the opcode has one (a pid for CLONE, 0
 *    for EXEC, CHDIR and CLOSE_RANGE, the target fd for DUP, ...), or a
 *    negative errno from that opcode's list of documented ones;
 *  - a CLONE's pid is our child, which we reap, and its pidfd, if asked
 *    for, refers to it;
 *  - the link of a CLONE behaves as a chain: nothing in it succeeds if the
 *    CLONE failed; in the child's chain, everything after a successful
 *    EXEC or a soft-linked failure is -ECANCELED, and a DUP FROM_PREV with
 *    no fd before it fails; the child exits 0 (the program ran) if an
 *    EXEC succeeded and 127 if none did, unless it outstayed WAIT_MS and
 *    died of the SIGKILL we then send;
 *  - no other child appears, and the fd count stays what it was.
 * A failure is reported and the run goes on with a new ring and new
 * buffers (the old ones are left alone: a stuck child may still use them),
 * up to MAX_FAILURES.
 *
 * The valid EXEC target is stress_child, which exits 0 whatever its
 * arguments. We block every signal a child could send us as its exit
 * signal and keep the fault signals, which no child may use, for a handler
 * that reports a crash of ours as a failure.
 *
 * Exit status: 0 when every check passed, 1 otherwise, 4 (kselftest skip)
 * when the kernel lacks the feature.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn_proc.h"
#include "spawn_ring.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#ifndef __WALL
#define __WALL		0x40000000
#endif

#define MAX_SQES	6
#define RING_ENTRIES	16
#define WAIT_MS		10000	/* for a CQE, or for a child to exit */
#define HISTORY		256	/* iterations whose late CQEs we recognise */
#define MAX_FAILURES	50	/* give up after this many */
#define MAX_REPORTS	20	/* failures described in full */
#define FD_CHECK_EVERY	500	/* iterations between fd count checks */
#define NOFILE_CAP	4096	/* our RLIMIT_NOFILE: keeps fd tables small */

#define SCRATCH_SZ	(64 * 1024)
#define NR_EDGES	16	/* one page each, then a PROT_NONE page */
#define HUGE_SZ		(160 * 1024)	/* above MAX_ARG_STRLEN (128 KiB) */
#define MANY_ARGS	4096

#define MISSING_PATH	"/nonexistent-spawn-fuzz/x"

enum ring_kind { RK_PLAIN, RK_DEFER, RK_COOP, RK_SQPOLL, RK_NR };

static const char *const kind_name[RK_NR] = {
	"plain", "defer_taskrun", "coop_taskrun", "sqpoll",
};

/* An opcode past anything the kernel knows. */
#define BOGUS_OPCODE	250

struct fz_sqe {
	struct io_uring_sqe sqe;	/* as submitted */
	int head;		/* index of the first SQE of its link */
	bool optional;		/* its CQE may legitimately not come */
	/* CLONE: where its pidfd goes if it asked for one we can read */
	int *pidfd_at;
	bool seen;
	int res;
	__u32 cqe_flags;
	/* CLONE with a pid: how its child ended. */
	bool reaped;
	bool killed;		/* by our SIGKILL */
	int status;
	int expect_exit;	/* 0 if an EXEC of its chain worked, else 127 */
};

struct history {
	__u64 iter;
	int n;
	unsigned int seen;
	unsigned int optional;
	unsigned int ours;	/* OPENATs whose fd, if any, is in our table */
};

struct rng {
	uint64_t s;
};

/* Memory the SQEs point at; replaced after a failure, never reused then. */
struct mem {
	char *scratch;		/* bump-allocated per iteration */
	size_t used;
	char *none;		/* a PROT_NONE page */
	char *ro;		/* a read-only page of zeros */
	char *edge[NR_EDGES];	/* one RW page, then a PROT_NONE page */
	int edges_used;
	char *huge;		/* HUGE_SZ - 1 'a's and a NUL, then PROT_NONE */
	char **many;		/* MANY_ARGS pointers to a string, then NULL */
};

static struct {
	long iterations;
	uint64_t seed;
	int time_limit;
	bool quiet;
	bool fd_check_all;	/* -F */
	bool verbose;
	int first_kind;
	char child[PATH_MAX];
	char child_dir[PATH_MAX];
	char child_name[NAME_MAX + 1];
	char guard_env[40];	/* STRESS_GUARD=<our pid> */
	char guard_arg[40];	/* --guard=<our pid> */
	int keep_fd;		/* /dev/null */
	int dir_fd;		/* the directory of the program, O_PATH */
	int child_fd;		/* the program, O_PATH: for AT_EMPTY_PATH */
	unsigned int nofile;
	size_t page;
} cfg;

static struct fuzz {
	struct rng rng;
	struct spawn_ring ring;
	int kind;
	int personality;	/* registered on the ring, 0 if none */
	long ring_iters;	/* iterations left on this ring */
	struct mem mem;

	__u64 iter;
	uint64_t iter_rng;	/* the generator's state when it began */
	int n;
	struct fz_sqe cur[MAX_SQES];
	struct history hist[HISTORY];

	/* Counts. */
	long sqes;
	long cqes;
	long late_cqes;
	long late_fds;		/* fds of late OPENATs, closed */
	long children;
	long exit0;
	long exit127;
	long killed;
	long ok_res;		/* CQEs with res >= 0 */
	long errno_count[4096];
	long rings[RK_NR];
	long failures;
	int reports;
	bool bad_iter;		/* this iteration failed: recover */
} F;

/* --- small helpers ------------------------------------------------------ */

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rnd(unsigned int n)
{
	return n ? rng_next(&F.rng) % n : 0;
}

static bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

/* Values where checks tend to be off by one or sign. */
static __u64 boundary(void)
{
	static const __u64 v[] = {
		0, 1, 2, 3, 63, 64, 65, 0x7f, 0x80, 0xff, 0x100, 4095, 4096,
		4097, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
		0xfffffffe, 0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~1ULL, ~0ULL, 0xffff800000000000ULL,
	};

	return v[rnd(ARRAY_SIZE(v))];
}

/* A field that should be zero: usually is, else random or a boundary. */
static __u64 maybe(unsigned int percent)
{
	if (!chance(percent))
		return 0;
	return chance(50) ? boundary() : rng_next(&F.rng);
}

/* An address nothing is mapped at, or that is not ours to give. */
static __u64 bad_address(void)
{
	static const __u64 v[] = {
		1, 8, 0x1000, 0xdead0000, 0x7fffffffffffULL,
		0x800000000000ULL, 0xffff888000000000ULL, ~0ULL - 7,
	};

	return v[rnd(ARRAY_SIZE(v))];
}

static void *scratch(size_t size)
{
	struct mem *m = &F.mem;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (m->used + size > SCRATCH_SZ)
		return NULL;
	p = m->scratch + m->used;
	m->used += size;
	memset(p, 0, size);
	return p;
}

static char *scratch_str(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = scratch(len);

	if (p)
		memcpy(p, s, len);
	return p;
}

/* The end of an unused edge page: what is placed before it runs into PROT_NONE. */
static char *edge_end(void)
{
	struct mem *m = &F.mem;

	if (m->edges_used >= NR_EDGES)
		return NULL;
	return m->edge[m->edges_used++] + cfg.page;
}

static __u64 ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* --- pointers to strings and arrays -------------------------------------- */

/* A path for EXEC or CHDIR. */
static __u64 gen_path(bool exec)
{
	static const char *const plain[] = {
		"/", "/dev/null", "/tmp", ".", "..", "", MISSING_PATH,
		"/proc/self/fd", "stress_child",
	};
	unsigned int p = rnd(100);
	char *end, *s;

	if (exec && p < 40)
		return ptr(scratch_str(cfg.child));
	if (p < 60)
		return ptr(scratch_str(plain[rnd(ARRAY_SIZE(plain))]));
	if (p < 65)
		return 0;
	if (p < 70)
		return ptr(F.mem.none);
	if (p < 75)
		return bad_address();
	if (p < 80)	/* longer than PATH_MAX */
		return ptr(F.mem.huge + HUGE_SZ - 1 - (PATH_MAX + 10));
	if (p < 85)
		return ptr(F.mem.huge);
	if (p < 92) {
		/* No NUL before the PROT_NONE page. */
		end = edge_end();
		if (!end)
			return ptr(F.mem.none);
		memset(end - cfg.page, 'a', cfg.page);
		return ptr(end - 1 - rnd(cfg.page < PATH_MAX ? cfg.page : PATH_MAX - 1));
	}
	/* The bytes of an array of pointers, read as a path. */
	s = scratch(32);
	if (!s)
		return 0;
	*(char **)s = cfg.child;
	return ptr(s + rnd(8));
}

/* A string for argv or envp. */
static char *gen_arg(bool env)
{
	static const char *const args[] = {
		"a", "", "two words", "--help", "-", "x=y", "A=1", "PATH=/bin",
		"\xff\xfe", "0123456789abcdef",
	};

	if (env && chance(30))
		return cfg.guard_env;
	if (!env && chance(20))
		return cfg.guard_arg;
	return scratch_str(args[rnd(ARRAY_SIZE(args))]);
}

/*
 * An argv or envp. @other is the one generated before (argv for envp), to
 * make the two overlap now and then.
 */
static __u64 gen_vector(bool env, __u64 other, __u64 path)
{
	unsigned int p = rnd(100), n, i;
	char **v, *end;

	if (p < (env ? 45U : 40U)) {
		/* Valid, NULL-terminated. */
		n = rnd(5);
		v = scratch((n + 2) * sizeof(char *));
		if (!v)
			return 0;
		i = 0;
		if (!env)
			v[i++] = cfg.child;
		while (n--)
			v[i++] = gen_arg(env);
		if (env && chance(70))
			v[i++] = cfg.guard_env;
		v[i] = NULL;
		return ptr(v);
	}
	if (p < 55)
		return 0;		/* NULL: allowed, an empty vector */
	if (p < 63) {
		/* Valid pointers up to the PROT_NONE page, no NULL. */
		end = edge_end();
		if (!end)
			return ptr(F.mem.none);
		v = (char **)end - 1 - rnd(8);
		for (i = 0; (char *)(v + i) < end; i++)
			v[i] = cfg.child;
		return ptr(v);
	}
	if (p < 68)
		return ptr(F.mem.none);
	if (p < 73)
		return bad_address();
	if (p < 80) {
		/* An element that is not readable. */
		v = scratch(4 * sizeof(char *));
		if (!v)
			return 0;
		v[0] = cfg.child;
		v[1] = chance(50) ? F.mem.none : (char *)(uintptr_t)bad_address();
		v[2] = NULL;
		return ptr(v);
	}
	if (p < 85) {
		/* An element longer than MAX_ARG_STRLEN. */
		v = scratch(3 * sizeof(char *));
		if (!v)
			return 0;
		v[0] = cfg.child;
		v[1] = F.mem.huge;
		v[2] = NULL;
		return ptr(v);
	}
	if (p < 89)
		return ptr(F.mem.many);	/* MANY_ARGS short strings */
	if (p < 95 && other)
		return other;		/* argv == envp */
	if (path)
		return path + rnd(8);	/* the path's bytes as pointers */
	return bad_address();
}

/* --- SQEs -------------------------------------------------------------- */

/* Fields every opcode here leaves zero, set now and then. */
static void fuzz_reserved(struct io_uring_sqe *sqe, unsigned int percent)
{
	sqe->ioprio = maybe(percent);
	sqe->buf_index = maybe(percent);
	sqe->file_index = maybe(percent);	/* splice_fd_in */
	sqe->__pad2[0] = maybe(percent);
}

/* Any signal but those that would stop or kill us, or that we crash on. */
static __u64 safe_signal(__u64 sig)
{
	switch (sig) {
	case SIGKILL: case SIGSTOP: case SIGILL: case SIGTRAP: case SIGABRT:
	case SIGBUS: case SIGFPE: case SIGSEGV: case SIGSYS:
	case 32: case 33:	/* glibc's own, which it will not let us block */
		return SIGCHLD;
	}
	return sig;
}

static void gen_clone_args(struct fz_sqe *fs, struct clone_args *ca,
			   size_t len)
{
	unsigned int p = rnd(100);

	if (p < 35)
		ca->flags = 0;
	else if (p < 60)
		ca->flags = CLONE_PIDFD;
	else if (p < 70)
		ca->flags = CLONE_PIDFD | CLONE_CLEAR_SIGHAND;
	else if (p < 75)
		ca->flags = CLONE_INTO_CGROUP | (chance(50) ? CLONE_PIDFD : 0);
	else if (p < 90)
		ca->flags = 1ULL << rnd(64);
	else
		ca->flags = rng_next(&F.rng);

	if (ca->flags & CLONE_PIDFD) {
		int *slot;

		p = rnd(100);
		slot = scratch(sizeof(int));
		if (p < 80 && slot) {
			*slot = -1;
			ca->pidfd = ptr(slot);
			fs->pidfd_at = slot;
		} else if (p < 85) {
			ca->pidfd = 0;
		} else if (p < 90) {
			ca->pidfd = ptr(F.mem.none);
		} else if (p < 95) {
			ca->pidfd = ptr(F.mem.ro);
		} else {
			ca->pidfd = bad_address();
		}
	} else {
		ca->pidfd = chance(5) ? bad_address() : 0;
	}

	p = rnd(100);
	if (p < 50)
		ca->exit_signal = SIGCHLD;
	else if (p < 65)
		ca->exit_signal = 0;
	else if (p < 85)
		ca->exit_signal = rnd(65);
	else if (p < 95)
		ca->exit_signal = boundary();
	else
		ca->exit_signal = rng_next(&F.rng);
	/* The kernel takes 0..64 only; keep the ones that would hurt us out. */
	if (ca->exit_signal <= 64)
		ca->exit_signal = safe_signal(ca->exit_signal);

	if (ca->flags & CLONE_INTO_CGROUP)
		ca->cgroup = chance(50) ? (__u64)cfg.keep_fd : boundary();
	else
		ca->cgroup = maybe(3);
	ca->child_tid = maybe(3);
	ca->parent_tid = maybe(3);
	ca->stack = maybe(3);
	ca->stack_size = maybe(3);
	ca->tls = maybe(3);
	ca->set_tid = maybe(3);
	ca->set_tid_size = maybe(3);
	/* A longer struct: clone3 wants what we do not know to be zero. */
	if (len > sizeof(*ca) && chance(30))
		((char *)ca)[sizeof(*ca) + rnd(len - sizeof(*ca))] = 1 + rnd(255);
}

static void gen_attr(struct io_uring_spawn_attr *a)
{
	a->flags = rnd(32);
	if (a->flags & IORING_SPAWN_SETSIGMASK)
		a->sigmask[0] = rng_next(&F.rng);
	if (a->flags & IORING_SPAWN_SETSIGDEF)
		a->sigdefault[0] = rng_next(&F.rng);
	if (a->flags & IORING_SPAWN_SETPGROUP) {
		unsigned int p = rnd(100);

		if (p < 40)
			a->pgid = 0;
		else if (p < 70)
			a->pgid = getpgrp();
		else if (p < 85)
			a->pgid = rnd(100000);
		else
			a->pgid = (__s32)boundary();
	}
	/* Now and then a field the kernel must refuse. */
	if (chance(5))
		a->flags |= 1U << (5 + rnd(27));
	if (chance(5))
		a->resv[rnd(3)] = rng_next(&F.rng);
	if (chance(5))
		a->sigmask[1] = 1ULL << rnd(64);
	if (chance(5) && !(a->flags & IORING_SPAWN_SETPGROUP))
		a->pgid = 1 + rnd(100);
}

static void gen_clone(struct fz_sqe *fs)
{
	static const __u32 lens[] = { 88, 88, 88, 64, 80, 96, 104 };
	struct io_uring_sqe *sqe = &fs->sqe;
	unsigned int p = rnd(100);
	struct clone_args *ca;
	char *end;
	__u32 len;

	sqe->opcode = IORING_OP_CLONE;
	if (p < 10) {
		/* The defaults. */
	} else if (p < 14) {
		sqe->len = boundary();
	} else if (p < 70) {
		len = lens[rnd(ARRAY_SIZE(lens))];
		if (chance(10))
			len = rnd(200);
		else if (chance(5))
			len = cfg.page + 8;	/* more than a page: -E2BIG */
		ca = scratch(len > 128 ? len : 128);
		if (ca) {
			gen_clone_args(fs, ca, len);
			sqe->addr = ptr(ca);
			sqe->len = len;
		}
	} else if (p < 76) {
		sqe->addr = ptr(F.mem.none);
		sqe->len = 88;
	} else if (p < 82) {
		/* A struct that runs into PROT_NONE. */
		end = edge_end();
		if (end) {
			ca = (struct clone_args *)(end - 8 * (1 + rnd(10)));
			memset(ca, 0, end - (char *)ca);
			sqe->addr = ptr(ca);
			sqe->len = 88;
		}
	} else if (p < 86) {
		sqe->addr = ptr(F.mem.ro);	/* zeros: valid, exit signal 0 */
		sqe->len = 88;
	} else if (p < 92) {
		sqe->addr = bad_address();
		sqe->len = chance(50) ? 88 : boundary();
	} else {
		sqe->addr = ptr(F.mem.huge);	/* all 'a': nonsense flags */
		sqe->len = chance(50) ? 88 : boundary();
	}

	p = rnd(100);
	if (p < 50) {
		sqe->addr2 = 0;
	} else if (p < 75) {
		struct io_uring_spawn_attr *a = scratch(sizeof(*a));

		if (a)
			gen_attr(a);
		sqe->addr2 = ptr(a);
	} else if (p < 83) {
		__u64 *a = scratch(64);

		if (a)
			for (int i = 0; i < 8; i++)
				a[i] = chance(50) ? 0 : rng_next(&F.rng);
		sqe->addr2 = ptr(a);
	} else if (p < 88) {
		sqe->addr2 = ptr(F.mem.none);
	} else if (p < 93) {
		end = edge_end();
		if (end) {
			memset(end - 32, 0, 32);
			sqe->addr2 = ptr(end - 8 * (1 + rnd(7)));
		}
	} else if (p < 96) {
		sqe->addr2 = ptr(F.mem.ro);
	} else {
		sqe->addr2 = bad_address();
	}

	sqe->fd = maybe(4);
	sqe->rw_flags = maybe(4);
	sqe->addr3 = maybe(4);
	fuzz_reserved(sqe, 4);
}

static void gen_exec(struct fz_sqe *fs)
{
	struct io_uring_sqe *sqe = &fs->sqe;
	unsigned int p = rnd(100);

	sqe->opcode = IORING_OP_EXEC;
	sqe->fd = AT_FDCWD;
	if (p < 55) {
		sqe->addr = gen_path(true);
	} else if (p < 65) {
		sqe->fd = cfg.dir_fd;
		sqe->addr = ptr(scratch_str(cfg.child_name));
	} else if (p < 75) {
		sqe->fd = cfg.child_fd;
		sqe->addr = ptr(scratch_str(""));
		sqe->rw_flags = AT_EMPTY_PATH;
	} else {
		sqe->fd = chance(50) ? cfg.keep_fd : (int)boundary();
		sqe->addr = gen_path(true);
	}
	sqe->addr2 = gen_vector(false, 0, sqe->addr);
	sqe->addr3 = gen_vector(true, sqe->addr2, sqe->addr);

	p = rnd(100);
	if (p < 15)
		sqe->rw_flags = AT_EMPTY_PATH;
	else if (p < 20)
		sqe->rw_flags = AT_SYMLINK_NOFOLLOW;
	else if (p < 25)
		sqe->rw_flags = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW;
	else if (p < 35)
		sqe->rw_flags = chance(50) ? 1U << rnd(32) : (__u32)rng_next(&F.rng);
	sqe->len = maybe(4);
	fuzz_reserved(sqe, 4);
}

static int gen_fd(void)
{
	unsigned int p = rnd(100);

	if (p < 30)
		return cfg.keep_fd;
	if (p < 45)
		return rnd(3);
	if (p < 55)
		return 0;
	if (p < 62)
		return -1;
	if (p < 70)
		return AT_FDCWD;
	if (p < 80)
		return rnd(128);
	return boundary();
}

static void gen_dup(struct fz_sqe *fs)
{
	struct io_uring_sqe *sqe = &fs->sqe;
	unsigned int p = rnd(100);

	sqe->opcode = IORING_OP_DUP;
	sqe->fd = gen_fd();
	if (p < 40)
		sqe->len = 64 + rnd(8);
	else if (p < 50)
		sqe->len = rnd(3);
	else if (p < 60)
		sqe->len = cfg.keep_fd;
	else if (p < 70)
		sqe->len = cfg.nofile;
	else if (p < 80)
		sqe->len = rnd(cfg.nofile);
	else
		sqe->len = boundary();
	p = rnd(100);
	if (p < 50)
		sqe->rw_flags = rnd(8);
	else if (p < 80)
		sqe->rw_flags = IORING_DUP_FROM_PREV | IORING_DUP_MOVE;
	else
		sqe->rw_flags = rng_next(&F.rng);
	if (sqe->rw_flags & IORING_DUP_FROM_PREV && chance(80))
		sqe->fd = 0;
	sqe->addr = maybe(3);
	sqe->addr2 = maybe(3);
	sqe->addr3 = maybe(3);
	fuzz_reserved(sqe, 3);
}

static void gen_chdir(struct fz_sqe *fs)
{
	struct io_uring_sqe *sqe = &fs->sqe;
	unsigned int p = rnd(100);

	sqe->opcode = IORING_OP_CHDIR;
	if (p < 60)
		sqe->fd = AT_FDCWD;
	else if (p < 75)
		sqe->fd = cfg.dir_fd;
	else
		sqe->fd = gen_fd();
	sqe->addr = chance(15) ? 0 : gen_path(false);
	sqe->len = maybe(3);
	sqe->rw_flags = maybe(3);
	sqe->addr2 = maybe(3);
	sqe->addr3 = maybe(3);
	fuzz_reserved(sqe, 3);
}

static void gen_close_range(struct fz_sqe *fs)
{
	struct io_uring_sqe *sqe = &fs->sqe;
	unsigned int p = rnd(100);

	sqe->opcode = IORING_OP_CLOSE_RANGE;
	if (p < 30)
		sqe->fd = 3;
	else if (p < 50)
		sqe->fd = rnd(128);
	else if (p < 60)
		sqe->fd = cfg.keep_fd;
	else
		sqe->fd = boundary();
	p = rnd(100);
	if (p < 30)
		sqe->len = ~0U;
	else if (p < 60)
		sqe->len = (__u32)sqe->fd + rnd(64);
	else if (p < 80)
		sqe->len = rnd(256);
	else
		sqe->len = boundary();
	p = rnd(100);
	if (p < 60)
		sqe->rw_flags = 0;
	else if (p < 80)
		sqe->rw_flags = CLOSE_RANGE_CLOEXEC;
	else if (p < 90)
		sqe->rw_flags = CLOSE_RANGE_UNSHARE;
	else
		sqe->rw_flags = rng_next(&F.rng);
	sqe->addr = maybe(3);
	sqe->addr2 = maybe(3);
	sqe->addr3 = maybe(3);
	fuzz_reserved(sqe, 3);
}

static void gen_nop(struct fz_sqe *fs)
{
	struct io_uring_sqe *sqe = &fs->sqe;
	unsigned int p = rnd(100);

	if (p < 50) {
		prep_nop(sqe);
	} else if (p < 90) {
		int v = chance(60) ? -(int)(1 + rnd(133)) : (int)rnd(1 << 20);

		prep_nop_inject(sqe, v);
	} else {
		prep_nop(sqe);
		sqe->rw_flags = rng_next(&F.rng);
	}
}

static void gen_openat(struct fz_sqe *fs)
{
	static const int flags[] = {
		O_RDONLY, O_RDONLY | O_CLOEXEC, O_WRONLY | O_CLOEXEC,
		O_RDONLY | O_DIRECTORY,
	};
	struct io_uring_sqe *sqe = &fs->sqe;

	/* Fixed paths and flags: outside a chain it opens in our table. */
	prep_openat(sqe, AT_FDCWD, chance(75) ? "/dev/null" : MISSING_PATH,
		    flags[rnd(4)], 0);
}

static void gen_other(struct fz_sqe *fs)
{
	struct io_uring_sqe *sqe = &fs->sqe;
	char *buf = scratch(16);

	if (chance(60) && buf) {
		/* /dev/null: a READ that runs reads nothing and never blocks. */
		prep_read(sqe, cfg.keep_fd, buf, 16);
	} else {
		sqe->opcode = BOGUS_OPCODE;
		sqe->fd = maybe(20);
	}
}

static void gen_flags(struct fz_sqe *fs, int i, int n)
{
	struct io_uring_sqe *sqe = &fs->sqe;
	unsigned int p = rnd(100);
	__u8 f = 0;

	if (i < n - 1)
		f = p < 60 ? IOSQE_IO_LINK : p < 85 ? IOSQE_IO_HARDLINK : 0;
	else if (p < 10)	/* a link left open at the end of the submission */
		f = chance(70) ? IOSQE_IO_LINK : IOSQE_IO_HARDLINK;
	if (chance(3))
		f |= IOSQE_FIXED_FILE;
	if (chance(3))
		f |= IOSQE_ASYNC;
	if (chance(2))
		f |= IOSQE_BUFFER_SELECT;
	if (chance(3))
		f |= IOSQE_CQE_SKIP_SUCCESS;	/* see sanitize() */
	if (chance(1))
		f |= 1U << 7;	/* not a flag */
	sqe->flags = f;

	p = rnd(100);
	if (p < 3)
		sqe->personality = F.personality;
	else if (p < 6)
		sqe->personality = F.personality + 1 + rnd(100);
}

/* Random SQEs, each from its opcode's generator. */
static void gen_wild(void)
{
	int i;

	F.n = 1 + rnd(MAX_SQES);
	for (i = 0; i < F.n; i++) {
		struct fz_sqe *fs = &F.cur[i];
		unsigned int p = rnd(100);

		if (i == 0 && p < 80) {
			gen_clone(fs);
		} else if (i == F.n - 1 && p < 60) {
			gen_exec(fs);
		} else {
			p = rnd(100);
			if (p < 28)
				gen_exec(fs);
			else if (p < 43)
				gen_dup(fs);
			else if (p < 55)
				gen_chdir(fs);
			else if (p < 67)
				gen_close_range(fs);
			else if (p < 80)
				gen_nop(fs);
			else if (p < 88)
				gen_openat(fs);
			else if (p < 94)
				gen_clone(fs);
			else
				gen_other(fs);
		}
		gen_flags(fs, i, F.n);
	}
}

/* A valid program argv or envp. */
static char **valid_vector(bool env)
{
	char **v = scratch(4 * sizeof(char *));

	if (!v)
		return NULL;
	v[0] = env ? cfg.guard_env : scratch_str(cfg.child);
	v[1] = env ? NULL : cfg.guard_arg;
	return v;
}

/* A chain that works: CLONE, a few valid steps, EXEC of the program. */
static void gen_template(void)
{
	struct fz_sqe *fs = &F.cur[0];
	struct clone_args *ca;
	int i;

	F.n = 2 + rnd(MAX_SQES - 1);
	prep_clone(&fs->sqe, NULL, 0);
	ca = chance(60) ? scratch(sizeof(*ca)) : NULL;
	if (ca) {
		fs->pidfd_at = chance(50) ? scratch(sizeof(int)) : NULL;
		if (fs->pidfd_at) {
			*fs->pidfd_at = -1;
			ca->flags = CLONE_PIDFD;
			ca->pidfd = ptr(fs->pidfd_at);
		}
		ca->exit_signal = chance(80) ? SIGCHLD : 0;
		prep_clone(&fs->sqe, ca, sizeof(*ca));
	}
	if (chance(40)) {
		struct io_uring_spawn_attr *a = scratch(sizeof(*a));

		if (a) {
			a->flags = rnd(16) & ~IORING_SPAWN_SETSID;
			if (a->flags & IORING_SPAWN_SETSIGMASK)
				a->sigmask[0] = rng_next(&F.rng);
			if (a->flags & IORING_SPAWN_SETSIGDEF)
				a->sigdefault[0] = rng_next(&F.rng);
			prep_clone_attr(&fs->sqe, a);
		}
	}
	fs->sqe.flags = chance(80) ? IOSQE_IO_LINK : IOSQE_IO_HARDLINK;

	for (i = 1; i < F.n - 1; i++) {
		struct io_uring_sqe *sqe = &F.cur[i].sqe;

		switch (rnd(9)) {
		case 0:
			prep_nop(sqe);
			break;
		case 1:
			prep_nop_inject(sqe, chance(50) ? -EIO : 7);
			break;
		case 2:
			prep_openat(sqe, AT_FDCWD, scratch_str("/dev/null"),
				    O_RDONLY | O_CLOEXEC, 0);
			break;
		case 3:
			prep_dup(sqe, 0, 64 + rnd(8),
				 IORING_DUP_FROM_PREV | IORING_DUP_MOVE);
			break;
		case 4:
			prep_dup(sqe, cfg.keep_fd, 64 + rnd(8), rnd(2));
			break;
		case 5:
			prep_chdir(sqe, AT_FDCWD, scratch_str("/"));
			break;
		case 6:
			prep_chdir(sqe, cfg.dir_fd, NULL);
			break;
		case 7:
			prep_close_range(sqe, 64, ~0U, 0);
			break;
		default:
			prep_exec(sqe, AT_FDCWD, scratch_str(MISSING_PATH),
				  valid_vector(false), valid_vector(true), 0);
			break;
		}
		sqe->flags = chance(60) ? IOSQE_IO_LINK : IOSQE_IO_HARDLINK;
	}
	prep_exec(&F.cur[F.n - 1].sqe, AT_FDCWD, scratch_str(cfg.child),
		  valid_vector(false), valid_vector(true), 0);
}

/* Whether [p, p + len) is in this iteration's scratch memory. */
static bool in_scratch(__u64 p, size_t len)
{
	__u64 base = ptr(F.mem.scratch);

	return p >= base && p + len <= base + SCRATCH_SZ && p + len > p;
}

/* One field of an SQE, by number. */
static void set_field(struct io_uring_sqe *s, unsigned int which, __u64 v)
{
	switch (which) {
	case 0:
		s->ioprio = v;
		break;
	case 1:
		s->fd = v;
		break;
	case 2:
		s->len = v;
		break;
	case 3:
		s->rw_flags = v;
		break;
	case 4:
		s->addr = v;
		break;
	case 5:
		s->off = v;
		break;
	case 6:
		s->addr3 = v;
		break;
	case 7:
		s->buf_index = v;
		break;
	case 8:
		s->personality = v;
		break;
	case 9:
		s->file_index = v;
		break;
	default:
		s->__pad2[0] = v;
		break;
	}
}

/* A bad pointer: unmapped, not ours, or running into PROT_NONE. */
static __u64 bad_pointer(void)
{
	char *end;

	switch (rnd(4)) {
	case 0:
		return ptr(F.mem.none);
	case 1:
		return ptr(F.mem.ro);
	case 2:
		end = edge_end();
		if (end) {
			memset(end - cfg.page, chance(50) ? 0 : 'a', cfg.page);
			return ptr(end - 1 - rnd(64));
		}
		return ptr(F.mem.none);
	}
	return bad_address();
}

/* 0..2 changes to a valid chain, each in one place. */
static void mutate(void)
{
	static const __u8 ops[] = {
		IORING_OP_CLONE, IORING_OP_EXEC, IORING_OP_DUP, IORING_OP_CHDIR,
		IORING_OP_CLOSE_RANGE, IORING_OP_NOP,
	};
	int k = rnd(3);

	while (k--) {
		int i = rnd(F.n);
		struct fz_sqe *fs = &F.cur[i];
		struct io_uring_sqe *s = &fs->sqe;

		switch (rnd(9)) {
		case 0:
			set_field(s, rnd(11), chance(50) ? boundary() :
						     rng_next(&F.rng));
			break;
		case 1:
			s->flags ^= 1U << rnd(8);
			break;
		case 2:
			set_field(s, 4 + rnd(3), bad_pointer());
			break;
		case 3:
			/* A word of the clone_args or attributes. */
			if (s->opcode == IORING_OP_CLONE && s->addr &&
			    in_scratch(s->addr, 88))
				((__u64 *)(uintptr_t)s->addr)[rnd(11)] =
					chance(50) ? boundary() : 1ULL << rnd(64);
			else if (s->opcode == IORING_OP_CLONE && s->off &&
				 in_scratch(s->off, 64))
				((__u64 *)(uintptr_t)s->off)[rnd(8)] =
					chance(50) ? boundary() : 1ULL << rnd(64);
			break;
		case 4:
			if (s->opcode == IORING_OP_EXEC) {
				if (chance(50))
					s->addr2 = gen_vector(false, 0, s->addr);
				else
					s->addr3 = gen_vector(true, s->addr2, s->addr);
			}
			break;
		case 5:
			s->opcode = ops[rnd(sizeof(ops))];
			break;
		case 6:
			s->personality = chance(50) ? (unsigned int)F.personality :
							 rnd(1000);
			break;
		case 7:
			s->len = chance(50) ? boundary() : rng_next(&F.rng);
			break;
		default:
			/* Start this one over with its wild generator. */
			memset(fs, 0, sizeof(*fs));
			switch (rnd(5)) {
			case 0:
				gen_exec(fs);
				break;
			case 1:
				gen_dup(fs);
				break;
			case 2:
				gen_chdir(fs);
				break;
			case 3:
				gen_close_range(fs);
				break;
			default:
				gen_nop(fs);
				break;
			}
			gen_flags(fs, i, F.n);
			break;
		}
	}
}

/*
 * What no SQE may do, whatever was generated or mutated: a CLONE or an
 * OPENAT with IOSQE_CQE_SKIP_SUCCESS (a pid to reap or an fd of ours to
 * close, never reported), an exit signal that would stop, kill or look
 * like a crash of ours, a pidfd written anywhere but a slot we read, or a
 * READ of anything but /dev/null.
 * The kernel reads clone_args at submission, so fixing them here is
 * enough.
 */
static void sanitize(void)
{
	int i;

	for (i = 0; i < F.n; i++) {
		struct fz_sqe *fs = &F.cur[i];
		struct io_uring_sqe *s = &fs->sqe;
		struct clone_args *ca;

		if (s->opcode == IORING_OP_CLONE || s->opcode == IORING_OP_OPENAT)
			s->flags &= ~IOSQE_CQE_SKIP_SUCCESS;
		/*
		 * 6.12's drain stalls when a later SQE fails at submission
		 * (its CQE bypasses the drain, whose sequence then never
		 * matches): NOP; NOP|IO_DRAIN; NOP with a bad personality
		 * gives 2 CQEs of 3, any opcode. Fixed upstream by 6.18. Not
		 * ours to fuzz: the drained request and all that follows it
		 * on the ring would wait forever.
		 */
		s->flags &= ~IOSQE_IO_DRAIN;
		/* Outside a chain a READ runs: on a terminal it would block. */
		if (s->opcode == IORING_OP_READ)
			s->fd = cfg.keep_fd;
		if (s->opcode != IORING_OP_CLONE) {
			fs->pidfd_at = NULL;
			continue;
		}
		if (!s->addr || !in_scratch(s->addr, 40)) {
			/* Not memory we wrote: none, ro, huge, an edge, bad. */
			fs->pidfd_at = NULL;
			continue;
		}
		ca = (struct clone_args *)(uintptr_t)s->addr;
		if (ca->exit_signal <= 64)
			ca->exit_signal = safe_signal(ca->exit_signal);
		if (!(ca->flags & CLONE_PIDFD) || !in_scratch(s->addr, 16)) {
			fs->pidfd_at = NULL;
			continue;
		}
		if (fs->pidfd_at && ca->pidfd == ptr(fs->pidfd_at))
			continue;
		fs->pidfd_at = NULL;
		/* Unmapped, read-only or not a user address: -EFAULT, no write. */
		if (ca->pidfd == ptr(F.mem.none) || ca->pidfd == ptr(F.mem.ro) ||
		    ca->pidfd < 0x10000 || ca->pidfd >= 0x800000000000ULL)
			continue;
		fs->pidfd_at = scratch(sizeof(int));
		if (fs->pidfd_at) {
			*fs->pidfd_at = -1;
			ca->pidfd = ptr(fs->pidfd_at);
		} else {
			ca->pidfd = ptr(F.mem.none);
		}
	}
}

/* Build this iteration's SQEs in F.cur. */
static void gen_iteration(void)
{
	int i, head = 0;

	F.mem.used = 0;
	F.mem.edges_used = 0;
	memset(F.cur, 0, sizeof(F.cur));
	if (chance(50)) {
		gen_wild();
	} else {
		gen_template();
		mutate();
	}
	sanitize();

	/*
	 * Which CQEs the kernel owes us: a request with CQE_SKIP_SUCCESS posts
	 * one only if it fails, and when it fails the requests linked after
	 * it may be skipped too.
	 */
	for (i = 0; i < F.n; i++) {
		struct fz_sqe *fs = &F.cur[i];
		bool skip = fs->sqe.flags & IOSQE_CQE_SKIP_SUCCESS;

		fs->sqe.user_data = (F.iter << 8) | i;
		fs->head = head;
		fs->optional = skip || (i > head && F.cur[i - 1].optional);
		if (!(fs->sqe.flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)))
			head = i + 1;
	}
}

/* --- reports ----------------------------------------------------------- */

static const char *op_name(__u8 op)
{
	switch (op) {
	case IORING_OP_NOP: return "NOP";
	case IORING_OP_OPENAT: return "OPENAT";
	case IORING_OP_READ: return "READ";
	case IORING_OP_CLONE: return "CLONE";
	case IORING_OP_EXEC: return "EXEC";
	case IORING_OP_DUP: return "DUP";
	case IORING_OP_CHDIR: return "CHDIR";
	case IORING_OP_CLOSE_RANGE: return "CLOSE_RANGE";
	}
	return "?";
}

static void dump_iteration(void)
{
	int i;

	printf("#   iteration %llu on a %s ring (same SQEs: -s %llu -n 1 -k %d):\n",
	       (unsigned long long)F.iter, kind_name[F.kind],
	       (unsigned long long)F.iter_rng, F.kind);
	for (i = 0; i < F.n; i++) {
		const struct fz_sqe *fs = &F.cur[i];
		const struct io_uring_sqe *s = &fs->sqe;

		printf("#   [%d] %s(%u) flags %#x fd %d addr %#llx len %#x ",
		       i, op_name(s->opcode), s->opcode, s->flags, s->fd,
		       (unsigned long long)s->addr, s->len);
		printf("off/addr2 %#llx addr3 %#llx op_flags %#x ioprio %#x ",
		       (unsigned long long)s->off,
		       (unsigned long long)s->addr3, s->rw_flags, s->ioprio);
		printf("buf_index %#x personality %u file_index %#x pad2 %#llx -> ",
		       s->buf_index, s->personality, s->file_index,
		       (unsigned long long)s->__pad2[0]);
		if (fs->seen)
			printf("res %d%s\n", fs->res,
			       fs->cqe_flags ? " (cqe flags set)" : "");
		else
			printf("%s\n", fs->optional ? "no CQE (optional)" :
						      "no CQE");
	}
}

static void __printf(1, 2) failure(const char *fmt, ...)
{
	va_list ap;

	F.failures++;
	F.bad_iter = true;
	if (F.reports++ >= MAX_REPORTS)
		return;
	printf("# FAILURE: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	dump_iteration();
}

/* --- the oracle -------------------------------------------------------- */

/* Whether @err is in @list, which ends with 0 (no errno is 0). */
static bool in_list(int err, const int *list)
{
	for (; *list; list++)
		if (*list == err)
			return true;
	return false;
}

/* Whether @res is something the spec allows for @fs's opcode. */
static bool res_allowed(const struct fz_sqe *fs, int res)
{
	/* Any request: cancelled, refused, its attributes failed, no memory. */
	static const int any[] = { ECANCELED, EINVAL, EOPNOTSUPP, EPERM, ENOMEM, 0 };
	static const int clone[] = {
		E2BIG, EFAULT, EAGAIN, EBADF, EBUSY, ENODEV, EACCES, ENOENT,
		ENOSPC, 0,
	};
	static const int exec[] = {
		ENOENT, ENOTDIR, EACCES, ENOEXEC, E2BIG, ENAMETOOLONG, ELOOP,
		EBADF, EFAULT, ETXTBSY, EISDIR, ENXIO, EAGAIN, EIO, ELIBBAD,
		EMFILE, ENFILE, 0,
	};
	static const int dup[] = { EBADF, EBUSY, EMFILE, 0 };
	static const int chdir_errs[] = {
		ENOENT, ENOTDIR, EACCES, EBADF, EFAULT, ELOOP, ENAMETOOLONG,
		EIO, 0,
	};
	static const int openat[] = {
		ENOENT, ENOTDIR, EBADF, EACCES, ENXIO, EFAULT, ENAMETOOLONG,
		ELOOP, EISDIR, EMFILE, ENFILE, EEXIST, 0,
	};
	static const int read_errs[] = { EBADF, EFAULT, EAGAIN, ENOBUFS, 0 };
	const struct io_uring_sqe *s = &fs->sqe;

	if (res < 0 && in_list(-res, any))
		return true;
	switch (s->opcode) {
	case IORING_OP_CLONE:
		return res > 0 || in_list(-res, clone);
	case IORING_OP_EXEC:
		return res == 0 || in_list(-res, exec);
	case IORING_OP_DUP:
		return (res >= 0 && (__u32)res == s->len) || in_list(-res, dup);
	case IORING_OP_CHDIR:
		return res == 0 || in_list(-res, chdir_errs);
	case IORING_OP_CLOSE_RANGE:
		return res == 0;
	case IORING_OP_NOP:
		if (s->rw_flags == IORING_NOP_INJECT_RESULT)
			return res == (int)s->len;
		return res == 0;
	case IORING_OP_OPENAT:
		return res >= 0 || in_list(-res, openat);
	case IORING_OP_READ:
		return (res >= 0 && res <= (int)s->len) || in_list(-res, read_errs);
	}
	return false;	/* BOGUS_OPCODE: -EINVAL, in the list above */
}

/* Whether @fd is a /dev/null we may close: never one of the fds we keep. */
static bool is_dev_null(int fd)
{
	char path[64], target[64];
	ssize_t n;

	if (fd <= 2 || fd == cfg.keep_fd || fd == cfg.dir_fd ||
	    fd == cfg.child_fd || fd == F.ring.fd)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "/dev/null");
}

/*
 * An OPENAT whose fd, if it gets one, is in our own table: one that is not
 * in a CLONE's link (there it is the child's, or a bug check_chains() sees).
 */
static bool opens_in_our_table(const struct fz_sqe *fs)
{
	const struct fz_sqe *head = &F.cur[fs->head];

	return fs->sqe.opcode == IORING_OP_OPENAT &&
	       !(head != fs && head->sqe.opcode == IORING_OP_CLONE);
}

/* Close @fd, which SQE @i opened in our table; it must be a /dev/null. */
static bool close_opened(int i, int fd, bool late)
{
	if (!is_dev_null(fd)) {
		failure("%s[%d] OPENAT: fd %d is not /dev/null",
			late ? "late " : "", i, fd);
		return false;
	}
	return !close(fd);
}

static void history_note(void)
{
	struct history *h = &F.hist[F.iter % HISTORY];
	int i;

	h->iter = F.iter;
	h->n = F.n;
	h->seen = 0;
	h->optional = 0;
	h->ours = 0;
	for (i = 0; i < F.n; i++) {
		const struct fz_sqe *fs = &F.cur[i];

		if (fs->seen)
			h->seen |= 1U << i;
		if (fs->optional)
			h->optional |= 1U << i;
		if (opens_in_our_table(fs))
			h->ours |= 1U << i;
	}
}

static void count_res(int res)
{
	F.cqes++;
	if (res >= 0)
		F.ok_res++;
	else if (res > -4096)
		F.errno_count[-res]++;
	else
		F.errno_count[0]++;	/* not an errno at all */
}

static void handle_cqe(const struct spawn_cqe *cqe)
{
	__u64 iter = cqe->user_data >> 8;
	unsigned int idx = cqe->user_data & 0xff;
	struct fz_sqe *fs;

	if (iter != F.iter) {
		/* A CQE the kernel did not owe us when we moved on. */
		struct history *h = &F.hist[iter % HISTORY];

		count_res(cqe->res);
		if (h->iter == iter && (int)idx < h->n &&
		    (h->optional & (1U << idx)) && !(h->seen & (1U << idx))) {
			h->seen |= 1U << idx;
			F.late_cqes++;
			/*
			 * An OPENAT that ran in our context after we moved on
			 * (it followed a request whose CQE might not come).
			 */
			if ((h->ours & (1U << idx)) && cqe->res >= 0 &&
			    close_opened(idx, cqe->res, true))
				F.late_fds++;
			return;
		}
		failure("stray CQE: user_data %#llx res %d (iteration %llu)",
			(unsigned long long)cqe->user_data, cqe->res,
			(unsigned long long)iter);
		return;
	}
	if ((int)idx >= F.n || F.cur[idx].seen) {
		count_res(cqe->res);
		failure("%s CQE: user_data %#llx res %d",
			(int)idx >= F.n ? "unknown" : "repeated",
			(unsigned long long)cqe->user_data, cqe->res);
		return;
	}
	fs = &F.cur[idx];
	fs->seen = true;
	fs->res = cqe->res;
	fs->cqe_flags = cqe->flags;
	count_res(cqe->res);
	if (cqe->flags)
		failure("[%u] %s: CQE flags %#x", idx, op_name(fs->sqe.opcode),
			cqe->flags);
	if (!res_allowed(fs, cqe->res))
		failure("[%u] %s: result %d (%s) is not one the spec allows",
			idx, op_name(fs->sqe.opcode), cqe->res,
			cqe->res < 0 && cqe->res > -4096 ?
			strerror(-cqe->res) : "not an errno");
}

static int missing_required(void)
{
	int i, n = 0;

	for (i = 0; i < F.n; i++)
		n += !F.cur[i].seen && !F.cur[i].optional;
	return n;
}

/* Collect what has arrived, waiting up to @ms for at least one CQE. */
static int collect(int ms)
{
	struct spawn_cqe cqes[32];
	int n, i;

	n = ring_wait_cqes(&F.ring, cqes, 1, ms);
	if (n < 0)
		return n;
	n += ring_reap(&F.ring, cqes + n, 32 - n);
	for (i = 0; i < n; i++)
		handle_cqe(&cqes[i]);
	return n;
}

/* The pid a pidfd refers to, from its fdinfo; -1 if it is not a pidfd. */
static int pidfd_pid(int fd)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int pfd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	pfd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	n = read(pfd, buf, sizeof(buf) - 1);
	close(pfd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:");
	return p ? atoi(p + 5) : -1;
}

/*
 * Wait for @pid for up to WAIT_MS, then SIGKILL it and wait as long again.
 * Returns 0 with its status, or -1 if it could not be reaped.
 */
static int reap(pid_t pid, int *status, bool *killed)
{
	long long deadline = ring_now_ms() + WAIT_MS;
	unsigned int nap = 100;
	pid_t r;

	*killed = false;
	for (;;) {
		r = waitpid(pid, status, WNOHANG | __WALL);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (ring_now_ms() >= deadline) {
			if (*killed) {
				errno = ETIMEDOUT;
				return -1;
			}
			kill(pid, SIGKILL);
			*killed = true;
			deadline = ring_now_ms() + WAIT_MS;
		}
		usleep(nap);
		if (nap < 10000)
			nap *= 2;
	}
}

/*
 * Reap the children of this iteration. Their pidfds are checked first:
 * fdinfo names the pid only until the child is reaped.
 */
static void reap_children(void)
{
	int i;

	for (i = 0; i < F.n; i++) {
		struct fz_sqe *fs = &F.cur[i];
		pid_t pid = fs->res;

		if (fs->sqe.opcode != IORING_OP_CLONE || !fs->seen ||
		    fs->res <= 0)
			continue;
		F.children++;
		if (fs->pidfd_at) {
			int pidfd = *fs->pidfd_at, who = -1;

			if (pidfd >= 0)
				who = pidfd_pid(pidfd);
			if (who != pid)
				failure("[%d] CLONE: pidfd %d refers to %d, not %d",
					i, pidfd, who, pid);
			else
				close(pidfd);
		}
		if (reap(pid, &fs->status, &fs->killed)) {
			failure("[%d] CLONE: pid %d: %s", i, pid,
				errno == ECHILD ? "not our child" :
				"does not exit even after SIGKILL");
			continue;
		}
		fs->reaped = true;
	}
}

static bool returns_fd(__u8 op)
{
	return op == IORING_OP_OPENAT || op == IORING_OP_OPENAT2 ||
	       op == IORING_OP_DUP;
}

/*
 * The links headed by a CLONE, once every CQE they owe is in. A request
 * of a chain that has no CQE had IOSQE_CQE_SKIP_SUCCESS (or follows one)
 * and succeeded: in a chain, failed and cancelled requests always post.
 */
static void check_chains(void)
{
	int i, j;

	for (i = 0; i < F.n; i++) {
		struct fz_sqe *c = &F.cur[i];
		bool stopped = false, execd = false, prev_fd = false;

		if (c->sqe.opcode != IORING_OP_CLONE || c->head != i ||
		    !c->seen)
			continue;
		for (j = i + 1; j < F.n && F.cur[j].head == i; j++) {
			struct fz_sqe *s = &F.cur[j];
			__u8 op = s->sqe.opcode;
			bool ok;

			if (c->res <= 0) {
				if (s->seen && s->res >= 0)
					failure("[%d] %s: %d, linked to a failed CLONE (%d)",
						j, op_name(op), s->res, c->res);
				continue;
			}
			if (stopped) {
				if (!s->seen || s->res != -ECANCELED)
					failure("[%d] %s: %s %d after the chain, want -ECANCELED",
						j, op_name(op),
						s->seen ? "res" : "no CQE, so",
						s->seen ? s->res : 0);
				continue;
			}
			ok = !s->seen || s->res >= 0;
			/* It ran, so it passed its own checks: a valid FROM_PREV. */
			if (op == IORING_OP_DUP && ok && !prev_fd &&
			    (s->sqe.rw_flags & IORING_DUP_FROM_PREV))
				failure("[%d] DUP FROM_PREV: %s with no fd before it",
					j, s->seen ? "succeeded" : "no CQE");
			if (ok && op == IORING_OP_EXEC) {
				execd = true;
				stopped = true;
			} else if (!ok && !(s->sqe.flags & IOSQE_IO_HARDLINK)) {
				stopped = true;
			}
			/* An fd from a skipped CQE: the number is unknown, but valid. */
			prev_fd = ok && returns_fd(op);
		}
		c->expect_exit = execd ? 0 : 127;
	}
}

/* How the children ended, against what their chains say. */
static void check_children(void)
{
	int i;

	for (i = 0; i < F.n; i++) {
		struct fz_sqe *fs = &F.cur[i];
		int st = fs->status;

		if (!fs->reaped)
			continue;
		if (fs->killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
			F.killed++;
			if (!cfg.quiet)
				printf("# iteration %llu: child %d killed after %d ms\n",
				       (unsigned long long)F.iter, fs->res,
				       WAIT_MS);
			continue;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == fs->expect_exit) {
			if (fs->expect_exit)
				F.exit127++;
			else
				F.exit0++;
			continue;
		}
		failure("[%d] CLONE: child %d %s %d, want exit %d", i, fs->res,
			WIFEXITED(st) ? "exited" : "died of signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			fs->expect_exit);
	}
}

/*
 * Post what task work still holds: the chains' last completions (always
 * on DEFER_TASKRUN rings, cancellations on any) are queued before a child
 * exits, but posted by our own task work.
 */
static void flush_cqes(void)
{
	int i;

	for (i = 0; i < 3; i++) {
		sys_io_uring_enter(F.ring.fd, 0, 0, IORING_ENTER_GETEVENTS,
				   NULL, 0);
		collect(0);
	}
}

/*
 * An OPENAT that is not in a spawn chain whose CLONE made a child ran in
 * our own context: its fd is ours to close.
 */
static void close_our_fds(void)
{
	int i;

	for (i = 0; i < F.n; i++) {
		const struct fz_sqe *fs = &F.cur[i];

		if (opens_in_our_table(fs) && fs->seen && fs->res >= 0)
			close_opened(i, fs->res, false);
	}
}

/* No child we do not know of: none left once ours are reaped. */
static void check_no_other_child(void)
{
	long long deadline = ring_now_ms() + WAIT_MS;
	bool reported = false;
	int status, rounds = 0;
	pid_t pid;

	for (;;) {
		errno = 0;
		pid = waitpid(-1, &status, WNOHANG | __WALL);
		if (pid < 0 && errno == ECHILD)
			return;
		if (pid < 0 && errno == EINTR)
			continue;
		if (!reported) {
			failure("a child no CLONE completed with (waitpid: %d)",
				pid);
			reported = true;
		}
		if (pid > 0)
			continue;
		if (ring_now_ms() > deadline) {
			/* Live children we cannot name: clean up by /proc. */
			spawn_walk_children(spawn_kill_pid);
			if (++rounds > 3) {
				failure("children that survive SIGKILL");
				return;
			}
			deadline = ring_now_ms() + WAIT_MS;
		}
		usleep(1000);
	}
}

/* Exit signals of our children pile up, blocked: take them. */
static void drain_signals(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t all;
	int i;

	sigfillset(&all);
	for (i = 0; i < 256; i++)
		if (sigtimedwait(&all, NULL, &zero) < 0)
			break;
}

/* --- rings and memory --------------------------------------------------- */

static void *map(size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* RW pages followed by a PROT_NONE one. */
static char *map_guarded(size_t size)
{
	char *p = map(size + cfg.page, PROT_READ | PROT_WRITE);

	if (!p)
		return NULL;
	if (mprotect(p + size, cfg.page, PROT_NONE)) {
		munmap(p, size + cfg.page);
		return NULL;
	}
	return p;
}

static int mem_init(struct mem *m)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->scratch = map(SCRATCH_SZ, PROT_READ | PROT_WRITE);
	m->none = map(cfg.page, PROT_NONE);
	m->ro = map(cfg.page, PROT_READ);
	m->huge = map_guarded(HUGE_SZ);
	m->many = (char **)map((MANY_ARGS + 1) * sizeof(char *),
			       PROT_READ | PROT_WRITE);
	if (!m->scratch || !m->none || !m->ro || !m->huge || !m->many)
		return -1;
	for (i = 0; i < NR_EDGES; i++) {
		m->edge[i] = map_guarded(cfg.page);
		if (!m->edge[i])
			return -1;
	}
	memset(m->huge, 'a', HUGE_SZ - 1);
	m->huge[HUGE_SZ - 1] = '\0';
	for (i = 0; i < MANY_ARGS; i++)
		m->many[i] = "x";
	m->many[MANY_ARGS] = NULL;
	return 0;
}

static int ring_open(int kind)
{
	unsigned int flags = 0;
	int ret;

	switch (kind) {
	case RK_DEFER:
		flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
		break;
	case RK_COOP:
		flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
		break;
	case RK_SQPOLL:
		flags = IORING_SETUP_SQPOLL;
		break;
	}
	ret = ring_init(&F.ring, RING_ENTRIES, flags, kind == RK_SQPOLL ? 20 : 0);
	if (ret)
		return ret;
	F.kind = kind;
	ret = ring_register_personality(&F.ring);
	F.personality = ret > 0 ? ret : 0;
	F.ring_iters = kind == RK_SQPOLL ? 100 : 300;
	F.rings[kind]++;
	return 0;
}

/* Move on to the next kind of ring that can be set up here. */
static int next_ring(void)
{
	int tries, kind = F.kind;

	if (F.ring.fd >= 0)
		ring_exit(&F.ring);
	for (tries = 0; tries < RK_NR; tries++) {
		kind = (kind + 1) % RK_NR;
		if (!ring_open(kind))
			return 0;
	}
	return -1;
}

/*
 * Hand every SQE of the iteration to the kernel. io_uring_enter() stops
 * after an unlinked SQE that fails its own checks: the rest are still in
 * the SQ ring, so enter again for them (SQPOLL's thread does that itself).
 */
static int submit_all(void)
{
	struct spawn_ring *r = &F.ring;
	long long deadline = ring_now_ms() + WAIT_MS;
	int ret = ring_submit(r);

	if (r->setup_flags & IORING_SETUP_SQPOLL) {
		/*
		 * Wait for the thread to take all of them: what it takes in
		 * one batch can form one link, and an iteration's last SQE
		 * may leave its link open. The next iteration's SQEs must not
		 * join it.
		 */
		while (ret >= 0 &&
		       __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) != *r->sq_tail) {
			if (ring_now_ms() > deadline)
				return -ETIMEDOUT;
			ret = ring_wake_sqpoll(r);
			if (ret < 0)
				return ret;
			usleep(100);
		}
		return ret < 0 ? ret : 0;
	}
	for (;;) {
		unsigned int head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
		unsigned int left = *r->sq_tail - head;

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			return ret;
		if (!left)
			return 0;
		if (ring_now_ms() > deadline)
			return -ETIMEDOUT;
		if (ret <= 0)
			usleep(1000);
		ret = sys_io_uring_enter(r->fd, left, 0, 0, NULL, 0);
		if (ret < 0)
			ret = -errno;
	}
}

/*
 * After a failure: kill what we know of this iteration's children, and
 * start over with a new ring and new memory. The old memory stays mapped:
 * a request we lost track of may still read it.
 */
static int recover(void)
{
	int i;

	for (i = 0; i < F.n; i++) {
		struct fz_sqe *fs = &F.cur[i];

		if (fs->sqe.opcode == IORING_OP_CLONE && fs->seen &&
		    fs->res > 0 && !fs->reaped) {
			bool killed;
			int status;

			kill(fs->res, SIGKILL);
			/* Bounded: a child stuck in the kernel must not hang us. */
			if (reap(fs->res, &status, &killed) && errno != ECHILD)
				printf("# child %d survives SIGKILL\n", fs->res);
		}
	}
	ring_exit(&F.ring);
	if (mem_init(&F.mem))
		return -1;
	F.kind = (F.kind + RK_NR - 1) % RK_NR;	/* the same kind again */
	return next_ring();
}

/*
 * Where the ring stands when CQEs are missing: what the kernel consumed of
 * the SQ ring, and what each of our other threads (an SQPOLL ring's
 * iou-sqp thread among them) is doing.
 */
static void dump_ring_state(void)
{
	struct spawn_ring *r = &F.ring;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	printf("#   SQ head %u tail %u flags %#x, CQ head %u tail %u\n",
	       __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE), *r->sq_tail,
	       __atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE),
	       *r->cq_head, __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE));
	while (d && (e = readdir(d))) {
		static const char *const what[] = { "comm", "wchan", "stack" };
		char path[300], buf[2048];
		unsigned int i;

		if (e->d_name[0] == '.' || atoi(e->d_name) == getpid())
			continue;
		for (i = 0; i < ARRAY_SIZE(what); i++) {
			ssize_t n;
			int fd;

			snprintf(path, sizeof(path), "/proc/self/task/%s/%s",
				 e->d_name, what[i]);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				buf[n] = '\0';
				printf("#   task %s %s: %s%s", e->d_name, what[i],
				       buf, buf[n - 1] == '\n' ? "" : "\n");
			}
		}
	}
	if (d)
		closedir(d);
}

/*
 * Our fd count, once the late CQEs that may still come have come: an
 * OPENAT linked after a request whose CQE may not come is not waited for,
 * and its fd is closed when its CQE turns up. A leak stays; that one goes.
 */
static int settled_fd_count(int want)
{
	long long deadline = ring_now_ms() + 2000;
	int n = spawn_count_fds();

	while (n != want && ring_now_ms() < deadline) {
		if (collect(100) < 0)
			break;
		n = spawn_count_fds();
	}
	return n;
}

/* One iteration: returns 0, or -1 when the run cannot go on. */
static int fuzz_one(void)
{
	long long deadline;
	int i, ret;

	F.iter++;
	F.bad_iter = false;
	F.iter_rng = F.rng.s;
	gen_iteration();

	for (i = 0; i < F.n; i++) {
		struct io_uring_sqe *sqe = ring_get_sqe(&F.ring);
		long long wait_until = ring_now_ms() + WAIT_MS;

		/* SQPOLL's thread may still be on the last batch. */
		while (!sqe && ring_now_ms() < wait_until) {
			ring_submit(&F.ring);
			usleep(1000);
			sqe = ring_get_sqe(&F.ring);
		}
		if (!sqe) {
			failure("no room in the SQ ring");
			return recover();
		}
		*sqe = F.cur[i].sqe;
	}
	if (cfg.verbose) {
		printf("# iteration %llu\n", (unsigned long long)F.iter);
		dump_iteration();
	}
	F.sqes += F.n;
	ret = submit_all();
	if (ret) {
		failure("submitting: %s", strerror(-ret));
		return recover();
	}

	deadline = ring_now_ms() + WAIT_MS;
	while (missing_required() && ring_now_ms() < deadline) {
		ret = collect(100);
		if (ret < 0) {
			failure("waiting for CQEs: %s", strerror(-ret));
			break;
		}
	}
	if (missing_required()) {
		failure("%d CQEs missing after %d ms", missing_required(),
			WAIT_MS);
		dump_ring_state();
	}

	reap_children();
	flush_cqes();
	check_chains();
	check_children();
	close_our_fds();
	history_note();
	check_no_other_child();
	drain_signals();

	if (F.bad_iter)
		return recover();
	if (--F.ring_iters <= 0)
		return next_ring();
	return 0;
}

/* --- setup and the run -------------------------------------------------- */

/* What each open fd is, to tell what leaked. */
static void dump_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], target[256];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		printf("#   fd %s -> %s\n", e->d_name, target);
	}
	closedir(d);
}

static void on_crash(int sig)
{
	char msg[128];
	int len;

	len = snprintf(msg, sizeof(msg),
		       "not ok 1 spawn_fuzz # crashed: signal %d in iteration %llu\n",
		       sig, (unsigned long long)F.iter);
	if (write(1, msg, len) < 0)
		_exit(KSFT_FAIL);
	_exit(KSFT_FAIL);
}

static const char *spawn_unsupported(char *why, size_t size)
{
	static const unsigned int ops[] = {
		IORING_OP_CLONE, IORING_OP_EXEC, IORING_OP_DUP,
		IORING_OP_CHDIR, IORING_OP_CLOSE_RANGE,
	};
	struct spawn_ring r;
	unsigned int i;
	int ret;

	ret = ring_init(&r, 4, 0, 0);
	if (ret) {
		snprintf(why, size, "io_uring unavailable: %s", strerror(-ret));
		return why;
	}
	/* The bit, not the probe: later kernels reuse the opcode numbers. */
	if (!(r.features & IORING_FEAT_SPAWN)) {
		snprintf(why, size, "kernel lacks IORING_FEAT_SPAWN");
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		if (ring_probe_op(&r, ops[i]) != 1) {
			snprintf(why, size, "the probe lacks opcode %u", ops[i]);
			goto out;
		}
	}
	why = NULL;
out:
	ring_exit(&r);
	return why;
}

static const char *setup(const char *child_opt, char *why, size_t size)
{
	static const int crash[] = {
		SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS,
	};
	struct sigaction sa;
	char exe[PATH_MAX], tmp[PATH_MAX];
	struct rlimit rl;
	sigset_t mask;
	unsigned int i;
	ssize_t n;

	cfg.page = sysconf(_SC_PAGESIZE);
	if (child_opt) {
		snprintf(cfg.child, sizeof(cfg.child), "%s", child_opt);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0) {
			snprintf(why, size, "readlink /proc/self/exe: %s",
				 strerror(errno));
			return why;
		}
		exe[n] = '\0';
		snprintf(cfg.child, sizeof(cfg.child), "%s/stress_child",
			 dirname(exe));
	}
	if (access(cfg.child, X_OK)) {
		printf("# %s missing: exec'ing /bin/true instead\n", cfg.child);
		snprintf(cfg.child, sizeof(cfg.child), "/bin/true");
		if (access(cfg.child, X_OK)) {
			snprintf(why, size, "neither stress_child nor /bin/true");
			return why;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s", cfg.child);
	snprintf(cfg.child_dir, sizeof(cfg.child_dir), "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", cfg.child);
	snprintf(cfg.child_name, sizeof(cfg.child_name), "%s", basename(tmp));
	snprintf(cfg.guard_env, sizeof(cfg.guard_env), "STRESS_GUARD=%d",
		 getpid());
	snprintf(cfg.guard_arg, sizeof(cfg.guard_arg), "--guard=%d", getpid());

	/*
	 * A bounded fd limit keeps the fd tables that DUP targets below it
	 * grow small, and makes RLIMIT_NOFILE a boundary worth a test.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		snprintf(why, size, "getrlimit: %s", strerror(errno));
		return why;
	}
	if (rl.rlim_cur > NOFILE_CAP) {
		rl.rlim_cur = NOFILE_CAP;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			snprintf(why, size, "setrlimit: %s", strerror(errno));
			return why;
		}
	}
	cfg.nofile = rl.rlim_cur;

	cfg.keep_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cfg.dir_fd = open(cfg.child_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cfg.child_fd = open(cfg.child, O_PATH | O_CLOEXEC);
	if (cfg.keep_fd < 0 || cfg.dir_fd < 0 || cfg.child_fd < 0) {
		snprintf(why, size, "opening /dev/null or %.100s: %s", cfg.child,
			 strerror(errno));
		return why;
	}

	/*
	 * Children may exit with any signal as their exit signal: block all
	 * of them, including SIGCHLD, so none interrupts or kills us (the
	 * fuzzer never takes SIGKILL, SIGSTOP or the fault signals as an exit
	 * signal). SIGCHLD at SIG_DFL, not SIG_IGN, or children would be
	 * reaped behind our back.
	 */
	signal(SIGCHLD, SIG_DFL);
	sigfillset(&mask);
	for (i = 0; i < ARRAY_SIZE(crash); i++)
		sigdelset(&mask, crash[i]);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < ARRAY_SIZE(crash); i++)
		sigaction(crash[i], &sa, NULL);

	if (mem_init(&F.mem)) {
		snprintf(why, size, "mmap: %s", strerror(errno));
		return why;
	}
	return NULL;
}

static void print_histogram(void)
{
	char line[512];
	size_t len = 0;
	int shown = 0;

	len += snprintf(line + len, sizeof(line) - len, "# results: >=0 %ld",
			F.ok_res);
	while (shown < 14) {
		long best = 0;
		int i, which = -1;

		for (i = 0; i < 4096; i++) {
			if (F.errno_count[i] > best) {
				best = F.errno_count[i];
				which = i;
			}
		}
		if (which < 0)
			break;
		len += snprintf(line + len, sizeof(line) - len, " %s %ld",
				which ? strerrorname_np(which) ?: "E?" : "not-errno",
				best);
		F.errno_count[which] = -best;	/* shown; restored below */
		shown++;
		if (len >= sizeof(line) - 32)
			break;
	}
	for (int i = 0; i < 4096; i++)
		if (F.errno_count[i] < 0)
			F.errno_count[i] = -F.errno_count[i];
	printf("%s\n", line);
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n iterations] [-s seed] [-T seconds] [-q] [-v] [-F] [-k kind]\n"
		"       [-c program]\n"
		"  -n  iterations (default 20000)\n"
		"  -s  random seed (default: from the time)\n"
		"  -T  stop after this many seconds, 0 for no limit (default 0)\n"
		"  -q  quiet: no progress lines\n"
		"  -v  print every iteration's SQEs\n"
		"  -F  count our fds after every iteration (not every 500)\n"
		"  -k  the first ring: 0 plain, 1 defer_taskrun, 2 coop_taskrun, 3 sqpoll\n"
		"  -c  the program to exec (default: stress_child beside us)\n",
		prog);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	const char *child_opt = NULL, *fail = NULL;
	int fds_before, fds_now, opt;
	long long start, next_report;
	char why[256], reason[128];
	long i;

	cfg.iterations = 20000;
	cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((opt = getopt(argc, argv, "n:s:T:qvFk:c:h")) != -1) {
		switch (opt) {
		case 'n':
			cfg.iterations = strtol(optarg, NULL, 0);
			break;
		case 's':
			cfg.seed = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			cfg.time_limit = atoi(optarg);
			break;
		case 'F':
			cfg.fd_check_all = true;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'k':
			cfg.first_kind = atoi(optarg);
			break;
		case 'c':
			child_opt = optarg;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (cfg.iterations < 0 || cfg.time_limit < 0 || cfg.first_kind < 0 ||
	    cfg.first_kind >= RK_NR)
		print_usage(argv[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..1\n");
	if (spawn_unsupported(why, sizeof(why))) {
		printf("ok 1 spawn_fuzz # SKIP %s\n", why);
		return KSFT_SKIP;
	}
	if (setup(child_opt, why, sizeof(why))) {
		printf("not ok 1 spawn_fuzz # setup: %s\n", why);
		return KSFT_FAIL;
	}
	printf("# spawn_fuzz: -n %ld -s %llu -T %d, exec %s\n", cfg.iterations,
	       (unsigned long long)cfg.seed, cfg.time_limit, cfg.child);

	F.rng.s = cfg.seed;
	F.ring.fd = -1;
	/* next_ring() moves on to the kind after F.kind. */
	F.kind = (cfg.first_kind + RK_NR - 1) % RK_NR;
	if (next_ring()) {
		printf("not ok 1 spawn_fuzz # no io_uring ring can be set up\n");
		return KSFT_FAIL;
	}
	fds_before = spawn_count_fds();
	start = ring_now_ms();
	next_report = start + 10000;

	for (i = 0; i < cfg.iterations; i++) {
		long long now = ring_now_ms();

		if (cfg.time_limit && now - start >= cfg.time_limit * 1000LL) {
			printf("# time limit of %d s reached after %ld iterations\n",
			       cfg.time_limit, i);
			break;
		}
		if (!cfg.quiet && now >= next_report) {
			printf("# progress: %ld/%ld iterations, %ld failures\n",
			       i, cfg.iterations, F.failures);
			next_report = now + 10000;
		}
		if (fuzz_one()) {
			fail = "cannot set up a new ring or memory";
			break;
		}
		if (F.failures >= MAX_FAILURES) {
			printf("# %d failures: stopping\n", MAX_FAILURES);
			break;
		}
		/*
		 * A leak shows where it started. The ring's own fd is in
		 * the count: compare with a ring open, as at the start.
		 */
		if (cfg.fd_check_all || !((i + 1) % FD_CHECK_EVERY)) {
			fds_now = settled_fd_count(fds_before);
			if (fds_now != fds_before) {
				F.failures++;
				printf("# FAILURE: %d fds open after iteration %llu, %d at start\n",
				       fds_now, (unsigned long long)F.iter,
				       fds_before);
				dump_fds();
				if (cfg.fd_check_all)
					dump_iteration();
				fds_before = fds_now;
			}
		}
	}

	fds_now = settled_fd_count(fds_before);
	if (fds_now != fds_before) {
		F.failures++;
		printf("# FAILURE: %d fds open at the end, %d at start\n",
		       fds_now, fds_before);
		dump_fds();
	}
	ring_exit(&F.ring);
	check_no_other_child();

	printf("# rings: plain %ld, defer_taskrun %ld, coop_taskrun %ld, sqpoll %ld\n",
	       F.rings[RK_PLAIN], F.rings[RK_DEFER], F.rings[RK_COOP],
	       F.rings[RK_SQPOLL]);
	printf("# iterations: %llu, SQEs: %ld, CQEs: %ld (%ld late, %ld of them an fd of ours)\n",
	       (unsigned long long)F.iter, F.sqes, F.cqes, F.late_cqes, F.late_fds);
	printf("# children: %ld (exit 0: %ld, exit 127: %ld, killed: %ld)\n",
	       F.children, F.exit0, F.exit127, F.killed);
	print_histogram();
	printf("# failures: %ld\n", F.failures);
	printf("# elapsed: %.1f s\n", (ring_now_ms() - start) / 1000.0);

	if (!fail && F.failures) {
		snprintf(reason, sizeof(reason), "%ld failures", F.failures);
		fail = reason;
	}
	if (fail) {
		printf("not ok 1 spawn_fuzz # %s\n", fail);
		return KSFT_FAIL;
	}
	printf("ok 1 spawn_fuzz\n");
	return KSFT_PASS;
}
