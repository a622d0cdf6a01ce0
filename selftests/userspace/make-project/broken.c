// SPDX-License-Identifier: GPL-2.0
/* Compiled only with BREAK=1, to check how a failing recipe is reported. */
#error "this object is broken on purpose"
