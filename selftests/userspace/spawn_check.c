// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_check - can this process spawn through io_uring? Prints
 * "supported" and exits 0, or prints the library's reason and exits 4
 * (the kselftest skip code). For the scripts, which cannot ask the
 * library themselves.
 */
#include <stdio.h>

#include "uring_spawn.h"

int main(void)
{
	const char *why = NULL;

	if (io_uring_spawn_supported(&why)) {
		printf("supported\n");
		return 0;
	}
	printf("%s\n", why ? why : "unknown");
	return 4;
}
