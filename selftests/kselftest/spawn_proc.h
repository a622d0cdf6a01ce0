/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the io_uring_spawn tests check of their own process once the spawns
 * are done: the fds it has open, whether any child is left (zombie or not),
 * and which processes have it as their parent. Shared by the kselftests and
 * the stress programs, which all end by proving that nothing was left behind.
 */
#ifndef SPAWN_PROC_H
#define SPAWN_PROC_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Open fds; the directory's own fd is counted too, the same on every call. */
static inline int spawn_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Whether we have any child at all, zombie or not, whatever its exit signal. */
static inline bool spawn_has_children(void)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	return !(waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) &&
		 errno == ECHILD);
}

static inline void spawn_kill_pid(pid_t pid)
{
	kill(pid, SIGKILL);
}

/*
 * Call @fn(pid), if set, for every process whose parent is us per /proc
 * (which sees children that wait() cannot name yet); returns their number.
 */
static inline int spawn_walk_children(void (*fn)(pid_t))
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid();
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[sizeof(e->d_name) + 16], buf[512], *p;
		int fd, ppid;
		ssize_t len;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "pid (comm) state ppid ...": comm may hold spaces and ')' */
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1 || ppid != self)
			continue;
		n++;
		if (fn)
			fn(atoi(e->d_name));
	}
	closedir(d);
	return n;
}

#endif /* SPAWN_PROC_H */
