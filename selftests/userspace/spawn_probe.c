// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_probe - what a spawned program finds itself started with, one
 * key=value line each, for spawn_diff to compare between glibc's
 * posix_spawn() and the io_uring one.
 *
 *   spawn_probe OUTPUT [EXIT_STATUS]
 *
 * Everything is gathered before OUTPUT is opened, so its fd is not among
 * those reported, and written there rather than to stdout, which may be
 * the target of a file action. Pipe and socket inode numbers and pids are
 * left out: they differ between two runs that are otherwise the same.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FD	1024

struct report {
	char *buf;
	size_t len;
	size_t size;
};

static void add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(r->buf + r->len, r->size - r->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			exit(125);
		if (r->len + n < r->size)
			break;
		r->size = 2 * (r->size + n);
		r->buf = realloc(r->buf, r->size);
		if (!r->buf)
			exit(125);
	}
	r->len += n;
}

/* pipe:[1234] -> pipe; anon_inode:[eventfd] -> anon:[eventfd] */
static void fd_target(struct report *r, int fd, const char *target)
{
	if (!strncmp(target, "pipe:", 5))
		add(r, "fd.%d=pipe", fd);
	else if (!strncmp(target, "socket:", 7))
		add(r, "fd.%d=socket", fd);
	else if (!strncmp(target, "anon_inode:", 11))
		add(r, "fd.%d=anon:%s", fd, target + 11);
	else
		add(r, "fd.%d=%s", fd, target);
}

/* The open flags and offset of an fd, from /proc/self/fdinfo. */
static void fd_info(struct report *r, int fd)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "flags:", 6))
			add(r, " flags=%s", line + 6 + strspn(line + 6, " \t"));
		else if (!strncmp(line, "pos:", 4))
			add(r, " pos=%s", line + 4 + strspn(line + 4, " \t"));
	}
	fclose(f);
}

static void fds(struct report *r)
{
	char path[64], target[4096];
	ssize_t n;
	int fd;

	for (fd = 0; fd < MAX_FD; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;	/* closed meanwhile */
		target[n] = '\0';
		fd_target(r, fd, target);
		fd_info(r, fd);
		add(r, "\n");
	}
}

/* Copy the lines of a /proc file that start with one of @keys. */
static void proc_lines(struct report *r, const char *file, const char *prefix,
		       const char *const *keys)
{
	char line[1024];
	int i, nr = 0;
	FILE *f;

	f = fopen(file, "re");
	if (!f) {
		add(r, "%s=unreadable\n", file);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!keys) {
			add(r, "%s.%d=%s\n", prefix, nr++, line);
			continue;
		}
		/* "SigBlk:\t0...0" -> "SigBlk=0...0" */
		for (i = 0; keys[i]; i++) {
			size_t len = strlen(keys[i]);

			if (!strncmp(line, keys[i], len) && line[len] == ':')
				add(r, "%s=%s\n", keys[i],
				    line + len + 1 + strspn(line + len + 1, " \t"));
		}
	}
	fclose(f);
}

static const char *relation(pid_t id, pid_t self, pid_t parent)
{
	if (id == self)
		return "self";
	if (id == parent)
		return "parent";
	return "other";
}

static void ids(struct report *r)
{
	pid_t self = getpid(), parent = getppid();
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	char cwd[4096];

	add(r, "cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : strerror(errno));
	add(r, "pgid=%s\n", relation(getpgrp(), self, getpgid(parent)));
	add(r, "sid=%s\n", relation(getsid(0), self, getsid(parent)));
	if (!getresuid(&ru, &eu, &su))
		add(r, "uid=%u,%u,%u\n", ru, eu, su);
	if (!getresgid(&rg, &eg, &sg))
		add(r, "gid=%u,%u,%u\n", rg, eg, sg);
}

static void args(struct report *r, int argc, char **argv)
{
	int i;

	add(r, "argc=%d\n", argc);
	for (i = 0; i < argc; i++)
		add(r, "argv.%d=%s\n", i, argv[i]);
	for (i = 0; environ && environ[i]; i++)
		add(r, "env.%d=%s\n", i, environ[i]);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const sig_keys[] = {
		"SigBlk", "SigIgn", "SigCgt", NULL
	};
	struct report r = { NULL, 0, 0 };
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OUTPUT [EXIT_STATUS]\n", argv[0]);
		return 125;
	}
	fds(&r);
	args(&r, argc, argv);
	ids(&r);
	proc_lines(&r, "/proc/self/status", "status", sig_keys);
	proc_lines(&r, "/proc/self/cgroup", "cgroup", NULL);

	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, r.buf, r.len) || close(fd))
		return 126;
	return argc > 2 ? atoi(argv[2]) : 0;
}
