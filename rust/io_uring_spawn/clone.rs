// SPDX-License-Identifier: GPL-2.0

//! `IORING_OP_CLONE`: the blank child and the chain it runs.
//!
//! CLONE, in the submitting task: take the requests linked after it (they
//! are ours from then on), vet them, and, once the submitting system call
//! is done, create a task that shares the submitter's mm until it execs,
//! copies its files, fs state and creds, resets signal handlers, and runs
//! the chain instead of returning to user space. The first EXEC that
//! succeeds returns it to user space as the new program. If none does, it
//! exits without ever running user code.

use kernel::prelude::*;

use crate::abstractions::io_uring::{
    op, IssueReq, Issued, Opcode, Pending, PrepReq, Req, ReqFlags, ReqMut, Sqe, Track,
};
use crate::abstractions::seccomp::{creation_verdict, laxer, Creation, Verdict};
use crate::abstractions::signal;
use crate::abstractions::task::{self, BlankTask, CloneOpts, End};
use crate::abstractions::uaccess::{self, CloneArgs, CLONE_ARGS_SIZE};
use crate::abstractions::uapi;
use crate::attr::{self, apply_attr, SpawnAttr};
use crate::chain::{Chain, ChainHead, ChainReq, Outcome};
use crate::exec::{self, Exec};
use crate::files::{Chdir, CloseRange, Dup};

/// `clone_args.flags` a CLONE accepts. `CLONE_CLEAR_SIGHAND` is always in
/// effect and is accepted for clone3 compatibility.
pub(crate) const CLONE_FLAGS: u64 =
    uapi::CLONE_PIDFD | uapi::CLONE_INTO_CGROUP | uapi::CLONE_CLEAR_SIGHAND;

/// The smallest `struct clone_args` (`CLONE_ARGS_SIZE_VER0`).
const CLONE_ARGS_SIZE_VER0: usize = 64;

/// Where a CLONE's `struct clone_args` is, if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CloneArgsRef {
    pub(crate) addr: u64,
    pub(crate) len: u32,
}

/// Where a CLONE's user data is: `struct clone_args` and
/// `struct io_uring_spawn_attr`, each optional.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CloneSqe {
    pub(crate) args: Option<CloneArgsRef>,
    /// User address of the attributes (`sqe->addr2`), 0 for none.
    pub(crate) attr: u64,
}

/// Checks a CLONE SQE: only `addr`/`len` (together) and `addr2` may be set.
pub(crate) fn clone_sqe(s: &Sqe) -> Result<CloneSqe> {
    if s.addr3 != 0
        || s.pad2 != 0
        || s.op_flags != 0
        || s.fd != 0
        || s.file_index != 0
        || s.ioprio != 0
        || s.buf_index != 0
        || s.personality != 0
    {
        return Err(EINVAL);
    }
    let args = match (s.addr, s.len) {
        (0, 0) => None,
        (0, _) | (_, 0) => return Err(EINVAL),
        (addr, len) => Some(CloneArgsRef { addr, len }),
    };
    Ok(CloneSqe { args, attr: s.off })
}

/// Checks a `struct clone_args` of `len` bytes (zero past `len`). The size
/// rules are clone3's.
pub(crate) fn parse_clone_args(a: &CloneArgs, len: usize) -> Result<CloneOpts> {
    if len < CLONE_ARGS_SIZE_VER0 {
        return Err(EINVAL);
    }
    // child_tid, parent_tid, stack, stack_size, tls, set_tid, set_tid_size:
    // a blank child that execs has no use for any of them.
    if [
        a.child_tid,
        a.parent_tid,
        a.stack,
        a.stack_size,
        a.tls,
        a.set_tid,
        a.set_tid_size,
    ]
    .iter()
    .any(|&v| v != 0)
    {
        return Err(EINVAL);
    }
    if a.flags & !CLONE_FLAGS != 0 {
        return Err(EINVAL);
    }
    if a.exit_signal & !uapi::CSIGNAL != 0 || a.exit_signal > u64::from(signal::NSIG) {
        return Err(EINVAL);
    }
    // As clone3: the pidfd address counts only with CLONE_PIDFD.
    let want_pidfd = a.flags & uapi::CLONE_PIDFD != 0;
    if want_pidfd && a.pidfd == 0 {
        return Err(EINVAL);
    }
    let into_cgroup = a.flags & uapi::CLONE_INTO_CGROUP != 0;
    if into_cgroup && (a.cgroup > i32::MAX as u64 || len < CLONE_ARGS_SIZE) {
        return Err(EINVAL);
    }
    if !into_cgroup && a.cgroup != 0 {
        return Err(EINVAL);
    }
    Ok(CloneOpts {
        flags: a.flags & !uapi::CLONE_CLEAR_SIGHAND,
        pidfd: if want_pidfd { a.pidfd } else { 0 },
        exit_signal: a.exit_signal as u32,
        cgroup: a.cgroup as u32,
    })
}

/// Reads and checks the `struct clone_args` a CLONE SQE points at.
pub(crate) fn read_clone_args(at: CloneArgsRef) -> Result<CloneOpts> {
    let len = at.len as usize;
    if len > kernel::page::PAGE_SIZE {
        return Err(E2BIG);
    }
    if len < CLONE_ARGS_SIZE_VER0 {
        return Err(EINVAL);
    }
    parse_clone_args(&uaccess::read_clone_args(at.addr, len)?, len)
}

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

/// A CLONE's data between prep and issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CloneCmd {
    opts: CloneOpts,
    attr: SpawnAttr,
}

/// `IORING_OP_CLONE`.
pub(crate) struct Clone;

impl Opcode for Clone {
    const NR: u8 = op::CLONE;
    type Cmd = CloneCmd;

    fn prep(req: &PrepReq<'_>, sqe: &Sqe) -> Result<CloneCmd> {
        // The SQPOLL thread is a kernel thread: no user task to copy.
        if req.ring_sqpoll() {
            return Err(EOPNOTSUPP);
        }
        check_clone_flags(req.flags())?;
        if req.link_open() {
            return Err(EINVAL);
        }
        let at = clone_sqe(sqe)?;
        let opts = match at.args {
            None => CloneOpts::default(),
            Some(args) => read_clone_args(args)?,
        };
        let attr = match at.attr {
            0 => SpawnAttr::default(),
            addr => attr::read_spawn_attr(addr)?,
        };
        Ok(CloneCmd { opts, attr })
    }

    fn issue(req: &IssueReq<'_, Self>) -> Issued {
        match clone_issue(req) {
            Ok(kept) => kept,
            Err(e) => Issued::Done(Err(e)),
        }
    }
}

/// Issues a CLONE: checks it and its chain, and has the submitter create
/// the child once its system call is done.
fn clone_issue(req: &IssueReq<'_, Clone>) -> Result<Issued> {
    let CloneCmd { opts, attr } = *req.cmd();
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
    if task::in_compat_syscall() {
        return Err(EOPNOTSUPP);
    }
    check_seccomp()?;
    let chain = chain.vet()?;
    let track = req.track()?;
    // copy_process() may sleep for long (the fd table, the cgroup locks of
    // CLONE_INTO_CGROUP, a pidfd put_user() a userfaultfd stalls): it runs
    // once the submitting system call is done, not under uring_lock.
    let (pending, kept) = req.keep();
    let later = CloneLater {
        req: pending,
        opts,
        spawn: Spawn { chain, attr, track },
    };
    if let Err((later, err)) = task::on_return_to_user(later, clone_later) {
        let CloneLater { req, spawn, .. } = later;
        req.complete(Err(err));
        drop(spawn);
    }
    Ok(Issued::Later(kept))
}

/// A CLONE between its issue and the creation of its child.
struct CloneLater {
    req: Pending,
    opts: CloneOpts,
    spawn: Spawn<Req, Track>,
}

/// In the submitter, on its way back to user space: create the child and
/// complete the CLONE.
fn clone_later(later: CloneLater, exiting: bool) {
    let CloneLater { req, opts, spawn } = later;
    if exiting {
        // The submitter is in do_exit(): its files and fs are gone.
        req.complete(Err(ECANCELED));
        return;
    }
    req.complete(start(spawn, &opts, &RealSpawner).map_err(restart_is_eintr));
}

/// A clone interrupted by a signal asks for a restart, which only a system
/// call can do: the CLONE reports `-EINTR`, as io_uring does for any
/// request (io_fixup_restart_res()).
fn restart_is_eintr(err: Error) -> Error {
    if [
        ERESTARTSYS,
        ERESTARTNOINTR,
        ERESTARTNOHAND,
        ERESTART_RESTARTBLOCK,
    ]
    .contains(&err)
    {
        return EINTR;
    }
    err
}

/// The CLONE is held to the submitter's seccomp filters as the process
/// creation it stands for: allowed if vfork(2) or posix_spawn()'s clone(2)
/// would be. A refusal is the filter's errno; a kill, or an action that
/// needs a system call to act on, is `-EPERM` (no task is killed here).
fn check_seccomp() -> Result {
    match laxer(
        creation_verdict(Creation::PosixSpawnClone),
        creation_verdict(Creation::Vfork),
    ) {
        Verdict::Allow => Ok(()),
        Verdict::Fail(e) => Err(e),
        Verdict::Kill => Err(EPERM),
    }
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
    spawn: Spawn<R, T>,
    opts: &CloneOpts,
    spawner: &dyn Spawner<R, T>,
) -> Result<i32> {
    let spawn = spawner.alloc(spawn)?;
    spawner.create(opts, spawn)
}

struct RealSpawner;

impl Spawner<Req, Track> for RealSpawner {
    fn alloc(&self, spawn: Spawn<Req, Track>) -> Result<KBox<Spawn<Req, Track>>> {
        Ok(KBox::new(spawn, GFP_KERNEL)?)
    }

    fn create(&self, opts: &CloneOpts, spawn: KBox<Spawn<Req, Track>>) -> Result<i32> {
        task::spawn_blank(opts, spawn)
    }
}

/// Exit status of a child whose chain ended without a successful EXEC, as
/// `posix_spawn()` children report a failed exec.
pub(crate) const UNSPAWNED_STATUS: i32 = 127 << 8;

/// What the child runs.
impl BlankTask for Spawn<Req, Track> {
    fn run(this: KBox<Self>) -> End {
        let Spawn { chain, attr, track } = KBox::into_inner(this);
        track.start();
        let outcome = match apply_attr(&attr, &attr::CurrentTask) {
            Ok(()) => chain.run(&|c| {
                let mut rest = c.park();
                let stop = track.settle(&mut rest);
                c.unpark(rest);
                stop
            }),
            Err(e) => chain.abort(e),
        };
        // Every request is complete: nothing is left to cancel.
        drop(track);
        match outcome {
            Outcome::Execd => End::UserSpace,
            Outcome::Failed => End::Exit(UNSPAWNED_STATUS),
            // As SECCOMP_RET_KILL_* on the execve(2) would have.
            Outcome::Killed => End::Exit(signal::SIGSYS as i32),
        }
    }
}

/// The [`ChainHead`] of a chain-only request, `None` for other opcodes.
fn chain_head<'a>(r: &'a mut ReqMut<'_>) -> Option<&'a mut ChainHead> {
    match r.opcode() {
        op::EXEC => r.cmd_mut::<Exec>().map(|c| &mut c.head),
        op::DUP => r.cmd_mut::<Dup>().map(|c| &mut c.head),
        op::CHDIR => r.cmd_mut::<Chdir>().map(|c| &mut c.head),
        op::CLOSE_RANGE => r.cmd_mut::<CloseRange>().map(|c| &mut c.head),
        _ => None,
    }
}

/// The io_uring requests a CLONE took, as its chain runs them.
impl ChainReq for Req {
    fn opcode(&self) -> u8 {
        Req::opcode(self)
    }

    fn flags(&self) -> ReqFlags {
        Req::flags(self)
    }

    fn take_next(&mut self) -> Option<Self> {
        Req::take_next(self)
    }

    fn for_each_linked(&self, f: &mut dyn FnMut(u8, ReqFlags) -> bool) {
        Req::for_each_linked(self, f)
    }

    fn mark_in_chain(&mut self) {
        // We run in the submitter, in the system call that prepared them.
        self.for_each_linked_mut(&mut |r| {
            r.hand_over();
            if let Some(head) = chain_head(r) {
                head.in_chain = true;
            }
        })
    }

    fn returns_fd(&self) -> bool {
        Req::returns_fd(self)
    }

    fn set_prev_fd(&mut self, fd: i32) {
        if let Some(head) = chain_head(&mut self.view()) {
            head.prev_fd = fd;
        }
    }

    fn exec_verdict(&self) -> Verdict {
        match self.cmd::<Exec>() {
            Some(cmd) => exec::verdict(&cmd.args),
            // Only asked of EXECs.
            None => Verdict::Allow,
        }
    }

    fn run(self) -> i32 {
        Req::run(self)
    }

    fn cancel(self, err: Error) {
        Req::cancel(self, err)
    }

    fn cancel_without_cqe(self) {
        Req::cancel_without_cqe(self)
    }
}
