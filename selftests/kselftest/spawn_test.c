// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_spawn kselftests: IORING_OP_CLONE and IORING_OP_EXEC. Creating
 * the child and what it inherits, exec and its errors, what a chain may
 * hold and how it ends, teardown while a chain runs. See spawn_test.h.
 */
#include <linux/userfaultfd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "spawn_test.h"

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

/* As with clone3, clone_args.pidfd counts only with CLONE_PIDFD. */
TEST_F(spawn, clone_pidfd_without_flag)
{
	int pidfd = -7, status;
	struct clone_args ca = { .pidfd = (__u64)(uintptr_t)&pidfd,
				 .exit_signal = SIGCHLD };
	struct child_args a;
	struct chain c;

	child_argv(self, &a, -1, "exit:0");
	add_spawn(_metadata, &self->ring, &ca, sizeof(ca), &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0) TH_LOG("CLONE: %s", strerror(-c.res[1]));
	ASSERT_EQ(0, c.res[2]);
	ASSERT_EQ(-7, pidfd) TH_LOG("a pidfd was written without CLONE_PIDFD");
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 0);
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
 * The helper of clone_outside_uring_lock: once the CLONE stalls on the
 * userfaultfd page, submit a NOP to the same ring from another process
 * (which needs the ring's uring_lock) and see whether it completes while
 * the CLONE is stalled; then let the CLONE go on. Exits 0 if it did.
 */
static void __noreturn uffd_helper(int uffd, struct spawn_ring *r, void *page,
				   size_t size)
{
	struct uffdio_zeropage zp = {
		.range = { .start = (__u64)(uintptr_t)page, .len = size },
	};
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	int status, ok = 0, i;
	pid_t nop;

	if (poll(&pfd, 1, WAIT_MS) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		_exit(10);
	nop = fork();
	if (nop < 0)
		_exit(11);
	if (nop == 0) {
		struct io_uring_sqe *sqe = ring_get_sqe(r);

		if (!sqe)
			_exit(1);
		prep_nop(sqe);
		sqe->user_data = 3;
		_exit(ring_submit_and_wait(r, 1) == 1 ? 0 : 2);
	}
	/* Under uring_lock, the NOP would wait for the page. */
	for (i = 0; i < 300; i++) {
		if (waitpid(nop, &status, WNOHANG) == nop) {
			ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			break;
		}
		usleep(10000);
	}
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp))
		_exit(12);
	if (i == 300 && waitpid(nop, &status, 0) != nop)
		_exit(13);
	_exit(ok ? 0 : 1);
}

/*
 * The child is not created under the ring's uring_lock: copy_process()
 * may stall (here its put_user() of the pidfd, on a page a userfaultfd
 * holds back), and other users of the ring must not wait behind it.
 */
TEST_F_TIMEOUT(spawn, clone_outside_uring_lock, 120)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	size_t size = getpagesize();
	struct clone_args ca;
	struct child_args a;
	struct chain c;
	int uffd, status, *pidfd;
	pid_t helper;
	void *page;

	/* The sysctl exists exactly when the kernel has userfaultfd. */
	if (access("/proc/sys/vm/unprivileged_userfaultfd", F_OK))
		SKIP(return, "kernel without userfaultfd");
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_GE(uffd, 0) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	page = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	reg.range.start = (__u64)(uintptr_t)page;
	reg.range.len = size;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (__u64)(uintptr_t)page;
	ca.exit_signal = SIGCHLD;
	child_argv(self, &a, -1, "exit:0");
	add_spawn(_metadata, &self->ring, &ca, sizeof(ca), &a);
	/* Forked with the spawn queued: its NOP takes the next SQE. */
	helper = fork();
	ASSERT_GE(helper, 0);
	if (helper == 0)
		uffd_helper(uffd, &self->ring, page, size);
	ASSERT_EQ(2, ring_submit(&self->ring));
	self->ring.sqe_tail++;
	status = reap_status(_metadata, helper);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the NOP waited for the CLONE's copy_process(): %s",
		       describe_status(status));
	wait_chain(_metadata, &self->ring, 3, &c);
	ASSERT_GT(c.res[1], 0);
	ASSERT_EQ(0, c.res[2]);
	ASSERT_EQ(0, c.res[3]);
	pidfd = page;
	ASSERT_GE(*pidfd, 0);
	close(*pidfd);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 0);
	close(uffd);
	munmap(page, size);
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
 * A CLONE hard-linked to its chain is refused: io_uring would run what
 * follows a CLONE that completed without being issued (cancelled in io-wq,
 * or failed from the drain list) in the submitter, where a CLOSE would
 * close our fd. The link fails as a whole, our fd stays open.
 */
TEST_F(spawn, clone_hardlink)
{
	struct child_args a;
	struct chain c;
	int fd;

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_HARDLINK), NULL, 0);
	prep_close(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK), fd);
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_EQ(-EINVAL, c.res[1]);
	ASSERT_EQ(-ECANCELED, c.res[2]);
	ASSERT_EQ(-ECANCELED, c.res[3]);
	ASSERT_FALSE(fd_closed(fd));
	close(fd);
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

/*
 * IOSQE_CQE_SKIP_SUCCESS in a chain, as in any io_uring link: a step that
 * succeeds posts no CQE, one that fails posts its own, and the steps its
 * failure cancels post none.
 */
TEST_F(spawn, chain_cqe_skip)
{
	struct spawn_cqe cqes[MAX_CQES];
	char path[PATH_MAX];
	struct child_args a;
	int status, got;

	snprintf(path, sizeof(path), "%s/missing", self->tmpdir);
	child_argv(self, &a, -1, "exit:99");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_nop(add_sqe(_metadata, &self->ring, 2,
			 IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS));
	prep_openat(add_sqe(_metadata, &self->ring, 3,
			    IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS),
		    AT_FDCWD, path, O_RDONLY, 0);
	prep_nop(add_sqe(_metadata, &self->ring, 4, IOSQE_IO_LINK));
	prep_exec(add_sqe(_metadata, &self->ring, 5, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	ASSERT_EQ(5, ring_submit(&self->ring));
	ASSERT_EQ(2, ring_wait_cqes(&self->ring, cqes, 2, WAIT_MS));
	/* The CLONE's CQE may come before or after its child's. */
	if (cqes[0].user_data != 1) {
		struct spawn_cqe t = cqes[0];

		cqes[0] = cqes[1];
		cqes[1] = t;
	}
	ASSERT_EQ(1ULL, cqes[0].user_data);
	ASSERT_GT(cqes[0].res, 0);
	ASSERT_EQ(3ULL, cqes[1].user_data);
	ASSERT_EQ(-ENOENT, cqes[1].res);
	status = reap_status(_metadata, cqes[0].res);
	assert_exit(_metadata, status, 127);
	/* Every CQE of a chain is queued before its child exits. */
	got = ring_wait_cqes(&self->ring, cqes, MAX_CQES, 200);
	ASSERT_EQ(0, got) TH_LOG("CQE for user_data %llu, res %d",
				 (unsigned long long)cqes[0].user_data,
				 cqes[0].res);
}

/*
 * The chain's completions are asynchronous, as io-wq's: an eventfd
 * registered with IORING_REGISTER_EVENTFD_ASYNC is signalled for them,
 * and not for a request completed inline at submission.
 */
TEST_F(spawn, eventfd_async)
{
	struct spawn_cqe cqe;
	char rep[REPORT_MAX];
	struct child_args a;
	struct pollfd pfd;
	struct chain c;
	__u64 count;
	int efd, rp[2];

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, sys_io_uring_register(self->ring.fd,
					   IORING_REGISTER_EVENTFD_ASYNC,
					   &efd, 1)) TH_LOG("%s", strerror(errno));

	prep_nop(add_sqe(_metadata, &self->ring, 9, 0));
	ASSERT_EQ(1, ring_submit(&self->ring));
	ASSERT_EQ(1, ring_wait_cqes(&self->ring, &cqe, 1, WAIT_MS));
	ASSERT_EQ(-1, read(efd, &count, sizeof(count)));
	ASSERT_EQ(EAGAIN, errno) TH_LOG("an inline NOP signalled it");

	ASSERT_EQ(0, report_pipe(rp));
	child_argv(self, &a, rp[1], "exit:0");
	prep_clone(add_sqe(_metadata, &self->ring, 1, IOSQE_IO_LINK), NULL, 0);
	prep_nop(add_sqe(_metadata, &self->ring, 2, IOSQE_IO_LINK));
	prep_exec(add_sqe(_metadata, &self->ring, 3, 0), AT_FDCWD,
		  self->child, a.argv, test_envp, 0);
	submit_and_wait(_metadata, &self->ring, 3, &c);
	ASSERT_EQ(0, c.res[2]);
	ASSERT_EQ(0, c.res[3]);
	collect_report(_metadata, rp, c.res[1], rep, sizeof(rep));

	pfd.fd = efd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS)) TH_LOG("eventfd not signalled");
	ASSERT_EQ((ssize_t)sizeof(count), read(efd, &count, sizeof(count)));
	ASSERT_GE(count, 1ULL);
	ASSERT_EQ(0, sys_io_uring_register(self->ring.fd,
					   IORING_UNREGISTER_EVENTFD, NULL, 0));
	close(efd);
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
		chain_helper(self->child, fifo, a.argv, ip[1], NULL, 0);
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
 * The submitter execs while its chain is blocked in the child. Its exec
 * cancels its io_uring requests; the chain's are out of io_uring's reach,
 * so the chain's child is killed and the exec goes on at once, instead of
 * waiting (or, with SIGKILL pending, spinning) for a request that nothing
 * can cancel.
 */
TEST_F_TIMEOUT(spawn, submitter_execs_mid_chain, 90)
{
	char *const exec_argv[] = { self->child, "-", "exit:5", NULL };
	int ip[2], status, pid = -1;
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
		chain_helper(self->child, fifo, a.argv, ip[1], exec_argv, 0);
	close(ip[1]);
	ASSERT_EQ(0, read_exact(ip[0], &pid, sizeof(pid), WAIT_MS));
	ASSERT_GT(pid, 0);

	r = reap(helper, &status, WAIT_MS / 2);
	if (r != helper) {
		/* Let the chain go on, so that nothing outlives the test. */
		unblock_and_reap(fifo, pid, &status, WAIT_MS);
		reap(helper, &status, WAIT_MS);
	}
	ASSERT_EQ(helper, r) TH_LOG("the submitter's exec waited for its chain");
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 5)
		TH_LOG("submitter %s", describe_status(status));
	/* The submitter is gone: its child is ours now (subreaper). */
	status = reap_status(_metadata, pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("child %s, expected killed by SIGKILL",
		       describe_status(status));
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
 * The ring is closed while a chain is blocked, after the chain closed its
 * own copy of the ring fd (posix_spawn's closefrom): the teardown cancels
 * the chain by killing its child, instead of waiting for it for good.
 */
TEST_F_TIMEOUT(spawn, ring_close_kills_blocked_chain, 90)
{
	struct spawn_cqe cqes[2];
	struct child_args a;
	char fifo[PATH_MAX];
	int status, wfd;
	pid_t pid, r;

	snprintf(fifo, sizeof(fifo), "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	child_argv(self, &a, -1, "exit:99");
	prep_clone(step(_metadata, self, 1), NULL, 0);
	prep_close_range(step(_metadata, self, 2), 3, ~0U, 0);
	prep_openat(step(_metadata, self, 3), AT_FDCWD, fifo, O_RDONLY, 0);
	prep_exec(add_sqe(_metadata, &self->ring, 4, 0), AT_FDCWD, self->child,
		  a.argv, test_envp, 0);
	ASSERT_EQ(4, ring_submit(&self->ring));
	ASSERT_EQ(2, ring_wait_cqes(&self->ring, cqes, 2, WAIT_MS));
	pid = cqes[0].user_data == 1 ? cqes[0].res : cqes[1].res;
	ASSERT_GT(pid, 0);
	ASSERT_TRUE(wait_in_fifo_open(pid));

	ring_exit(&self->ring);
	status = 0;
	r = reap(pid, &status, WAIT_MS);
	if (r != pid) {
		/* Let it go, so that nothing outlives the test. */
		wfd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		reap(pid, &status, WAIT_MS);
		if (wfd >= 0)
			close(wfd);
	}
	ASSERT_EQ(pid, r) TH_LOG("the chain outlived its ring");
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("child %s", describe_status(status));
}

TEST_HARNESS_MAIN
