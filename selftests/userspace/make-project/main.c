// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "gen.h"
#include "greet.h"
#include "sum.h"

const char *version(void);

int main(void)
{
	greet("make");
	printf("sum of 1..%d = %d\n", GEN_COUNT, sum_to(GEN_COUNT));
	printf("version %s\n", version());
	return 0;
}
