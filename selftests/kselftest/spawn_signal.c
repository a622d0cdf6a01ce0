// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_spawn kselftests: the child between two steps of its chain.
 * Signals, job control, a tracer and an exec that fails past its point of
 * no return, met as a task returning to user space meets them. See
 * spawn_test.h.
 */
#include "spawn_test.h"

/* A FIFO in the test's directory, for chains to block on. */
static void make_fifo(struct __test_metadata *_metadata, SPAWN_DATA *self,
		      char *fifo, size_t size)
{
	snprintf(fifo, size, "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
}

/* No core files from the children a test kills with a core signal. */
static void no_core(struct __test_metadata *_metadata)
{
	struct rlimit rl = { 0, 0 };

	ASSERT_EQ(0, setrlimit(RLIMIT_CORE, &rl));
}

/* Wait for @pid to stop (or end) within WAIT_MS: its status, or -1. */
static int wait_stopped(pid_t pid)
{
	long long deadline = ring_now_ms() + WAIT_MS;
	int status;

	while (ring_now_ms() < deadline) {
		pid_t r = waitpid(pid, &status, WNOHANG | WUNTRACED | __WALL);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		usleep(2000);
	}
	return -1;
}

/*
 * A chain blocked in an OPENAT hard-linked to its EXEC; @stop makes the
 * child stop for @pid's sake (the test's job-control or ptrace stop) and
 * returns the wait status it must show; @resume lets it go on. The OPENAT
 * is interrupted, but the child must stop between the two steps, as a
 * process does on its way back to user space, and exec once resumed, not
 * fail every later step with -EINTR.
 */
static void stop_between_steps(struct __test_metadata *_metadata,
			       SPAWN_DATA *self, int (*stop)(pid_t),
			       int (*resume)(pid_t), int want)
{
	struct spawn_cqe cqes[2];
	struct child_args a;
	char fifo[PATH_MAX];
	int status;
	pid_t pid;

	make_fifo(_metadata, self, fifo, sizeof(fifo));
	child_argv(self, &a, -1, "exit:5");
	pid = spawn_on_fifo(_metadata, self, fifo, IOSQE_IO_HARDLINK, &a);
	ASSERT_TRUE(wait_in_fifo_open(pid)) TH_LOG("the chain never blocked");

	ASSERT_EQ(0, stop(pid)) TH_LOG("%s", strerror(errno));
	status = wait_stopped(pid);
	ASSERT_NE(-1, status) TH_LOG("the child neither stopped nor ended");
	ASSERT_TRUE(WIFSTOPPED(status))
		TH_LOG("child %s: it did not stop between its steps",
		       describe_status(status));
	ASSERT_EQ(want, status >> 8) TH_LOG("stop status %#x", status);

	/* The interrupted OPENAT has completed; the EXEC waits for us. */
	ASSERT_EQ(1, ring_wait_cqes(&self->ring, cqes, 1, WAIT_MS));
	ASSERT_EQ(2ULL, cqes[0].user_data);
	ASSERT_LT(cqes[0].res, 0);
	ASSERT_NE(-ECANCELED, cqes[0].res);
	ASSERT_EQ(0, ring_reap(&self->ring, cqes, 1)) TH_LOG("EXEC while stopped");

	ASSERT_EQ(0, resume(pid)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(1, ring_wait_cqes(&self->ring, cqes, 1, WAIT_MS));
	ASSERT_EQ(3ULL, cqes[0].user_data);
	ASSERT_EQ(0, cqes[0].res) TH_LOG("EXEC: %s", strerror(-cqes[0].res));
	status = reap_status(_metadata, pid);
	assert_exit(_metadata, status, 5);
}

static int sigstop(pid_t pid)
{
	return kill(pid, SIGSTOP);
}

static int sigcont(pid_t pid)
{
	return kill(pid, SIGCONT);
}

/* Job control: SIGSTOP stops the pre-exec child, SIGCONT resumes it. */
TEST_F(spawn, job_control_stop)
{
	stop_between_steps(_metadata, self, sigstop, sigcont, SIGSTOP);
}

static int ptrace_interrupt(pid_t pid)
{
	if (ptrace(PTRACE_SEIZE, pid, 0, 0))
		return -1;
	return ptrace(PTRACE_INTERRUPT, pid, 0, 0);
}

static int ptrace_detach(pid_t pid)
{
	return ptrace(PTRACE_DETACH, pid, 0, 0);
}

/* A tracer's PTRACE_INTERRUPT traps the pre-exec child; it detaches. */
TEST_F(spawn, ptrace_interrupt)
{
	stop_between_steps(_metadata, self, ptrace_interrupt, ptrace_detach,
			   SIGTRAP | (PTRACE_EVENT_STOP << 8));
}

/*
 * A signal whose default action dumps core kills the pre-exec child with
 * that signal, as it would kill a process on its way to user space; the
 * chain stops there (the EXEC hard-linked after the interrupted step is
 * cancelled, never run).
 */
TEST_F(spawn, core_signal_kills)
{
	struct spawn_cqe cqes[2];
	struct child_args a;
	char fifo[PATH_MAX];
	int status, i;
	pid_t pid;

	no_core(_metadata);
	make_fifo(_metadata, self, fifo, sizeof(fifo));
	child_argv(self, &a, -1, "exit:99");
	pid = spawn_on_fifo(_metadata, self, fifo, IOSQE_IO_HARDLINK, &a);
	ASSERT_TRUE(wait_in_fifo_open(pid));
	ASSERT_EQ(0, kill(pid, SIGQUIT));
	ASSERT_EQ(2, ring_wait_cqes(&self->ring, cqes, 2, WAIT_MS));
	for (i = 0; i < 2; i++) {
		if (cqes[i].user_data == 3) {
			ASSERT_EQ(-ECANCELED, cqes[i].res)
				TH_LOG("EXEC after a fatal signal: %d", cqes[i].res);
		} else {
			ASSERT_LT(cqes[i].res, 0);
		}
	}
	status = reap_status(_metadata, pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGQUIT)
		TH_LOG("child %s", describe_status(status));
}

/*
 * An exec that fails past its point of no return (here, the new stack
 * under a low RLIMIT_AS) has already committed the program's credentials
 * and replaced the mm; execve(2) then forces a SIGSEGV. The chain must not
 * go on to any later step, hard-linked or not, and the child dies of that
 * SIGSEGV. With a setuid-root program and an unprivileged submitter, a
 * hard-linked OPENAT after the EXEC would otherwise create a file as root.
 */
struct ponr_result {
	int clone_res, exec_res, open_res, status;
};

static int ponr_spawn(const char *prog, const char *victim, __u8 exec_link,
		      struct ponr_result *out)
{
	char *const argv[] = { (char *)prog, "-", "exit:99", NULL };
	struct rlimit as, low = { 64 << 10, 0 }, core = { 0, 0 };
	struct spawn_cqe cqes[3];
	struct io_uring_sqe *sqe;
	struct spawn_ring r;
	int i, n;

	if (setrlimit(RLIMIT_CORE, &core) || getrlimit(RLIMIT_AS, &as))
		return 1;
	low.rlim_max = as.rlim_max;
	if (ring_init(&r, 8, 0, 0))
		return 2;
	sqe = ring_get_sqe(&r);
	prep_clone(sqe, NULL, 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = ring_get_sqe(&r);
	prep_exec(sqe, AT_FDCWD, prog, argv, test_envp, 0);
	sqe->flags = exec_link;
	sqe->user_data = 2;
	sqe = ring_get_sqe(&r);
	prep_openat(sqe, AT_FDCWD, victim, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	sqe->user_data = 3;
	/* The child takes our limits when the CLONE runs, in this enter. */
	if (setrlimit(RLIMIT_AS, &low))
		return 3;
	n = ring_submit(&r);
	if (setrlimit(RLIMIT_AS, &as) || n != 3)
		return 4;
	if (ring_wait_cqes(&r, cqes, 3, WAIT_MS) != 3)
		return 5;
	for (i = 0; i < 3; i++) {
		if (cqes[i].user_data == 1)
			out->clone_res = cqes[i].res;
		else if (cqes[i].user_data == 2)
			out->exec_res = cqes[i].res;
		else
			out->open_res = cqes[i].res;
	}
	if (out->open_res >= 0)
		close(out->open_res);
	if (out->clone_res <= 0 || reap(out->clone_res, &out->status, WAIT_MS) !=
	    out->clone_res)
		return 6;
	return 0;
}

TEST_F(spawn, exec_fails_past_point_of_no_return)
{
	char dir[128], prog[2][160], locked[160], victim[200];
	static const __u8 links[] = { IOSQE_IO_LINK, IOSQE_IO_HARDLINK };
	unsigned int i, j;

	if (getuid() != 0)
		SKIP(return, "needs root to make a setuid-root program");
	setuid_tmpfs(_metadata, self, dir, sizeof(dir));
	snprintf(prog[0], sizeof(prog[0]), "%s/plain", dir);
	snprintf(prog[1], sizeof(prog[1]), "%s/setuid", dir);
	ASSERT_EQ(0, copy_file(self->child, prog[0], 0755));
	ASSERT_EQ(0, copy_file(self->child, prog[1], 04755));
	/* Only root may create files here. */
	snprintf(locked, sizeof(locked), "%s/locked", dir);
	ASSERT_EQ(0, mkdir(locked, 0755));
	snprintf(victim, sizeof(victim), "%s/created", locked);

	for (i = 0; i < 2; i++) {
		for (j = 0; j < ARRAY_SIZE(links); j++) {
			struct ponr_result res = { 0 };
			int p[2], status;
			pid_t sub;

			ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
			sub = fork();
			ASSERT_GE(sub, 0);
			if (sub == 0) {
				int ret;

				if (setresgid(65534, 65534, 65534) ||
				    setresuid(65534, 65534, 65534))
					_exit(20);
				ret = ponr_spawn(prog[i], victim, links[j], &res);
				if (write(p[1], &res, sizeof(res)) != sizeof(res))
					_exit(21);
				_exit(ret);
			}
			close(p[1]);
			ASSERT_EQ(0, read_exact(p[0], &res, sizeof(res), WAIT_MS));
			close(p[0]);
			status = reap_status(_metadata, sub);
			assert_exit(_metadata, status, 0);

			TH_LOG("%s program, %s link: CLONE %d, EXEC %d, OPENAT %d, child %s",
			       i ? "setuid" : "plain", j ? "hard" : "soft",
			       res.clone_res, res.exec_res, res.open_res,
			       describe_status(res.status));
			EXPECT_NE(0, access(victim, F_OK))
				TH_LOG("a step ran after the point of no return");
			unlink(victim);
			ASSERT_LT(res.exec_res, 0);
			ASSERT_NE(-ECANCELED, res.exec_res);
			ASSERT_EQ(-ECANCELED, res.open_res);
			ASSERT_TRUE(WIFSIGNALED(res.status) &&
				    WTERMSIG(res.status) == SIGSEGV)
				TH_LOG("child %s, not killed by SIGSEGV",
				       describe_status(res.status));
		}
	}
	ASSERT_EQ(0, umount2(dir, MNT_DETACH));
}

TEST_HARNESS_MAIN
