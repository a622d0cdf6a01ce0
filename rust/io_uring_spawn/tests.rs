// SPDX-License-Identifier: GPL-2.0

//! KUnit cases for the spawn core, listed at the end of this file.
//!
//! The chain and start-up logic run here on fake requests that record what
//! happens to them, so every unwind path can be driven, including a failure
//! at each step that can fail, and checked for "every request completed
//! exactly once, with the right result". Adding a case is adding a function
//! here and its name to the list.

use core::cell::{Cell, RefCell};
use kernel::prelude::*;

use crate::abstractions::io_uring::{op, ReqFlags, Sqe};
use crate::abstractions::kunit::kunit_cases;
use crate::abstractions::seccomp::{self, laxer, stricter, verdict_of, Verdict};
use crate::abstractions::signal::{self, SigSet};
use crate::abstractions::task::CloneOpts;
use crate::abstractions::uaccess::{CloneArgs, SpawnAttrArgs, CLONE_ARGS_SIZE};
use crate::abstractions::uapi;
use crate::attr::{self, apply_attr, AttrOps, SpawnAttr};
use crate::chain::{refusal, Chain, ChainReq, Outcome, CHAIN_ONLY};
use crate::clone::{self, check_clone_flags, start, Spawn, Spawner};
use crate::exec;
use crate::files;

macro_rules! check {
    ($cond:expr) => {
        kernel::kunit_assert!("io_uring_spawn", "spawn/tests.rs", 0, $cond)
    };
}

const NOP: u8 = op::NOP;
const OPENAT: u8 = op::OPENAT;
const CLOSE: u8 = op::CLOSE;
const READ: u8 = op::READ;
const LINK_TIMEOUT: u8 = op::LINK_TIMEOUT;
const CLONE: u8 = op::CLONE;
const OP_EXEC: u8 = op::EXEC;
const OP_DUP: u8 = op::DUP;
const OP_CHDIR: u8 = op::CHDIR;
const OP_CLOSE_RANGE: u8 = op::CLOSE_RANGE;

/// An error as a request's result.
fn n(err: Error) -> i32 {
    err.to_errno()
}

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

    fn cancel(self, err: Error) {
        self.log.push(Ev::Cancelled(self.id, err.to_errno()));
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

fn vet_accepts_allowed() {
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
        .all(|e| matches!(e, Ev::Cancelled(_, r) if *r == n(ECANCELED))));
}

fn vet_refuses_opcode() {
    let log = Log::new();
    let steps = [Step(NOP, LINK, 0), Step(READ, LINK, 0), Step(OP_EXEC, 0, 0)];
    check!(chain(&steps, &log).vet().err() == Some(EINVAL));
    check!(log.is(&[
        Ev::Cancelled(0, n(ECANCELED)),
        Ev::Cancelled(1, n(EOPNOTSUPP)),
        Ev::Cancelled(2, n(ECANCELED))
    ]));
    check!(log.marked.get() == 0);
}

fn vet_refuses_flags() {
    let log = Log::new();
    let steps = [Step(OPENAT, LINK | ReqFlags::CREDS, 0), Step(OP_EXEC, 0, 0)];
    check!(chain(&steps, &log).vet().is_err());
    check!(log.is(&[Ev::Cancelled(0, n(EINVAL)), Ev::Cancelled(1, n(ECANCELED))]));
}

fn refusal_table() {
    check!(refusal(NOP, ReqFlags(0)).is_none());
    check!(refusal(OP_EXEC, ReqFlags(HARD)).is_none());
    check!(refusal(CLONE, ReqFlags(LINK)) == Some(EOPNOTSUPP));
    check!(refusal(READ, ReqFlags(0)) == Some(EOPNOTSUPP));
    check!(refusal(LINK_TIMEOUT, ReqFlags(0)) == Some(EOPNOTSUPP));
    check!(refusal(NOP, ReqFlags(ReqFlags::LTIMEOUT)) == Some(EINVAL));
    for op in [OP_DUP, OP_CHDIR, OP_CLOSE_RANGE] {
        check!(refusal(op, ReqFlags(LINK)).is_none());
        check!(refusal(op, ReqFlags(ReqFlags::CREDS)) == Some(EINVAL));
    }
}

fn run_exec_cancels_rest() {
    let log = Log::new();
    let steps = [
        Step(OPENAT, LINK, 3),
        Step(OP_EXEC, LINK, 0),
        Step(NOP, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Execd);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1), Ev::Cancelled(2, n(ECANCELED))]));
}

fn run_soft_failure_stops() {
    let log = Log::new();
    let steps = [
        Step(OPENAT, LINK, n(ENOENT)),
        Step(NOP, LINK, 0),
        Step(OP_EXEC, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[
        Ev::Ran(0),
        Ev::Cancelled(1, n(ECANCELED)),
        Ev::Cancelled(2, n(ECANCELED))
    ]));
}

fn run_skip_success_failure() {
    // As io_uring's links: a failed IOSQE_CQE_SKIP_SUCCESS request posts
    // its CQE, and the requests its failure cancels post none.
    let log = Log::new();
    let steps = [
        Step(NOP, LINK | SKIP, 0),
        Step(OPENAT, LINK | SKIP, n(ENOENT)),
        Step(NOP, LINK, 0),
        Step(OP_EXEC, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1), Ev::Skipped(2), Ev::Skipped(3)]));
    check!(log.each_once(4));

    // Hard-linked, it does not break the chain.
    let log = Log::new();
    let steps = [Step(OP_EXEC, HARD | SKIP, n(ENOENT)), Step(OP_EXEC, 0, 0)];
    check!(chain(&steps, &log).run(&never) == Outcome::Execd);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1)]));

    // A failure without the flag cancels the rest with CQEs, flag or not.
    let log = Log::new();
    let steps = [
        Step(OPENAT, LINK, n(ENOENT)),
        Step(NOP, LINK | SKIP, 0),
        Step(OP_EXEC, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[
        Ev::Ran(0),
        Ev::Cancelled(1, n(ECANCELED)),
        Ev::Cancelled(2, n(ECANCELED))
    ]));
}

fn run_hardlink_path_search() {
    let log = Log::new();
    let steps = [
        Step(OP_EXEC, HARD, n(ENOENT)),
        Step(OP_EXEC, HARD, n(EACCES)),
        Step(OP_EXEC, 0, 0),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Execd);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1), Ev::Ran(2)]));

    // The last hard-linked EXEC failing too ends the chain.
    let log = Log::new();
    let steps = [Step(OP_EXEC, HARD, n(ENOENT)), Step(OP_EXEC, 0, n(ENOENT))];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.each_once(2));
}

fn run_without_exec_fails() {
    let log = Log::new();
    let steps = [Step(NOP, LINK, 0), Step(OPENAT, 0, 4)];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1)]));
}

fn run_stops_on_fatal_signal() {
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
        Ev::Cancelled(1, n(ECANCELED)),
        Ev::Cancelled(2, n(ECANCELED))
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
    let spawn = Spawn {
        chain: chain(&STEPS, &log),
        attr: SpawnAttr::default(),
        track: (),
    };
    let res = start(spawn, &CloneOpts::default(), &sp);
    let created = sp.created.get();
    (res, log, created)
}

fn start_alloc_failure() {
    let (res, log, created) = start_with(true, None);
    check!(res.err() == Some(ENOMEM));
    check!(!created);
    check!(log.is(&[
        Ev::Cancelled(0, n(ECANCELED)),
        Ev::Cancelled(1, n(ECANCELED)),
        Ev::Cancelled(2, n(ECANCELED))
    ]));
}

fn start_create_failure() {
    let (res, log, created) = start_with(false, Some(EAGAIN));
    check!(res.err() == Some(EAGAIN));
    check!(!created);
    check!(log.each_once(3));
    check!(log
        .events
        .borrow()
        .iter()
        .all(|e| matches!(e, Ev::Cancelled(_, r) if *r == n(ECANCELED))));
}

fn start_success() {
    let (res, log, created) = start_with(false, None);
    check!(res.ok() == Some(4242));
    check!(created);
    check!(log.is(&[Ev::Ran(0), Ev::Ran(1), Ev::Cancelled(2, n(ECANCELED))]));
}

fn sqe() -> Sqe {
    Sqe::default()
}

fn clone_sqe() {
    check!(matches!(clone::clone_sqe(&sqe()), Ok(c) if c.args.is_none() && c.attr == 0));
    let mut s = sqe();
    s.addr = 0x1000;
    s.len = 88;
    s.off = 0x2000;
    check!(matches!(clone::clone_sqe(&s),
        Ok(c) if c.attr == 0x2000 && matches!(c.args, Some(a) if a.addr == 0x1000 && a.len == 88)));
    s.len = 0;
    check!(clone::clone_sqe(&s) == Err(EINVAL));
    let bad: [fn(&mut Sqe); 8] = [
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
        check!(clone::clone_sqe(&s) == Err(EINVAL));
    }
}

fn exec_sqe() {
    let mut s = sqe();
    s.fd = -100;
    s.addr = 1;
    s.off = 2;
    s.addr3 = 3;
    s.op_flags = exec::EXEC_FLAGS;
    let a = exec::exec_sqe(&s);
    check!(matches!(a, Ok(a) if a.dfd == -100 && a.filename == 1 && a.argv == 2 && a.envp == 3));
    s.op_flags = 0x8000_0000;
    check!(exec::exec_sqe(&s) == Err(EINVAL));
    let bad: [fn(&mut Sqe); 6] = [
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
        check!(exec::exec_sqe(&s) == Err(EINVAL));
    }
}

fn clone_args() {
    use uapi::{CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP, CLONE_PIDFD};
    let full = CLONE_ARGS_SIZE;
    let ok = |a: CloneArgs, len| clone::parse_clone_args(&a, len);
    let sigchld = CloneArgs {
        exit_signal: u64::from(signal::SIGCHLD),
        ..Default::default()
    };
    check!(ok(sigchld, 64) == Ok(CloneOpts::default()));
    let o = ok(
        CloneArgs {
            flags: CLONE_PIDFD,
            pidfd: 0x7000,
            exit_signal: 10,
            ..Default::default()
        },
        full,
    );
    check!(
        matches!(o, Ok(o) if o.flags == CLONE_PIDFD && o.pidfd == 0x7000 && o.exit_signal == 10)
    );
    // CLONE_CLEAR_SIGHAND is accepted and always in effect.
    let o = ok(
        CloneArgs {
            flags: CLONE_CLEAR_SIGHAND,
            ..Default::default()
        },
        64,
    );
    check!(matches!(o, Ok(o) if o.flags == 0 && o.exit_signal == 0));
    let o = ok(
        CloneArgs {
            flags: CLONE_INTO_CGROUP,
            cgroup: 5,
            ..Default::default()
        },
        full,
    );
    check!(matches!(o, Ok(o) if o.cgroup == 5));

    // A pidfd address without CLONE_PIDFD is ignored, as by clone3.
    let o = ok(
        CloneArgs {
            pidfd: 0x7000,
            ..Default::default()
        },
        64,
    );
    check!(matches!(o, Ok(o) if o.flags == 0 && o.pidfd == 0));

    let einval: [fn(&mut CloneArgs); 11] = [
        |a| a.flags = uapi::CLONE_VM,
        |a| a.flags = uapi::CLONE_THREAD,
        |a| a.flags = uapi::CLONE_VFORK,
        |a| a.flags = CLONE_PIDFD, // no pidfd address
        |a| a.child_tid = 1,
        |a| a.parent_tid = 1,
        |a| a.exit_signal = 65, // past _NSIG
        |a| a.stack = 0x1000,
        |a| a.tls = 1,
        |a| a.set_tid_size = 1,
        |a| a.cgroup = 3, // without CLONE_INTO_CGROUP
    ];
    for set in einval {
        let mut a = CloneArgs::default();
        set(&mut a);
        check!(ok(a, full) == Err(EINVAL));
    }
    // Too short, and CLONE_INTO_CGROUP in a struct without the member.
    check!(ok(CloneArgs::default(), 63) == Err(EINVAL));
    let cg = |cgroup| CloneArgs {
        flags: CLONE_INTO_CGROUP,
        cgroup,
        ..Default::default()
    };
    check!(ok(cg(0), 80) == Err(EINVAL));
    check!(ok(cg(1 << 31), full) == Err(EINVAL));
}

fn dup_sqe() {
    let mut s = sqe();
    s.fd = 7;
    s.len = 1;
    s.op_flags = uapi::IORING_DUP_CLOEXEC;
    check!(matches!(files::dup_sqe(&s),
        Ok(a) if a.fd == 7 && a.target == 1 && a.cloexec && !a.from_prev && !a.move_));
    // The source comes from the request before: `fd` must be 0.
    s.op_flags = uapi::IORING_DUP_FROM_PREV | uapi::IORING_DUP_MOVE;
    check!(files::dup_sqe(&s) == Err(EINVAL));
    s.fd = 0;
    check!(matches!(files::dup_sqe(&s), Ok(a) if a.from_prev && a.move_ && !a.cloexec));
    s.op_flags = 1 << 3;
    check!(files::dup_sqe(&s) == Err(EINVAL));
    let bad: [fn(&mut Sqe); 8] = [
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
        check!(files::dup_sqe(&s) == Err(EINVAL));
    }
}

fn chdir_close_range_sqe() {
    let mut s = sqe();
    s.fd = -100;
    s.addr = 0x1000;
    check!(matches!(files::chdir_sqe(&s), Ok(a) if a.dfd == -100 && a.path == 0x1000));
    s.len = 1;
    check!(files::chdir_sqe(&s) == Err(EINVAL));
    s.len = 0;
    s.op_flags = 1;
    check!(files::chdir_sqe(&s) == Err(EINVAL));

    let mut s = sqe();
    s.fd = 3;
    s.len = u32::MAX;
    check!(matches!(files::close_range_sqe(&s), Ok(a) if a.first == 3 && a.last == u32::MAX));
    s.op_flags = uapi::CLOSE_RANGE_CLOEXEC;
    check!(files::close_range_sqe(&s).is_ok());
    // The child's table is its own: nothing to unshare.
    s.op_flags = uapi::CLOSE_RANGE_UNSHARE;
    check!(files::close_range_sqe(&s) == Err(EINVAL));
    let mut s = sqe();
    s.fd = 5;
    s.len = 4;
    check!(files::close_range_sqe(&s) == Err(EINVAL));
    s.len = 5;
    s.addr = 1;
    check!(files::close_range_sqe(&s) == Err(EINVAL));
}

fn spawn_attr() {
    let pg = uapi::IORING_SPAWN_SETPGROUP;
    let mask = uapi::IORING_SPAWN_SETSIGMASK;
    let def = uapi::IORING_SPAWN_SETSIGDEF;
    let parse = |a: SpawnAttrArgs| attr::parse_spawn_attr(&a);

    check!(parse(SpawnAttrArgs::default()) == Ok(SpawnAttr::default()));
    let a = parse(SpawnAttrArgs {
        flags: pg | mask | def,
        pgid: 77,
        sigmask: [6, 0],
        sigdefault: [1, 0],
        ..Default::default()
    });
    check!(
        a == Ok(SpawnAttr {
            flags: pg | mask | def,
            pgid: 77,
            sigmask: SigSet(6),
            sigdefault: SigSet(1)
        })
    );
    check!(parse(SpawnAttrArgs {
        flags: attr::SPAWN_ATTR_FLAGS,
        ..Default::default()
    })
    .is_ok());

    let einval: [fn(&mut SpawnAttrArgs); 10] = [
        |a| a.flags = 1 << 5, // unknown flag
        |a| a.pgid = 5,       // pgid without SETPGROUP
        |a| {
            a.flags = uapi::IORING_SPAWN_SETPGROUP;
            a.pgid = -1;
        },
        |a| a.sigmask[0] = 1,    // sigmask without its flag
        |a| a.sigdefault[0] = 1, // sigdefault without its flag
        |a| {
            // signal 65 in the mask
            a.flags = uapi::IORING_SPAWN_SETSIGMASK;
            a.sigmask[1] = 1;
        },
        |a| {
            // signal 65 in sigdefault
            a.flags = uapi::IORING_SPAWN_SETSIGDEF;
            a.sigdefault[1] = 1;
        },
        |a| a.resv[0] = 1,
        |a| a.resv[1] = 1,
        |a| a.resv[2] = 1 << 63,
    ];
    for set in einval {
        let mut a = SpawnAttrArgs::default();
        set(&mut a);
        check!(parse(a) == Err(EINVAL));
    }
}

fn run_passes_prev_fd() {
    // OPENAT gives 5: the DUP after it is told 5. A NOP gives no fd, nor
    // does a failed (hard-linked) OPENAT: the DUP after them is told -EBADF.
    let log = Log::new();
    let steps = [
        Step(OPENAT, LINK, 5),
        Step(OP_DUP, LINK, 1),
        Step(OP_DUP, LINK, 2),
        Step(NOP, LINK, 0),
        Step(OP_DUP, LINK, n(EBADF)),
        Step(OPENAT, HARD, n(ENOENT)),
        Step(OP_DUP, 0, n(EBADF)),
    ];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[
        Ev::Ran(0),
        Ev::PrevFd(1, 5),
        Ev::Ran(1),
        Ev::PrevFd(2, 1),
        Ev::Ran(2),
        Ev::Ran(3),
        Ev::PrevFd(4, n(EBADF)),
        Ev::Ran(4),
        Ev::Cancelled(5, n(ECANCELED)),
        Ev::Cancelled(6, n(ECANCELED)),
    ]));

    let log = Log::new();
    let steps = [Step(OPENAT, HARD, n(ENOENT)), Step(OP_DUP, 0, n(EBADF))];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[Ev::Ran(0), Ev::PrevFd(1, n(EBADF)), Ev::Ran(1)]));
}

fn vet_marks_chain_only() {
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
    fn sigdefault(&self, set: SigSet) {
        let _ = self.did(b'd', set.0);
    }
    fn sigmask(&self, set: SigSet) {
        let _ = self.did(b'm', set.0);
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

fn attr_apply() {
    let all = SpawnAttr {
        flags: attr::SPAWN_ATTR_FLAGS,
        pgid: 9,
        sigmask: SigSet(4),
        sigdefault: SigSet(2),
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
    check!(chain(&steps, &log).abort(EPERM) == Outcome::Failed);
    check!(log.is(&[Ev::Cancelled(0, n(EPERM)), Ev::Cancelled(1, n(ECANCELED))]));
}

fn seccomp_verdict() {
    use seccomp::{
        RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS, RET_KILL_THREAD, RET_LOG, RET_TRACE, RET_TRAP,
        RET_USER_NOTIF,
    };
    check!(verdict_of(RET_ALLOW) == Verdict::Allow);
    check!(verdict_of(RET_LOG) == Verdict::Allow);
    check!(verdict_of(RET_ERRNO | 13) == Verdict::Fail(EACCES));
    // Capped at MAX_ERRNO; 0 would be a success without an exec.
    check!(verdict_of(RET_ERRNO | 0xffff) == Verdict::Fail(Error::from_errno(-4095)));
    check!(verdict_of(RET_ERRNO) == Verdict::Fail(EPERM));
    check!(verdict_of(RET_TRACE | 5) == Verdict::Fail(EPERM));
    check!(verdict_of(RET_USER_NOTIF) == Verdict::Fail(EPERM));
    check!(verdict_of(RET_TRAP) == Verdict::Fail(EPERM));
    check!(verdict_of(RET_KILL_THREAD) == Verdict::Kill);
    check!(verdict_of(RET_KILL_PROCESS) == Verdict::Kill);
    check!(verdict_of(0x1234_0000) == Verdict::Kill);
    check!(stricter(Verdict::Allow, Verdict::Fail(EACCES)) == Verdict::Fail(EACCES));
    check!(stricter(Verdict::Fail(EACCES), Verdict::Kill) == Verdict::Kill);
    check!(stricter(Verdict::Allow, Verdict::Allow) == Verdict::Allow);
    check!(laxer(Verdict::Kill, Verdict::Allow) == Verdict::Allow);
    check!(laxer(Verdict::Kill, Verdict::Fail(EACCES)) == Verdict::Fail(EACCES));
    check!(laxer(Verdict::Kill, Verdict::Kill) == Verdict::Kill);
}

fn run_seccomp() {
    // A refused EXEC is a failed step: not run, its errno, the hard link
    // goes on to the next candidate.
    let log = Log::new();
    let steps = [Step(OP_EXEC, HARD | SECCOMP_EACCES, 0), Step(OP_EXEC, 0, 0)];
    check!(chain(&steps, &log).run(&never) == Outcome::Execd);
    check!(log.is(&[Ev::Cancelled(0, n(EACCES)), Ev::Ran(1)]));

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
        Ev::Cancelled(1, n(EPERM)),
        Ev::Cancelled(2, n(ECANCELED))
    ]));
}

fn clone_flags() {
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

fn run_slot_is_no_fd() {
    // An OPENAT into a fixed file slot returns 0 (or the slot): no fd of
    // the child, so a DUP from it is told -EBADF.
    let log = Log::new();
    let steps = [Step(OPENAT, LINK | TO_SLOT, 0), Step(OP_DUP, 0, n(EBADF))];
    check!(chain(&steps, &log).run(&never) == Outcome::Failed);
    check!(log.is(&[Ev::Ran(0), Ev::PrevFd(1, n(EBADF)), Ev::Ran(1)]));
}

fn run_parks_between_steps() {
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

kunit_cases! {
    io_spawn_kunit_cases:
    vet_accepts_allowed,
    vet_refuses_opcode,
    vet_refuses_flags,
    refusal_table,
    run_exec_cancels_rest,
    run_soft_failure_stops,
    run_skip_success_failure,
    run_hardlink_path_search,
    run_without_exec_fails,
    run_stops_on_fatal_signal,
    start_alloc_failure,
    start_create_failure,
    start_success,
    clone_sqe,
    exec_sqe,
    clone_args,
    dup_sqe,
    chdir_close_range_sqe,
    spawn_attr,
    run_passes_prev_fd,
    vet_marks_chain_only,
    attr_apply,
    seccomp_verdict,
    run_seccomp,
    clone_flags,
    run_slot_is_no_fd,
    run_parks_between_steps,
}
