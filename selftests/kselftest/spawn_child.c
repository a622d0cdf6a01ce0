// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_child - the program the io_uring_spawn selftests exec.
 *
 *   spawn_child <report-fd|-> [exit:N] [other arguments...]
 *
 * Writes what it inherited to <report-fd> (nothing with "-"), one
 * "key=value" line per fact, then exits 0, or N with exit:N. Other
 * arguments are only echoed, so tests can check that argv arrives intact.
 *
 *   pid=<pid>            ppid=<ppid>          argc=<n>
 *   argv[<i>]=<string>   (one per argument)
 *   env=<string>         (one per environment string, in order)
 *   fd=<n>               (one per open descriptor in 0..63)
 *   link=<n>:<target>    (its /proc/self/fd link, for each of them)
 *   cwd=<path>           umask=<4 octal digits>
 *   blocked=<signo>      (one per blocked signal)
 *   ignored=<signo>      (one per signal whose disposition is SIG_IGN)
 *   pgid=<pgid>          sid=<sid>
 *   uid=<r>,<e>,<s>      gid=<r>,<e>,<s>
 *   nofile=<soft RLIMIT_NOFILE or "inf">
 *   cgroup=<cgroup2 path> (when /proc/self/cgroup has a "0::" line)
 *   end
 *
 * The descriptors are listed before anything else is opened so that the
 * list is exactly what the exec left open. The report is built in memory and
 * written at the end: it is far smaller than a pipe's capacity, so the write
 * never waits for a reader (tests may reap the child before reading), and a
 * report that ends with "end" proves the program ran to completion.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FD_SCAN	64
#define REPORT_SIZE	32768

static char report[REPORT_SIZE];
static size_t report_len;
static int report_overflow;

static void put(const char *fmt, ...)
{
	size_t room = sizeof(report) - report_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(report + report_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		report_overflow = 1;
		return;
	}
	report_len += n;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = v;
	return 0;
}

static void put_cgroup(void)
{
	char line[PATH_MAX + 8];
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		put("cgroup=%s\n", line + 3);
		break;
	}
	fclose(f);
}

/* Where fd @fd points, if it is open (scanned after the fd list). */
static void put_link(int fd)
{
	char path[32], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	put("link=%d:%s\n", fd, target);
}

static void put_ids(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (!getresuid(&ru, &eu, &su))
		put("uid=%u,%u,%u\n", ru, eu, su);
	if (!getresgid(&rg, &eg, &sg))
		put("gid=%u,%u,%u\n", rg, eg, sg);
}

int main(int argc, char **argv)
{
	int report_fd = -1, exit_code = 0;
	char cwd[PATH_MAX];
	struct rlimit rl;
	sigset_t blocked;
	mode_t mask;
	size_t off;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s <report-fd|-> [exit:N] [args]\n",
			argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "-") && parse_int(argv[1], &report_fd)) {
		fprintf(stderr, "spawn_child: bad report fd '%s'\n", argv[1]);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (strncmp(argv[i], "exit:", 5))
			continue;
		if (parse_int(argv[i] + 5, &exit_code) ||
		    exit_code < 0 || exit_code > 255) {
			fprintf(stderr, "spawn_child: bad mode '%s'\n", argv[i]);
			return 2;
		}
	}
	if (report_fd < 0)
		return exit_code;

	/* First, before this program opens anything itself. */
	for (i = 0; i < MAX_FD_SCAN; i++)
		if (fcntl(i, F_GETFD) != -1)
			put("fd=%d\n", i);
	for (i = 0; i < MAX_FD_SCAN; i++)
		put_link(i);

	put("pid=%d\n", getpid());
	put("ppid=%d\n", getppid());
	put("argc=%d\n", argc);
	for (i = 0; i < argc; i++)
		put("argv[%d]=%s\n", i, argv[i]);
	for (i = 0; environ && environ[i]; i++)
		put("env=%s\n", environ[i]);

	if (getcwd(cwd, sizeof(cwd)))
		put("cwd=%s\n", cwd);
	else
		put("cwd=?%d\n", errno);

	mask = umask(0);
	umask(mask);
	put("umask=%04o\n", (unsigned int)mask);

	sigemptyset(&blocked);
	sigprocmask(SIG_BLOCK, NULL, &blocked);
	for (i = 1; i < NSIG; i++)
		if (sigismember(&blocked, i) == 1)
			put("blocked=%d\n", i);

	for (i = 1; i < NSIG; i++) {
		struct sigaction sa;

		if (!sigaction(i, NULL, &sa) && sa.sa_handler == SIG_IGN)
			put("ignored=%d\n", i);
	}
	put("pgid=%d\n", getpgrp());
	put("sid=%d\n", getsid(0));
	put_ids();

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		if (rl.rlim_cur == RLIM_INFINITY)
			put("nofile=inf\n");
		else
			put("nofile=%llu\n", (unsigned long long)rl.rlim_cur);
	}

	put_cgroup();
	put("end\n");

	if (report_overflow) {
		fprintf(stderr, "spawn_child: report too large\n");
		return 3;
	}
	for (off = 0; off < report_len;) {
		ssize_t n = write(report_fd, report + off, report_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "spawn_child: write report: %s\n",
				strerror(errno));
			return 3;
		}
		off += n;
	}
	return exit_code;
}
