// SPDX-License-Identifier: GPL-2.0
const char *version(void);

const char *version(void)
{
	return VERSION;
}
