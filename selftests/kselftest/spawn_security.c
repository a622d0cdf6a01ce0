// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_spawn kselftests: security semantics and limits. Seccomp and
 * no_new_privs on the exec, setuid, IORING_REGISTER_RESTRICTIONS,
 * io_uring_disabled, what /proc and ptrace show of a child before its
 * exec, RLIMIT_NPROC, pids.max and pid_max, compat submitters. See
 * spawn_test.h.
 */
#include <linux/audit.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "spawn_test.h"

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
static int forked_spawn(SPAWN_DATA *self, struct child_args *a,
			int *clone_res)
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
		if (cqes[i].user_data == 1 && clone_res)
			*clone_res = cqes[i].res;
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
			if (forked_spawn(self, &a, NULL) != -ENOTUNIQ)
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
		if (forked_spawn(self, &a, NULL) != -EPERM)
			_exit(13);
		if (waitpid(-1, &st, 0) < 0 || !WIFSIGNALED(st) ||
		    WTERMSIG(st) != SIGSYS)
			_exit(14);
		_exit(0);
	}
	status = reap_status(_metadata, pid);
	assert_exit(_metadata, status, 0);
}

/*
 * A filter: execveat(2) with dirfd @dfd fails with @err. The EXEC is held
 * to execve(2) and execveat(2) alike, so this refuses the EXECs whose dfd
 * is @dfd and no other.
 */
static int install_dfd_filter(int dfd, int err)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 0, 3),
		/* The low word of args[0] (x86 is little-endian). */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, dfd, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(code), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/*
 * A chain's CQEs come in chain order even when a step completes without
 * being issued: a seccomp-refused EXEC's CQE is posted by the child as
 * the others are, not left to the submitter's task_work. The submitter
 * (a helper) is stopped while its child runs the chain, so it runs no
 * task_work until we have read every CQE.
 */
TEST_F(spawn, seccomp_refused_exec_in_order)
{
	struct spawn_cqe cqes[4];
	char fifo[PATH_MAX];
	struct child_args a;
	int i, n, dfd, wfd, status;
	__u64 last = 0;
	pid_t helper;

	snprintf(fifo, sizeof(fifo), "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	child_argv(self, &a, -1, "exit:0");
	dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(dfd, 0);
	helper = fork();
	ASSERT_GE(helper, 0);
	if (helper == 0) {
		struct io_uring_sqe *sqe[4];
		int st = 0;

		if (install_dfd_filter(dfd, EACCES))
			_exit(10);
		for (i = 0; i < 4; i++) {
			sqe[i] = ring_get_sqe(&self->ring);
			if (!sqe[i])
				_exit(11);
		}
		prep_clone(sqe[0], NULL, 0);
		sqe[0]->flags = IOSQE_IO_LINK;
		/* Held until we are stopped. */
		prep_openat(sqe[1], AT_FDCWD, fifo, O_RDONLY, 0);
		sqe[1]->flags = IOSQE_IO_LINK;
		/* Refused by the filter; the absolute path ignores the dfd. */
		prep_exec(sqe[2], dfd, self->child, a.argv, test_envp, 0);
		sqe[2]->flags = IOSQE_IO_HARDLINK;
		prep_exec(sqe[3], AT_FDCWD, self->child, a.argv, test_envp, 0);
		for (i = 0; i < 4; i++)
			sqe[i]->user_data = i + 1;
		if (ring_submit(&self->ring) != 4)
			_exit(12);
		raise(SIGSTOP);
		if (waitpid(-1, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(helper, waitpid(helper, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status)) TH_LOG("helper %s",
					       describe_status(status));
	wfd = open(fifo, O_WRONLY | O_CLOEXEC);
	ASSERT_GE(wfd, 0);
	n = ring_wait_cqes(&self->ring, cqes, 4, WAIT_MS);
	kill(helper, SIGCONT);
	ASSERT_EQ(4, n) TH_LOG("%d of 4 CQEs while the submitter is stopped",
			       n);
	for (i = 0; i < 4; i++) {
		__u64 ud = cqes[i].user_data;

		if (ud == 1) {
			ASSERT_GT(cqes[i].res, 0);
			continue;
		}
		ASSERT_GT(ud, last) TH_LOG("CQE %llu after %llu",
					   (unsigned long long)ud,
					   (unsigned long long)last);
		last = ud;
		if (ud == 2)
			ASSERT_GE(cqes[i].res, 0);
		if (ud == 3)
			ASSERT_EQ(-EACCES, cqes[i].res);
		if (ud == 4)
			ASSERT_EQ(0, cqes[i].res);
	}
	close(wfd);
	close(dfd);
	status = reap_status(_metadata, helper);
	assert_exit(_metadata, status, 0);
}

/*
 * The CLONE is held to our filters as the process creation it stands for:
 * refused, with the filter's errno, when neither vfork(2) nor the clone(2)
 * of posix_spawn() is allowed; allowed when one of them is.
 */
TEST_F(spawn, seccomp_clone)
{
	struct child_args a;
	unsigned int i;
	int status;

	child_argv(self, &a, -1, "exit:0");
	for (i = 0; i < 2; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			int st = 0, clone_res = 0, ret;

			if (install_filter(__NR_vfork, SECCOMP_RET_ERRNO | ENOTUNIQ))
				_exit(10);
			if (i == 1 &&
			    install_filter(__NR_clone, SECCOMP_RET_ERRNO | ENOTUNIQ))
				_exit(11);
			ret = forked_spawn(self, &a, &clone_res);
			if (i == 1) {
				/* Refused: no child, nothing ran. */
				if (clone_res != -ENOTUNIQ)
					_exit(12);
				if (waitpid(-1, &st, WNOHANG) != -1 || errno != ECHILD)
					_exit(13);
				_exit(0);
			}
			if (ret != 0 || clone_res <= 0)
				_exit(14);
			if (waitpid(clone_res, &st, 0) != clone_res ||
			    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				_exit(15);
			_exit(0);
		}
		status = reap_status(_metadata, pid);
		assert_exit(_metadata, status, 0);
	}
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
	setuid_tmpfs(_metadata, self, dir, sizeof(dir));
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
	return spawn_on_fifo(_metadata, self, fifo, IOSQE_IO_LINK, a);
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

static int read_int_file(const char *path, int *val)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*val = atoi(buf);
	return 0;
}

/*
 * Like a vfork child, the child shares our mm only until its exec: the mm
 * does not become one of several processes, so setting the child's
 * oom_score_adj (which anyone who may ptrace it can raise) leaves ours
 * alone.
 */
TEST_F(spawn, oom_score_adj_not_tied)
{
	char fifo[PATH_MAX], path[64];
	struct child_args a;
	int ours, theirs, after, fd, status;
	pid_t pid;

	ASSERT_EQ(0, read_int_file("/proc/self/oom_score_adj", &ours));
	snprintf(fifo, sizeof(fifo), "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	child_argv(self, &a, -1, "exit:7");
	pid = spawn_blocked(_metadata, self, fifo, &a);

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
	theirs = ours < 900 ? ours + 100 : ours - 100;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_GT(dprintf(fd, "%d\n", theirs), 0);
	close(fd);
	ASSERT_EQ(0, read_int_file(path, &after));
	ASSERT_EQ(theirs, after);
	ASSERT_EQ(0, read_int_file("/proc/self/oom_score_adj", &after));
	if (after != ours) {
		fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			dprintf(fd, "%d\n", ours);
			close(fd);
		}
	}
	EXPECT_EQ(ours, after) TH_LOG("the child's oom_score_adj changed ours");

	ASSERT_EQ(pid, unblock_and_reap(fifo, pid, &status, WAIT_MS));
	assert_exit(_metadata, status, 7);
}

/* One request to the kernel's audit netlink socket, and its ack. */
static int audit_request(int sock, int type, const void *data, size_t len)
{
	struct {
		struct nlmsghdr nh;
		char data[sizeof(struct audit_rule_data) + 64];
	} req = { 0 };
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	char buf[8192];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;

	if (len > sizeof(req.data))
		return -E2BIG;
	req.nh.nlmsg_len = NLMSG_LENGTH(len);
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	memcpy(req.data, data, len);
	if (sendto(sock, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		return -errno;
	for (;;) {
		n = recv(sock, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		if (!NLMSG_OK(nh, (size_t)n))
			return -EPROTO;
		if (nh->nlmsg_type == NLMSG_ERROR)
			return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	}
}

static int audit_set_enabled(int sock, __u32 enabled)
{
	struct audit_status st = { .mask = AUDIT_STATUS_ENABLED,
				   .enabled = enabled };

	return audit_request(sock, AUDIT_SET, &st, sizeof(st));
}

/*
 * A rule that never matches what the test runs (acct(2) at syscall exit),
 * but, as any rule, makes audit collect every task's names, OPENAT's
 * among them.
 */
static int audit_rule(int sock, int type)
{
	struct audit_rule_data rule = {
		.flags = AUDIT_FILTER_EXIT,
		.action = AUDIT_ALWAYS,
	};

	rule.mask[__NR_acct / 32] = 1U << (__NR_acct % 32);
	return audit_request(sock, type, &rule, sizeof(rule));
}

/*
 * An OPENAT's name was bound to the submitter's audit context when its SQE
 * was prepared (getname() records it there); the child looks it up later,
 * here after the blocking FIFO step: by then the submitting system call
 * has returned, which frees the records beyond the context's first five
 * (AUDIT_NAMES), and the submitter has been killed, which frees the
 * context itself. The chain must not touch either (with KASAN, a
 * use-after-free report fails the run): it goes on and execs. Needs
 * CONFIG_AUDITSYSCALL (the debug kernel).
 */
#define AUDIT_EXTRA_OPENS	6
TEST_F(spawn, audit_name_outlives_submitter)
{
	char fifo[PATH_MAX];
	struct child_args a;
	int sock, ip[2], status, pid = -1, ret;
	pid_t helper, r;

	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (sock < 0 && (errno == EPROTONOSUPPORT || errno == EAFNOSUPPORT))
		SKIP(return, "kernel without audit");
	ASSERT_GE(sock, 0) TH_LOG("audit socket: %s", strerror(errno));
	ASSERT_EQ(0, audit_set_enabled(sock, 1));
	ret = audit_rule(sock, AUDIT_ADD_RULE);
	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("%s", strerror(-ret));

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	snprintf(fifo, sizeof(fifo), "%s/fifo", self->tmpdir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	ASSERT_EQ(0, pipe2(ip, O_CLOEXEC));
	child_argv(self, &a, -1, "exit:6");
	/* Forked after audit was enabled: it gets an audit context. */
	helper = fork();
	ASSERT_GE(helper, 0);
	if (helper == 0)
		chain_helper(self->child, fifo, a.argv, ip[1], NULL,
			     AUDIT_EXTRA_OPENS);
	close(ip[1]);
	ASSERT_EQ(0, read_exact(ip[0], &pid, sizeof(pid), WAIT_MS));
	ASSERT_GT(pid, 0);
	/*
	 * The submitter dies (an exec would cancel the chain), its audit
	 * context with it...
	 */
	ASSERT_EQ(0, kill(helper, SIGKILL));
	status = reap_status(_metadata, helper);
	ASSERT_TRUE(WIFSIGNALED(status));
	/* ...before the child's OPENAT looks its name up. */
	r = unblock_and_reap(fifo, pid, &status, WAIT_MS);
	EXPECT_EQ(0, audit_rule(sock, AUDIT_DEL_RULE));
	EXPECT_EQ(0, audit_set_enabled(sock, 0));
	close(sock);
	ASSERT_EQ(pid, r);
	assert_exit(_metadata, status, 6);
}

#ifdef __x86_64__
#define I386_NR_getpid		20
#define I386_NR_io_uring_enter	426

/*
 * A 32-bit system call from this 64-bit task: int $0x80 takes i386
 * numbers and arguments, and the kernel runs it as a compat call.
 */
static long int80(long nr, long a, long b, long c, long d)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(0L)
		     : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static void int80_fault(int sig)
{
	(void)sig;
	_exit(2);
}

/*
 * Without IA32 emulation int $0x80 raises #GP: find out in a child. The
 * child handles SIGSEGV itself, so the kernel does not log the fault as
 * an unhandled trap and the kernel-log check stays meaningful.
 */
static bool have_int80(void)
{
	struct sigaction sa = { .sa_handler = int80_fault };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		if (sigaction(SIGSEGV, &sa, NULL))
			_exit(3);
		_exit(int80(I386_NR_getpid, 0, 0, 0, 0) == getpid() ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Submit what was queued through the 32-bit io_uring_enter(). */
static long compat_submit(struct spawn_ring *r)
{
	unsigned int n = ring_publish(r);

	return int80(I386_NR_io_uring_enter, r->fd, n, 0, 0);
}
#endif

/*
 * A CLONE issued from a 32-bit system call would have the submitter's
 * seccomp filters asked about native numbers under the i386 arch: it is
 * -EOPNOTSUPP and no child exists. The same ring takes other requests
 * through that entry, and the same CLONE through the native one.
 */
TEST_F(spawn, compat_submitter_refused)
{
#ifndef __x86_64__
	SKIP(return, "int $0x80 compat calls are an x86-64 test");
#else
	struct child_args a;
	struct chain c;
	int status;

	if (!have_int80())
		SKIP(return, "kernel without IA32 emulation");
	child_argv(self, &a, -1, "exit:4");

	/* The compat entry works for an ordinary request... */
	prep_nop(add_sqe(_metadata, &self->ring, 1, 0));
	ASSERT_EQ(1, compat_submit(&self->ring));
	wait_chain(_metadata, &self->ring, 1, &c);
	EXPECT_EQ(0, c.res[1]);

	/* ...and refuses a CLONE, cancelling its chain. */
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	ASSERT_EQ(2, compat_submit(&self->ring));
	wait_chain(_metadata, &self->ring, 2, &c);
	EXPECT_EQ(-EOPNOTSUPP, c.res[1]);
	EXPECT_EQ(-ECANCELED, c.res[2]);
	assert_no_child(_metadata);

	/* The native entry spawns with the same SQEs. */
	add_spawn(_metadata, &self->ring, NULL, 0, &a);
	submit_and_wait(_metadata, &self->ring, 2, &c);
	ASSERT_GT(c.res[1], 0);
	EXPECT_EQ(0, c.res[2]);
	status = reap_status(_metadata, c.res[1]);
	assert_exit(_metadata, status, 4);
#endif
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
