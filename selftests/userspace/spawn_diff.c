// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_diff - posix_spawn() through glibc and through io_uring_spawn, side
 * by side. Each case builds file actions and attributes with glibc's own
 * functions and spawns spawn_probe (found beside this program) once with
 * glibc's posix_spawn()/posix_spawnp() and once with io_uring_posix_spawn*,
 * each from a fresh forked runner set up the same way; then compares the
 * return values, the probe's exit status and its report line by line, and
 * checks that neither left an fd or a child behind. Then pidfd_spawn,
 * threads, fork and the IO_URING_SPAWN switches.
 *
 * IO_URING_SPAWN=require: a case meant for the io_uring path fails if it
 * falls back. If the kernel cannot spawn through io_uring, the cases still
 * compare glibc with the library's fallback (glibc again), and the run
 * ends with a SKIP and exit status 4; with require, only the switch is
 * checked (ENOSYS) before that SKIP. The resetids case needs root.
 * TAP on stdout; exit 1 on a failure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn_proc.h"
#include "uring_spawn.h"

#define KSFT_SKIP	4
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NOBODY		65534
#ifndef P_PIDFD
#define P_PIDFD		3
#endif

enum {
	T_NULL = 1 << 0,	/* NULL file actions and attributes */
	T_SPAWNP = 1 << 1,	/* posix_spawnp, with t->path as $PATH */
	T_NOPATH = 1 << 2,	/* posix_spawnp with $PATH unset */
	T_SETIDS = 1 << 3,	/* spawn with euid/egid nobody, ruid root */
	T_FALLBACK = 1 << 4,	/* the library must hand it to glibc */
	T_DIVERGE = 1 << 5,	/* a documented difference (TAP TODO) */
};

/* What a case builds, with glibc's functions. */
struct objs {
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
};

struct tcase {
	const char *name;
	unsigned int flags;
	void (*build)(struct objs *o);
	const char *prog;	/* NULL: the probe, by absolute path */
	const char *path;	/* $PATH for T_SPAWNP */
	int exit_status;
	const char *why;	/* T_DIVERGE: what differs */
};

/* What a runner reports back. */
struct outcome {
	int ret;		/* the spawn's return value */
	int status;		/* the child's wait status, -1 without one */
	int leak;		/* an fd or a child left over */
};

static char tmpdir[32];
static char probe[PATH_MAX + 16];
static char out_path[64];
static char log_path[64];
static char long_path[16384];
static char *envp[] = { "PROBE_ENV=1", "LC_ALL=C", NULL };
static int tap_nr, failures, uring_cases, uring_eligible, sigign_notes;
static bool supported, require;
static const char *unsupported_why = "";

/* @directive: NULL, or "SKIP reason" / "TODO reason" */
static void tap(bool ok, const char *name, const char *directive)
{
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", ++tap_nr, name,
	       directive ? " # " : "", directive ? directive : "");
	if (!ok && !directive)
		failures++;
}

static void tap_todo(const char *name, const char *why)
{
	char directive[256];

	snprintf(directive, sizeof(directive), "TODO %s", why);
	tap(false, name, directive);
}

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ------------------------------------------------------------ builders */

static void open_0(struct objs *o)
{
	posix_spawn_file_actions_addopen(&o->fa, 0, "in.txt", O_RDONLY, 0);
}

static void open_1(struct objs *o)
{
	posix_spawn_file_actions_addopen(&o->fa, 1, "out1.txt",
					 O_WRONLY | O_CREAT | O_TRUNC, 0640);
}

static void open_2_append(struct objs *o)
{
	posix_spawn_file_actions_addopen(&o->fa, 2, "log.txt",
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
}

static void open_high(struct objs *o)
{
	posix_spawn_file_actions_addopen(&o->fa, 100, "in.txt", O_RDONLY, 0);
}

static void open_open(struct objs *o)
{
	/* fd 5 is open in the runner */
	posix_spawn_file_actions_addopen(&o->fa, 5, "other.txt",
					 O_RDWR | O_CREAT, 0644);
}

static void open_lowest(struct objs *o)
{
	/* fd 3 is the lowest free one: open() returns it, no dup needed */
	posix_spawn_file_actions_addopen(&o->fa, 3, "in.txt", O_RDONLY, 0);
}

static void open_cloexec_lowest(struct objs *o)
{
	/* glibc: open() returned the target, O_CLOEXEC stays: closed */
	posix_spawn_file_actions_addopen(&o->fa, 3, "in.txt",
					 O_RDONLY | O_CLOEXEC, 0);
}

static void open_cloexec_high(struct objs *o)
{
	/* glibc: dup2() onto the target drops O_CLOEXEC: survives */
	posix_spawn_file_actions_addopen(&o->fa, 50, "in.txt",
					 O_RDONLY | O_CLOEXEC, 0);
}

static void open_missing(struct objs *o)
{
	posix_spawn_file_actions_addopen(&o->fa, 1, "missing/file", O_RDONLY, 0);
}

static void dup2_1(struct objs *o)
{
	posix_spawn_file_actions_adddup2(&o->fa, 5, 1);
}

static void dup2_self(struct objs *o)
{
	/* fd 7 is O_CLOEXEC in the runner; dup2 onto itself clears it */
	posix_spawn_file_actions_adddup2(&o->fa, 7, 7);
}

static void dup2_badf(struct objs *o)
{
	posix_spawn_file_actions_adddup2(&o->fa, 9, 1);
}

static void close_open(struct objs *o)
{
	posix_spawn_file_actions_addclose(&o->fa, 5);
}

static void close_unopened(struct objs *o)
{
	posix_spawn_file_actions_addclose(&o->fa, 9);
}

static void close_reopen(struct objs *o)
{
	posix_spawn_file_actions_addclose(&o->fa, 0);
	posix_spawn_file_actions_addopen(&o->fa, 6, "in.txt", O_RDONLY, 0);
}

static void chdir_abs(struct objs *o)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "%s/dir", tmpdir);
	posix_spawn_file_actions_addchdir_np(&o->fa, dir);
}

static void chdir_rel(struct objs *o)
{
	posix_spawn_file_actions_addchdir_np(&o->fa, "dir/sub");
}

static void fchdir_8(struct objs *o)
{
	/* fd 8 is the runner's O_DIRECTORY fd of dir */
	posix_spawn_file_actions_addfchdir_np(&o->fa, 8);
}

static void chdir_open(struct objs *o)
{
	posix_spawn_file_actions_addchdir_np(&o->fa, "dir");
	posix_spawn_file_actions_addopen(&o->fa, 1, "inside.txt",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
}

static void chdir_missing(struct objs *o)
{
	posix_spawn_file_actions_addchdir_np(&o->fa, "missing");
}

static void fchdir_file(struct objs *o)
{
	posix_spawn_file_actions_addfchdir_np(&o->fa, 5);
}

static void closefrom_3(struct objs *o)
{
	posix_spawn_file_actions_addclosefrom_np(&o->fa, 3);
}

static void dup_closefrom(struct objs *o)
{
	posix_spawn_file_actions_adddup2(&o->fa, 5, 4);
	posix_spawn_file_actions_addopen(&o->fa, 60, "in.txt", O_RDONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&o->fa, 5);
}

static void redirections(struct objs *o)
{
	posix_spawn_file_actions_addopen(&o->fa, 1, "out.txt",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&o->fa, 1, 2);
	posix_spawn_file_actions_addclose(&o->fa, 0);
	posix_spawn_file_actions_addchdir_np(&o->fa, "dir");
}

static void many_dups(struct objs *o)
{
	int fd;

	/* more requests than the smallest ring holds */
	for (fd = 10; fd < 50; fd++)
		posix_spawn_file_actions_adddup2(&o->fa, 5, fd);
}

static void set_flags(struct objs *o, short flags)
{
	posix_spawnattr_setflags(&o->at, flags);
}

static void setsid_(struct objs *o)
{
	set_flags(o, POSIX_SPAWN_SETSID);
}

static void pgroup_0(struct objs *o)
{
	set_flags(o, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&o->at, 0);
}

static void pgroup_parent(struct objs *o)
{
	set_flags(o, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&o->at, getpgrp());
}

static void setsid_pgroup(struct objs *o)
{
	/* a session leader cannot change its group: EPERM */
	set_flags(o, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&o->at, 0);
}

static void pgroup_missing(struct objs *o)
{
	set_flags(o, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&o->at, 0x3ffffff0);
}

static void pgroup_negative(struct objs *o)
{
	set_flags(o, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&o->at, -5);
}

static void sigmask_some(struct objs *o)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGRTMIN + 2);
	set_flags(o, POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setsigmask(&o->at, &set);
}

static void sigmask_empty(struct objs *o)
{
	sigset_t set;

	sigemptyset(&set);
	set_flags(o, POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setsigmask(&o->at, &set);
}

static void sigdef_ignored(struct objs *o)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);	/* SIG_IGN in the runner */
	set_flags(o, POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigdefault(&o->at, &set);
}

static void sigdef_handled(struct objs *o)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);	/* has a handler in the runner */
	set_flags(o, POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigdefault(&o->at, &set);
}

static void sig_full(struct objs *o)
{
	sigset_t set;

	/* glibc's sigfillset leaves out its two internal signals */
	sigfillset(&set);
	set_flags(o, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&o->at, &set);
	posix_spawnattr_setsigdefault(&o->at, &set);
}

static void usevfork(struct objs *o)
{
	set_flags(o, POSIX_SPAWN_USEVFORK);
}

static void resetids(struct objs *o)
{
	set_flags(o, POSIX_SPAWN_RESETIDS);
}

static void chdir_binc(struct objs *o)
{
	posix_spawn_file_actions_addchdir_np(&o->fa, "binC");
}

static void tcsetpgrp_(struct objs *o)
{
	/* fd 5 is no tty: glibc's child fails with ENOTTY */
	posix_spawn_file_actions_addtcsetpgrp_np(&o->fa, 5);
}

static void schedparam(struct objs *o)
{
	struct sched_param sp = { 0 };

	set_flags(o, POSIX_SPAWN_SETSCHEDPARAM);
	posix_spawnattr_setschedparam(&o->at, &sp);
}

/* .prog NULL: the probe by absolute path; .path: $PATH for T_SPAWNP */
static const struct tcase cases[] = {
	{ .name = "no file actions or attributes", .flags = T_NULL },
	{ .name = "empty file actions and attributes" },
	{ .name = "open onto fd 0", .build = open_0 },
	{ .name = "open onto fd 1, O_CREAT|O_TRUNC", .build = open_1 },
	{ .name = "open onto fd 2, O_APPEND", .build = open_2_append },
	{ .name = "open onto a high fd (100)", .build = open_high },
	{ .name = "open onto an fd already open", .build = open_open },
	{ .name = "open onto the fd open() returns itself",
	  .build = open_lowest },
	{ .name = "O_CLOEXEC open onto the fd open() returns",
	  .build = open_cloexec_lowest },
	{ .name = "O_CLOEXEC open onto another fd",
	  .build = open_cloexec_high },
	{ .name = "open of a missing path (ENOENT)", .build = open_missing },
	{ .name = "dup2 of an open fd onto 1", .build = dup2_1 },
	{ .name = "dup2 of an FD_CLOEXEC fd onto itself", .build = dup2_self },
	{ .name = "dup2 from an unopened fd (EBADF)", .build = dup2_badf },
	{ .name = "close of an open fd", .build = close_open },
	{ .name = "close of an unopened fd", .build = close_unopened },
	{ .name = "close 0 then open onto 6", .build = close_reopen },
	{ .name = "chdir to an absolute path", .build = chdir_abs },
	{ .name = "chdir to a relative path", .build = chdir_rel },
	{ .name = "fchdir", .build = fchdir_8 },
	{ .name = "chdir then a relative open", .build = chdir_open },
	{ .name = "chdir to a missing directory (ENOENT)",
	  .build = chdir_missing },
	{ .name = "fchdir to a file (ENOTDIR)", .build = fchdir_file },
	{ .name = "closefrom 3", .build = closefrom_3 },
	{ .name = "dup2, open, closefrom", .build = dup_closefrom },
	{ .name = "shell-like redirections and chdir", .build = redirections },
	{ .name = "40 dup2 actions", .build = many_dups },
	{ .name = "setsid", .build = setsid_ },
	{ .name = "setpgroup 0", .build = pgroup_0 },
	{ .name = "setpgroup to the parent's group", .build = pgroup_parent },
	{ .name = "setsid and setpgroup (EPERM)", .build = setsid_pgroup },
	{ .name = "setpgroup to a missing group (EPERM)",
	  .build = pgroup_missing },
	{ .name = "setpgroup to a negative group (EINVAL)",
	  .build = pgroup_negative },
	{ .name = "sigmask", .build = sigmask_some },
	{ .name = "empty sigmask unblocks the parent's",
	  .build = sigmask_empty },
	{ .name = "sigdefault of a parent-ignored signal",
	  .build = sigdef_ignored },
	{ .name = "sigdefault of a parent-handled signal",
	  .build = sigdef_handled },
	{ .name = "sigfillset mask and sigdefault", .build = sig_full },
	{ .name = "POSIX_SPAWN_USEVFORK is accepted", .build = usevfork },
	{ .name = "resetids with euid/egid nobody", .flags = T_SETIDS,
	  .build = resetids },
	{ .name = "euid/egid nobody kept without resetids",
	  .flags = T_SETIDS },
	{ .name = "non-zero exit status", .exit_status = 3 },
	{ .name = "exec of a non-executable file (EACCES)",
	  .prog = "binB/spawn_probe" },
	{ .name = "exec of a file that is no program (ENOEXEC)",
	  .prog = "binD/spawn_probe" },
	{ .name = "exec of a missing file (ENOENT)",
	  .prog = "binA/spawn_probe" },
	{ .name = "spawnp: missing dir, non-executable, found",
	  .flags = T_SPAWNP, .prog = "spawn_probe",
	  .path = "binA:binB:binC" },
	{ .name = "spawnp: only a non-executable candidate (EACCES)",
	  .flags = T_SPAWNP, .prog = "spawn_probe", .path = "binA:binB" },
	{ .name = "spawnp: missing program (ENOENT)", .flags = T_SPAWNP,
	  .prog = "no_such_program", .path = "binA:binC" },
	{ .name = "spawnp: empty element is the cwd, after chdir",
	  .flags = T_SPAWNP, .build = chdir_binc, .prog = "spawn_probe",
	  .path = "binA:" },
	{ .name = "spawnp: a name with a slash is not searched",
	  .flags = T_SPAWNP, .prog = "binC/spawn_probe", .path = "binA" },
	{ .name = "spawnp: PATH unset uses the default",
	  .flags = T_SPAWNP | T_NOPATH, .prog = "sh" },
	{ .name = "spawnp: empty name (ENOENT)", .flags = T_SPAWNP,
	  .prog = "", .path = "binC" },
	{ .name = "spawnp: ENOEXEC as the last candidate", .flags = T_SPAWNP,
	  .prog = "spawn_probe", .path = "binA:binD" },
	{ .name = "spawnp: 100 PATH elements", .flags = T_SPAWNP,
	  .prog = "spawn_probe", .path = long_path },
	{ .name = "spawnp: ENOEXEC before a good candidate",
	  .flags = T_SPAWNP | T_DIVERGE, .prog = "spawn_probe",
	  .path = "binD:binC",
	  .why = "glibc stops its PATH search at ENOEXEC, the hard-linked EXECs go on" },
	{ .name = "tcsetpgrp action falls back to glibc", .flags = T_FALLBACK,
	  .build = tcsetpgrp_ },
	{ .name = "SETSCHEDPARAM falls back to glibc", .flags = T_FALLBACK,
	  .build = schedparam },
};

/* ------------------------------------------------------------- runner */

static void fd_at(int fd, const char *path, int flags)
{
	int got = open(path, flags);

	if (got < 0)
		die(path);
	if (got != fd) {
		if (dup3(got, fd, flags & O_CLOEXEC) < 0)
			die("dup3");
		close(got);
	}
}

static void on_usr2(int sig)
{
	(void)sig;
}

/*
 * The parent state every case starts from: fds 5 (a file), 7 (O_CLOEXEC)
 * and 8 (a directory), SIGUSR1 ignored, SIGUSR2 handled, SIGHUP blocked,
 * its own process group, the scratch directory as cwd.
 */
static void runner_setup(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGUSR1, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	setpgid(0, 0);
	if (chdir(tmpdir))
		die("chdir");
	fd_at(5, "in.txt", O_RDONLY);
	fd_at(7, "cloexec.txt", O_RDONLY | O_CLOEXEC);
	fd_at(8, "dir", O_RDONLY | O_DIRECTORY);
}

static int spawn_it(const struct tcase *t, bool uring, pid_t *pid,
		    struct objs *obj)
{
	posix_spawn_file_actions_t *fa = &obj->fa;
	posix_spawnattr_t *at = &obj->at;
	char status[16];
	char *argv[7] = { NULL, out_path, status, NULL, NULL, NULL, NULL };
	const char *prog = t->prog ? t->prog : probe;

	snprintf(status, sizeof(status), "%d", t->exit_status);
	argv[0] = (char *)prog;
	if (t->flags & T_NOPATH) {
		/* sh from the default $PATH, which execs the probe */
		argv[1] = "-c";
		argv[2] = "exec \"$0\" \"$@\"";
		argv[3] = probe;
		argv[4] = out_path;
	}
	if (t->flags & T_NULL) {
		fa = NULL;
		at = NULL;
	}
	if (t->flags & T_SPAWNP)
		return (uring ? io_uring_posix_spawnp : posix_spawnp)
			(pid, prog, fa, at, argv, envp);
	return (uring ? io_uring_posix_spawn : posix_spawn)
		(pid, prog, fa, at, argv, envp);
}

static void runner_env(const struct tcase *t)
{
	if (t->flags & T_NOPATH)
		unsetenv("PATH");
	else if (t->flags & T_SPAWNP)
		setenv("PATH", t->path, 1);
	if (t->flags & T_SETIDS) {
		if (setegid(NOBODY) || seteuid(NOBODY))
			die("seteuid");
	}
}

static void runner(const struct tcase *t, bool uring, int wfd)
{
	struct outcome o = { 0, -1, 0 };
	struct objs obj;
	const char *why;
	int before;
	pid_t pid;

	runner_setup();
	/* Make the ring now, so that counting fds sees it both times. */
	if (uring)
		io_uring_spawn_supported(&why);
	posix_spawn_file_actions_init(&obj.fa);
	posix_spawnattr_init(&obj.at);
	if (t->build)
		t->build(&obj);
	runner_env(t);
	before = spawn_count_fds();
	o.ret = spawn_it(t, uring, &pid, &obj);
	if (!o.ret)
		waitpid(pid, &o.status, 0);
	o.leak = spawn_count_fds() != before || spawn_has_children();
	if (write(wfd, &o, sizeof(o)) != sizeof(o))
		_exit(2);
	_exit(0);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) < 0 || fchmod(fd, mode))
		die(name);
	close(fd);
}

static void run(const struct tcase *t, bool uring, struct outcome *o)
{
	int p[2], status;
	pid_t pid;

	unlink(out_path);
	/* The probe writes its report as nobody in the T_SETIDS cases. */
	if (t->flags & T_SETIDS)
		write_file(out_path, "", 0666);
	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(p[0]);
		/* out of the way of the fds the cases use */
		if (dup3(p[1], 300, O_CLOEXEC) < 0)
			_exit(2);
		runner(t, uring, 300);
	}
	close(p[1]);
	memset(o, 0, sizeof(*o));
	if (read(p[0], o, sizeof(*o)) != sizeof(*o)) {
		o->ret = -1;
		o->leak = -1;
	}
	close(p[0]);
	waitpid(pid, &status, 0);
}

/* ------------------------------------------------------------ compare */

static char *slurp(const char *path)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size + 1);
	ssize_t n;
	int fd;

	if (!buf)
		die("malloc");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, size - len)) > 0) {
		len += n;
		if (len == size) {
			size *= 2;
			buf = realloc(buf, size + 1);
			if (!buf)
				die("realloc");
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/*
 * glibc 2.36's child sets glibc's own signals 32 and 33 (SIGCANCEL,
 * SIGSETXID) to SIG_IGN while it prepares, and they stay ignored across
 * the exec. The UAPI can reset a signal to SIG_DFL, not make it ignored:
 * compare SigIgn without those two bits, and say when they differ.
 */
static bool lines_equal(const char *g, const char *u)
{
	const unsigned long long internal = 3ULL << 31;
	unsigned long long gi, ui;

	if (!strcmp(g, u))
		return true;
	if (strncmp(g, "SigIgn=", 7) || strncmp(u, "SigIgn=", 7))
		return false;
	gi = strtoull(g + 7, NULL, 16);
	ui = strtoull(u + 7, NULL, 16);
	if ((gi & ~internal) != (ui & ~internal))
		return false;
	sigign_notes++;
	return true;
}

/* Compare two reports line by line; on a difference, show it. */
static bool reports_equal(char *g, char *u)
{
	char *gs, *us, *gl, *ul;
	int nr = 0;

	if (!g || !u) {
		if (g || u)
			printf("# report: glibc %s, io_uring %s\n",
			       g ? "present" : "absent",
			       u ? "present" : "absent");
		return !g && !u;
	}
	gl = strtok_r(g, "\n", &gs);
	ul = strtok_r(u, "\n", &us);
	while (gl || ul) {
		nr++;
		if (!gl || !ul || !lines_equal(gl, ul)) {
			printf("# line %d: glibc '%s', io_uring '%s'\n", nr,
			       gl ? gl : "(end)", ul ? ul : "(end)");
			return false;
		}
		gl = strtok_r(NULL, "\n", &gs);
		ul = strtok_r(NULL, "\n", &us);
	}
	return true;
}

static bool outcomes_equal(const struct outcome *g, const struct outcome *u)
{
	bool same = g->ret == u->ret && g->status == u->status;

	if (!same)
		printf("# glibc: ret %d (%s) status %#x; io_uring: ret %d (%s) status %#x\n",
		       g->ret, strerrorname_np(g->ret) ?: "0", g->status,
		       u->ret, strerrorname_np(u->ret) ?: "0", u->status);
	if (g->leak || u->leak)
		printf("# left over fds or children: glibc %d, io_uring %d\n",
		       g->leak, u->leak);
	return same && !g->leak && !u->leak;
}

static off_t log_size(void)
{
	struct stat st;

	return stat(log_path, &st) ? 0 : st.st_size;
}

/* The log lines written since @from (one per spawn call). */
static void log_since(off_t from, char *line, size_t len)
{
	char *all = slurp(log_path);

	snprintf(line, len, "%s", all && (off_t)strlen(all) > from ?
		 all + from : "(no log line)");
	line[strcspn(line, "\n")] = '\0';
	free(all);
}

static bool took_uring(const char *line)
{
	return !strncmp(line, "uring ", 6);
}

/* ------------------------------------------------------------ cases */

static void check_case(const struct tcase *t, const struct outcome *g,
		       const struct outcome *u, char *gout, char *uout,
		       const char *line)
{
	bool same, fell_back = !took_uring(line);

	if (require && (t->flags & T_FALLBACK)) {
		/* Refused, and nothing spawned. */
		tap(u->ret == IO_URING_SPAWN_EREQUIRED && fell_back && !uout,
		    t->name, NULL);
		return;
	}
	same = outcomes_equal(g, u) && reports_equal(gout, uout);
	if ((t->flags & T_FALLBACK) && !fell_back) {
		printf("# expected the glibc path: %s\n", line);
		same = false;
	} else if (supported && !(t->flags & T_FALLBACK) && fell_back) {
		printf("# fell back to glibc: %s\n", line);
		same = false;
	}
	if (!same && (t->flags & T_DIVERGE) && !fell_back)
		tap_todo(t->name, t->why);
	else
		tap(same, t->name, NULL);
}

static void run_case(const struct tcase *t)
{
	struct outcome g, u;
	char *gout, *uout;
	char line[256];
	off_t pos;

	if ((t->flags & T_SETIDS) && geteuid()) {
		tap(true, t->name, "SKIP needs root (seteuid to nobody)");
		return;
	}
	run(t, false, &g);
	gout = slurp(out_path);
	pos = log_size();
	run(t, true, &u);
	uout = slurp(out_path);
	log_since(pos, line, sizeof(line));
	if (!(t->flags & T_FALLBACK)) {
		uring_eligible++;
		uring_cases += took_uring(line);
	}
	check_case(t, &g, &u, gout, uout, line);
	free(gout);
	free(uout);
}

/* ------------------------------------------------------------ pidfd */

static int pidfd_spawn_probe(bool search, int *pidfd, const char *prog,
			     int status)
{
	char st[16];
	char *const argv[] = { (char *)prog, out_path, st, NULL };

	snprintf(st, sizeof(st), "%d", status);
	if (search)
		return io_uring_pidfd_spawnp(pidfd, prog, NULL, NULL, argv,
					     envp);
	return io_uring_pidfd_spawn(pidfd, prog, NULL, NULL, argv, envp);
}

static void test_pidfd_exit(bool search)
{
	siginfo_t si;
	int pidfd = -1, ret, cloexec;

	ret = pidfd_spawn_probe(search, &pidfd, search ? "spawn_probe" : probe,
				5);
	cloexec = ret ? 0 : fcntl(pidfd, F_GETFD) & FD_CLOEXEC;
	memset(&si, 0, sizeof(si));
	if (!ret && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0))
		ret = errno;
	if (!ret && waitid(P_PIDFD, pidfd, &si, WEXITED))
		ret = errno;
	if (pidfd >= 0)
		close(pidfd);
	if (ret)
		printf("# ret %d (%s)\n", ret, strerrorname_np(ret) ?: "?");
	tap(!ret && cloexec && si.si_code == CLD_EXITED && si.si_status == 5,
	    search ? "pidfd_spawnp: O_CLOEXEC pidfd, waitid(P_PIDFD) status" :
		     "pidfd_spawn: O_CLOEXEC pidfd, waitid(P_PIDFD) status",
	    NULL);
}

static void test_pidfd_signal(void)
{
	char *const argv[] = { "sleep", "60", NULL };
	int pidfd = -1, ret;
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	ret = io_uring_pidfd_spawnp(&pidfd, "sleep", NULL, NULL, argv, envp);
	if (!ret && syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0))
		ret = errno;
	if (!ret && waitid(P_PIDFD, pidfd, &si, WEXITED))
		ret = errno;
	if (pidfd >= 0)
		close(pidfd);
	tap(!ret && si.si_code == CLD_KILLED && si.si_status == SIGTERM,
	    "pidfd_spawnp: pidfd_send_signal(SIGTERM) reaches the child",
	    NULL);
}

static void test_pidfd_failure(void)
{
	char *const argv[] = { "no_such_program", NULL };
	int pidfd = -42, before = spawn_count_fds(), ret;

	ret = io_uring_pidfd_spawnp(&pidfd, "no_such_program", NULL, NULL,
				    argv, envp);
	tap(ret == ENOENT && pidfd == -42 && spawn_count_fds() == before &&
	    !spawn_has_children(),
	    "pidfd_spawnp failure: ENOENT, *pidfd untouched, no fd or child",
	    NULL);
}

/* ------------------------------------------------------ threads, fork */

static void *thread_spawn(void *arg)
{
	char *const argv[] = { probe, out_path, "0", NULL };
	int *ret = arg, status;
	pid_t pid;

	*ret = io_uring_posix_spawn(&pid, probe, NULL, NULL, argv, envp);
	if (!*ret && (waitpid(pid, &status, 0) != pid || status))
		*ret = -1;
	return NULL;
}

/* A thread gets its own ring, and the ring goes when the thread does. */
static void test_thread(void)
{
	int before = spawn_count_fds(), ret = -1;
	pthread_t th;
	char line[256];
	off_t pos = log_size();

	if (pthread_create(&th, NULL, thread_spawn, &ret) ||
	    pthread_join(th, NULL))
		die("pthread");
	log_since(pos, line, sizeof(line));
	tap(!ret && spawn_count_fds() == before &&
	    (!supported || took_uring(line)),
	    "a thread spawns on its own ring, freed at thread exit", NULL);
}

/* After fork, the child gets a ring of its own (the parent's is not). */
static void test_fork(void)
{
	char *const argv[] = { probe, out_path, "0", NULL };
	char line[256];
	int status = -1;
	off_t pos;
	pid_t pid;

	io_uring_spawn_supported(NULL);	/* the parent has a ring */
	pos = log_size();
	fflush(stdout);
	pid = fork();
	if (!pid) {
		pid_t child;
		int st;

		if (io_uring_posix_spawn(&child, probe, NULL, NULL, argv,
					 envp) ||
		    waitpid(child, &st, 0) != child || st)
			_exit(1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	log_since(pos, line, sizeof(line));
	tap(!status && (!supported || took_uring(line)),
	    "a forked child spawns on a new ring", NULL);
}

/* ------------------------------------------------------------ switches */

/* Run one posix_spawn in a child with IO_URING_SPAWN=@mode. */
static int spawn_with_mode(const char *mode, bool sched, char *line,
			   size_t len)
{
	int p[2], ret = -1, status;
	off_t pos = log_size();
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		struct tcase t = {
			.name = "switch", .build = sched ? schedparam : NULL,
		};
		struct objs obj;
		pid_t child;
		int r;

		setenv("IO_URING_SPAWN", mode, 1);
		posix_spawn_file_actions_init(&obj.fa);
		posix_spawnattr_init(&obj.at);
		if (t.build)
			t.build(&obj);
		r = spawn_it(&t, true, &child, &obj);
		if (!r)
			waitpid(child, NULL, 0);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = -1;
	close(p[0]);
	waitpid(pid, &status, 0);
	log_since(pos, line, len);
	return ret;
}

static void test_switches(void)
{
	char line[256];
	int ret;

	/* On a kernel without spawn any call falls back; else an attribute. */
	ret = spawn_with_mode("require", supported, line, sizeof(line));
	printf("# %s\n", line);
	tap(ret == IO_URING_SPAWN_EREQUIRED && !strncmp(line, "fallback ", 9),
	    "IO_URING_SPAWN=require: a call that would fall back fails with ENOSYS",
	    NULL);
	if (require && !supported)
		return;
	ret = spawn_with_mode("0", false, line, sizeof(line));
	tap(!ret && strstr(line, "IO_URING_SPAWN=0"),
	    "IO_URING_SPAWN=0: glibc does the spawn", NULL);
}

/* ------------------------------------------------------------ setup */

static void find_probe(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		die("/proc/self/exe");
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(probe, sizeof(probe), "%s/spawn_probe", self);
	if (access(probe, X_OK))
		die(probe);
}

/*
 * The scratch directory: in.txt, cloexec.txt, dir/sub, binA (empty),
 * binB/spawn_probe (not executable), binC/spawn_probe (the probe),
 * binD/spawn_probe (executable, no program). Searchable by nobody, and
 * the log writable by it, for the resetids case.
 */
static void make_scratch(void)
{
	size_t used;
	int i;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/spawn_diff.XXXXXX");
	if (!mkdtemp(tmpdir) || chmod(tmpdir, 0711) || chdir(tmpdir))
		die("mkdtemp");
	snprintf(out_path, sizeof(out_path), "%s/probe.out", tmpdir);
	snprintf(log_path, sizeof(log_path), "%s/spawn.log", tmpdir);
	write_file("spawn.log", "", 0666);
	write_file("in.txt", "input\n", 0644);
	write_file("cloexec.txt", "cloexec\n", 0644);
	if (mkdir("dir", 0755) || mkdir("dir/sub", 0755) ||
	    mkdir("binA", 0755) || mkdir("binB", 0755) ||
	    mkdir("binC", 0755) || mkdir("binD", 0755) ||
	    symlink(probe, "binC/spawn_probe"))
		die("scratch");
	write_file("binB/spawn_probe", "#!/bin/sh\n", 0644);
	write_file("binD/spawn_probe", "no program\n", 0755);
	/* 99 elements without the probe, then one with it */
	for (i = 0, used = 0; i < 99; i++)
		used += snprintf(long_path + used, sizeof(long_path) - used,
				 "%s/binA:", tmpdir);
	snprintf(long_path + used, sizeof(long_path) - used, "%s/binC",
		 tmpdir);
	setenv("IO_URING_SPAWN_LOG", log_path, 1);
}

static void remove_scratch(void)
{
	char cmd[64];

	if (chdir("/"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		printf("# could not remove %s\n", tmpdir);
}

static void run_all(void)
{
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
	test_pidfd_exit(false);
	/* for pidfd_spawnp's search */
	snprintf(path, sizeof(path), "%s/binC:/usr/bin:/bin", tmpdir);
	setenv("PATH", path, 1);
	test_pidfd_exit(true);
	test_pidfd_signal();
	test_pidfd_failure();
	test_thread();
	test_fork();
	test_switches();
}

int main(void)
{
	const char *mode = getenv("IO_URING_SPAWN");

	setvbuf(stdout, NULL, _IOLBF, 0);
	require = mode && !strcmp(mode, "require");
	find_probe();
	make_scratch();
	supported = io_uring_spawn_supported(&unsupported_why);
	printf("# io_uring spawn %s%s%s\n", supported ? "supported" :
	       "not supported: ", supported ? "" : unsupported_why,
	       require ? " (IO_URING_SPAWN=require)" : "");
	if (require && !supported)
		test_switches();
	else
		run_all();
	if (sigign_notes)
		printf("# %d reports differed only in SigIgn of signals 32, 33 %s\n",
		       sigign_notes, "(glibc's child leaves them ignored)");
	if (!(require && !supported))
		printf("# io_uring path taken by %d of %d spawn cases\n",
		       uring_cases, uring_eligible);
	if (!supported) {
		char skip[128];

		snprintf(skip, sizeof(skip),
			 "SKIP kernel cannot spawn through io_uring: %s",
			 unsupported_why);
		tap(true, "spawns through io_uring", skip);
	}
	printf("1..%d\n", tap_nr);
	remove_scratch();
	if (failures)
		return 1;
	return supported ? 0 : KSFT_SKIP;
}
