// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Integration tests of io-uring-spawn: each spawns real processes and
//! checks what can be observed of them.
//!
//! They need a kernel with io_uring_spawn. Without it each test panics,
//! unless IO_URING_SPAWN_ALLOW_MISSING=1 is set: then it prints
//! `SKIP: <reason>` and returns (see them with `-- --nocapture`).
//!
//! The tests take a common lock: some of them look at process-wide state
//! (the parent's children, its fd table) that the others would disturb.

use io_uring_spawn::{spawn_batch, Command, Spawner, Stdio};
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static LOCK: Mutex<()> = Mutex::new(());

/// The common lock, if the kernel can spawn; `None` (after printing
/// `SKIP`) if it lacks io_uring_spawn and IO_URING_SPAWN_ALLOW_MISSING=1;
/// panics otherwise (any other error setting up a ring is a failure).
fn require_spawn() -> Option<MutexGuard<'static, ()>> {
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    match Spawner::new() {
        Ok(_) => Some(guard),
        Err(e) => {
            let allowed =
                std::env::var_os("IO_URING_SPAWN_ALLOW_MISSING").is_some_and(|v| v == "1");
            if allowed && e.kind() == ErrorKind::Unsupported {
                println!("SKIP: {e}");
                None
            } else {
                panic!(
                    "this test needs a kernel with io_uring_spawn ({e}); \
                     set IO_URING_SPAWN_ALLOW_MISSING=1 to skip it"
                );
            }
        }
    }
}

/// A fresh empty directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "io-uring-spawn-test.{}.{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&path).unwrap();
        TempDir(fs::canonicalize(path).unwrap())
    }

    /// Writes `file` with `contents` and permission `mode`.
    fn file(&self, name: &str, contents: &str, mode: u32) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Asserts that this process has no child at all, zombie or not.
fn assert_no_children() {
    let mut status = 0;
    // SAFETY: valid out pointer.
    let r = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG | libc::__WALL) };
    let err = io::Error::last_os_error();
    assert_eq!(
        r, -1,
        "waitpid(-1) found a child (pid {r}, status {status:#x})"
    );
    assert_eq!(err.raw_os_error(), Some(libc::ECHILD));
}

fn fd_flags(fd: RawFd) -> libc::c_int {
    // SAFETY: F_GETFD has no memory effects.
    unsafe { libc::fcntl(fd, libc::F_GETFD) }
}

fn own_fds() -> BTreeSet<RawFd> {
    // The directory's own fd is in the listing but closed by the time the
    // caller looks: drop the entries that are no longer open.
    fs::read_dir("/proc/self/fd")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().parse().unwrap())
        .collect::<Vec<RawFd>>()
        .into_iter()
        .filter(|&fd| fd_flags(fd) >= 0)
        .collect()
}

fn is_ring(fd: RawFd) -> bool {
    fs::read_link(format!("/proc/self/fd/{fd}"))
        .is_ok_and(|target| target.as_os_str() == "anon_inode:[io_uring]")
}

fn poll_in(fd: RawFd, timeout_ms: i32) -> i32 {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
    assert!(r >= 0, "poll: {}", io::Error::last_os_error());
    if r == 1 {
        assert_ne!(pfd.revents & libc::POLLIN, 0);
    }
    r
}

#[test]
fn echo_with_piped_stdout() {
    let Some(_lock) = require_spawn() else { return };
    let mut child = Command::new("/bin/echo")
        .args(["hello", "world"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(child.stdin.is_none() && child.stderr.is_none());
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, "hello world\n");
    assert!(child.wait().unwrap().success());
    // The same through output(), with a $PATH search for "echo".
    let out = Command::new("echo").arg("again").output().unwrap();
    assert_eq!(out.stdout, b"again\n");
    assert!(out.stderr.is_empty());
    assert!(out.status.success());
}

#[test]
fn stdin_piped_round_trip_through_cat() {
    let Some(_lock) = require_spawn() else { return };
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = {
        let data = data.clone();
        std::thread::spawn(move || {
            stdin.write_all(&data).unwrap();
            // Dropping stdin closes the pipe: cat sees the end.
        })
    };
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, data);
}

#[test]
fn stderr_to_a_file() {
    let Some(_lock) = require_spawn() else { return };
    let dir = TempDir::new();
    let path = dir.0.join("stderr.txt");
    let file = File::create(&path).unwrap();
    let status = Command::new("sh")
        .args(["-c", "echo to-stderr >&2; echo to-stdout"])
        .stdout(Stdio::null())
        .stderr(file)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(fs::read_to_string(&path).unwrap(), "to-stderr\n");
}

#[test]
fn null_stdio() {
    let Some(_lock) = require_spawn() else { return };
    // stdin and stdout are /dev/null; stderr tells what they are. (The
    // shell's own fds are read through command substitutions: dash applies
    // the redirections of its last command to itself before exec'ing it.)
    let out = Command::new("sh")
        .args([
            "-c",
            "echo \"$(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1)\" >&2; cat; echo lost",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(out.stderr, b"/dev/null /dev/null\n");
    // stdin /dev/null is read-only, stdout /dev/null write-only.
    let out = Command::new("sh")
        .args(["-c", "echo x >&0 || echo ro >&2"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).ends_with("ro\n"));
}

#[test]
fn env_clear_and_env() {
    let Some(_lock) = require_spawn() else { return };
    // `env` is found through the parent's PATH: the child has none.
    let out = Command::new("env")
        .env("DROPPED", "1")
        .env_clear()
        .env("A", "1")
        .env("B", "two words")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"A=1\nB=two words\n");
    // Inherit, then change: set, override, remove.
    std::env::set_var("IO_URING_SPAWN_TEST_INHERITED", "yes");
    std::env::set_var("IO_URING_SPAWN_TEST_REMOVED", "yes");
    let out = Command::new("sh")
        .args([
            "-c",
            "echo $IO_URING_SPAWN_TEST_INHERITED ${IO_URING_SPAWN_TEST_REMOVED-gone} $NEW",
        ])
        .env_remove("IO_URING_SPAWN_TEST_REMOVED")
        .env("NEW", "new")
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"yes gone new\n");
}

#[test]
fn path_search_uses_the_childs_path() {
    let Some(_lock) = require_spawn() else { return };
    let first = TempDir::new();
    let second = TempDir::new();
    let name = format!("io-uring-spawn-probe-{}", std::process::id());
    // Not executable in the first directory, executable in the second: the
    // hard-linked EXECs go on to the second one.
    first.file(&name, "#!/bin/sh\necho first\n", 0o644);
    second.file(&name, "#!/bin/sh\necho second\n", 0o755);
    let path = format!("/nonexistent:{}:{}", first.0.display(), second.0.display());
    let out = Command::new(&name).env("PATH", &path).output().unwrap();
    assert_eq!(out.stdout, b"second\n");
    // Without the second directory the search fails with EACCES, std's
    // choice when a candidate gave it.
    let path = format!("/nonexistent:{}", first.0.display());
    let err = Command::new(&name).env("PATH", &path).spawn().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EACCES));
    assert_no_children();
}

#[test]
fn current_dir_is_where_the_child_runs() {
    let Some(_lock) = require_spawn() else { return };
    let dir = TempDir::new();
    let out = Command::new("sh")
        .args(["-c", "pwd; pwd -P"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    let expected = format!("{0}\n{0}\n", dir.0.display());
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    // A relative program path is resolved from there.
    dir.file("script", "#!/bin/sh\necho ran\n", 0o755);
    let out = Command::new("./script")
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"ran\n");
}

#[test]
fn missing_program_is_not_found_and_leaves_no_zombie() {
    let Some(_lock) = require_spawn() else { return };
    assert_no_children();
    for program in [
        "/nonexistent/io-uring-spawn",
        "io-uring-spawn-no-such-program",
    ] {
        let err = Command::new(program).spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{program}: {err}");
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{program}");
        assert_no_children();
    }
    // With every kind of set-up in the chain.
    let err = Command::new("io-uring-spawn-no-such-program")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir("/")
        .process_group(0)
        .pidfd(true)
        .output()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    assert_no_children();
}

#[test]
fn non_executable_file_is_eacces() {
    let Some(_lock) = require_spawn() else { return };
    let dir = TempDir::new();
    let path = dir.file("plain", "#!/bin/sh\necho nope\n", 0o644);
    let err = Command::new(&path).spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(err.raw_os_error(), Some(libc::EACCES));
    assert_no_children();
}

#[test]
fn missing_current_dir_is_enoent() {
    let Some(_lock) = require_spawn() else { return };
    let err = Command::new("/bin/true")
        .current_dir("/nonexistent/io-uring-spawn-dir")
        .spawn()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    assert_no_children();
}

#[test]
fn exit_codes_and_signals() {
    let Some(_lock) = require_spawn() else { return };
    for code in [0, 1, 3, 127, 255] {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("exit {code}"))
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code));
        assert_eq!(status.signal(), None);
        assert_eq!(status.success(), code == 0);
    }
    // Killed by us, with and without a pidfd.
    for pidfd in [false, true] {
        let mut child = Command::new("sleep")
            .arg("100")
            .pidfd(pidfd)
            .spawn()
            .unwrap();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL), "pidfd {pidfd}");
        assert_eq!(status.code(), None);
        // Killing a reaped child is a no-op.
        child.kill().unwrap();
    }
    // Killed by a signal it sends itself.
    let status = Command::new("sh")
        .args(["-c", "kill -TERM $$; sleep 100"])
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM));
    // SIGPIPE is back to its default action in the child (the Rust runtime
    // ignores it in the parent): `yes` dies of it when the pipe closes.
    let mut child = Command::new("yes").stdout(Stdio::piped()).spawn().unwrap();
    let mut buf = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut buf).unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGPIPE));
}

#[test]
fn try_wait_before_and_after_exit() {
    let Some(_lock) = require_spawn() else { return };
    let mut child = Command::new("sleep").arg("100").spawn().unwrap();
    assert!(child.try_wait().unwrap().is_none());
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the killed child did not exit");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    // Cached from then on.
    assert_eq!(child.try_wait().unwrap(), Some(status));
    assert_eq!(child.wait().unwrap(), status);
    assert_no_children();
}

#[test]
fn pidfd_is_cloexec_and_pollable() {
    let Some(_lock) = require_spawn() else { return };
    let mut plain = Command::new("/bin/true").spawn().unwrap();
    assert!(plain.pidfd().is_none());
    plain.wait().unwrap();

    let mut child = Command::new("sleep")
        .arg("100")
        .pidfd(true)
        .spawn()
        .unwrap();
    let pidfd = child.pidfd().unwrap().as_raw_fd();
    assert_eq!(fd_flags(pidfd) & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    // It names our child.
    let fdinfo = fs::read_to_string(format!("/proc/self/fdinfo/{pidfd}")).unwrap();
    assert!(
        fdinfo
            .lines()
            .any(|l| l.split_whitespace().eq(["Pid:", &child.id().to_string()])),
        "{fdinfo}"
    );
    assert_eq!(poll_in(pidfd, 0), 0, "readable while the child runs");
    child.kill().unwrap();
    assert_eq!(
        poll_in(pidfd, 30_000),
        1,
        "not readable once the child died"
    );
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
}

#[test]
fn process_group_zero_makes_a_group_leader() {
    let Some(_lock) = require_spawn() else { return };
    let mut child = Command::new("sleep")
        .arg("100")
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    // SAFETY: plain system calls.
    let (pgid, ours) = unsafe { (libc::getpgid(pid), libc::getpgid(0)) };
    assert_eq!(pgid, pid);
    assert_ne!(pgid, ours);
    child.kill().unwrap();
    child.wait().unwrap();

    // Without it, the child is in our group.
    let mut child = Command::new("sleep").arg("100").spawn().unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { libc::getpgid(child.id() as libc::pid_t) }, ours);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn batch_of_fifty_in_one_submission() {
    let Some(_lock) = require_spawn() else { return };
    let make = || -> Vec<Command> {
        (0..50)
            .map(|i| {
                let mut c = Command::new("sh");
                c.arg("-c").arg(format!("exit {}", i % 7));
                c
            })
            .collect()
    };
    // A spawner whose ring (64 entries) must grow to take 50 chains of at
    // least 2 SQEs each (a $PATH search for `sh` has more), and the
    // default one.
    let mut spawner = Spawner::new().unwrap();
    for results in [spawner.spawn_batch(&mut make()), spawn_batch(&mut make())] {
        assert_eq!(results.len(), 50);
        let mut children: Vec<_> = results.into_iter().map(Result::unwrap).collect();
        let pids: BTreeSet<u32> = children.iter().map(|c| c.id()).collect();
        assert_eq!(pids.len(), 50, "pids are not distinct");
        for (i, child) in children.iter_mut().enumerate() {
            assert_eq!(child.wait().unwrap().code(), Some(i as i32 % 7));
        }
    }
    // Per-command results: failures do not affect their neighbours.
    let mut mixed = vec![
        Command::new("/bin/true"),
        Command::new("/nonexistent/io-uring-spawn"),
        Command::new("/bin/true"),
    ];
    mixed[2].current_dir("/nonexistent/io-uring-spawn-dir");
    let mut mixed = spawner.spawn_batch(&mut mixed).into_iter();
    assert!(mixed.next().unwrap().unwrap().wait().unwrap().success());
    assert_eq!(
        mixed.next().unwrap().unwrap_err().raw_os_error(),
        Some(libc::ENOENT)
    );
    assert_eq!(
        mixed.next().unwrap().unwrap_err().raw_os_error(),
        Some(libc::ENOENT)
    );
    assert_no_children();
}

#[test]
fn cloexec_fds_of_the_parent_are_not_in_the_child() {
    let Some(_lock) = require_spawn() else { return };
    // A close-on-exec fd at a number the child would not use otherwise.
    let file = File::open("/dev/null").unwrap();
    // SAFETY: F_DUPFD_CLOEXEC has no memory effects; the new fd is ours.
    let high =
        unsafe { OwnedFd::from_raw_fd(libc::fcntl(file.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 100)) };
    assert!(high.as_raw_fd() >= 100);
    // Make sure the default ring exists before looking at our fds.
    Command::new("/bin/true").status().unwrap();
    let inheritable: BTreeSet<RawFd> = own_fds()
        .into_iter()
        .filter(|&fd| fd > 2 && fd_flags(fd) & libc::FD_CLOEXEC == 0)
        .collect();

    let child = Command::new("ls")
        .arg("/proc/self/fd")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .pidfd(true)
        .spawn()
        .unwrap();
    let parent_ends = [
        child.stdin.as_ref().unwrap().as_raw_fd(),
        child.stdout.as_ref().unwrap().as_raw_fd(),
        child.stderr.as_ref().unwrap().as_raw_fd(),
        child.pidfd().unwrap().as_raw_fd(),
    ];
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: BTreeSet<RawFd> = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(!listed.contains(&high.as_raw_fd()), "{listed:?}");
    for fd in parent_ends {
        assert!(!listed.contains(&fd), "parent's fd {fd} in {listed:?}");
    }
    // Exactly: 0, 1, 2, what the parent had without FD_CLOEXEC, and the
    // directory `ls` opened, at the lowest free number.
    let mut expected: BTreeSet<RawFd> = [0, 1, 2].into_iter().chain(inheritable).collect();
    let dir_fd = (0..).find(|fd| !expected.contains(fd)).unwrap();
    expected.insert(dir_fd);
    assert_eq!(listed, expected);
}

#[test]
fn parent_fd_count_is_unchanged_after_200_spawns() {
    let Some(_lock) = require_spawn() else { return };
    // The thread's default ring is created by the first spawn.
    Command::new("/bin/true").status().unwrap();
    let before = own_fds();
    for i in 0..200 {
        match i % 4 {
            0 => {
                let out = Command::new("/bin/echo")
                    .arg(i.to_string())
                    .output()
                    .unwrap();
                assert_eq!(out.stdout, format!("{i}\n").as_bytes());
            }
            1 => {
                let mut child = Command::new("cat")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .pidfd(true)
                    .spawn()
                    .unwrap();
                child.stdin.as_mut().unwrap().write_all(b"x").unwrap();
                assert!(child.wait().unwrap().success());
            }
            2 => {
                let err = Command::new("/nonexistent/io-uring-spawn")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .pidfd(true)
                    .spawn()
                    .unwrap_err();
                assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
            }
            _ => {
                let file = File::open("/dev/null").unwrap();
                let status = Command::new("/bin/true")
                    .stdin(file)
                    .stdout(Stdio::null())
                    .current_dir("/")
                    .status()
                    .unwrap();
                assert!(status.success());
            }
        }
    }
    let after = own_fds();
    // Rings are compared by number only: the default ring of a test thread
    // that just finished may be closing concurrently (its thread-local
    // destructor runs after the lock is released).
    let split = |fds: BTreeSet<RawFd>| -> (BTreeSet<RawFd>, usize) {
        let (rings, others): (BTreeSet<RawFd>, BTreeSet<RawFd>) =
            fds.into_iter().partition(|&fd| is_ring(fd));
        (others, rings.len())
    };
    let ((before, rings_before), (after, rings_after)) = (split(before), split(after));
    assert_eq!(after, before, "fds changed");
    assert!(rings_after <= rings_before, "rings leaked");
    assert_no_children();
}

#[test]
fn without_the_feature_spawn_is_unsupported() {
    // Runs where the others skip: the error a program gets on a kernel
    // without io_uring_spawn.
    let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Err(e) = Spawner::new() else {
        return;
    };
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    let err = Command::new("/bin/true").spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("io_uring_spawn"), "{err}");
    assert!(!io_uring_spawn::is_supported());
    let results = spawn_batch(&mut [Command::new("/bin/true"), Command::new("/bin/true")]);
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap_err().kind() == ErrorKind::Unsupported));
    assert_no_children();
}
