// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_stress - io_uring spawn chains at volume, each checked against
 * Documentation/userspace-api/io_uring_spawn.rst.
 *
 *   spawn_stress [-n spawns] [-t threads] [-s seed] [-T seconds] [-q]
 *                [-S] [-c program]
 *
 * Every worker thread owns its rings and cycles through four kinds: plain,
 * DEFER_TASKRUN | SINGLE_ISSUER, COOP_TASKRUN and SQPOLL (where every CLONE
 * must fail with -EOPNOTSUPP). On each ring it keeps up to MAX_SUBS
 * submissions in flight, each of 1..MAX_BATCH random chains:
 *
 *   CLONE [clone_args] [attributes]
 *     -> 0..6 steps: NOP, NOP with an injected result, OPENAT (/dev/null or
 *        a missing file), CLOSE_RANGE, DUP (from a fixed fd, or FROM_PREV
 *        with or without MOVE), CHDIR, EXEC of a missing file
 *     -> sometimes a request that must get the chain refused (READ, a
 *        nested CLONE, a NOP with a personality) or one that fails its own
 *        checks
 *     -> EXEC of stress_child (exits with a code from argv), or of a
 *        missing file; sometimes a NOP after it.
 *
 * Links are randomly soft or hard. For every chain the expected outcome is
 * computed from the spec before it is submitted: each request's result,
 * whether a child exists, and its exit status (the program's code, or 127
 * when no EXEC succeeded). Then every CQE must arrive exactly once with that
 * result, in chain order, every child is reaped (waitid() on its pid or its
 * pidfd) with that status, and every pidfd is closed. At the end: no child
 * left, the fd count back to its value at start, and no process in /proc
 * whose parent is us.
 *
 * The model of the child's fd table tracks one fd we keep open (KEEP, a
 * /dev/null) and one that is never open in this process (NEVER, just below
 * RLIMIT_NOFILE): the rest of the child's table is a copy of a table other
 * threads are changing, so no step depends on it. Where the spec allows two
 * outcomes (a request refused at submission or in the child), either is
 * accepted and both are counted.
 *
 * Some children exit with SIGUSR2, which we handle. The workers block it
 * and the main thread takes it: copy_process() fails with -ERESTARTNOINTR
 * while a signal is pending for the task that calls it, and a CLONE has
 * no system call to restart. -S leaves it unblocked in the workers too, to
 * see what a CLONE then completes with; the spec lists no such errno, so
 * any that shows is a mismatch.
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
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
/* glibc's idtype_t has P_PIDFD as an enumerator only from 2.36 on. */
#define WAIT_P_PIDFD	((idtype_t)3)

#define MAX_THREADS	64
#define MAX_SLOTS	32	/* chains a worker tracks, in flight or reaping */
#define MAX_STEPS	6	/* random steps between the CLONE and the EXEC */
#define MAX_SQES	10	/* CLONE, steps, a refused one, EXEC, NOP */
#define MAX_BATCH	4	/* chains in one submission */
#define MAX_SUBS	3	/* submissions in flight on one ring */
#define RING_ENTRIES	64	/* SQ: MAX_BATCH * MAX_SQES fit; CQ: twice */
#define HANG_MS		30000	/* no completion for this long: a hang */
#define REAP_MS		30000	/* a child still there this long after its chain */
#define MAX_REPORTS	20	/* mismatches described in full */

/* Paths that do not exist on any test system. */
#define MISSING_FILE	"/nonexistent-spawn-stress/file"
#define MISSING_DIR	"/nonexistent-spawn-stress/dir"
#define MISSING_EXEC	"/nonexistent-spawn-stress/stress_child"

enum ring_kind { RK_PLAIN, RK_DEFER, RK_COOP, RK_SQPOLL, RK_NR };

static const char *const kind_name[RK_NR] = {
	"plain", "defer_taskrun", "coop_taskrun", "sqpoll",
};

enum step_kind {
	ST_NOP,
	ST_NOP_INJECT,		/* IORING_NOP_INJECT_RESULT: a value or an error */
	ST_OPEN_NULL,		/* OPENAT of /dev/null: some fd */
	ST_OPEN_MISSING,	/* OPENAT of a missing file: -ENOENT */
	ST_CLOSE_RANGE,
	ST_DUP,			/* from KEEP or NEVER */
	ST_DUP_PREV,		/* IORING_DUP_FROM_PREV, maybe with MOVE */
	ST_CHDIR,
	ST_EXEC_MISSING,	/* -ENOENT; a $PATH search when hard-linked */
	ST_EXEC,		/* the program */
	/* Fails its own checks (-EINVAL): at submission or in the child. */
	ST_BAD,
	/* Not allowed in a chain: the CLONE refuses the chain. */
	ST_READ,
	ST_CLONE,
	ST_PERSONALITY,		/* a NOP with a registered personality */
	ST_NR
};

static const char *const step_name[ST_NR] = {
	"NOP", "NOP_INJECT", "OPENAT", "OPENAT", "CLOSE_RANGE", "DUP", "DUP",
	"CHDIR", "EXEC", "EXEC", "BAD", "READ", "CLONE", "NOP+personality",
};

/* What an ST_BAD request gets wrong. */
enum bad_kind {
	BAD_CLOSE_RANGE_ORDER,	/* first above last */
	BAD_CLOSE_RANGE_UNSHARE,
	BAD_DUP_FLAG,		/* an unknown dup_flags bit */
	BAD_DUP_PREV_FD,	/* a source fd with IORING_DUP_FROM_PREV */
	BAD_CHDIR_LEN,		/* a reserved field set */
	BAD_EXEC_FLAGS,		/* an execve_flags bit execveat() does not take */
	BAD_NOP_FLAGS,		/* an unknown nop_flags bit */
	BAD_NR
};

/* What the model knows of an fd in the child's table. */
enum fd_state { FD_OPEN, FD_CLOSED, FD_UNKNOWN };

struct step {
	__u8 kind;		/* enum step_kind */
	__u8 bad;		/* enum bad_kind, for ST_BAD */
	__u8 sqe_flags;		/* IOSQE_IO_LINK, IOSQE_IO_HARDLINK or 0 */
	int fd;
	__u32 len;
	__u32 op_flags;		/* dup, close_range, open or nop flags */
	int inject;		/* ST_NOP_INJECT's result */
	const char *path;
	/* The result if the chain runs in a child: within [lo, hi]. */
	int lo, hi;
	/* Refused requests and ST_BAD: the errno of the refusal. */
	int own_err;
	/* What arrived. */
	bool seen;
	int res;
	__u32 cqe_flags;
	unsigned long seq;	/* arrival order on the worker */
};

enum chain_state { CH_FREE, CH_INFLIGHT, CH_REAPING };

struct chain {
	enum chain_state state;
	__u32 gen;
	int sub;		/* the submission it came in */
	int kind;		/* the ring kind it was submitted on */
	int nsqe;
	int nseen;
	struct step st[MAX_SQES];	/* st[0] is the CLONE */

	/* The CLONE's user data: read at submission, kept for reports. */
	bool use_ca;
	bool want_pidfd;
	bool use_attr;
	struct {
		struct clone_args ca;
		__u64 tail[2];	/* zero: the size rules allow a longer struct */
	} ca;
	__u32 ca_len;
	struct io_uring_spawn_attr attr;
	int attr_err;		/* what applying the attributes fails with */
	int pidfd;		/* written by the kernel for CLONE_PIDFD */

	/* Index of the refused or bad request, 0 for none. */
	int special_at;

	/* The program and its arguments: read by the child until its exec. */
	unsigned int code;
	char code_str[12];
	char tok_str[16];
	char tok_env[32];
	char *argv[6];
	char *envp[3];
	char rbuf[8];		/* ST_READ's buffer: never filled */

	/* Expectations, from the model. */
	bool exp_execd;
	int exp_exit;

	/* Reaping. */
	int status_want;	/* the exit code to see, -1 for any */
	bool wait_pidfd;	/* reap with waitid(P_PIDFD) */
	bool killed;
	long long reap_deadline;
};

struct stats {
	long attempted;		/* CLONEs submitted */
	long children;		/* CLONEs that completed with a pid */
	long reaped;
	long execd;		/* children that ran the program: its code */
	long failed_expected;	/* children that exited 127, as expected */
	long refused_issue;	/* refused by the CLONE: -EINVAL, no child */
	long refused_submit;	/* refused at submission: CLONE -ECANCELED */
	long bad_in_child;	/* a bad request caught in the child instead */
	long sqpoll_refused;	/* CLONE -EOPNOTSUPP on an SQPOLL ring */
	long clone_eagain;	/* CLONE -EAGAIN/-ENOMEM: allowed, no child */
	long mismatches;
	long short_submits;	/* io_uring_enter() stopped at a failed SQE */
	long rings[RK_NR];
	long sqpoll_unavailable;
};

struct rng {
	uint64_t s;
};

struct worker {
	int id;
	pthread_t thread;
	struct rng rng;
	struct stats st;

	struct spawn_ring ring;
	bool ring_up;
	int kind;
	int personality;	/* registered on the ring, 0 if none */
	bool no_sqpoll;		/* SQPOLL rings cannot be set up here */
	unsigned int cq_entries;
	unsigned int cqes_outstanding;
	int subs_left[MAX_SUBS];	/* chains of each submission in flight */
	int subs_inflight;

	__u32 gen;
	unsigned long cqe_seq;
	bool stop;
	bool aborted;
	struct chain slots[MAX_SLOTS];
};

static struct config {
	long total;
	int threads;
	uint64_t seed;
	bool quiet;
	bool signals;		/* -S: workers do not block SIGUSR2 */
	int time_limit;
	char child[PATH_MAX];	/* what EXEC runs */
	bool helper;		/* it is stress_child (else /bin/true: exits 0) */
	char guard_env[40];	/* STRESS_GUARD=<our pid> */
	int keep_fd;		/* KEEP: /dev/null, open for the whole run */
	unsigned int never_fd;	/* NEVER: never open in this process */
	unsigned int nofile;	/* RLIMIT_NOFILE: the first bad DUP target */
	unsigned int dup_base;	/* DUP targets: dup_base .. dup_base + 7 */
	pid_t pgrp;
} cfg;

/* Shared by the workers. */
static long g_claimed;		/* spawns handed out */
static long g_done;		/* chains completed, for progress */
static int g_stop;		/* time limit or a worker gave up */
static int g_reports;		/* mismatches described so far */
static pthread_mutex_t g_print = PTHREAD_MUTEX_INITIALIZER;

/* splitmix64: small, fast, and good enough to pick test cases. */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rnd(struct rng *r, unsigned int n)
{
	return n ? rng_next(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return rnd(r, 100) < percent;
}

/* Must match stress_child's token_of(). */
static unsigned int token_of(unsigned int code)
{
	return (code + 1) * 2654435761U;
}

static bool stopping(void)
{
	return __atomic_load_n(&g_stop, __ATOMIC_RELAXED);
}

/* Take up to @want spawns from the global budget; returns how many. */
static int claim(int want)
{
	long old = __atomic_fetch_add(&g_claimed, want, __ATOMIC_RELAXED);

	if (old >= cfg.total)
		return 0;
	return cfg.total - old < want ? (int)(cfg.total - old) : want;
}

static __u64 make_ud(const struct worker *w, const struct chain *c, int idx)
{
	return ((__u64)c->gen << 16) | ((__u64)(c - w->slots) << 4) | idx;
}

/* --- the model ------------------------------------------------------- */

struct model {
	enum fd_state keep;	/* KEEP in the child's table */
	bool prev_ok;		/* the request before returned an fd ... */
	long prev_fd;		/* ... this one, or -1 when only the child knows */
	bool stopped;		/* the chain ended: the rest is -ECANCELED */
	bool execd;
};

static bool is_refused_kind(int kind)
{
	return kind == ST_READ || kind == ST_CLONE || kind == ST_PERSONALITY;
}

static void exact(struct step *s, int res)
{
	s->lo = res;
	s->hi = res;
}

/*
 * The result of @s if the chain runs in a child, from the spec, and what it
 * does to the child's fds. Called in chain order, so @m is the state the
 * request will find.
 */
static void model_step(const struct chain *c, int index, struct step *s,
		       struct model *m)
{
	bool keep_src;

	if (m->stopped) {
		exact(s, -ECANCELED);
		return;
	}
	/* Attributes that fail: the first request carries the errno. */
	if (index == 1 && c->attr_err) {
		exact(s, c->attr_err);
		m->stopped = true;
		return;
	}

	switch (s->kind) {
	case ST_NOP:
		exact(s, 0);
		break;
	case ST_NOP_INJECT:
		exact(s, s->inject);
		break;
	case ST_OPEN_NULL:
		s->lo = 0;
		s->hi = cfg.nofile - 1;
		break;
	case ST_OPEN_MISSING:
	case ST_EXEC_MISSING:
		exact(s, -ENOENT);
		break;
	case ST_CLOSE_RANGE:
		exact(s, 0);
		break;
	case ST_DUP:
		keep_src = s->fd == cfg.keep_fd;
		if (!keep_src || m->keep != FD_OPEN || s->len >= cfg.nofile)
			exact(s, -EBADF);
		else
			exact(s, s->len);
		break;
	case ST_DUP_PREV:
		if (!m->prev_ok || s->len >= cfg.nofile)
			exact(s, -EBADF);
		else
			exact(s, s->len);
		break;
	case ST_CHDIR:
		if (s->path && !strcmp(s->path, "/"))
			exact(s, 0);
		else if (s->path && !strcmp(s->path, "/dev/null"))
			exact(s, -ENOTDIR);
		else if (s->path)
			exact(s, -ENOENT);
		else if (s->fd == cfg.keep_fd && m->keep == FD_OPEN)
			exact(s, -ENOTDIR);	/* fchdir() of /dev/null */
		else
			exact(s, -EBADF);
		break;
	case ST_EXEC:
		exact(s, 0);
		break;
	case ST_BAD:
		exact(s, s->own_err);
		break;
	default:
		/* Refused requests: the chain never runs, nothing to model. */
		exact(s, 0);
		return;
	}

	if (s->lo < 0) {
		m->prev_ok = false;
		if (!(s->sqe_flags & IOSQE_IO_HARDLINK))
			m->stopped = true;
		return;
	}

	/* It worked: its effects on the child. */
	switch (s->kind) {
	case ST_OPEN_NULL:
		/* It may have taken KEEP's number, if that was free. */
		if (m->keep == FD_CLOSED)
			m->keep = FD_UNKNOWN;
		m->prev_ok = true;
		m->prev_fd = -1;
		return;
	case ST_CLOSE_RANGE:
		if (!(s->op_flags & CLOSE_RANGE_CLOEXEC) &&
		    (unsigned int)s->fd <= (unsigned int)cfg.keep_fd &&
		    (unsigned int)cfg.keep_fd <= s->len)
			m->keep = FD_CLOSED;
		break;
	case ST_DUP:
	case ST_DUP_PREV:
		if (s->len == (unsigned int)cfg.keep_fd)
			m->keep = FD_OPEN;
		else if ((s->op_flags & IORING_DUP_MOVE) &&
			 (s->kind == ST_DUP ? s->fd : m->prev_fd) == cfg.keep_fd)
			m->keep = FD_CLOSED;
		m->prev_ok = true;
		m->prev_fd = s->len;
		return;
	case ST_EXEC:
		m->execd = true;
		m->stopped = true;	/* what follows is cancelled */
		break;
	default:
		break;
	}
	m->prev_ok = false;
}

/* --- generating a chain ------------------------------------------------ */

static int pick_exit_signal(struct rng *r)
{
	static const int sigs[] = { 0, SIGUSR2, SIGURG, SIGWINCH };

	if (chance(r, 60))
		return SIGCHLD;
	return sigs[rnd(r, 4)];
}

static void gen_clone(struct worker *w, struct chain *c)
{
	static const __u32 lens[] = {
		sizeof(struct clone_args),	/* CLONE_ARGS_SIZE_VER2 */
		64,				/* CLONE_ARGS_SIZE_VER0 */
		80,				/* CLONE_ARGS_SIZE_VER1 */
		sizeof(c->ca),			/* longer, zero tail */
	};
	struct rng *r = &w->rng;
	struct io_uring_spawn_attr *a = &c->attr;

	/* A hard-linked CLONE is refused (the fuzzer and kselftests cover it). */
	c->st[0].sqe_flags = IOSQE_IO_LINK;
	c->pidfd = -1;
	c->use_ca = chance(r, 60);
	c->want_pidfd = c->use_ca && chance(r, 50);
	if (c->use_ca) {
		if (c->want_pidfd) {
			c->ca.ca.flags = CLONE_PIDFD;
			c->ca.ca.pidfd = (__u64)(uintptr_t)&c->pidfd;
		}
		if (chance(r, 15))
			c->ca.ca.flags |= CLONE_CLEAR_SIGHAND;
		c->ca.ca.exit_signal = pick_exit_signal(r);
		c->ca_len = lens[rnd(r, 4)];
	}

	c->use_attr = chance(r, 40);
	if (!c->use_attr)
		return;
	a->flags = rnd(r, 16);	/* SETSID, SETPGROUP, SETSIGMASK, SETSIGDEF */
	if (a->flags & IORING_SPAWN_SETSIGMASK)
		a->sigmask[0] = rng_next(r);
	if (a->flags & IORING_SPAWN_SETSIGDEF)
		a->sigdefault[0] = rng_next(r);
	if (a->flags & IORING_SPAWN_SETPGROUP) {
		if (chance(r, 45))
			a->pgid = 0;
		else if (chance(r, 90))
			a->pgid = cfg.pgrp;
		else
			a->pgid = 0x3fffffff;	/* no such group */
		/*
		 * A session leader cannot change its group (setsid() first),
		 * nor can anyone join a group that does not exist.
		 */
		if ((a->flags & IORING_SPAWN_SETSID) || a->pgid == 0x3fffffff)
			c->attr_err = -EPERM;
	}
}

static __u8 pick_step(struct rng *r)
{
	static const __u8 kinds[] = {
		ST_NOP, ST_NOP_INJECT, ST_NOP_INJECT, ST_OPEN_NULL,
		ST_OPEN_NULL, ST_OPEN_MISSING, ST_CLOSE_RANGE, ST_CLOSE_RANGE,
		ST_DUP, ST_DUP, ST_DUP_PREV, ST_DUP_PREV, ST_CHDIR, ST_CHDIR,
		ST_EXEC_MISSING,
	};

	return kinds[rnd(r, sizeof(kinds))];
}

static __u32 pick_target(struct rng *r, int src)
{
	unsigned int p = rnd(r, 100);

	if (p < 55)
		return cfg.dup_base + rnd(r, 8);
	if (p < 67)
		return cfg.keep_fd;
	if (p < 77 && src >= 0)
		return src;		/* onto itself */
	if (p < 85)
		return cfg.nofile;	/* the first fd past RLIMIT_NOFILE */
	if (p < 90)
		return ~0U;
	return rnd(r, 3);		/* stdin, stdout or stderr */
}

static void gen_step(struct worker *w, struct step *s,
		     const struct model *m)
{
	static const int errs[] = {
		EIO, EPERM, ENOENT, EBADF, ENOMEM, EACCES, EEXIST, ENOSPC,
		EROFS, ETIMEDOUT, ENXIO, EMFILE,
	};
	struct rng *r = &w->rng;
	unsigned int p;

	switch (s->kind) {
	case ST_NOP_INJECT:
		if (chance(r, 50))
			s->inject = -errs[rnd(r, ARRAY_SIZE(errs))];
		else
			s->inject = rnd(r, 1000);
		break;
	case ST_OPEN_NULL:
		s->path = "/dev/null";
		s->op_flags = O_RDONLY | (chance(r, 50) ? O_CLOEXEC : 0);
		break;
	case ST_OPEN_MISSING:
		s->path = MISSING_FILE;
		s->op_flags = O_RDONLY | O_CLOEXEC;
		break;
	case ST_CLOSE_RANGE:
		s->op_flags = chance(r, 30) ? CLOSE_RANGE_CLOEXEC : 0;
		p = rnd(r, 6);
		if (p == 0) {
			s->fd = cfg.keep_fd;
			s->len = cfg.keep_fd;
		} else if (p == 1) {
			s->fd = cfg.dup_base;
			s->len = cfg.dup_base + 7;
		} else if (p == 2) {
			s->fd = 3;		/* closefrom(3) */
			s->len = ~0U;
		} else if (p == 3) {
			s->fd = cfg.never_fd;
			s->len = chance(r, 50) ? cfg.never_fd : ~0U;
		} else {
			s->fd = rnd(r, 128);
			s->len = s->fd + rnd(r, 64);
		}
		break;
	case ST_DUP:
		/* KEEP only when the model knows whether it is open. */
		if (m->keep != FD_UNKNOWN && chance(r, 75))
			s->fd = cfg.keep_fd;
		else
			s->fd = cfg.never_fd;
		s->len = pick_target(r, s->fd);
		s->op_flags = (chance(r, 30) ? IORING_DUP_CLOEXEC : 0) |
			      (chance(r, 30) ? IORING_DUP_MOVE : 0);
		break;
	case ST_DUP_PREV:
		s->fd = 0;
		s->len = pick_target(r, -1);
		s->op_flags = IORING_DUP_FROM_PREV |
			      (chance(r, 60) ? IORING_DUP_MOVE : 0) |
			      (chance(r, 30) ? IORING_DUP_CLOEXEC : 0);
		break;
	case ST_CHDIR:
		p = rnd(r, 6);
		s->fd = AT_FDCWD;
		if (p <= 2) {
			s->path = "/";
		} else if (p == 3) {
			s->path = MISSING_DIR;
		} else if (p == 4) {
			s->path = "/dev/null";
		} else {
			/* fchdir(): KEEP when its state is known, else NEVER. */
			s->path = NULL;
			s->fd = m->keep != FD_UNKNOWN && chance(r, 60) ?
				cfg.keep_fd : (int)cfg.never_fd;
		}
		break;
	case ST_EXEC_MISSING:
		s->path = MISSING_EXEC;
		break;
	case ST_EXEC:
		s->path = cfg.child;
		break;
	case ST_BAD:
		s->own_err = -EINVAL;
		break;
	case ST_READ:
	case ST_CLONE:
		s->own_err = -EOPNOTSUPP;
		break;
	case ST_PERSONALITY:
		s->own_err = -EINVAL;
		break;
	default:
		break;
	}
}

/* Fill @c with a random chain and what the spec says it does. */
static void gen_chain(struct worker *w, struct chain *c)
{
	static const __u8 refused[] = { ST_READ, ST_CLONE, ST_PERSONALITY };
	struct model m = { .keep = FD_OPEN, .prev_fd = -1 };
	struct rng *r = &w->rng;
	__u8 kinds[MAX_SQES];
	int n = 0, i, special = -1;
	bool bad_last = false;
	unsigned int p;

	gen_clone(w, c);

	for (i = rnd(r, MAX_STEPS + 1); i > 0; i--)
		kinds[n++] = pick_step(r);

	/* At most one request that is refused or fails its own checks. */
	p = rnd(r, 100);
	if (p < 8 || (p < 16 && !chance(r, 30))) {
		__u8 k = p < 8 ? refused[rnd(r, 3)] : ST_BAD;

		if (k == ST_PERSONALITY && !w->personality)
			k = ST_READ;
		special = rnd(r, n + 1);
		memmove(&kinds[special + 1], &kinds[special], n - special);
		kinds[special] = k;
		n++;
	} else if (p < 16) {
		bad_last = true;	/* the last request is the bad one */
	}

	if (bad_last)
		kinds[n++] = ST_BAD;
	else
		kinds[n++] = chance(r, 88) ? ST_EXEC : ST_EXEC_MISSING;
	if (!bad_last && chance(r, 8))
		kinds[n++] = ST_NOP;	/* after the EXEC: cancelled if it ran */

	c->nsqe = n + 1;
	for (i = 1; i <= n; i++) {
		struct step *s = &c->st[i];

		s->kind = kinds[i - 1];
		if (s->kind == ST_BAD) {
			s->bad = bad_last && i == n && chance(r, 50) ?
				 BAD_EXEC_FLAGS : rnd(r, BAD_NR);
		}
		if (s->kind == ST_BAD || is_refused_kind(s->kind))
			c->special_at = i;
		if (i < n)
			s->sqe_flags = chance(r, 60) ? IOSQE_IO_LINK :
						       IOSQE_IO_HARDLINK;
		gen_step(w, s, &m);
		model_step(c, i, s, &m);
	}

	c->exp_execd = m.execd;
	c->exp_exit = m.execd ? (int)c->code : 127;
}

/* The program's argv and envp: the child reads them until its exec. */
static void gen_program(struct worker *w, struct chain *c)
{
	if (!cfg.helper) {
		c->code = 0;
		c->argv[0] = cfg.child;
		c->argv[1] = NULL;
		c->envp[0] = cfg.guard_env;
		c->envp[1] = NULL;
		return;
	}
	c->code = rnd(&w->rng, 120);
	snprintf(c->code_str, sizeof(c->code_str), "%u", c->code);
	snprintf(c->tok_str, sizeof(c->tok_str), "%u", token_of(c->code));
	snprintf(c->tok_env, sizeof(c->tok_env), "STRESS_TOKEN=%u",
		 token_of(c->code));
	c->argv[0] = cfg.child;
	c->argv[1] = "--exit";
	c->argv[2] = c->code_str;
	c->argv[3] = c->tok_str;
	c->argv[4] = NULL;
	c->envp[0] = c->tok_env;
	c->envp[1] = cfg.guard_env;
	c->envp[2] = NULL;
}

/* --- SQEs ---------------------------------------------------------------- */

static void emit_bad(const struct chain *c, const struct step *s,
		     struct io_uring_sqe *sqe)
{
	switch (s->bad) {
	case BAD_CLOSE_RANGE_ORDER:
		prep_close_range(sqe, 9, 8, 0);
		break;
	case BAD_CLOSE_RANGE_UNSHARE:
		prep_close_range(sqe, 3, 10, CLOSE_RANGE_UNSHARE);
		break;
	case BAD_DUP_FLAG:
		prep_dup(sqe, cfg.keep_fd, cfg.dup_base, 1U << 3);
		break;
	case BAD_DUP_PREV_FD:
		prep_dup(sqe, 1, cfg.dup_base, IORING_DUP_FROM_PREV);
		break;
	case BAD_CHDIR_LEN:
		prep_chdir(sqe, AT_FDCWD, "/");
		sqe->len = 1;
		break;
	case BAD_EXEC_FLAGS:
		prep_exec(sqe, AT_FDCWD, cfg.child, c->argv, c->envp,
			  AT_REMOVEDIR);
		break;
	default:
		prep_nop(sqe);
		sqe->rw_flags = 1U << 31;	/* nop_flags */
		break;
	}
}

static void emit_step(const struct worker *w, struct chain *c,
		      const struct step *s, struct io_uring_sqe *sqe)
{
	switch (s->kind) {
	case ST_NOP:
		prep_nop(sqe);
		break;
	case ST_PERSONALITY:
		prep_nop(sqe);
		sqe->personality = w->personality;
		break;
	case ST_NOP_INJECT:
		prep_nop_inject(sqe, s->inject);
		break;
	case ST_OPEN_NULL:
	case ST_OPEN_MISSING:
		prep_openat(sqe, AT_FDCWD, s->path, s->op_flags, 0);
		break;
	case ST_CLOSE_RANGE:
		prep_close_range(sqe, s->fd, s->len, s->op_flags);
		break;
	case ST_DUP:
	case ST_DUP_PREV:
		prep_dup(sqe, s->fd, s->len, s->op_flags);
		break;
	case ST_CHDIR:
		prep_chdir(sqe, s->fd, s->path);
		break;
	case ST_EXEC:
	case ST_EXEC_MISSING:
		prep_exec(sqe, AT_FDCWD, s->path, c->argv, c->envp, 0);
		break;
	case ST_BAD:
		emit_bad(c, s, sqe);
		break;
	case ST_READ:
		/* KEEP is /dev/null: even a READ that wrongly ran would not block. */
		prep_read(sqe, cfg.keep_fd, c->rbuf, sizeof(c->rbuf));
		break;
	case ST_CLONE:
		prep_clone(sqe, NULL, 0);
		break;
	}
}

static void emit_chain(struct worker *w, struct chain *c)
{
	struct io_uring_sqe *sqe;
	int i;

	/* The caller made room for the whole batch. */
	sqe = ring_get_sqe(&w->ring);
	prep_clone(sqe, c->use_ca ? (void *)&c->ca : NULL,
		   c->use_ca ? c->ca_len : 0);
	if (c->use_attr)
		prep_clone_attr(sqe, &c->attr);
	sqe->flags = c->st[0].sqe_flags;
	sqe->user_data = make_ud(w, c, 0);

	for (i = 1; i < c->nsqe; i++) {
		sqe = ring_get_sqe(&w->ring);
		emit_step(w, c, &c->st[i], sqe);
		sqe->flags = c->st[i].sqe_flags;
		sqe->user_data = make_ud(w, c, i);
	}
}

/*
 * Hand every published SQE to the kernel. Without IORING_SETUP_SUBMIT_ALL,
 * io_uring_enter() stops after an unlinked SQE that fails its own checks
 * (say, a chain's last EXEC with a bad flag) and leaves the rest in the SQ
 * ring, beyond what ring_submit() asks for: enter again for them. Such a
 * stop falls between two links, so each chain still reaches the kernel in
 * one call, as it must. Returns 0 or a negative errno.
 */
static int submit_pending(struct worker *w)
{
	struct spawn_ring *r = &w->ring;
	long long deadline = ring_now_ms() + HANG_MS;
	bool first = true;
	int ret;

	ret = ring_submit(r);
	if (r->setup_flags & IORING_SETUP_SQPOLL)
		return ret < 0 ? ret : 0;
	for (;;) {
		unsigned int head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
		unsigned int left = *r->sq_tail - head;

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			return ret;
		if (!left)
			return 0;
		if (ring_now_ms() > deadline)
			return -ETIMEDOUT;
		if (first)
			w->st.short_submits++;
		first = false;
		if (ret <= 0)
			usleep(1000);
		ret = sys_io_uring_enter(r->fd, left, 0, 0, NULL, 0);
		if (ret < 0)
			ret = -errno;
	}
}

/* SQPOLL's thread may not have taken the last batch yet: wait for room. */
static bool wait_sq_room(struct worker *w, unsigned int need)
{
	struct spawn_ring *r = &w->ring;
	long long deadline = ring_now_ms() + HANG_MS;

	for (;;) {
		unsigned int head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);

		if (r->sq_entries - (r->sqe_tail - head) >= need)
			return true;
		if (ring_now_ms() > deadline)
			return false;
		ring_submit(r);		/* wakes the thread if it sleeps */
		usleep(500);
	}
}

/* --- reports ------------------------------------------------------------- */

static void describe_want(char *buf, size_t size, const struct step *s)
{
	if (s->lo == s->hi)
		snprintf(buf, size, "%d", s->lo);
	else
		snprintf(buf, size, "%d..%d", s->lo, s->hi);
}

/* Print @c with what arrived and what the model expected. Under g_print. */
static void describe_chain(const struct worker *w, const struct chain *c)
{
	const struct step *s = &c->st[0];
	char want[32];
	int i;

	printf("#   thread %d, %s ring, chain %u: CLONE %s",
	       w->id, kind_name[c->kind], c->gen,
	       s->sqe_flags & IOSQE_IO_HARDLINK ? "HARDLINK" : "LINK");
	if (c->use_ca)
		printf(" clone_args{len %u flags %#llx exit_signal %llu}",
		       c->ca_len, (unsigned long long)c->ca.ca.flags,
		       (unsigned long long)c->ca.ca.exit_signal);
	if (c->use_attr)
		printf(" attr{flags %#x pgid %d}", c->attr.flags, c->attr.pgid);
	printf(" -> res %d%s, pidfd %d\n", s->res, s->seen ? "" : " (missing)",
	       c->pidfd);
	for (i = 1; i < c->nsqe; i++) {
		s = &c->st[i];
		describe_want(want, sizeof(want), s);
		printf("#     [%d] %-15s fd %d len %u flags %#x%s%s %s -> ",
		       i, step_name[s->kind], s->fd, s->len, s->op_flags,
		       s->path ? " " : "", s->path ? s->path : "",
		       s->sqe_flags & IOSQE_IO_HARDLINK ? "HARDLINK" :
		       s->sqe_flags & IOSQE_IO_LINK ? "LINK" : "end");
		if (s->seen)
			printf("res %d", s->res);
		else
			printf("missing");
		if (s->kind == ST_BAD)
			printf(" (bad #%d)", s->bad);
		printf(", in a child: %s\n", want);
	}
	printf("#     expected: %s, exit %d\n",
	       c->exp_execd ? "exec" : "no exec", c->exp_exit);
}

static void __printf(3, 4)
mismatch(struct worker *w, const struct chain *c, const char *fmt, ...)
{
	va_list ap;

	w->st.mismatches++;
	pthread_mutex_lock(&g_print);
	if (g_reports++ < MAX_REPORTS) {
		printf("# MISMATCH: ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		if (c)
			describe_chain(w, c);
	}
	pthread_mutex_unlock(&g_print);
}

/* --- checking a completed chain -------------------------------------- */

enum outcome {
	OUT_MISMATCH,
	OUT_RUN,		/* ran in a child as modelled */
	OUT_REFUSED_ISSUE,	/* refused by the CLONE */
	OUT_REFUSED_SUBMIT,	/* refused at submission */
	OUT_SQPOLL,
	OUT_EAGAIN,
};

/* Every request but the CLONE and @except completed with -ECANCELED. */
static bool rest_canceled(const struct chain *c, int except)
{
	int i;

	for (i = 1; i < c->nsqe; i++)
		if (i != except && c->st[i].res != -ECANCELED)
			return false;
	return true;
}

static enum outcome classify(const struct chain *c, char *why, size_t size)
{
	const struct step *sp = c->special_at ? &c->st[c->special_at] : NULL;
	int clone = c->st[0].res;
	int i;

	for (i = 0; i < c->nsqe; i++) {
		if (c->st[i].cqe_flags) {
			snprintf(why, size, "request %d: CQE flags %#x", i,
				 c->st[i].cqe_flags);
			return OUT_MISMATCH;
		}
	}

	if (c->kind == RK_SQPOLL) {
		if (clone != -EOPNOTSUPP) {
			snprintf(why, size,
				 "CLONE on an SQPOLL ring: %d, want -EOPNOTSUPP",
				 clone);
			return OUT_MISMATCH;
		}
		/*
		 * The link fails as a whole, before anything is issued. A
		 * request that fails its own checks keeps its own errno, as
		 * io_uring reports it for any failed link.
		 */
		for (i = 1; i < c->nsqe; i++) {
			int res = c->st[i].res;

			if (res == -ECANCELED)
				continue;
			if (i == c->special_at && sp->kind == ST_BAD &&
			    res == -EINVAL)
				continue;
			if (i == c->special_at && sp->kind == ST_CLONE &&
			    (res == -EOPNOTSUPP || res == -EINVAL))
				continue;
			snprintf(why, size,
				 "SQPOLL: request %d: %d, want -ECANCELED", i,
				 res);
			return OUT_MISMATCH;
		}
		return OUT_SQPOLL;
	}

	if (clone == -512 || clone == -513 || clone == -514 || clone == -516) {
		snprintf(why, size,
			 "CLONE %d: a kernel-internal ERESTART* errno", clone);
		return OUT_MISMATCH;
	}
	/* Out of pids or memory: allowed, as long as nothing ran. */
	if ((clone == -EAGAIN || clone == -ENOMEM) && rest_canceled(c, 0))
		return OUT_EAGAIN;

	if (sp && is_refused_kind(sp->kind)) {
		/* The spec: CLONE -EINVAL, the culprit its errno, the rest -ECANCELED. */
		if (clone == -EINVAL && sp->res == sp->own_err &&
		    rest_canceled(c, c->special_at))
			return OUT_REFUSED_ISSUE;
		/*
		 * A nested CLONE is also "not the head of its link", which
		 * its own checks may catch at submission.
		 */
		if (sp->kind == ST_CLONE && clone == -ECANCELED &&
		    sp->res == -EINVAL && rest_canceled(c, c->special_at))
			return OUT_REFUSED_SUBMIT;
		snprintf(why, size,
			 "chain with a %s at %d not refused: CLONE %d, it %d",
			 step_name[sp->kind], c->special_at, clone, sp->res);
		return OUT_MISMATCH;
	}

	/* A bad request caught at submission: no child. */
	if (sp && clone == -ECANCELED) {
		if (sp->res == sp->own_err && rest_canceled(c, c->special_at))
			return OUT_REFUSED_SUBMIT;
		snprintf(why, size,
			 "bad request at %d refused at submission, but: it %d",
			 c->special_at, sp->res);
		return OUT_MISMATCH;
	}

	/* Everything else runs in a child. */
	if (clone <= 0) {
		snprintf(why, size, "CLONE %d, want a pid", clone);
		return OUT_MISMATCH;
	}
	for (i = 1; i < c->nsqe; i++) {
		const struct step *s = &c->st[i];

		if (s->res < s->lo || s->res > s->hi) {
			snprintf(why, size, "request %d (%s): %d, want %d..%d",
				 i, step_name[s->kind], s->res, s->lo, s->hi);
			return OUT_MISMATCH;
		}
	}
	for (i = 2; i < c->nsqe; i++) {
		if (c->st[i].seq < c->st[i - 1].seq) {
			snprintf(why, size,
				 "completions out of chain order at request %d",
				 i);
			return OUT_MISMATCH;
		}
	}
	return OUT_RUN;
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
	if (!p)
		return -1;
	return atoi(p + 5);
}

static void free_chain(struct chain *c)
{
	c->state = CH_FREE;
}

/* All CQEs of @c are in: check them, then reap the child if there is one. */
static void chain_done(struct worker *w, struct chain *c)
{
	int clone = c->st[0].res;
	enum outcome out;
	char why[200];

	__atomic_fetch_add(&g_done, 1, __ATOMIC_RELAXED);
	if (!--w->subs_left[c->sub])
		w->subs_inflight--;

	out = classify(c, why, sizeof(why));
	switch (out) {
	case OUT_MISMATCH:
		mismatch(w, c, "%s", why);
		break;
	case OUT_RUN:
		if (c->special_at)
			w->st.bad_in_child++;
		break;
	case OUT_REFUSED_ISSUE:
		w->st.refused_issue++;
		break;
	case OUT_REFUSED_SUBMIT:
		w->st.refused_submit++;
		break;
	case OUT_SQPOLL:
		w->st.sqpoll_refused++;
		break;
	case OUT_EAGAIN:
		w->st.clone_eagain++;
		break;
	}

	if (clone <= 0) {
		/*
		 * No child, so no pidfd either. (A CLONE that ran out of pids
		 * may have written the number of the fd it then gave back.)
		 */
		if (c->want_pidfd && c->pidfd != -1 && out != OUT_EAGAIN)
			mismatch(w, c, "CLONE %d wrote pidfd %d", clone,
				 c->pidfd);
		free_chain(c);
		return;
	}

	w->st.children++;
	c->status_want = out == OUT_RUN ? c->exp_exit : -1;
	c->wait_pidfd = false;
	if (c->want_pidfd) {
		int pid = c->pidfd >= 0 ? pidfd_pid(c->pidfd) : -1;

		if (pid != clone)
			mismatch(w, c, "pidfd %d refers to pid %d, not %d",
				 c->pidfd, pid, clone);
		else
			c->wait_pidfd = rnd(&w->rng, 2);
	}
	c->state = CH_REAPING;
	c->killed = false;
	c->reap_deadline = ring_now_ms() + REAP_MS;
}

static void handle_cqe(struct worker *w, const struct spawn_cqe *cqe)
{
	unsigned int slot = (cqe->user_data >> 4) & 0xfff;
	unsigned int idx = cqe->user_data & 0xf;
	__u32 gen = cqe->user_data >> 16;
	struct chain *c;
	struct step *s;

	if (slot >= MAX_SLOTS || w->slots[slot].state != CH_INFLIGHT ||
	    w->slots[slot].gen != gen || (int)idx >= w->slots[slot].nsqe ||
	    w->slots[slot].st[idx].seen) {
		mismatch(w, NULL,
			 "thread %d: unexpected or repeated CQE user_data %#llx res %d",
			 w->id, (unsigned long long)cqe->user_data, cqe->res);
		return;
	}
	c = &w->slots[slot];
	s = &c->st[idx];
	s->seen = true;
	s->res = cqe->res;
	s->cqe_flags = cqe->flags;
	s->seq = ++w->cqe_seq;
	w->cqes_outstanding--;
	if (++c->nseen == c->nsqe)
		chain_done(w, c);
}

/* --- reaping ------------------------------------------------------------- */

static void reaped(struct worker *w, struct chain *c, const siginfo_t *si)
{
	pid_t pid = c->st[0].res;

	w->st.reaped++;
	if (si->si_pid != pid) {
		mismatch(w, c, "waitid() for %d gave pid %d", pid, si->si_pid);
	} else if (c->status_want >= 0) {
		if (si->si_code != CLD_EXITED ||
		    si->si_status != c->status_want)
			mismatch(w, c, "child %d: %s %d, want exit %d", pid,
				 si->si_code == CLD_EXITED ? "exit" : "signal",
				 si->si_status, c->status_want);
		else if (c->exp_execd)
			w->st.execd++;
		else
			w->st.failed_expected++;
	}
	if (c->want_pidfd && c->pidfd >= 0)
		close(c->pidfd);
	free_chain(c);
}

/* Try to reap every child whose chain is complete; never blocks. */
static void poll_reaps(struct worker *w)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct chain *c = &w->slots[i];
		pid_t pid = c->st[0].res;
		siginfo_t si;
		int ret;

		if (c->state != CH_REAPING)
			continue;
		memset(&si, 0, sizeof(si));
		if (c->wait_pidfd)
			ret = waitid(WAIT_P_PIDFD, c->pidfd, &si,
				     WEXITED | WNOHANG | __WALL);
		else
			ret = waitid(P_PID, pid, &si,
				     WEXITED | WNOHANG | __WALL);
		if (ret < 0 && errno != EINTR) {
			mismatch(w, c, "waitid() for child %d: %s", pid,
				 strerror(errno));
			if (c->want_pidfd && c->pidfd >= 0)
				close(c->pidfd);
			free_chain(c);
			continue;
		}
		if (ret == 0 && si.si_pid) {
			reaped(w, c, &si);
			continue;
		}
		if (ring_now_ms() < c->reap_deadline)
			continue;
		if (!c->killed) {
			mismatch(w, c, "child %d still there %d ms after its chain",
				 pid, REAP_MS);
			kill(pid, SIGKILL);
			c->killed = true;
			c->status_want = -1;
			c->reap_deadline = ring_now_ms() + 10000;
		} else {
			mismatch(w, c, "child %d survives SIGKILL", pid);
			c->state = CH_FREE;	/* give up on it; the end checks fail */
			w->aborted = true;
		}
	}
}

static int count_state(const struct worker *w, enum chain_state state)
{
	int i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		n += w->slots[i].state == state;
	return n;
}

/* --- rings ----------------------------------------------------------- */

static int ring_open(struct worker *w, int kind)
{
	unsigned int flags = 0;
	int ret;

	switch (kind) {
	case RK_DEFER:
		flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
		break;
	case RK_COOP:
		flags = IORING_SETUP_COOP_TASKRUN;
		if (chance(&w->rng, 50))
			flags |= IORING_SETUP_TASKRUN_FLAG;
		break;
	case RK_SQPOLL:
		flags = IORING_SETUP_SQPOLL;
		break;
	}
	ret = ring_init(&w->ring, RING_ENTRIES, flags,
			kind == RK_SQPOLL ? 20 : 0);
	if (ret)
		return ret;
	w->ring_up = true;
	w->kind = kind;
	w->cq_entries = w->ring.cq_mask + 1;
	w->cqes_outstanding = 0;
	w->subs_inflight = 0;
	memset(w->subs_left, 0, sizeof(w->subs_left));
	ret = ring_register_personality(&w->ring);
	w->personality = ret > 0 ? ret : 0;
	w->st.rings[kind]++;
	return 0;
}

static void ring_close(struct worker *w)
{
	if (w->ring_up)
		ring_exit(&w->ring);
	w->ring_up = false;
}

/* No completion for HANG_MS: say what is missing and give up. */
static void hang(struct worker *w)
{
	int i;

	mismatch(w, NULL, "thread %d: no completion for %d ms, %u outstanding",
		 w->id, HANG_MS, w->cqes_outstanding);
	pthread_mutex_lock(&g_print);
	for (i = 0; i < MAX_SLOTS; i++)
		if (w->slots[i].state == CH_INFLIGHT)
			describe_chain(w, &w->slots[i]);
	pthread_mutex_unlock(&g_print);
	/*
	 * Kill the children we know of so nothing outlives us. The chains'
	 * memory stays allocated: a child we do not know of may still read it.
	 */
	for (i = 0; i < MAX_SLOTS; i++) {
		struct chain *c = &w->slots[i];

		if (c->state == CH_INFLIGHT && c->st[0].seen && c->st[0].res > 0)
			kill(c->st[0].res, SIGKILL);
	}
	w->aborted = true;
	__atomic_store_n(&g_stop, 1, __ATOMIC_RELAXED);
}

/* Start one submission of 1..MAX_BATCH chains. Returns how many. */
static int admit(struct worker *w, unsigned int *quota)
{
	struct chain *batch[MAX_BATCH];
	unsigned int room;
	int want, got, sub, i, n = 0, ret;

	for (sub = 0; sub < MAX_SUBS && w->subs_left[sub]; sub++)
		;
	if (sub == MAX_SUBS)
		return 0;
	want = 1 + rnd(&w->rng, MAX_BATCH);
	if ((unsigned int)want > *quota)
		want = *quota;
	room = (w->cq_entries - w->cqes_outstanding) / MAX_SQES;
	if ((unsigned int)want > room)
		want = room;
	for (i = 0; i < MAX_SLOTS && n < want; i++)
		if (w->slots[i].state == CH_FREE)
			batch[n++] = &w->slots[i];
	if (!n)
		return 0;
	got = claim(n);
	if (!got) {
		w->stop = true;
		return 0;
	}
	if (!wait_sq_room(w, got * MAX_SQES)) {
		hang(w);
		return 0;
	}

	for (i = 0; i < got; i++) {
		struct chain *c = batch[i];

		memset(c, 0, sizeof(*c));
		c->gen = ++w->gen;
		c->sub = sub;
		c->kind = w->kind;
		gen_program(w, c);
		gen_chain(w, c);
		emit_chain(w, c);
		c->state = CH_INFLIGHT;
		w->cqes_outstanding += c->nsqe;
		w->st.attempted++;
	}
	w->subs_left[sub] = got;
	w->subs_inflight++;
	*quota -= got;

	ret = submit_pending(w);
	if (ret) {
		mismatch(w, NULL, "thread %d: submitting: %s", w->id,
			 strerror(-ret));
		hang(w);
	}
	return got;
}

/* Run chains on the current ring until its quota or the budget is used. */
static void run_ring(struct worker *w)
{
	unsigned int quota = w->kind == RK_SQPOLL ? 4 + rnd(&w->rng, 29) :
						    16 + rnd(&w->rng, 241);
	int max_subs = 1 + rnd(&w->rng, MAX_SUBS);
	long long last = ring_now_ms();
	struct spawn_cqe cqes[64];

	while (!w->aborted) {
		int n, i;

		if (stopping())
			w->stop = true;
		while (!w->stop && !w->aborted && quota &&
		       w->subs_inflight < max_subs && admit(w, &quota))
			;
		if (w->aborted)
			return;
		if (!w->cqes_outstanding) {
			if (!quota || w->stop)
				return;
			/* Every slot waits for its child: let them exit. */
			poll_reaps(w);
			usleep(500);
			last = ring_now_ms();
			continue;
		}

		n = ring_wait_cqes(&w->ring, cqes, 1, 100);
		if (n < 0) {
			mismatch(w, NULL, "thread %d: waiting for CQEs: %s",
				 w->id, strerror(-n));
			hang(w);
			return;
		}
		n += ring_reap(&w->ring, cqes + n, 64 - n);
		for (i = 0; i < n; i++)
			handle_cqe(w, &cqes[i]);
		if (n)
			last = ring_now_ms();
		else if (ring_now_ms() - last > HANG_MS)
			hang(w);
		poll_reaps(w);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int kind = w->id % RK_NR, fails = 0;

	while (!w->stop && !w->aborted && !stopping() &&
	       __atomic_load_n(&g_claimed, __ATOMIC_RELAXED) < cfg.total) {
		int ret;

		if (kind == RK_SQPOLL && w->no_sqpoll) {
			kind = (kind + 1) % RK_NR;
			continue;
		}
		ret = ring_open(w, kind);
		if (ret == 0) {
			fails = 0;
			run_ring(w);
			ring_close(w);
		} else if (kind == RK_SQPOLL) {
			/* e.g. -EPERM without the privilege: test the rest. */
			w->no_sqpoll = true;
			w->st.sqpoll_unavailable++;
		} else if (++fails > 8) {
			mismatch(w, NULL, "thread %d: %s ring: %s", w->id,
				 kind_name[kind], strerror(-ret));
			w->aborted = true;
		}
		kind = (kind + 1) % RK_NR;
	}
	if (w->ring_up) {
		/* Aborted with requests in flight: leave the chains' memory. */
		ring_close(w);
	}

	/* Children whose chains are complete: reap them all. */
	while (count_state(w, CH_REAPING)) {
		poll_reaps(w);
		usleep(1000);
	}
	return NULL;
}

/* --- process-wide checks ------------------------------------------------ */

/* Why the test cannot run on this kernel, or NULL. */
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
	/*
	 * The feature bit is what to test: later mainline kernels use the
	 * opcode numbers for other operations, which their probe reports
	 * as supported too.
	 */
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

static void on_signal(int sig)
{
	(void)sig;	/* an exit signal of a child: nothing to do */
}

/* Set up what every worker shares. Returns NULL or why it cannot run. */
static const char *setup(const char *child_opt, char *why, size_t size)
{
	struct sigaction sa;
	char exe[PATH_MAX];
	struct rlimit rl;
	ssize_t n;

	/* A SIG_IGN inherited from the runner would reap our children. */
	signal(SIGCHLD, SIG_DFL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);

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
	/* Only stress_child knows --exit; anything else must exit 0. */
	memcpy(exe, cfg.child, sizeof(exe));
	cfg.helper = !strcmp(basename(exe), "stress_child");
	snprintf(cfg.guard_env, sizeof(cfg.guard_env), "STRESS_GUARD=%d",
		 getpid());

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		snprintf(why, size, "getrlimit: %s", strerror(errno));
		return why;
	}
	/*
	 * A soft limit can always be lowered. A bounded one keeps the fd
	 * table a DUP past it would need out of reach, and OPENAT's results
	 * in a known range.
	 */
	if (rl.rlim_cur > 65536) {
		rl.rlim_cur = 65536;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			snprintf(why, size, "setrlimit: %s", strerror(errno));
			return why;
		}
	}
	cfg.nofile = rl.rlim_cur;
	if (cfg.nofile < 128) {
		snprintf(why, size, "RLIMIT_NOFILE %u is too low", cfg.nofile);
		return why;
	}
	/* Far above anything we open, and still a valid fd number. */
	cfg.never_fd = cfg.nofile - 1 < 4000 ? cfg.nofile - 1 : 4000;
	cfg.dup_base = 64;
	if (fcntl(cfg.never_fd, F_GETFD) != -1) {
		snprintf(why, size, "fd %u is open", cfg.never_fd);
		return why;
	}
	cfg.keep_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (cfg.keep_fd < 0) {
		snprintf(why, size, "/dev/null: %s", strerror(errno));
		return why;
	}
	cfg.pgrp = getpgrp();
	return NULL;
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n spawns] [-t threads] [-s seed] [-T seconds] [-q] [-S] [-c program]\n"
		"  -n  spawns in total (default 100000)\n"
		"  -t  worker threads (default 4, at most %d)\n"
		"  -s  random seed (default: from the time)\n"
		"  -T  stop after this many seconds, 0 for no limit (default 0)\n"
		"  -q  quiet: no progress lines\n"
		"  -S  leave SIGUSR2, an exit signal we handle, unblocked in the workers\n"
		"  -c  the program to exec (default: stress_child beside us)\n",
		prog, MAX_THREADS);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	const char *child_opt = NULL, *fail = NULL;
	bool joined[MAX_THREADS] = { false };
	struct worker *workers;
	char why[256], reason[256];
	int fds_before, fds_after, opt, i, left;
	long long start, next_report;
	struct stats tot;
	sigset_t mask;
	pid_t pid;

	cfg.total = 100000;
	cfg.threads = 4;
	cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((opt = getopt(argc, argv, "n:t:s:T:qSc:h")) != -1) {
		switch (opt) {
		case 'n':
			cfg.total = strtol(optarg, NULL, 0);
			break;
		case 't':
			cfg.threads = atoi(optarg);
			break;
		case 's':
			cfg.seed = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			cfg.time_limit = atoi(optarg);
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'S':
			cfg.signals = true;
			break;
		case 'c':
			child_opt = optarg;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (cfg.total < 0 || cfg.threads < 1 || cfg.threads > MAX_THREADS ||
	    cfg.time_limit < 0)
		print_usage(argv[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..1\n");
	if (spawn_unsupported(why, sizeof(why))) {
		printf("ok 1 spawn_stress # SKIP %s\n", why);
		return KSFT_SKIP;
	}
	if (setup(child_opt, why, sizeof(why))) {
		printf("not ok 1 spawn_stress # setup: %s\n", why);
		return KSFT_FAIL;
	}
	printf("# spawn_stress: -n %ld -t %d -s %llu -T %d%s, exec %s\n",
	       cfg.total, cfg.threads, (unsigned long long)cfg.seed,
	       cfg.time_limit, cfg.signals ? " -S" : "", cfg.child);

	workers = calloc(cfg.threads, sizeof(*workers));
	if (!workers) {
		printf("not ok 1 spawn_stress # out of memory\n");
		return KSFT_FAIL;
	}
	fds_before = spawn_count_fds();
	start = ring_now_ms();
	/*
	 * The workers inherit this mask: a pending SIGUSR2 is then the main
	 * thread's to take, and never pending for a task issuing a CLONE.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	if (!cfg.signals)
		pthread_sigmask(SIG_BLOCK, &mask, NULL);
	for (i = 0; i < cfg.threads; i++) {
		workers[i].id = i;
		workers[i].rng.s = cfg.seed + 0x1234567ULL * (i + 1);
		if (pthread_create(&workers[i].thread, NULL, worker_main,
				   &workers[i])) {
			printf("not ok 1 spawn_stress # pthread_create failed\n");
			return KSFT_FAIL;
		}
	}
	pthread_sigmask(SIG_UNBLOCK, &mask, NULL);

	/* Progress and the time limit; the workers do the rest. */
	next_report = start + 5000;
	for (;;) {
		long done = __atomic_load_n(&g_done, __ATOMIC_RELAXED);
		long long now = ring_now_ms();
		bool all_done = true;

		for (i = 0; i < cfg.threads; i++) {
			if (!joined[i] &&
			    !pthread_tryjoin_np(workers[i].thread, NULL))
				joined[i] = true;
			all_done &= joined[i];
		}
		if (all_done)
			break;
		if (cfg.time_limit && now - start >= cfg.time_limit * 1000LL &&
		    !stopping()) {
			printf("# time limit of %d s reached: stopping\n",
			       cfg.time_limit);
			__atomic_store_n(&g_stop, 1, __ATOMIC_RELAXED);
		}
		if (!cfg.quiet && now >= next_report) {
			printf("# progress: %ld/%ld chains, %lld s\n", done,
			       cfg.total, (now - start) / 1000);
			next_report = now + 5000;
		}
		usleep(100000);
	}

	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < cfg.threads; i++) {
		struct stats *s = &workers[i].st;
		int k;

		tot.attempted += s->attempted;
		tot.children += s->children;
		tot.reaped += s->reaped;
		tot.execd += s->execd;
		tot.failed_expected += s->failed_expected;
		tot.refused_issue += s->refused_issue;
		tot.refused_submit += s->refused_submit;
		tot.bad_in_child += s->bad_in_child;
		tot.sqpoll_refused += s->sqpoll_refused;
		tot.clone_eagain += s->clone_eagain;
		tot.mismatches += s->mismatches;
		tot.short_submits += s->short_submits;
		tot.sqpoll_unavailable += s->sqpoll_unavailable;
		for (k = 0; k < RK_NR; k++)
			tot.rings[k] += s->rings[k];
		if (workers[i].aborted && !fail)
			fail = "a worker gave up";
	}

	printf("# rings: plain %ld, defer_taskrun %ld, coop_taskrun %ld, sqpoll %ld%s\n",
	       tot.rings[RK_PLAIN], tot.rings[RK_DEFER], tot.rings[RK_COOP],
	       tot.rings[RK_SQPOLL],
	       tot.sqpoll_unavailable ? " (SQPOLL unavailable)" : "");
	printf("# spawns attempted:        %ld\n", tot.attempted);
	printf("# children created/reaped: %ld/%ld\n", tot.children, tot.reaped);
	printf("# exec'd:                  %ld\n", tot.execd);
	printf("# failed as expected:      %ld (exit 127)\n", tot.failed_expected);
	printf("# refused chains:          %ld (by the CLONE %ld, at submission %ld)\n",
	       tot.refused_issue + tot.refused_submit, tot.refused_issue,
	       tot.refused_submit);
	printf("# bad requests caught in the child: %ld\n", tot.bad_in_child);
	printf("# SQPOLL refusals:         %ld\n", tot.sqpoll_refused);
	printf("# CLONE -EAGAIN/-ENOMEM:   %ld\n", tot.clone_eagain);
	printf("# short submissions:       %ld\n", tot.short_submits);
	printf("# mismatches:              %ld\n", tot.mismatches);
	printf("# elapsed:                 %.1f s\n",
	       (ring_now_ms() - start) / 1000.0);

	if (tot.mismatches && !fail) {
		snprintf(reason, sizeof(reason), "%ld mismatches",
			 tot.mismatches);
		fail = reason;
	}
	if (!fail && tot.reaped != tot.children)
		fail = "not every child was reaped";

	/* Nothing may outlive its chain: no child, zombie or not. */
	left = spawn_walk_children(NULL);
	if (left < 0)
		printf("# cannot scan /proc: %s\n", strerror(errno));
	if (left > 0) {
		printf("# %d processes still have us as their parent\n", left);
		if (!fail)
			fail = "children left in /proc";
	}
	errno = 0;
	pid = waitpid(-1, NULL, WNOHANG | __WALL);
	if (!(pid == -1 && errno == ECHILD)) {
		printf("# waitpid(-1): %d (%s): a child is left\n", pid,
		       strerror(errno));
		if (!fail)
			fail = "a child is left (waitpid)";
	}
	if (left > 0 || pid >= 0) {
		/* Clean up so that nothing outlives the test. */
		long long deadline = ring_now_ms() + 5000;

		while (ring_now_ms() < deadline && spawn_walk_children(spawn_kill_pid) > 0) {
			while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
				;
			usleep(10000);
		}
	}

	fds_after = spawn_count_fds();
	if (fds_after != fds_before) {
		printf("# open fds: %d at start, %d at the end\n", fds_before,
		       fds_after);
		if (!fail)
			fail = "fd count changed";
	}
	close(cfg.keep_fd);

	if (fail) {
		printf("not ok 1 spawn_stress # %s\n", fail);
		return KSFT_FAIL;
	}
	printf("ok 1 spawn_stress\n");
	return KSFT_PASS;
}
