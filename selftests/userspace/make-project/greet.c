// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "greet.h"

void greet(const char *who)
{
	printf("hello, %s\n", who);
}
