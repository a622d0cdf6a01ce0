// SPDX-License-Identifier: GPL-2.0

//! KUnit cases for the spawn core, registered by kunit.c.
//!
//! The chain and start-up logic run here on fake requests that record what
//! happens to them, so every unwind path can be driven, including a failure
//! at each step that can fail, and checked for "every request completed
//! exactly once, with the right result".

use core::cell::{Cell, RefCell};
use kernel::{bindings, prelude::*};

use crate::chain::{laxer, refusal, stricter, verdict_of, Chain, ChainReq, Outcome, Verdict};
use crate::child::{apply_attr, check_clone_flags, start, AttrOps, Spawn, Spawner};
use crate::req::{
    ReqFlags, CHAIN_ONLY, EBADF, ECANCELED, EOPNOTSUPP, OP_CHDIR, OP_CLOSE_RANGE, OP_DUP, OP_EXEC,
};
use crate::sqe::{self, CloneOpts, SpawnAttr, SqeFields, CLONE_ARGS_SIZE, SPAWN_ATTR_SIZE};

macro_rules! check {
    ($cond:expr) => {
        kernel::kunit_assert!("io_uring_spawn", "spawn/tests.rs", 0, $cond)
    };
}

const NOP: u8 = bindings::io_uring_op_IORING_OP_NOP as u8;
const OPENAT: u8 = bindings::io_uring_op_IORING_OP_OPENAT as u8;
const CLOSE: u8 = bindings::io_uring_op_IORING_OP_CLOSE as u8;
const READ: u8 = bindings::io_uring_op_IORING_OP_READ as u8;
const LINK_TIMEOUT: u8 = bindings::io_uring_op_IORING_OP_LINK_TIMEOUT as u8;
const CLONE: u8 = bindings::io_uring_op_IORING_OP_CLONE as u8;
const ENOENT: i32 = -(bindings::ENOENT as i32);
const EACCES: i32 = -(bindings::EACCES as i32);
const EINVAL_: i32 = -(bindings::EINVAL as i32);

/// One fake request: opcode, flags, and the result it gives when run.
#[derive(Clone, Copy)]
struct Step(u8, u32, i32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Ran(usize),
    Cancelled(usize, i32),
    /// Cancelled without a CQE.
    Skipped(usize),
    /// A DUP was told the fd the request before it returned.
    PrevFd(usize, i32),
}

/// What happened to a fake chain.
struct Log {
    events: RefCell<KVec<Ev>>,
    marked: Cell<u32>,
}

impl Log {
    fn new() -> Self {
        Log {
            events: RefCell::new(KVec::new()),
            marked: Cell::new(0),
        }
    }

    fn push(&self, ev: Ev) {
        // A failed push would lose an event and fail the checks below.
        let _ = self.events.borrow_mut().push(ev, GFP_KERNEL);
    }

    fn is(&self, want: &[Ev]) -> bool {
        self.events.borrow().as_slice() == want
    }

    /// Every request completed exactly once.
    fn each_once(&self, n: usize) -> bool {
        let ev = self.events.borrow();
        let ends = ev.iter().filter(|e| !matches!(e, Ev::PrevFd(..))).count();
        ends == n
            && (0..n).all(|i| {
                ev.iter()
                    .filter(|e| {
                        matches!(e, Ev::Ran(j) | Ev::Cancelled(j, _) | Ev::Skipped(j) if *j == i)
                    })
                    .count()
                    == 1
            })
    }
}

struct FakeReq<'a> {
    id: usize,
    steps: &'a [Step],
    log: &'a Log,
    detached: bool,
}

fn chain<'a>(steps: &'a [Step], log: &'a Log) -> Chain<FakeReq<'a>> {
    Chain::new((!steps.is_empty()).then_some(FakeReq {
        id: 0,
        steps,
        log,
        detached: false,
    }))
}

impl ChainReq for FakeReq<'_> {
    fn opcode(&self) -> u8 {
        self.steps[self.id].0
    }

    fn flags(&self) -> ReqFlags {
        ReqFlags(self.steps[self.id].1)
    }

    fn take_next(&mut self) -> Option<Self> {
        if self.detached || self.id + 1 >= self.steps.len() {
            return None;
        }
        self.detached = true;
        Some(FakeReq {
            id: self.id + 1,
            steps: self.steps,
            log: self.log,
            detached: false,
        })
    }

    fn for_each_linked(&self, f: &mut dyn FnMut(u8, ReqFlags) -> bool) {
        let end = if self.detached {
            self.id + 1
        } else {
            self.steps.len()
        };
        for s in &self.steps[self.id..end] {
            if !f(s.0, ReqFlags(s.1)) {
                return;
            }
        }
    }

    fn mark_in_chain(&mut self) {
        for (i, s) in self.steps.iter().enumerate().skip(self.id) {
            if CHAIN_ONLY.contains(&s.0) {
                self.log.marked.set(self.log.marked.get() | 1 << i);
            }
        }
    }

    fn set_prev_fd(&mut self, fd: i32) {
        self.log.push(Ev::PrevFd(self.id, fd));
    }

    fn returns_fd(&self) -> bool {
        let Step(op, flags, _) = self.steps[self.id];
        (op == OPENAT && flags & TO_SLOT == 0) || op == OP_DUP
    }

    fn exec_verdict(&self) -> Verdict {
        let flags = self.steps[self.id].1;
        if flags & SECCOMP_KILL != 0 {
            Verdict::Kill
        } else if flags & SECCOMP_EACCES != 0 {
            Verdict::Fail(EACCES)
        } else {
            Verdict::Allow
        }
    }

    fn run(self) -> i32 {
        self.log.push(Ev::Ran(self.id));
        self.steps[self.id].2
    }

    fn cancel(self, res: i32) {
        self.log.push(Ev::Cancelled(self.id, res));
    }

    fn cancel_without_cqe(self) {
        self.log.push(Ev::Skipped(self.id));
    }
}

const LINK: u32 = ReqFlags::LINK;
const HARD: u32 = ReqFlags::HARDLINK;
const SKIP: u32 = ReqFlags::CQE_SKIP;
/// Fake-only flags: what the seccomp filters say of this EXEC.
const SECCOMP_KILL: u32 = 1 << 20;
const SECCOMP_EACCES: u32 = 1 << 21;
/// Fake-only flag: this OPENAT installs into a fixed file slot.
const TO_SLOT: u32 = 1 << 22;

fn never(_: &mut Chain<FakeReq<'_>>) -> bool {
    false
}

#[no_mangle]
extern "C" fn io_spawn_test_vet_accepts_allowed(_t: *mut bindings::kunit) {
    let log = Log::new();
    let steps = [
        Step(NOP, LINK, 0),
        Step(OPENAT, LINK, 3),
        Step(CLOSE, LINK, 0),
        Step(OP_EXEC, 0, 0),
    ];
    let c = chain(&steps, &log).vet();
    check!(c.is_ok());
    check!(log.marked.get() == 1 << 3);
    check!(log.is(&[]));
    drop(c);
    // A vetted chain that never ran is cancelled whole when dropped.
    check!(log.each_once(4));
    check!(log
        .events
        .borrow()
        .iter()
        .all(|e| matches!(e, Ev::Cancelled(_, ECANCELED))));
}

#[no_mangle]
extern "C" fn io_spawn_test_vet_refuses_opcode(_t: *mut bindings::kunit) {
    let log = Log::new();
    let steps = [Step(NOP, LINK, 0), Step(READ, LINK, 0), Step(OP_EXEC, 0, 0)];
    check!(chain(&steps, &log).vet().err() == Some(EINVAL));
    check!(log.is(&[
        Ev::Cancelled(0, ECANCELED),
        Ev::Cancelled(1, EOPNOTSUPP),
        Ev::Cancelled(2, ECANCELED)
    ]));
    check!(log.marked.get() == 0);
}

#[no_mangle]
extern "C" fn io_spawn_test_vet_refuses_flags(_t: *mut bindings::kunit) {
    let log = Log::new();
    let steps = [Step(OPENAT, LINK | ReqFlags::CREDS, 0), Step(OP_EXEC, 0, 0)];
    check!(chain(&steps, &log).vet().is_err());
    check!(log.is(&[Ev::Cancelled(0, EINVAL_), Ev::Cancelled(1, ECANCELED)]));
}

#[no_mangle]
extern "C" fn io_spawn_test_refusal_table(_t: *mut bindings::kunit) {
    check!(refusal(NOP, ReqFlags(0)).is_none());
    check!(refusal(OP_EXEC, ReqFlags(HARD)).is_none());
    check!(refusal(CLONE, ReqFlags(LINK)) == Some(EOPNOTSUPP));
    check!(refusal(READ, ReqFlags(0)) == Some(EOPNOTSUPP));
    check!(refusal(LINK_TIMEOUT, ReqFlags(0)) == Some(EOPNOTSUPP));
    check!(refusal(NOP, ReqFlags(ReqFlags::LTIMEOUT)) == Some(EINVAL_));
    for op in [OP_DUP, OP_CHDIR, OP_CLOSE_RANGE] {
        check!(refusal(op, ReqFlags(LINK)).is_none());
        check!(refusal(op, ReqFlags(ReqFlags::CREDS)) == Some(EINVAL_));
    }
}

#[no_mangle]
extern "C" fn io_spawn_test_run_exec_cancels_rest(_t: *mut bindings::kunit) {
    let log = Log::new();
    let steps = [
        Step(OPENAT, LINK, 3),
        Step(OP_EXEC, LINK, 0),
        Step(NOP, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Execd);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1), Ev::Cancelled(2, ECANCELED)]));
}

#[no_mangle]
extern "C" fn io_spawn_test_run_soft_failure_stops(_t: *mut bindings::kunit) {
    let log = Log::new();
    let steps = [
        Step(OPENAT, LINK, ENOENT),
        Step(NOP, LINK, 0),
        Step(OP_EXEC, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[
        Ev::Ran(0),
        Ev::Cancelled(1, ECANCELED),
        Ev::Cancelled(2, ECANCELED)
    ]));
}

#[no_mangle]
extern "C" fn io_spawn_test_run_skip_success_failure(_t: *mut bindings::kunit) {
    // As io_uring's links: a failed IOSQE_CQE_SKIP_SUCCESS request posts
    // its CQE, and the requests its failure cancels post none.
    let log = Log::new();
    let steps = [
        Step(NOP, LINK | SKIP, 0),
        Step(OPENAT, LINK | SKIP, ENOENT),
        Step(NOP, LINK, 0),
        Step(OP_EXEC, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1), Ev::Skipped(2), Ev::Skipped(3)]));
    check!(log.each_once(4));

    // Hard-linked, it does not break the chain.
    let log = Log::new();
    let steps = [Step(OP_EXEC, HARD | SKIP, ENOENT), Step(OP_EXEC, 0, 0)];
    check!(chain(&steps, &log).run(&never) == Outcome::Execd);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1)]));

    // A failure without the flag cancels the rest with CQEs, flag or not.
    let log = Log::new();
    let steps = [
        Step(OPENAT, LINK, ENOENT),
        Step(NOP, LINK | SKIP, 0),
        Step(OP_EXEC, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[
        Ev::Ran(0),
        Ev::Cancelled(1, ECANCELED),
        Ev::Cancelled(2, ECANCELED)
    ]));
}

#[no_mangle]
extern "C" fn io_spawn_test_run_hardlink_path_search(_t: *mut bindings::kunit) {
    let log = Log::new();
    let steps = [
        Step(OP_EXEC, HARD, ENOENT),
        Step(OP_EXEC, HARD, EACCES),
        Step(OP_EXEC, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Execd);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1), Ev::Ran(2)]));

    // The last hard-linked EXEC failing too ends the chain.
    let log = Log::new();
    let steps = [Step(OP_EXEC, HARD, ENOENT), Step(OP_EXEC, 0, ENOENT)];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.each_once(2));
}

#[no_mangle]
extern "C" fn io_spawn_test_run_without_exec_fails(_t: *mut bindings::kunit) {
    let log = Log::new();
    let steps = [Step(NOP, LINK, 0), Step(OPENAT, 0, 4)];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1)]));
}

#[no_mangle]
extern "C" fn io_spawn_test_run_stops_on_fatal_signal(_t: *mut bindings::kunit) {
    let log = Log::new();
    let steps = [Step(NOP, LINK, 0), Step(NOP, LINK, 0), Step(OP_EXEC, 0, 0)];
    let calls = Cell::new(0);
    let stop = |_: &mut Chain<FakeReq<'_>>| {
        calls.set(calls.get() + 1);
        calls.get() > 1
    };
    check!(chain(&steps, &log).run(&stop) == Outcome::Failed);
    check!(log.is(&[
        Ev::Ran(0),
        Ev::Cancelled(1, ECANCELED),
        Ev::Cancelled(2, ECANCELED)
    ]));
}

/// Fails the step it is told to, so each unwind path is taken.
struct FakeSpawner {
    fail_alloc: bool,
    fail_create: Option<Error>,
    created: Cell<bool>,
}

impl<'a> Spawner<FakeReq<'a>, ()> for FakeSpawner {
    fn alloc(&self, spawn: Spawn<FakeReq<'a>, ()>) -> Result<KBox<Spawn<FakeReq<'a>, ()>>> {
        if self.fail_alloc {
            // `spawn` drops here, as it would when KBox::new fails.
            return Err(ENOMEM);
        }
        Ok(KBox::new(spawn, GFP_KERNEL)?)
    }

    fn create(&self, _opts: &CloneOpts, spawn: KBox<Spawn<FakeReq<'a>, ()>>) -> Result<i32> {
        if let Some(e) = self.fail_create {
            return Err(e);
        }
        self.created.set(!spawn.chain.is_empty());
        // The "child" runs the chain to its end.
        let Spawn { chain, .. } = KBox::into_inner(spawn);
        let _ = chain.run(&never);
        Ok(4242)
    }
}

fn start_with(fail_alloc: bool, fail_create: Option<Error>) -> (Result<i32>, Log, bool) {
    static STEPS: [Step; 3] = [
        Step(OPENAT, LINK, 3),
        Step(OP_EXEC, LINK, 0),
        Step(NOP, 0, 0),
    ];
    let log = Log::new();
    let sp = FakeSpawner {
        fail_alloc,
        fail_create,
        created: Cell::new(false),
    };
    let res = start(
        chain(&STEPS, &log),
        &CloneOpts::default(),
        SpawnAttr::default(),
        (),
        &sp,
    );
    let created = sp.created.get();
    (res, log, created)
}

#[no_mangle]
extern "C" fn io_spawn_test_start_alloc_failure(_t: *mut bindings::kunit) {
    let (res, log, created) = start_with(true, None);
    check!(res.err() == Some(ENOMEM));
    check!(!created);
    check!(log.is(&[
        Ev::Cancelled(0, ECANCELED),
        Ev::Cancelled(1, ECANCELED),
        Ev::Cancelled(2, ECANCELED)
    ]));
}

#[no_mangle]
extern "C" fn io_spawn_test_start_create_failure(_t: *mut bindings::kunit) {
    let (res, log, created) = start_with(false, Some(EAGAIN));
    check!(res.err() == Some(EAGAIN));
    check!(!created);
    check!(log.each_once(3));
    check!(log
        .events
        .borrow()
        .iter()
        .all(|e| matches!(e, Ev::Cancelled(_, ECANCELED))));
}

#[no_mangle]
extern "C" fn io_spawn_test_start_success(_t: *mut bindings::kunit) {
    let (res, log, created) = start_with(false, None);
    check!(res.ok() == Some(4242));
    check!(created);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1), Ev::Cancelled(2, ECANCELED)]));
}

fn sqe() -> SqeFields {
    SqeFields::default()
}

#[no_mangle]
extern "C" fn io_spawn_test_clone_sqe(_t: *mut bindings::kunit) {
    check!(matches!(sqe::clone_sqe(&sqe()), Ok(c) if c.args.is_none() && c.attr == 0));
    let mut s = sqe();
    s.addr = 0x1000;
    s.len = 88;
    s.off = 0x2000;
    check!(matches!(sqe::clone_sqe(&s),
        Ok(c) if c.attr == 0x2000 && matches!(c.args, Some(a) if a.addr == 0x1000 && a.len == 88)));
    s.len = 0;
    check!(sqe::clone_sqe(&s) == Err(EINVAL));
    let bad: [fn(&mut SqeFields); 8] = [
        |s| s.addr3 = 1,
        |s| s.pad2 = 1,
        |s| s.op_flags = 1,
        |s| s.fd = 1,
        |s| s.file_index = 1,
        |s| s.ioprio = 1,
        |s| s.buf_index = 1,
        |s| s.personality = 1,
    ];
    for set in bad {
        let mut s = sqe();
        set(&mut s);
        check!(sqe::clone_sqe(&s) == Err(EINVAL));
    }
}

#[no_mangle]
extern "C" fn io_spawn_test_exec_sqe(_t: *mut bindings::kunit) {
    let mut s = sqe();
    s.fd = -100;
    s.addr = 1;
    s.off = 2;
    s.addr3 = 3;
    s.op_flags = sqe::EXEC_FLAGS;
    let a = sqe::exec_sqe(&s);
    check!(matches!(a, Ok(a) if a.dfd == -100 && a.filename == 1 && a.argv == 2 && a.envp == 3));
    s.op_flags = 0x8000_0000;
    check!(sqe::exec_sqe(&s) == Err(EINVAL));
    let bad: [fn(&mut SqeFields); 6] = [
        |s| s.len = 1,
        |s| s.pad2 = 1,
        |s| s.file_index = 1,
        |s| s.ioprio = 1,
        |s| s.buf_index = 1,
        |s| s.personality = 1,
    ];
    for set in bad {
        let mut s = sqe();
        set(&mut s);
        check!(sqe::exec_sqe(&s) == Err(EINVAL));
    }
}

fn args(fields: &[(usize, u64)]) -> [u8; CLONE_ARGS_SIZE] {
    let mut b = [0u8; CLONE_ARGS_SIZE];
    for &(off, v) in fields {
        b[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    }
    b
}

#[no_mangle]
extern "C" fn io_spawn_test_clone_args(_t: *mut bindings::kunit) {
    let pidfd = bindings::CLONE_PIDFD as u64;
    let cgroup = bindings::CLONE_INTO_CGROUP;
    let sigchld = bindings::SIGCHLD as u64;

    let o = sqe::parse_clone_args(&args(&[(32, sigchld)]), 64);
    check!(o == Ok(CloneOpts::default()));
    let o = sqe::parse_clone_args(&args(&[(0, pidfd), (8, 0x7000), (32, 10)]), 88);
    check!(matches!(o, Ok(o) if o.flags == pidfd && o.pidfd == 0x7000 && o.exit_signal == 10));
    // CLONE_CLEAR_SIGHAND is accepted and always in effect.
    let o = sqe::parse_clone_args(&args(&[(0, bindings::CLONE_CLEAR_SIGHAND)]), 64);
    check!(matches!(o, Ok(o) if o.flags == 0 && o.exit_signal == 0));
    let o = sqe::parse_clone_args(&args(&[(0, cgroup), (80, 5)]), 88);
    check!(matches!(o, Ok(o) if o.cgroup == 5));

    // A pidfd address without CLONE_PIDFD is ignored, as by clone3.
    let o = sqe::parse_clone_args(&args(&[(8, 0x7000)]), 64);
    check!(matches!(o, Ok(o) if o.flags == 0 && o.pidfd == 0));

    let einval: [&[(usize, u64)]; 11] = [
        &[(0, bindings::CLONE_VM as u64)],
        &[(0, bindings::CLONE_THREAD as u64)],
        &[(0, bindings::CLONE_VFORK as u64)],
        &[(0, pidfd)],   // no pidfd address
        &[(16, 1)],      // child_tid
        &[(24, 1)],      // parent_tid
        &[(32, 65)],     // exit_signal past _NSIG
        &[(40, 0x1000)], // stack
        &[(56, 1)],      // tls
        &[(72, 1)],      // set_tid_size
        &[(80, 3)],      // cgroup without CLONE_INTO_CGROUP
    ];
    for f in einval {
        check!(sqe::parse_clone_args(&args(f), 88) == Err(EINVAL));
    }
    // Too short, and CLONE_INTO_CGROUP in a struct without the member.
    check!(sqe::parse_clone_args(&args(&[]), 63) == Err(EINVAL));
    check!(sqe::parse_clone_args(&args(&[(0, cgroup)]), 80) == Err(EINVAL));
    check!(sqe::parse_clone_args(&args(&[(0, cgroup), (80, 1 << 31)]), 88) == Err(EINVAL));
}

#[no_mangle]
extern "C" fn io_spawn_test_dup_sqe(_t: *mut bindings::kunit) {
    let mut s = sqe();
    s.fd = 7;
    s.len = 1;
    s.op_flags = bindings::IORING_DUP_CLOEXEC;
    check!(matches!(sqe::dup_sqe(&s),
        Ok(a) if a.fd == 7 && a.target == 1 && a.cloexec && !a.from_prev && !a.move_));
    // The source comes from the request before: `fd` must be 0.
    s.op_flags = bindings::IORING_DUP_FROM_PREV | bindings::IORING_DUP_MOVE;
    check!(sqe::dup_sqe(&s) == Err(EINVAL));
    s.fd = 0;
    check!(matches!(sqe::dup_sqe(&s), Ok(a) if a.from_prev && a.move_ && !a.cloexec));
    s.op_flags = 1 << 3;
    check!(sqe::dup_sqe(&s) == Err(EINVAL));
    let bad: [fn(&mut SqeFields); 8] = [
        |s| s.off = 1,
        |s| s.addr = 1,
        |s| s.addr3 = 1,
        |s| s.pad2 = 1,
        |s| s.file_index = 1,
        |s| s.ioprio = 1,
        |s| s.buf_index = 1,
        |s| s.personality = 1,
    ];
    for set in bad {
        let mut s = sqe();
        set(&mut s);
        check!(sqe::dup_sqe(&s) == Err(EINVAL));
    }
}

#[no_mangle]
extern "C" fn io_spawn_test_chdir_close_range_sqe(_t: *mut bindings::kunit) {
    let mut s = sqe();
    s.fd = -100;
    s.addr = 0x1000;
    check!(matches!(sqe::chdir_sqe(&s), Ok(a) if a.dfd == -100 && a.path == 0x1000));
    s.len = 1;
    check!(sqe::chdir_sqe(&s) == Err(EINVAL));
    s.len = 0;
    s.op_flags = 1;
    check!(sqe::chdir_sqe(&s) == Err(EINVAL));

    let mut s = sqe();
    s.fd = 3;
    s.len = u32::MAX;
    check!(matches!(sqe::close_range_sqe(&s), Ok(a) if a.first == 3 && a.last == u32::MAX));
    s.op_flags = bindings::CLOSE_RANGE_CLOEXEC;
    check!(sqe::close_range_sqe(&s).is_ok());
    // The child's table is its own: nothing to unshare.
    s.op_flags = bindings::CLOSE_RANGE_UNSHARE;
    check!(sqe::close_range_sqe(&s) == Err(EINVAL));
    let mut s = sqe();
    s.fd = 5;
    s.len = 4;
    check!(sqe::close_range_sqe(&s) == Err(EINVAL));
    s.len = 5;
    s.addr = 1;
    check!(sqe::close_range_sqe(&s) == Err(EINVAL));
}

fn attr(fields: &[(usize, u64)]) -> [u8; SPAWN_ATTR_SIZE] {
    let mut b = [0u8; SPAWN_ATTR_SIZE];
    for &(off, v) in fields {
        b[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    }
    b
}

/// The first 8 bytes: `flags` and `pgid`, as the struct lays them out.
fn head(flags: u32, pgid: i32) -> u64 {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&flags.to_ne_bytes());
    b[4..].copy_from_slice(&pgid.to_ne_bytes());
    u64::from_ne_bytes(b)
}

#[no_mangle]
extern "C" fn io_spawn_test_spawn_attr(_t: *mut bindings::kunit) {
    let pg = bindings::IORING_SPAWN_SETPGROUP;
    let mask = bindings::IORING_SPAWN_SETSIGMASK;
    let def = bindings::IORING_SPAWN_SETSIGDEF;

    check!(sqe::parse_spawn_attr(&attr(&[])) == Ok(SpawnAttr::default()));
    let a = sqe::parse_spawn_attr(&attr(&[(0, head(pg | mask | def, 77)), (8, 6), (24, 1)]));
    check!(
        a == Ok(SpawnAttr {
            flags: pg | mask | def,
            pgid: 77,
            sigmask: 6,
            sigdefault: 1
        })
    );
    let all = sqe::SPAWN_ATTR_FLAGS;
    check!(sqe::parse_spawn_attr(&attr(&[(0, head(all, 0))])).is_ok());

    let einval: [&[(usize, u64)]; 10] = [
        &[(0, head(1 << 5, 0))],        // unknown flag
        &[(0, head(0, 5))],             // pgid without SETPGROUP
        &[(0, head(pg, -1))],           // negative pgid
        &[(8, 1)],                      // sigmask without its flag
        &[(24, 1)],                     // sigdefault without its flag
        &[(0, head(mask, 0)), (16, 1)], // signal 65 in the mask
        &[(0, head(def, 0)), (32, 1)],  // signal 65 in sigdefault
        &[(40, 1)],                     // resv[0]
        &[(48, 1)],                     // resv[1]
        &[(56, 1 << 63)],               // resv[2]
    ];
    for f in einval {
        check!(sqe::parse_spawn_attr(&attr(f)) == Err(EINVAL));
    }
}

#[no_mangle]
extern "C" fn io_spawn_test_run_passes_prev_fd(_t: *mut bindings::kunit) {
    // OPENAT gives 5: the DUP after it is told 5. A NOP gives no fd, nor
    // does a failed (hard-linked) OPENAT: the DUP after them is told -EBADF.
    let log = Log::new();
    let steps = [
        Step(OPENAT, LINK, 5),
        Step(OP_DUP, LINK, 1),
        Step(OP_DUP, LINK, 2),
        Step(NOP, LINK, 0),
        Step(OP_DUP, LINK, EBADF),
        Step(OPENAT, HARD, ENOENT),
        Step(OP_DUP, 0, EBADF),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[
        Ev::Ran(0),
        Ev::PrevFd(1, 5),
        Ev::Ran(1),
        Ev::PrevFd(2, 1),
        Ev::Ran(2),
        Ev::Ran(3),
        Ev::PrevFd(4, EBADF),
        Ev::Ran(4),
        Ev::Cancelled(5, ECANCELED),
        Ev::Cancelled(6, ECANCELED),
    ]));

    let log = Log::new();
    let steps = [Step(OPENAT, HARD, ENOENT), Step(OP_DUP, 0, EBADF)];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[Ev::Ran(0), Ev::PrevFd(1, EBADF), Ev::Ran(1)]));
}

#[no_mangle]
extern "C" fn io_spawn_test_vet_marks_chain_only(_t: *mut bindings::kunit) {
    let log = Log::new();
    let steps = [
        Step(OP_CHDIR, LINK, 0),
        Step(NOP, LINK, 0),
        Step(OP_CLOSE_RANGE, LINK, 0),
        Step(OPENAT, LINK, 3),
        Step(OP_DUP, LINK, 0),
        Step(OP_EXEC, 0, 0),
    ];
    let c = chain(&steps, &log).vet();
    check!(c.is_ok());
    check!(log.marked.get() == 0b110101);
    drop(c);
    check!(log.each_once(6));
}

/// Records the order in which attributes are applied; fails one on demand.
struct FakeAttrOps {
    log: RefCell<KVec<(u8, u64)>>,
    fail: Option<(u8, Error)>,
}

impl FakeAttrOps {
    fn new(fail: Option<(u8, Error)>) -> Self {
        FakeAttrOps {
            log: RefCell::new(KVec::new()),
            fail,
        }
    }

    fn did(&self, what: u8, arg: u64) -> Result {
        let _ = self.log.borrow_mut().push((what, arg), GFP_KERNEL);
        match self.fail {
            Some((w, e)) if w == what => Err(e),
            _ => Ok(()),
        }
    }
}

impl AttrOps for FakeAttrOps {
    fn sigdefault(&self, set: u64) {
        let _ = self.did(b'd', set);
    }
    fn sigmask(&self, set: u64) {
        let _ = self.did(b'm', set);
    }
    fn setsid(&self) -> Result {
        self.did(b's', 0)
    }
    fn setpgid(&self, pgid: i32) -> Result {
        self.did(b'p', pgid as u64)
    }
    fn resetids(&self) -> Result {
        self.did(b'r', 0)
    }
}

#[no_mangle]
extern "C" fn io_spawn_test_attr_apply(_t: *mut bindings::kunit) {
    let all = SpawnAttr {
        flags: sqe::SPAWN_ATTR_FLAGS,
        pgid: 9,
        sigmask: 4,
        sigdefault: 2,
    };
    // glibc's order.
    let ops = FakeAttrOps::new(None);
    check!(apply_attr(&all, &ops).is_ok());
    check!(ops.log.borrow().as_slice() == [(b'd', 2), (b'm', 4), (b's', 0), (b'p', 9), (b'r', 0)]);
    // Nothing asked, nothing done.
    let ops = FakeAttrOps::new(None);
    check!(apply_attr(&SpawnAttr::default(), &ops).is_ok());
    check!(ops.log.borrow().is_empty());
    // The first failure stops the rest and is the result.
    let ops = FakeAttrOps::new(Some((b'p', EPERM)));
    check!(apply_attr(&all, &ops).err() == Some(EPERM));
    check!(ops.log.borrow().len() == 4);

    // The child then aborts its chain: the first request carries the
    // error, the rest are cancelled, nothing runs.
    let log = Log::new();
    let steps = [Step(OPENAT, LINK, 3), Step(OP_EXEC, 0, 0)];
    check!(chain(&steps, &log).abort(EPERM.to_errno()) == Outcome::Failed);
    check!(log.is(&[
        Ev::Cancelled(0, EPERM.to_errno()),
        Ev::Cancelled(1, ECANCELED)
    ]));
}

#[no_mangle]
extern "C" fn io_spawn_test_seccomp_verdict(_t: *mut bindings::kunit) {
    let eperm = -(bindings::EPERM as i32);
    check!(verdict_of(bindings::SECCOMP_RET_ALLOW) == Verdict::Allow);
    check!(verdict_of(bindings::SECCOMP_RET_LOG) == Verdict::Allow);
    check!(verdict_of(bindings::SECCOMP_RET_ERRNO | 13) == Verdict::Fail(EACCES));
    // Capped at MAX_ERRNO; 0 would be a success without an exec.
    check!(verdict_of(bindings::SECCOMP_RET_ERRNO | 0xffff) == Verdict::Fail(-4095));
    check!(verdict_of(bindings::SECCOMP_RET_ERRNO) == Verdict::Fail(eperm));
    check!(verdict_of(bindings::SECCOMP_RET_TRACE | 5) == Verdict::Fail(eperm));
    check!(verdict_of(bindings::SECCOMP_RET_USER_NOTIF) == Verdict::Fail(eperm));
    check!(verdict_of(bindings::SECCOMP_RET_TRAP) == Verdict::Fail(eperm));
    check!(verdict_of(bindings::SECCOMP_RET_KILL_THREAD) == Verdict::Kill);
    check!(verdict_of(bindings::SECCOMP_RET_KILL_PROCESS) == Verdict::Kill);
    check!(verdict_of(0x1234_0000) == Verdict::Kill);
    check!(stricter(Verdict::Allow, Verdict::Fail(EACCES)) == Verdict::Fail(EACCES));
    check!(stricter(Verdict::Fail(EACCES), Verdict::Kill) == Verdict::Kill);
    check!(stricter(Verdict::Allow, Verdict::Allow) == Verdict::Allow);
    check!(laxer(Verdict::Kill, Verdict::Allow) == Verdict::Allow);
    check!(laxer(Verdict::Kill, Verdict::Fail(EACCES)) == Verdict::Fail(EACCES));
    check!(laxer(Verdict::Kill, Verdict::Kill) == Verdict::Kill);
}

#[no_mangle]
extern "C" fn io_spawn_test_run_seccomp(_t: *mut bindings::kunit) {
    // A refused EXEC is a failed step: not run, its errno, the hard link
    // goes on to the next candidate.
    let log = Log::new();
    let steps = [Step(OP_EXEC, HARD | SECCOMP_EACCES, 0), Step(OP_EXEC, 0, 0)];
    check!(chain(&steps, &log).run(&never) == Outcome::Execd);
    check!(log.is(&[Ev::Cancelled(0, EACCES), Ev::Ran(1)]));

    // A kill verdict ends the chain there: nothing more runs.
    let log = Log::new();
    let steps = [
        Step(NOP, LINK, 0),
        Step(OP_EXEC, HARD | SECCOMP_KILL, 0),
        Step(OP_EXEC, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Killed);
    check!(log.is(&[
        Ev::Ran(0),
        Ev::Cancelled(1, -(bindings::EPERM as i32)),
        Ev::Cancelled(2, ECANCELED)
    ]));
}

#[no_mangle]
extern "C" fn io_spawn_test_clone_flags(_t: *mut bindings::kunit) {
    check!(check_clone_flags(ReqFlags(LINK)).is_ok());
    // No link, or a hard one: io_uring could run the chain in the submitter.
    check!(check_clone_flags(ReqFlags(0)) == Err(EINVAL));
    check!(check_clone_flags(ReqFlags(HARD)) == Err(EINVAL));
    check!(check_clone_flags(ReqFlags(LINK | HARD)) == Err(EINVAL));
    for f in [
        ReqFlags::FORCE_ASYNC,
        ReqFlags::FIXED_FILE,
        ReqFlags::CREDS,
        ReqFlags::CQE_SKIP,
    ] {
        check!(check_clone_flags(ReqFlags(LINK | f)) == Err(EINVAL));
    }
}

#[no_mangle]
extern "C" fn io_spawn_test_run_slot_is_no_fd(_t: *mut bindings::kunit) {
    // An OPENAT into a fixed file slot returns 0 (or the slot): no fd of
    // the child, so a DUP from it is told -EBADF.
    let log = Log::new();
    let steps = [Step(OPENAT, LINK | TO_SLOT, 0), Step(OP_DUP, 0, EBADF)];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[Ev::Ran(0), Ev::PrevFd(1, EBADF), Ev::Ran(1)]));
}

#[no_mangle]
extern "C" fn io_spawn_test_run_parks_between_steps(_t: *mut bindings::kunit) {
    // Settling may park the steps left and hand them back: the chain runs
    // on as if nothing happened, each step once, in order.
    let log = Log::new();
    let steps = [
        Step(OPENAT, LINK, 3),
        Step(OP_DUP, LINK, 1),
        Step(OP_EXEC, 0, 0),
    ];
    let parked = Cell::new(0);
    let stop = |c: &mut Chain<FakeReq<'_>>| {
        let rest = c.park();
        parked.set(parked.get() + usize::from(rest.is_some()));
        c.unpark(rest);
        false
    };
    check!(chain(&steps, &log).run(&stop) == Outcome::Execd);
    check!(parked.get() == 3);
    check!(log.is(&[Ev::Ran(0), Ev::PrevFd(1, 3), Ev::Ran(1), Ev::Ran(2)]));
}
