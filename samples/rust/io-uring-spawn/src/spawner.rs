// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The ring, the chains of SQEs built from [`Command`]s, their submission
//! and what their completions mean.

use crate::child::Child;
use crate::command::{Command, Slot};
use crate::raw::{
    CStrArray, CloneArgs, RawSqe, SpawnAttr, CLONE_PIDFD, IORING_DUP_FROM_PREV, IORING_DUP_MOVE,
    IORING_FEAT_SPAWN, IORING_OP_CHDIR, IORING_OP_CLONE, IORING_OP_DUP, IORING_OP_EXEC,
    IORING_SPAWN_SETPGROUP, IORING_SPAWN_SETSIGDEF, IORING_SPAWN_SETSIGMASK, IOSQE_IO_HARDLINK,
    IOSQE_IO_LINK,
};
use crate::sys::{cvt, cvt_r};
use io_uring::{squeue, IoUring, Parameters, Probe};
use std::cell::{RefCell, UnsafeCell};
use std::collections::HashMap;
use std::ffi::{CStr, CString, OsStr};
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

/// SQ entries of a new ring.
const DEFAULT_ENTRIES: u32 = 64;
/// The kernel's `IORING_MAX_ENTRIES`.
const MAX_ENTRIES: u32 = 32768;
/// What `execvp()` searches when there is no `PATH` at all.
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";
/// `user_data` is `token << INDEX_BITS | index in the chain`.
const INDEX_BITS: u32 = 16;
const TOKEN_MASK: u64 = (1 << (64 - INDEX_BITS)) - 1;

/// An io_uring instance that spawns processes.
///
/// Each [`Spawner`] owns one ring (`IORING_SETUP_COOP_TASKRUN` and
/// `IORING_SETUP_SUBMIT_ALL` when the kernel has them). [`Command::spawn`],
/// [`Command::output`], [`Command::status`] and [`spawn_batch`](crate::spawn_batch)
/// use a default one per thread, created on first use and kept until the
/// thread exits (one file descriptor, close-on-exec); a `Spawner` of your
/// own gives you control over the ring's lifetime and size.
///
/// Every call waits for all the completions of the chains it submitted
/// before it returns, so no request is in flight between calls and the
/// buffers the kernel reads (paths, `argv`, `envp`, `clone_args`, the spawn
/// attributes) live exactly as long as they are needed. The ring grows (up
/// to 32768 entries) when a batch needs more submission slots than it has.
///
/// # Errors
///
/// Creating a `Spawner` fails with [`io::ErrorKind::Unsupported`] when the
/// running kernel lacks io_uring_spawn (see [`Spawner::new`]). This crate
/// never falls back to `fork`/`posix_spawn`: use [`std::process::Command`]
/// for that.
///
/// # Examples
///
/// ```
/// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
/// use io_uring_spawn::{Command, Spawner};
///
/// let mut spawner = Spawner::new()?;
/// let mut child = spawner.spawn(&mut Command::new("/bin/true"))?;
/// assert!(child.wait()?.success());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Spawner {
    ring: IoUring,
    next_token: u64,
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spawner")
            .field("ring_fd", &self.ring.as_raw_fd())
            .field("sq_entries", &self.ring.params().sq_entries())
            .finish()
    }
}

impl Spawner {
    /// Sets up a ring with 64 submission entries and checks that the
    /// kernel can spawn through it.
    ///
    /// The check: `IORING_FEAT_SPAWN` (bit 31) set in
    /// `io_uring_params.features` (the opcode numbers alone prove nothing:
    /// later mainline kernels use 58 to 62 for other requests), and
    /// `IORING_REGISTER_PROBE` reporting the opcodes this crate uses:
    /// `IORING_OP_CLONE`, `EXEC`, `DUP` and `CHDIR`.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::Unsupported`], with a message that says which part
    /// of the check failed, when the kernel cannot spawn through io_uring;
    /// the error of `io_uring_setup(2)` when no ring can be created.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Spawner;
    ///
    /// match Spawner::new() {
    ///     Ok(spawner) => drop(spawner),
    ///     Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
    ///         eprintln!("no io_uring_spawn here: {e}");
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Spawner> {
        Spawner::with_entries(DEFAULT_ENTRIES)
    }

    /// As [`Spawner::new`], with a ring of `entries` submission entries
    /// (rounded up to a power of two by the kernel, at most 32768).
    ///
    /// A chain takes one entry for the `CLONE`, two for each stdio stream
    /// redirected to `/dev/null`, one for each other redirected stream, one
    /// for a working directory and one `EXEC` per candidate path (one per
    /// `$PATH` directory for a bare program name). The ring is made larger
    /// when a batch does not fit, so this is only the starting size.
    ///
    /// # Errors
    ///
    /// As [`Spawner::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Spawner};
    ///
    /// let mut spawner = Spawner::with_entries(1024)?;
    /// let mut commands: Vec<Command> = (0..100).map(|_| Command::new("/bin/true")).collect();
    /// for child in spawner.spawn_batch(&mut commands) {
    ///     assert!(child?.wait()?.success());
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_entries(entries: u32) -> io::Result<Spawner> {
        let ring = build_ring(entries.clamp(1, MAX_ENTRIES))?;
        check_support(&ring)?;
        Ok(Spawner {
            ring,
            next_token: 1,
        })
    }

    /// Spawns `command` through this spawner's ring: one submission, one
    /// chain, and the same result as [`Command::spawn`].
    ///
    /// # Errors
    ///
    /// As [`Command::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Spawner, Stdio};
    /// use std::io::Read;
    ///
    /// let mut spawner = Spawner::new()?;
    /// let mut command = Command::new("/bin/echo");
    /// command.arg("hi").stdout(Stdio::piped());
    /// let mut child = spawner.spawn(&mut command)?;
    /// let mut text = String::new();
    /// child.stdout.take().unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "hi\n");
    /// assert!(child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn(&mut self, command: &mut Command) -> io::Result<Child> {
        self.spawn_one(command, Slot::INHERIT_ALL)
    }

    /// Spawns every command of `commands` in one submission (one
    /// `io_uring_enter(2)` when the ring has room for all the chains and no
    /// signal interrupts it) and returns one result per command, in order.
    ///
    /// A command that cannot be turned into a chain (say, an argument with
    /// a NUL byte, or no file descriptors left for its pipes) gets its error
    /// without being submitted; a chain that fails in the kernel gets its
    /// errno as [`Command::spawn`] would. Neither affects the others.
    ///
    /// Batches larger than a ring can ever hold (32768 entries) are split
    /// into several submissions of whole chains.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Spawner};
    ///
    /// let mut spawner = Spawner::new()?;
    /// let mut commands = vec![Command::new("/bin/true"), Command::new("/nonexistent")];
    /// let mut results = spawner.spawn_batch(&mut commands).into_iter();
    /// assert!(results.next().unwrap()?.wait()?.success());
    /// let err = results.next().unwrap().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn_batch(&mut self, commands: &mut [Command]) -> Vec<io::Result<Child>> {
        self.spawn_many(commands, Slot::INHERIT_ALL)
    }

    pub(crate) fn spawn_one(
        &mut self,
        command: &mut Command,
        defaults: [Slot; 3],
    ) -> io::Result<Child> {
        self.spawn_many(std::slice::from_mut(command), defaults)
            .pop()
            .expect("one result per command")
    }

    fn spawn_many(&mut self, commands: &[Command], defaults: [Slot; 3]) -> Vec<io::Result<Child>> {
        let mut out: Vec<Option<io::Result<Child>>> = commands.iter().map(|_| None).collect();
        let mut chains = Vec::new();
        let mut owners = Vec::new();
        for (i, command) in commands.iter().enumerate() {
            match Chain::new(command, defaults) {
                Ok(chain) => {
                    chains.push(chain);
                    owners.push(i);
                }
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        let failure = self.run(&mut chains).err();
        for (chain, i) in chains.into_iter().zip(owners) {
            out[i] = Some(match &failure {
                Some(e) if !chain.too_long && !chain.submitted => Err(copy_error(e)),
                Some(e) if !chain.is_complete() => {
                    // The ring failed under us (an io_uring_enter error other
                    // than EINTR/EBUSY/EAGAIN) before every completion of
                    // this chain arrived: the kernel may still read its
                    // buffers, so they are leaked rather than freed.
                    std::mem::forget(chain);
                    Err(copy_error(e))
                }
                _ => chain.finish(),
            });
        }
        out.into_iter()
            .map(|r| r.expect("every command has a result"))
            .collect()
    }

    /// Submits `chains` and waits for all of their completions.
    fn run(&mut self, chains: &mut [Chain]) -> io::Result<()> {
        let needed: usize = chains.iter().map(|c| c.sqes.len()).sum();
        self.reserve(needed);
        let capacity = self.ring.params().sq_entries() as usize;
        let mut start = 0;
        while start < chains.len() {
            let mut end = start;
            let mut entries = 0;
            while end < chains.len() && entries + chains[end].sqes.len() <= capacity {
                entries += chains[end].sqes.len();
                end += 1;
            }
            if end == start {
                // Longer than the ring (`Chain::new` keeps chains within
                // MAX_ENTRIES, but the ring may not have grown that far).
                chains[start].too_long = true;
                start += 1;
                continue;
            }
            self.submit(&mut chains[start..end])?;
            start = end;
        }
        Ok(())
    }

    /// Grows the ring to hold `entries` SQEs if it can; keeps the old one
    /// when a larger one cannot be set up (the batch is then split).
    fn reserve(&mut self, entries: usize) {
        let current = self.ring.params().sq_entries();
        if entries <= current as usize || current >= MAX_ENTRIES {
            return;
        }
        let wanted = u32::try_from(entries)
            .unwrap_or(MAX_ENTRIES)
            .min(MAX_ENTRIES)
            .next_power_of_two();
        // No request is in flight here: every call waits for all of its
        // completions before it returns.
        if let Ok(ring) = build_ring(wanted) {
            self.ring = ring;
        }
    }

    fn submit(&mut self, chains: &mut [Chain]) -> io::Result<()> {
        let mut by_token = HashMap::with_capacity(chains.len());
        let mut entries: Vec<squeue::Entry> = Vec::new();
        for (i, chain) in chains.iter().enumerate() {
            let token = self.next_token;
            self.next_token = (token + 1) & TOKEN_MASK;
            if self.next_token == 0 {
                self.next_token = 1;
            }
            by_token.insert(token, i);
            entries.extend(chain.sqes.iter().enumerate().map(|(index, sqe)| {
                RawSqe {
                    user_data: token << INDEX_BITS | index as u64,
                    ..*sqe
                }
                .into_entry()
            }));
        }
        // SAFETY: every pointer in these SQEs points into a `Chain` of
        // `chains` (boxed or heap-allocated, so moving the `Chain` does not
        // move it) or at a static string, and the chains live until all of
        // their completions have been reaped below; on an error the caller
        // leaks the chains that are not complete.
        unsafe { self.ring.submission().push_multiple(&entries) }
            .map_err(|_| io::Error::from_raw_os_error(libc::EBUSY))?;
        for chain in chains.iter_mut() {
            chain.submitted = true;
        }

        let mut remaining = entries.len();
        let cq_capacity = self.ring.completion().capacity();
        loop {
            for cqe in self.ring.completion() {
                let token = cqe.user_data() >> INDEX_BITS;
                let index = (cqe.user_data() & ((1 << INDEX_BITS) - 1)) as usize;
                let Some(&chain) = by_token.get(&token) else {
                    continue;
                };
                if let Some(slot @ None) = chains[chain].results.get_mut(index) {
                    *slot = Some(cqe.result());
                    remaining -= 1;
                }
            }
            if remaining == 0 {
                return Ok(());
            }
            match self.ring.submit_and_wait(remaining.min(cq_capacity)) {
                Ok(_) => {}
                Err(e) => match e.raw_os_error() {
                    Some(libc::EINTR) => {}
                    // A CQ backlog (reaped at the top of the loop) or a
                    // transient allocation failure: try again.
                    Some(libc::EBUSY | libc::EAGAIN) => std::thread::yield_now(),
                    _ => return Err(e),
                },
            }
        }
    }
}

/// Sets up a ring, with `COOP_TASKRUN` and `SUBMIT_ALL` when the kernel has
/// them.
fn build_ring(entries: u32) -> io::Result<IoUring> {
    let mut last = None;
    for (coop_taskrun, submit_all) in [(true, true), (false, true), (false, false)] {
        let mut builder = IoUring::builder();
        if coop_taskrun {
            builder.setup_coop_taskrun();
        }
        if submit_all {
            builder.setup_submit_all();
        }
        match builder.build(entries) {
            Ok(ring) => return Ok(ring),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => last = Some(e),
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "io_uring_spawn is not available: this kernel has no io_uring (ENOSYS)",
                ))
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("at least one attempt"))
}

/// The first fields of `struct io_uring_params`.
#[repr(C)]
struct ParamsHead {
    sq_entries: u32,
    cq_entries: u32,
    flags: u32,
    sq_thread_cpu: u32,
    sq_thread_idle: u32,
    features: u32,
}

/// `io_uring_params.features`, which the `io-uring` crate only exposes bit
/// by bit for the bits it knows.
fn features(params: &Parameters) -> u32 {
    let head = params as *const Parameters as *const ParamsHead;
    // SAFETY: `Parameters` is `#[repr(transparent)]` over the crate's
    // `io_uring_params`, the UAPI struct, whose first six members are the
    // `u32`s of `ParamsHead` (and which is larger than `ParamsHead`).
    unsafe { (*head).features }
}

fn check_support(ring: &IoUring) -> io::Result<()> {
    let unsupported = |why: String| {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("io_uring_spawn is not available: {why}"),
        ))
    };
    if features(ring.params()) & IORING_FEAT_SPAWN == 0 {
        return unsupported(
            "the kernel does not set IORING_FEAT_SPAWN in io_uring_params.features".into(),
        );
    }
    let mut probe = Probe::new();
    ring.submitter().register_probe(&mut probe)?;
    let missing: Vec<&str> = [
        (IORING_OP_CLONE, "IORING_OP_CLONE"),
        (IORING_OP_EXEC, "IORING_OP_EXEC"),
        (IORING_OP_DUP, "IORING_OP_DUP"),
        (IORING_OP_CHDIR, "IORING_OP_CHDIR"),
    ]
    .into_iter()
    .filter(|&(op, _)| !probe.is_supported(op))
    .map(|(_, name)| name)
    .collect();
    if !missing.is_empty() {
        return unsupported(format!(
            "the kernel sets IORING_FEAT_SPAWN but its probe lacks {}",
            missing.join(", ")
        ));
    }
    Ok(())
}

fn copy_error(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(errno) => io::Error::from_raw_os_error(errno),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

thread_local! {
    static DEFAULT: RefCell<Option<Spawner>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's default spawner, creating it on first use.
pub(crate) fn with_default<R>(f: impl FnOnce(&mut Spawner) -> R) -> io::Result<R> {
    DEFAULT.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            // Not reachable through this crate's API (nothing calls back
            // into user code while the default spawner is borrowed), but a
            // private ring is the right answer if it ever is.
            return Ok(f(&mut Spawner::new()?));
        };
        if slot.is_none() {
            *slot = Some(Spawner::new()?);
        }
        Ok(f(slot.as_mut().expect("just set")))
    })
}

/// Spawns every command of `commands` in one submission on this thread's
/// default [`Spawner`]; see [`Spawner::spawn_batch`].
///
/// When the default spawner cannot be created (the kernel lacks
/// io_uring_spawn), every command gets that error.
///
/// # Examples
///
/// ```
/// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
/// use io_uring_spawn::{spawn_batch, Command};
///
/// let mut commands: Vec<Command> = (0..3)
///     .map(|i| {
///         let mut c = Command::new("sh");
///         c.arg("-c").arg(format!("exit {i}"));
///         c
///     })
///     .collect();
/// let codes: Vec<Option<i32>> = spawn_batch(&mut commands)
///     .into_iter()
///     .map(|child| child.and_then(|mut c| c.wait()).map(|s| s.code()))
///     .collect::<std::io::Result<_>>()?;
/// assert_eq!(codes, [Some(0), Some(1), Some(2)]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn spawn_batch(commands: &mut [Command]) -> Vec<io::Result<Child>> {
    match with_default(|spawner| spawner.spawn_batch(commands)) {
        Ok(results) => results,
        Err(e) => commands.iter().map(|_| Err(copy_error(&e))).collect(),
    }
}

/// Whether this thread's default [`Spawner`] can be created, that is,
/// whether the running kernel has io_uring_spawn (see [`Spawner::new`] for
/// what is checked, and for the reason when it is not).
///
/// # Examples
///
/// ```
/// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
/// if io_uring_spawn::is_supported() {
///     let status = io_uring_spawn::Command::new("/bin/true").status()?;
///     assert!(status.success());
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn is_supported() -> bool {
    with_default(|_| ()).is_ok()
}

/// Only for this crate's doc examples: true (after printing `SKIP`) when
/// the kernel lacks io_uring_spawn and `IO_URING_SPAWN_ALLOW_MISSING=1`, so
/// that the examples can run on any host; false otherwise, so that on a
/// kernel with the feature, or without the variable, they run for real.
#[doc(hidden)]
pub fn __doctest_skip() -> bool {
    match with_default(|_| ()) {
        Ok(()) => false,
        Err(e) => {
            let allowed = e.kind() == io::ErrorKind::Unsupported
                && std::env::var_os("IO_URING_SPAWN_ALLOW_MISSING").is_some_and(|v| v == "1");
            if allowed {
                println!("SKIP: {e}");
            }
            allowed
        }
    }
}

/// One command as a chain of SQEs (without their `user_data`), with every
/// buffer they point at.
pub(crate) struct Chain {
    sqes: Vec<RawSqe>,
    /// Index of the first EXEC.
    exec_start: usize,
    /// Whether the EXECs are a `$PATH` search.
    searched: bool,
    /// One per SQE, filled from the completions.
    results: Vec<Option<i32>>,
    /// Set when the chain could never fit the ring.
    too_long: bool,
    /// Set once its SQEs are in the ring.
    submitted: bool,
    /// Written by the kernel through `clone_args.pidfd` when the CLONE is
    /// issued.
    pidfd: Box<UnsafeCell<libc::c_int>>,
    pidfd_requested: bool,
    /// The parent's ends of the pipes, for `Child`.
    parent_ends: [Option<OwnedFd>; 3],
    /// What the kernel reads, and the fds the child dups from; never used
    /// by this side once the SQEs are built, dropped after the completions.
    _keep: Keep,
}

struct Keep {
    _paths: Vec<CString>,
    _argv: CStrArray,
    _envp: CStrArray,
    _cwd: Option<CString>,
    _clone_args: Option<Box<CloneArgs>>,
    _attr: Box<SpawnAttr>,
    _child_ends: Vec<OwnedFd>,
}

fn nul_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "nul byte found in provided data",
    )
}

fn cstring(bytes: impl Into<Vec<u8>>) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| nul_error())
}

/// `pipe2(O_CLOEXEC)`: (read end, write end).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // SAFETY: valid out array of two ints.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 just returned these two fds, owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A close-on-exec duplicate of `fd` numbered 3 or above.
fn dup_above_stdio(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC has no memory effects.
    let new = cvt_r(|| unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) })?;
    // SAFETY: fcntl just returned this fd.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// The paths the EXECs try, and whether that is a `$PATH` search: a
/// program with a `/` (or an empty one) is used as it is; a bare name is
/// looked up in `child_path` (the `PATH` of the child's environment), else
/// in `/bin:/usr/bin`, as std does. An empty `PATH` entry means the child's
/// working directory, as for `execvp()`.
fn candidates(program: &CStr, child_path: Option<&OsStr>) -> io::Result<(Vec<CString>, bool)> {
    let name = program.to_bytes();
    if name.is_empty() || name.contains(&b'/') {
        return Ok((vec![program.to_owned()], false));
    }
    let path = child_path.map_or(DEFAULT_PATH, OsStr::as_bytes);
    let paths = path
        .split(|&b| b == b':')
        .map(|dir| {
            let mut full = dir.to_vec();
            if !dir.is_empty() && !dir.ends_with(b"/") {
                full.push(b'/');
            }
            full.extend_from_slice(name);
            cstring(full)
        })
        .collect::<io::Result<Vec<_>>>()?;
    Ok((paths, true))
}

impl Chain {
    fn new(command: &Command, defaults: [Slot; 3]) -> io::Result<Chain> {
        let program = cstring(command.program.as_bytes())?;
        let argv = std::iter::once(Ok(program.clone()))
            .chain(command.args.iter().map(|a| cstring(a.as_bytes())))
            .collect::<io::Result<Vec<_>>>()?;
        let env = command.child_env();
        let envp = env
            .iter()
            .map(|(k, v)| {
                let mut kv = Vec::with_capacity(k.len() + v.len() + 1);
                kv.extend_from_slice(k.as_bytes());
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                cstring(kv)
            })
            .collect::<io::Result<Vec<_>>>()?;
        let (paths, searched) =
            candidates(&program, env.get(OsStr::new("PATH")).map(|p| p.as_os_str()))?;
        let argv = CStrArray::new(argv);
        let envp = CStrArray::new(envp);
        let cwd = command
            .cwd
            .as_ref()
            .map(|d| cstring(d.as_os_str().as_bytes()))
            .transpose()?;

        // Like std: the child starts with an empty signal mask and SIGPIPE
        // back to SIG_DFL (the Rust runtime ignores it in the parent, and
        // CLONE_CLEAR_SIGHAND keeps ignored signals ignored).
        let mut attr = Box::new(SpawnAttr {
            flags: IORING_SPAWN_SETSIGMASK | IORING_SPAWN_SETSIGDEF,
            ..Default::default()
        });
        SpawnAttr::add(&mut attr.sigdefault, libc::SIGPIPE);
        if let Some(pgid) = command.pgroup {
            attr.flags |= IORING_SPAWN_SETPGROUP;
            attr.pgid = pgid;
        }
        let pidfd = Box::new(UnsafeCell::new(-1));
        let clone_args = command.pidfd.then(|| {
            Box::new(CloneArgs {
                flags: CLONE_PIDFD,
                pidfd: pidfd.get() as u64,
                exit_signal: libc::SIGCHLD as u64,
                ..Default::default()
            })
        });

        let mut sqes = vec![RawSqe {
            flags: IOSQE_IO_LINK,
            ..RawSqe::clone(clone_args.as_deref(), Some(&attr))
        }];
        let link = |sqe: RawSqe| RawSqe {
            flags: IOSQE_IO_LINK,
            ..sqe
        };
        let mut child_ends = Vec::new();
        let mut parent_ends: [Option<OwnedFd>; 3] = [None, None, None];
        let slots = [
            command.stdin.as_ref().map_or(defaults[0], |s| s.slot()),
            command.stdout.as_ref().map_or(defaults[1], |s| s.slot()),
            command.stderr.as_ref().map_or(defaults[2], |s| s.slot()),
        ];
        for (target, slot) in (0..).zip(slots) {
            let source = match slot {
                Slot::Inherit => continue,
                Slot::Null => {
                    // Opened without O_CLOEXEC: if it lands on `target`
                    // already, the move changes nothing and it must stay
                    // open across the exec.
                    let flags = if target == 0 {
                        libc::O_RDONLY
                    } else {
                        libc::O_WRONLY
                    };
                    sqes.push(link(RawSqe::openat(libc::AT_FDCWD, c"/dev/null", flags, 0)));
                    sqes.push(link(RawSqe::dup(
                        0,
                        target,
                        IORING_DUP_FROM_PREV | IORING_DUP_MOVE,
                    )));
                    continue;
                }
                Slot::Piped => {
                    let (read, write) = pipe()?;
                    let (child, parent) = if target == 0 {
                        (read, write)
                    } else {
                        (write, read)
                    };
                    parent_ends[target as usize] = Some(parent);
                    let fd = child.as_raw_fd();
                    child_ends.push(child);
                    fd
                }
                Slot::Fd(fd) => fd,
            };
            // A source among 0..=2 other than its own target could be
            // overwritten by an earlier DUP of this chain: use a copy above
            // them. (A DUP onto itself just clears FD_CLOEXEC.)
            let source = if source < 3 && source != target {
                let copy = dup_above_stdio(source)?;
                let fd = copy.as_raw_fd();
                child_ends.push(copy);
                fd
            } else {
                source
            };
            // Without IORING_DUP_CLOEXEC: the target stays open across the
            // exec, while the source (ours, close-on-exec) does not.
            sqes.push(link(RawSqe::dup(source, target, 0)));
        }
        if let Some(cwd) = &cwd {
            sqes.push(link(RawSqe::chdir(libc::AT_FDCWD, cwd)));
        }
        let exec_start = sqes.len();
        for (i, path) in paths.iter().enumerate() {
            let last = i + 1 == paths.len();
            sqes.push(RawSqe {
                // Hard links: a failed candidate goes on to the next one.
                flags: if last { 0 } else { IOSQE_IO_HARDLINK },
                ..RawSqe::exec(libc::AT_FDCWD, path, &argv, &envp)
            });
        }
        if sqes.len() > MAX_ENTRIES as usize || sqes.len() > 1 << INDEX_BITS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "too many $PATH entries for one io_uring_spawn chain",
            ));
        }
        Ok(Chain {
            results: vec![None; sqes.len()],
            sqes,
            exec_start,
            searched,
            too_long: false,
            submitted: false,
            pidfd,
            pidfd_requested: command.pidfd,
            parent_ends,
            _keep: Keep {
                _paths: paths,
                _argv: argv,
                _envp: envp,
                _cwd: cwd,
                _clone_args: clone_args,
                _attr: attr,
                _child_ends: child_ends,
            },
        })
    }

    fn is_complete(&self) -> bool {
        self.too_long || self.results.iter().all(Option::is_some)
    }

    /// What the completions say: a running child, or the errno (after
    /// reaping the child that exited 127).
    fn finish(mut self) -> io::Result<Child> {
        if self.too_long {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "io_uring_spawn chain longer than the ring",
            ));
        }
        let results: Vec<i32> = self
            .results
            .iter()
            .map(|r| r.expect("complete chain"))
            .collect();
        let pid = results[0];
        if pid < 0 {
            return Err(io::Error::from_raw_os_error(-pid));
        }
        let pidfd = if self.pidfd_requested {
            // SAFETY: the kernel wrote the pidfd (or left -1) when it issued
            // the CLONE, before its completion, which has been reaped.
            let fd = unsafe { *self.pidfd.get() };
            // SAFETY: a fresh pidfd installed for us by the CLONE.
            (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
        } else {
            None
        };
        if results[self.exec_start..].contains(&0) {
            let [stdin, stdout, stderr] = std::mem::take(&mut self.parent_ends);
            return Ok(Child::new(pid, pidfd, stdin, stdout, stderr));
        }
        // No EXEC succeeded: the child exits 127 without running any user
        // code (all the completions are posted before it exits). Reap it
        // so that no zombie is left behind.
        reap(pid);
        drop(pidfd);
        Err(io::Error::from_raw_os_error(chain_errno(
            &results,
            self.exec_start,
            self.searched,
        )))
    }
}

/// Waits for `pid`, a child that is about to exit.
fn reap(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: valid out pointer. ECHILD (SIGCHLD ignored: the kernel reaped
    // it) is fine.
    let _ = cvt_r(|| unsafe { libc::waitpid(pid, &mut status, 0) });
}

/// The errno a failed chain reports: the first failed set-up step (not
/// `-ECANCELED`), else, for the EXECs, the error `execvp()` would give:
/// `EACCES` if any candidate gave it, else the first error other than "not
/// found here" (`ENOENT`, `ENOTDIR`, `ESTALE`, `ENODEV`, `ETIMEDOUT`), else
/// `ENOENT`. A single EXEC (a path with a `/`) reports its own error.
fn chain_errno(results: &[i32], exec_start: usize, searched: bool) -> i32 {
    let failed = |r: &&i32| **r < 0 && **r != -libc::ECANCELED;
    if let Some(r) = results[1..exec_start].iter().find(failed) {
        return -r;
    }
    let mut execs = results[exec_start..].iter().filter(failed).map(|r| -r);
    if !searched {
        return execs.next().unwrap_or(libc::ECANCELED);
    }
    let execs: Vec<i32> = execs.collect();
    if execs.is_empty() {
        libc::ECANCELED
    } else if execs.contains(&libc::EACCES) {
        libc::EACCES
    } else {
        execs
            .into_iter()
            .find(|e| {
                ![
                    libc::ENOENT,
                    libc::ENOTDIR,
                    libc::ESTALE,
                    libc::ENODEV,
                    libc::ETIMEDOUT,
                ]
                .contains(e)
            })
            .unwrap_or(libc::ENOENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::{IORING_OP_OPENAT, IOSQE_IO_HARDLINK};
    use crate::Stdio;

    #[test]
    fn errno_rules() {
        let ecanceled = -libc::ECANCELED;
        // A failed set-up step wins.
        assert_eq!(
            chain_errno(&[5, -libc::ENOENT, ecanceled, ecanceled], 2, true),
            libc::ENOENT
        );
        // EACCES anywhere in a search.
        assert_eq!(
            chain_errno(&[5, -libc::ENOENT, -libc::EACCES, -libc::ENOENT], 1, true),
            libc::EACCES
        );
        // Else the first error that is not "not found".
        assert_eq!(
            chain_errno(&[5, -libc::ENOTDIR, -libc::ENOEXEC, -libc::E2BIG], 1, true),
            libc::ENOEXEC
        );
        assert_eq!(
            chain_errno(&[5, -libc::ENOTDIR, -libc::ENOENT], 1, true),
            libc::ENOENT
        );
        // A single path reports its own error.
        assert_eq!(chain_errno(&[5, -libc::ENOTDIR], 1, false), libc::ENOTDIR);
    }

    #[test]
    fn path_candidates() {
        let (p, searched) = candidates(c"ls", Some(OsStr::new("/a:/b/::c"))).unwrap();
        assert!(searched);
        let p: Vec<&[u8]> = p.iter().map(|c| c.to_bytes()).collect();
        assert_eq!(p, [&b"/a/ls"[..], b"/b/ls", b"ls", b"c/ls"]);
        let (p, searched) = candidates(c"./x", Some(OsStr::new("/a"))).unwrap();
        assert!(!searched);
        assert_eq!(p[0].to_bytes(), b"./x");
    }

    fn raw(sqe: &RawSqe) -> (u8, u8, i32, u32, u32) {
        (sqe.opcode, sqe.flags, sqe.fd, sqe.len, sqe.op_flags)
    }

    #[test]
    fn chain_layout() {
        let mut c = Command::new("prog");
        c.env_clear()
            .env("PATH", "/x:/y")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .current_dir("/tmp")
            .process_group(0)
            .pidfd(true);
        let chain = Chain::new(&c, Slot::INHERIT_ALL).unwrap();
        let s = &chain.sqes;
        assert_eq!(s.len(), 1 + 2 + 1 + 1 + 2);
        assert_eq!(s[0].opcode, IORING_OP_CLONE);
        assert_eq!(s[0].flags, IOSQE_IO_LINK);
        assert_eq!(s[0].len, 88);
        // SAFETY: the chain keeps both structs alive.
        let (args, attr) = unsafe {
            (
                &*(s[0].addr as *const CloneArgs),
                &*(s[0].off as *const SpawnAttr),
            )
        };
        assert_eq!(args.flags, CLONE_PIDFD);
        assert_eq!(args.exit_signal, libc::SIGCHLD as u64);
        assert_eq!(
            attr.flags,
            IORING_SPAWN_SETSIGMASK | IORING_SPAWN_SETSIGDEF | IORING_SPAWN_SETPGROUP
        );
        assert_eq!(attr.sigdefault, [1 << (libc::SIGPIPE - 1), 0]);
        assert_eq!(attr.sigmask, [0, 0]);
        assert_eq!(
            raw(&s[1]),
            (
                IORING_OP_OPENAT,
                IOSQE_IO_LINK,
                libc::AT_FDCWD,
                0,
                libc::O_RDONLY as u32
            )
        );
        assert_eq!(
            raw(&s[2]),
            (
                IORING_OP_DUP,
                IOSQE_IO_LINK,
                0,
                0,
                IORING_DUP_FROM_PREV | IORING_DUP_MOVE
            )
        );
        assert_eq!(s[3].opcode, IORING_OP_DUP);
        assert!(s[3].fd > 2);
        assert_eq!(s[3].len, 1);
        assert_eq!(s[3].op_flags, 0);
        // The parent's end of the pipe is close-on-exec.
        let parent = chain.parent_ends[1].as_ref().unwrap().as_raw_fd();
        // SAFETY: F_GETFD has no memory effects.
        let fl = unsafe { libc::fcntl(parent, libc::F_GETFD) };
        assert_eq!(fl & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
        assert_eq!(raw(&s[4]).0, IORING_OP_CHDIR);
        // SAFETY: the chain keeps the path alive.
        let cwd = unsafe { CStr::from_ptr(s[4].addr as *const libc::c_char) };
        assert_eq!(cwd.to_bytes(), b"/tmp");
        assert_eq!(chain.exec_start, 5);
        assert_eq!(
            (s[5].opcode, s[5].flags),
            (IORING_OP_EXEC, IOSQE_IO_HARDLINK)
        );
        assert_eq!((s[6].opcode, s[6].flags), (IORING_OP_EXEC, 0));
        // SAFETY: the chain keeps the paths alive.
        let p = unsafe { CStr::from_ptr(s[6].addr as *const libc::c_char) };
        assert_eq!(p.to_bytes(), b"/y/prog");
        assert!(chain.searched);
    }

    /// The submission machinery (ring growth, user_data matching, waiting
    /// for every completion) on any kernel: chains of the same shape as
    /// real ones, with NOPs in place of the spawn requests.
    #[test]
    fn batches_of_nop_chains_complete() {
        let mut spawner = Spawner {
            ring: build_ring(4).unwrap(),
            next_token: TOKEN_MASK,
        };
        for round in 0..3 {
            let mut chains: Vec<Chain> = (0..50)
                .map(|_| {
                    let mut c = Command::new("/bin/true");
                    c.stdout(Stdio::piped()).current_dir("/");
                    let mut chain = Chain::new(&c, Slot::INHERIT_ALL).unwrap();
                    for sqe in &mut chain.sqes {
                        *sqe = RawSqe {
                            flags: sqe.flags,
                            ..Default::default()
                        };
                    }
                    chain
                })
                .collect();
            assert_eq!(chains[0].sqes.len(), 4);
            spawner.run(&mut chains).unwrap();
            assert!(spawner.ring.params().sq_entries() >= 200, "round {round}");
            for chain in &chains {
                assert!(chain.submitted && chain.is_complete());
                assert!(chain.results.iter().all(|&r| r == Some(0)));
            }
        }
        // The token wrapped around without reaching 0.
        assert!(spawner.next_token > 0 && spawner.next_token < 200);
    }

    #[test]
    fn nul_bytes_are_invalid_input() {
        let mut c = Command::new("/bin/echo");
        c.arg("a\0b");
        let e = Chain::new(&c, Slot::INHERIT_ALL).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }
}
