// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of IORING_OP_CLONE and IORING_OP_EXEC (io_uring_spawn), against the
 * contract in Documentation/userspace-api/io_uring_spawn.rst.
 *
 * Each chain execs spawn_child (installed beside this binary), which writes
 * what it inherited to a pipe whose write end is passed in its argv; the
 * tests read that report and reap the child. Every wait is bounded, so a
 * kernel that loses a completion or a child fails a test instead of hanging
 * the run.
 *
 * Conventions: a chain's requests carry user_data 1, 2, ... in chain order;
 * an EXEC that must never run execs "spawn_child - exit:99", so a bogus
 * success shows up as exit status 99 (in the child or, for an EXEC outside
 * a chain, in the test process itself, which the harness reports as a
 * failure).
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
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn_proc.h"
#include "spawn_ring.h"

/* The 6.12 harness has an unused parameter; keep -Wextra -Werror usable. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
/*
 * Each TEST_F's wrapper forks after a setjmp(); depending on how much of the
 * test gcc inlines, it warns that the harness's own "child" may be clobbered,
 * which cannot happen (the longjmp comes back in the forked child).
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef __WALL
#define __WALL 0x40000000
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Bound on any single wait; generous because the guest may run under TCG. */
#define WAIT_MS		20000
#define MAX_CQES	16
#define REPORT_MAX	32768
#define NR_SPAWNS	1000

static char *test_envp[] = { "SPAWN_TEST=1", "SPACED=a b  c", NULL };

FIXTURE(spawn) {
	struct spawn_ring ring;
	char child[PATH_MAX];	/* spawn_child, beside this binary */
	char tmpdir[64];	/* short: paths inside it fit PATH_MAX */
	char cgroup[PATH_MAX];	/* made by clone_into_cgroup */
};

/* The fixture's data type, for the helpers that take @self. */
#define SPAWN_DATA FIXTURE_DATA(spawn)

/* Completions of one chain, keyed by user_data 1..n. */
struct chain {
	int n;
	__u64 order[MAX_CQES];		/* user_data in arrival order */
	__s32 res[MAX_CQES + 1];	/* res by user_data */
};

/* argv for spawn_child: <report-fd|-> <mode> "two words" */
struct child_args {
	char fd[16];
	char *argv[8];
};

/*
 * Why the spawn tests cannot run here, or NULL. Only a kernel without the
 * feature is a reason (the discovery test checks that the probe agrees
 * with the bit, it is no reason to skip).
 */
static const char *spawn_unsupported(char *why, size_t size)
{
	struct spawn_ring r;
	unsigned int features;
	int ret;

	/* The sysctl exists whenever the kernel has io_uring at all. */
	if (access("/proc/sys/kernel/io_uring_disabled", F_OK)) {
		snprintf(why, size, "io_uring unavailable: kernel without io_uring");
		return why;
	}
	ret = ring_init(&r, 4, 0, 0);
	if (ret == -EPERM) {	/* io_uring disabled (io_uring_disabled) */
		snprintf(why, size, "io_uring unavailable: %s", strerror(-ret));
		return why;
	}
	if (ret)
		return NULL;	/* let the fixture's own setup report it */
	features = r.features;
	ring_exit(&r);

	if (!(features & IORING_FEAT_SPAWN)) {
		snprintf(why, size, "kernel lacks IORING_FEAT_SPAWN");
		return why;
	}
	return NULL;
}

/* waitpid(@pid) for at most @timeout_ms: the pid, 0 on timeout, -1 on error. */
static pid_t reap(pid_t pid, int *status, int timeout_ms)
{
	long long deadline = ring_now_ms() + timeout_ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG | __WALL);

		if (r != 0 || ring_now_ms() >= deadline)
			return r;
		usleep(2000);
	}
}

static const char *describe_status(int status)
{
	static char buf[64];

	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "killed by signal %d",
			 WTERMSIG(status));
	else
		snprintf(buf, sizeof(buf), "status %#x", status);
	return buf;
}

/* Read exactly @len bytes within @timeout_ms; 0 or a negative errno. */
static int read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	long long deadline = ring_now_ms() + timeout_ms;
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - ring_now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ETIMEDOUT;
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		got += n;
	}
	return 0;
}

/*
 * Read until EOF (every writer gone: the child exited) within @timeout_ms.
 * Returns the length, NUL-terminated, or a negative errno.
 */
static ssize_t read_all(int fd, char *buf, size_t size, int timeout_ms)
{
	long long deadline = ring_now_ms() + timeout_ms;
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - ring_now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ETIMEDOUT;
		if (len + 1 >= size)
			return -E2BIG;
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return len;
}

/* Whether the report has exactly this line. */
static bool __printf(2, 3)
report_has(const char *rep, const char *fmt, ...)
{
	char want[PATH_MAX + 64];
	const char *p = rep;
	va_list ap;
	size_t wl;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	wl = strlen(want);
	while (*p) {
		const char *nl = strchrnul(p, '\n');

		if ((size_t)(nl - p) == wl && !memcmp(p, want, wl))
			return true;
		p = *nl ? nl + 1 : nl;
	}
	return false;
}

/* The value of the first line starting with @key, or NULL. */
static const char *report_value(const char *rep, const char *key,
				char *buf, size_t size)
{
	size_t kl = strlen(key);
	const char *p = rep;

	while (*p) {
		const char *nl = strchrnul(p, '\n');

		if ((size_t)(nl - p) >= kl && !memcmp(p, key, kl)) {
			snprintf(buf, size, "%.*s", (int)(nl - p - kl), p + kl);
			return buf;
		}
		p = *nl ? nl + 1 : nl;
	}
	return NULL;
}

static int report_count(const char *rep, const char *prefix)
{
	size_t pl = strlen(prefix);
	const char *p = rep;
	int n = 0;

	while (*p) {
		const char *nl = strchrnul(p, '\n');

		if ((size_t)(nl - p) >= pl && !memcmp(p, prefix, pl))
			n++;
		p = *nl ? nl + 1 : nl;
	}
	return n;
}

/*
 * The report pipe. The write end is inherited by the child (no FD_CLOEXEC),
 * the read end is not (it would only clutter the child's fd list), so EOF
 * comes when the child, the last writer, exits once we closed our copy.
 */
static int report_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC))
		return -1;
	return fcntl(p[1], F_SETFD, 0);
}

static void child_argv(SPAWN_DATA *self, struct child_args *a,
		       int report_fd, const char *mode)
{
	if (report_fd < 0)
		snprintf(a->fd, sizeof(a->fd), "-");
	else
		snprintf(a->fd, sizeof(a->fd), "%d", report_fd);
	a->argv[0] = self->child;
	a->argv[1] = a->fd;
	a->argv[2] = (char *)mode;
	a->argv[3] = "two words";
	a->argv[4] = NULL;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	size_t len = strlen(text);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode))
		ret = -1;
	/* Closed before any exec: an open writer would make it -ETXTBSY. */
	if (close(fd))
		ret = -1;
	return ret;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in, out, ret = -1;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				break;
		if (n == 0 && !fchmod(out, mode))
			ret = 0;
		/* Closed before the exec: an open writer is -ETXTBSY. */
		if (close(out))
			ret = -1;
	}
	close(in);
	return ret;
}

/* The number the next open() gets: the lowest free descriptor. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

static bool fd_closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

static struct io_uring_sqe *add_sqe(struct __test_metadata *_metadata,
				    struct spawn_ring *r, __u64 user_data,
				    __u8 flags)
{
	struct io_uring_sqe *sqe = ring_get_sqe(r);

	ASSERT_NE(NULL, sqe);
	sqe->user_data = user_data;
	sqe->flags = flags;
	return sqe;
}

/* CLONE (user_data 1, linked) then EXEC of spawn_child (user_data 2). */
static void add_spawn(struct __test_metadata *_metadata, struct spawn_ring *r,
		      void *ca, size_t len, struct child_args *a)
{
	prep_clone(add_sqe(_metadata, r, 1, IOSQE_IO_LINK), ca, len);
	prep_exec(add_sqe(_metadata, r, 2, 0), AT_FDCWD, a->argv[0], a->argv,
		  test_envp, 0);
}

/*
 * Submit everything queued (one io_uring_enter(), so a chain is never left
 * open at the end of a submission) and collect @nr completions with
 * user_data 1..@nr, each once.
 */
static void submit_and_wait(struct __test_metadata *_metadata,
			    struct spawn_ring *r, int nr, struct chain *c)
{
	struct spawn_cqe cqes[MAX_CQES], extra;
	bool seen[MAX_CQES + 1] = { false };
	int i, got;

	ASSERT_LE(nr, MAX_CQES);
	memset(c, 0, sizeof(*c));
	ASSERT_EQ(nr, ring_submit(r));
	got = ring_wait_cqes(r, cqes, nr, WAIT_MS);
	ASSERT_EQ(nr, got) TH_LOG("%d of %d completions within %d ms",
				  got, nr, WAIT_MS);
	for (i = 0; i < nr; i++) {
		__u64 ud = cqes[i].user_data;

		ASSERT_TRUE(ud >= 1 && ud <= (__u64)nr && !seen[ud])
			TH_LOG("unexpected or repeated user_data %llu",
			       (unsigned long long)ud);
		seen[ud] = true;
		c->res[ud] = cqes[i].res;
		c->order[i] = ud;
	}
	c->n = nr;
	ASSERT_EQ(0, ring_reap(r, &extra, 1)) TH_LOG("a stray completion");
}

/* Whether requests @first.. completed in chain (user_data) order. */
static bool chain_in_order(const struct chain *c, __u64 first)
{
	__u64 last = 0;
	int i;

	for (i = 0; i < c->n; i++) {
		if (c->order[i] < first)
			continue;
		if (c->order[i] < last)
			return false;
		last = c->order[i];
	}
	return true;
}

static void assert_exit(struct __test_metadata *_metadata, int status,
			int code)
{
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == code)
		TH_LOG("child %s, expected exit %d", describe_status(status),
		       code);
}

/* Reap @pid within WAIT_MS; returns its wait status. */
/*
 * sigtimedwait() that goes on after EINTR: io_uring hands the last steps of
 * a chain's requests (their freeing) to our task_work, which interrupts a
 * blocking syscall, as any io-wq completion does on a ring without
 * IORING_SETUP_COOP_TASKRUN.
 */
static int sigwait_ms(const sigset_t *set, siginfo_t *info, int ms)
{
	long long deadline = ring_now_ms() + ms;
	struct timespec ts;
	long long left;
	int sig;

	do {
		left = deadline - ring_now_ms();
		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		sig = sigtimedwait(set, info, &ts);
	} while (sig < 0 && errno == EINTR);
	return sig;
}

static int reap_status(struct __test_metadata *_metadata, pid_t pid)
{
	int status = 0;
	pid_t r;

	errno = 0;
	r = reap(pid, &status, WAIT_MS);
	ASSERT_EQ(pid, r) TH_LOG("waitpid(%d): %s", pid,
				 r ? strerror(errno) : "timed out");
	return status;
}

/* The CLONE was refused: no child may exist. */
static void assert_no_child(struct __test_metadata *_metadata)
{
	ASSERT_FALSE(spawn_has_children()) TH_LOG("a refused CLONE left a child");
}

/*
 * A chain request that fails its own checks can be caught when its SQE is
 * prepared, at submission: io_uring then fails the link's head, the CLONE,
 * with -ECANCELED and no child exists. Or it can be caught when it runs in
 * the child: the CLONE succeeded and the child exits 127 without running
 * user code. The spec fixes only the failing request's own result; accept
 * either and check the process side of the one that happened.
 */
static void assert_chain_failed(struct __test_metadata *_metadata,
				__s32 clone_res)
{
	if (clone_res > 0) {
		int status = reap_status(_metadata, clone_res);

		assert_exit(_metadata, status, 127);
	} else {
		ASSERT_EQ(-ECANCELED, clone_res);
		assert_no_child(_metadata);
	}
}

/*
 * Read the report of a chain that exec'd spawn_child, reap the child and
 * check that the program ran to completion and exited 0.
 */
static void collect_report(struct __test_metadata *_metadata, int rp[2],
			   pid_t pid, char *rep, size_t size)
{
	ssize_t n;
	int status;

	if (rp[1] >= 0) {
		close(rp[1]);
		rp[1] = -1;
	}
	n = read_all(rp[0], rep, size, WAIT_MS);
	ASSERT_GE(n, 0) TH_LOG("reading the report: %s", strerror(-n));
	status = reap_status(_metadata, pid);
	assert_exit(_metadata, status, 0);
	ASSERT_TRUE(report_has(rep, "end")) TH_LOG("incomplete report:\n%s", rep);
	ASSERT_TRUE(report_has(rep, "pid=%d", pid));
}

/*
 * Open @fifo for writing, which lets a chain blocked opening it for reading
 * go on, while waiting for @pid to exit, for at most @timeout_ms. Returns
 * the reaped pid, 0 on timeout or -1 on error.
 */
static pid_t unblock_and_reap(const char *fifo, pid_t pid, int *status,
			      int timeout_ms)
{
	long long deadline = ring_now_ms() + timeout_ms;
	int wfd = -1;
	pid_t r;

	for (;;) {
		/*
		 * ENXIO until a reader waits in open(): the chain may not
		 * have got there yet, or never will if it was torn down.
		 */
		if (wfd < 0)
			wfd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		r = waitpid(pid, status, WNOHANG | __WALL);
		if (r != 0 || ring_now_ms() >= deadline)
			break;
		usleep(5000);
	}
	if (wfd >= 0)
		close(wfd);
	return r;
}

static void remove_tree(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

FIXTURE_SETUP(spawn)
{
	char why[160], exe[PATH_MAX];
	const char *tmp;
	ssize_t n;

	self->ring.fd = -1;
	if (spawn_unsupported(why, sizeof(why)))
		SKIP(return, "%s", why);

	/* A SIG_IGN inherited from the runner would reap our children. */
	signal(SIGCHLD, SIG_DFL);

	ASSERT_EQ(0, ring_init(&self->ring, 64, 0, 0));

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_GT(n, 0);
	exe[n] = '\0';
	snprintf(self->child, sizeof(self->child), "%s/spawn_child",
		 dirname(exe));
	ASSERT_EQ(0, access(self->child, X_OK))
		TH_LOG("%s: %s (built and installed with the test?)",
		       self->child, strerror(errno));

	tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(self->tmpdir, sizeof(self->tmpdir), "%s/io_uring_spawn.XXXXXX",
		 tmp);
	ASSERT_NE(NULL, mkdtemp(self->tmpdir))
		TH_LOG("mkdtemp in %s: %s", tmp, strerror(errno));
}

FIXTURE_TEARDOWN(spawn)
{
	long long deadline = ring_now_ms() + 5000;

	/*
	 * A failed test may leave children, some stuck in a chain (a FIFO
	 * open): kill and reap them so that nothing outlives the test. Scan
	 * again each round: killing a helper reparents its children to us.
	 */
	while (spawn_has_children() && ring_now_ms() < deadline) {
		spawn_walk_children(spawn_kill_pid);
		if (waitpid(-1, NULL, WNOHANG | __WALL) <= 0)
			usleep(5000);
	}

	if (self->ring.fd >= 0)
		ring_exit(&self->ring);
	if (chdir("/"))
		TH_LOG("chdir(/): %s", strerror(errno));
	if (self->cgroup[0])
		rmdir(self->cgroup);
	if (self->tmpdir[0])
		remove_tree(self->tmpdir);
}

/* Discovery: the feature bit and the probe agree. */
TEST_F(spawn, feature_and_probe)
{
	ASSERT_TRUE(!!(self->ring.features & IORING_FEAT_SPAWN));
	ASSERT_EQ(1, ring_probe_op(&self->ring, IORING_OP_CLONE));
	ASSERT_EQ(1, ring_probe_op(&self->ring, IORING_OP_EXEC));
}

/*
 * CLONE -> EXEC: the CLONE completes with the pid, the EXEC with 0, the
 * program gets exactly the argv and envp given, runs as our child and
 * exits 0.
 */
TEST_F(spawn, basic)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct chain c;
	int rp[2];

	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);

	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "ppid=%d", getpid()));
	ASSERT_TRUE(report_has(rep, "argc=4"));
	ASSERT_TRUE(report_has(rep, "argv[0]=%s", self->child));
	ASSERT_TRUE(report_has(rep, "argv[1]=%s", a.fd));
	ASSERT_TRUE(report_has(rep, "argv[2]=exit:0"));
	ASSERT_TRUE(report_has(rep, "argv[3]=two words"));
	ASSERT_EQ(2, report_count(rep, "env="));
	ASSERT_TRUE(report_has(rep, "env=SPAWN_TEST=1"));
	ASSERT_TRUE(report_has(rep, "env=SPACED=a b  c"));
	ASSERT_FALSE(spawn_has_children());
}

/* The program's exit status is what waitpid() reports. */
TEST_F(spawn, exit_status)
{
	struct child_args a;
	struct chain c;
	int status;

	child_argv(self, &a, -1, "exit:7");
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 7);
}

/* Without clone_args the exit signal is SIGCHLD, sent to us. */
TEST_F(spawn, sigchld)
{
	struct child_args a;
	struct chain c;
	siginfo_t info;
	sigset_t set;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));

	child_argv(self, &a, -1, "exit:0");
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);

	ASSERT_EQ(SIGCHLD, sigwait_ms(&set, &info, WAIT_MS))
		TH_LOG("no SIGCHLD: %s", strerror(errno));
	ASSERT_EQ(c.res[1], info.si_pid);
	ASSERT_EQ(CLD_EXITED, info.si_code);
	ASSERT_EQ(0, info.si_status);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 0);
}

/* CLONE_PIDFD: a close-on-exec pidfd in our table that waitid() accepts. */
TEST_F(spawn, clone_pidfd)
{
	struct clone_args ca;
	struct child_args a;
	struct pollfd pfd;
	struct chain c;
	siginfo_t info;
	int pidfd = -1;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (__u64)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	child_argv(self, &a, -1, "exit:0");
	add_spawn(_metadata, &self->ring, &ca, sizeof(ca), &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);

	ASSERT_GE(pidfd, 0);
	ASSERT_EQ(FD_CLOEXEC, fcntl(pidfd, F_GETFD) & FD_CLOEXEC);
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS)) TH_LOG("pidfd never readable");

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, waitid(P_PIDFD, pidfd, &info, WEXITED))
		TH_LOG("waitid(P_PIDFD): %s", strerror(errno));
	ASSERT_EQ(c.res[1], info.si_pid);
	ASSERT_EQ(CLD_EXITED, info.si_code);
	ASSERT_EQ(0, info.si_status);
	close(pidfd);
	ASSERT_FALSE(spawn_has_children());
}

/*
 * clone_args.exit_signal is the signal a child that dies before its exec
 * sends (here: its EXEC fails, so it exits 127). A successful exec resets
 * it to SIGCHLD, as every execve() does (de_thread()), which the second
 * half checks.
 */
TEST_F(spawn, clone_exit_signal)
{
	char missing[PATH_MAX];
	struct clone_args ca;
	struct child_args a;
	sigset_t set, pending;
	struct chain c;
	siginfo_t info;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));

	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGUSR1;
	snprintf(missing, sizeof(missing), "%s/missing", self->tmpdir);
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), &ca,
		   sizeof(ca));
	prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD, missing,
		  a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(-ENOENT, c.res[2]);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_EQ(SIGUSR1, sigwait_ms(&set, &info, WAIT_MS))
		TH_LOG("no SIGUSR1: %s", strerror(errno));
	ASSERT_EQ(c.res[1], info.si_pid);
	/* A child with a non-SIGCHLD exit signal needs __WALL (reap does). */
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 127);
	ASSERT_EQ(0, sigpending(&pending));
	ASSERT_FALSE(sigismember(&pending, SIGCHLD));

	/* Exec'd: the program's exit is reported with SIGCHLD. */
	child_argv(self, &a, -1, "exit:0");
	add_spawn(_metadata, &self->ring, &ca, sizeof(ca), &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	ASSERT_EQ(SIGCHLD, sigwait_ms(&set, &info, WAIT_MS));
	ASSERT_EQ(c.res[1], info.si_pid);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 0);
}

/* clone_args.exit_signal = 0: a child that dies unexec'd signals nothing. */
TEST_F(spawn, clone_exit_signal_zero)
{
	char missing[PATH_MAX];
	struct clone_args ca;
	struct child_args a;
	sigset_t set, pending;
	struct chain c;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));

	memset(&ca, 0, sizeof(ca));
	snprintf(missing, sizeof(missing), "%s/missing", self->tmpdir);
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), &ca,
		   sizeof(ca));
	prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD, missing,
		  a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(-ENOENT, c.res[2]);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 127);
	ASSERT_EQ(0, sigpending(&pending));
	ASSERT_FALSE(sigismember(&pending, SIGCHLD));
}

/* CLONE_CLEAR_SIGHAND is accepted (it is always in effect). */
TEST_F(spawn, clone_clear_sighand)
{
	struct clone_args ca;
	struct child_args a;
	struct chain c;
	int status;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_CLEAR_SIGHAND;
	ca.exit_signal = SIGCHLD;
	child_argv(self, &a, -1, "exit:0");
	add_spawn(_metadata, &self->ring, &ca, sizeof(ca), &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 0);
}

/* clone_args larger than the known struct is fine if the tail is zero. */
TEST_F(spawn, clone_args_zero_tail)
{
	struct {
		struct clone_args ca;
		__u64 tail;
	} big;
	struct child_args a;
	struct chain c;
	int status;

	memset(&big, 0, sizeof(big));
	big.ca.exit_signal = SIGCHLD;
	child_argv(self, &a, -1, "exit:0");
	add_spawn(_metadata, &self->ring, &big, sizeof(big), &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 0);
}

/* CLONE_INTO_CGROUP: the child starts in the given cgroup2 directory. */
TEST_F(spawn, clone_into_cgroup)
{
	char rep[REPORT_MAX], cg[PATH_MAX], want[64];
	struct clone_args ca;
	struct child_args a;
	struct statfs sfs;
	struct chain c;
	size_t cl, wl;
	int rp[2], cgfd;

	if (statfs("/sys/fs/cgroup", &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		SKIP(return, "no cgroup2 hierarchy at /sys/fs/cgroup");
	snprintf(self->cgroup, sizeof(self->cgroup),
		 "/sys/fs/cgroup/io_uring_spawn.%d", getpid());
	if (mkdir(self->cgroup, 0755)) {
		int err = errno;

		self->cgroup[0] = '\0';
		SKIP(return, "cannot create a cgroup: %s", strerror(err));
	}
	cgfd = open(self->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(cgfd, 0);

	ASSERT_EQ(0, report_pipe(rp));
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_INTO_CGROUP;
	ca.cgroup = cgfd;
	ca.exit_signal = SIGCHLD;
	child_argv(self, &a, rp[1], "exit:0");
	add_spawn(_metadata, &self->ring, &ca, sizeof(ca), &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));

	/* Compare the tail only: the path is relative to our cgroup ns. */
	ASSERT_NE(NULL, report_value(rep, "cgroup=", cg, sizeof(cg)));
	snprintf(want, sizeof(want), "/io_uring_spawn.%d", getpid());
	cl = strlen(cg);
	wl = strlen(want);
	ASSERT_TRUE(cl >= wl && !strcmp(cg + cl - wl, want))
		TH_LOG("child ran in cgroup %s", cg);
	close(cgfd);
}

/*
 * An OPENAT in the chain installs into the child's table: the fd is open in
 * the exec'd program and was never open in ours.
 */
TEST_F(spawn, chain_openat)
{
	char rep[REPORT_MAX], path[PATH_MAX];
	struct child_args a;
	struct chain c;
	struct stat st;
	int rp[2];

	snprintf(path, sizeof(path), "%s/opened", self->tmpdir);
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK),
		    AT_FDCWD, path, O_WRONLY | O_CREAT, 0600);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_GE(c.res[2], 0) TH_LOG("OPENAT: %s", strerror(-c.res[2]));
	ASSERT_EQ(0, c.res[3]);
	ASSERT_TRUE(chain_in_order(&c, 2));

	/* The child's fd number was free in our table, and still is. */
	ASSERT_TRUE(fd_closed(c.res[2]))
		TH_LOG("fd %d opened in the child is open in the parent",
		       c.res[2]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "fd=%d", c.res[2]))
		TH_LOG("fd %d missing in the child:\n%s", c.res[2], rep);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_TRUE(S_ISREG(st.st_mode));
}

/* OPENAT2 is allowed in a chain too. */
TEST_F(spawn, chain_openat2)
{
	char rep[REPORT_MAX], path[PATH_MAX];
	struct child_args a;
	struct open_how how;
	struct chain c;
	int rp[2];

	snprintf(path, sizeof(path), "%s/opened2", self->tmpdir);
	memset(&how, 0, sizeof(how));
	how.flags = O_WRONLY | O_CREAT;
	how.mode = 0600;
	how.resolve = RESOLVE_NO_SYMLINKS;
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat2(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK),
		     AT_FDCWD, path, &how);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_GE(c.res[2], 0) TH_LOG("OPENAT2: %s", strerror(-c.res[2]));
	ASSERT_EQ(0, c.res[3]);
	ASSERT_TRUE(fd_closed(c.res[2]));
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "fd=%d", c.res[2]));
}

/* A CLOSE in the chain closes the child's copy, not ours. */
TEST_F(spawn, chain_close)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct chain c;
	int rp[2], fd;

	fd = open("/dev/null", O_RDONLY);	/* inheritable on purpose */
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_close(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK), fd);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	ASSERT_EQ(0, c.res[3]);

	ASSERT_GE(fcntl(fd, F_GETFD), 0) TH_LOG("our fd %d was closed", fd);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_FALSE(report_has(rep, "fd=%d", fd))
		TH_LOG("fd %d still open in the child", fd);
	close(fd);
}

/*
 * The child's table is a copy of ours: inheritable fds arrive, O_CLOEXEC
 * ones (and the ring's own fd) are closed by the exec.
 */
TEST_F(spawn, cloexec_honoured)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct chain c;
	int rp[2], keep, drop;

	keep = open("/dev/null", O_RDONLY);
	drop = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(keep, 0);
	ASSERT_GE(drop, 0);
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));

	ASSERT_TRUE(report_has(rep, "fd=%d", keep));
	ASSERT_TRUE(report_has(rep, "fd=%s", a.fd));	/* the report pipe */
	ASSERT_FALSE(report_has(rep, "fd=%d", drop));
	ASSERT_FALSE(report_has(rep, "fd=%d", self->ring.fd))
		TH_LOG("the ring fd %d survived the exec", self->ring.fd);
	ASSERT_FALSE(report_has(rep, "fd=%d", rp[0]));
	close(keep);
	close(drop);
}

/* The fs state is copied: cwd and umask at submission time. */
TEST_F(spawn, cwd_and_umask)
{
	char rep[REPORT_MAX], cwd[PATH_MAX];
	struct child_args a;
	struct chain c;
	int rp[2];

	ASSERT_EQ(0, chdir(self->tmpdir));
	ASSERT_NE(NULL, getcwd(cwd, sizeof(cwd)));
	umask(027);
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "cwd=%s", cwd)) TH_LOG("%s", rep);
	ASSERT_TRUE(report_has(rep, "umask=0027")) TH_LOG("%s", rep);
}

/* The signal mask and the rlimits are the submitter's. */
TEST_F(spawn, sigmask_and_rlimits)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct rlimit rl;
	struct chain c;
	sigset_t set;
	int rp[2];

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_TRUE(rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 200);
	rl.rlim_cur = 200;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));

	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "blocked=%d", SIGUSR2)) TH_LOG("%s", rep);
	ASSERT_TRUE(report_has(rep, "nofile=200")) TH_LOG("%s", rep);
}

/* A NOP in the chain completes with 0 and the chain goes on. */
TEST_F(spawn, chain_nop)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct chain c;
	int rp[2];

	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_nop(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK));
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	ASSERT_EQ(0, c.res[3]);
	ASSERT_TRUE(chain_in_order(&c, 2));
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
}

/*
 * EXEC's fd is resolved in the child's table: a directory opened by the
 * chain (at the lowest free number, which our table has free too) works
 * as the EXEC's dirfd.
 */
TEST_F(spawn, exec_dirfd_from_chain)
{
	char rep[REPORT_MAX], buf[PATH_MAX], *dir;
	struct child_args a;
	struct chain c;
	int rp[2], dfd;

	snprintf(buf, sizeof(buf), "%s", self->child);
	dir = dirname(buf);
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	dfd = lowest_free_fd();
	ASSERT_GE(dfd, 0);

	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK),
		    AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), dfd, "spawn_child",
		  a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(dfd, c.res[2])
		TH_LOG("the chain's OPENAT got fd %d, not the lowest free %d",
		       c.res[2], dfd);
	ASSERT_EQ(0, c.res[3]) TH_LOG("EXEC: %s", strerror(-c.res[3]));
	ASSERT_TRUE(fd_closed(dfd));
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_FALSE(report_has(rep, "fd=%d", dfd));	/* O_CLOEXEC */
}

/* execve_flags AT_EMPTY_PATH: exec the file a chain OPENAT opened. */
TEST_F(spawn, exec_empty_path)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct chain c;
	int rp[2], fd;

	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	fd = lowest_free_fd();
	ASSERT_GE(fd, 0);

	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK),
		    AT_FDCWD, self->child, O_RDONLY | O_CLOEXEC, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), fd, "", a.argv,
		  test_envp, AT_EMPTY_PATH);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(fd, c.res[2]);
	ASSERT_EQ(0, c.res[3]) TH_LOG("EXEC: %s", strerror(-c.res[3]));
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
}

/* execve_flags AT_SYMLINK_NOFOLLOW on a symlink: -ELOOP, exit 127. */
TEST_F(spawn, exec_symlink_nofollow)
{
	char link[PATH_MAX];
	struct child_args a;
	struct chain c;
	int status;

	snprintf(link, sizeof(link), "%s/link", self->tmpdir);
	ASSERT_EQ(0, symlink(self->child, link));
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD, link,
		  a.argv, test_envp, AT_SYMLINK_NOFOLLOW);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(-ELOOP, c.res[2]);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 127);
}

/* Helper for the exec errno tests: CLONE -> EXEC(@path) fails with @err. */
static void exec_fails(struct __test_metadata *_metadata,
		       SPAWN_DATA *self, const char *path, int err)
{
	struct child_args a;
	struct chain c;
	int status;

	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD, path,
		  a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(-err, c.res[2]) TH_LOG("EXEC of %s: %d", path, c.res[2]);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 127);
}

TEST_F(spawn, exec_enoent)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/missing", self->tmpdir);
	exec_fails(_metadata, self, path, ENOENT);
}

/* No execute bit: -EACCES, even for root. */
TEST_F(spawn, exec_eacces)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/not-executable", self->tmpdir);
	ASSERT_EQ(0, write_file(path, "#!/bin/sh\nexit 99\n", 0644));
	exec_fails(_metadata, self, path, EACCES);
}

/* Executable, but no binary format recognises it: -ENOEXEC. */
TEST_F(spawn, exec_enoexec)
{
	char path[PATH_MAX];

	struct statvfs sv;

	ASSERT_EQ(0, statvfs(self->tmpdir, &sv));
	if (sv.f_flag & ST_NOEXEC)
		SKIP(return, "%s is on a noexec mount", self->tmpdir);
	snprintf(path, sizeof(path), "%s/garbage", self->tmpdir);
	ASSERT_EQ(0, write_file(path, "this is not a program\n\1\2\3\n", 0755));
	exec_fails(_metadata, self, path, ENOEXEC);
}

/*
 * Every CQE of the chain is queued before the child exits: once waitpid()
 * has the child, the completions are there for the taking.
 */
TEST_F(spawn, cqes_before_exit)
{
	struct spawn_cqe cqes[2];
	char path[PATH_MAX];
	struct child_args a;
	int status, n = 0, i;
	pid_t pid = 0;

	snprintf(path, sizeof(path), "%s/missing", self->tmpdir);
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD, path,
		  a.argv, test_envp, 0);
	ASSERT_EQ(2, ring_submit(&self->ring));

	/* Take completions one at a time, only until we know the pid. */
	while (!pid) {
		ASSERT_LT(n, 2);
		ASSERT_EQ(1, ring_wait_cqes(&self->ring, &cqes[n], 1, WAIT_MS));
		if (cqes[n].user_data == 1) {
			ASSERT_GT(cqes[n].res, 0);
			pid = cqes[n].res;
		}
		n++;
	}
	status = reap_status(_metadata, pid);
	assert_exit(_metadata, status, 127);

	/* Short wait: the EXEC's CQE must be queued already, not on its way. */
	if (n < 2)
		ASSERT_EQ(1, ring_wait_cqes(&self->ring, &cqes[n], 1, 500))
			TH_LOG("the EXEC's completion came after the exit");
	for (i = 0; i < 2; i++)
		if (cqes[i].user_data == 2)
			break;
	ASSERT_LT(i, 2);
	ASSERT_EQ(-ENOENT, cqes[i].res);
}

/* CLONE needs a link flag. */
TEST_F(spawn, clone_without_link)
{
	struct chain c;

	prep_clone(add_sqe(_metadata, &self->ring, 1, 0), NULL, 0);
	submit_and_wait(_metadata, &self->ring, 1, &c);
	ASSERT_EQ(-EINVAL, c.res[1]);
	assert_no_child(_metadata);
}

/* A CLONE linked but last in its submission would go to io-wq: -EINVAL. */
TEST_F(spawn, clone_link_left_open)
{
	struct chain c;

	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	submit_and_wait(_metadata, &self->ring, 1, &c);
	ASSERT_EQ(-EINVAL, c.res[1]);
	assert_no_child(_metadata);
}

/* IOSQE_ASYNC would hand the CLONE to io-wq: -EINVAL. */
TEST_F(spawn, clone_async)
{
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1,
			   IOSQE_IO_LINK | IOSQE_ASYNC), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_EQ(-EINVAL, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);
}

/*
 * IOSQE_CQE_SKIP_SUCCESS on a CLONE would hide the pid to reap: -EINVAL.
 * As for any failed request with that flag, io_uring posts its CQE and
 * skips those of the rest of its link.
 */
TEST_F(spawn, clone_cqe_skip)
{
	struct spawn_cqe cqes[2];
	struct child_args a;

	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1,
			   IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	ASSERT_EQ(2, ring_submit(&self->ring));
	ASSERT_EQ(1, ring_wait_cqes(&self->ring, cqes, 2, 1000));
	ASSERT_EQ(1ULL, cqes[0].user_data);
	ASSERT_EQ(-EINVAL, cqes[0].res);
	assert_no_child(_metadata);
}

/*
 * CLONE must head its link. Whether the NOP before it ran (0) or was
 * cancelled along with the link depends on when the CLONE is checked; the
 * CLONE and what follows it are fixed.
 */
TEST_F(spawn, clone_not_head)
{
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:99");
	prep_nop(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK));
	prep_clone(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_TRUE(c.res[1] == 0 || c.res[1] == -ECANCELED)
		TH_LOG("NOP: %d", c.res[1]);
	ASSERT_EQ(-EINVAL, c.res[2]);
	ASSERT_EQ(-ECANCELED, c.res[3]);
	assert_no_child(_metadata);
}

/* An SQE field, to set non-zero where a request wants zero. */
struct sqe_field {
	const char *name;
	size_t off;
	size_t size;
};

/* Where a member of struct io_uring_sqe is, and how large it is. */
#define SQE_OFF(f)	offsetof(struct io_uring_sqe, f)
#define SQE_SIZE(f)	sizeof(((struct io_uring_sqe){ 0 }).f)

/* Any non-zero value will do: set the field's first byte. */
static void set_field(struct io_uring_sqe *sqe, const struct sqe_field *f)
{
	memset((char *)sqe + f->off, 0, f->size);
	((unsigned char *)sqe)[f->off] = 1;
}

/* Any SQE field CLONE does not use must be zero (len too, without addr). */
TEST_F(spawn, clone_reserved_fields)
{
	static const struct sqe_field fields[] = {
		{ "ioprio", SQE_OFF(ioprio), SQE_SIZE(ioprio) },
		{ "fd", SQE_OFF(fd), SQE_SIZE(fd) },
		{ "len", SQE_OFF(len), SQE_SIZE(len) },
		{ "rw_flags", SQE_OFF(rw_flags), SQE_SIZE(rw_flags) },
		{ "buf_index", SQE_OFF(buf_index), SQE_SIZE(buf_index) },
		{ "splice_fd_in", SQE_OFF(splice_fd_in), SQE_SIZE(splice_fd_in) },
		{ "addr3", SQE_OFF(addr3), SQE_SIZE(addr3) },
	};
	struct io_uring_sqe *sqe;
	struct child_args a;
	struct chain c;
	unsigned int i;

	/* addr2 ("off") points at the attributes: see attr_einval. */
	child_argv(self, &a, -1, "exit:99");
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		sqe = add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK);
		prep_clone(sqe, NULL, 0);
		set_field(sqe, &fields[i]);
		prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD,
			  self->child, a.argv, test_envp, 0);
		submit_and_wait(_metadata, &self->ring, 2, &c);
		ASSERT_EQ(-EINVAL, c.res[1])
			TH_LOG("CLONE with %s set", fields[i].name);
		ASSERT_EQ(-ECANCELED, c.res[2])
			TH_LOG("CLONE with %s set", fields[i].name);
		assert_no_child(_metadata);
	}
}

/* Any SQE field EXEC does not use must be zero. */
TEST_F(spawn, exec_reserved_fields)
{
	static const struct sqe_field fields[] = {
		{ "ioprio", SQE_OFF(ioprio), SQE_SIZE(ioprio) },
		{ "len", SQE_OFF(len), SQE_SIZE(len) },
		{ "buf_index", SQE_OFF(buf_index), SQE_SIZE(buf_index) },
		{ "splice_fd_in", SQE_OFF(splice_fd_in), SQE_SIZE(splice_fd_in) },
	};
	struct io_uring_sqe *sqe;
	struct child_args a;
	struct chain c;
	unsigned int i;

	child_argv(self, &a, -1, "exit:99");
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK),
			   NULL, 0);
		sqe = add_sqe(_metadata, &self->ring, 2, 0);
		prep_exec(sqe, AT_FDCWD, self->child, a.argv, test_envp, 0);
		set_field(sqe, &fields[i]);
		submit_and_wait(_metadata, &self->ring, 2, &c);
		ASSERT_EQ(-EINVAL, c.res[2])
			TH_LOG("EXEC with %s set", fields[i].name);
		assert_chain_failed(_metadata, c.res[1]);
	}
}

/* execve_flags beyond AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW: -EINVAL. */
TEST_F(spawn, exec_unknown_flags)
{
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, AT_REMOVEDIR);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_EQ(-EINVAL, c.res[2]);
	assert_chain_failed(_metadata, c.res[1]);
}

/* EXEC's fd is the child's: a fixed file makes no sense there. */
TEST_F(spawn, exec_fixed_file)
{
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 2, IOSQE_FIXED_FILE), 0,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_EQ(-EINVAL, c.res[2]);
	assert_chain_failed(_metadata, c.res[1]);
}

/*
 * EXEC outside a spawn chain, alone or after a NOP: -EINVAL, and above all
 * no exec of the submitter (that would run spawn_child here: exit 99).
 */
TEST_F(spawn, exec_outside_chain)
{
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:99");
	prep_exec(add_sqe(_metadata, &self->ring, 1, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 1, &c);
	ASSERT_EQ(-EINVAL, c.res[1]);

	prep_nop(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK));
	prep_exec(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_TRUE(c.res[1] == 0 || c.res[1] == -ECANCELED)
		TH_LOG("NOP: %d", c.res[1]);
	ASSERT_EQ(-EINVAL, c.res[2]);
	assert_no_child(_metadata);
}

/* clone_args that ask for what CLONE does not do: -EINVAL, no child. */
TEST_F(spawn, clone_args_einval)
{
	struct {
		const char *what;
		struct clone_args ca;
		size_t len;	/* 0: sizeof(struct clone_args) */
	} cases[] = {
		{ .what = "CLONE_VM",
		  .ca = { .flags = CLONE_VM, .exit_signal = SIGCHLD } },
		{ .what = "CLONE_THREAD",
		  .ca = { .flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM } },
		{ .what = "CLONE_FILES",
		  .ca = { .flags = CLONE_FILES, .exit_signal = SIGCHLD } },
		{ .what = "CLONE_VFORK",
		  .ca = { .flags = CLONE_VFORK, .exit_signal = SIGCHLD } },
		{ .what = "CLONE_PARENT",
		  .ca = { .flags = CLONE_PARENT, .exit_signal = SIGCHLD } },
		{ .what = "CLONE_NEWUSER",
		  .ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD } },
		{ .what = "exit_signal 65", .ca = { .exit_signal = 65 } },
		{ .what = "stack",
		  .ca = { .exit_signal = SIGCHLD, .stack = 0x10000,
			  .stack_size = 0x10000 } },
		{ .what = "child_tid",
		  .ca = { .exit_signal = SIGCHLD, .child_tid = 0x1000 } },
		{ .what = "parent_tid",
		  .ca = { .exit_signal = SIGCHLD, .parent_tid = 0x1000 } },
		{ .what = "tls", .ca = { .exit_signal = SIGCHLD, .tls = 0x1000 } },
		{ .what = "set_tid",
		  .ca = { .exit_signal = SIGCHLD, .set_tid = 0x1000,
			  .set_tid_size = 1 } },
		{ .what = "len below CLONE_ARGS_SIZE_VER0",
		  .ca = { .exit_signal = SIGCHLD }, .len = 32 },
		{ .what = "len 0 with addr",
		  .ca = { .exit_signal = SIGCHLD }, .len = (size_t)-1 },
	};
	struct child_args a;
	struct chain c;
	unsigned int i;

	child_argv(self, &a, -1, "exit:99");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = cases[i].len;

		if (!len)
			len = sizeof(cases[i].ca);
		else if (len == (size_t)-1)
			len = 0;
		add_spawn(_metadata, &self->ring, &cases[i].ca, len, &a);
		submit_and_wait(_metadata, &self->ring, 2, &c);
		ASSERT_EQ(-EINVAL, c.res[1]) TH_LOG("%s", cases[i].what);
		ASSERT_EQ(-ECANCELED, c.res[2]) TH_LOG("%s", cases[i].what);
		assert_no_child(_metadata);
	}
}

/* clone3's size rules: too large, or non-zero bytes past the struct. */
TEST_F(spawn, clone_args_e2big)
{
	size_t page = sysconf(_SC_PAGESIZE);
	struct {
		struct clone_args ca;
		__u64 tail;
	} big;
	struct child_args a;
	struct chain c;
	void *huge;

	child_argv(self, &a, -1, "exit:99");

	memset(&big, 0, sizeof(big));
	big.ca.exit_signal = SIGCHLD;
	big.tail = 1;
	add_spawn(_metadata, &self->ring, &big, sizeof(big), &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_EQ(-E2BIG, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);

	/* Larger than a page, even if all zero (and readable). */
	huge = calloc(1, page + 8);
	ASSERT_NE(NULL, huge);
	((struct clone_args *)huge)->exit_signal = SIGCHLD;
	add_spawn(_metadata, &self->ring, huge, page + 8, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_EQ(-E2BIG, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);
	free(huge);
}

/* Unreadable clone_args, unwritable pidfd target: -EFAULT, no child. */
TEST_F(spawn, clone_args_efault)
{
	size_t page = sysconf(_SC_PAGESIZE);
	struct child_args a;
	struct clone_args ca;
	struct chain c;
	void *none, *ro;

	child_argv(self, &a, -1, "exit:99");
	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_NE(MAP_FAILED, ro);

	add_spawn(_metadata, &self->ring, none, sizeof(struct clone_args), &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_EQ(-EFAULT, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (__u64)(uintptr_t)ro;
	ca.exit_signal = SIGCHLD;
	add_spawn(_metadata, &self->ring, &ca, sizeof(ca), &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_EQ(-EFAULT, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);
	munmap(none, page);
	munmap(ro, page);
}

/*
 * A request that cannot run in a chain: the chain is refused at the CLONE
 * (-EINVAL), the culprit gets -EOPNOTSUPP, the rest -ECANCELED, no child.
 */
TEST_F(spawn, chain_disallowed_opcode)
{
	struct child_args a;
	struct chain c;
	char buf[8];
	int zero;

	/* /dev/zero: even a wrongly run READ would not block. */
	zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(zero, 0);
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_read(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK), zero,
		  buf, sizeof(buf));
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_EQ(-EINVAL, c.res[1]);
	ASSERT_EQ(-EOPNOTSUPP, c.res[2]);
	ASSERT_EQ(-ECANCELED, c.res[3]);
	assert_no_child(_metadata);
	close(zero);
}

/*
 * A CLONE inside a chain is refused. The spec says at the head CLONE
 * (-EINVAL, the inner CLONE -EOPNOTSUPP); but the inner CLONE is also "not
 * the head of its link", which its own prep may catch at submission (inner
 * -EINVAL, the head then -ECANCELED). Either way: nothing runs, no child.
 */
TEST_F(spawn, chain_nested_clone)
{
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_clone(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_TRUE(c.res[1] == -EINVAL || c.res[1] == -ECANCELED)
		TH_LOG("outer CLONE: %d", c.res[1]);
	ASSERT_TRUE(c.res[2] == -EOPNOTSUPP || c.res[2] == -EINVAL)
		TH_LOG("inner CLONE: %d", c.res[2]);
	ASSERT_EQ(-ECANCELED, c.res[3]);
	assert_no_child(_metadata);
}

/*
 * A linked timeout in a chain is refused. As above, the spec's outcome
 * (CLONE -EINVAL, the timeout -EOPNOTSUPP) or a refusal when the timeout is
 * prepared (timeout -EINVAL, CLONE -ECANCELED); no child either way.
 */
TEST_F(spawn, chain_linked_timeout)
{
	struct __kernel_timespec ts = { .tv_sec = 5 };
	struct io_uring_sqe *sqe;
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_nop(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK));
	sqe = add_sqe(_metadata, &self->ring, 3, IOSQE_IO_LINK);
	sqe->opcode = IORING_OP_LINK_TIMEOUT;
	sqe->addr = (__u64)(uintptr_t)&ts;
	sqe->len = 1;
	prep_exec(add_sqe(_metadata, &self->ring, 4, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 4, &c);
	ASSERT_TRUE(c.res[1] == -EINVAL || c.res[1] == -ECANCELED)
		TH_LOG("CLONE: %d", c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	ASSERT_TRUE(c.res[3] == -EOPNOTSUPP || c.res[3] == -EINVAL)
		TH_LOG("LINK_TIMEOUT: %d", c.res[3]);
	ASSERT_EQ(-ECANCELED, c.res[4]);
	assert_no_child(_metadata);
}

/* A registered personality in a chain: refused, the culprit -EINVAL. */
TEST_F(spawn, chain_personality)
{
	struct io_uring_sqe *sqe;
	struct child_args a;
	struct chain c;
	int id;

	id = ring_register_personality(&self->ring);
	ASSERT_GT(id, 0) TH_LOG("IORING_REGISTER_PERSONALITY: %s",
				strerror(-id));
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	sqe = add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK);
	prep_nop(sqe);
	sqe->personality = id;
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_EQ(-EINVAL, c.res[1]);
	ASSERT_EQ(-EINVAL, c.res[2]);
	ASSERT_EQ(-ECANCELED, c.res[3]);
	assert_no_child(_metadata);
}

/*
 * A failing step (a NOP told to complete with -EIO) ends the chain: the
 * EXEC is cancelled and the child exits 127 without running anything.
 */
TEST_F(spawn, chain_step_fails)
{
	struct child_args a;
	struct chain c;
	int status;

	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_nop_inject(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK), -EIO);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(-EIO, c.res[2]);
	ASSERT_EQ(-ECANCELED, c.res[3]);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 127);
}

/* Same with a real operation: an OPENAT of a missing file. */
TEST_F(spawn, chain_openat_fails)
{
	char path[PATH_MAX];
	struct child_args a;
	struct chain c;
	int status;

	snprintf(path, sizeof(path), "%s/missing", self->tmpdir);
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK),
		    AT_FDCWD, path, O_RDONLY, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(-ENOENT, c.res[2]);
	ASSERT_EQ(-ECANCELED, c.res[3]);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 127);
}

/* A failed step that is hard-linked lets the chain go on. */
TEST_F(spawn, hardlink_continues)
{
	char rep[REPORT_MAX], path[PATH_MAX];
	struct child_args a;
	struct chain c;
	int rp[2];

	snprintf(path, sizeof(path), "%s/missing", self->tmpdir);
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_HARDLINK),
		    AT_FDCWD, path, O_RDONLY, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(-ENOENT, c.res[2]);
	ASSERT_EQ(0, c.res[3]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
}

/* $PATH search: hard-linked EXECs, the first that works wins. */
TEST_F(spawn, path_search)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct chain c;
	int rp[2];

	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_HARDLINK),
		  AT_FDCWD, "/nonexistent/a/spawn_child", a.argv, test_envp, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, IOSQE_IO_HARDLINK),
		  AT_FDCWD, "/nonexistent/b/spawn_child", a.argv, test_envp, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 4, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 4, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(-ENOENT, c.res[2]);
	ASSERT_EQ(-ENOENT, c.res[3]);
	ASSERT_EQ(0, c.res[4]);
	ASSERT_TRUE(chain_in_order(&c, 2)) TH_LOG("chain CQEs out of order");
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "argv[2]=exit:0"));
}

/* The successful EXEC ends the chain: what follows it is cancelled. */
TEST_F(spawn, after_exec_canceled)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct chain c;
	int rp[2];

	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	prep_nop(add_sqe(_metadata, &self->ring, 3, 0));
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	ASSERT_EQ(-ECANCELED, c.res[3]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
}

/*
 * Many spawns in a row leak neither descriptors nor processes: our fd
 * count is unchanged and no process has us as its parent afterwards. The
 * limit allows for a KASAN kernel under TCG (about 0.3 s a spawn there).
 */
TEST_F_TIMEOUT(spawn, many_spawns, 900)
{
	int before, after, i, status;
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:0");
	before = spawn_count_fds();
	ASSERT_GT(before, 0);
	for (i = 0; i < NR_SPAWNS; i++) {
		add_spawn(_metadata, &self->ring, NULL, 0, &a);
		submit_and_wait(_metadata, &self->ring, 2, &c);
		ASSERT_GT(c.res[1], 0) TH_LOG("spawn %d: CLONE %d", i, c.res[1]);
		ASSERT_EQ(0, c.res[2]) TH_LOG("spawn %d: EXEC %d", i, c.res[2]);
		status = reap_status(_metadata, c.res[1]);
		assert_exit(_metadata, status, 0);
	}
	after = spawn_count_fds();
	ASSERT_EQ(before, after);
	ASSERT_EQ(0, spawn_walk_children(NULL));
	ASSERT_FALSE(spawn_has_children());
}

/*
 * Several chains in one submission: each child frees its requests through
 * task_work queued to us (TWA_SIGNAL on a plain ring), so the CLONEs after
 * the first are often issued while we have TIF_NOTIFY_SIGNAL set. That
 * notification is ours, not the child's: every EXEC must still succeed
 * (an inherited flag made exec's interruptible waits fail with -EINTR).
 * The NOPs between the chains give the earlier children time to run.
 */
#define BUSY_ROUNDS	150
#define BUSY_CHAINS	4
#define BUSY_NOPS	24
#define BUSY_PER_CHAIN	(3 + BUSY_NOPS)

TEST_F_TIMEOUT(spawn, submitter_task_work_pending, 900)
{
	struct spawn_cqe cqes[BUSY_CHAINS * BUSY_PER_CHAIN];
	int before, round, i, j, got, eintr = 0;
	pid_t pids[BUSY_CHAINS];
	struct spawn_ring r;
	struct child_args a;

	before = spawn_count_fds();
	ASSERT_EQ(0, ring_init(&r, 128, 0, 0));
	child_argv(self, &a, -1, "exit:0");
	for (round = 0; round < BUSY_ROUNDS; round++) {
		for (i = 0; i < BUSY_CHAINS; i++) {
			__u64 ud = (__u64)i * BUSY_PER_CHAIN;

			prep_clone(add_sqe(_metadata, &r, ud + 1,
					   IOSQE_IO_LINK), NULL, 0);
			prep_nop(add_sqe(_metadata, &r, ud + 2, IOSQE_IO_LINK));
			prep_exec(add_sqe(_metadata, &r, ud + 3, 0), AT_FDCWD,
				  a.argv[0], a.argv, test_envp, 0);
			for (j = 0; j < BUSY_NOPS; j++)
				prep_nop(add_sqe(_metadata, &r, ud + 4 + j, 0));
		}
		ASSERT_EQ(BUSY_CHAINS * BUSY_PER_CHAIN, ring_submit(&r));
		got = ring_wait_cqes(&r, cqes, ARRAY_SIZE(cqes), WAIT_MS);
		ASSERT_EQ((int)ARRAY_SIZE(cqes), got);
		memset(pids, 0, sizeof(pids));
		for (j = 0; j < got; j++) {
			__u64 ud = cqes[j].user_data - 1;
			int res = cqes[j].res;

			i = ud / BUSY_PER_CHAIN;
			ASSERT_LT(i, BUSY_CHAINS);
			switch (ud % BUSY_PER_CHAIN) {
			case 0:
				ASSERT_GT(res, 0) TH_LOG("round %d: CLONE %d",
							 round, res);
				pids[i] = res;
				break;
			case 2:
				eintr += res == -EINTR;
				EXPECT_EQ(0, res) TH_LOG("round %d chain %d: EXEC %s",
							 round, i,
							 strerror(-res));
				break;
			default:
				ASSERT_EQ(0, res);
			}
		}
		for (i = 0; i < BUSY_CHAINS; i++)
			assert_exit(_metadata, reap_status(_metadata, pids[i]),
				    0);
		ASSERT_EQ(0, eintr);
	}
	ring_exit(&r);
	ASSERT_EQ(before, spawn_count_fds());
	ASSERT_FALSE(spawn_has_children());
}

/* DEFER_TASKRUN | SINGLE_ISSUER rings spawn like any other. */
TEST_F(spawn, defer_taskrun)
{
	char rep[REPORT_MAX];
	struct spawn_ring r;
	struct child_args a;
	struct chain c;
	int rp[2];

	ASSERT_EQ(0, ring_init(&r, 8, IORING_SETUP_SINGLE_ISSUER |
				      IORING_SETUP_DEFER_TASKRUN, 0));
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	add_spawn(_metadata, &r, NULL, 0, &a);
	submit_and_wait(_metadata, &r, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "ppid=%d", getpid()));
	ring_exit(&r);
}

/* On an SQPOLL ring the submitter is a kernel thread: -EOPNOTSUPP. */
TEST_F(spawn, sqpoll_refused)
{
	struct spawn_ring r;
	struct child_args a;
	struct chain c;
	int ret;

	ret = ring_init(&r, 8, IORING_SETUP_SQPOLL, 1000);
	if (ret == -EPERM)
		SKIP(return, "SQPOLL rings need privileges here");
	ASSERT_EQ(0, ret);
	child_argv(self, &a, -1, "exit:99");
	add_spawn(_metadata, &r, NULL, 0, &a);
	submit_and_wait(_metadata, &r, 2, &c);
	ASSERT_EQ(-EOPNOTSUPP, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);
	ring_exit(&r);
}

static void noop_handler(int sig)
{
	(void)sig;
}

/*
 * A signal kills the child in the middle of its chain: it dies of that
 * signal, and the chain's remaining requests still complete (negative).
 * We have a SIGTERM handler; the child must not (default handlers), or a
 * handler would run in a child that shares our memory and never exec'd.
 */
TEST_F(spawn, child_killed_mid_chain)
{
	struct sigaction sa = { .sa_handler = noop_handler };
	struct spawn_cqe cqes[3];
	char fifo[PATH_MAX];
	struct child_args a;
	struct chain c;
	int status, i;
	pid_t pid;

	ASSERT_EQ(0, sigaction(SIGTERM, &sa, NULL));
	snprintf(fifo, sizeof(fifo), "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK),
		    AT_FDCWD, fifo, O_RDONLY, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	ASSERT_EQ(3, ring_submit(&self->ring));

	/* Nobody opens the FIFO for writing: the OPENAT blocks. */
	ASSERT_EQ(1, ring_wait_cqes(&self->ring, cqes, 1, WAIT_MS));
	ASSERT_EQ(1ULL, cqes[0].user_data);
	ASSERT_GT(cqes[0].res, 0);
	pid = cqes[0].res;

	ASSERT_EQ(0, kill(pid, SIGTERM));
	status = reap_status(_metadata, pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		TH_LOG("child %s, expected killed by SIGTERM",
		       describe_status(status));

	ASSERT_EQ(2, ring_wait_cqes(&self->ring, cqes + 1, 2, WAIT_MS));
	memset(&c, 0, sizeof(c));
	for (i = 1; i < 3; i++) {
		ASSERT_TRUE(cqes[i].user_data == 2 || cqes[i].user_data == 3);
		c.res[cqes[i].user_data] = cqes[i].res;
	}
	ASSERT_LT(c.res[2], 0) TH_LOG("OPENAT: %d", c.res[2]);
	ASSERT_LT(c.res[3], 0) TH_LOG("EXEC: %d", c.res[3]);
}

/*
 * In a forked helper: set up a ring, submit CLONE -> OPENAT(@fifo, read:
 * blocks until a writer comes) -> EXEC, send the CLONE's result (the pid)
 * on @info_fd, then exec @exec_argv if given, else wait to be killed.
 * Never returns; no ASSERTs here, this is not the test process.
 */
static void __noreturn
chain_helper(const char *child, const char *fifo, char **argv, int info_fd,
	     char *const *exec_argv)
{
	struct io_uring_sqe *sqe;
	struct spawn_cqe cqe;
	struct spawn_ring r;
	int pid = -1;

	if (ring_init(&r, 8, 0, 0))
		goto out;
	sqe = ring_get_sqe(&r);
	prep_clone(sqe, NULL, 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = ring_get_sqe(&r);
	prep_openat(sqe, AT_FDCWD, fifo, O_RDONLY, 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 2;
	sqe = ring_get_sqe(&r);
	prep_exec(sqe, AT_FDCWD, child, argv, test_envp, 0);
	sqe->user_data = 3;
	if (ring_submit(&r) != 3)
		goto out;
	if (ring_wait_cqes(&r, &cqe, 1, WAIT_MS) == 1 && cqe.user_data == 1)
		pid = cqe.res;
out:
	if (write(info_fd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(1);
	if (exec_argv)
		execve(exec_argv[0], exec_argv, test_envp);
	for (;;)
		pause();
}

/*
 * The submitter is SIGKILLed while its chain is blocked in the child.
 *
 * Expected: the chain continues and execs. The child holds the ring open
 * through its copy of the fd table, and its requests run in the child, not
 * in the dead submitter. The spec also allows a torn-down chain (exit 127);
 * either way the killed submitter dies without waiting for the chain, and
 * the child, reparented to us as the child subreaper, is reaped and is no
 * zombie nobody can find.
 */
TEST_F_TIMEOUT(spawn, submitter_killed_mid_chain, 90)
{
	char rep[REPORT_MAX], fifo[PATH_MAX];
	int rp[2], ip[2], status, pid = -1;
	struct child_args a;
	pid_t helper, r;
	ssize_t n;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	snprintf(fifo, sizeof(fifo), "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	ASSERT_EQ(0, report_pipe(rp));
	ASSERT_EQ(0, pipe2(ip, O_CLOEXEC));
	child_argv(self, &a, rp[1], "exit:0");

	helper = fork();
	ASSERT_GE(helper, 0);
	if (helper == 0)
		chain_helper(self->child, fifo, a.argv, ip[1], NULL);
	close(ip[1]);
	close(rp[1]);
	rp[1] = -1;

	ASSERT_EQ(0, read_exact(ip[0], &pid, sizeof(pid), WAIT_MS))
		TH_LOG("no word from the helper");
	ASSERT_GT(pid, 0) TH_LOG("helper's CLONE: %d", pid);

	/* The chain is now blocked in the FIFO open, in the child. */
	ASSERT_EQ(0, kill(helper, SIGKILL));
	r = reap(helper, &status, WAIT_MS);
	if (r != helper) {
		/* Let the chain go on so the helper can finish dying. */
		unblock_and_reap(fifo, pid, &status, WAIT_MS);
		reap(helper, &status, WAIT_MS);
	}
	ASSERT_EQ(helper, r) TH_LOG("the killed submitter did not die");
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* Reparented to us: let its chain go on and collect it. */
	r = unblock_and_reap(fifo, pid, &status, WAIT_MS);
	ASSERT_EQ(pid, r) TH_LOG("spawned child %d not reaped: %s", pid,
				 r ? strerror(errno) : "timed out");
	ASSERT_TRUE(WIFEXITED(status) &&
		    (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 127))
		TH_LOG("child %s", describe_status(status));
	n = read_all(rp[0], rep, sizeof(rep), WAIT_MS);
	ASSERT_GE(n, 0);
	if (WEXITSTATUS(status) == 0) {
		TH_LOG("chain went on and exec'd after the submitter died");
		ASSERT_TRUE(report_has(rep, "end"));
		ASSERT_TRUE(report_has(rep, "pid=%d", pid));
	} else {
		TH_LOG("chain was torn down with the submitter (exit 127)");
		ASSERT_EQ(0, n);
	}
}

/*
 * The submitter execs while its chain is blocked in the child. Documented
 * outcome: its exec waits for its in-flight io_uring requests, the chain's
 * among them, as for any request; once the chain goes on (here: the FIFO
 * gets a writer), both execs complete and both processes are reaped.
 */
TEST_F_TIMEOUT(spawn, submitter_execs_mid_chain, 90)
{
	char *const exec_argv[] = { self->child, "-", "exit:5", NULL };
	int ip[2], status, wfd, pid = -1;
	char fifo[PATH_MAX];
	struct child_args a;
	pid_t helper, r;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	snprintf(fifo, sizeof(fifo), "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	ASSERT_EQ(0, pipe2(ip, O_CLOEXEC));
	child_argv(self, &a, -1, "exit:0");

	helper = fork();
	ASSERT_GE(helper, 0);
	if (helper == 0)
		chain_helper(self->child, fifo, a.argv, ip[1], exec_argv);
	close(ip[1]);
	ASSERT_EQ(0, read_exact(ip[0], &pid, sizeof(pid), WAIT_MS));
	ASSERT_GT(pid, 0);

	/* Its exec is held by the blocked chain. */
	usleep(500000);
	ASSERT_EQ(0, waitpid(helper, &status, WNOHANG))
		TH_LOG("the submitter's exec did not wait for its chain");

	/* A reader waits in the FIFO: this open does not block. */
	wfd = open(fifo, O_WRONLY | O_CLOEXEC);
	ASSERT_GE(wfd, 0);
	r = reap(helper, &status, WAIT_MS);
	close(wfd);
	ASSERT_EQ(helper, r) TH_LOG("the submitter's exec never completed");
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 5)
		TH_LOG("submitter %s", describe_status(status));
	/* The submitter is gone: its child is ours now (subreaper). */
	r = reap(pid, &status, WAIT_MS);
	ASSERT_EQ(pid, r) TH_LOG("spawned child not reaped");
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child %s", describe_status(status));
}

/*
 * The ring is closed (fd and mappings) while a chain is blocked in the
 * child. Expected: the chain goes on and execs, the child's copy of the fd
 * table keeping the ring alive until the exec closes it (close-on-exec);
 * a teardown (exit 127) is allowed too. Either way nothing hangs and the
 * child is reaped.
 */
TEST_F_TIMEOUT(spawn, ring_closed_mid_chain, 90)
{
	char rep[REPORT_MAX], fifo[PATH_MAX];
	struct spawn_cqe cqe;
	struct child_args a;
	int rp[2], status;
	pid_t pid, r;
	ssize_t n;

	snprintf(fifo, sizeof(fifo), "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK),
		    AT_FDCWD, fifo, O_RDONLY, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	ASSERT_EQ(3, ring_submit(&self->ring));
	ASSERT_EQ(1, ring_wait_cqes(&self->ring, &cqe, 1, WAIT_MS));
	ASSERT_EQ(1ULL, cqe.user_data);
	ASSERT_GT(cqe.res, 0);
	pid = cqe.res;

	ring_exit(&self->ring);
	close(rp[1]);
	rp[1] = -1;

	r = unblock_and_reap(fifo, pid, &status, WAIT_MS);
	ASSERT_EQ(pid, r) TH_LOG("spawned child %d not reaped: %s", pid,
				 r ? strerror(errno) : "timed out");
	ASSERT_TRUE(WIFEXITED(status) &&
		    (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 127))
		TH_LOG("child %s", describe_status(status));
	n = read_all(rp[0], rep, sizeof(rep), WAIT_MS);
	ASSERT_GE(n, 0);
	if (WEXITSTATUS(status) == 0) {
		TH_LOG("chain went on and exec'd after the ring was closed");
		ASSERT_TRUE(report_has(rep, "end"));
	} else {
		TH_LOG("chain was torn down with the ring (exit 127)");
	}
	ASSERT_FALSE(spawn_has_children());
}

/*
 * posix_spawn parity: IORING_OP_DUP, IORING_OP_CHDIR, IORING_OP_CLOSE_RANGE
 * and the CLONE attributes (struct io_uring_spawn_attr).
 */

/* A step of a chain: linked to what follows. */
static struct io_uring_sqe *step(struct __test_metadata *_metadata,
				 SPAWN_DATA *self, __u64 user_data)
{
	return add_sqe(_metadata, &self->ring, user_data, IOSQE_IO_LINK);
}

/* The CLONE, user_data 1, with attributes if @attr is not NULL. */
static void begin_spawn(struct __test_metadata *_metadata, SPAWN_DATA *self,
			const struct io_uring_spawn_attr *attr)
{
	struct io_uring_sqe *sqe = step(_metadata, self, 1);

	prep_clone(sqe, NULL, 0);
	if (attr)
		prep_clone_attr(sqe, attr);
}

/* The EXEC of spawn_child as user_data @last; submit and wait for all. */
static void end_spawn(struct __test_metadata *_metadata, SPAWN_DATA *self,
		      struct child_args *a, __u64 last, struct chain *c)
{
	prep_exec(add_sqe(_metadata, &self->ring, last, 0), AT_FDCWD,
		  self->child, a->argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, last, c);
}

/*
 * A chain whose step @bad failed with @err: the steps after it are
 * cancelled and the child exits 127 (or, for a failure caught at
 * submission, no child exists).
 */
static void assert_failed_at(struct __test_metadata *_metadata,
			     const struct chain *c, int bad, int err)
{
	int i;

	ASSERT_EQ(err, c->res[bad]) TH_LOG("step %d: %s", bad,
					   strerror(-c->res[bad]));
	for (i = bad + 1; i <= c->n; i++)
		ASSERT_EQ(-ECANCELED, c->res[i]) TH_LOG("step %d", i);
	assert_chain_failed(_metadata, c->res[1]);
}

/* Spawn spawn_child with nothing but @attr; its report goes to @rep. */
static void spawn_with_attr(struct __test_metadata *_metadata,
			    SPAWN_DATA *self,
			    const struct io_uring_spawn_attr *attr,
			    char *rep, size_t size)
{
	struct child_args a;
	struct chain c;
	int rp[2];

	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	begin_spawn(_metadata, self, attr);
	end_spawn(_metadata, self, &a, 2, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]) TH_LOG("EXEC: %s", strerror(-c.res[2]));
	collect_report(_metadata, rp, c.res[1], rep, size);
	close(rp[0]);
}

TEST_F(spawn, parity_probe)
{
	ASSERT_EQ(1, ring_probe_op(&self->ring, IORING_OP_DUP));
	ASSERT_EQ(1, ring_probe_op(&self->ring, IORING_OP_CHDIR));
	ASSERT_EQ(1, ring_probe_op(&self->ring, IORING_OP_CLOSE_RANGE));
}

/* DUP is dup2 in the child: the target gets the source's file. */
TEST_F(spawn, dup_onto_fd)
{
	char rep[REPORT_MAX], path[PATH_MAX];
	struct child_args a;
	struct chain c;
	int rp[2], fd;

	snprintf(path, sizeof(path), "%s/dupped", self->tmpdir);
	ASSERT_EQ(0, write_file(path, "x", 0600));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_TRUE(fd_closed(40) && fd_closed(41));
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	begin_spawn(_metadata, self, NULL);
	prep_dup(step(_metadata, self, 2), fd, 40, 0);
	prep_dup(step(_metadata, self, 3), fd, 41, IORING_DUP_CLOEXEC);
	end_spawn(_metadata, self, &a, 4, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(40, c.res[2]);
	ASSERT_EQ(41, c.res[3]);
	ASSERT_EQ(0, c.res[4]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "link=40:%s", path)) TH_LOG("%s", rep);
	ASSERT_FALSE(report_has(rep, "fd=41"));		/* IORING_DUP_CLOEXEC */
	ASSERT_FALSE(report_has(rep, "fd=%d", fd));	/* O_CLOEXEC source */
	ASSERT_TRUE(fd_closed(40) && fd_closed(41)) TH_LOG("ours changed");
	close(fd);
}

/*
 * posix_spawn's adddup2(fd, fd) clears FD_CLOEXEC (POSIX.1-2024); a move
 * onto itself changes nothing; IORING_DUP_CLOEXEC sets the flag.
 */
TEST_F(spawn, dup_onto_itself)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct chain c;
	int rp[2], keep, moved, marked;

	keep = open("/dev/null", O_RDONLY | O_CLOEXEC);
	moved = open("/dev/null", O_RDONLY | O_CLOEXEC);
	marked = open("/dev/null", O_RDONLY);
	ASSERT_GE(keep, 0);
	ASSERT_GE(moved, 0);
	ASSERT_GE(marked, 0);
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	begin_spawn(_metadata, self, NULL);
	prep_dup(step(_metadata, self, 2), keep, keep, 0);
	prep_dup(step(_metadata, self, 3), moved, moved, IORING_DUP_MOVE);
	prep_dup(step(_metadata, self, 4), marked, marked, IORING_DUP_CLOEXEC);
	end_spawn(_metadata, self, &a, 5, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(keep, c.res[2]);
	ASSERT_EQ(moved, c.res[3]);
	ASSERT_EQ(marked, c.res[4]);
	ASSERT_EQ(0, c.res[5]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "fd=%d", keep)) TH_LOG("%s", rep);
	ASSERT_FALSE(report_has(rep, "fd=%d", moved));
	ASSERT_FALSE(report_has(rep, "fd=%d", marked));
	/* Our own flags are untouched. */
	ASSERT_EQ(FD_CLOEXEC, fcntl(keep, F_GETFD));
	ASSERT_EQ(0, fcntl(marked, F_GETFD));
	close(keep);
	close(moved);
	close(marked);
}

/*
 * A file a step closes is released before the next step, as between two
 * syscalls: a program the chain opened for writing and closed can be
 * exec'd, as after posix_spawn's addopen and addclose. (The child's final
 * fput is deferred to its task_work, which it runs before each step.)
 */
TEST_F(spawn, close_then_exec)
{
	char prog[PATH_MAX];
	struct child_args a;
	struct chain c;
	int fd;

	snprintf(prog, sizeof(prog), "%s/prog", self->tmpdir);
	ASSERT_EQ(0, copy_file(self->child, prog, 0700));
	child_argv(self, &a, -1, "exit:0");
	a.argv[0] = prog;
	fd = lowest_free_fd();
	begin_spawn(_metadata, self, NULL);
	prep_openat(step(_metadata, self, 2), AT_FDCWD, prog,
		    O_WRONLY | O_CLOEXEC, 0);
	prep_close(step(_metadata, self, 3), fd);
	prep_exec(add_sqe(_metadata, &self->ring, 4, 0), AT_FDCWD, prog,
		  a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 4, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(fd, c.res[2]);
	ASSERT_EQ(0, c.res[3]);
	ASSERT_EQ(0, c.res[4]) TH_LOG("EXEC: %s", strerror(-c.res[4]));
	assert_exit(_metadata, reap_status(_metadata, c.res[1]), 0);
}

/* "Open onto fd N": OPENAT, then DUP of its result, moved. */
TEST_F(spawn, open_onto_fd)
{
	char rep[REPORT_MAX], path[PATH_MAX];
	struct child_args a;
	struct chain c;
	int rp[2];

	snprintf(path, sizeof(path), "%s/onto", self->tmpdir);
	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	begin_spawn(_metadata, self, NULL);
	prep_openat(step(_metadata, self, 2), AT_FDCWD, path,
		    O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	prep_dup(step(_metadata, self, 3), 0, 42,
		 IORING_DUP_FROM_PREV | IORING_DUP_MOVE);
	prep_openat(step(_metadata, self, 4), AT_FDCWD, "/dev/null",
		    O_RDONLY, 0);
	prep_dup(step(_metadata, self, 5), 0, 0,
		 IORING_DUP_FROM_PREV | IORING_DUP_MOVE);
	end_spawn(_metadata, self, &a, 6, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_GE(c.res[2], 0) TH_LOG("OPENAT: %s", strerror(-c.res[2]));
	ASSERT_EQ(42, c.res[3]);
	ASSERT_GE(c.res[4], 0);
	ASSERT_EQ(0, c.res[5]);
	ASSERT_EQ(0, c.res[6]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	/* dup2 clears FD_CLOEXEC, as glibc's addopen does. */
	ASSERT_TRUE(report_has(rep, "link=42:%s", path)) TH_LOG("%s", rep);
	ASSERT_TRUE(report_has(rep, "link=0:/dev/null")) TH_LOG("%s", rep);
	/* The opened fds were moved away. */
	if (c.res[2] != 42)
		ASSERT_FALSE(report_has(rep, "fd=%d", c.res[2]));
	if (c.res[4] != 0)
		ASSERT_FALSE(report_has(rep, "fd=%d", c.res[4]));
	ASSERT_EQ(0, access(path, F_OK));
}

TEST_F(spawn, dup_errors)
{
	struct io_uring_sqe *sqe;
	struct child_args a;
	struct chain c;

	ASSERT_TRUE(fd_closed(900));
	child_argv(self, &a, -1, "exit:99");

	/* The source is not open. */
	begin_spawn(_metadata, self, NULL);
	prep_dup(step(_metadata, self, 2), 900, 40, 0);
	end_spawn(_metadata, self, &a, 3, &c);
	assert_failed_at(_metadata, &c, 2, -EBADF);

	/* The target is past RLIMIT_NOFILE. */
	begin_spawn(_metadata, self, NULL);
	prep_dup(step(_metadata, self, 2), 0, 1U << 30, 0);
	end_spawn(_metadata, self, &a, 3, &c);
	assert_failed_at(_metadata, &c, 2, -EBADF);

	/* FROM_PREV after a request that gives no fd, or first. */
	begin_spawn(_metadata, self, NULL);
	prep_nop(step(_metadata, self, 2));
	prep_dup(step(_metadata, self, 3), 0, 40, IORING_DUP_FROM_PREV);
	end_spawn(_metadata, self, &a, 4, &c);
	ASSERT_EQ(0, c.res[2]);
	assert_failed_at(_metadata, &c, 3, -EBADF);

	begin_spawn(_metadata, self, NULL);
	prep_dup(step(_metadata, self, 2), 0, 40, IORING_DUP_FROM_PREV);
	end_spawn(_metadata, self, &a, 3, &c);
	assert_failed_at(_metadata, &c, 2, -EBADF);

	/* FROM_PREV after a failed, hard-linked OPENAT. */
	begin_spawn(_metadata, self, NULL);
	prep_openat(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_HARDLINK),
		    AT_FDCWD, "/nonexistent/x", O_RDONLY, 0);
	prep_dup(step(_metadata, self, 3), 0, 40, IORING_DUP_FROM_PREV);
	end_spawn(_metadata, self, &a, 4, &c);
	ASSERT_EQ(-ENOENT, c.res[2]);
	assert_failed_at(_metadata, &c, 3, -EBADF);

	/* Bad SQEs: a source fd with FROM_PREV, an unknown flag, a field. */
	begin_spawn(_metadata, self, NULL);
	prep_dup(step(_metadata, self, 2), 3, 40, IORING_DUP_FROM_PREV);
	end_spawn(_metadata, self, &a, 3, &c);
	ASSERT_EQ(-EINVAL, c.res[2]);
	assert_chain_failed(_metadata, c.res[1]);

	begin_spawn(_metadata, self, NULL);
	prep_dup(step(_metadata, self, 2), 0, 40, 1U << 3);
	end_spawn(_metadata, self, &a, 3, &c);
	ASSERT_EQ(-EINVAL, c.res[2]);
	assert_chain_failed(_metadata, c.res[1]);

	begin_spawn(_metadata, self, NULL);
	sqe = step(_metadata, self, 2);
	prep_dup(sqe, 0, 40, 0);
	sqe->addr = 1;
	end_spawn(_metadata, self, &a, 3, &c);
	ASSERT_EQ(-EINVAL, c.res[2]);
	assert_chain_failed(_metadata, c.res[1]);
}

/* The chain-only opcodes refuse to run in the submitter's context. */
TEST_F(spawn, parity_ops_outside_chain)
{
	struct chain c;

	prep_dup(add_sqe(_metadata, &self->ring, 1, 0), 0, 40, 0);
	prep_chdir(add_sqe(_metadata, &self->ring, 2, 0), AT_FDCWD, "/");
	prep_close_range(add_sqe(_metadata, &self->ring, 3, 0), 40, 40, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_EQ(-EINVAL, c.res[1]);
	ASSERT_EQ(-EINVAL, c.res[2]);
	ASSERT_EQ(-EINVAL, c.res[3]);
	ASSERT_TRUE(fd_closed(40));
}

/* CHDIR: absolute, relative to a dirfd, and fchdir. */
TEST_F(spawn, chdir_ops)
{
	char rep[REPORT_MAX], sub[PATH_MAX], here[PATH_MAX], now[PATH_MAX];
	const char *paths[3];
	struct child_args a;
	struct chain c;
	int rp[2], dfd, i;

	ASSERT_NE(NULL, getcwd(here, sizeof(here)));
	snprintf(sub, sizeof(sub), "%s/sub", self->tmpdir);
	ASSERT_EQ(0, mkdir(sub, 0700));
	dfd = open(self->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(dfd, 0);
	paths[0] = sub;
	paths[1] = "sub";
	paths[2] = NULL;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, report_pipe(rp));
		child_argv(self, &a, rp[1], "exit:0");
		begin_spawn(_metadata, self, NULL);
		prep_chdir(step(_metadata, self, 2), i ? dfd : AT_FDCWD,
			   paths[i]);
		end_spawn(_metadata, self, &a, 3, &c);
		ASSERT_GT(c.res[1], 0);
		ASSERT_EQ(0, c.res[2]) TH_LOG("CHDIR %d: %s", i,
					      strerror(-c.res[2]));
		ASSERT_EQ(0, c.res[3]);
		collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
		close(rp[0]);
		ASSERT_TRUE(report_has(rep, "cwd=%s", i < 2 ? sub : self->tmpdir))
			TH_LOG("case %d:\n%s", i, rep);
	}
	ASSERT_NE(NULL, getcwd(now, sizeof(now)));
	ASSERT_STREQ(here, now);
	close(dfd);
}

TEST_F(spawn, chdir_errors)
{
	char file[PATH_MAX], missing[PATH_MAX];
	struct io_uring_sqe *sqe;
	struct child_args a;
	struct chain c;
	int ffd;

	snprintf(file, sizeof(file), "%s/file", self->tmpdir);
	snprintf(missing, sizeof(missing), "%s/missing", self->tmpdir);
	ASSERT_EQ(0, write_file(file, "", 0600));
	ffd = open(file, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ffd, 0);
	child_argv(self, &a, -1, "exit:99");

	struct {
		int dfd;
		const char *path;
		int err;
	} cases[] = {
		{ AT_FDCWD, missing, -ENOENT },
		{ AT_FDCWD, file, -ENOTDIR },
		{ AT_FDCWD, "", -ENOENT },
		{ AT_FDCWD, (const char *)8, -EFAULT },
		{ 900, "relative", -EBADF },
		{ 900, NULL, -EBADF },		/* fchdir of a closed fd */
		{ ffd, NULL, -ENOTDIR },	/* fchdir of a file */
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		begin_spawn(_metadata, self, NULL);
		prep_chdir(step(_metadata, self, 2), cases[i].dfd,
			   cases[i].path);
		end_spawn(_metadata, self, &a, 3, &c);
		ASSERT_GT(c.res[1], 0) TH_LOG("case %u", i);
		assert_failed_at(_metadata, &c, 2, cases[i].err);
	}

	/* A reserved field: refused at submission. */
	begin_spawn(_metadata, self, NULL);
	sqe = step(_metadata, self, 2);
	prep_chdir(sqe, AT_FDCWD, "/");
	sqe->len = 1;
	end_spawn(_metadata, self, &a, 3, &c);
	ASSERT_EQ(-EINVAL, c.res[2]);
	assert_chain_failed(_metadata, c.res[1]);
	close(ffd);
}

/* CLOSE_RANGE: closefrom, a close of an fd that is not open, CLOEXEC. */
TEST_F(spawn, close_range_ops)
{
	char rep[REPORT_MAX];
	struct child_args a;
	struct chain c;
	int rp[2], fd;

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(50, dup2(fd, 50));
	ASSERT_EQ(51, dup2(fd, 51));
	ASSERT_EQ(52, dup2(fd, 52));
	ASSERT_EQ(53, dup2(fd, 53));
	ASSERT_TRUE(fd_closed(45));
	ASSERT_EQ(0, report_pipe(rp));
	ASSERT_LT(rp[1], 45);
	child_argv(self, &a, rp[1], "exit:0");
	begin_spawn(_metadata, self, NULL);
	prep_close_range(step(_metadata, self, 2), 52, ~0U, 0);
	prep_close_range(step(_metadata, self, 3), 45, 45, 0);
	prep_close_range(step(_metadata, self, 4), 51, 51, CLOSE_RANGE_CLOEXEC);
	end_spawn(_metadata, self, &a, 5, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	ASSERT_EQ(0, c.res[3]);
	ASSERT_EQ(0, c.res[4]);
	ASSERT_EQ(0, c.res[5]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "fd=50")) TH_LOG("%s", rep);
	ASSERT_FALSE(report_has(rep, "fd=51"));
	ASSERT_FALSE(report_has(rep, "fd=52"));
	ASSERT_FALSE(report_has(rep, "fd=53"));
	ASSERT_TRUE(report_has(rep, "fd=%s", a.fd));	/* the report pipe */
	/* Ours are all still open. */
	for (int i = 50; i <= 53; i++) {
		ASSERT_GE(fcntl(i, F_GETFD), 0);
		close(i);
	}
	close(fd);
}

TEST_F(spawn, close_range_errors)
{
	static const struct {
		unsigned int first, last, flags;
	} cases[] = {
		{ 5, 4, 0 },
		{ 3, 10, CLOSE_RANGE_UNSHARE },
		{ 3, 10, 1U << 5 },
	};
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:99");
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		begin_spawn(_metadata, self, NULL);
		prep_close_range(step(_metadata, self, 2), cases[i].first,
				 cases[i].last, cases[i].flags);
		end_spawn(_metadata, self, &a, 3, &c);
		ASSERT_EQ(-EINVAL, c.res[2]) TH_LOG("case %u", i);
		assert_chain_failed(_metadata, c.res[1]);
	}
}

static int report_int(const char *rep, const char *key)
{
	char buf[32];

	if (!report_value(rep, key, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

TEST_F(spawn, attr_setsid)
{
	struct io_uring_spawn_attr attr = { .flags = IORING_SPAWN_SETSID };
	char rep[REPORT_MAX];
	int pid;

	spawn_with_attr(_metadata, self, &attr, rep, sizeof(rep));
	pid = report_int(rep, "pid=");
	ASSERT_EQ(pid, report_int(rep, "sid="));
	ASSERT_EQ(pid, report_int(rep, "pgid="));
	ASSERT_NE(getsid(0), pid);
}

TEST_F(spawn, attr_setpgroup)
{
	struct io_uring_spawn_attr attr = { .flags = IORING_SPAWN_SETPGROUP };
	char rep[REPORT_MAX];
	int pid;

	/* pgid 0: a new group led by the child. */
	spawn_with_attr(_metadata, self, &attr, rep, sizeof(rep));
	pid = report_int(rep, "pid=");
	ASSERT_EQ(pid, report_int(rep, "pgid="));
	ASSERT_EQ(getsid(0), report_int(rep, "sid="));

	/* Into an existing group of our session: a fresh one of ours. */
	attr.pgid = getpid();
	if (getpgrp() != getpid())
		ASSERT_EQ(0, setpgid(0, 0));
	spawn_with_attr(_metadata, self, &attr, rep, sizeof(rep));
	ASSERT_EQ(getpid(), report_int(rep, "pgid="));
}

/*
 * A failing attribute fails the first linked request with its errno,
 * the child exits 127, and the CLONE still gives the pid to reap.
 */
TEST_F(spawn, attr_failure)
{
	struct io_uring_spawn_attr attr = {
		.flags = IORING_SPAWN_SETPGROUP,
		.pgid = 0x3fffffff,	/* no such group */
	};
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:99");
	begin_spawn(_metadata, self, &attr);
	prep_nop(step(_metadata, self, 2));
	end_spawn(_metadata, self, &a, 3, &c);
	ASSERT_GT(c.res[1], 0);
	assert_failed_at(_metadata, &c, 2, -EPERM);

	/* setsid first makes the child a session leader: setpgid is EPERM. */
	attr.flags = IORING_SPAWN_SETSID | IORING_SPAWN_SETPGROUP;
	attr.pgid = getpgrp();
	begin_spawn(_metadata, self, &attr);
	end_spawn(_metadata, self, &a, 2, &c);
	ASSERT_GT(c.res[1], 0);
	assert_failed_at(_metadata, &c, 2, -EPERM);
}

TEST_F(spawn, attr_sigmask)
{
	struct io_uring_spawn_attr attr = { .flags = IORING_SPAWN_SETSIGMASK };
	char rep[REPORT_MAX];
	sigset_t ours;

	sigemptyset(&ours);
	sigaddset(&ours, SIGUSR2);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &ours, NULL));
	spawn_sigset_add(attr.sigmask, SIGUSR1);
	spawn_sigset_add(attr.sigmask, SIGTERM);
	spawn_sigset_add(attr.sigmask, SIGKILL);	/* ignored */
	spawn_sigset_add(attr.sigmask, SIGRTMIN + 1);
	spawn_with_attr(_metadata, self, &attr, rep, sizeof(rep));
	ASSERT_EQ(3, report_count(rep, "blocked=")) TH_LOG("%s", rep);
	ASSERT_TRUE(report_has(rep, "blocked=%d", SIGUSR1));
	ASSERT_TRUE(report_has(rep, "blocked=%d", SIGTERM));
	ASSERT_TRUE(report_has(rep, "blocked=%d", SIGRTMIN + 1));
}

TEST_F(spawn, attr_sigdefault)
{
	struct io_uring_spawn_attr attr = { .flags = IORING_SPAWN_SETSIGDEF };
	char rep[REPORT_MAX];

	ASSERT_NE(SIG_ERR, signal(SIGUSR1, SIG_IGN));
	ASSERT_NE(SIG_ERR, signal(SIGUSR2, SIG_IGN));
	/* Without the attribute, ignored signals stay ignored. */
	spawn_with_attr(_metadata, self, NULL, rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "ignored=%d", SIGUSR1)) TH_LOG("%s", rep);
	ASSERT_TRUE(report_has(rep, "ignored=%d", SIGUSR2));

	spawn_sigset_add(attr.sigdefault, SIGUSR1);
	spawn_sigset_add(attr.sigdefault, SIGKILL);	/* skipped */
	spawn_with_attr(_metadata, self, &attr, rep, sizeof(rep));
	ASSERT_FALSE(report_has(rep, "ignored=%d", SIGUSR1)) TH_LOG("%s", rep);
	ASSERT_TRUE(report_has(rep, "ignored=%d", SIGUSR2));
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

/* RESETIDS: the effective ids become the real ones. */
TEST_F(spawn, attr_resetids)
{
	struct io_uring_spawn_attr attr = { .flags = IORING_SPAWN_RESETIDS };
	char rep[REPORT_MAX];

	if (getuid() != 0)
		SKIP(return, "needs root to give itself other effective ids");
	ASSERT_EQ(0, setresgid(-1, 65534, -1));
	ASSERT_EQ(0, setresuid(-1, 65534, -1));
	ASSERT_EQ(0, access(self->child, X_OK));

	/* The exec makes the saved ids the effective ones. */
	spawn_with_attr(_metadata, self, NULL, rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "uid=0,65534,65534")) TH_LOG("%s", rep);
	ASSERT_TRUE(report_has(rep, "gid=0,65534,65534")) TH_LOG("%s", rep);

	spawn_with_attr(_metadata, self, &attr, rep, sizeof(rep));
	ASSERT_TRUE(report_has(rep, "uid=0,0,0")) TH_LOG("%s", rep);
	ASSERT_TRUE(report_has(rep, "gid=0,0,0")) TH_LOG("%s", rep);
	ASSERT_EQ(0, setresuid(-1, 0, -1));
	ASSERT_EQ(0, setresgid(-1, 0, -1));
}

/* Bad attributes are refused at submission: no child. */
TEST_F(spawn, attr_einval)
{
	struct io_uring_spawn_attr bad[8];
	struct child_args a;
	struct io_uring_sqe *sqe;
	struct chain c;
	unsigned int i;

	memset(bad, 0, sizeof(bad));
	bad[0].flags = 1U << 5;
	bad[1].resv[2] = 1;
	bad[2].pgid = 5;				/* without SETPGROUP */
	bad[3].flags = IORING_SPAWN_SETPGROUP;
	bad[3].pgid = -1;
	bad[4].sigmask[0] = 1;				/* without its flag */
	bad[5].sigdefault[0] = 1;
	bad[6].flags = IORING_SPAWN_SETSIGMASK;
	bad[6].sigmask[1] = 1;				/* signal 65 */
	bad[7].flags = IORING_SPAWN_SETSIGDEF;
	bad[7].sigdefault[1] = 1ULL << 63;		/* signal 128 */

	child_argv(self, &a, -1, "exit:99");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		begin_spawn(_metadata, self, &bad[i]);
		end_spawn(_metadata, self, &a, 2, &c);
		ASSERT_EQ(-EINVAL, c.res[1]) TH_LOG("case %u", i);
		ASSERT_EQ(-ECANCELED, c.res[2]);
		assert_no_child(_metadata);
	}

	/* Unmapped: -EFAULT. */
	sqe = step(_metadata, self, 1);
	prep_clone(sqe, NULL, 0);
	prep_clone_attr(sqe, (void *)8);
	end_spawn(_metadata, self, &a, 2, &c);
	ASSERT_EQ(-EFAULT, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);
}

/*
 * Security semantics: seccomp and no_new_privs on the exec, restrictions,
 * io_uring_disabled, limits, and what others see of a child before exec.
 */

/* A filter: @nr gets @action, everything else is allowed. */
static int install_filter(int nr, __u32 action)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(code), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/*
 * In a forked test process (no ASSERTs): a new ring, CLONE -> EXEC of
 * spawn_child. Returns the EXEC's result, or 1000 + a step number if the
 * CLONE failed or the completions did not come.
 */
static int forked_spawn(SPAWN_DATA *self, struct child_args *a)
{
	struct io_uring_sqe *sqe;
	struct spawn_cqe cqes[2];
	struct spawn_ring r;
	int i, exec_res = 1003;

	if (ring_init(&r, 8, 0, 0))
		return 1000;
	sqe = ring_get_sqe(&r);
	prep_clone(sqe, NULL, 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = ring_get_sqe(&r);
	prep_exec(sqe, AT_FDCWD, self->child, a->argv, test_envp, 0);
	sqe->user_data = 2;
	if (ring_submit(&r) != 2 || ring_wait_cqes(&r, cqes, 2, WAIT_MS) != 2)
		return 1001;
	for (i = 0; i < 2; i++) {
		if (cqes[i].user_data == 1 && cqes[i].res <= 0)
			return 1002;
		if (cqes[i].user_data == 2)
			exec_res = cqes[i].res;
	}
	return exec_res;
}

/*
 * The child inherits our filters and the EXEC is held to them as the
 * execve(2) and execveat(2) it stands for: refusing either refuses it.
 */
TEST_F(spawn, seccomp_exec_errno)
{
	static const int nrs[] = { __NR_execve, __NR_execveat };
	struct child_args a;
	unsigned int i;
	int status;

	child_argv(self, &a, -1, "exit:0");
	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			/* A fresh process: filters cannot be removed. */
			int st = 0;

			if (install_filter(nrs[i], SECCOMP_RET_ERRNO | ENOTUNIQ))
				_exit(10);
			if (forked_spawn(self, &a) != -ENOTUNIQ)
				_exit(14);
			if (waitpid(-1, &st, 0) < 0 || !WIFEXITED(st) ||
			    WEXITSTATUS(st) != 127)
				_exit(15);
			_exit(0);
		}
		status = reap_status(_metadata, pid);
		assert_exit(_metadata, status, 0);
	}
}

/* SECCOMP_RET_KILL_*: the child dies of SIGSYS without exec'ing. */
TEST_F(spawn, seccomp_exec_kill)
{
	struct child_args a;
	int status;
	pid_t pid;

	child_argv(self, &a, -1, "exit:0");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int st = 0;

		if (install_filter(__NR_execveat, SECCOMP_RET_KILL_PROCESS))
			_exit(10);
		if (forked_spawn(self, &a) != -EPERM)
			_exit(13);
		if (waitpid(-1, &st, 0) < 0 || !WIFSIGNALED(st) ||
		    WTERMSIG(st) != SIGSYS)
			_exit(14);
		_exit(0);
	}
	status = reap_status(_metadata, pid);
	assert_exit(_metadata, status, 0);
}

/* Copy @from to a new file @to with @mode (set after writing). */
/*
 * A setuid-root program exec'd by a chain: it runs with euid 0 for an
 * unprivileged submitter, and with no_new_privs it does not, exactly as
 * with execve(2). Done on a private tmpfs, which allows setuid.
 */
TEST_F(spawn, nnp_setuid)
{
	char rep[REPORT_MAX], dir[128], prog[160];
	int i;

	if (getuid() != 0)
		SKIP(return, "needs root to make a setuid-root program");
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	snprintf(dir, sizeof(dir), "%s/suid", self->tmpdir);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, chmod(self->tmpdir, 0755));
	ASSERT_EQ(0, mount("tmpfs", dir, "tmpfs", 0, "mode=0755"));
	snprintf(prog, sizeof(prog), "%s/spawn_child", dir);
	ASSERT_EQ(0, copy_file(self->child, prog, 04755)) TH_LOG("%s", prog);
	snprintf(self->child, sizeof(self->child), "%s", prog);

	/* Unprivileged, but able to come back for the teardown. */
	ASSERT_EQ(0, setresgid(65534, 65534, 0));
	ASSERT_EQ(0, setresuid(65534, 65534, 0));
	for (i = 0; i < 2; i++) {
		if (i == 1)
			ASSERT_EQ(0, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
		spawn_with_attr(_metadata, self, NULL, rep, sizeof(rep));
		if (i == 0) {
			ASSERT_TRUE(report_has(rep, "uid=65534,0,0"))
				TH_LOG("setuid ignored:\n%s", rep);
		} else {
			ASSERT_TRUE(report_has(rep, "uid=65534,65534,65534"))
				TH_LOG("no_new_privs ignored:\n%s", rep);
		}
	}
	ASSERT_EQ(0, setresuid(0, 0, 0));
	ASSERT_EQ(0, setresgid(0, 0, 0));
	ASSERT_EQ(0, umount2(dir, MNT_DETACH));
}

/* IORING_REGISTER_RESTRICTIONS can forbid CLONE, or EXEC alone. */
TEST_F(spawn, restrictions)
{
	static const int forbid[] = { IORING_OP_CLONE, IORING_OP_EXEC };
	struct io_uring_restriction res[IORING_OP_LAST];
	struct spawn_ring r;
	struct child_args a;
	struct chain c;
	unsigned int i, n;
	int op;

	child_argv(self, &a, -1, "exit:0");
	for (i = 0; i < ARRAY_SIZE(forbid); i++) {
		ASSERT_EQ(0, ring_init(&r, 8, IORING_SETUP_R_DISABLED, 0));
		memset(res, 0, sizeof(res));
		for (op = 0, n = 0; op < IORING_OP_LAST; op++) {
			if (op == forbid[i])
				continue;
			res[n].opcode = IORING_RESTRICTION_SQE_OP;
			res[n++].sqe_op = op;
		}
		ASSERT_EQ(0, sys_io_uring_register(r.fd, IORING_REGISTER_RESTRICTIONS,
						   res, n));
		ASSERT_EQ(0, sys_io_uring_register(r.fd, IORING_REGISTER_ENABLE_RINGS,
						   NULL, 0));
		add_spawn(_metadata, &r, NULL, 0, &a);
		submit_and_wait(_metadata, &r, 2, &c);
		/*
		 * A request refused at submission fails its whole link: which
		 * of the two carries -EACCES is io_uring's business.
		 */
		ASSERT_TRUE(c.res[1] == -EACCES || c.res[1] == -ECANCELED);
		ASSERT_TRUE(c.res[2] == -EACCES || c.res[2] == -ECANCELED);
		ASSERT_TRUE(c.res[1] == -EACCES || c.res[2] == -EACCES)
			TH_LOG("CLONE %d, EXEC %d", c.res[1], c.res[2]);
		assert_no_child(_metadata);
		ring_exit(&r);
	}
}

/* kernel.io_uring_disabled=2: no ring, so no spawn. */
TEST_F(spawn, io_uring_disabled)
{
	struct spawn_ring r;
	char old[8] = "";
	int fd, ret;

	fd = open("/proc/sys/kernel/io_uring_disabled", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "io_uring_disabled: %s", strerror(errno));
	ASSERT_GT(read(fd, old, sizeof(old) - 1), 0);
	ASSERT_EQ(2, pwrite(fd, "2\n", 2, 0));
	ret = ring_init(&r, 4, 0, 0);
	ASSERT_EQ((ssize_t)strlen(old), pwrite(fd, old, strlen(old), 0));
	close(fd);
	ASSERT_EQ(-EPERM, ret);
}

/* Block a chain on a FIFO; returns the child's pid (CLONE's result). */
static pid_t spawn_blocked(struct __test_metadata *_metadata,
			   SPAWN_DATA *self, const char *fifo,
			   struct child_args *a)
{
	struct spawn_cqe cqe;

	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK),
		    AT_FDCWD, fifo, O_RDONLY, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a->argv, test_envp, 0);
	ASSERT_EQ(3, ring_submit(&self->ring));
	ASSERT_EQ(1, ring_wait_cqes(&self->ring, &cqe, 1, WAIT_MS));
	ASSERT_EQ(1ULL, cqe.user_data);
	ASSERT_GT(cqe.res, 0);
	return cqe.res;
}

/*
 * Before its exec the child is a process like a vfork child: /proc shows
 * it (with our memory, as it shares it), ptrace may attach as to any
 * process of ours, and neither disturbs it: it goes on, execs and exits.
 * IORING_OP_ASYNC_CANCEL cannot reach its chain (-ENOENT, documented).
 */
TEST_F(spawn, observed_before_exec)
{
	static const char *const files[] = { "status", "stat", "cmdline",
					     "environ", "maps", "wchan" };
	char fifo[PATH_MAX], path[64], buf[4096];
	struct spawn_cqe cqes[2];
	struct child_args a;
	unsigned int i;
	int fd, status;
	pid_t pid;

	snprintf(fifo, sizeof(fifo), "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	child_argv(self, &a, -1, "exit:7");
	pid = spawn_blocked(_metadata, self, fifo, &a);

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, files[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_GE(fd, 0) TH_LOG("%s: %s", path, strerror(errno));
		ASSERT_GE(read(fd, buf, sizeof(buf)), 0) TH_LOG("%s", path);
		close(fd);
	}
	/* Attached, it runs on: a seized tracee is not stopped. */
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, pid, 0, 0))
		TH_LOG("%s", strerror(errno));

	/* No request of the chain is visible to cancellation. */
	prep_cancel(add_sqe(_metadata, &self->ring, 9, 0), 2);
	ASSERT_EQ(1, ring_submit(&self->ring));
	ASSERT_EQ(1, ring_wait_cqes(&self->ring, cqes, 1, WAIT_MS));
	ASSERT_EQ(9ULL, cqes[0].user_data);
	ASSERT_EQ(-ENOENT, cqes[0].res);

	fd = open(fifo, O_WRONLY | O_CLOEXEC);	/* lets the OPENAT finish */
	ASSERT_GE(fd, 0);
	ASSERT_EQ(2, ring_wait_cqes(&self->ring, cqes, 2, WAIT_MS));
	status = reap_status(_metadata, pid);
	close(fd);
	assert_exit(_metadata, status, 7);
}

/* Raise to root again after a test dropped to 65534 (saved uid 0). */
static void back_to_root(void)
{
	if (setresuid(0, 0, 0) || setresgid(0, 0, 0))
		_exit(1);
}

/* RLIMIT_NPROC: CLONE fails with -EAGAIN and nothing is left behind. */
TEST_F(spawn, limit_nproc)
{
	struct rlimit rl = { 1, 1 };
	struct child_args a;
	struct chain c;
	int fds;

	if (getuid() != 0)
		SKIP(return, "needs root to become another user");
	fds = spawn_count_fds();
	child_argv(self, &a, -1, "exit:0");
	ASSERT_EQ(0, setresgid(65534, 65534, 0));
	ASSERT_EQ(0, setresuid(65534, 65534, 0));
	ASSERT_EQ(0, setrlimit(RLIMIT_NPROC, &rl));
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	back_to_root();
	ASSERT_EQ(-EAGAIN, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);
	ASSERT_EQ(fds, spawn_count_fds());
}

static int write_str(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* pids.max in our cgroup reached: -EAGAIN. */
TEST_F(spawn, limit_pids_max)
{
	char path[PATH_MAX + 32], me[16];
	struct child_args a;
	struct statfs sfs;
	struct chain c;

	if (statfs("/sys/fs/cgroup", &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		SKIP(return, "no cgroup2 hierarchy at /sys/fs/cgroup");
	if (write_str("/sys/fs/cgroup/cgroup.subtree_control", "+pids"))
		SKIP(return, "no pids controller (CONFIG_CGROUP_PIDS)");
	snprintf(self->cgroup, sizeof(self->cgroup),
		 "/sys/fs/cgroup/io_uring_spawn.%d", getpid());
	ASSERT_EQ(0, mkdir(self->cgroup, 0755));
	snprintf(path, sizeof(path), "%s/pids.max", self->cgroup);
	ASSERT_EQ(0, write_str(path, "1"));
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->cgroup);
	snprintf(me, sizeof(me), "%d", getpid());
	ASSERT_EQ(0, write_str(path, me));

	child_argv(self, &a, -1, "exit:0");
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	/* Back to the root cgroup, so that the teardown can remove ours. */
	ASSERT_EQ(0, write_str("/sys/fs/cgroup/cgroup.procs", me));
	ASSERT_EQ(-EAGAIN, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);
}

/*
 * kernel.pid_max reached: with pid_max at its minimum, 301, the only pid
 * left is 300; a helper takes it if it is free, and the CLONE finds none.
 * The whole system cannot fork meanwhile, so the window is kept short.
 */
TEST_F(spawn, limit_pid_max)
{
	char old[32] = "";
	struct child_args a;
	struct chain c;
	pid_t holder;
	int fd, status;

	if (getuid() != 0)
		SKIP(return, "needs root to lower kernel.pid_max");
	fd = open("/proc/sys/kernel/pid_max", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_GT(read(fd, old, sizeof(old) - 1), 0);
	child_argv(self, &a, -1, "exit:0");
	ASSERT_EQ(4, pwrite(fd, "301\n", 4, 0));
	holder = fork();		/* pid 300, or -1 if it is taken */
	if (holder == 0) {
		pause();
		_exit(0);
	}
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_EQ((ssize_t)strlen(old), pwrite(fd, old, strlen(old), 0));
	close(fd);
	if (holder > 0) {
		kill(holder, SIGKILL);
		ASSERT_EQ(holder, waitpid(holder, &status, 0));
	}
	ASSERT_EQ(-EAGAIN, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);
}

TEST_HARNESS_MAIN
