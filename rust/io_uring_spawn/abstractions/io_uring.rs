// SPDX-License-Identifier: GPL-2.0

//! io_uring requests, as opcodes written in Rust see them.
//!
//! `struct io_kiocb` is private to io_uring/, so the C shim
//! (include/linux/io_uring/spawn.h) puts each access behind a function and
//! this module makes those safe. Upstream this would be the start of a
//! `kernel::io_uring` module; it knows nothing of spawn chains.
//!
//! A request is seen in one of two states:
//! - borrowed from io_uring for one ->prep() or ->issue() call
//!   ([`PrepReq`], [`IssueReq`]), which io_uring completes when the call
//!   returns, unless ->issue() kept it ([`IssueReq::keep`], [`Pending`]);
//! - owned, after an issuing request took it off its link ([`Req`]): io_uring
//!   neither issues nor completes it, so its owner must, exactly once.
//!
//! An opcode implements [`Opcode`]; [`opcode_table!`] generates the
//! `extern "C"` ->prep() and ->issue() that io_uring's opcode table calls.

use core::{
    ffi::{c_int, c_void},
    marker::PhantomData,
    mem::{align_of, size_of, ManuallyDrop},
    ptr::NonNull,
};
use kernel::{bindings, prelude::*};

/// io_uring opcode numbers.
pub(crate) mod op {
    use kernel::bindings;

    pub(crate) const NOP: u8 = bindings::io_uring_op_IORING_OP_NOP as u8;
    pub(crate) const READ: u8 = bindings::io_uring_op_IORING_OP_READ as u8;
    pub(crate) const OPENAT: u8 = bindings::io_uring_op_IORING_OP_OPENAT as u8;
    pub(crate) const OPENAT2: u8 = bindings::io_uring_op_IORING_OP_OPENAT2 as u8;
    pub(crate) const CLOSE: u8 = bindings::io_uring_op_IORING_OP_CLOSE as u8;
    pub(crate) const LINK_TIMEOUT: u8 = bindings::io_uring_op_IORING_OP_LINK_TIMEOUT as u8;
    pub(crate) const CLONE: u8 = bindings::io_uring_op_IORING_OP_CLONE as u8;
    pub(crate) const EXEC: u8 = bindings::io_uring_op_IORING_OP_EXEC as u8;
    pub(crate) const DUP: u8 = bindings::io_uring_op_IORING_OP_DUP as u8;
    pub(crate) const CHDIR: u8 = bindings::io_uring_op_IORING_OP_CHDIR as u8;
    pub(crate) const CLOSE_RANGE: u8 = bindings::io_uring_op_IORING_OP_CLOSE_RANGE as u8;
}

/// The SQE fields an opcode may look at, each read once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sqe {
    /// `off`, also `addr2`.
    pub(crate) off: u64,
    pub(crate) addr: u64,
    pub(crate) addr3: u64,
    /// `__pad2[0]`.
    pub(crate) pad2: u64,
    pub(crate) len: u32,
    /// The per-opcode flags word (`rw_flags`, `execve_flags`, ...).
    pub(crate) op_flags: u32,
    pub(crate) fd: i32,
    /// `file_index`, also `splice_fd_in`.
    pub(crate) file_index: i32,
    pub(crate) ioprio: u16,
    pub(crate) buf_index: u16,
    pub(crate) personality: u16,
}

impl Sqe {
    /// # Safety
    ///
    /// `sqe` points at a valid SQE for the duration of the call.
    unsafe fn read(sqe: *const bindings::io_uring_sqe) -> Self {
        let mut s = bindings::io_spawn_sqe::default();
        // SAFETY: `sqe` is valid per the function's contract and `s` is a
        // local the shim only writes to.
        unsafe { bindings::io_spawn_read_sqe(sqe, &mut s) };
        Sqe {
            off: s.off,
            addr: s.addr,
            addr3: s.addr3,
            pad2: s.pad2,
            len: s.len,
            op_flags: s.op_flags,
            fd: s.fd,
            file_index: s.file_index,
            ioprio: s.ioprio,
            buf_index: s.buf_index,
            personality: s.personality,
        }
    }
}

/// A request's `IOSQE_*` state, as io_uring recorded it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReqFlags(pub(crate) u32);

impl ReqFlags {
    /// `IOSQE_IO_LINK` (or a hard link).
    pub(crate) const LINK: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_LINK;
    /// `IOSQE_IO_HARDLINK`.
    pub(crate) const HARDLINK: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_HARDLINK;
    /// `IOSQE_ASYNC`.
    pub(crate) const FORCE_ASYNC: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_FORCE_ASYNC;
    /// `IOSQE_FIXED_FILE`.
    pub(crate) const FIXED_FILE: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_FIXED_FILE;
    /// A registered personality.
    pub(crate) const CREDS: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_CREDS;
    /// A linked timeout follows.
    pub(crate) const LTIMEOUT: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_LTIMEOUT;
    /// `IOSQE_CQE_SKIP_SUCCESS`.
    pub(crate) const CQE_SKIP: u32 = bindings::io_spawn_req_flags_IO_SPAWN_REQ_CQE_SKIP;

    /// Whether any of `f` is set.
    pub(crate) fn has(self, f: u32) -> bool {
        self.0 & f != 0
    }
}

/// What an opcode's ->issue() did with its request.
pub(crate) enum Issued {
    /// io_uring completes the request with this result.
    Done(Result<i32>),
    /// The opcode kept the request ([`IssueReq::keep`]) and completes it
    /// later, through the [`Pending`] it got.
    Later(Kept),
}

/// An io_uring opcode implemented in Rust.
pub(crate) trait Opcode: 'static {
    /// Its number in io_uring's opcode table.
    const NR: u8;
    /// What ->prep() keeps in the request for ->issue(). It lives in the
    /// request's command area, which nothing ever drops: it is plain data.
    type Cmd: Copy;

    /// Checks the SQE and the request's flags; returns what ->issue() needs.
    fn prep(req: &PrepReq<'_>, sqe: &Sqe) -> Result<Self::Cmd>;
    /// Issues the request.
    fn issue(req: &IssueReq<'_, Self>) -> Issued
    where
        Self: Sized;
}

/// A command in a request's command area (`struct io_cmd_data`). The first
/// pointer-sized word of that area aliases `req->file`, which io_uring sets
/// to NULL for opcodes without a file and never changes for them: it is
/// kept NULL here.
#[repr(C)]
struct CmdArea<T> {
    file: *mut c_void,
    cmd: T,
}

/// Fails the build for a command type that would not fit the command area.
struct Fits<T>(PhantomData<T>);

impl<T> Fits<T> {
    const OK: () = assert!(
        size_of::<CmdArea<T>>() <= bindings::IO_SPAWN_CMD_SIZE as usize
            && align_of::<CmdArea<T>>() <= align_of::<u64>()
    );
}

/// io_uring's "the handler posted the result itself" return value.
const IOU_OK: c_int = 0;

/// Generates the `extern "C"` ->prep() and ->issue() of opcodes that
/// implement [`Opcode`], under the names io_uring's opcode table
/// (io_uring/opdef.c) declares.
macro_rules! opcode_table {
    ($($prep:ident, $issue:ident => $op:ty;)*) => {$(
        /// ->prep() for this opcode, as io_uring's opcode table calls it.
        ///
        /// # Safety
        ///
        /// Called by io_uring with a request being initialised for this
        /// opcode and the SQE it comes from.
        #[no_mangle]
        pub unsafe extern "C" fn $prep(
            req: *mut kernel::bindings::io_kiocb,
            sqe: *const kernel::bindings::io_uring_sqe,
        ) -> core::ffi::c_int {
            // SAFETY: per this function's contract.
            unsafe { $crate::abstractions::io_uring::prep::<$op>(req, sqe) }
        }

        /// ->issue() for this opcode, as io_uring's opcode table calls it.
        ///
        /// # Safety
        ///
        /// Called by io_uring with a request of this opcode whose ->prep()
        /// succeeded.
        #[no_mangle]
        pub unsafe extern "C" fn $issue(
            req: *mut kernel::bindings::io_kiocb,
            _issue_flags: core::ffi::c_uint,
        ) -> core::ffi::c_int {
            // SAFETY: per this function's contract.
            unsafe { $crate::abstractions::io_uring::issue::<$op>(req) }
        }
    )*};
}
pub(crate) use opcode_table;

/// Runs `O::prep` and stores its command in the request.
///
/// # Safety
///
/// `req` is a request of opcode `O::NR` being initialised, which io_uring
/// does not touch concurrently, and `sqe` the valid SQE it comes from.
pub(crate) unsafe fn prep<O: Opcode>(
    req: *mut bindings::io_kiocb,
    sqe: *const bindings::io_uring_sqe,
) -> c_int {
    let () = Fits::<O::Cmd>::OK;
    // SAFETY: per the function's contract.
    let (req, sqe) = unsafe { (PrepReq::from_raw(req), Sqe::read(sqe)) };
    debug_assert_eq!(req.opcode(), O::NR);
    match O::prep(&req, &sqe) {
        Ok(cmd) => {
            let area = CmdArea {
                file: core::ptr::null_mut(),
                cmd,
            };
            // SAFETY: the request is live and ours for this call; its
            // command area is `IO_SPAWN_CMD_SIZE` bytes, aligned for a
            // pointer, which `CmdArea<O::Cmd>` fits (`Fits`); `write` does
            // not read what was there.
            unsafe {
                core::ptr::write(
                    bindings::io_spawn_req_cmd(req.raw()).cast::<CmdArea<O::Cmd>>(),
                    area,
                )
            };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Runs `O::issue` and hands its result to io_uring.
///
/// # Safety
///
/// `req` is a request of opcode `O::NR` whose ->prep() succeeded (so its
/// command area holds an `O::Cmd`), which io_uring does not touch
/// concurrently while ->issue() runs.
pub(crate) unsafe fn issue<O: Opcode>(req: *mut bindings::io_kiocb) -> c_int {
    // SAFETY: per the function's contract.
    let req = unsafe { IssueReq::<O>::from_raw(req) };
    match O::issue(&req) {
        Issued::Done(res) => {
            req.0.set_res(res.unwrap_or_else(|e| e.to_errno()));
            IOU_OK
        }
        Issued::Later(Kept(())) => ISSUE_LATER,
    }
}

/// A live request, borrowed.
///
/// # Invariants
///
/// `ptr` is a live request that nothing else touches for `'a`.
struct Raw<'a> {
    ptr: NonNull<bindings::io_kiocb>,
    _lent: PhantomData<&'a mut bindings::io_kiocb>,
}

impl Raw<'_> {
    /// # Safety
    ///
    /// `ptr` is a live request that nothing else touches for as long as
    /// the returned value exists.
    unsafe fn new(ptr: *mut bindings::io_kiocb) -> Self {
        // SAFETY: io_uring never passes a NULL request, and the link
        // walkers below never make one from NULL.
        let ptr = unsafe { NonNull::new_unchecked(ptr) };
        // INVARIANT: per the function's contract.
        Raw {
            ptr,
            _lent: PhantomData,
        }
    }

    fn raw(&self) -> *mut bindings::io_kiocb {
        self.ptr.as_ptr()
    }

    fn opcode(&self) -> u8 {
        // SAFETY: the request is live (type invariant).
        unsafe { bindings::io_spawn_req_opcode(self.raw()) }
    }

    fn flags(&self) -> ReqFlags {
        // SAFETY: the request is live (type invariant).
        ReqFlags(unsafe { bindings::io_spawn_req_flags(self.raw()) })
    }

    fn set_res(&self, res: i32) {
        // SAFETY: the request is live and ours for this call.
        unsafe { bindings::io_spawn_req_set_res(self.raw(), res) }
    }

    /// # Safety
    ///
    /// The request was prepared as an `O` (its ->prep() succeeded).
    unsafe fn cmd<O: Opcode>(&self) -> &O::Cmd {
        // SAFETY: the request is live (type invariant) and, per the
        // function's contract, its command area holds the `CmdArea`
        // `prep::<O>` wrote; nothing writes it while we borrow `self`.
        unsafe { &(*bindings::io_spawn_req_cmd(self.raw()).cast::<CmdArea<O::Cmd>>()).cmd }
    }

    /// # Safety
    ///
    /// As for [`Raw::cmd`].
    unsafe fn cmd_mut<O: Opcode>(&mut self) -> &mut O::Cmd {
        // SAFETY: as in `cmd`; `&mut self` makes the access exclusive.
        unsafe { &mut (*bindings::io_spawn_req_cmd(self.raw()).cast::<CmdArea<O::Cmd>>()).cmd }
    }
}

/// A request io_uring lends to an opcode's ->prep().
pub(crate) struct PrepReq<'a>(Raw<'a>);

impl PrepReq<'_> {
    /// # Safety
    ///
    /// As for `Raw::new`, in ->prep().
    unsafe fn from_raw(ptr: *mut bindings::io_kiocb) -> Self {
        // SAFETY: per the function's contract.
        PrepReq(unsafe { Raw::new(ptr) })
    }

    fn raw(&self) -> *mut bindings::io_kiocb {
        self.0.raw()
    }

    /// The request's opcode.
    pub(crate) fn opcode(&self) -> u8 {
        self.0.opcode()
    }

    /// The request's `IOSQE_*` state.
    pub(crate) fn flags(&self) -> ReqFlags {
        self.0.flags()
    }

    /// Whether the ring was set up for 32-bit user space.
    pub(crate) fn compat(&self) -> bool {
        // SAFETY: the request is live (type invariant of `Raw`).
        unsafe { bindings::io_spawn_req_compat(self.raw()) }
    }

    /// Whether the ring is an `IORING_SETUP_SQPOLL` one.
    pub(crate) fn ring_sqpoll(&self) -> bool {
        // SAFETY: the request is live (type invariant of `Raw`).
        unsafe { bindings::io_spawn_ring_sqpoll(self.raw()) }
    }

    /// Whether a link is being built, i.e. this request is not its head.
    pub(crate) fn link_open(&self) -> bool {
        // SAFETY: the request is live; ->prep() runs under uring_lock.
        unsafe { bindings::io_spawn_link_open(self.raw()) }
    }
}

/// A request of opcode `O` that io_uring lends to `O`'s ->issue().
pub(crate) struct IssueReq<'a, O>(Raw<'a>, PhantomData<O>);

impl<O: Opcode> IssueReq<'_, O> {
    /// # Safety
    ///
    /// As for `Raw::new`, in ->issue() of a request prepared as an `O`.
    unsafe fn from_raw(ptr: *mut bindings::io_kiocb) -> Self {
        // SAFETY: per the function's contract.
        IssueReq(unsafe { Raw::new(ptr) }, PhantomData)
    }

    /// What ->prep() stored.
    pub(crate) fn cmd(&self) -> &O::Cmd {
        // SAFETY: ->issue() runs only after a successful ->prep() of the
        // same opcode, which stored an `O::Cmd` (`from_raw`'s contract).
        unsafe { self.0.cmd::<O>() }
    }

    /// Whether the task issuing the request is the one that submitted it
    /// (not io-wq, to which a request may be punted).
    pub(crate) fn issuer_is_submitter(&self) -> bool {
        // SAFETY: the request is live (type invariant of `Raw`).
        unsafe { bindings::io_spawn_issuer_is_submitter(self.0.raw()) }
    }

    /// Takes the requests linked after this one. From now on they are the
    /// caller's: io_uring will neither issue nor complete them.
    pub(crate) fn take_link(&self) -> Option<Req> {
        // SAFETY: the request is live and being issued by us; nothing else
        // walks its link meanwhile.
        unsafe { detach_link(self.0.raw()) }
    }

    /// Keeps the request past this ->issue() call, which must then return
    /// [`Issued::Later`] with the [`Kept`].
    pub(crate) fn keep(&self) -> (Pending, Kept) {
        // INVARIANT: ->issue() returns `ISSUE_LATER` (the `Kept` says so):
        // io_uring waits for the completion the `Pending` makes.
        (Pending(self.0.ptr), Kept(()))
    }

    /// Registers the chain this request hands to a child it creates.
    pub(crate) fn track(&self) -> Result<Track> {
        // SAFETY: the request is live (type invariant of `Raw`).
        let t = unsafe { bindings::io_spawn_track_new(self.0.raw()) };
        // INVARIANT: `t` came from `io_spawn_track_new()`.
        NonNull::new(t).map(Track).ok_or(ENOMEM)
    }
}

/// ->issue()'s return value for a request kept past it
/// (`IOU_ISSUE_SKIP_COMPLETE`).
const ISSUE_LATER: c_int = bindings::IO_SPAWN_ISSUE_LATER;

/// Proof that a request was kept: its ->issue() returns [`Issued::Later`].
pub(crate) struct Kept(());

/// A request whose ->issue() returned [`Issued::Later`].
///
/// # Invariants
///
/// io_uring waits for this request to be completed, which happens exactly
/// once: by [`Pending::complete`] or, failing that, `Drop`.
pub(crate) struct Pending(NonNull<bindings::io_kiocb>);

// SAFETY: the request is only completed, which the shim does through
// io_uring's task_work from whichever task holds it.
unsafe impl Send for Pending {}

impl Pending {
    /// Completes the request with `res`.
    pub(crate) fn complete(self, res: Result<i32>) {
        let raw = ManuallyDrop::new(self).0.as_ptr();
        // SAFETY: the request is live until completed and this is its only
        // completion (type invariant).
        unsafe { bindings::io_spawn_req_complete(raw, res.unwrap_or_else(|e| e.to_errno())) }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // SAFETY: as in `complete`; `Drop` runs only if `complete` did not.
        unsafe { bindings::io_spawn_req_complete(self.0.as_ptr(), ECANCELED.to_errno()) }
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
    let next = unsafe { bindings::io_spawn_req_detach_link(req) };
    // INVARIANT: the caller gave us the requests linked after `req`.
    NonNull::new(next).map(Req)
}

/// A request taken off io_uring's link by the request before it.
///
/// # Invariants
///
/// The request is live, was prepared (a failed ->prep() fails a whole
/// link before its head is issued), and is ours alone together with the
/// requests still linked after it: io_uring waits for each to be
/// completed, exactly once, by [`Req::run`], [`Req::cancel`] or, failing
/// both, by `Drop`.
pub(crate) struct Req(NonNull<bindings::io_kiocb>);

// SAFETY: a request may be completed from any task (io-wq does so); the
// task that runs a chain is another one than the one that detached it.
unsafe impl Send for Req {}

impl Req {
    fn raw(&self) -> *mut bindings::io_kiocb {
        self.0.as_ptr()
    }

    /// Gives up ownership: the caller completes the request.
    fn into_raw(self) -> *mut bindings::io_kiocb {
        ManuallyDrop::new(self).raw()
    }

    /// The request, borrowed as one linked after it would be.
    pub(crate) fn view(&mut self) -> ReqMut<'_> {
        // SAFETY: the request is live and ours (type invariant), and `&mut
        // self` keeps anyone else from it while the view exists.
        ReqMut(unsafe { Raw::new(self.raw()) })
    }

    /// The request's opcode.
    pub(crate) fn opcode(&self) -> u8 {
        // SAFETY: the request is live (type invariant).
        unsafe { bindings::io_spawn_req_opcode(self.raw()) }
    }

    /// The request's `IOSQE_*` state.
    pub(crate) fn flags(&self) -> ReqFlags {
        // SAFETY: the request is live (type invariant).
        ReqFlags(unsafe { bindings::io_spawn_req_flags(self.raw()) })
    }

    /// What ->prep() stored, if the request is an `O`.
    pub(crate) fn cmd<O: Opcode>(&self) -> Option<&O::Cmd> {
        if self.opcode() != O::NR {
            return None;
        }
        // SAFETY: the request is live and ours (type invariant), and `&self`
        // keeps anyone from writing it while we read.
        let r = unsafe { Raw::new(self.raw()) };
        // SAFETY: it was prepared (type invariant) as an `O`, its opcode.
        let cmd: *const O::Cmd = unsafe { r.cmd::<O>() };
        // SAFETY: the command lives as long as the request, which `self`
        // keeps live and unchanged for the returned borrow.
        Some(unsafe { &*cmd })
    }

    /// Detaches and returns the request linked after this one.
    pub(crate) fn take_next(&mut self) -> Option<Req> {
        // SAFETY: we own the request and the link after it (invariant).
        unsafe { detach_link(self.raw()) }
    }

    /// Calls `f` with the opcode and flags of this request and of each one
    /// linked after it, until `f` returns `false`.
    pub(crate) fn for_each_linked(&self, f: &mut dyn FnMut(u8, ReqFlags) -> bool) {
        let mut cur = self.raw();
        while !cur.is_null() {
            // SAFETY: `cur` is this request or one linked after it: ours
            // and live (type invariant), and not otherwise borrowed.
            let r = unsafe { Raw::new(cur) };
            if !f(r.opcode(), r.flags()) {
                return;
            }
            // SAFETY: as above.
            cur = unsafe { bindings::io_spawn_req_peek_link(cur) };
        }
    }

    /// Calls `f` with this request and each one linked after it.
    pub(crate) fn for_each_linked_mut(&mut self, f: &mut dyn FnMut(&mut ReqMut<'_>)) {
        let mut cur = self.raw();
        while !cur.is_null() {
            // SAFETY: `cur` is this request or one linked after it: ours
            // and live (type invariant); `&mut self` keeps anyone else from
            // them while `f` runs.
            let mut r = ReqMut(unsafe { Raw::new(cur) });
            f(&mut r);
            // SAFETY: as above.
            cur = unsafe { bindings::io_spawn_req_peek_link(cur) };
        }
    }

    /// Whether a non-negative result is a new fd of the task that ran the
    /// request (not, say, a fixed file slot of the ring).
    pub(crate) fn returns_fd(&self) -> bool {
        // SAFETY: the request is live and was prepared (type invariant).
        unsafe { bindings::io_spawn_req_returns_fd(self.raw()) }
    }

    /// Issues the request in the current task as io-wq issues blocking
    /// work, completes it and returns its result. Whatever is still linked
    /// after it must have been taken off first.
    pub(crate) fn run(self) -> i32 {
        // SAFETY: the request is live (type invariant).
        debug_assert!(unsafe { bindings::io_spawn_req_peek_link(self.raw()) }.is_null());
        let raw = self.into_raw();
        // SAFETY: we owned the request; the shim issues and completes it
        // and drops its references, so it is not touched afterwards.
        unsafe { bindings::io_spawn_req_run(raw) }
    }

    /// Completes the request with `err` without issuing it.
    pub(crate) fn cancel(self, err: Error) {
        let raw = self.into_raw();
        // SAFETY: we owned the request and it never ran; this is its only
        // completion.
        unsafe { bindings::io_spawn_req_cancel(raw, err.to_errno(), false) }
    }

    /// Completes the request with `-ECANCELED`, without issuing it and
    /// without a CQE (as io_uring's links do for the requests that a failed
    /// `IOSQE_CQE_SKIP_SUCCESS` request cancels).
    pub(crate) fn cancel_without_cqe(self) {
        let raw = self.into_raw();
        // SAFETY: as in `cancel`.
        unsafe { bindings::io_spawn_req_cancel(raw, ECANCELED.to_errno(), true) }
    }
}

impl Drop for Req {
    fn drop(&mut self) {
        // Only reached when neither `run` nor `cancel` consumed the request.
        // SAFETY: we own the request and it never ran (type invariant).
        unsafe { bindings::io_spawn_req_cancel(self.raw(), ECANCELED.to_errno(), false) }
    }
}

/// A request linked after an owned [`Req`], borrowed from its owner.
pub(crate) struct ReqMut<'a>(Raw<'a>);

impl ReqMut<'_> {
    /// The request's opcode.
    pub(crate) fn opcode(&self) -> u8 {
        self.0.opcode()
    }

    /// What ->prep() stored, if the request is an `O`.
    pub(crate) fn cmd_mut<O: Opcode>(&mut self) -> Option<&mut O::Cmd> {
        if self.opcode() != O::NR {
            return None;
        }
        // SAFETY: the request belongs to an owned chain, so it was
        // prepared (`Req`'s invariant), as an `O`, its opcode.
        Some(unsafe { self.0.cmd_mut::<O>() })
    }

    /// Hands the request over from the task that took it off the link to
    /// the one that will run it: it keeps no state bound to the former
    /// (an OPENAT's name and the submitter's audit context).
    pub(crate) fn hand_over(&mut self) {
        // SAFETY: the request is live and ours; we run in the task that
        // prepared it, in the system call that did so, as the shim needs.
        unsafe { bindings::io_spawn_req_handover(self.0.raw()) }
    }
}

/// A chain of owned requests run by another task, as io_uring's
/// cancellation sees it (`struct io_spawn_track` in the shim): made in the
/// task that takes the chain, before the other exists, then that task's.
///
/// # Invariants
///
/// `self.0` came from `io_spawn_track_new()` and is freed only by `Drop`
/// or, if the running task dies with its chain parked, by the shim itself.
pub(crate) struct Track(NonNull<bindings::io_spawn_track>);

// SAFETY: the track goes from the submitter to the child; the shim guards
// the fields both sides touch with its lock.
unsafe impl Send for Track {}

impl Track {
    fn raw(&self) -> *mut bindings::io_spawn_track {
        self.0.as_ptr()
    }

    /// Called by the task that runs the chain, before it does: from now on
    /// a cancellation kills it.
    pub(crate) fn start(&self) {
        // SAFETY: the track is live (type invariant); we are that task.
        unsafe { bindings::io_spawn_track_start(self.raw()) }
    }

    /// Before a step: settles what a return to user space would (task_work,
    /// stops, signals), with `rest` (the steps yet to run) parked with the
    /// shim while signals are taken. Returns whether the task must give up
    /// (cancelled, or a fatal signal pending).
    pub(crate) fn settle(&self, rest: &mut Option<Req>) -> bool {
        loop {
            // SAFETY: the track is live (type invariant); we run the chain.
            let what = unsafe { bindings::io_spawn_child_settle(self.raw()) };
            match what as u32 {
                bindings::io_spawn_settle_IO_SPAWN_GO => return false,
                bindings::io_spawn_settle_IO_SPAWN_SIGNALS => {
                    let parked = rest.take().map_or(core::ptr::null_mut(), Req::into_raw);
                    // SAFETY: the track is live and we run the chain. The
                    // shim owns `parked` while the task may stop or die,
                    // and cancels it if it dies; if the call returns, it
                    // hands the same requests back, ours again.
                    let back = unsafe { bindings::io_spawn_child_signals(self.raw(), parked) };
                    // INVARIANT: these are the requests we parked.
                    *rest = NonNull::new(back).map(Req);
                }
                _ => return true,
            }
        }
    }
}

impl Drop for Track {
    fn drop(&mut self) {
        // SAFETY: the track is live and this is its last use (invariant).
        unsafe { bindings::io_spawn_track_free(self.raw()) }
    }
}
