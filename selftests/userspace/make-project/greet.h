/* SPDX-License-Identifier: GPL-2.0 */
#ifndef GREET_H
#define GREET_H

void greet(const char *who);

#endif
