// SPDX-License-Identifier: GPL-2.0
//! io_uring_spawn from Rust on the `io-uring` crate: the same UAPI the C
//! kselftests drive, from the language runtimes' side.

use io_uring::{opcode, squeue::Flags, types, IoUring};
use io_uring_spawn_selftests::*;
use std::ffi::CString;

fn ring() -> IoUring {
    let ring = IoUring::new(64).unwrap();
    assert!(
        is_spawn_kernel(&ring),
        "not a 6.12 kernel with io_uring_spawn"
    );
    ring
}

fn exited(status: i32) -> Option<i32> {
    libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status))
}

/// CLONE -> EXEC(`path`) in one submission: the CLONE's and the EXEC's
/// results.
fn spawn(ring: &mut IoUring, path: &str) -> (i32, i32) {
    let path = CString::new(path).unwrap();
    let (argv, envp) = (cstrs(&["prog"]), cstrs::<&str>(&[]));
    let cqes = submit_all(
        ring,
        &[
            clone_sqe(1, Flags::IO_LINK.bits()),
            exec_sqe(2, 0, &path, &argv, &envp),
        ],
    )
    .unwrap();
    (cqes[0].result(), cqes[1].result())
}

#[test]
fn spawn_true_and_reap() {
    let (pid, exec) = spawn(&mut ring(), "/bin/true");
    assert!(pid > 0, "CLONE: {}", pid);
    assert_eq!(exec, 0);
    assert_eq!(exited(wait_pid(pid).unwrap()), Some(0));
}

#[test]
fn stdout_redirected_by_the_chain() {
    let mut ring = ring();
    let out = format!("/tmp/io_uring_spawn_rust.{}", std::process::id());
    let out_c = CString::new(out.clone()).unwrap();
    let path = CString::new("/bin/sh").unwrap();
    let argv = cstrs(&["sh", "-c", "echo \"$MSG\""]);
    let envp = cstrs(&["MSG=from a chain"]);
    let link = Flags::IO_LINK.bits();
    let close = opcode::Close::new(types::Fd(1))
        .build()
        .flags(Flags::IO_LINK)
        .user_data(2);
    let open = opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), out_c.as_ptr())
        .flags(libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC)
        .mode(0o644)
        .build()
        .flags(Flags::IO_LINK)
        .user_data(3);
    let cqes = submit_all(
        &mut ring,
        &[
            clone_sqe(1, link),
            close,
            open,
            exec_sqe(4, 0, &path, &argv, &envp),
        ],
    )
    .unwrap();
    let res: Vec<i32> = cqes.iter().map(|c| c.result()).collect();
    assert!(res[0] > 0);
    // The OPENAT got the fd the CLOSE freed: the child's stdout.
    assert_eq!(&res[1..], &[0, 1, 0]);
    assert_eq!(exited(wait_pid(res[0]).unwrap()), Some(0));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "from a chain\n");
    // Our own stdout was not touched.
    // SAFETY: F_GETFD on a descriptor number has no memory effects.
    assert!(unsafe { libc::fcntl(1, libc::F_GETFD) } >= 0);
    let _ = std::fs::remove_file(&out);
}

#[test]
fn failed_exec_reports_errno_and_exits_127() {
    let (pid, exec) = spawn(&mut ring(), "/nonexistent/io_uring_spawn");
    assert!(pid > 0);
    assert_eq!(exec, -libc::ENOENT);
    assert_eq!(exited(wait_pid(pid).unwrap()), Some(127));
}

#[test]
fn batch_of_spawns_in_one_submission() {
    let mut ring = ring();
    let path = CString::new("/bin/true").unwrap();
    let (argv, envp) = (cstrs(&["true"]), cstrs::<&str>(&[]));
    let mut sqes = Vec::new();
    for i in 0..8u64 {
        sqes.push(clone_sqe(100 + 2 * i, Flags::IO_LINK.bits()));
        sqes.push(exec_sqe(101 + 2 * i, 0, &path, &argv, &envp));
    }
    let cqes = submit_all(&mut ring, &sqes).unwrap();
    let mut pids: Vec<i32> = cqes
        .iter()
        .filter(|c| c.user_data() % 2 == 0)
        .map(|c| c.result())
        .collect();
    assert!(cqes
        .iter()
        .filter(|c| c.user_data() % 2 == 1)
        .all(|c| c.result() == 0));
    assert!(pids.iter().all(|&p| p > 0));
    for &p in &pids {
        assert_eq!(exited(wait_pid(p).unwrap()), Some(0));
    }
    pids.dedup();
    assert_eq!(pids.len(), 8);
}

#[test]
fn defer_taskrun_ring() {
    let mut ring = IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .build(16)
        .unwrap();
    assert!(is_spawn_kernel(&ring));
    let (pid, exec) = spawn(&mut ring, "/bin/true");
    assert!(pid > 0);
    assert_eq!(exec, 0);
    assert_eq!(exited(wait_pid(pid).unwrap()), Some(0));
}

#[test]
fn exec_outside_a_chain_is_einval() {
    let mut ring = ring();
    let path = CString::new("/bin/true").unwrap();
    let (argv, envp) = (cstrs(&["true"]), cstrs::<&str>(&[]));
    let cqes = submit_all(&mut ring, &[exec_sqe(1, 0, &path, &argv, &envp)]).unwrap();
    assert_eq!(cqes[0].result(), -libc::EINVAL);
}
