// SPDX-License-Identifier: GPL-2.0
//! The guest kernel's io_uring works end to end from Rust: the base that
//! the spawn tests build on.

use io_uring::{opcode, types, IoUring};
use io_uring_spawn_selftests::{opcode_supported, submit_all};
use std::ffi::CString;
use std::os::fd::AsRawFd;

#[test]
fn nop_completes_with_its_user_data() {
    let mut ring = IoUring::new(8).unwrap();
    let sqes: Vec<_> = (0..4u64)
        .map(|i| opcode::Nop::new().build().user_data(0x1000 + i))
        .collect();
    let cqes = submit_all(&mut ring, &sqes).unwrap();
    let mut got: Vec<u64> = cqes.iter().map(|c| c.user_data()).collect();
    got.sort_unstable();
    assert_eq!(got, vec![0x1000, 0x1001, 0x1002, 0x1003]);
    assert!(cqes.iter().all(|c| c.result() == 0));
}

#[test]
fn probe_reports_openat_and_not_past_last() {
    let ring = IoUring::new(4).unwrap();
    assert!(opcode_supported(&ring, opcode::OpenAt::CODE).unwrap());
    // 6.12's last opcode is IORING_OP_LISTEN (57).
    assert!(opcode_supported(&ring, 57).unwrap());
    assert!(!opcode_supported(&ring, 200).unwrap());
}

#[test]
fn openat_error_reaches_cqe() {
    let mut ring = IoUring::new(4).unwrap();
    let path = CString::new("/nonexistent/io_uring_spawn").unwrap();
    let sqe = opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), path.as_ptr())
        .flags(libc::O_RDONLY)
        .build()
        .user_data(7);
    let cqes = submit_all(&mut ring, &[sqe]).unwrap();
    assert_eq!(cqes.len(), 1);
    assert_eq!(cqes[0].user_data(), 7);
    assert_eq!(cqes[0].result(), -libc::ENOENT);
}

#[test]
fn linked_failure_cancels_the_rest() {
    let mut ring = IoUring::new(4).unwrap();
    let path = CString::new("/nonexistent/io_uring_spawn").unwrap();
    let open = opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), path.as_ptr())
        .build()
        .flags(io_uring::squeue::Flags::IO_LINK)
        .user_data(1);
    let nop = opcode::Nop::new().build().user_data(2);
    let mut cqes = submit_all(&mut ring, &[open, nop]).unwrap();
    cqes.sort_by_key(|c| c.user_data());
    assert_eq!(cqes[0].result(), -libc::ENOENT);
    assert_eq!(cqes[1].result(), -libc::ECANCELED);
    let _ = ring.as_raw_fd();
}
