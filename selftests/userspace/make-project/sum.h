/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SUM_H
#define SUM_H

int sum_to(int n);

#endif
