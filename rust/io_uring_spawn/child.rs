// SPDX-License-Identifier: GPL-2.0

//! The CLONE and EXEC handlers, the blank child and what it runs.
//!
//! CLONE, in the submitting task: take the requests linked after it (they
//! are ours from then on), vet them, and create a task with `kernel_clone()`
//! that shares the submitter's mm, copies its files, fs state and creds,
//! resets signal handlers, and starts in [`child_main`] instead of user
//! space. The child owns the chain and runs it; the first EXEC that
//! succeeds returns it to user space as the new program. If none does, it
//! exits without ever running user code.

use core::ffi::{c_int, c_void};
use kernel::{bindings, prelude::*};

use crate::chain::{laxer, verdict_of, Chain, ChainReq, Outcome, Verdict};
use crate::req::{
    fits, on_return_to_user, ChainCmd, Cmd, Kept, Pending, Req, ReqFlags, ReqRef, Track, ECANCELED,
    OP_CLONE, OP_EXEC,
};
use crate::sqe::{self, CloneOpts, ExecArgs, SpawnAttr, SqeFields};

/// A CLONE's data between prep and issue.
#[repr(C)]
pub(crate) struct CloneCmd {
    _file: *mut c_void,
    opts: CloneOpts,
    attr: SpawnAttr,
}

// SAFETY: `repr(C)`, starts with the pointer slot, fits the command area
// (`fits` below), and is only stored in CLONE requests (`set_cmd` checks
// the opcode).
unsafe impl Cmd for CloneCmd {
    const OPCODE: u8 = OP_CLONE;
}

/// An EXEC's data between prep and issue.
pub(crate) type ExecCmd = ChainCmd<ExecArgs>;

// SAFETY: `ChainCmd` is `repr(C)` and starts with the pointer slot of its
// `ChainHead`; it fits the command area (`fits` below) and is only stored
// in EXEC requests.
unsafe impl Cmd for ExecCmd {
    const OPCODE: u8 = OP_EXEC;
}

kernel::static_assert!(fits::<CloneCmd>());
kernel::static_assert!(fits::<ExecCmd>());

/// Flags on the CLONE request itself, as io_uring set them from the SQE.
pub(crate) fn check_clone_flags(flags: ReqFlags) -> Result {
    // It must head a link: without one there is nothing to run in the child.
    // A hard link would mean "run the chain even if the CLONE fails", and
    // io_uring would do so, in the submitter, if the CLONE completed
    // without being issued (cancelled in io-wq, or from the drain list).
    if !flags.has(ReqFlags::LINK) || flags.has(ReqFlags::HARDLINK) {
        return Err(EINVAL);
    }
    // IOSQE_ASYNC would have io-wq issue it; the child must be copied from
    // the submitter. There is no file, and no personality: the child has
    // the submitter's creds. IOSQE_CQE_SKIP_SUCCESS would hide the pid the
    // parent must reap.
    if flags
        .has(ReqFlags::FORCE_ASYNC | ReqFlags::FIXED_FILE | ReqFlags::CREDS | ReqFlags::CQE_SKIP)
    {
        return Err(EINVAL);
    }
    Ok(())
}

pub(crate) fn clone_prep(req: &mut ReqRef<'_>, sqe: &SqeFields) -> Result {
    // The SQPOLL thread is a kernel thread: no user task to copy.
    if req.ring_sqpoll() {
        return Err(eopnotsupp());
    }
    check_clone_flags(req.flags())?;
    if req.link_open() {
        return Err(EINVAL);
    }
    let at = sqe::clone_sqe(sqe)?;
    let opts = match at.args {
        None => CloneOpts::default(),
        Some(args) => sqe::read_clone_args(args)?,
    };
    let attr = match at.attr {
        0 => SpawnAttr::default(),
        addr => sqe::read_spawn_attr(addr)?,
    };
    req.set_cmd(CloneCmd {
        _file: core::ptr::null_mut(),
        opts,
        attr,
    });
    Ok(())
}

/// `-EOPNOTSUPP` as an [`Error`] (the kernel crate has no constant for it).
fn eopnotsupp() -> Error {
    Error::from_errno(crate::req::EOPNOTSUPP)
}

/// Issues a CLONE: checks it and its chain, and has the submitter create
/// the child once its system call is done.
pub(crate) fn clone_issue(req: &ReqRef<'_>) -> Result<Kept> {
    let CloneCmd { opts, attr, .. } = *req.cmd::<CloneCmd>();
    let chain = Chain::new(req.take_link());
    // Past this point the chain is ours: every return below completes each
    // of its requests (Chain's Drop cancels whatever is left).
    if !req.issuer_is_submitter() {
        // io_uring punted the CLONE to io-wq (IOSQE_IO_DRAIN, or a link
        // left open at the end of a submission): nothing to copy from.
        return Err(EINVAL);
    }
    if chain.is_empty() {
        return Err(EINVAL);
    }
    // The seccomp filters and the system call numbers they are written
    // for are those of a native task.
    if in_compat_syscall() {
        return Err(eopnotsupp());
    }
    check_seccomp()?;
    let chain = chain.vet()?;
    let track = Track::new(req)?;
    // copy_process() may sleep for long (the fd table, the cgroup locks of
    // CLONE_INTO_CGROUP, a pidfd put_user() a userfaultfd stalls): it runs
    // once the submitting system call is done, not under uring_lock.
    let (req, kept) = req.keep();
    let later = CloneLater {
        req,
        opts,
        chain,
        attr,
        track,
    };
    if let Err((later, err)) = on_return_to_user(later, clone_later) {
        let CloneLater { req, chain, .. } = later;
        req.complete(err.to_errno());
        drop(chain);
    }
    Ok(kept)
}

/// A CLONE between its issue and the creation of its child.
struct CloneLater {
    req: Pending,
    opts: CloneOpts,
    chain: Chain<Req>,
    attr: SpawnAttr,
    track: Track,
}

/// In the submitter, on its way back to user space: create the child and
/// complete the CLONE.
fn clone_later(later: CloneLater, exiting: bool) {
    let CloneLater {
        req,
        opts,
        chain,
        attr,
        track,
    } = later;
    if exiting {
        // The submitter is in do_exit(): its files and fs are gone.
        req.complete(ECANCELED);
        return;
    }
    let res = match start(chain, &opts, attr, track, &RealSpawner) {
        Ok(pid) => pid,
        Err(e) => restart_is_eintr(e.to_errno()),
    };
    req.complete(res);
}

/// A clone interrupted by a signal asks for a restart, which only a system
/// call can do: the CLONE reports `-EINTR`, as io_uring does for any
/// request (io_fixup_restart_res()).
fn restart_is_eintr(err: i32) -> i32 {
    const RESTARTS: [u32; 4] = [
        bindings::ERESTARTSYS,
        bindings::ERESTARTNOINTR,
        bindings::ERESTARTNOHAND,
        bindings::ERESTART_RESTARTBLOCK,
    ];
    if RESTARTS.iter().any(|&r| err == -(r as i32)) {
        return EINTR.to_errno();
    }
    err
}

/// The CLONE is held to the submitter's seccomp filters as the process
/// creation it stands for: allowed if vfork(2) or posix_spawn()'s clone(2)
/// would be. A refusal is the filter's errno; a kill, or an action that
/// needs a system call to act on, is `-EPERM` (no task is killed here).
fn check_seccomp() -> Result {
    // SAFETY: FFI calls that only run the current task's filters.
    let ask = |clone| verdict_of(unsafe { bindings::io_spawn_seccomp_clone_verdict(clone) });
    match laxer(ask(true), ask(false)) {
        Verdict::Allow => Ok(()),
        Verdict::Fail(e) => Err(Error::from_errno(e)),
        Verdict::Kill => Err(EPERM),
    }
}

fn in_compat_syscall() -> bool {
    // SAFETY: FFI call that only reads the current task's state.
    unsafe { bindings::io_spawn_in_compat_syscall() }
}

/// What the child takes with it. `T` is what lets io_uring cancel the chain
/// ([`Track`]; nothing for KUnit's fake spawns).
pub(crate) struct Spawn<R: ChainReq, T> {
    pub(crate) chain: Chain<R>,
    pub(crate) attr: SpawnAttr,
    pub(crate) track: T,
}

/// The two steps of starting a child that can fail, behind a trait so KUnit
/// can make each fail in turn.
pub(crate) trait Spawner<R: ChainReq, T> {
    fn alloc(&self, spawn: Spawn<R, T>) -> Result<KBox<Spawn<R, T>>>;
    /// Creates the child, which takes `spawn`; returns its pid. On failure
    /// `spawn` is dropped (its chain cancelled).
    fn create(&self, opts: &CloneOpts, spawn: KBox<Spawn<R, T>>) -> Result<i32>;
}

/// Hands the vetted chain to a new child. Every failure cancels the chain.
pub(crate) fn start<R: ChainReq, T>(
    chain: Chain<R>,
    opts: &CloneOpts,
    attr: SpawnAttr,
    track: T,
    spawner: &dyn Spawner<R, T>,
) -> Result<i32> {
    let spawn = spawner.alloc(Spawn { chain, attr, track })?;
    spawner.create(opts, spawn)
}

struct RealSpawner;

impl Spawner<Req, Track> for RealSpawner {
    fn alloc(&self, spawn: Spawn<Req, Track>) -> Result<KBox<Spawn<Req, Track>>> {
        Ok(KBox::new(spawn, GFP_KERNEL)?)
    }

    fn create(&self, opts: &CloneOpts, spawn: KBox<Spawn<Req, Track>>) -> Result<i32> {
        let mut args = bindings::kernel_clone_args {
            // Share the mm until exec (no page tables copied); reset signal
            // handlers; no ptrace auto-attach before the exec. Files, fs,
            // sighand and signal state are copied, as by fork().
            flags: bindings::CLONE_VM as u64
                | bindings::CLONE_UNTRACED as u64
                | bindings::CLONE_CLEAR_SIGHAND
                | opts.flags,
            pidfd: opts.pidfd as usize as *mut c_int,
            exit_signal: opts.exit_signal as c_int,
            cgroup: opts.cgroup as c_int,
            fn_: Some(child_main),
            ..Default::default()
        };
        // The mm is shared only until the exec, as with vfork(): the
        // submitter's mm must not become one of several processes (their
        // oom_score_adj would be tied).
        args.set_mm_until_exec(1);
        let arg = KBox::into_raw(spawn);
        args.fn_arg = arg.cast();
        // SAFETY: `args` is a valid, fully initialised argument block. On
        // success the child owns `arg` (it is handed to `child_main`); on
        // failure the child never ran and `arg` is still ours.
        let pid = unsafe { bindings::kernel_clone(&mut args) };
        if pid < 0 {
            // SAFETY: `arg` came from `KBox::into_raw` above and nothing
            // else has it: no child was created.
            drop(unsafe { KBox::from_raw(arg) });
            return Err(Error::from_errno(pid));
        }
        Ok(pid)
    }
}

/// Where the child starts, in kernel mode, before it ever reaches user space.
///
/// # Safety
///
/// `arg` is the `KBox<Spawn<Req, Track>>` that [`RealSpawner::create`]
/// handed over.
unsafe extern "C" fn child_main(arg: *mut c_void) -> c_int {
    // SAFETY: per the function's contract; this is its only consumer.
    let spawn = unsafe { KBox::from_raw(arg.cast::<Spawn<Req, Track>>()) };
    let Spawn { chain, attr, track } = KBox::into_inner(spawn);
    track.start();
    let outcome = match apply_attr(&attr, &RealAttrOps) {
        Ok(()) => chain.run(&|rest| track.settle(rest)),
        Err(e) => chain.abort(e.to_errno()),
    };
    // Every request is complete: nothing is left to cancel.
    drop(track);
    match outcome {
        // ret_from_fork takes us to user space with the registers the exec
        // set up.
        Outcome::Execd => 0,
        Outcome::Failed => exit_unspawned(UNSPAWNED_STATUS),
        // As SECCOMP_RET_KILL_* on the execve(2) would have.
        Outcome::Killed => exit_unspawned(bindings::SIGSYS as c_int),
    }
}

/// What applying the attributes does to the child, behind a trait so KUnit
/// can check the order and the error handling.
pub(crate) trait AttrOps {
    fn sigdefault(&self, set: u64);
    fn sigmask(&self, set: u64);
    fn setsid(&self) -> Result;
    fn setpgid(&self, pgid: i32) -> Result;
    fn resetids(&self) -> Result;
}

/// Applies the posix_spawn attributes to the child, in glibc's order; stops
/// at the first that fails.
pub(crate) fn apply_attr(attr: &SpawnAttr, ops: &dyn AttrOps) -> Result {
    if attr.has(bindings::IORING_SPAWN_SETSIGDEF) {
        ops.sigdefault(attr.sigdefault);
    }
    if attr.has(bindings::IORING_SPAWN_SETSIGMASK) {
        ops.sigmask(attr.sigmask);
    }
    if attr.has(bindings::IORING_SPAWN_SETSID) {
        ops.setsid()?;
    }
    if attr.has(bindings::IORING_SPAWN_SETPGROUP) {
        ops.setpgid(attr.pgid)?;
    }
    if attr.has(bindings::IORING_SPAWN_RESETIDS) {
        ops.resetids()?;
    }
    Ok(())
}

fn errno(ret: c_int) -> Result {
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

struct RealAttrOps;

impl AttrOps for RealAttrOps {
    fn sigdefault(&self, set: u64) {
        // SAFETY: FFI call that only changes the current task's handlers.
        unsafe { bindings::io_spawn_set_sigdefault(set) }
    }

    fn sigmask(&self, set: u64) {
        // SAFETY: FFI call that only changes the current task's mask.
        unsafe { bindings::io_spawn_set_sigmask(set) }
    }

    fn setsid(&self) -> Result {
        // SAFETY: FFI call acting on the current task.
        errno(unsafe { bindings::io_spawn_setsid() })
    }

    fn setpgid(&self, pgid: i32) -> Result {
        // SAFETY: FFI call acting on the current task.
        errno(unsafe { bindings::io_spawn_setpgid(pgid) })
    }

    fn resetids(&self) -> Result {
        // SAFETY: FFI call acting on the current task's creds.
        errno(unsafe { bindings::io_spawn_resetids() })
    }
}

/// Exit status of a child whose chain ended without a successful EXEC, as
/// `posix_spawn()` children report a failed exec.
pub(crate) const UNSPAWNED_STATUS: c_int = 127 << 8;

/// Ends a child that did not exec. Its user registers were never set up, so
/// it must not return to user space. A pending fatal signal (say, SIGKILL,
/// or the SIGSEGV of an exec that failed past its point of no return) is
/// taken first and kills it instead, as on any return to user space.
fn exit_unspawned(code: c_int) -> ! {
    // SAFETY: FFI call; ends the current task, which holds no locks and owns
    // nothing any more (the chain was completed before we got here).
    unsafe { bindings::io_spawn_child_exit(code) }
}

pub(crate) fn exec_prep(req: &mut ReqRef<'_>, sqe: &SqeFields) -> Result {
    let flags = req.flags();
    // The dfd names a directory in the child's fd table, not a fixed file.
    if flags.has(ReqFlags::FIXED_FILE | ReqFlags::CREDS) {
        return Err(EINVAL);
    }
    // argv and envp are arrays of native pointers.
    if req.compat() {
        return Err(eopnotsupp());
    }
    req.set_cmd(ExecCmd::new(sqe::exec_sqe(sqe)?));
    Ok(())
}

pub(crate) fn exec_issue(req: &ReqRef<'_>) -> Result {
    let cmd = req.cmd::<ExecCmd>();
    if !cmd.head.in_chain {
        return Err(EINVAL);
    }
    let a = cmd.args;
    // SAFETY: the pointers are user addresses, checked by the exec code as
    // it reads them from the mm the child shares with the submitter.
    let ret = unsafe {
        bindings::do_execveat_user(
            a.dfd,
            a.filename as usize as *const _,
            a.argv as usize as *const _,
            a.envp as usize as *const _,
            a.flags as c_int,
        )
    };
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}
