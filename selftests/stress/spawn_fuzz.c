// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_fuzz - a structure-aware fuzzer of io_uring's spawn opcodes.
 *
 *   spawn_fuzz [-n iterations] [-s seed] [-T seconds] [-q] [-v] [-F] [-H]
 *              [-k kind] [-c program]
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
 * About a third of the iterations bring one of the hazards the security
 * review (issue 12) names as the mix that finds bugs of the point of no
 * return; -H leaves them out:
 *  - resource limits: RLIMIT_AS, RLIMIT_DATA, RLIMIT_NOFILE, RLIMIT_STACK
 *    or RLIMIT_FSIZE is lowered around the io_uring_enter() whose way back
 *    to user space creates the child, which keeps the limit; the values
 *    either let the program run or make its exec fail past its point of
 *    no return (not on SQPOLL rings, where a CLONE is refused anyway);
 *  - setuid programs: as root, the EXEC target is a copy of the program
 *    that is setuid to nobody, and now and then the chain CLONE, EXEC of
 *    that copy hard-linked to an OPENAT that creates a file, EXEC, under a
 *    low RLIMIT_AS: the review's hole;
 *  - hard links after an EXEC: half of those iterations are a chain whose
 *    valid EXEC is hard-linked to more steps (OPENAT, DUP, EXEC, ...);
 *  - cancellation: an IORING_OP_ASYNC_CANCEL of one of the iteration's
 *    requests follows the batch (by user_data, ALL, ANY, by fd or opcode,
 *    or with flags the kernel refuses);
 *  - teardown: a forked sub-submitter spawns one or two chains that block
 *    opening a FIFO, then after 0-20 ms closes its ring, execs, exits or
 *    is killed by us; we are a child subreaper, so its children become
 *    ours, and we open the FIFO to let what still runs go on.
 *
 * The oracle, for every iteration:
 *  - every CQE comes once; those the kernel owes us (all but requests with
 *    IOSQE_CQE_SKIP_SUCCESS and the rest of their link) arrive within
 *    WAIT_MS, or the iteration fails and its SQEs are printed;
 *  - a result is >= 0 only where the opcode has one (a pid for CLONE, 0
 *    for EXEC, CHDIR and CLOSE_RANGE, the target fd for DUP, ...), or a
 *    negative errno from that opcode's list of documented ones;
 *  - a CLONE's pid is our child, which we reap, and its pidfd, if asked
 *    for, refers to it; a CLONE with IOSQE_IO_HARDLINK never has one;
 *  - the link of a CLONE behaves as a chain: nothing in it succeeds if the
 *    CLONE failed; in the child's chain, everything after a successful
 *    EXEC or a soft-linked failure is -ECANCELED, and a DUP FROM_PREV with
 *    no fd before it fails; the child exits 0 (the program ran) if an
 *    EXEC succeeded and 127 if none did, unless it outstayed WAIT_MS and
 *    died of the SIGKILL we then send;
 *  - a child that dies of SIGSEGV had an EXEC fail past its point of no
 *    return: the last CQE of its chain that is not -ECANCELED is that of
 *    an EXEC that failed, and nothing after it ran, hard link or not;
 *  - in the setuid chain, the file the OPENAT creates exists only if the
 *    OPENAT succeeded, and belongs to us (root), never to nobody;
 *  - an ASYNC_CANCEL posts its CQE (a count with ALL or ANY, else 0,
 *    -ENOENT, -EALREADY, -EINVAL, -EBADF), every other CQE still comes
 *    once, and the chains are unchanged: io_uring cannot reach their
 *    requests, so a cancel finds none of them;
 *  - teardown: the sub-submitter ends in time; each child of its chains
 *    ends within WAIT_MS of the FIFO being opened, with SIGKILL or exit 0
 *    as the spec says for that teardown (exit 0 if its EXEC was seen to
 *    succeed before it); no child is left and our fd count is unchanged;
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
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

/* The hazards of an iteration, besides its SQEs: see the header comment. */
enum hazard {
	HZ_NONE,
	HZ_RLIMIT,	/* a limit lowered around the submission */
	HZ_SETUID,	/* the setuid copy as EXEC target, often a limit too */
	HZ_SETUID_CASE,	/* CLONE, EXEC(setuid), OPENAT(O_CREAT), EXEC */
	HZ_CANCEL,	/* an ASYNC_CANCEL after the batch */
	HZ_TEARDOWN,	/* a sub-submitter torn down under its chains */
};

#define NOBODY		65534	/* owner of the setuid copy */

/* The limits an iteration may lower: see hz_limits[]. */
enum { RL_AS, RL_DATA, RL_NOFILE, RL_STACK, RL_FSIZE, RL_NR };

/* Below the new stack alone: any exec fails past its point of no return. */
#define DOOMED_AS	(64 << 10)

/* Teardown: what ends the sub-submitter's ring or the sub-submitter. */
enum td_mode { TD_RING, TD_EXEC, TD_EXIT, TD_KILL, TD_NR };

static const char *const td_name[TD_NR] = { "ring", "exec", "exit", "kill" };

#define TD_CHAINS	2	/* at most, in one submission */
#define TD_UD(k, step)	(((k) << 4) | (step))

struct td_plan {
	int mode;
	int kind;		/* of the sub-submitter's ring: never SQPOLL */
	int chains;		/* 1..TD_CHAINS, all of the same shape */
	bool close_copy;	/* the chain closes its copy of the ring fd */
	bool block;		/* then opens the FIFO, which blocks */
	__u8 open_link;		/* IOSQE_IO_LINK or IOSQE_IO_HARDLINK */
	bool early;		/* TD_KILL: counted from the fork, not the submission */
	int delay_ms;		/* 0..20, from the submission to the teardown */
};

/* What a sub-submitter tells us through its pipe, one write each. */
struct td_rec {
	int type;		/* TD_REC_* */
	int a, b;
};

enum {
	TD_REC_SUBMITTED = 1,	/* a: what io_uring_enter() returned */
	TD_REC_CQE,		/* a: user_data, b: res */
	TD_REC_TORN,		/* TD_RING: the ring is closed and unmapped */
	TD_REC_WAITED,		/* TD_RING: a: a child it reaped, b: its status */
	TD_REC_HUNG,		/* TD_RING: a child outlived WAIT_MS */
	TD_REC_ERROR,		/* a: which step, b: -errno */
};

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
	/*
	 * Whether the child may die of SIGSEGV: an EXEC of its chain failed
	 * past its point of no return and nothing ran after it. Else the step
	 * that ran after the last failed EXEC, or -1 if no EXEC failed.
	 */
	bool segv_ok;
	int segv_step;
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

	bool no_hazards;	/* -H */
	/* A directory of ours for the hazards, removed at exit. */
	char tmpdir[32];	/* /tmp/spawn_fuzz.XXXXXX */
	bool tmpfs;		/* a tmpfs we mounted on it */
	char fifo[48];		/* for teardown chains to block on */
	char suid[PATH_MAX];	/* the program, setuid to nobody */
	char wdir[48];		/* where the setuid chain creates its file */
	const char *suid_off;	/* why there is no setuid copy, or NULL */
	const char *td_off;	/* why there are no teardowns, or NULL */
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
	int n;			/* SQEs of the iteration, the cancel among them */
	int nb;			/* of them, the batch: the cancel comes after */
	struct fz_sqe cur[MAX_SQES + 1];
	struct history hist[HISTORY];

	/* This iteration's hazard. */
	enum hazard hz;
	const char *exec_path;	/* the valid EXEC target: cfg.child or cfg.suid */
	bool ponr_chain;	/* a valid EXEC hard-linked to more steps */
	int doomed;		/* that EXEC's index, if generated so, or -1 */
	int rlim;		/* index in hz_limits[], or -1 */
	rlim_t rlim_val;
	struct rlimit rlim_saved;
	bool rlim_set;
	int cancel_delay_us;	/* between the batch and the cancel */
	char victim[80];	/* HZ_SETUID_CASE: the file the OPENAT creates */
	struct td_plan td;

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
	/* The hazards, to show that a run met them. */
	long hz_rlimit[RL_NR];
	long hz_setuid;
	long hz_setuid_case;
	long hz_doomed;		/* EXECs under DOOMED_AS that failed late */
	long hz_ponr_chain;
	long hz_cancel;
	long hz_teardown[TD_NR];
	long ponr_segv;		/* children dead of a failed exec's SIGSEGV */
	long td_children;	/* of sub-submitters */
	long td_exit0;
	long td_killed;
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
		return ptr(scratch_str(F.exec_path));
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
	prep_exec(&F.cur[F.n - 1].sqe, AT_FDCWD, scratch_str(F.exec_path),
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

/* --- hazards ----------------------------------------------------------- */

struct hz_limit {
	int res;
	const char *name;
	rlim_t val[3];
	int nval;		/* 0: RLIMIT_NOFILE, 8..64 */
};

/*
 * Each value has one outcome for an exec of stress_child (static, some 800
 * KiB, half of it text, 45 KiB of data and bss): it fails past the point
 * of no return (RLIMIT_AS 64 or 256 KiB, RLIMIT_DATA one page), or the
 * program runs. A value in between could let the exec succeed and the
 * program die at start-up, which the oracle cannot tell from a step that
 * ran after a failed exec. RLIMIT_DATA 0 is not one: the kernel lets a
 * mapping through when only the soft limit is 0. RLIMIT_STACK stays
 * above what a large argv and the program's own stack need together.
 */
static const struct hz_limit hz_limits[RL_NR] = {
	[RL_AS] = { RLIMIT_AS, "RLIMIT_AS", { DOOMED_AS, 256 << 10, 64 << 20 }, 3 },
	[RL_DATA] = { RLIMIT_DATA, "RLIMIT_DATA", { 4096, 16 << 20 }, 2 },
	[RL_NOFILE] = { RLIMIT_NOFILE, "RLIMIT_NOFILE", { 0 }, 0 },
	[RL_STACK] = { RLIMIT_STACK, "RLIMIT_STACK", { 256 << 10, 1 << 20 }, 2 },
	[RL_FSIZE] = { RLIMIT_FSIZE, "RLIMIT_FSIZE", { 0, 1 }, 2 },
};

static void pick_rlimit(int which)
{
	const struct hz_limit *l;

	F.rlim = which >= 0 ? which : (int)rnd(RL_NR);
	l = &hz_limits[F.rlim];
	if (l->nval)
		F.rlim_val = l->val[rnd(l->nval)];
	else
		F.rlim_val = 8 + rnd(57);
}

/*
 * Which hazard, if any. A CLONE on an SQPOLL ring is refused before any
 * limit or program matters: those two are not tried there.
 */
static enum hazard pick_hazard(void)
{
	unsigned int p = rnd(100);
	bool clones = F.kind != RK_SQPOLL;

	if (p < 10)
		return clones ? HZ_RLIMIT : HZ_NONE;
	if (p < 18)
		return clones && !cfg.suid_off ? HZ_SETUID : HZ_NONE;
	if (p < 28)
		return HZ_CANCEL;
	if (p < 33)
		return cfg.td_off ? HZ_NONE : HZ_TEARDOWN;
	return HZ_NONE;
}

/* A step after an EXEC: what the chain goes on with if the EXEC fails. */
static void gen_after_exec(struct io_uring_sqe *sqe)
{
	switch (rnd(7)) {
	case 0:
	case 1:
		prep_openat(sqe, AT_FDCWD, scratch_str("/dev/null"),
			    O_RDONLY | O_CLOEXEC, 0);
		break;
	case 2:
		prep_dup(sqe, cfg.keep_fd, 64 + rnd(8), IORING_DUP_CLOEXEC);
		break;
	case 3:
		/* The EXEC before returns no fd: -EBADF. */
		prep_dup(sqe, 0, 64 + rnd(8),
			 IORING_DUP_FROM_PREV | IORING_DUP_MOVE);
		break;
	case 4:
		prep_exec(sqe, AT_FDCWD, scratch_str(cfg.child),
			  valid_vector(false), valid_vector(true), 0);
		break;
	case 5:
		prep_chdir(sqe, AT_FDCWD, scratch_str("/"));
		break;
	default:
		prep_nop(sqe);
		break;
	}
}

/*
 * CLONE, perhaps a step, a valid EXEC of @prog and, mostly hard-linked
 * after it, more steps: if the EXEC fails past its point of no return,
 * none of them may run.
 */
static void gen_ponr_chain(const char *prog)
{
	struct fz_sqe *c = &F.cur[0];
	int pre = rnd(2), i;

	F.n = 3 + pre + rnd(MAX_SQES - 2 - pre);
	prep_clone(&c->sqe, NULL, 0);
	if (chance(30)) {
		struct clone_args *ca = scratch(sizeof(*ca));

		c->pidfd_at = scratch(sizeof(int));
		if (ca && c->pidfd_at) {
			*c->pidfd_at = -1;
			ca->flags = CLONE_PIDFD;
			ca->pidfd = ptr(c->pidfd_at);
			ca->exit_signal = SIGCHLD;
			prep_clone(&c->sqe, ca, sizeof(*ca));
		} else {
			c->pidfd_at = NULL;
		}
	}
	c->sqe.flags = IOSQE_IO_LINK;
	for (i = 1; i <= pre; i++) {
		if (chance(50))
			prep_openat(&F.cur[i].sqe, AT_FDCWD, scratch_str("/dev/null"),
				    O_RDONLY | O_CLOEXEC, 0);
		else
			prep_chdir(&F.cur[i].sqe, AT_FDCWD, scratch_str("/"));
		F.cur[i].sqe.flags = IOSQE_IO_LINK;
	}
	prep_exec(&F.cur[i].sqe, AT_FDCWD, scratch_str(prog), valid_vector(false),
		  valid_vector(true), 0);
	F.cur[i].sqe.flags = chance(75) ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
	F.doomed = i;
	for (i++; i < F.n; i++) {
		gen_after_exec(&F.cur[i].sqe);
		if (i < F.n - 1)
			F.cur[i].sqe.flags = IOSQE_IO_HARDLINK;
	}
	F.ponr_chain = true;
}

/*
 * The review's hole: the setuid copy's exec fails past its point of no
 * return under a low RLIMIT_AS, with the new credentials committed, and
 * an OPENAT hard-linked after it would create a file as nobody.
 */
static void gen_setuid_case(void)
{
	snprintf(F.victim, sizeof(F.victim), "%s/f%llu", cfg.wdir,
		 (unsigned long long)F.iter);
	F.n = 4;
	prep_clone(&F.cur[0].sqe, NULL, 0);
	F.cur[0].sqe.flags = IOSQE_IO_LINK;
	prep_exec(&F.cur[1].sqe, AT_FDCWD, scratch_str(cfg.suid),
		  valid_vector(false), valid_vector(true), 0);
	F.cur[1].sqe.flags = IOSQE_IO_HARDLINK;
	prep_openat(&F.cur[2].sqe, AT_FDCWD, scratch_str(F.victim),
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	F.cur[2].sqe.flags = chance(50) ? IOSQE_IO_LINK : IOSQE_IO_HARDLINK;
	prep_exec(&F.cur[3].sqe, AT_FDCWD, scratch_str(cfg.child),
		  valid_vector(false), valid_vector(true), 0);
	F.doomed = 1;
	F.rlim = RL_AS;
	F.rlim_val = chance(70) ? DOOMED_AS : 256 << 10;
}

/*
 * An ASYNC_CANCEL, submitted after the batch: of one of its requests, of
 * an earlier iteration's, of everything, by fd or opcode, or with flags
 * the kernel refuses.
 */
static void gen_cancel(struct fz_sqe *fs)
{
	static const __u32 refused[] = {
		IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD,
		IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_OP,
		1U << 6, 1U << 31,
	};
	struct io_uring_sqe *sqe = &fs->sqe;
	unsigned int p = rnd(100);
	__u64 target = (F.iter << 8) | rnd(F.n);

	if (chance(10))
		target = ((F.iter - 1 - rnd(4)) << 8) | rnd(MAX_SQES);
	prep_cancel(sqe, target);
	if (p < 45) {
		sqe->cancel_flags = 0;
	} else if (p < 60) {
		sqe->cancel_flags = IORING_ASYNC_CANCEL_ALL;
	} else if (p < 75) {
		sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
	} else if (p < 80) {
		sqe->cancel_flags = IORING_ASYNC_CANCEL_USERDATA |
				    IORING_ASYNC_CANCEL_ALL;
	} else if (p < 85) {
		sqe->cancel_flags = IORING_ASYNC_CANCEL_OP |
				    (chance(50) ? IORING_ASYNC_CANCEL_ALL : 0);
		sqe->len = F.cur[rnd(F.n)].sqe.opcode;
	} else if (p < 90) {
		sqe->cancel_flags = IORING_ASYNC_CANCEL_FD |
				    (chance(50) ? IORING_ASYNC_CANCEL_ALL : 0);
		if (chance(20))
			sqe->cancel_flags |= IORING_ASYNC_CANCEL_FD_FIXED;
		sqe->fd = chance(70) ? cfg.keep_fd : gen_fd();
	} else if (p < 95) {
		sqe->cancel_flags = refused[rnd(ARRAY_SIZE(refused))];
	} else {
		sqe->cancel_flags = rng_next(&F.rng);
		sqe->off = maybe(50);
	}
	F.cancel_delay_us = chance(50) ? 0 : rnd(2000);
}

static void gen_teardown(void)
{
	static const int kinds[] = { RK_PLAIN, RK_DEFER, RK_COOP };
	struct td_plan *p = &F.td;

	memset(p, 0, sizeof(*p));
	p->mode = rnd(TD_NR);
	p->kind = kinds[rnd(ARRAY_SIZE(kinds))];
	p->chains = 1 + rnd(TD_CHAINS);
	p->close_copy = chance(40);
	p->block = chance(80);
	p->open_link = chance(50) ? IOSQE_IO_LINK : IOSQE_IO_HARDLINK;
	p->early = p->mode == TD_KILL && chance(30);
	p->delay_ms = rnd(21);
}

/* The iterations without a hazard: wild SQEs, or a mutated valid chain. */
static void gen_any(void)
{
	if (chance(50)) {
		gen_wild();
	} else {
		gen_template();
		mutate();
	}
}

/* Build this iteration's SQEs in F.cur. */
static void gen_iteration(void)
{
	int i, head = 0;

	F.mem.used = 0;
	F.mem.edges_used = 0;
	memset(F.cur, 0, sizeof(F.cur));
	F.n = 0;
	F.exec_path = cfg.child;
	F.ponr_chain = false;
	F.doomed = -1;
	F.rlim = -1;
	/* No draw with -H: the same SQEs per seed as before the hazards. */
	F.hz = cfg.no_hazards ? HZ_NONE : pick_hazard();
	switch (F.hz) {
	case HZ_TEARDOWN:
		gen_teardown();
		F.nb = 0;
		return;
	case HZ_RLIMIT:
		pick_rlimit(-1);
		if (chance(50))
			gen_ponr_chain(cfg.child);
		else
			gen_any();
		break;
	case HZ_SETUID:
		F.exec_path = cfg.suid;
		if (chance(40)) {
			F.hz = HZ_SETUID_CASE;
			gen_setuid_case();
			break;
		}
		if (chance(60))
			pick_rlimit(chance(50) ? RL_AS : -1);
		if (chance(50))
			gen_ponr_chain(cfg.suid);
		else
			gen_any();
		break;
	default:
		gen_any();
		break;
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
	F.nb = F.n;
	if (F.hz == HZ_CANCEL) {
		/* Its own submission: a link the batch left open ends before. */
		struct fz_sqe *fs = &F.cur[F.n];

		gen_cancel(fs);
		fs->sqe.user_data = (F.iter << 8) | F.n;
		fs->head = F.n;
		F.n++;
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
	case IORING_OP_ASYNC_CANCEL: return "ASYNC_CANCEL";
	}
	return "?";
}

static void dump_hazard(void)
{
	const struct td_plan *p = &F.td;

	switch (F.hz) {
	case HZ_NONE:
		return;
	case HZ_TEARDOWN:
		printf("#   teardown by %s%s, %d ms after the submission, on a %s ring:\n",
		       td_name[p->mode], p->early ? " (from the fork)" : "",
		       p->delay_ms, kind_name[p->kind]);
		printf("#   %d chain(s) CLONE, %sOPENAT(FIFO) %s, EXEC\n", p->chains,
		       p->close_copy ? "CLOSE_RANGE(ring fd), " : "",
		       !p->block ? "left out" :
		       p->open_link == IOSQE_IO_LINK ? "linked" : "hard-linked");
		return;
	case HZ_CANCEL:
		printf("#   hazard: an ASYNC_CANCEL (the last SQE), %d us after the batch\n",
		       F.cancel_delay_us);
		return;
	default:
		break;
	}
	printf("#   hazard: %s%s%s", F.hz == HZ_RLIMIT ? "rlimit" :
	       F.hz == HZ_SETUID ? "setuid target " : "setuid chain, file ",
	       F.hz == HZ_RLIMIT ? "" : F.hz == HZ_SETUID ? cfg.suid : F.victim,
	       F.ponr_chain ? ", hard links after the EXEC" : "");
	if (F.rlim >= 0)
		printf(", %s %llu", hz_limits[F.rlim].name,
		       (unsigned long long)F.rlim_val);
	printf("\n");
}

static void dump_iteration(void)
{
	int i;

	printf("#   iteration %llu on a %s ring (same SQEs: -s %llu -n 1 -k %d%s):\n",
	       (unsigned long long)F.iter, kind_name[F.kind],
	       (unsigned long long)F.iter_rng, F.kind,
	       cfg.no_hazards ? " -H" : "");
	dump_hazard();
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

/* Whether @fs is linked after a CLONE: a step of its chain if it made one. */
static bool in_spawn_chain(const struct fz_sqe *fs)
{
	const struct fz_sqe *head = &F.cur[fs->head];

	return head != fs && head->sqe.opcode == IORING_OP_CLONE;
}

/* Whether @res is something the spec allows for @fs's opcode. */
static bool res_allowed(const struct fz_sqe *fs, int res)
{
	/* Any request: cancelled, refused, its attributes failed, no memory. */
	static const int any[] = { ECANCELED, EINVAL, EOPNOTSUPP, EPERM, ENOMEM, 0 };
	/* EMFILE, ENFILE: no fd for the pidfd (a low RLIMIT_NOFILE). */
	static const int clone[] = {
		E2BIG, EFAULT, EAGAIN, EBADF, EBUSY, ENODEV, EACCES, ENOENT,
		ENOSPC, EMFILE, ENFILE, 0,
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
	/* io_uring/cancel.c; EBADF: IORING_ASYNC_CANCEL_FD of no file */
	static const int cancel[] = { ENOENT, EALREADY, EBADF, 0 };
	const struct io_uring_sqe *s = &fs->sqe;

	if (res < 0 && in_list(-res, any))
		return true;
	/*
	 * A request of ours that io-wq was running when the cancel came is
	 * interrupted. Not a chain's: io_uring cannot reach those.
	 */
	if (res == -EINTR && F.hz == HZ_CANCEL && !in_spawn_chain(fs))
		return true;
	switch (s->opcode) {
	case IORING_OP_CLONE:
		/* A hard link after it would run the chain in the submitter. */
		if (res > 0 && (s->flags & IOSQE_IO_HARDLINK))
			return false;
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
	case IORING_OP_ASYNC_CANCEL:
		/* A count only for ALL and ANY; else 0, found one. */
		if (res > 0)
			return s->cancel_flags & (IORING_ASYNC_CANCEL_ALL |
						  IORING_ASYNC_CANCEL_ANY);
		return res == 0 || in_list(-res, cancel);
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
	return fs->sqe.opcode == IORING_OP_OPENAT && !in_spawn_chain(fs);
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
 * and succeeded, or was cancelled by the failure of such a request: as in
 * any io_uring link, a failed request with the flag posts its CQE and the
 * requests its failure cancels post none. Other cancellations post
 * -ECANCELED.
 */
static void check_chains(void)
{
	int i, j;

	for (i = 0; i < F.n; i++) {
		struct fz_sqe *c = &F.cur[i];
		bool stopped = false, silent = false, execd = false;
		bool prev_fd = false;

		if (c->sqe.opcode != IORING_OP_CLONE || c->head != i ||
		    !c->seen)
			continue;
		c->segv_ok = false;
		c->segv_step = -1;
		for (j = i + 1; j < F.n && F.cur[j].head == i; j++) {
			struct fz_sqe *s = &F.cur[j];
			__u8 op = s->sqe.opcode;
			bool ok;

			/*
			 * For a death by SIGSEGV: the EXEC that failed last,
			 * and the first step that ran after it. A step that
			 * has no CQE succeeded with CQE_SKIP_SUCCESS or was
			 * cancelled silently: it cannot tell.
			 */
			if (s->seen && s->res != -ECANCELED) {
				if (op == IORING_OP_EXEC && s->res < 0) {
					c->segv_ok = true;
					c->segv_step = -1;
				} else if (c->segv_ok) {
					c->segv_ok = false;
					c->segv_step = j;
				}
			}

			if (c->res <= 0) {
				if (s->seen && s->res >= 0)
					failure("[%d] %s: %d, linked to a failed CLONE (%d)",
						j, op_name(op), s->res, c->res);
				continue;
			}
			if (stopped && silent) {
				if (s->seen)
					failure("[%d] %s: res %d after a failed SKIP, want none",
						j, op_name(op), s->res);
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
				silent = s->sqe.flags & IOSQE_CQE_SKIP_SUCCESS;
			}
			/* An fd from a skipped CQE: the number is unknown, but valid. */
			prev_fd = ok && returns_fd(op);
		}
		c->expect_exit = execd ? 0 : 127;
	}
}

/*
 * A child dead of SIGSEGV. An exec that fails past its point of no return
 * kills the child so, and the chain runs nothing after it, hard link or
 * not: the EXEC that failed last must be the last step that ran.
 */
static void check_segv(int i, const struct fz_sqe *fs)
{
	const struct fz_sqe *s;

	if (fs->segv_ok) {
		F.ponr_segv++;
		return;
	}
	if (fs->segv_step < 0) {
		failure("[%d] CLONE: child %d: SIGSEGV without a failed EXEC",
			i, fs->res);
		return;
	}
	s = &F.cur[fs->segv_step];
	failure("[%d] CLONE: child %d: SIGSEGV, but [%d] %s ran (%d) after a failed EXEC",
		i, fs->res, fs->segv_step, op_name(s->sqe.opcode), s->res);
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
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) {
			check_segv(i, fs);
			continue;
		}
		failure("[%d] CLONE: child %d %s %d, want exit %d", i, fs->res,
			WIFEXITED(st) ? "exited" : "died of signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			fs->expect_exit);
	}
}

/*
 * Under RLIMIT_AS 64 KiB every exec fails past its point of no return: the
 * new stack alone needs more ("setting up the new stack under a low
 * RLIMIT_AS", says the spec; the kselftest
 * exec_fails_past_point_of_no_return asserts it). The generated valid
 * EXEC, if it ran, failed so, and its child died of SIGSEGV; the rest of
 * the chain is check_segv()'s.
 */
static void check_doomed_exec(void)
{
	const struct fz_sqe *c = &F.cur[0], *x;
	int st = c->status;

	if (F.doomed < 0 || !F.rlim_set || F.rlim != RL_AS ||
	    F.rlim_val > DOOMED_AS || !c->reaped || c->killed)
		return;
	x = &F.cur[F.doomed];
	if (!x->seen || x->res == -ECANCELED)
		return;		/* a step before it stopped the chain */
	if (x->res < 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) {
		F.hz_doomed++;
		return;
	}
	failure("[%d] EXEC under RLIMIT_AS 64 KiB: %d, child %s %d; want an error, SIGSEGV",
		F.doomed, x->res, WIFEXITED(st) ? "exited" : "died of signal",
		WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/*
 * The setuid chain: CLONE, EXEC of the setuid copy hard-linked to an
 * OPENAT that creates F.victim, EXEC. Whatever the first exec did, no step
 * ran with the setuid program's credentials: the file exists only if the
 * OPENAT succeeded, and then it is ours (an exec that fails before its
 * point of no return lets the hard link go on, as root).
 */
static void check_setuid_case(void)
{
	const struct fz_sqe *o = &F.cur[2];
	struct stat st;
	bool exists = !lstat(F.victim, &st);

	if (exists && st.st_uid != geteuid())
		failure("[2] OPENAT: %s is uid %u's: a step ran as the setuid program",
			F.victim, st.st_uid);
	else if (exists && (!o->seen || o->res < 0))
		failure("[2] OPENAT: %s exists, but the OPENAT %s %d", F.victim,
			o->seen ? "completed with" : "posted no CQE,",
			o->seen ? o->res : 0);
	else if (!exists && o->seen && o->res >= 0)
		failure("[2] OPENAT: %d, but %s does not exist", o->res, F.victim);
	if (exists)
		unlink(F.victim);
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

static unsigned int kind_flags(int kind)
{
	switch (kind) {
	case RK_DEFER:
		return IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	case RK_COOP:
		return IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	case RK_SQPOLL:
		return IORING_SETUP_SQPOLL;
	}
	return 0;
}

static int ring_open(int kind)
{
	int ret;

	ret = ring_init(&F.ring, RING_ENTRIES, kind_flags(kind),
			kind == RK_SQPOLL ? 20 : 0);
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

/*
 * Lower this iteration's limit for its submission: the child is created
 * on our way back to user space from io_uring_enter() and keeps the limits
 * we have then. Until hz_restore() we only make system calls: nothing is
 * allocated, opened or written, and the stack is no deeper than it has
 * been long before (exec gave it 128 KiB), so it does not grow.
 */
static void hz_lower(void)
{
	struct rlimit rl;

	F.rlim_set = false;
	if (F.rlim < 0 || F.kind == RK_SQPOLL ||
	    getrlimit(hz_limits[F.rlim].res, &F.rlim_saved))
		return;
	rl = F.rlim_saved;
	if (F.rlim_val < rl.rlim_cur)
		rl.rlim_cur = F.rlim_val;
	F.rlim_set = !setrlimit(hz_limits[F.rlim].res, &rl);
}

static void hz_restore(void)
{
	if (F.rlim_set && setrlimit(hz_limits[F.rlim].res, &F.rlim_saved))
		failure("restoring %s: %s", hz_limits[F.rlim].name,
			strerror(errno));
}

/* Copy F.cur[from..to) into the SQ ring; -1 if there is no room. */
static int queue_sqes(int from, int to)
{
	int i;

	for (i = from; i < to; i++) {
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
			return -1;
		}
		*sqe = F.cur[i].sqe;
	}
	return 0;
}

/* --- teardown of a ring and of its submitter ----------------------------- */

/*
 * The signals a crash of ours raises: handled (see setup()), never blocked,
 * never an exit signal of a child.
 */
static const int crash_signals[] = {
	SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS,
};

/* The steps of a teardown chain: CLONE, [CLOSE_RANGE], [OPENAT], EXEC. */
static int td_open_step(const struct td_plan *p)
{
	return p->block ? 1 + p->close_copy : -1;
}

static int td_exec_step(const struct td_plan *p)
{
	return 1 + p->close_copy + p->block;
}

/* In the sub-submitter: one record for the fuzzer, or give up. */
static void td_report(int fd, int type, int a, int b)
{
	struct td_rec r = { type, a, b };

	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(7);
}

/* In the sub-submitter: pass on the CQEs that come until @deadline. */
static void td_pass_cqes(struct spawn_ring *r, int fd, long long deadline)
{
	struct spawn_cqe cqes[8];
	int n, i;

	do {
		long long left = deadline - ring_now_ms();

		n = ring_wait_cqes(r, cqes, 1, left > 0 ? left : 0);
		if (n < 0)
			return;
		n += ring_reap(r, cqes + n, 8 - n);
		for (i = 0; i < n; i++)
			td_report(fd, TD_REC_CQE, cqes[i].user_data, cqes[i].res);
	} while (ring_now_ms() < deadline);
}

/*
 * TD_RING: the sub-submitter lives on, so its children stay its own: it
 * reaps them and tells us how they ended. Returns its exit status.
 */
static int td_sub_reap(int fd)
{
	long long deadline = ring_now_ms() + WAIT_MS;
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG | __WALL);
		if (pid > 0) {
			td_report(fd, TD_REC_WAITED, pid, status);
			continue;
		}
		if (pid < 0 && errno == ECHILD)
			return 0;
		if (ring_now_ms() > deadline) {
			td_report(fd, TD_REC_HUNG, 0, 0);
			return 4;
		}
		usleep(1000);
	}
}

/*
 * The sub-submitter, a fork of ours: it spawns the chains of @p from a
 * ring of its own, passes on the CQEs it sees, and after the delay tears
 * down the ring or itself. It talks to us only through @fd. Returns the
 * status for _exit(): our stdio and exit handlers are not its own.
 */
static int td_sub(const struct td_plan *p, int fd)
{
	/* Read by the children when their EXEC runs: never on a stack. */
	static char *const argv[] = { cfg.child, cfg.guard_arg, NULL };
	static char *const envp[] = { cfg.guard_env, NULL };
	static char *const exec_argv[] = { cfg.child, NULL };
	static char *const exec_envp[] = { NULL };
	struct io_uring_sqe *sqe;
	struct spawn_ring r;
	long long deadline;
	int k, ret, want = 0;
	unsigned int i;

	/* A crash here is a death by that signal, which the fuzzer sees. */
	for (i = 0; i < ARRAY_SIZE(crash_signals); i++)
		signal(crash_signals[i], SIG_DFL);
	ret = ring_init(&r, RING_ENTRIES, kind_flags(p->kind), 0);
	if (ret) {
		td_report(fd, TD_REC_ERROR, 1, ret);
		return 2;
	}
	for (k = 0; k < p->chains; k++) {
		int step = 0;

		sqe = ring_get_sqe(&r);
		prep_clone(sqe, NULL, 0);
		sqe->flags = IOSQE_IO_LINK;
		sqe->user_data = TD_UD(k, step++);
		if (p->close_copy) {
			sqe = ring_get_sqe(&r);
			prep_close_range(sqe, r.fd, r.fd, 0);
			sqe->flags = IOSQE_IO_LINK;
			sqe->user_data = TD_UD(k, step++);
		}
		if (p->block) {
			sqe = ring_get_sqe(&r);
			prep_openat(sqe, AT_FDCWD, cfg.fifo, O_RDONLY | O_CLOEXEC, 0);
			sqe->flags = p->open_link;
			sqe->user_data = TD_UD(k, step++);
		}
		sqe = ring_get_sqe(&r);
		prep_exec(sqe, AT_FDCWD, cfg.child, argv, envp, 0);
		sqe->user_data = TD_UD(k, step++);
		want += step;
	}
	ret = ring_submit(&r);
	td_report(fd, TD_REC_SUBMITTED, ret, want);
	if (ret != want)
		return 6;
	deadline = ring_now_ms() + (p->mode == TD_KILL ? 3 * WAIT_MS : p->delay_ms);
	td_pass_cqes(&r, fd, deadline);

	switch (p->mode) {
	case TD_RING:
		/* Unmapped too: the mappings hold the ring's file as an fd does. */
		ring_exit(&r);
		td_report(fd, TD_REC_TORN, 0, 0);
		return td_sub_reap(fd);
	case TD_EXEC:
		execve(cfg.child, exec_argv, exec_envp);
		td_report(fd, TD_REC_ERROR, 3, -errno);
		return 5;
	case TD_EXIT:
		return 0;
	}
	return 3;	/* TD_KILL: we should be dead long since */
}

/* What the fuzzer knows of a sub-submitter and of the children of its chains. */
struct td_state {
	pid_t sub;
	int pipe;		/* the read end of its reports */
	int fifo_fd;		/* ours, once we have opened the FIFO */
	bool unblocked;
	bool submitted, torn, killed;
	long long t_fork, t_sub;
	pid_t pid[TD_CHAINS];	/* from the CLONEs' CQEs, 0 until seen */
	bool execd[TD_CHAINS];	/* its EXEC was seen to succeed */
	bool ended[TD_CHAINS];
	bool swept;		/* we had to kill what was left */
};

/*
 * How a chain's child may end, per "Teardown" in the spec. Exit 0 once it
 * has exec'd: "A child whose EXEC has replaced its image is never killed
 * this way". Else:
 *  - TD_EXEC: "If the submitter execs, its exec cancels its requests, and
 *    so the chains it submitted that are still running": SIGKILL, as the
 *    chain waits on the FIFO, which we open only once the sub-submitter
 *    has ended; without the FIFO the EXEC may come first;
 *  - TD_RING: "closing the ring in the submitter alone does not end a
 *    running chain": exit 0, unless the chain closed its own copy of the
 *    ring fd, when the ring's teardown kills it. That teardown runs from
 *    a workqueue after the close: the child may open the FIFO and exec
 *    first;
 *  - TD_EXIT, TD_KILL: "If the submitter exits, its chains run on": exit
 *    0. A chain that closed its copy of the ring fd may be the last
 *    holder of the ring's mappings (its memory is the sub-submitter's
 *    until it execs), or not: either.
 */
static void td_expect(const struct td_plan *p, bool execd, bool *exit0,
		      bool *killed)
{
	*exit0 = true;
	*killed = false;
	if (execd)
		return;
	switch (p->mode) {
	case TD_EXEC:
		*killed = true;
		*exit0 = !p->block;
		break;
	default:
		*killed = p->close_copy;
		break;
	}
}

static void td_child_ended(struct td_state *t, pid_t pid, int st)
{
	const struct td_plan *p = &F.td;
	bool execd = false, exit0, killed;
	int k;

	F.td_children++;
	for (k = 0; k < p->chains; k++)
		if (t->pid[k] == pid)
			break;
	if (k < p->chains) {
		execd = t->execd[k];
		t->ended[k] = true;
	} else {
		/* Its CLONE's CQE was not passed on: any such chain's. */
		for (k = 0; k < p->chains; k++)
			execd |= !t->pid[k] && t->execd[k];
	}
	td_expect(p, execd, &exit0, &killed);
	if (exit0 && WIFEXITED(st) && !WEXITSTATUS(st)) {
		F.td_exit0++;
		return;
	}
	if (killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
		F.td_killed++;
		return;
	}
	if (t->swept)
		return;		/* killed by us, and reported */
	failure("teardown by %s: child %d %s %d, want %s", td_name[p->mode],
		pid, WIFEXITED(st) ? "exited" : "died of signal",
		WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
		exit0 && killed ? "exit 0 or SIGKILL" :
		exit0 ? "exit 0" : "SIGKILL");
}

static void td_record(struct td_state *t, const struct td_rec *r)
{
	const struct td_plan *p = &F.td;
	int k = r->a >> 4, step = r->a & 15;

	switch (r->type) {
	case TD_REC_SUBMITTED:
		t->submitted = true;
		t->t_sub = ring_now_ms();
		if (r->a != r->b)
			failure("teardown: io_uring_enter() took %d SQEs of %d",
				r->a, r->b);
		return;
	case TD_REC_CQE:
		if (k >= p->chains || step > td_exec_step(p))
			break;
		if (!step) {
			if (r->b > 0)
				t->pid[k] = r->b;
			else if (r->b != -EAGAIN && r->b != -ENOMEM)
				failure("teardown: chain %d: CLONE %d", k, r->b);
		} else if (step == td_exec_step(p)) {
			t->execd[k] |= !r->b;
		} else if (step == td_open_step(p) && r->b >= 0) {
			failure("teardown: chain %d: OPENAT of the FIFO %d before we opened it",
				k, r->b);
		}
		return;
	case TD_REC_TORN:
		t->torn = true;
		return;
	case TD_REC_WAITED:
		td_child_ended(t, r->a, r->b);
		return;
	case TD_REC_HUNG:
		failure("teardown by ring: a child still ran %d ms after the ring was closed",
			WAIT_MS);
		return;
	case TD_REC_ERROR:
		failure("teardown: the sub-submitter failed at step %d: %s", r->a,
			strerror(-r->b));
		return;
	}
	failure("teardown: record %d (%#x, %d) from the sub-submitter",
		r->type, r->a, r->b);
}

static void td_read(struct td_state *t)
{
	struct td_rec recs[32];
	ssize_t n;
	int i;

	/* Each record is one write, shorter than PIPE_BUF: never split. */
	while ((n = read(t->pipe, recs, sizeof(recs))) > 0)
		for (i = 0; i < n / (ssize_t)sizeof(recs[0]); i++)
			td_record(t, &recs[i]);
}

/* Let chains blocked on the FIFO go on: their open waits for a writer. */
static void td_unblock(struct td_state *t)
{
	if (t->unblocked)
		return;
	t->unblocked = true;
	t->fifo_fd = open(cfg.fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fifo_fd < 0)
		failure("teardown: opening %s: %s", cfg.fifo, strerror(errno));
}

/* Where a task that should have ended waits. */
static void td_dump_task(pid_t pid)
{
	static const char *const what[] = { "wchan", "stack" };
	char path[64], buf[2048];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(what); i++) {
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/%s", pid, what[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			printf("#   pid %d %s: %s%s", pid, what[i], buf,
			       buf[n - 1] == '\n' ? "" : "\n");
		}
	}
}

/*
 * Wait for the sub-submitter to end, killing it when its plan says so,
 * and open the FIFO once its ring or itself is gone. Returns its status,
 * or -1 if it could not be reaped.
 */
static int td_wait_sub(struct td_state *t)
{
	const struct td_plan *p = &F.td;
	/* Its delay, then (TD_RING) WAIT_MS for its children at most. */
	long long deadline = t->t_fork + p->delay_ms + 2 * WAIT_MS;
	bool late = false;
	int status;

	for (;;) {
		struct pollfd pfd = { .fd = t->pipe, .events = POLLIN };
		long long now = ring_now_ms();

		td_read(t);
		if (p->mode == TD_KILL && !t->killed &&
		    (p->early ? now >= t->t_fork + p->delay_ms :
		     t->submitted && now >= t->t_sub + p->delay_ms)) {
			kill(t->sub, SIGKILL);
			t->killed = true;
		}
		if (t->torn)
			td_unblock(t);
		if (waitpid(t->sub, &status, WNOHANG | __WALL) == t->sub)
			return status;
		if (now > deadline) {
			if (late) {
				failure("teardown: sub-submitter %d survives SIGKILL",
					t->sub);
				return -1;
			}
			failure("teardown by %s: sub-submitter %d still runs after %lld ms",
				td_name[p->mode], t->sub, now - t->t_fork);
			td_dump_task(t->sub);
			kill(t->sub, SIGKILL);
			late = true;
			deadline = now + WAIT_MS;
		}
		poll(&pfd, 1, 1);
	}
}

/*
 * Children of the sub-submitter that are ours now and that we do not know
 * of (it did not live to pass on their CLONE's CQE): reap them all.
 */
static void td_sweep(struct td_state *t)
{
	long long deadline = ring_now_ms() + WAIT_MS;
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG | __WALL);
		if (pid > 0) {
			td_child_ended(t, pid, status);
			continue;
		}
		if (pid < 0 && errno != EINTR)
			return;		/* ECHILD: none left */
		if (ring_now_ms() > deadline) {
			if (t->swept)
				return;	/* check_no_other_child() goes on */
			failure("teardown by %s: children run on %d ms after the FIFO was opened",
				td_name[F.td.mode], WAIT_MS);
			spawn_walk_children(td_dump_task);
			spawn_walk_children(spawn_kill_pid);
			t->swept = true;
			deadline = ring_now_ms() + WAIT_MS;
		}
		usleep(1000);
	}
}

/*
 * A teardown iteration: a sub-submitter spawns chains that block, then
 * its ring or itself goes away under them. Every child must end as the
 * spec says, nothing may hang or be left, and our fds are as they were.
 */
static void teardown_one(void)
{
	const struct td_plan *p = &F.td;
	int fds = spawn_count_fds(), pipefd[2], status, k;
	struct td_state t;

	memset(&t, 0, sizeof(t));
	t.fifo_fd = -1;
	F.hz_teardown[p->mode]++;
	if (pipe2(pipefd, O_CLOEXEC)) {
		failure("teardown: pipe2: %s", strerror(errno));
		return;
	}
	t.t_fork = ring_now_ms();
	t.sub = fork();
	if (!t.sub) {
		close(pipefd[0]);
		_exit(td_sub(p, pipefd[1]));
	}
	close(pipefd[1]);
	t.pipe = pipefd[0];
	if (t.sub < 0) {
		failure("teardown: fork: %s", strerror(errno));
		close(t.pipe);
		return;
	}
	/* Its children keep its end open until they exec: no EOF to wait for. */
	fcntl(t.pipe, F_SETFL, O_NONBLOCK);

	status = td_wait_sub(&t);
	td_read(&t);
	td_unblock(&t);
	if (status != -1 &&
	    (p->mode == TD_KILL ? !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL :
	     !WIFEXITED(status) || WEXITSTATUS(status)))
		failure("teardown by %s: sub-submitter %s %d", td_name[p->mode],
			WIFEXITED(status) ? "exited" : "died of signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));

	/* Reparented to us, the subreaper, unless it reaped them (TD_RING). */
	for (k = 0; k < p->chains; k++) {
		bool killed;

		if (!t.pid[k] || t.ended[k])
			continue;
		if (reap(t.pid[k], &status, &killed)) {
			failure("teardown by %s: child %d: %s", td_name[p->mode],
				t.pid[k], errno == ECHILD ? "not reparented to us" :
				"does not exit even after SIGKILL");
			continue;
		}
		if (killed) {
			failure("teardown by %s: child %d ran on %d ms after the FIFO was opened",
				td_name[p->mode], t.pid[k], WAIT_MS);
			t.ended[k] = true;
			continue;
		}
		td_child_ended(&t, t.pid[k], status);
	}
	td_sweep(&t);

	if (t.fifo_fd >= 0)
		close(t.fifo_fd);
	close(t.pipe);
	if (spawn_count_fds() != fds && settled_fd_count(fds) != fds)
		failure("teardown: %d fds open, %d before", spawn_count_fds(),
			fds);
}

/* One iteration: returns 0, or -1 when the run cannot go on. */
static int fuzz_one(void)
{
	long long deadline;
	int ret;

	F.iter++;
	F.bad_iter = false;
	F.iter_rng = F.rng.s;
	F.rlim_set = false;
	gen_iteration();
	if (cfg.verbose) {
		printf("# iteration %llu\n", (unsigned long long)F.iter);
		dump_iteration();
	}
	if (F.hz == HZ_TEARDOWN) {
		teardown_one();
		goto done;
	}

	if (queue_sqes(0, F.nb))
		return recover();
	F.sqes += F.n;
	hz_lower();
	ret = submit_all();
	hz_restore();
	if (ret) {
		failure("submitting: %s", strerror(-ret));
		return recover();
	}
	if (F.rlim_set)
		F.hz_rlimit[F.rlim]++;
	F.hz_setuid += F.hz == HZ_SETUID || F.hz == HZ_SETUID_CASE;
	F.hz_setuid_case += F.hz == HZ_SETUID_CASE;
	F.hz_ponr_chain += F.ponr_chain;
	if (F.nb < F.n) {
		/* The cancel, while the batch's requests run (or are done). */
		if (F.cancel_delay_us)
			usleep(F.cancel_delay_us);
		if (queue_sqes(F.nb, F.n))
			return recover();
		ret = submit_all();
		if (ret) {
			failure("submitting the cancel: %s", strerror(-ret));
			return recover();
		}
		F.hz_cancel++;
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
	check_doomed_exec();
	if (F.hz == HZ_SETUID_CASE)
		check_setuid_case();
	close_our_fds();
done:
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

/* A copy of @from at @to, owned by nobody and setuid: 0 or -errno. */
static int copy_setuid(const char *from, const char *to)
{
	char buf[65536];
	int in, out, ret = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			break;
	/* chown() clears the setuid bit: chmod() after it. */
	if (n || fchown(out, NOBODY, -1) || fchmod(out, 04755))
		ret = errno ? -errno : -EIO;
	/* Closed before any exec: an open writer is -ETXTBSY. */
	if (close(out) && !ret)
		ret = -errno;
	close(in);
	return ret;
}

static void cleanup_hazards(void)
{
	DIR *d = cfg.wdir[0] ? opendir(cfg.wdir) : NULL;
	struct dirent *e;

	/* A file the setuid chain created that we did not get to remove. */
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	if (cfg.wdir[0])
		rmdir(cfg.wdir);
	if (cfg.suid[0])
		unlink(cfg.suid);
	if (cfg.fifo[0])
		unlink(cfg.fifo);
	if (cfg.tmpfs)
		umount2(cfg.tmpdir, MNT_DETACH);
	rmdir(cfg.tmpdir);
}

/*
 * What the hazards need. We become a child subreaper: the children of a
 * sub-submitter that dies come to us. A directory of ours holds the FIFO
 * that teardown chains block on and, as root, the copy of the program that
 * is setuid to nobody, on a filesystem that honours setuid bits (a tmpfs
 * of ours if /tmp does not), and a directory anyone may write to, where
 * the setuid chain's OPENAT creates its file: a step that ran as nobody
 * would leave a file of nobody's, not fail. What is missing turns its
 * hazard off, and the summary says why.
 */
static void setup_hazards(void)
{
	struct statvfs sv;
	struct rlimit rl;
	bool killed;
	int status;
	pid_t pid;

	/* The SIGSEGV of an exec that fails late dumps no core. */
	if (!getrlimit(RLIMIT_CORE, &rl)) {
		rl.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &rl);
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		cfg.td_off = "we cannot be a child subreaper";
	snprintf(cfg.tmpdir, sizeof(cfg.tmpdir), "/tmp/spawn_fuzz.XXXXXX");
	if (!mkdtemp(cfg.tmpdir)) {
		cfg.tmpdir[0] = '\0';
		cfg.suid_off = "no directory of ours in /tmp";
		cfg.td_off = cfg.suid_off;
		return;
	}
	atexit(cleanup_hazards);
	if (geteuid()) {
		cfg.suid_off = "not root";
	} else if (statvfs(cfg.tmpdir, &sv)) {
		cfg.suid_off = "statvfs of /tmp failed";
	} else if (sv.f_flag & (ST_NOSUID | ST_NOEXEC)) {
		if (mount("tmpfs", cfg.tmpdir, "tmpfs", 0, "mode=0755"))
			cfg.suid_off = "/tmp is nosuid or noexec, and mounting a tmpfs failed";
		else
			cfg.tmpfs = true;
	}
	/* mkdtemp() makes it 0700: nobody must reach the directory within. */
	chmod(cfg.tmpdir, 0755);

	snprintf(cfg.fifo, sizeof(cfg.fifo), "%s/fifo", cfg.tmpdir);
	if (mkfifo(cfg.fifo, 0600)) {
		cfg.fifo[0] = '\0';
		if (!cfg.td_off)
			cfg.td_off = "mkfifo failed";
	}
	if (cfg.suid_off)
		return;
	snprintf(cfg.wdir, sizeof(cfg.wdir), "%s/w", cfg.tmpdir);
	if (mkdir(cfg.wdir, 0777) || chmod(cfg.wdir, 0777)) {
		cfg.wdir[0] = '\0';
		cfg.suid_off = "mkdir failed";
		return;
	}
	snprintf(cfg.suid, sizeof(cfg.suid), "%s/setuid-%s", cfg.tmpdir,
		 cfg.child_name);
	if (copy_setuid(cfg.child, cfg.suid)) {
		unlink(cfg.suid);
		cfg.suid[0] = '\0';
		cfg.suid_off = "copying the program setuid to nobody failed";
		return;
	}
	/* As nobody it must still exit 0, guard or no guard. */
	pid = fork();
	if (!pid) {
		char *const argv[] = { cfg.suid, cfg.guard_arg, NULL };
		char *const envp[] = { cfg.guard_env, NULL };

		execve(cfg.suid, argv, envp);
		_exit(126);
	}
	if (pid < 0 || reap(pid, &status, &killed) || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		cfg.suid_off = "the setuid copy does not run, or exits non-zero";
}

static const char *setup(const char *child_opt, char *why, size_t size)
{
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
	for (i = 0; i < ARRAY_SIZE(crash_signals); i++)
		sigdelset(&mask, crash_signals[i]);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < ARRAY_SIZE(crash_signals); i++)
		sigaction(crash_signals[i], &sa, NULL);

	if (mem_init(&F.mem)) {
		snprintf(why, size, "mmap: %s", strerror(errno));
		return why;
	}
	if (!cfg.no_hazards)
		setup_hazards();
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

/* That the run met every hazard, and how often. */
static void print_hazards(void)
{
	long rlimits = 0;
	unsigned int i;

	if (cfg.no_hazards) {
		printf("# hazards: off (-H)\n");
		return;
	}
	for (i = 0; i < RL_NR; i++)
		rlimits += F.hz_rlimit[i];
	/* One line, for a log to grep. */
	printf("# hazards: rlimit=%ld setuid=%ld setuid_chain=%ld ponr_chain=%ld",
	       rlimits, F.hz_setuid, F.hz_setuid_case, F.hz_ponr_chain);
	printf(" cancel=%ld teardown_ring=%ld teardown_exec=%ld", F.hz_cancel,
	       F.hz_teardown[TD_RING], F.hz_teardown[TD_EXEC]);
	printf(" teardown_exit=%ld teardown_kill=%ld ponr_segv=%ld\n",
	       F.hz_teardown[TD_EXIT], F.hz_teardown[TD_KILL], F.ponr_segv);
	printf("# rlimits:");
	for (i = 0; i < RL_NR; i++)
		printf(" %s=%ld", hz_limits[i].name + 7, F.hz_rlimit[i]);
	printf("; EXECs under RLIMIT_AS 64 KiB that failed late: %ld\n",
	       F.hz_doomed);
	printf("# teardown children: %ld (exit 0: %ld, SIGKILL: %ld)\n",
	       F.td_children, F.td_exit0, F.td_killed);
	if (cfg.suid_off)
		printf("# setuid hazard off: %s\n", cfg.suid_off);
	if (cfg.td_off)
		printf("# teardown hazard off: %s\n", cfg.td_off);
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n iterations] [-s seed] [-T seconds] [-q] [-v] [-F] [-H]\n"
		"       [-k kind] [-c program]\n"
		"  -n  iterations (default 20000)\n"
		"  -s  random seed (default: from the time)\n"
		"  -T  stop after this many seconds, 0 for no limit (default 0)\n"
		"  -q  quiet: no progress lines\n"
		"  -v  print every iteration's SQEs\n"
		"  -F  count our fds after every iteration (not every 500)\n"
		"  -H  no hazards: no lowered limits, setuid program, cancel or teardown\n"
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
	while ((opt = getopt(argc, argv, "n:s:T:qvFHk:c:h")) != -1) {
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
		case 'H':
			cfg.no_hazards = true;
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
	printf("# spawn_fuzz: -n %ld -s %llu -T %d%s, exec %s\n", cfg.iterations,
	       (unsigned long long)cfg.seed, cfg.time_limit,
	       cfg.no_hazards ? " -H" : "", cfg.child);
	if (!cfg.no_hazards)
		printf("# hazards: setuid copy %s, teardown %s\n",
		       cfg.suid_off ?: cfg.suid, cfg.td_off ?: "on");

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
	print_hazards();
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
