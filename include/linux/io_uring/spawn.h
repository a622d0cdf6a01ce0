/* SPDX-License-Identifier: GPL-2.0 */
/*
 * io_uring_spawn: the C side that the Rust core (io_uring/spawn/) calls.
 *
 * struct io_kiocb and the io_uring core are private to io_uring/; the Rust
 * code sees requests as opaque pointers and reaches them only through the
 * functions below, implemented in io_uring/spawn/shim.c.
 */
#ifndef _LINUX_IO_URING_SPAWN_H
#define _LINUX_IO_URING_SPAWN_H

#include <linux/binfmts.h>
#include <linux/fcntl.h>
#include <linux/sched/task.h>
#include <linux/seccomp.h>
#include <linux/signal.h>
#include <linux/types.h>
#include <uapi/linux/close_range.h>
#include <uapi/linux/io_uring.h>

struct io_kiocb;
struct io_uring_sqe;

/* The SQE fields the spawn opcodes look at, each read once. */
struct io_spawn_sqe {
	__u64 off;		/* also addr2 */
	__u64 addr;
	__u64 addr3;
	__u64 pad2;
	__u32 len;
	__u32 op_flags;		/* rw_flags, execve_flags, ... */
	__s32 fd;
	__s32 file_index;	/* also splice_fd_in */
	__u16 ioprio;
	__u16 buf_index;
	__u16 personality;
};

/* Request state, mapped from REQ_F_* so the Rust side needs no io_uring internals. */
enum io_spawn_req_flags {
	IO_SPAWN_REQ_LINK	= 1 << 0,
	IO_SPAWN_REQ_HARDLINK	= 1 << 1,
	IO_SPAWN_REQ_FORCE_ASYNC = 1 << 2,
	IO_SPAWN_REQ_FIXED_FILE	= 1 << 3,
	IO_SPAWN_REQ_CREDS	= 1 << 4,
	IO_SPAWN_REQ_LTIMEOUT	= 1 << 5,
	IO_SPAWN_REQ_CQE_SKIP	= 1 << 6,
};

/* Size of a request's per-opcode data (struct io_cmd_data). */
#define IO_SPAWN_CMD_SIZE 64

void io_spawn_read_sqe(const struct io_uring_sqe *sqe, struct io_spawn_sqe *out);
u8 io_spawn_req_opcode(struct io_kiocb *req);
u32 io_spawn_req_flags(struct io_kiocb *req);
void *io_spawn_req_cmd(struct io_kiocb *req);
bool io_spawn_req_compat(struct io_kiocb *req);
bool io_spawn_ring_sqpoll(struct io_kiocb *req);
bool io_spawn_link_open(struct io_kiocb *req);
bool io_spawn_issuer_is_submitter(struct io_kiocb *req);
void io_spawn_req_set_res(struct io_kiocb *req, int res);

/* ->issue()'s "the request completes later" (IOU_ISSUE_SKIP_COMPLETE). */
#define IO_SPAWN_ISSUE_LATER	(-529)
void io_spawn_req_complete(struct io_kiocb *req, int res);
int io_spawn_run_on_return(struct callback_head *cb,
			   void (*fn)(struct callback_head *cb));
bool io_spawn_current_exiting(void);

struct io_kiocb *io_spawn_req_detach_link(struct io_kiocb *req);
struct io_kiocb *io_spawn_req_peek_link(struct io_kiocb *req);
int io_spawn_req_run(struct io_kiocb *req);
void io_spawn_req_cancel(struct io_kiocb *req, int res, bool quiet);

/* A chain run by its child, for io_uring's cancellation (shim.c). */
struct io_spawn_track;
struct io_ring_ctx;
struct task_struct;

struct io_spawn_track *io_spawn_track_new(struct io_kiocb *req);
void io_spawn_track_start(struct io_spawn_track *t);
void io_spawn_track_free(struct io_spawn_track *t);

/* What the child does before each step of its chain. */
enum io_spawn_settle {
	IO_SPAWN_GO,		/* run the step */
	IO_SPAWN_SIGNALS,	/* take the pending signals first */
	IO_SPAWN_DIE,		/* cancelled or a fatal signal: give up */
};

int io_spawn_child_settle(struct io_spawn_track *t);
struct io_kiocb *io_spawn_child_signals(struct io_spawn_track *t,
					struct io_kiocb *rest);
void __noreturn io_spawn_child_exit(int code);

/* Whether a chain request's result is a new fd of the child. */
bool io_spawn_req_returns_fd(struct io_kiocb *req);
/* Called in the submitter for each request of a chain it hands over. */
void io_spawn_req_handover(struct io_kiocb *req);

/* What the child does for the chain-only opcodes and the spawn attributes. */
int io_spawn_do_dup(int fd, unsigned int target, bool cloexec, bool move);
int io_spawn_do_chdir(int dfd, const char __user *path);
int io_spawn_do_fchdir(int fd);
int io_spawn_do_close_range(unsigned int first, unsigned int last,
			    unsigned int flags);
void io_spawn_set_sigdefault(u64 set);
void io_spawn_set_sigmask(u64 set);
int io_spawn_setsid(void);
int io_spawn_setpgid(pid_t pgid);
int io_spawn_resetids(void);
u32 io_spawn_seccomp_verdict(bool at, int dfd, u64 filename, u64 argv,
			     u64 envp, int flags);
u32 io_spawn_seccomp_clone_verdict(bool clone);
bool io_spawn_in_compat_syscall(void);

#ifdef CONFIG_IO_URING_SPAWN
bool io_spawn_cancel(struct io_ring_ctx *ctx, struct task_struct *task,
		     bool cancel_all);
bool io_spawn_current_runs_chain(void);
#else
static inline bool io_spawn_cancel(struct io_ring_ctx *ctx,
				   struct task_struct *task, bool cancel_all)
{
	return false;
}

static inline bool io_spawn_current_runs_chain(void)
{
	return false;
}
#endif

/* Opcode handlers, implemented in Rust. */
int io_clone_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe);
int io_clone(struct io_kiocb *req, unsigned int issue_flags);
int io_exec_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe);
int io_exec(struct io_kiocb *req, unsigned int issue_flags);
int io_dup_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe);
int io_dup(struct io_kiocb *req, unsigned int issue_flags);
int io_chdir_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe);
int io_chdir(struct io_kiocb *req, unsigned int issue_flags);
int io_close_range_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe);
int io_close_range(struct io_kiocb *req, unsigned int issue_flags);

#endif /* _LINUX_IO_URING_SPAWN_H */
