// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_spawn demo: run a real program with its stdout redirected to a
 * file, set up entirely by the linked requests of one submission:
 *
 *   CLONE -> CLOSE(1) -> OPENAT(out, O_WRONLY|O_CREAT|O_TRUNC) -> EXEC
 *
 * The OPENAT gets the lowest free fd in the child's table, which the CLOSE
 * just freed: 1. Then the same chain with a missing program, to show how
 * a failure reaches the parent. Uses the selftests' raw ring helper.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>

#include "spawn_ring.h"

static const char *op_name(__u64 user_data)
{
	static const char *const names[] = { "?", "CLONE", "CLOSE", "OPENAT", "EXEC" };

	return user_data < 5 ? names[user_data] : "?";
}

/* Submit one spawn chain, print its CQEs, reap the child. */
static int spawn(struct spawn_ring *r, const char *out, char *const argv[])
{
	char *const envp[] = { "PATH=/usr/bin:/bin", "GREETING=hello from io_uring_spawn", NULL };
	struct spawn_cqe cqe[4];
	struct io_uring_sqe *sqe;
	int i, n, status;
	pid_t pid = -1;

	sqe = ring_get_sqe(r);
	prep_clone(sqe, NULL, 0);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = ring_get_sqe(r);
	prep_close(sqe, 1);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 2;
	sqe = ring_get_sqe(r);
	prep_openat(sqe, AT_FDCWD, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 3;
	sqe = ring_get_sqe(r);
	prep_exec(sqe, AT_FDCWD, argv[0], argv, envp, 0);
	sqe->user_data = 4;

	if (ring_submit(r) != 4) {
		perror("io_uring_enter");
		return -1;
	}
	n = ring_wait_cqes(r, cqe, 4, 10000);
	for (i = 0; i < n; i++) {
		printf("  %-6s res=%d%s\n", op_name(cqe[i].user_data), cqe[i].res,
		       cqe[i].res < 0 ? "  (negative: an errno)" : "");
		if (cqe[i].user_data == 1)
			pid = cqe[i].res;
	}
	if (n != 4 || pid <= 0)
		return -1;
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return -1;
	}
	printf("  child %d: %s %d\n", pid,
	       WIFEXITED(status) ? "exited with" : "killed by signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int main(int argc, char **argv)
{
	const char *out = argc > 1 ? argv[1] : "/tmp/spawn_demo.out";
	char *const good[] = {
		"/bin/sh", "-c",
		"echo \"$GREETING: pid $$, parent $PPID\"; uname -sr", NULL
	};
	char *const bad[] = { "/no/such/program", NULL };
	struct spawn_ring r;
	char line[256];
	FILE *f;

	if (ring_init(&r, 16, 0, 0)) {
		perror("io_uring_setup");
		return 1;
	}
	if (!(r.features & IORING_FEAT_SPAWN)) {
		fprintf(stderr, "this kernel has no io_uring_spawn\n");
		return 1;
	}
	printf("== spawn /bin/sh with stdout redirected to %s\n", out);
	if (spawn(&r, out, good) != 0)
		return 1;
	f = fopen(out, "r");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		printf("  %s: %s", out, line);
	fclose(f);

	printf("== spawn a program that does not exist\n");
	if (spawn(&r, out, bad) != 127)
		return 1;
	ring_exit(&r);
	return 0;
}
