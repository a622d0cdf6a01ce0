// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection on the spawn path (CONFIG_FAULT_INJECTION, FAILSLAB,
 * FAIL_PAGE_ALLOC, FAULT_INJECTION_DEBUG_FS; the debug config has them).
 *
 * submitter_fail_nth: fail the 1st, 2nd, ... allocation of the submitting
 * task while it submits a full chain (CLONE with clone_args and attributes,
 * OPENAT, DUP, CHDIR, EXEC), until a submission goes through without
 * reaching the armed allocation: that covers every allocation made on the
 * submitter's side, in order.
 *
 * child_failslab, child_fail_page_alloc: the child's side. A chain blocks
 * on a FIFO; the test marks the child make-it-fail and lets it go on, with
 * failslab or fail_page_alloc failing its allocations at random (fixed
 * seed-free probability, task-filtered to that child only).
 *
 * Every case must end with each CQE carrying a result or a clean errno, the
 * child reaped with a status that fits its CQEs, and nothing left: no child,
 * no fd. The kernel log (KASAN, kmemleak, lockdep) is checked by the
 * harness after the run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn_proc.h"
#include "spawn_ring.h"

/*
 * The 6.12 harness's TEST() wrapper has an unused parameter, and its
 * setjmp()/fork() makes gcc warn of clobbers that cannot happen.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#ifndef __WALL
#define __WALL 0x40000000
#endif

#define WAIT_MS		30000
#define NR_STEPS	5	/* CLONE, OPENAT, DUP, CHDIR, EXEC */
#define MAX_NTH		20000
#define CHILD_ROUNDS	40

static char *child_envp[] = { "SPAWN_FAULT=1", NULL };

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	close(fd);
	return ret;
}

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return LONG_MIN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : LONG_MIN;
}

/*
 * Errnos a step may end with when an allocation fails somewhere; @exec
 * for the EXEC, which has three more ways to say it: copy_strings() turns
 * a failed argument page into -E2BIG, a short read of the headers is
 * -ENOEXEC to the binfmt search and -EIO to the ELF loader.
 */
static bool clean_errno(int res, bool exec)
{
	if (exec && (res == -E2BIG || res == -ENOEXEC || res == -EIO))
		return true;
	switch (-res) {
	case ENOMEM:
	case EAGAIN:
	case ECANCELED:
	case EINTR:
	case EBADF:	/* a DUP after a failed, hence fd-less, OPENAT */
	case EINVAL:	/* pieces of a link broken up by a failed allocation */
	case ENOENT:	/* a path lookup that could not allocate */
	case EFAULT:	/* exec: copying argv/envp failed */
		return true;
	}
	return false;
}

struct spawn_case {
	char child[PATH_MAX];
	const char *cwd;
	char *argv[3];
	struct clone_args ca;
	struct io_uring_spawn_attr attr;
	int pidfd;
};

static void case_init(struct spawn_case *sc)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	snprintf(sc->child, sizeof(sc->child), "%s/spawn_child", dirname(exe));
	sc->argv[0] = sc->child;
	sc->argv[1] = "-";
	sc->argv[2] = NULL;
	sc->cwd = "/";
}

/*
 * Copy spawn_child to tmpfs and use that copy, from a tmpfs cwd. A child
 * whose allocations fail at random must keep away from the guest's 9p root
 * filesystem: a failed allocation inside the 9p client can leave its
 * channel unusable for everybody, which is 9p's problem, not the spawn's.
 */
static int case_on_tmpfs(struct spawn_case *sc, const char *path)
{
	char buf[65536];
	int in, out, ret = -1;
	ssize_t n;

	in = open(sc->child, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				break;
		ret = n == 0 ? 0 : -1;
		if (close(out))
			ret = -1;
	}
	close(in);
	if (!ret) {
		snprintf(sc->child, sizeof(sc->child), "%s", path);
		sc->cwd = "/tmp";
	}
	return ret;
}

/*
 * Queue CLONE -> [OPENAT @block] -> OPENAT /dev/null -> DUP onto 9 ->
 * CHDIR / -> EXEC, user_data 1..n; returns n.
 */
static int queue_chain(struct spawn_ring *r, struct spawn_case *sc,
		       const char *block)
{
	struct io_uring_sqe *sqe;
	int ud = 0;

	memset(&sc->ca, 0, sizeof(sc->ca));
	sc->pidfd = -1;
	sc->ca.flags = CLONE_PIDFD;
	sc->ca.pidfd = (__u64)(unsigned long)&sc->pidfd;
	sc->ca.exit_signal = SIGCHLD;
	memset(&sc->attr, 0, sizeof(sc->attr));
	sc->attr.flags = IORING_SPAWN_SETPGROUP | IORING_SPAWN_SETSIGMASK;
	spawn_sigset_add(sc->attr.sigmask, SIGUSR1);

	sqe = ring_get_sqe(r);
	prep_clone(sqe, &sc->ca, sizeof(sc->ca));
	prep_clone_attr(sqe, &sc->attr);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = ++ud;
	if (block) {
		sqe = ring_get_sqe(r);
		prep_openat(sqe, AT_FDCWD, block, O_RDONLY, 0);
		sqe->flags = IOSQE_IO_LINK;
		sqe->user_data = ++ud;
	}
	sqe = ring_get_sqe(r);
	prep_openat(sqe, AT_FDCWD, "/dev/null", O_RDONLY, 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = ++ud;
	sqe = ring_get_sqe(r);
	prep_dup(sqe, 0, 9, IORING_DUP_FROM_PREV | IORING_DUP_MOVE);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = ++ud;
	sqe = ring_get_sqe(r);
	prep_chdir(sqe, AT_FDCWD, sc->cwd);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = ++ud;
	sqe = ring_get_sqe(r);
	prep_exec(sqe, AT_FDCWD, sc->child, sc->argv, child_envp, 0);
	sqe->user_data = ++ud;
	return ud;
}

/* Submit everything queued, going on after a failed allocation. */
static int submit_all(struct spawn_ring *r, int n)
{
	int done = ring_submit(r), tries = 0;

	if (done < 0)
		done = 0;
	while (done < n && tries++ < 100) {
		int ret = sys_io_uring_enter(r->fd, n - done, 0, 0, NULL, 0);

		if (ret > 0)
			done += ret;
		else if (ret < 0 && errno != EAGAIN && errno != ENOMEM &&
			 errno != EINTR)
			return -errno;
	}
	return done == n ? 0 : -EAGAIN;
}

/* A death by signal that a failed allocation can cause in a process. */
static bool fault_signal(int status)
{
	return WIFSIGNALED(status) &&
	       (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS ||
		WTERMSIG(status) == SIGKILL);
}

/*
 * Check the completions of a chain of @n steps and reap its child;
 * @clone_res is the CLONE's result if its CQE was already read, else 0.
 * The OPENAT of a link that a failed allocation broke up may have run on
 * its own, in our own table: close what it opened. Returns 0, or a line
 * number to report with @why.
 */
static int finish_chain(struct spawn_ring *r, struct spawn_case *sc, int n,
			int clone_res, char *why, size_t size)
{
	struct spawn_cqe cqes[NR_STEPS + 1];
	int res[NR_STEPS + 2], i, got, want, status;
	pid_t pid;

	want = clone_res ? n - 1 : n;
	res[1] = clone_res;
	got = ring_wait_cqes(r, cqes, want, WAIT_MS);
	if (got != want) {
		snprintf(why, size, "%d of %d completions", got, want);
		return __LINE__;
	}
	for (i = 0; i < want; i++) {
		res[cqes[i].user_data] = cqes[i].res;
		if (cqes[i].res < 0 &&
		    !clean_errno(cqes[i].res, cqes[i].user_data == (__u64)n)) {
			snprintf(why, size, "step %llu: %s",
				 (unsigned long long)cqes[i].user_data,
				 strerror(-cqes[i].res));
			return __LINE__;
		}
	}
	pid = res[1];
	if (pid <= 0) {
		if (res[n - 3] >= 0)	/* the /dev/null OPENAT ran alone */
			close(res[n - 3]);
		if (sc->pidfd >= 0) {
			snprintf(why, size, "a pidfd without a child");
			return __LINE__;
		}
		return 0;
	}
	if (sc->pidfd < 0) {
		snprintf(why, size, "a child without its pidfd");
		return __LINE__;
	}
	close(sc->pidfd);
	if (waitpid(pid, &status, __WALL) != pid) {
		snprintf(why, size, "waitpid: %s", strerror(errno));
		return __LINE__;
	}
	if (res[n] == 0) {
		/* exec'd: the program ran (it may fault in turn, if marked) */
		if (!(WIFEXITED(status) && !WEXITSTATUS(status)) &&
		    !fault_signal(status)) {
			snprintf(why, size, "exec'd, then status %#x", status);
			return __LINE__;
		}
	} else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 127) &&
		   !fault_signal(status)) {
		/* 127: stopped before the exec; a signal: past its point of no return */
		snprintf(why, size, "no exec, then status %#x", status);
		return __LINE__;
	}
	return 0;
}

/* Under KASAN and emulation a round takes a second or more. */
FIXTURE(fault) {
	char attr[32];	/* the debugfs attribute a test armed, if any */
	bool nth;	/* submitter_fail_nth changed both attributes */
};

/*
 * fail-nth counts the allocations the failslab and fail_page_alloc
 * attributes let through: by default they skip allocations that may sleep
 * (GFP_KERNEL, nearly all of ours) and page allocations of order 0.
 */
static int nth_setup(bool on)
{
	static const char *const files[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/min-order", "0" },
	};
	static const char *const defaults[] = { "Y", "Y", "1" };
	char path[96];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s", files[i][0]);
		if (write_file(path, on ? files[i][1] : defaults[i]))
			ret = -1;
	}
	return ret;
}

/* The fixture's data type, for the helpers that take @self. */
#define FAULT_DATA FIXTURE_DATA(fault)

FIXTURE_SETUP(fault)
{
	self->attr[0] = '\0';
	self->nth = false;
}

/* Disarm whatever a test armed, even if it failed or timed out. */
FIXTURE_TEARDOWN(fault)
{
	char path[96];

	if (self->nth)
		nth_setup(false);
	if (!self->attr[0])
		return;
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/probability",
		 self->attr);
	write_file(path, "0");
}

TEST_F_TIMEOUT(fault, submitter_fail_nth, 1200)
{
	struct spawn_case sc;
	struct spawn_ring r;
	char why[128], nth[16];
	int fd, fds, n, steps, line, injected = 0, ok = 0;

	fds = spawn_count_fds();
	fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "no fail-nth (CONFIG_FAULT_INJECTION): %s",
		     strerror(errno));
	case_init(&sc);
	ASSERT_EQ(0, ring_init(&r, 16, 0, 0));
	if (!(r.features & IORING_FEAT_SPAWN))
		SKIP(return, "kernel lacks IORING_FEAT_SPAWN");
	signal(SIGCHLD, SIG_DFL);
	self->nth = true;
	ASSERT_EQ(0, nth_setup(true)) TH_LOG("failslab/fail_page_alloc in debugfs");

	for (n = 1; n <= MAX_NTH; n++) {
		long left;

		steps = queue_chain(&r, &sc, NULL);
		snprintf(nth, sizeof(nth), "%d", n);
		ASSERT_EQ((ssize_t)strlen(nth), pwrite(fd, nth, strlen(nth), 0));
		/* Only the first io_uring_enter() runs armed. */
		ASSERT_EQ(0, submit_all(&r, steps)) TH_LOG("fault %d", n);
		/* Through the open fd: an open() could allocate, and fail. */
		memset(nth, 0, sizeof(nth));
		ASSERT_GT(pread(fd, nth, sizeof(nth) - 1, 0), 0);
		left = strtol(nth, NULL, 10);
		ASSERT_EQ(1, pwrite(fd, "0", 1, 0));
		line = finish_chain(&r, &sc, steps, 0, why, sizeof(why));
		ASSERT_EQ(0, line) TH_LOG("fault %d: %s (line %d)", n, why, line);
		if (left > 0) {
			/* The whole spawn needed fewer than n allocations. */
			ok = 1;
			break;
		}
		injected++;
	}
	close(fd);
	ring_exit(&r);
	ASSERT_TRUE(ok) TH_LOG("still failing allocations at %d", MAX_NTH);
	/* A spawn cannot need no allocation at all: the setup was wrong. */
	ASSERT_GT(injected, 0);
	ASSERT_FALSE(spawn_has_children());
	ASSERT_EQ(fds, spawn_count_fds());
	ksft_print_msg("submitter: %d allocations failed in turn, each cleanly\n",
		       injected);
}

/*
 * @attr: failslab or fail_page_alloc under /sys/kernel/debug. Each round
 * blocks a child on a FIFO, marks it make-it-fail, releases it: from then
 * on a fifth of its allocations fail, whichever step they fall in.
 */
static void child_faults(struct __test_metadata *_metadata, FAULT_DATA *self,
			 const char *attr)
{
	char dir[64], path[128], fifo[64], pidpath[64], why[128], copy[64];
	int fds, round, rounds, steps, line, wfd, injected;
	const long budget = 1000000;
	struct spawn_case sc;
	struct spawn_ring r;
	struct spawn_cqe cqe;
	pid_t pid;

	/* make check runs CHILD_ROUNDS; make stress asks for more. */
	rounds = getenv("SPAWN_FAULT_ROUNDS") ?
		 atoi(getenv("SPAWN_FAULT_ROUNDS")) : CHILD_ROUNDS;
	ASSERT_GT(rounds, 0);
	snprintf(dir, sizeof(dir), "/sys/kernel/debug/%s", attr);
	if (access(dir, F_OK))
		SKIP(return, "no %s (CONFIG_FAULT_INJECTION_DEBUG_FS)", dir);
	fds = spawn_count_fds();
	case_init(&sc);
	ASSERT_EQ(0, ring_init(&r, 16, 0, 0));
	if (!(r.features & IORING_FEAT_SPAWN))
		SKIP(return, "kernel lacks IORING_FEAT_SPAWN");
	signal(SIGCHLD, SIG_DFL);
	snprintf(fifo, sizeof(fifo), "/tmp/spawn_fault.%d", getpid());
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	snprintf(copy, sizeof(copy), "/tmp/spawn_fault.%d.child", getpid());
	ASSERT_EQ(0, case_on_tmpfs(&sc, copy));
	snprintf(self->attr, sizeof(self->attr), "%s", attr);

#define SET(name, value) do {						\
		snprintf(path, sizeof(path), "%s/%s", dir, name);		\
		ASSERT_EQ(0, write_file(path, value)) TH_LOG("%s", path);	\
	} while (0)
	SET("task-filter", "Y");
	SET("probability", "20");
	SET("interval", "1");
	SET("space", "0");
	SET("verbose", "0");
	SET("times", "1000000");
	SET("ignore-gfp-wait", "N");
	if (!strcmp(attr, "fail_page_alloc"))
		SET("min-order", "0");

	for (round = 0; round < rounds; round++) {
		steps = queue_chain(&r, &sc, fifo);
		ASSERT_EQ(0, submit_all(&r, steps));
		ASSERT_EQ(1, ring_wait_cqes(&r, &cqe, 1, WAIT_MS));
		ASSERT_EQ(1ULL, cqe.user_data);
		ASSERT_GT(cqe.res, 0);
		pid = cqe.res;
		/* Only the child fails, from its next allocation on. */
		snprintf(pidpath, sizeof(pidpath), "/proc/%d/make-it-fail", pid);
		ASSERT_EQ(0, write_file(pidpath, "1"));
		/*
		 * Release the OPENAT. O_RDWR, not O_WRONLY: a child whose
		 * chain failed before its OPENAT (it may not have reached it
		 * when it was marked) never opens the FIFO, and a write-only
		 * open would wait for it forever.
		 */
		wfd = open(fifo, O_RDWR | O_CLOEXEC);
		ASSERT_GE(wfd, 0);
		/* The CLONE's CQE is in; the others go through finish_chain. */
		line = finish_chain(&r, &sc, steps, pid, why, sizeof(why));
		close(wfd);
		ASSERT_EQ(0, line) TH_LOG("round %d: %s (line %d)", round, why,
					  line);
	}
	SET("probability", "0");
	snprintf(path, sizeof(path), "%s/times", dir);
	injected = budget - read_long(path);
	SET("task-filter", "N");
#undef SET
	unlink(fifo);
	unlink(copy);
	ring_exit(&r);
	ASSERT_GT(injected, 0) TH_LOG("%s injected nothing", attr);
	ASSERT_FALSE(spawn_has_children());
	ASSERT_EQ(fds, spawn_count_fds());
	ksft_print_msg("%s: %d faults injected into %d children\n", attr,
		       injected, rounds);
}

TEST_F_TIMEOUT(fault, child_failslab, 1200)
{
	child_faults(_metadata, self, "failslab");
}

TEST_F_TIMEOUT(fault, child_fail_page_alloc, 1200)
{
	child_faults(_metadata, self, "fail_page_alloc");
}

TEST_HARNESS_MAIN
