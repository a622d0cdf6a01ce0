// SPDX-License-Identifier: GPL-2.0
/*
 * spawnbench: time from "start spawning" to the child's first instruction,
 * for each way Linux has to start a program, measured side by side.
 *
 *   spawnbench CHILD MODE RUNS THROUGHPUT_N
 *
 * CHILD is bench_child (writes CLOCK_MONOTONIC to fd 3 first thing). For each
 * parent size (small, 1 GiB mapped, 1 GiB touched), the methods are run in
 * turn, RUNS rounds, so drift hits every method alike. Then a build-like
 * run: THROUGHPUT_N processes, two in flight, per method, interleaved in
 * blocks of 100. Prints one JSON object per line: {"method", "parent",
 * "mode", "n", "median_ns", "min_ns", "p90_ns"} (the build-like run adds
 * "total_ns" and "blocks"), or {"method", "available": false, "why"}.
 *
 *   spawnbench CHILD profile RUNS OUTDIR
 *
 * runs RUNS spawns of each method from the small parent with the ftrace
 * function profiler on (a kernel built with CONFIG_FUNCTION_PROFILER) and
 * writes what it counted, per method, to OUTDIR/METHOD.txt, with the
 * context switches of the parent and of the children (getrusage()).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>

#include "spawn_ring.h"

#define BATCH		8
#define TPUT_BLOCK	100	/* build-like run: processes per block */
#define GIB		0x40000000UL
#define TS_FD		3

static const char *child_path;
static char *child_argv[] = { "bench_child", NULL };
static char *child_envp[] = { NULL };
static int ts_rd;		/* read end of the timestamp pipe */
static struct spawn_ring ring;

typedef int (*pidfd_spawn_fn)(int *, const char *, const posix_spawn_file_actions_t *,
			      const posix_spawnattr_t *, char *const[], char *const[]);
static pidfd_spawn_fn pidfd_spawn_p;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long read_ts(void)
{
	unsigned long long ts;

	if (read(ts_rd, &ts, sizeof(ts)) != sizeof(ts)) {
		perror("read timestamp");
		exit(1);
	}
	return ts;
}

static void reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, __WALL) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "child %d: bad exit %#x\n", pid, status);
		exit(1);
	}
}

/* Each method starts one child and returns its pid (or -1). */
static pid_t by_fork(void)
{
	pid_t pid = fork();

	if (!pid) {
		execve(child_path, child_argv, child_envp);
		_exit(127);
	}
	return pid;
}

static pid_t by_vfork(void)
{
	pid_t pid = vfork();

	if (!pid) {
		execve(child_path, child_argv, child_envp);
		_exit(127);
	}
	return pid;
}

static pid_t by_posix_spawn(void)
{
	pid_t pid;

	return posix_spawn(&pid, child_path, NULL, NULL, child_argv, child_envp) ? -1 : pid;
}

/* No pid without pidfd_getpid() (also 2.39): the caller reaps with wait(). */
static pid_t by_pidfd_spawn(void)
{
	int pidfd;

	if (pidfd_spawn_p(&pidfd, child_path, NULL, NULL, child_argv, child_envp))
		return -1;
	close(pidfd);
	return -2;
}

/*
 * clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) then execve, as glibc's
 * posix_spawn does but without its bookkeeping. The child runs only the
 * instructions below (no stack use), so it may share the parent's stack
 * while the parent is suspended.
 */
static pid_t by_clone3_vfork(void)
{
	register long r12 asm("r12") = (long)child_path;
	register long r13 asm("r13") = (long)child_argv;
	register long r14 asm("r14") = (long)child_envp;
	struct clone_args ca;
	int pidfd = -1;
	long ret;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD;
	ca.pidfd = (unsigned long)&pidfd;
	ca.exit_signal = SIGCHLD;
	asm volatile ("syscall\n\t"
		      "test %%rax, %%rax\n\t"
		      "jnz 1f\n\t"
		      "mov %%r12, %%rdi\n\t"
		      "mov %%r13, %%rsi\n\t"
		      "mov %%r14, %%rdx\n\t"
		      "mov %[execve], %%eax\n\t"
		      "syscall\n\t"
		      "mov $127, %%edi\n\t"
		      "mov %[exit], %%eax\n\t"
		      "syscall\n\t"
		      "1:\n\t"
		      : "=a"(ret)
		      : "a"((long)SYS_clone3), "D"(&ca), "S"(sizeof(ca)),
			"r"(r12), "r"(r13), "r"(r14),
			[execve] "i"(SYS_execve), [exit] "i"(SYS_exit_group)
		      : "rcx", "r11", "rdx", "memory");
	if (pidfd >= 0)
		close(pidfd);
	return ret < 0 ? -1 : ret;
}

static void queue_spawn(__u64 tag)
{
	struct io_uring_sqe *sqe = ring_get_sqe(&ring);

	prep_clone(sqe, NULL, 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = tag;
	sqe = ring_get_sqe(&ring);
	prep_exec(sqe, AT_FDCWD, child_path, child_argv, child_envp, 0);
	sqe->user_data = tag | 1;
}

/* Collects @n chains' CQEs; returns the pids. */
static void collect(int n, pid_t *pids)
{
	struct spawn_cqe cqe[2 * BATCH];
	int i, got = ring_wait_cqes(&ring, cqe, 2 * n, 10000), k = 0;

	if (got != 2 * n) {
		fprintf(stderr, "io_uring_spawn: %d of %d CQEs\n", got, 2 * n);
		exit(1);
	}
	for (i = 0; i < got; i++) {
		if (cqe[i].res < 0) {
			fprintf(stderr, "io_uring_spawn: %llu: %d\n",
				(unsigned long long)cqe[i].user_data, cqe[i].res);
			exit(1);
		}
		if (!(cqe[i].user_data & 1))
			pids[k++] = cqe[i].res;
	}
}

static pid_t by_io_uring(void)
{
	pid_t pid;

	/*
	 * One io_uring_enter() submits the chain and waits for both CQEs, as
	 * the posix_spawn library does: the EXEC's result is known on return.
	 */
	queue_spawn(2);
	if (ring_submit_and_wait(&ring, 2) != 2)
		return -1;
	collect(1, &pid);
	return pid;
}

/* The exec alone: a process that already exists is told to exec. */
static unsigned long long exec_floor(void)
{
	int go[2];
	unsigned long long t0, ts;
	pid_t pid;
	char c;

	if (pipe(go))
		exit(1);
	pid = fork();
	if (!pid) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		execve(child_path, child_argv, child_envp);
		_exit(127);
	}
	close(go[0]);
	usleep(1000);	/* let it block in read() */
	t0 = now_ns();
	if (write(go[1], "g", 1) != 1)
		exit(1);
	ts = read_ts();
	close(go[1]);
	reap(pid);
	return ts - t0;
}

struct method {
	const char *name;
	pid_t (*spawn)(void);
	const char *why;	/* set when unavailable */
	unsigned long long *samples;
	unsigned long long *blocks;	/* build-like run, per process */
};

static struct method methods[] = {
	{ .name = "fork", .spawn = by_fork },
	{ .name = "vfork", .spawn = by_vfork },
	{ .name = "posix_spawn", .spawn = by_posix_spawn },
	{ .name = "pidfd_spawn", .spawn = by_pidfd_spawn },
	{ .name = "clone3_vfork", .spawn = by_clone3_vfork },
	{ .name = "io_uring_spawn", .spawn = by_io_uring },
	{ .name = "io_uring_spawn_batch" },
	{ .name = "exec_floor" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NMETHODS ARRAY_SIZE(methods)

static unsigned long long one(struct method *m)
{
	unsigned long long t0, ts;
	pid_t pids[BATCH];
	pid_t pid;
	int i;

	if (!strcmp(m->name, "exec_floor"))
		return exec_floor();
	if (!strcmp(m->name, "io_uring_spawn_batch")) {
		unsigned long long last = 0;

		t0 = now_ns();
		for (i = 0; i < BATCH; i++)
			queue_spawn(2 * (i + 1));
		if (ring_submit_and_wait(&ring, 2 * BATCH) != 2 * BATCH)
			exit(1);
		collect(BATCH, pids);
		for (i = 0; i < BATCH; i++) {
			ts = read_ts();
			if (ts > last)
				last = ts;
		}
		for (i = 0; i < BATCH; i++)
			reap(pids[i]);
		return (last - t0) / BATCH;
	}
	t0 = now_ns();
	pid = m->spawn();
	if (pid == -1) {
		fprintf(stderr, "%s failed: %s\n", m->name, strerror(errno));
		exit(1);
	}
	ts = read_ts();
	if (pid == -2) {
		int status;

		pid = wait(&status);
	} else {
		reap(pid);
	}
	return ts - t0;
}

#define TRACING "/sys/kernel/tracing/"

static void write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val)) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* Context switches of this process and of its reaped children. */
struct switches {
	long parent_voluntary, parent_involuntary;
	long child_voluntary, child_involuntary;
};

static void switches_now(struct switches *sw)
{
	struct rusage self, children;

	if (getrusage(RUSAGE_SELF, &self) || getrusage(RUSAGE_CHILDREN, &children)) {
		perror("getrusage");
		exit(1);
	}
	sw->parent_voluntary = self.ru_nvcsw;
	sw->parent_involuntary = self.ru_nivcsw;
	sw->child_voluntary = children.ru_nvcsw;
	sw->child_involuntary = children.ru_nivcsw;
}

/*
 * Every CPU's function profile, after a "# spawns N" line and a
 * "# switches ..." line: the context switches the spawns cost.
 */
static void profile_save(const char *dir, const char *name, int spawns,
			 const struct switches *a, const struct switches *b)
{
	char path[256], buf[65536];
	FILE *out;
	ssize_t n;
	int cpu, fd;

	snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		exit(1);
	}
	fprintf(out, "# spawns %d\n", spawns);
	fprintf(out, "# switches parent_voluntary %ld parent_involuntary %ld",
		b->parent_voluntary - a->parent_voluntary,
		b->parent_involuntary - a->parent_involuntary);
	fprintf(out, " child_voluntary %ld child_involuntary %ld\n",
		b->child_voluntary - a->child_voluntary,
		b->child_involuntary - a->child_involuntary);
	for (cpu = 0;; cpu++) {
		snprintf(path, sizeof(path), TRACING "trace_stat/function%d", cpu);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, n, out);
		close(fd);
	}
	if (fclose(out) || cpu == 0) {
		fprintf(stderr, "no function profile saved for %s\n", name);
		exit(1);
	}
}

/*
 * The profiler counts every kernel function called while it is on, in any
 * task: each method's window holds only its own spawns (and the parent's
 * wait for them), after a few untraced ones to warm the caches up.
 */
static void profile(const char *dir, int runs)
{
	struct switches before, after;
	unsigned int i;
	int r;

	for (i = 0; i < NMETHODS; i++) {
		struct method *m = &methods[i];
		int per = !strcmp(m->name, "io_uring_spawn_batch") ? BATCH : 1;

		if (m->why || !strcmp(m->name, "exec_floor"))
			continue;
		for (r = 0; r < 10; r++)
			one(m);
		write_str(TRACING "function_profile_enabled", "1");
		switches_now(&before);
		for (r = 0; r < runs; r++)
			one(m);
		switches_now(&after);
		write_str(TRACING "function_profile_enabled", "0");
		profile_save(dir, m->name, runs * per, &before, &after);
		fprintf(stderr, "profiled %s: %d spawns\n", m->name, runs * per);
	}
}

/*
 * The exec floor does not depend on the parent: its process is forked
 * first, and forking a touched parent would only add the cost of tearing
 * down the copied page tables at exec. Measured with the small parent.
 */
static int measured(const struct method *m, int parent)
{
	return !m->why && !(parent && !strcmp(m->name, "exec_floor"));
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* One result as a JSON object, without its closing brace. */
#define RECORD "{\"method\": \"%s\", \"parent\": \"%s\", \"mode\": \"%s\", " \
	"\"n\": %d, \"median_ns\": %llu, \"min_ns\": %llu, \"p90_ns\": %llu"

static void report(const char *method, const char *parent, const char *mode,
		   unsigned long long *s, int n)
{
	qsort(s, n, sizeof(*s), cmp_ull);
	printf(RECORD "}\n", method, parent, mode, n, s[n / 2], s[0], s[(n * 9) / 10]);
	fflush(stdout);
}

static void drain_ts(void)
{
	unsigned long long ts;
	int fl = fcntl(ts_rd, F_GETFL);

	fcntl(ts_rd, F_SETFL, fl | O_NONBLOCK);
	while (read(ts_rd, &ts, sizeof(ts)) > 0)
		;
	fcntl(ts_rd, F_SETFL, fl);
}

/* @total short-lived processes, two in flight; the time they took. */
static unsigned long long throughput(struct method *m, int total)
{
	unsigned long long t0 = now_ns();
	int started = 0, done = 0, status, inflight = 0;
	pid_t pids[BATCH];

	while (done < total) {
		while (inflight < 2 && started < total) {
			if (!strncmp(m->name, "io_uring", 8)) {
				queue_spawn(2);
				if (ring_submit_and_wait(&ring, 2) != 2)
					exit(1);
				collect(1, pids);
			} else if (m->spawn() == -1) {
				exit(1);
			}
			started++;
			inflight++;
		}
		if (wait(&status) < 0)
			exit(1);
		inflight--;
		done++;
		/* Keep the timestamp pipe (room for 8192) from filling up. */
		if (done % 4096 == 0)
			drain_ts();
	}
	return now_ns() - t0;
}

static bool in_build_like(const struct method *m)
{
	return !m->why && m->spawn;
}

/*
 * The build-like run, interleaved like the rest: @tput processes per method
 * in blocks of TPUT_BLOCK, each round running one block of every method.
 * Per process: the median, minimum and 90th percentile over the blocks;
 * total_ns: the sum of the method's blocks.
 */
static void build_like(const char *mode, int tput)
{
	int nblocks = (tput + TPUT_BLOCK - 1) / TPUT_BLOCK, b, n;
	unsigned long long t, total[NMETHODS] = { 0 };
	unsigned int i;

	for (i = 0; i < NMETHODS; i++)
		if (in_build_like(&methods[i]))
			methods[i].blocks = calloc(nblocks, sizeof(t));
	for (b = 0; b < nblocks; b++) {
		n = tput - b * TPUT_BLOCK < TPUT_BLOCK ? tput - b * TPUT_BLOCK
						       : TPUT_BLOCK;
		for (i = 0; i < NMETHODS; i++) {
			if (!in_build_like(&methods[i]))
				continue;
			drain_ts();
			t = throughput(&methods[i], n);
			total[i] += t;
			methods[i].blocks[b] = t / n;
		}
	}
	for (i = 0; i < NMETHODS; i++) {
		unsigned long long *s = methods[i].blocks;
		char name[64];

		if (!in_build_like(&methods[i]))
			continue;
		qsort(s, nblocks, sizeof(*s), cmp_ull);
		snprintf(name, sizeof(name), "%s_throughput", methods[i].name);
		printf(RECORD ", \"total_ns\": %llu, \"blocks\": %d}\n", name,
		       "small", mode, tput, s[nblocks / 2], s[0],
		       s[(nblocks * 9) / 10], total[i], nblocks);
		fflush(stdout);
	}
	drain_ts();
}

int main(int argc, char **argv)
{
	static const char *const parents[] = { "small", "1g_untouched", "1g_touched" };
	struct utsname u;
	const char *mode;
	int runs, tput, p, r;
	unsigned int i;
	int fds[2];

	if (argc != 5) {
		fprintf(stderr, "usage: %s CHILD MODE RUNS THROUGHPUT_N\n"
			"       %s CHILD profile RUNS OUTDIR\n", argv[0], argv[0]);
		return 2;
	}
	child_path = argv[1];
	mode = argv[2];
	runs = atoi(argv[3]);
	tput = strcmp(mode, "profile") ? atoi(argv[4]) : 0;

	/* The read end out of the way of TS_FD, the write end at TS_FD. */
	if (pipe2(fds, O_CLOEXEC))
		return 1;
	ts_rd = fcntl(fds[0], F_DUPFD_CLOEXEC, 10);
	if (ts_rd < 0)
		return 1;
	close(fds[0]);
	if (fds[1] != TS_FD) {
		if (dup2(fds[1], TS_FD) != TS_FD)
			return 1;
		close(fds[1]);
	}
	/* Inherited by every child: the one descriptor bench_child uses. */
	fcntl(TS_FD, F_SETFD, 0);
	/* Opcodes 58 and up mean io_uring_spawn only on 6.12 with the bit. */
	if (ring_init(&ring, 64, 0, 0) || !(ring.features & IORING_FEAT_SPAWN) ||
	    uname(&u) || strncmp(u.release, "6.12.", 5))
		methods[5].why = "kernel without io_uring_spawn";
	methods[6].why = methods[5].why;
	pidfd_spawn_p = (pidfd_spawn_fn)dlsym(RTLD_DEFAULT, "pidfd_spawn");
	if (!pidfd_spawn_p)
		methods[3].why = "C library without pidfd_spawn (glibc < 2.39)";
	for (i = 0; i < NMETHODS; i++) {
		if (methods[i].why) {
			printf("{\"method\": \"%s\", \"available\": false, \"why\": \"%s\"}\n",
			       methods[i].name, methods[i].why);
			continue;
		}
		methods[i].samples = calloc(runs, sizeof(unsigned long long));
	}
	if (!strcmp(mode, "profile")) {
		profile(argv[4], runs);
		return 0;
	}

	for (p = 0; p < 3; p++) {
		char *mem = NULL;

		if (p > 0) {
			mem = mmap(NULL, GIB, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mem == MAP_FAILED)
				return 1;
			if (p == 2)
				memset(mem, 1, GIB);
		}
		/* Interleaved: each round runs every method once. */
		for (r = 0; r < runs; r++)
			for (i = 0; i < NMETHODS; i++)
				if (measured(&methods[i], p))
					methods[i].samples[r] = one(&methods[i]);
		for (i = 0; i < NMETHODS; i++)
			if (measured(&methods[i], p))
				report(methods[i].name, parents[p], mode,
				       methods[i].samples, runs);
		if (mem)
			munmap(mem, GIB);
	}

	if (tput > 0)
		build_like(mode, tput);
	return 0;
}
