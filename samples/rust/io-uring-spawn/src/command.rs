// SPDX-License-Identifier: GPL-2.0 OR MIT
//! [`Command`] and [`Stdio`].

use crate::child::{Child, ChildStderr, ChildStdin, ChildStdout};
use crate::spawner::with_default;
use crate::sys::cvt_r;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output};

/// A process builder in the manner of [`std::process::Command`], spawning
/// through an io_uring_spawn chain.
///
/// [`spawn`](Command::spawn) turns the configuration into one chain of
/// requests: `IORING_OP_CLONE` (with `struct clone_args` for a pidfd and
/// `struct io_uring_spawn_attr` for the process group and the signal
/// state), the redirections of the standard streams (`IORING_OP_OPENAT` of
/// `/dev/null` moved into place with `IORING_OP_DUP`, or a `DUP` of a file
/// descriptor held by the parent), `IORING_OP_CHDIR` for
/// [`current_dir`](Command::current_dir), and one `IORING_OP_EXEC` per
/// candidate path, hard-linked so that a failed candidate goes on to the
/// next one (the `$PATH` search).
///
/// As with std:
///
/// - the environment is the parent's, changed by [`env`](Command::env),
///   [`env_remove`](Command::env_remove) and
///   [`env_clear`](Command::env_clear);
/// - a program name without a `/` is searched for in `$PATH`: the `PATH` of
///   the child's environment if it has one, else `/bin:/usr/bin`. A program
///   with a `/`, relative or not, is used as it is, relative to the child's
///   working directory (after [`current_dir`](Command::current_dir));
/// - the error of a failed search is `EACCES` if a candidate gave it, else
///   the first error other than "not found there", else `ENOENT`. Unlike
///   `execvp()` the search does not stop at such an error: every candidate
///   is tried;
/// - the child starts with an empty signal mask and `SIGPIPE` reset to its
///   default action (the Rust runtime ignores `SIGPIPE`); the other
///   ignored signals stay ignored, and handled ones are reset;
/// - standard streams not configured are inherited by
///   [`spawn`](Command::spawn) and [`status`](Command::status);
///   [`output`](Command::output) reads stdout and stderr and gives stdin
///   `/dev/null`.
///
/// A `Command` can be spawned any number of times; file descriptors given
/// through [`Stdio`] stay with it and are closed when it is dropped.
///
/// # Examples
///
/// ```
/// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
/// use io_uring_spawn::Command;
///
/// let out = Command::new("sh").arg("-c").arg("echo $GREETING").env("GREETING", "hi").output()?;
/// assert_eq!(out.stdout, b"hi\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Command {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    pub(crate) env_clear: bool,
    pub(crate) env: BTreeMap<OsString, Option<OsString>>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) stdin: Option<Stdio>,
    pub(crate) stdout: Option<Stdio>,
    pub(crate) stderr: Option<Stdio>,
    pub(crate) pgroup: Option<libc::pid_t>,
    pub(crate) pidfd: bool,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("env_clear", &self.env_clear)
            .field("env", &self.env)
            .field("cwd", &self.cwd)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("process_group", &self.pgroup)
            .field("pidfd", &self.pidfd)
            .finish()
    }
}

impl Command {
    /// A command that runs `program` with no arguments (`argv[0]` is
    /// `program`), the parent's environment, working directory and standard
    /// streams, in the parent's process group, without a pidfd.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// assert!(Command::new("true").status()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            env_clear: false,
            env: BTreeMap::new(),
            cwd: None,
            stdin: None,
            stdout: None,
            stderr: None,
            pgroup: None,
            pidfd: false,
        }
    }

    /// Adds an argument.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let out = Command::new("/bin/echo").arg("one two").output()?;
    /// assert_eq!(out.stdout, b"one two\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let out = Command::new("/bin/echo").args(["a", "b", "c"]).output()?;
    /// assert_eq!(out.stdout, b"a b c\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable of the child.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let out = Command::new("sh").args(["-c", "echo $X"]).env("X", "42").output()?;
    /// assert_eq!(out.stdout, b"42\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env<K: AsRef<OsStr>, V: AsRef<OsStr>>(&mut self, key: K, val: V) -> &mut Command {
        self.env
            .insert(key.as_ref().to_owned(), Some(val.as_ref().to_owned()));
        self
    }

    /// Sets several environment variables of the child.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let out = Command::new("sh")
    ///     .args(["-c", "echo $A$B"])
    ///     .envs([("A", "x"), ("B", "y")])
    ///     .output()?;
    /// assert_eq!(out.stdout, b"xy\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (k, v) in vars {
            self.env(k, v);
        }
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let out = Command::new("sh")
    ///     .args(["-c", "echo ${X-unset}"])
    ///     .env("X", "1")
    ///     .env_remove("X")
    ///     .output()?;
    /// assert_eq!(out.stdout, b"unset\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.env.insert(key.as_ref().to_owned(), None);
        self
    }

    /// Starts the child's environment empty instead of from the parent's
    /// (and forgets the changes made so far).
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let out = Command::new("/usr/bin/env").env_clear().env("ONLY", "me").output()?;
    /// assert_eq!(out.stdout, b"ONLY=me\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.env_clear = true;
        self.env.clear();
        self
    }

    /// Sets the child's working directory (an `IORING_OP_CHDIR` in the
    /// chain, before the `EXEC`s: a relative program path or `$PATH` entry
    /// is resolved from there).
    ///
    /// # Errors
    ///
    /// Spawning fails with the error of `chdir(2)`, say `ENOENT`.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let out = Command::new("/bin/pwd").current_dir("/").output()?;
    /// assert_eq!(out.stdout, b"/\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    /// Configures the child's standard input.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    /// use std::io::{Read, Write};
    ///
    /// let mut child = Command::new("cat")
    ///     .stdin(Stdio::piped())
    ///     .stdout(Stdio::piped())
    ///     .spawn()?;
    /// child.stdin.take().unwrap().write_all(b"ping")?;
    /// let mut echoed = String::new();
    /// child.stdout.take().unwrap().read_to_string(&mut echoed)?;
    /// assert_eq!(echoed, "ping");
    /// assert!(child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.stdin = Some(cfg.into());
        self
    }

    /// Configures the child's standard output.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    ///
    /// let status = Command::new("/bin/echo").arg("unseen").stdout(Stdio::null()).status()?;
    /// assert!(status.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.stdout = Some(cfg.into());
        self
    }

    /// Configures the child's standard error.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    ///
    /// let out = Command::new("sh")
    ///     .args(["-c", "echo oops >&2"])
    ///     .stderr(Stdio::piped())
    ///     .output()?;
    /// assert_eq!(out.stderr, b"oops\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.stderr = Some(cfg.into());
        self
    }

    /// Puts the child in process group `pgroup`, `0` for a new group led
    /// by the child (`IORING_SPAWN_SETPGROUP`, as
    /// [`std::os::unix::process::CommandExt::process_group`]).
    ///
    /// # Errors
    ///
    /// Spawning fails with the error of `setpgid(2)`, say `EPERM` for a
    /// group in another session.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let mut child = Command::new("sleep").arg("10").process_group(0).spawn()?;
    /// let pid = child.id() as libc::pid_t;
    /// assert_eq!(unsafe { libc::getpgid(pid) }, pid);
    /// child.kill()?;
    /// child.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.pgroup = Some(pgroup);
        self
    }

    /// Asks for a pidfd for the child (`CLONE_PIDFD`, close-on-exec), which
    /// [`Child::pidfd`] returns and [`Child::kill`] uses.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let mut child = Command::new("/bin/true").pidfd(true).spawn()?;
    /// assert!(child.pidfd().is_some());
    /// assert!(child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pidfd(&mut self, pidfd: bool) -> &mut Command {
        self.pidfd = pidfd;
        self
    }

    /// Spawns the command on this thread's default [`Spawner`](crate::Spawner)
    /// and returns the running child. Standard streams not configured are
    /// inherited.
    ///
    /// The chain's completions are all in when this returns. If it failed
    /// (no `EXEC` succeeded), the child, which exited with status 127
    /// without running any of the program's code, has been reaped.
    ///
    /// # Errors
    ///
    /// - [`io::ErrorKind::Unsupported`]: the kernel lacks io_uring_spawn
    ///   (see [`Spawner::new`](crate::Spawner::new)); there is no fallback.
    /// - [`io::ErrorKind::InvalidInput`]: a NUL byte in the program, an
    ///   argument, a variable or the working directory.
    /// - The errno of the failed request, as
    ///   [`io::Error::from_raw_os_error`]: the first completion of the chain
    ///   with an error other than `ECANCELED`, for a `$PATH` search the error
    ///   described on [`Command`]. `ENOENT` is
    ///   [`io::ErrorKind::NotFound`], `EACCES`
    ///   [`io::ErrorKind::PermissionDenied`].
    /// - The errors of `pipe2(2)` and `io_uring_enter(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let mut child = Command::new("/bin/true").spawn()?;
    /// assert!(child.wait()?.success());
    /// let err = Command::new("/nonexistent/program").spawn().unwrap_err();
    /// assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        with_default(|s| s.spawn_one(self, Slot::INHERIT_ALL))?
    }

    /// Runs the command to completion and collects its standard output and
    /// error; unless configured otherwise, stdin is `/dev/null` and stdout
    /// and stderr are pipes.
    ///
    /// # Errors
    ///
    /// As [`Command::spawn`], and the errors of reading the pipes and of
    /// `waitpid(2)`. A program that exits unsuccessfully is not an error:
    /// see [`Output::status`].
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let out = Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]).output()?;
    /// assert_eq!(out.status.code(), Some(3));
    /// assert_eq!(out.stdout, b"out\n");
    /// assert_eq!(out.stderr, b"err\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn output(&mut self) -> io::Result<Output> {
        with_default(|s| s.spawn_one(self, Slot::OUTPUT))??.wait_with_output()
    }

    /// Runs the command to completion and returns its exit status. Standard
    /// streams not configured are inherited.
    ///
    /// # Errors
    ///
    /// As [`Command::spawn`], and the errors of `waitpid(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let status = Command::new("sh").args(["-c", "exit 7"]).status()?;
    /// assert_eq!(status.code(), Some(7));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait()
    }

    /// The child's environment: the parent's (unless cleared) with the
    /// changes applied.
    pub(crate) fn child_env(&self) -> BTreeMap<OsString, OsString> {
        let mut env: BTreeMap<OsString, OsString> = if self.env_clear {
            BTreeMap::new()
        } else {
            std::env::vars_os().collect()
        };
        for (k, v) in &self.env {
            match v {
                Some(v) => env.insert(k.clone(), v.clone()),
                None => env.remove(k),
            };
        }
        env
    }
}

/// How a standard stream of the child is set up; see [`Command::stdin`],
/// [`Command::stdout`], [`Command::stderr`].
///
/// A file descriptor given to a `Stdio` (by [`From`] an [`OwnedFd`], a
/// [`File`] or a child's pipe end, by [`FromRawFd`], or duplicated by
/// [`Stdio::borrowed`]) is made close-on-exec and stays in the parent: the
/// chain `IORING_OP_DUP`s it onto 0, 1 or 2 in the child, which clears
/// `FD_CLOEXEC` on the copy only, so the original never leaks into the
/// program.
///
/// # Examples
///
/// ```
/// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
/// use io_uring_spawn::{Command, Stdio};
///
/// // `echo hello | tr a-z A-Z`
/// let mut echo = Command::new("echo").arg("hello").stdout(Stdio::piped()).spawn()?;
/// let out = Command::new("tr")
///     .args(["a-z", "A-Z"])
///     .stdin(echo.stdout.take().unwrap())
///     .output()?;
/// assert_eq!(out.stdout, b"HELLO\n");
/// assert!(echo.wait()?.success());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Stdio(Kind);

enum Kind {
    Inherit,
    Null,
    Piped,
    Fd(OwnedFd),
}

/// What a stream becomes in one chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Inherit,
    Null,
    Piped,
    Fd(RawFd),
}

impl Slot {
    pub(crate) const INHERIT_ALL: [Slot; 3] = [Slot::Inherit; 3];
    pub(crate) const OUTPUT: [Slot; 3] = [Slot::Null, Slot::Piped, Slot::Piped];
}

impl Stdio {
    /// The child gets the parent's stream (its fd 0, 1 or 2 as it is).
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    ///
    /// let status = Command::new("/bin/true").stdout(Stdio::inherit()).status()?;
    /// assert!(status.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn inherit() -> Stdio {
        Stdio(Kind::Inherit)
    }

    /// `/dev/null`, opened in the child (read-only for stdin, write-only
    /// for stdout and stderr).
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    ///
    /// let out = Command::new("cat").stdin(Stdio::null()).output()?;
    /// assert!(out.status.success());
    /// assert!(out.stdout.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn null() -> Stdio {
        Stdio(Kind::Null)
    }

    /// A new pipe per spawn: the child gets one end, the [`Child`] the
    /// other ([`Child::stdin`], [`Child::stdout`], [`Child::stderr`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    /// use std::io::Read;
    ///
    /// let mut child = Command::new("/bin/echo").arg("x").stdout(Stdio::piped()).spawn()?;
    /// let mut out = Vec::new();
    /// child.stdout.take().unwrap().read_to_end(&mut out)?;
    /// assert_eq!(out, b"x\n");
    /// child.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn piped() -> Stdio {
        Stdio(Kind::Piped)
    }

    /// A close-on-exec duplicate of a file descriptor the caller keeps
    /// (for a bare [`RawFd`] the caller keeps open, pass
    /// `unsafe { BorrowedFd::borrow_raw(fd) }`; to hand one over, use
    /// [`FromRawFd`]).
    ///
    /// # Errors
    ///
    /// The error of `fcntl(F_DUPFD_CLOEXEC)`, say `EMFILE`.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    /// use std::os::fd::AsFd;
    ///
    /// let file = std::fs::File::create("/tmp/io-uring-spawn-borrowed-doc")?;
    /// Command::new("/bin/echo")
    ///     .arg("kept")
    ///     .stdout(Stdio::borrowed(file.as_fd())?)
    ///     .status()?;
    /// assert_eq!(std::fs::read("/tmp/io-uring-spawn-borrowed-doc")?, b"kept\n");
    /// # std::fs::remove_file("/tmp/io-uring-spawn-borrowed-doc")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn borrowed(fd: BorrowedFd<'_>) -> io::Result<Stdio> {
        Ok(Stdio(Kind::Fd(fd.try_clone_to_owned()?)))
    }

    pub(crate) fn slot(&self) -> Slot {
        match &self.0 {
            Kind::Inherit => Slot::Inherit,
            Kind::Null => Slot::Null,
            Kind::Piped => Slot::Piped,
            Kind::Fd(fd) => Slot::Fd(fd.as_raw_fd()),
        }
    }
}

impl fmt::Debug for Stdio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Inherit => f.write_str("Inherit"),
            Kind::Null => f.write_str("Null"),
            Kind::Piped => f.write_str("Piped"),
            Kind::Fd(fd) => f.debug_tuple("Fd").field(&fd.as_raw_fd()).finish(),
        }
    }
}

/// Takes the descriptor, made close-on-exec unless it is 0, 1 or 2.
impl From<OwnedFd> for Stdio {
    fn from(fd: OwnedFd) -> Stdio {
        let raw = fd.as_raw_fd();
        if raw > 2 {
            // SAFETY: F_GETFD/F_SETFD on a descriptor we own. A failure
            // (impossible on an open fd) would only leave it inheritable.
            unsafe {
                if let Ok(flags) = cvt_r(|| libc::fcntl(raw, libc::F_GETFD)) {
                    if flags & libc::FD_CLOEXEC == 0 {
                        libc::fcntl(raw, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                    }
                }
            }
        }
        Stdio(Kind::Fd(fd))
    }
}

/// Takes ownership of the descriptor, as `From<OwnedFd>`.
impl FromRawFd for Stdio {
    unsafe fn from_raw_fd(fd: RawFd) -> Stdio {
        // SAFETY: the caller hands over an open descriptor it owns.
        Stdio::from(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

impl From<File> for Stdio {
    fn from(file: File) -> Stdio {
        Stdio::from(OwnedFd::from(file))
    }
}

impl From<ChildStdin> for Stdio {
    fn from(pipe: ChildStdin) -> Stdio {
        Stdio::from(OwnedFd::from(pipe))
    }
}

impl From<ChildStdout> for Stdio {
    fn from(pipe: ChildStdout) -> Stdio {
        Stdio::from(OwnedFd::from(pipe))
    }
}

impl From<ChildStderr> for Stdio {
    fn from(pipe: ChildStderr) -> Stdio {
        Stdio::from(OwnedFd::from(pipe))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_like_std() {
        std::env::set_var("IO_URING_SPAWN_UNIT_A", "1");
        let mut c = Command::new("x");
        c.env("B", "2").env_remove("IO_URING_SPAWN_UNIT_A");
        let env = c.child_env();
        assert_eq!(env.get(OsStr::new("B")).unwrap(), "2");
        assert!(!env.contains_key(OsStr::new("IO_URING_SPAWN_UNIT_A")));
        c.env_clear().env("C", "3");
        let env = c.child_env();
        assert_eq!(env.len(), 1);
        assert_eq!(env.get(OsStr::new("C")).unwrap(), "3");
        // Removing then setting again sets it.
        let mut c = Command::new("x");
        c.env_remove("D").env("D", "4");
        assert_eq!(c.child_env().get(OsStr::new("D")).unwrap(), "4");
    }

    #[test]
    fn owned_fds_become_cloexec() {
        let mut fds = [0; 2];
        // SAFETY: valid out array; no O_CLOEXEC on purpose.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: fresh fds we own.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let s = Stdio::from(r);
        let Slot::Fd(raw) = s.slot() else {
            panic!("not an fd")
        };
        // SAFETY: F_GETFD has no memory effects.
        assert_ne!(
            unsafe { libc::fcntl(raw, libc::F_GETFD) } & libc::FD_CLOEXEC,
            0
        );
        drop(w);
    }
}
