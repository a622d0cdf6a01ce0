// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the C shim (include/linux/io_uring/spawn.h).
//!
//! All the `unsafe` that touches io_uring requests is here. A request is
//! either borrowed from io_uring for the length of a ->prep()/->issue() call
//! ([`ReqRef`]) or owned by a spawn chain ([`Req`]), in which case it must be
//! completed exactly once, which [`Req`]'s `Drop` guarantees.

use core::{ffi::c_void, marker::PhantomData, mem::ManuallyDrop, ptr::NonNull};
use kernel::{bindings, prelude::*};

use crate::chain::{stricter, verdict_of, Chain, ChainReq, Verdict};
use crate::child::ExecCmd;
use crate::sqe::SqeFields;

/// `-ECANCELED`: the kernel crate has no constant for it.
pub(crate) const ECANCELED: i32 = -(bindings::ECANCELED as i32);
/// `-EOPNOTSUPP` (not the kernel-internal `ENOTSUPP`).
pub(crate) const EOPNOTSUPP: i32 = -(bindings::EOPNOTSUPP as i32);
/// `-EBADF`, as a plain value for [`ChainHead::prev_fd`].
pub(crate) const EBADF: i32 = -(bindings::EBADF as i32);

/// Opcodes of this series.
pub(crate) const OP_CLONE: u8 = bindings::io_uring_op_IORING_OP_CLONE as u8;
pub(crate) const OP_EXEC: u8 = bindings::io_uring_op_IORING_OP_EXEC as u8;
pub(crate) const OP_DUP: u8 = bindings::io_uring_op_IORING_OP_DUP as u8;
pub(crate) const OP_CHDIR: u8 = bindings::io_uring_op_IORING_OP_CHDIR as u8;
pub(crate) const OP_CLOSE_RANGE: u8 = bindings::io_uring_op_IORING_OP_CLOSE_RANGE as u8;

/// Opcodes that run only in a spawn chain. Their command data is a
/// [`ChainCmd`], so it starts with a [`ChainHead`].
pub(crate) const CHAIN_ONLY: [u8; 4] = [OP_EXEC, OP_DUP, OP_CHDIR, OP_CLOSE_RANGE];

/// What the CLONE and the chain runner tell a chain-only request.
#[repr(C)]
pub(crate) struct ChainHead {
    _file: *mut c_void,
    /// Set by the CLONE that owns the chain: these opcodes run only there.
    pub(crate) in_chain: bool,
    /// The fd the request before this one returned, or `-EBADF` if it did
    /// not return one (for `IORING_DUP_FROM_PREV`).
    pub(crate) prev_fd: i32,
}

/// The command data of a chain-only request: the [`ChainHead`], then the
/// arguments its ->prep() read.
#[repr(C)]
pub(crate) struct ChainCmd<T> {
    pub(crate) head: ChainHead,
    pub(crate) args: T,
}

impl<T> ChainCmd<T> {
    pub(crate) fn new(args: T) -> Self {
        ChainCmd {
            head: ChainHead {
                _file: core::ptr::null_mut(),
                in_chain: false,
                prev_fd: EBADF,
            },
            args,
        }
    }
}

/// A copy of the SQE fields, read once.
pub(crate) struct RawSqe(SqeFields);

impl RawSqe {
    /// # Safety
    ///
    /// `sqe` points at a valid SQE for the duration of the call.
    pub(crate) unsafe fn read(sqe: *const bindings::io_uring_sqe) -> Self {
        let mut out = SqeFields::default();
        // SAFETY: `sqe` is valid per the function's contract and `out` is a
        // local the shim only writes to.
        unsafe { bindings::io_spawn_read_sqe(sqe, &mut out) };
        RawSqe(out)
    }
}

impl core::ops::Deref for RawSqe {
    type Target = SqeFields;
    fn deref(&self) -> &SqeFields {
        &self.0
    }
}

/// Request state, from `enum io_spawn_req_flags`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReqFlags(pub(crate) u32);

impl ReqFlags {
    pub(crate) const LINK: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_LINK;
    pub(crate) const HARDLINK: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_HARDLINK;
    pub(crate) const FORCE_ASYNC: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_FORCE_ASYNC;
    pub(crate) const FIXED_FILE: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_FIXED_FILE;
    pub(crate) const CREDS: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_CREDS;
    pub(crate) const LTIMEOUT: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_LTIMEOUT;
    pub(crate) const CQE_SKIP: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_CQE_SKIP;

    pub(crate) fn has(self, f: u32) -> bool {
        self.0 & f != 0
    }
}

/// Whether `T` may live in a request's command area (`struct io_cmd_data`):
/// no larger than it, and no more aligned than the pointer it starts with.
pub(crate) const fn fits<T>() -> bool {
    core::mem::size_of::<T>() <= bindings::IO_SPAWN_CMD_SIZE as usize
        && core::mem::align_of::<T>() <= core::mem::align_of::<*mut c_void>()
}

/// Per-opcode data kept in a request between ->prep() and ->issue().
///
/// # Safety
///
/// Implementors are `#[repr(C)]`, satisfy [`fits`], begin
/// with a pointer-sized field (it aliases `req->file`, which io_uring sets to
/// NULL for opcodes without a file and never changes for these), and are
/// only ever stored in requests of their own opcode.
pub(crate) unsafe trait Cmd: Sized {
    /// The opcode whose requests hold this type.
    const OPCODE: u8;
}

/// A request io_uring lends us for one ->prep() or ->issue() call.
pub(crate) struct ReqRef<'a> {
    ptr: NonNull<bindings::io_kiocb>,
    _lent: PhantomData<&'a mut bindings::io_kiocb>,
}

impl ReqRef<'_> {
    /// # Safety
    ///
    /// `ptr` is a live request that nothing else touches for as long as the
    /// returned value exists.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::io_kiocb) -> Self {
        ReqRef {
            // SAFETY: io_uring never passes a NULL request.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _lent: PhantomData,
        }
    }

    fn raw(&self) -> *mut bindings::io_kiocb {
        self.ptr.as_ptr()
    }

    pub(crate) fn opcode(&self) -> u8 {
        // SAFETY: the request is live (type invariant).
        unsafe { bindings::io_spawn_req_opcode(self.raw()) }
    }

    pub(crate) fn flags(&self) -> ReqFlags {
        // SAFETY: the request is live (type invariant).
        ReqFlags(unsafe { bindings::io_spawn_req_flags(self.raw()) })
    }

    /// Whether the ring was set up for 32-bit user space.
    pub(crate) fn compat(&self) -> bool {
        // SAFETY: the request is live (type invariant).
        unsafe { bindings::io_spawn_req_compat(self.raw()) }
    }

    pub(crate) fn ring_sqpoll(&self) -> bool {
        // SAFETY: the request is live (type invariant).
        unsafe { bindings::io_spawn_ring_sqpoll(self.raw()) }
    }

    /// Whether a link is being built, i.e. this request is not its head.
    /// Only meaningful in ->prep().
    pub(crate) fn link_open(&self) -> bool {
        // SAFETY: the request is live; ->prep() runs under uring_lock.
        unsafe { bindings::io_spawn_link_open(self.raw()) }
    }

    pub(crate) fn issuer_is_submitter(&self) -> bool {
        // SAFETY: the request is live (type invariant).
        unsafe { bindings::io_spawn_issuer_is_submitter(self.raw()) }
    }

    /// Sets the result the CQE will carry (and marks the request failed if
    /// it is negative).
    pub(crate) fn set_res(&self, res: i32) {
        // SAFETY: the request is live and being issued by us.
        unsafe { bindings::io_spawn_req_set_res(self.raw(), res) }
    }

    /// Stores this request's per-opcode data.
    pub(crate) fn set_cmd<T: Cmd>(&mut self, cmd: T) {
        debug_assert_eq!(self.opcode(), T::OPCODE);
        // SAFETY: the request is live; `T` fits in the command area and may
        // live there (`Cmd`'s contract); `write` does not read the old bytes.
        unsafe { core::ptr::write(bindings::io_spawn_req_cmd(self.raw()).cast::<T>(), cmd) }
    }

    /// The per-opcode data stored by this request's ->prep().
    pub(crate) fn cmd<T: Cmd>(&self) -> &T {
        debug_assert_eq!(self.opcode(), T::OPCODE);
        // SAFETY: the request is live and was prepared (->issue() runs only
        // after a successful ->prep(), which stored a `T`).
        unsafe { &*bindings::io_spawn_req_cmd(self.raw()).cast::<T>() }
    }

    /// Takes the requests linked after this one. From now on they are ours:
    /// io_uring will neither issue nor complete them.
    pub(crate) fn take_link(&self) -> Option<Req> {
        // SAFETY: the request is live and being issued by us; nothing else
        // walks its link while it is being issued.
        unsafe { detach_link(self.raw()) }
    }
}

/// Detaches the requests linked after `req` and returns them, owned.
///
/// # Safety
///
/// `req` is live and nothing else walks its link; the caller becomes the
/// owner of the requests linked after it.
unsafe fn detach_link(req: *mut bindings::io_kiocb) -> Option<Req> {
    // SAFETY: per the function's contract.
    NonNull::new(unsafe { bindings::io_spawn_req_detach_link(req) }).map(Req)
}

/// Calls `f` with `req` and each request linked after it, until `f` returns
/// `false`.
///
/// # Safety
///
/// `req` and every request linked after it are owned by the caller and stay
/// live for the duration of the call.
unsafe fn walk_link(
    req: *mut bindings::io_kiocb,
    mut f: impl FnMut(*mut bindings::io_kiocb) -> bool,
) {
    let mut cur = req;
    while !cur.is_null() && f(cur) {
        // SAFETY: `cur` is live per the function's contract.
        cur = unsafe { bindings::io_spawn_req_peek_link(cur) };
    }
}

/// The [`ChainHead`] of a chain-only request, `None` for other opcodes.
///
/// # Safety
///
/// `req` is live and owned by the caller, which does not otherwise touch its
/// command data while the returned reference exists.
unsafe fn chain_head<'a>(req: *mut bindings::io_kiocb) -> Option<&'a mut ChainHead> {
    // SAFETY: `req` is live per the function's contract.
    if !CHAIN_ONLY.contains(&unsafe { bindings::io_spawn_req_opcode(req) }) {
        return None;
    }
    // SAFETY: a chain-only request in a chain has been prepared (a failed
    // ->prep() fails the whole link before the CLONE is issued), so its
    // command data is a `ChainCmd<_>`, which starts with a `ChainHead`
    // (`repr(C)`); the caller gives us exclusive access.
    Some(unsafe { &mut *bindings::io_spawn_req_cmd(req).cast::<ChainHead>() })
}

/// A request whose ->issue() returns [`ISSUE_LATER`]: io_uring waits for
/// us to complete it, exactly once, by [`Pending::complete`] or `Drop`.
pub(crate) struct Pending(NonNull<bindings::io_kiocb>);

// SAFETY: the request is only completed, which the shim does through
// io_uring's task_work from whichever task holds it.
unsafe impl Send for Pending {}

/// ->issue()'s return value for a request that [`ReqRef::keep`] kept.
pub(crate) const ISSUE_LATER: i32 = bindings::IO_SPAWN_ISSUE_LATER;

/// Proof that a request was kept: its ->issue() must return
/// [`ISSUE_LATER`].
pub(crate) struct Kept(());

impl ReqRef<'_> {
    /// Keeps the request past this ->issue() call, which then returns
    /// [`ISSUE_LATER`] (as [`Kept`] says) instead of setting a result.
    pub(crate) fn keep(&self) -> (Pending, Kept) {
        (Pending(self.ptr), Kept(()))
    }
}

impl Pending {
    /// Completes the request with `res`, from the task that submitted it.
    pub(crate) fn complete(self, res: i32) {
        let raw = ManuallyDrop::new(self).0.as_ptr();
        // SAFETY: the request is live until completed (type invariant) and
        // this is its only completion.
        unsafe { bindings::io_spawn_req_complete(raw, res) }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // SAFETY: as in `complete`; `Drop` runs only if `complete` did not.
        unsafe { bindings::io_spawn_req_complete(self.0.as_ptr(), ECANCELED) }
    }
}

/// `data` and the function to call with it, queued on the current task.
#[repr(C)]
struct OnReturn<T> {
    /// First, so that the task_work's pointer is one to the whole.
    cb: bindings::callback_head,
    f: fn(T, bool),
    data: T,
}

/// Calls `f(data, exiting)` in the current task on its way back to user
/// space, once the system call in progress is done, holding no locks;
/// `exiting` says the task is in `do_exit()` instead, where it must not
/// create anything. If it cannot be queued, `data` comes back.
pub(crate) fn on_return_to_user<T: Send>(data: T, f: fn(T, bool)) -> Result<(), (T, Error)> {
    let b = match KBox::<OnReturn<T>>::new_uninit(GFP_KERNEL) {
        Ok(b) => b,
        Err(e) => return Err((data, e.into())),
    };
    let b = b.write(OnReturn {
        cb: bindings::callback_head {
            next: core::ptr::null_mut(),
            func: None,
        },
        f,
        data,
    });
    let raw = KBox::into_raw(b);
    // SAFETY: `raw` is a live allocation that only we hold; `cb` is its
    // first field (`repr(C)`), which `on_return_run` relies on. task_work
    // hands it back exactly once.
    let ret = unsafe {
        bindings::io_spawn_run_on_return(
            core::ptr::addr_of_mut!((*raw).cb),
            Some(on_return_run::<T>),
        )
    };
    if ret != 0 {
        // SAFETY: it was not queued (the task is past its exit's task_work),
        // so `raw` is still only ours.
        let b = unsafe { KBox::from_raw(raw) };
        return Err((KBox::into_inner(b).data, Error::from_errno(ret)));
    }
    Ok(())
}

/// # Safety
///
/// `cb` is the `cb` field of an `OnReturn<T>` that `on_return_to_user`
/// queued, handed back by task_work.
unsafe extern "C" fn on_return_run<T>(cb: *mut bindings::callback_head) {
    // SAFETY: per the contract, `cb` starts a `KBox<OnReturn<T>>` that is
    // ours again; this is its only consumer.
    let b = unsafe { KBox::from_raw(cb.cast::<OnReturn<T>>()) };
    let OnReturn { f, data, .. } = KBox::into_inner(b);
    // SAFETY: FFI call that reads the current task's flags.
    let exiting = unsafe { bindings::io_spawn_current_exiting() };
    f(data, exiting);
}

/// A request of a spawn chain. Ours alone: io_uring waits for us to
/// complete it, which happens exactly once, by [`ChainReq::run`],
/// [`ChainReq::cancel`] or, failing both, by `Drop`.
pub(crate) struct Req(NonNull<bindings::io_kiocb>);

// SAFETY: a request may be completed from any task (io-wq does so); the
// child that runs the chain is another task than the one that detached it.
unsafe impl Send for Req {}

impl Req {
    fn raw(&self) -> *mut bindings::io_kiocb {
        self.0.as_ptr()
    }

    /// Gives up ownership: the caller has completed the request.
    fn into_raw(self) -> *mut bindings::io_kiocb {
        ManuallyDrop::new(self).raw()
    }
}

impl ChainReq for Req {
    fn opcode(&self) -> u8 {
        // SAFETY: we own the request, so it is live.
        unsafe { bindings::io_spawn_req_opcode(self.raw()) }
    }

    fn flags(&self) -> ReqFlags {
        // SAFETY: we own the request, so it is live.
        ReqFlags(unsafe { bindings::io_spawn_req_flags(self.raw()) })
    }

    fn take_next(&mut self) -> Option<Self> {
        // SAFETY: we own the request and the chain after it.
        unsafe { detach_link(self.raw()) }
    }

    fn for_each_linked(&self, f: &mut dyn FnMut(u8, ReqFlags) -> bool) {
        // SAFETY: we own this request and those linked after it, and keep
        // them alive while we borrow `self`.
        unsafe {
            walk_link(self.raw(), |cur| {
                f(
                    bindings::io_spawn_req_opcode(cur),
                    ReqFlags(bindings::io_spawn_req_flags(cur)),
                )
            })
        }
    }

    fn mark_in_chain(&mut self) {
        // SAFETY: we own this request and those linked after it, so each
        // `cur` is live and ours, and nothing else holds a reference to its
        // command data while `head` exists. We run in the submitter, in the
        // system call that prepared them, as `io_spawn_req_handover()`
        // requires.
        unsafe {
            walk_link(self.raw(), |cur| {
                bindings::io_spawn_req_handover(cur);
                if let Some(head) = chain_head(cur) {
                    head.in_chain = true;
                }
                true
            })
        }
    }

    fn returns_fd(&self) -> bool {
        // SAFETY: we own the request, so it is live; it was prepared.
        unsafe { bindings::io_spawn_req_returns_fd(self.raw()) }
    }

    fn set_prev_fd(&mut self, fd: i32) {
        // SAFETY: we own the request and hold no other reference to its
        // command data.
        if let Some(head) = unsafe { chain_head(self.raw()) } {
            head.prev_fd = fd;
        }
    }

    fn exec_verdict(&self) -> Verdict {
        debug_assert_eq!(self.opcode(), OP_EXEC);
        // SAFETY: we own the request, an EXEC, which was prepared (a failed
        // ->prep() fails the whole link before the CLONE is issued), so its
        // command data is an `ExecCmd`; we only read it.
        let a = unsafe { &*bindings::io_spawn_req_cmd(self.raw()).cast::<ExecCmd>() }.args;
        // The EXEC stands in for execve(2) and execveat(2) alike: a filter
        // that refuses either refuses it.
        let ask = |at| {
            // SAFETY: FFI call; the pointers are only handed to the filters
            // as numbers.
            verdict_of(unsafe {
                bindings::io_spawn_seccomp_verdict(
                    at,
                    a.dfd,
                    a.filename,
                    a.argv,
                    a.envp,
                    a.flags as i32,
                )
            })
        };
        stricter(ask(false), ask(true))
    }

    fn run(self) -> i32 {
        // The request must not be linked on: its successors are ours.
        // SAFETY: we own the request.
        debug_assert!(unsafe { bindings::io_spawn_req_peek_link(self.raw()) }.is_null());
        let raw = self.into_raw();
        // SAFETY: we owned the request; the shim issues and completes it and
        // drops its references, so it must not be touched afterwards.
        unsafe { bindings::io_spawn_req_run(raw) }
    }

    fn cancel(self, res: i32) {
        let raw = self.into_raw();
        // SAFETY: we owned the request and it never ran; the shim completes
        // it with `res`.
        unsafe { bindings::io_spawn_req_cancel(raw, res, false) }
    }

    fn cancel_without_cqe(self) {
        let raw = self.into_raw();
        // SAFETY: as in `cancel`.
        unsafe { bindings::io_spawn_req_cancel(raw, ECANCELED, true) }
    }
}

impl Drop for Req {
    fn drop(&mut self) {
        // Only reached when neither `run` nor `cancel` consumed the request.
        // SAFETY: we own the request and it never ran.
        unsafe { bindings::io_spawn_req_cancel(self.raw(), ECANCELED, false) }
    }
}

/// A chain as io_uring's cancellation sees it (`struct io_spawn_track` in
/// the shim): made by the CLONE in the submitter before the child exists,
/// then the child's, which drops it once its chain is over.
///
/// # Invariants
///
/// `self.0` came from `io_spawn_track_new()` and is freed only by `Drop`
/// or, if the child dies with its chain parked, by the shim itself.
pub(crate) struct Track(NonNull<bindings::io_spawn_track>);

// SAFETY: the track goes from the submitter to the child; the shim guards
// the fields both sides touch with its lock.
unsafe impl Send for Track {}

impl Track {
    /// Registers the chain that `req`, a CLONE being issued, hands over.
    pub(crate) fn new(req: &ReqRef<'_>) -> Result<Self> {
        // SAFETY: the request is live (`ReqRef`'s invariant).
        let t = unsafe { bindings::io_spawn_track_new(req.raw()) };
        NonNull::new(t).map(Track).ok_or(ENOMEM)
    }

    fn raw(&self) -> *mut bindings::io_spawn_track {
        self.0.as_ptr()
    }

    /// Called by the child before it runs its chain: from now on a
    /// cancellation kills it.
    pub(crate) fn start(&self) {
        // SAFETY: the track is live (type invariant); we are the child.
        unsafe { bindings::io_spawn_track_start(self.raw()) }
    }

    /// Before a step, in the child: settle what a return to user space
    /// would, with `chain` (the steps yet to run) parked while signals are
    /// taken. Returns whether the child must give up.
    pub(crate) fn settle(&self, chain: &mut Chain<Req>) -> bool {
        loop {
            // SAFETY: the track is live (type invariant); we are the child.
            let what = unsafe { bindings::io_spawn_child_settle(self.raw()) };
            match what as u32 {
                bindings::io_spawn_settle_IO_SPAWN_GO => return false,
                bindings::io_spawn_settle_IO_SPAWN_SIGNALS => {
                    let rest = chain.park().map_or(core::ptr::null_mut(), Req::into_raw);
                    // SAFETY: the track is live and we are the child. The
                    // shim owns `rest` while it is parked and cancels it if
                    // the child dies there; if the call returns, the child
                    // lives on and it hands the same requests back, ours
                    // again.
                    let back = unsafe { bindings::io_spawn_child_signals(self.raw(), rest) };
                    chain.unpark(NonNull::new(back).map(Req));
                }
                _ => return true,
            }
        }
    }
}

impl Drop for Track {
    fn drop(&mut self) {
        // SAFETY: the track is live and this is its last use (type
        // invariant).
        unsafe { bindings::io_spawn_track_free(self.raw()) }
    }
}
