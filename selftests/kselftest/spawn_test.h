/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the io_uring_spawn kselftests share: the fixture and the helpers of
 * spawn_test.c (CLONE and EXEC), spawn_parity.c (DUP, CHDIR, CLOSE_RANGE,
 * attributes) and spawn_security.c (seccomp, privileges, restrictions,
 * limits), each tested against the contract in
 * Documentation/userspace-api/io_uring_spawn.rst.
 *
 * Each chain execs spawn_child (installed beside the test binary), which
 * writes what it inherited to a pipe whose write end is passed in its argv;
 * the tests read that report and reap the child. Every wait is bounded, so
 * a kernel that loses a completion or a child fails a test instead of
 * hanging the run.
 *
 * Conventions: a chain's requests carry user_data 1, 2, ... in chain order;
 * an EXEC that must never run execs "spawn_child - exit:99", so a bogus
 * success shows up as exit status 99 (in the child or, for an EXEC outside
 * a chain, in the test process itself, which the harness reports as a
 * failure). Helpers are static inline: each binary uses its own share.
 */
#ifndef SPAWN_TEST_H
#define SPAWN_TEST_H

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
static inline const char *spawn_unsupported(char *why, size_t size)
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
static inline pid_t reap(pid_t pid, int *status, int timeout_ms)
{
	long long deadline = ring_now_ms() + timeout_ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG | __WALL);

		if (r != 0 || ring_now_ms() >= deadline)
			return r;
		usleep(2000);
	}
}

static inline const char *describe_status(int status)
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

/*
 * Wait until @fd is readable or the deadline (ring_now_ms() time) passes.
 * Returns 0, -ETIMEDOUT or a negative errno.
 */
static inline int wait_readable(int fd, long long deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - ring_now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Read exactly @len bytes within @timeout_ms; 0 or a negative errno. */
static inline int read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	long long deadline = ring_now_ms() + timeout_ms;
	size_t got = 0;

	while (got < len) {
		int err = wait_readable(fd, deadline);
		ssize_t n;

		if (err)
			return err;
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
static inline ssize_t read_all(int fd, char *buf, size_t size, int timeout_ms)
{
	long long deadline = ring_now_ms() + timeout_ms;
	size_t len = 0;

	for (;;) {
		int err = wait_readable(fd, deadline);
		ssize_t n;

		if (err)
			return err;
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
static inline bool __printf(2, 3)
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
static inline const char *report_value(const char *rep, const char *key,
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

static inline int report_count(const char *rep, const char *prefix)
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
static inline int report_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC))
		return -1;
	return fcntl(p[1], F_SETFD, 0);
}

static inline void child_argv(SPAWN_DATA *self, struct child_args *a,
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

static inline int write_file(const char *path, const char *text, mode_t mode)
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

static inline int copy_file(const char *from, const char *to, mode_t mode)
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
static inline int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

static inline bool fd_closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

static inline struct io_uring_sqe *add_sqe(struct __test_metadata *_metadata,
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
static inline void add_spawn(struct __test_metadata *_metadata, struct spawn_ring *r,
			     void *ca, size_t len, struct child_args *a)
{
	prep_clone(add_sqe(_metadata, r, 1, IOSQE_IO_LINK), ca, len);
	prep_exec(add_sqe(_metadata, r, 2, 0), AT_FDCWD, a->argv[0], a->argv,
		  test_envp, 0);
}

/* Collect @nr completions with user_data 1..@nr, each once. */
static inline void wait_chain(struct __test_metadata *_metadata,
			      struct spawn_ring *r, int nr, struct chain *c)
{
	struct spawn_cqe cqes[MAX_CQES], extra;
	bool seen[MAX_CQES + 1] = { false };
	int i, got;

	ASSERT_LE(nr, MAX_CQES);
	memset(c, 0, sizeof(*c));
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

/*
 * Submit everything queued (one io_uring_enter(), so a chain is never left
 * open at the end of a submission) and collect @nr completions with
 * user_data 1..@nr, each once.
 */
static inline void submit_and_wait(struct __test_metadata *_metadata,
				   struct spawn_ring *r, int nr, struct chain *c)
{
	ASSERT_EQ(nr, ring_submit(r));
	wait_chain(_metadata, r, nr, c);
}

/* Whether requests @first.. completed in chain (user_data) order. */
static inline bool chain_in_order(const struct chain *c, __u64 first)
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

static inline void assert_exit(struct __test_metadata *_metadata, int status,
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
static inline int sigwait_ms(const sigset_t *set, siginfo_t *info, int ms)
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

static inline int reap_status(struct __test_metadata *_metadata, pid_t pid)
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
static inline void assert_no_child(struct __test_metadata *_metadata)
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
static inline void assert_chain_failed(struct __test_metadata *_metadata,
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
static inline void collect_report(struct __test_metadata *_metadata, int rp[2],
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
static inline pid_t unblock_and_reap(const char *fifo, pid_t pid, int *status,
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

static inline void remove_tree(const char *dir)
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

/* A step of a chain: linked to what follows. */
static inline struct io_uring_sqe *step(struct __test_metadata *_metadata,
					SPAWN_DATA *self, __u64 user_data)
{
	return add_sqe(_metadata, &self->ring, user_data, IOSQE_IO_LINK);
}

/* The CLONE, user_data 1, with attributes if @attr is not NULL. */
static inline void begin_spawn(struct __test_metadata *_metadata, SPAWN_DATA *self,
			       const struct io_uring_spawn_attr *attr)
{
	struct io_uring_sqe *sqe = step(_metadata, self, 1);

	prep_clone(sqe, NULL, 0);
	if (attr)
		prep_clone_attr(sqe, attr);
}

/* The EXEC of spawn_child as user_data @last; submit and wait for all. */
static inline void end_spawn(struct __test_metadata *_metadata, SPAWN_DATA *self,
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
static inline void assert_failed_at(struct __test_metadata *_metadata,
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
static inline void spawn_with_attr(struct __test_metadata *_metadata,
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

/*
 * CLONE (1) -> OPENAT of @fifo for reading (2, linked by @open_link) ->
 * EXEC of a->argv (3): the child blocks in the OPENAT until a writer
 * comes. Waits for the CLONE's completion and returns the child's pid.
 */
static inline pid_t spawn_on_fifo(struct __test_metadata *_metadata,
				  SPAWN_DATA *self, const char *fifo,
				  __u8 open_link, struct child_args *a)
{
	struct spawn_cqe cqe;

	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_openat(add_sqe(_metadata, &self->ring, 2, open_link),
		    AT_FDCWD, fifo, O_RDONLY, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  a->argv[0], a->argv, test_envp, 0);
	ASSERT_EQ(3, ring_submit(&self->ring));
	ASSERT_EQ(1, ring_wait_cqes(&self->ring, &cqe, 1, WAIT_MS));
	ASSERT_EQ(1ULL, cqe.user_data);
	ASSERT_GT(cqe.res, 0);
	return cqe.res;
}

/*
 * Wait until @pid sleeps in the open of a FIFO (its wchan says so), for
 * at most WAIT_MS; true if it does.
 */
static inline bool wait_in_fifo_open(pid_t pid)
{
	long long deadline = ring_now_ms() + WAIT_MS;
	char path[64], wchan[128];

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	while (ring_now_ms() < deadline) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, wchan, sizeof(wchan) - 1);

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			wchan[n] = '\0';
			if (strstr(wchan, "fifo_open") ||
			    strstr(wchan, "wait_for_partner"))
				return true;
		}
		usleep(2000);
	}
	return false;
}

/*
 * In a forked helper: set up a ring, submit CLONE -> OPENAT(@fifo, read:
 * blocks until a writer comes) -> @extra_opens OPENATs of /dev/null ->
 * EXEC, send the CLONE's result (the pid) on @info_fd, then exec
 * @exec_argv if given, else wait to be killed.
 * Never returns; no ASSERTs here, this is not the test process.
 */
static inline void __noreturn
chain_helper(const char *child, const char *fifo, char **argv, int info_fd,
	     char *const *exec_argv, int extra_opens)
{
	struct io_uring_sqe *sqe;
	struct spawn_cqe cqe;
	struct spawn_ring r;
	int pid = -1, i;

	if (ring_init(&r, 16, 0, 0) || extra_opens > 12)
		goto out;
	sqe = ring_get_sqe(&r);
	prep_clone(sqe, NULL, 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = ring_get_sqe(&r);
	prep_openat(sqe, AT_FDCWD, fifo, O_RDONLY, 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 2;
	for (i = 0; i < extra_opens; i++) {
		sqe = ring_get_sqe(&r);
		prep_openat(sqe, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
		sqe->flags = IOSQE_IO_LINK;
		sqe->user_data = 4 + i;
	}
	sqe = ring_get_sqe(&r);
	prep_exec(sqe, AT_FDCWD, child, argv, test_envp, 0);
	sqe->user_data = 3;
	if (ring_submit(&r) != 3 + extra_opens)
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
 * A private tmpfs at <tmpdir>/suid, in a mount namespace of our own, where
 * setuid programs work (the test's own filesystem may be nosuid or 9p).
 */
static inline void setuid_tmpfs(struct __test_metadata *_metadata,
				SPAWN_DATA *self, char *dir, size_t size)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	snprintf(dir, size, "%s/suid", self->tmpdir);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, chmod(self->tmpdir, 0755));
	ASSERT_EQ(0, mount("tmpfs", dir, "tmpfs", 0, "mode=0755"));
}

#endif /* SPAWN_TEST_H */
