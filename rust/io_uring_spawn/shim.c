// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_spawn C shim.
 *
 * The spawn opcodes are implemented in Rust (spawn.rs). struct io_kiocb and
 * the helpers that run, complete and fail requests are private to io_uring,
 * so this file puts each one the Rust side needs behind a plain function. It
 * holds no policy: every decision is made on the Rust side.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs_struct.h>
#include <linux/io_uring_types.h>
#include <linux/io_uring/spawn.h>
#include <linux/namei.h>
#include <linux/sched/signal.h>
#include <linux/seccomp.h>
#include <linux/syscalls.h>
#include <asm/syscall.h>

#include "../io_uring.h"
#include "../refs.h"
#include "../../kernel/uid16.h"

static_assert(sizeof(struct io_cmd_data) == IO_SPAWN_CMD_SIZE);

void io_spawn_read_sqe(const struct io_uring_sqe *sqe, struct io_spawn_sqe *out)
{
	out->off = READ_ONCE(sqe->off);
	out->addr = READ_ONCE(sqe->addr);
	out->addr3 = READ_ONCE(sqe->addr3);
	out->pad2 = READ_ONCE(sqe->__pad2[0]);
	out->len = READ_ONCE(sqe->len);
	out->op_flags = READ_ONCE(sqe->rw_flags);
	out->fd = READ_ONCE(sqe->fd);
	out->file_index = READ_ONCE(sqe->file_index);
	out->ioprio = READ_ONCE(sqe->ioprio);
	out->buf_index = READ_ONCE(sqe->buf_index);
	out->personality = READ_ONCE(sqe->personality);
}

u8 io_spawn_req_opcode(struct io_kiocb *req)
{
	return req->opcode;
}

u32 io_spawn_req_flags(struct io_kiocb *req)
{
	u32 flags = 0;

	if (req->flags & REQ_F_LINK)
		flags |= IO_SPAWN_REQ_LINK;
	if (req->flags & REQ_F_HARDLINK)
		flags |= IO_SPAWN_REQ_HARDLINK;
	if (req->flags & REQ_F_FORCE_ASYNC)
		flags |= IO_SPAWN_REQ_FORCE_ASYNC;
	if (req->flags & REQ_F_FIXED_FILE)
		flags |= IO_SPAWN_REQ_FIXED_FILE;
	if (req->flags & REQ_F_CREDS)
		flags |= IO_SPAWN_REQ_CREDS;
	if (req->flags & (REQ_F_ARM_LTIMEOUT | REQ_F_LINK_TIMEOUT))
		flags |= IO_SPAWN_REQ_LTIMEOUT;
	if (req->flags & REQ_F_CQE_SKIP)
		flags |= IO_SPAWN_REQ_CQE_SKIP;
	return flags;
}

void *io_spawn_req_cmd(struct io_kiocb *req)
{
	return &req->cmd;
}

bool io_spawn_req_compat(struct io_kiocb *req)
{
	return req->ctx->compat;
}

bool io_spawn_ring_sqpoll(struct io_kiocb *req)
{
	return req->ctx->flags & IORING_SETUP_SQPOLL;
}

/* Only meaningful from ->prep(), which runs under uring_lock at submission. */
bool io_spawn_link_open(struct io_kiocb *req)
{
	lockdep_assert_held(&req->ctx->uring_lock);
	return !!req->ctx->submit_state.link.head;
}

/*
 * The child is copied from current, so only the task that submitted the
 * request will do: not an io-wq worker, not the SQPOLL thread.
 */
bool io_spawn_issuer_is_submitter(struct io_kiocb *req)
{
	return req->task == current &&
	       !(current->flags & (PF_IO_WORKER | PF_USER_WORKER | PF_KTHREAD));
}

void io_spawn_req_set_res(struct io_kiocb *req, int res)
{
	if (res < 0)
		req_set_fail(req);
	io_req_set_res(req, res, 0);
}

/* Take @req's link: the caller owns the rest of the chain from now on. */
struct io_kiocb *io_spawn_req_detach_link(struct io_kiocb *req)
{
	struct io_kiocb *next = req->link;

	req->link = NULL;
	return next;
}

struct io_kiocb *io_spawn_req_peek_link(struct io_kiocb *req)
{
	return req->link;
}

/*
 * Run a request of a spawn chain in the current task exactly as io-wq runs
 * blocking work: io_wq_submit_work() issues it without uring_lock, lets it
 * sleep, and hands its completion to the ring the way io-wq's are handed
 * (task_work for DEFER_TASKRUN rings). It takes a reference that we drop
 * once the result is read, so the request cannot go away under us.
 */
int io_spawn_req_run(struct io_kiocb *req)
{
	struct io_wq_work *linked;
	int res;

	atomic_set(&req->work.flags, 0);
	io_wq_submit_work(&req->work);
	res = READ_ONCE(req->cqe.res);
	if (io_wq_put_work(&req->work, &linked))
		io_wq_free_work(&req->work);
	/* The chain was detached from every request before it ran. */
	WARN_ON_ONCE(linked);
	return res;
}

/* Complete a request of a chain that will never run. */
void io_spawn_req_cancel(struct io_kiocb *req, int res)
{
	io_req_task_queue_fail(req, res);
}

/*
 * Before each step, the child does what a task does on its way back to
 * user space between two syscalls: runs its task_work (deferred fputs
 * among it) and clears TIF_NOTIFY_SIGNAL. The flag matters from the first
 * step: the child's thread flags are a copy of the submitter's, which has
 * it set whenever task_work is queued to it (an earlier child freeing its
 * requests, say); left set, signal_pending() is true in the child and
 * exec's interruptible waits fail with -EINTR. Real signals stay pending.
 * Returns whether a fatal one is: then the child must give up.
 */
bool io_spawn_child_settle(void)
{
	io_run_task_work();
	return fatal_signal_pending(current);
}

/*
 * The chain-only opcodes and the spawn attributes. Each is the body of the
 * syscall it stands for, run by the child on its own fd table, fs state,
 * signal state and creds; the Rust side has checked the arguments.
 */

int io_spawn_do_dup(int fd, unsigned int target, bool cloexec, bool move)
{
	struct file *file = fget_raw(fd);
	int ret;

	if (!file)
		return -EBADF;
	if (fd == target) {
		fput(file);
		/*
		 * dup2(fd, fd) would change nothing; posix_spawn's
		 * adddup2(fd, fd) clears FD_CLOEXEC (POSIX.1-2024). A move onto
		 * itself leaves the fd as it is.
		 */
		if (!move)
			set_close_on_exec(target, cloexec);
		return target;
	}
	ret = replace_fd(target, file, cloexec ? O_CLOEXEC : 0);
	fput(file);
	if (ret < 0)
		return ret;
	if (move)
		close_fd(fd);
	return target;
}

int io_spawn_do_chdir(int dfd, const char __user *path)
{
	unsigned int lookup_flags = LOOKUP_FOLLOW | LOOKUP_DIRECTORY;
	struct path p;
	int ret;

retry:
	ret = user_path_at(dfd, path, lookup_flags, &p);
	if (ret)
		return ret;
	ret = path_permission(&p, MAY_EXEC | MAY_CHDIR);
	if (!ret)
		set_fs_pwd(current->fs, &p);
	path_put(&p);
	if (retry_estale(ret, lookup_flags)) {
		lookup_flags |= LOOKUP_REVAL;
		goto retry;
	}
	return ret;
}

int io_spawn_do_fchdir(int fd)
{
	struct file *file = fget_raw(fd);
	int ret = -ENOTDIR;

	if (!file)
		return -EBADF;
	if (d_can_lookup(file->f_path.dentry)) {
		ret = file_permission(file, MAY_EXEC | MAY_CHDIR);
		if (!ret)
			set_fs_pwd(current->fs, &file->f_path);
	}
	fput(file);
	return ret;
}

int io_spawn_do_close_range(unsigned int first, unsigned int last,
			    unsigned int flags)
{
	return __close_range(first, last, flags);
}

/* Bit (n - 1) of @set is signal n; the Rust side has checked _NSIG <= 64. */
static void io_spawn_sigset(u64 set, sigset_t *out)
{
	int sig;

	sigemptyset(out);
	for (sig = 1; sig <= _NSIG; sig++)
		if (set & BIT_ULL(sig - 1))
			sigaddset(out, sig);
}

void io_spawn_set_sigdefault(u64 set)
{
	struct k_sigaction dfl = { .sa.sa_handler = SIG_DFL };
	sigset_t s;
	int sig;

	io_spawn_sigset(set, &s);
	/* SIGKILL and SIGSTOP are always SIG_DFL: skip them, as glibc does. */
	for (sig = 1; sig <= _NSIG; sig++)
		if (sigismember(&s, sig) && !sig_kernel_only(sig))
			do_sigaction(sig, &dfl, NULL);
}

void io_spawn_set_sigmask(u64 set)
{
	sigset_t s;

	io_spawn_sigset(set, &s);
	/* Drops SIGKILL and SIGSTOP, as sigprocmask() does. */
	set_current_blocked(&s);
}

int io_spawn_setsid(void)
{
	int ret = ksys_setsid();

	return ret < 0 ? ret : 0;
}

int io_spawn_setpgid(pid_t pgid)
{
	return ksys_setpgid(0, pgid);
}

/* posix_spawn's RESETIDS: seteuid(getuid()), then setegid(getgid()). */
int io_spawn_resetids(void)
{
	struct user_namespace *ns = current_user_ns();
	long ret;

	ret = __sys_setresuid(-1, from_kuid_munged(ns, current_uid()), -1);
	if (!ret)
		ret = __sys_setresgid(-1, from_kgid_munged(ns, current_gid()), -1);
	return ret;
}

/*
 * What the child's seccomp filters say of an exec with these arguments,
 * seen as execve(2) or, with @at, as execveat(2).
 */
u32 io_spawn_seccomp_verdict(bool at, int dfd, u64 filename, u64 argv,
			     u64 envp, int flags)
{
	struct seccomp_data sd = {
		.nr = at ? __NR_execveat : __NR_execve,
		.arch = syscall_get_arch(current),
	};

	if (at) {
		sd.args[0] = dfd;
		sd.args[1] = filename;
		sd.args[2] = argv;
		sd.args[3] = envp;
		sd.args[4] = flags;
	} else {
		sd.args[0] = filename;
		sd.args[1] = argv;
		sd.args[2] = envp;
	}
	return seccomp_verdict(&sd);
}
