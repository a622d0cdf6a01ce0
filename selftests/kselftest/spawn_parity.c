// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_spawn kselftests: posix_spawn parity. IORING_OP_DUP,
 * IORING_OP_CHDIR, IORING_OP_CLOSE_RANGE and the CLONE attributes (struct
 * io_uring_spawn_attr). See spawn_test.h.
 */
#include "spawn_test.h"

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

/*
 * IORING_DUP_FROM_PREV after an OPENAT into a fixed file slot: the OPENAT
 * returned 0 (the slot), no fd of the child, so the DUP has nothing to
 * take (-EBADF) and must not dup (or, with MOVE, close) the child's fd 0.
 */
TEST_F(spawn, dup_from_prev_after_slot)
{
	int slots[2] = { -1, -1 };
	struct io_uring_sqe *sqe;
	struct child_args a;
	struct chain c;

	ASSERT_EQ(0, sys_io_uring_register(self->ring.fd, IORING_REGISTER_FILES,
					   slots, 2));
	child_argv(self, &a, -1, "exit:99");
	begin_spawn(_metadata, self, NULL);
	sqe = step(_metadata, self, 2);
	prep_openat(sqe, AT_FDCWD, "/dev/null", O_RDONLY, 0);
	sqe->file_index = 1;	/* slot 0 */
	prep_dup(step(_metadata, self, 3), 0, 7,
		 IORING_DUP_FROM_PREV | IORING_DUP_MOVE);
	end_spawn(_metadata, self, &a, 4, &c);
	ASSERT_EQ(0, c.res[2]) TH_LOG("OPENAT into slot 0: %d", c.res[2]);
	assert_failed_at(_metadata, &c, 3, -EBADF);
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

TEST_HARNESS_MAIN
