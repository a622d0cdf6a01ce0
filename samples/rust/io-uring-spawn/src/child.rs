// SPDX-License-Identifier: GPL-2.0 OR MIT
//! [`Child`] and the parent's ends of its pipes.

use crate::sys::{cvt, cvt_r};
use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Output};

/// A child process spawned by [`Command::spawn`](crate::Command::spawn) (or
/// a [`Spawner`](crate::Spawner)), in the manner of
/// [`std::process::Child`].
///
/// Dropping a `Child` does what dropping a [`std::process::Child`] does:
/// nothing to the process. It goes on running, its pipes and pidfd are
/// closed, and it is not waited for: once it exits it stays a zombie until
/// the parent waits for it (for example with `waitpid(-1, ...)`) or exits.
/// Call [`wait`](Child::wait) (or [`try_wait`](Child::try_wait) until it
/// returns a status) to reap it.
///
/// # Examples
///
/// ```
/// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
/// use io_uring_spawn::Command;
///
/// let mut child = Command::new("sh").args(["-c", "exit 5"]).spawn()?;
/// assert_eq!(child.wait()?.code(), Some(5));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Child {
    pid: libc::pid_t,
    pidfd: Option<OwnedFd>,
    status: Option<ExitStatus>,
    /// The writing end of the child's stdin, when it was
    /// [`Stdio::piped`](crate::Stdio::piped).
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    /// use std::io::Write;
    ///
    /// let mut child = Command::new("sh")
    ///     .args(["-c", "read line; test \"$line\" = yes"])
    ///     .stdin(Stdio::piped())
    ///     .spawn()?;
    /// child.stdin.take().unwrap().write_all(b"yes\n")?;
    /// assert!(child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub stdin: Option<ChildStdin>,
    /// The reading end of the child's stdout, when it was
    /// [`Stdio::piped`](crate::Stdio::piped).
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    /// use std::io::Read;
    ///
    /// let mut child = Command::new("/bin/echo").arg("out").stdout(Stdio::piped()).spawn()?;
    /// let mut s = String::new();
    /// child.stdout.as_mut().unwrap().read_to_string(&mut s)?;
    /// assert_eq!(s, "out\n");
    /// child.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub stdout: Option<ChildStdout>,
    /// The reading end of the child's stderr, when it was
    /// [`Stdio::piped`](crate::Stdio::piped).
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    /// use std::io::Read;
    ///
    /// let mut child = Command::new("sh")
    ///     .args(["-c", "echo err >&2"])
    ///     .stderr(Stdio::piped())
    ///     .spawn()?;
    /// let mut s = String::new();
    /// child.stderr.as_mut().unwrap().read_to_string(&mut s)?;
    /// assert_eq!(s, "err\n");
    /// child.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub stderr: Option<ChildStderr>,
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid)
            .field("pidfd", &self.pidfd)
            .field("status", &self.status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

impl Child {
    pub(crate) fn new(
        pid: libc::pid_t,
        pidfd: Option<OwnedFd>,
        stdin: Option<OwnedFd>,
        stdout: Option<OwnedFd>,
        stderr: Option<OwnedFd>,
    ) -> Child {
        Child {
            pid,
            pidfd,
            status: None,
            stdin: stdin.map(|fd| ChildStdin(File::from(fd))),
            stdout: stdout.map(|fd| ChildStdout(File::from(fd))),
            stderr: stderr.map(|fd| ChildStderr(File::from(fd))),
        }
    }

    /// The child's process id (the result of the chain's `IORING_OP_CLONE`).
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let mut child = Command::new("/bin/true").spawn()?;
    /// assert!(child.id() > 0);
    /// child.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> u32 {
        self.pid as u32
    }

    /// The child's pidfd (close-on-exec), when
    /// [`Command::pidfd`](crate::Command::pidfd) asked for one. It becomes
    /// readable (`POLLIN`) when the child exits.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    /// use std::os::fd::AsRawFd;
    ///
    /// let mut child = Command::new("/bin/true").pidfd(true).spawn()?;
    /// let mut pfd = libc::pollfd {
    ///     fd: child.pidfd().unwrap().as_raw_fd(),
    ///     events: libc::POLLIN,
    ///     revents: 0,
    /// };
    /// assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
    /// assert!(child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(AsFd::as_fd)
    }

    /// Sends `SIGKILL` to the child: through its pidfd when it has one
    /// (`pidfd_send_signal(2)`), else with `kill(2)` as long as it has not
    /// been reaped. Once [`wait`](Child::wait) or
    /// [`try_wait`](Child::try_wait) has returned its status this does
    /// nothing and returns `Ok(())` (its pid may belong to another process
    /// by then), as std does.
    ///
    /// # Errors
    ///
    /// The error of the system call.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// let mut child = Command::new("sleep").arg("100").spawn()?;
    /// child.kill()?;
    /// assert_eq!(child.wait()?.signal(), Some(libc::SIGKILL));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn kill(&mut self) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        if let Some(pidfd) = &self.pidfd {
            // SAFETY: pidfd_send_signal(pidfd, sig, NULL info, 0 flags).
            let r = unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    libc::c_long::from(pidfd.as_raw_fd()),
                    libc::c_long::from(libc::SIGKILL),
                    std::ptr::null::<libc::siginfo_t>(),
                    0 as libc::c_long,
                )
            };
            return match cvt(r as libc::c_int) {
                // Already gone (exited, or reaped behind our back).
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
                other => other.map(drop),
            };
        }
        // SAFETY: plain system call. The pid is still ours: it has not been
        // reaped through this `Child`, and nothing else should reap it.
        cvt(unsafe { libc::kill(self.pid, libc::SIGKILL) }).map(drop)
    }

    /// Waits for the child to exit (closing [`stdin`](Child::stdin) first,
    /// so that a child reading it sees the end) and returns its status.
    /// Later calls return the same status.
    ///
    /// # Errors
    ///
    /// The error of `waitpid(2)` (`EINTR` is retried).
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let mut child = Command::new("sh").args(["-c", "exit 2"]).spawn()?;
    /// assert_eq!(child.wait()?.code(), Some(2));
    /// assert_eq!(child.wait()?.code(), Some(2));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(status) = self.status {
            return Ok(status);
        }
        let mut raw = 0;
        // SAFETY: valid out pointer.
        cvt_r(|| unsafe { libc::waitpid(self.pid, &mut raw, 0) })?;
        let status = ExitStatus::from_raw(raw);
        self.status = Some(status);
        Ok(status)
    }

    /// Returns the child's status if it has exited (reaping it), `None` if
    /// it is still running. Does not close stdin.
    ///
    /// # Errors
    ///
    /// The error of `waitpid(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::Command;
    ///
    /// let mut child = Command::new("sleep").arg("100").spawn()?;
    /// assert!(child.try_wait()?.is_none());
    /// child.kill()?;
    /// child.wait()?;
    /// assert!(child.try_wait()?.is_some());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let mut raw = 0;
        // SAFETY: valid out pointer.
        let pid = cvt_r(|| unsafe { libc::waitpid(self.pid, &mut raw, libc::WNOHANG) })?;
        if pid == 0 {
            return Ok(None);
        }
        let status = ExitStatus::from_raw(raw);
        self.status = Some(status);
        Ok(Some(status))
    }

    /// Closes stdin, reads stdout and stderr (those that are pipes) to
    /// their end, both at once so that neither pipe fills up, then waits
    /// for the child.
    ///
    /// # Errors
    ///
    /// The errors of reading and of `waitpid(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    ///
    /// let child = Command::new("sh")
    ///     .args(["-c", "head -c 200000 /dev/zero; head -c 200000 /dev/zero >&2"])
    ///     .stdout(Stdio::piped())
    ///     .stderr(Stdio::piped())
    ///     .spawn()?;
    /// let out = child.wait_with_output()?;
    /// assert!(out.status.success());
    /// assert_eq!((out.stdout.len(), out.stderr.len()), (200000, 200000));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let (stdout, stderr) = read2(self.stdout.take(), self.stderr.take())?;
        let status = self.wait()?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// Reads both pipes to their end, whichever has data, with `poll(2)`.
fn read2(
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    match (stdout, stderr) {
        (None, None) => {}
        (Some(mut o), None) => {
            o.read_to_end(&mut out)?;
        }
        (None, Some(mut e)) => {
            e.read_to_end(&mut err)?;
        }
        (Some(o), Some(e)) => {
            let mut pipes = [(o.0, &mut out, false), (e.0, &mut err, false)];
            for (file, _, _) in &pipes {
                set_nonblocking(file.as_raw_fd())?;
            }
            while pipes.iter().any(|p| !p.2) {
                let mut pfds: Vec<libc::pollfd> = pipes
                    .iter()
                    .filter(|p| !p.2)
                    .map(|p| libc::pollfd {
                        fd: p.0.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    })
                    .collect();
                // SAFETY: a valid array of `pfds.len()` pollfds.
                cvt_r(|| unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as _, -1) })?;
                for (file, buf, done) in pipes.iter_mut().filter(|p| !p.2) {
                    let mut chunk = [0u8; 16384];
                    loop {
                        match file.read(&mut chunk) {
                            Ok(0) => {
                                *done = true;
                                break;
                            }
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
        }
    }
    Ok((out, err))
}

fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL on an fd we own.
    let flags = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    // SAFETY: as above.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) }).map(drop)
}

macro_rules! pipe_end {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(File);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0.as_raw_fd()).finish()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.0.as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.0.as_raw_fd()
            }
        }

        impl IntoRawFd for $name {
            fn into_raw_fd(self) -> RawFd {
                self.0.into_raw_fd()
            }
        }

        impl From<$name> for OwnedFd {
            fn from(end: $name) -> OwnedFd {
                OwnedFd::from(end.0)
            }
        }
    };
}

pipe_end! {
    /// The parent's (writing) end of a child's stdin pipe, close-on-exec.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    /// use std::io::Write;
    ///
    /// let mut child = Command::new("wc").arg("-c").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    /// let mut stdin = child.stdin.take().unwrap();
    /// stdin.write_all(b"12345")?;
    /// drop(stdin);
    /// let out = child.wait_with_output()?;
    /// assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "5");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ChildStdin
}

pipe_end! {
    /// The parent's (reading) end of a child's stdout pipe, close-on-exec.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    /// use std::io::{BufRead, BufReader};
    ///
    /// let mut child = Command::new("sh").args(["-c", "echo 1; echo 2"]).stdout(Stdio::piped()).spawn()?;
    /// let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
    ///     .lines()
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(lines, ["1", "2"]);
    /// child.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ChildStdout
}

pipe_end! {
    /// The parent's (reading) end of a child's stderr pipe, close-on-exec.
    ///
    /// # Examples
    ///
    /// ```
    /// # if io_uring_spawn::__doctest_skip() { return Ok(()); }
    /// use io_uring_spawn::{Command, Stdio};
    /// use std::io::Read;
    ///
    /// let mut child = Command::new("ls").arg("/nonexistent").stderr(Stdio::piped()).spawn()?;
    /// let mut err = String::new();
    /// child.stderr.take().unwrap().read_to_string(&mut err)?;
    /// assert!(!err.is_empty());
    /// assert!(!child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ChildStderr
}

impl Write for ChildStdin {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.0).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&self.0).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for ChildStdout {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.0).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&self.0).read_vectored(bufs)
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        (&self.0).read_to_end(buf)
    }
}

impl Read for ChildStderr {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.0).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&self.0).read_vectored(bufs)
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        (&self.0).read_to_end(buf)
    }
}
