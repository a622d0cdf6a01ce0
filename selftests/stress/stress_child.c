// SPDX-License-Identifier: GPL-2.0
/*
 * stress_child - the program spawn_stress and spawn_fuzz exec.
 *
 *   stress_child                          exit 0 (any other arguments too)
 *   stress_child --exit N TOKEN           exit N, if TOKEN is N's token
 *
 * It must be cheap: it runs once per spawn, possibly under a debug kernel
 * in an emulated guest, so it is linked statically and does nothing but
 * check what it was given.
 *
 * With --exit, TOKEN and the environment string STRESS_TOKEN=TOKEN prove
 * that argv and envp arrived intact from memory the child shared with a
 * busy, multi-threaded submitter until the exec; a mismatch exits 125.
 *
 * STRESS_GUARD=PID in the environment (or --guard=PID in argv) names the
 * submitter. If we run with that pid, an EXEC replaced the submitter
 * itself instead of a child: say so on stderr and exit 99, so the test
 * fails loudly instead of ending with a silent exit 0 from us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The token of exit code @code; spawn_stress computes the same. */
static unsigned int token_of(unsigned int code)
{
	return (code + 1) * 2654435761U;
}

static int parse_uint(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s)
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > 0xffffffffUL)
		return -1;
	*out = v;
	return 0;
}

static void check_guard(const char *s)
{
	static const char msg[] =
		"not ok 1 stress_child # an EXEC replaced the submitter itself\n";
	unsigned int pid;
	ssize_t n;

	if (parse_uint(s, &pid) || (pid_t)pid != getpid())
		return;
	/* One write, no stdio buffering: this is the only thing we print. */
	n = write(2, msg, sizeof(msg) - 1);
	(void)n;	/* exit 99 says it anyway */
	_exit(99);
}

int main(int argc, char **argv)
{
	unsigned int code, token;
	const char *env;
	char want[32];
	int i;

	check_guard(getenv("STRESS_GUARD"));
	for (i = 1; i < argc; i++)
		if (argv[i] && !strncmp(argv[i], "--guard=", 8))
			check_guard(argv[i] + 8);

	if (argc < 4 || !argv[1] || strcmp(argv[1], "--exit"))
		return 0;
	if (parse_uint(argv[2], &code) || code > 255 ||
	    parse_uint(argv[3], &token))
		return 125;
	if (token != token_of(code))
		return 125;
	env = getenv("STRESS_TOKEN");
	snprintf(want, sizeof(want), "%u", token);
	if (!env || strcmp(env, want))
		return 125;
	return code;
}
