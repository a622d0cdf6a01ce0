// SPDX-License-Identifier: GPL-2.0
/*
 * Shows that the running kernel's io_uring works: sets up a ring with raw
 * syscalls, round-trips a NOP and lists what IORING_REGISTER_PROBE says.
 * Stands in for the spawn demo until the spawn opcodes exist.
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_setup(unsigned int n, struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, n, p);
}

static int sys_enter(int fd, unsigned int sub, unsigned int wait, unsigned int flags)
{
	return syscall(__NR_io_uring_enter, fd, sub, wait, flags, NULL, 0);
}

static int sys_register(int fd, unsigned int op, void *arg, unsigned int n)
{
	return syscall(__NR_io_uring_register, fd, op, arg, n);
}

int main(void)
{
	struct io_uring_params p;
	struct io_uring_probe *probe;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqe;
	unsigned int *sq_tail, *sq_array, *cq_head;
	void *sq, *cq;
	int fd, i, supported = 0;
	const int nops = 256;

	memset(&p, 0, sizeof(p));
	fd = sys_setup(4, &p);
	if (fd < 0) {
		perror("io_uring_setup");
		return 1;
	}
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(*cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	sq_tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	sq_array = (unsigned int *)((char *)sq + p.sq_off.array);
	cq_head = (unsigned int *)((char *)cq + p.cq_off.head);

	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_NOP;
	sqes[0].user_data = 0xfeed;
	sq_array[0] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	if (sys_enter(fd, 1, 1, IORING_ENTER_GETEVENTS) < 0) {
		perror("io_uring_enter");
		return 1;
	}
	cqe = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	printf("io_uring: NOP completed, user_data=%#llx res=%d\n",
	       (unsigned long long)cqe->user_data, cqe->res);
	if (cqe->user_data != 0xfeed || cqe->res != 0)
		return 1;
	__atomic_store_n(cq_head, *cq_head + 1, __ATOMIC_RELEASE);

	probe = calloc(1, sizeof(*probe) + nops * sizeof(probe->ops[0]));
	if (!probe || sys_register(fd, IORING_REGISTER_PROBE, probe, nops) < 0) {
		perror("IORING_REGISTER_PROBE");
		return 1;
	}
	for (i = 0; i <= probe->last_op; i++)
		supported += !!(probe->ops[i].flags & IO_URING_OP_SUPPORTED);
	printf("io_uring: %d opcodes supported, last_op=%u, features=%#x\n",
	       supported, probe->last_op, p.features);
	free(probe);
	close(fd);
	return 0;
}
