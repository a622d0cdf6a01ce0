// SPDX-License-Identifier: GPL-2.0
//! Helpers shared by the guest-side Rust tests of io_uring_spawn.

use io_uring::{cqueue, squeue, IoUring};
use std::io;

/// Submit `entries` in one go and return their completions in the order
/// the kernel posted them.
pub fn submit_all(ring: &mut IoUring, entries: &[squeue::Entry]) -> io::Result<Vec<cqueue::Entry>> {
    for e in entries {
        // SAFETY: every entry built by the tests points only at memory that
        // outlives this call (the caller's buffers), and we wait below.
        unsafe { ring.submission().push(e) }.map_err(|_| io::Error::from_raw_os_error(libc::EBUSY))?;
    }
    ring.submit_and_wait(entries.len())?;
    Ok(ring.completion().collect())
}

/// Whether the running kernel reports `opcode` as supported.
pub fn opcode_supported(ring: &IoUring, opcode: u8) -> io::Result<bool> {
    let mut probe = io_uring::Probe::new();
    ring.submitter().register_probe(&mut probe)?;
    Ok(probe.is_supported(opcode))
}
