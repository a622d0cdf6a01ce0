// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_spawn C shim.
 *
 * The spawn opcodes are implemented in Rust (spawn.rs). struct io_kiocb and
 * the helpers that run, complete and fail requests are private to io_uring,
 * so this file puts each one the Rust side needs behind a plain function. It
 * holds no policy: every decision is made on the Rust side.
 */
#include <linux/compat.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs_struct.h>
#include <linux/io_uring_types.h>
#include <linux/io_uring/spawn.h>
#include <linux/namei.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/seccomp.h>
#include <linux/syscalls.h>
#include <asm/syscall.h>

#include "../io_uring.h"
#include "../openclose.h"
#include "../refs.h"

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

static_assert(IO_SPAWN_ISSUE_LATER == IOU_ISSUE_SKIP_COMPLETE);

/*
 * Complete @req, whose ->issue() returned IO_SPAWN_ISSUE_LATER, from the
 * task that submitted it, holding no locks: its completion goes through
 * io_uring's task_work.
 */
void io_spawn_req_complete(struct io_kiocb *req, int res)
{
	io_spawn_req_set_res(req, res);
	req->io_task_work.func = io_req_task_complete;
	io_req_task_work_add(req);
}

/*
 * Run @fn in the current task on its way back to user space, after the
 * system call in progress (or in its exit, see io_spawn_current_exiting()).
 * An io_uring_enter() that waits for completions runs it before it sleeps.
 */
int io_spawn_run_on_return(struct callback_head *cb,
			   void (*fn)(struct callback_head *cb))
{
	init_task_work(cb, fn);
	return task_work_add(current, cb, TWA_RESUME);
}

/* Whether the current task runs its task_work from do_exit(). */
bool io_spawn_current_exiting(void)
{
	return current->flags & PF_EXITING;
}

/* Take @req's link: the caller owns the rest of the chain from now on. */
struct io_kiocb *io_spawn_req_detach_link(struct io_kiocb *req)
{
	struct io_kiocb *next = req->link;

	req->link = NULL;
	return next;
}

bool io_spawn_req_returns_fd(struct io_kiocb *req)
{
	switch (req->opcode) {
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
		/* Not when it opens into a fixed file slot of the ring. */
		return !io_openat_to_slot(req);
	case IORING_OP_DUP:
		return true;
	default:
		return false;
	}
}

/*
 * The submitter hands a chain request over to the child. An OPENAT's name
 * was bound to the submitter's audit context when it was prepared; the
 * child may look it up after that context is gone.
 */
void io_spawn_req_handover(struct io_kiocb *req)
{
	if (req->opcode == IORING_OP_OPENAT || req->opcode == IORING_OP_OPENAT2)
		io_openat_audit_detach(req);
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

/*
 * Complete a request of a chain that will never run, with @res. With
 * @quiet its CQE is skipped: io_uring's links skip the CQEs of the requests
 * a failed IOSQE_CQE_SKIP_SUCCESS request cancels (REQ_F_SKIP_LINK_CQES).
 * In the submitter (the CLONE's issue) the completion goes through its
 * task_work, as the failed links of an issue do; in the child it is posted
 * the way the child's other completions are, so they stay in chain order.
 */
void io_spawn_req_cancel(struct io_kiocb *req, int res, bool quiet)
{
	req_set_fail(req);
	if (quiet)
		req->flags |= REQ_F_CQE_SKIP;
	io_req_set_res(req, res, 0);
	if (req->task == current) {
		req->io_task_work.func = io_req_task_complete;
		io_req_task_work_add(req);
	} else {
		io_req_complete_out_of_line(req);
	}
}

/*
 * A chain being run by its child, as io_uring's cancellation sees it. The
 * requests of a chain are out of io_uring's reach once the CLONE took them:
 * to cancel them (ring teardown, the submitter's exec), the child is killed,
 * and it cancels what it still holds. It holds a reference on the ring and
 * on the submitter, so that neither is mistaken for a later one.
 *
 * While the child handles signals it may be stopped, frozen or traced, and
 * it may die there without coming back: the rest of its chain is then
 * parked here, and the child's exit (its pidfd wake-up) cancels it.
 */
struct io_spawn_track {
	struct list_head	node;
	struct io_ring_ctx	*ctx;
	struct task_struct	*submitter;
	struct task_struct	*child;
	struct mm_struct	*mm;		/* the child's until it execs */
	bool			cancelled;
	struct io_kiocb		*parked;
	struct wait_queue_entry	wait;
	struct work_struct	work;
};

static LIST_HEAD(io_spawn_tracks);
static DEFINE_SPINLOCK(io_spawn_tracks_lock);

/* Called in the submitter by the CLONE's issue, before the child exists. */
struct io_spawn_track *io_spawn_track_new(struct io_kiocb *req)
{
	struct io_spawn_track *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return NULL;
	t->ctx = req->ctx;
	percpu_ref_get(&t->ctx->refs);
	t->submitter = get_task_struct(current);
	t->mm = current->mm;
	mmgrab(t->mm);
	spin_lock(&io_spawn_tracks_lock);
	list_add_tail(&t->node, &io_spawn_tracks);
	spin_unlock(&io_spawn_tracks_lock);
	return t;
}

/* Called by the child before it runs the chain. */
void io_spawn_track_start(struct io_spawn_track *t)
{
	spin_lock(&io_spawn_tracks_lock);
	t->child = get_task_struct(current);
	if (t->cancelled)
		send_sig(SIGKILL, current, 1);
	spin_unlock(&io_spawn_tracks_lock);
}

/* The chain is done (or never started): forget it. */
void io_spawn_track_free(struct io_spawn_track *t)
{
	spin_lock(&io_spawn_tracks_lock);
	list_del(&t->node);
	spin_unlock(&io_spawn_tracks_lock);
	if (t->child)
		put_task_struct(t->child);
	put_task_struct(t->submitter);
	mmdrop(t->mm);
	percpu_ref_put(&t->ctx->refs);
	kfree(t);
}

/* Complete every request of a chain that will not run. */
static void io_spawn_cancel_chain(struct io_kiocb *req)
{
	while (req) {
		struct io_kiocb *next = req->link;

		req->link = NULL;
		io_spawn_req_cancel(req, -ECANCELED, false);
		req = next;
	}
}

static void io_spawn_orphan_work(struct work_struct *work)
{
	struct io_spawn_track *t = container_of(work, struct io_spawn_track,
						work);

	io_spawn_cancel_chain(t->parked);
	io_spawn_track_free(t);
}

/* The child died with its chain parked: cancel the chain from a worker. */
static int io_spawn_orphan_wake(struct wait_queue_entry *wait,
				unsigned int mode, int sync, void *key)
{
	struct io_spawn_track *t = container_of(wait, struct io_spawn_track,
						wait);

	list_del_init(&wait->entry);
	queue_work(system_unbound_wq, &t->work);
	return 1;
}

/*
 * Whether the child has replaced its image: exec_mmap() switched its mm,
 * before the EXEC's completion is posted. Such a child is a program the
 * parent may already know it started: no cancellation kills it.
 */
static bool io_spawn_child_execd(struct io_spawn_track *t)
{
	bool execd;

	task_lock(t->child);
	execd = t->child->mm != t->mm;
	task_unlock(t->child);
	return execd;
}

/*
 * io_uring is cancelling @task's requests on @ctx (every task's, for a
 * NULL @task): kill the children running chains from there. Only a full
 * cancellation (ring teardown, exec) does so, as it is the only one that
 * reaches io-wq work that is not tracked; a chain whose submitter merely
 * exits runs on.
 */
bool io_spawn_cancel(struct io_ring_ctx *ctx, struct task_struct *task,
		     bool cancel_all)
{
	struct io_spawn_track *t;

	if (!cancel_all)
		return false;
	spin_lock(&io_spawn_tracks_lock);
	list_for_each_entry(t, &io_spawn_tracks, node) {
		if (t->ctx != ctx || (task && t->submitter != task) ||
		    t->cancelled)
			continue;
		t->cancelled = true;
		if (t->child && !io_spawn_child_execd(t))
			send_sig(SIGKILL, t->child, 1);
	}
	spin_unlock(&io_spawn_tracks_lock);
	/* The children's completions are waited for like any other. */
	return false;
}

/*
 * Whether the current task is a child running its chain: its completions
 * are out of line, as io-wq's are, for an IORING_REGISTER_EVENTFD_ASYNC
 * eventfd. Only asked by io_eventfd_signal() for such an eventfd.
 */
bool io_spawn_current_runs_chain(void)
{
	struct io_spawn_track *t;
	bool found = false;

	if (!in_task() || (current->flags & (PF_KTHREAD | PF_IO_WORKER)))
		return false;
	spin_lock(&io_spawn_tracks_lock);
	list_for_each_entry(t, &io_spawn_tracks, node) {
		if (t->child == current) {
			found = true;
			break;
		}
	}
	spin_unlock(&io_spawn_tracks_lock);
	return found;
}

/*
 * Whether a signal is pending that, taken on the way back to user space,
 * would kill the child: SIGKILL, or an unblocked signal whose action is the
 * default and terminates (the SIGSEGV that a failed exec forces past its
 * point of no return among them). A traced child leaves that to its
 * tracer, which may suppress any signal but SIGKILL.
 */
static bool io_spawn_fatal_pending(void)
{
	struct task_struct *t = current;
	bool fatal = false;
	sigset_t pending;
	int sig;

	if (fatal_signal_pending(t))
		return true;
	if (t->ptrace)
		return false;
	spin_lock_irq(&t->sighand->siglock);
	sigorsets(&pending, &t->pending.signal,
		  &t->signal->shared_pending.signal);
	for (sig = 1; sig <= _NSIG && !fatal; sig++)
		fatal = sigismember(&pending, sig) &&
			!sigismember(&t->blocked, sig) && sig_fatal(t, sig);
	spin_unlock_irq(&t->sighand->siglock);
	return fatal;
}

/*
 * Before each step, the child does what a task does on its way back to
 * user space between two syscalls: it runs its task_work (deferred fputs
 * among it), which clears TIF_NOTIFY_SIGNAL, and then it takes its
 * signals. The flag matters from the first step: the child's thread flags
 * are a copy of the submitter's, which has it set whenever task_work is
 * queued to it; left set, exec's interruptible waits would fail.
 */
int io_spawn_child_settle(struct io_spawn_track *t)
{
	io_run_task_work();
	if (READ_ONCE(t->cancelled) || io_spawn_fatal_pending())
		return IO_SPAWN_DIE;
	return task_sigpending(current) ? IO_SPAWN_SIGNALS : IO_SPAWN_GO;
}

/*
 * Take the pending signals as get_signal() does for a task returning to
 * user space: stop for job control, a tracer or the freezer, discard
 * ignored signals. The child has no handlers (CLONE_CLEAR_SIGHAND), so
 * none is to be run. It may die here; @rest, the chain it has yet to run,
 * is parked where its exit finds it. Returns @rest if the child lives on.
 */
struct io_kiocb *io_spawn_child_signals(struct io_spawn_track *t,
					struct io_kiocb *rest)
{
	struct wait_queue_head *wq = &task_pid(current)->wait_pidfd;
	struct ksignal ksig = {};

	t->parked = rest;
	init_waitqueue_func_entry(&t->wait, io_spawn_orphan_wake);
	INIT_WORK(&t->work, io_spawn_orphan_work);
	add_wait_queue(wq, &t->wait);
	WARN_ON_ONCE(get_signal(&ksig));
	remove_wait_queue(wq, &t->wait);
	t->parked = NULL;
	return rest;
}

/*
 * End a child that did not exec. Its user registers were never set up, so
 * it must not return to user space. Pending signals are taken first, as on
 * any return to user space: a fatal one (SIGKILL, or the SIGSEGV an exec
 * forced past its point of no return) kills the child with that signal,
 * dumping core where the signal does.
 */
void __noreturn io_spawn_child_exit(int code)
{
	struct ksignal ksig = {};

	io_run_task_work();
	if (task_sigpending(current))
		WARN_ON_ONCE(get_signal(&ksig));
	do_group_exit(code);
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
 * What the submitter's seccomp filters say of the process creation a CLONE
 * stands for: vfork(2), or with @clone the clone(2) that posix_spawn()
 * makes (CLONE_VM | CLONE_VFORK, SIGCHLD).
 */
u32 io_spawn_seccomp_clone_verdict(bool clone)
{
	struct seccomp_data sd = {
		.nr = clone ? __NR_clone : __NR_vfork,
		.arch = syscall_get_arch(current),
	};

	if (clone)
		sd.args[0] = CLONE_VM | CLONE_VFORK | SIGCHLD;
	return seccomp_verdict(&sd);
}

/* Whether the submitter's current system call is a 32-bit one. */
bool io_spawn_in_compat_syscall(void)
{
	return in_compat_syscall();
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
