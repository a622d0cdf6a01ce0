// SPDX-License-Identifier: GPL-2.0

//! Tasks: a blank task created by `kernel_clone()`, work run on the way
//! back to user space, and the end of a task that never got there.
//!
//! Upstream this would extend `kernel::task` (rust/kernel/task.rs), which
//! on 6.12 wraps `struct task_struct` but creates and ends no task.

use core::ffi::{c_int, c_void};
use kernel::{bindings, error::to_result, prelude::*};

use super::{signal, uapi};

/// What the blank task is created with, checked by its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CloneOpts {
    /// `CLONE_PIDFD` and/or `CLONE_INTO_CGROUP`.
    pub(crate) flags: u64,
    /// User address of the `int` that receives the pidfd.
    pub(crate) pidfd: u64,
    /// Signal sent to the parent when the task exits.
    pub(crate) exit_signal: u32,
    /// cgroup2 directory fd for `CLONE_INTO_CGROUP`.
    pub(crate) cgroup: u32,
}

impl Default for CloneOpts {
    fn default() -> Self {
        CloneOpts {
            flags: 0,
            pidfd: 0,
            exit_signal: signal::SIGCHLD,
            cgroup: 0,
        }
    }
}

/// How a blank task's work ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// An exec set up its user registers: it returns to user space.
    UserSpace,
    /// It must exit with this status (as `do_group_exit()` takes it).
    Exit(i32),
}

/// What a blank task runs, in kernel mode, before it reaches user space.
pub(crate) trait BlankTask: Send + Sized {
    /// Runs in the new task, which owns `this`.
    fn run(this: KBox<Self>) -> End;
}

/// Creates a task that shares the caller's mm until it execs (no page
/// tables are copied, and the mm does not become one of several
/// processes'), copies its files, fs state and creds, resets its signal
/// handlers, is not auto-attached to a tracer, and runs `T::run(task)`
/// instead of returning to user space. Returns its pid; on failure `task`
/// is dropped.
pub(crate) fn spawn_blank<T: BlankTask>(opts: &CloneOpts, task: KBox<T>) -> Result<i32> {
    let mut args = bindings::kernel_clone_args {
        flags: uapi::CLONE_VM
            | bindings::CLONE_UNTRACED as u64
            | uapi::CLONE_CLEAR_SIGHAND
            | opts.flags,
        pidfd: opts.pidfd as usize as *mut c_int,
        exit_signal: opts.exit_signal as c_int,
        cgroup: opts.cgroup as c_int,
        fn_: Some(blank_main::<T>),
        ..Default::default()
    };
    args.set_mm_until_exec(1);
    let arg = KBox::into_raw(task);
    args.fn_arg = arg.cast();
    // SAFETY: `args` is a valid, fully initialised argument block. On
    // success the new task owns `arg` (it is handed to `blank_main`); on
    // failure no task ran and `arg` is still ours.
    let pid = unsafe { bindings::kernel_clone(&mut args) };
    if pid < 0 {
        // SAFETY: `arg` came from `KBox::into_raw` above and nothing else
        // has it: no task was created.
        drop(unsafe { KBox::from_raw(arg) });
        return Err(Error::from_errno(pid));
    }
    Ok(pid)
}

/// Where the blank task starts.
///
/// # Safety
///
/// `arg` is the `KBox<T>` that [`spawn_blank`] handed over.
unsafe extern "C" fn blank_main<T: BlankTask>(arg: *mut c_void) -> c_int {
    // SAFETY: per the function's contract; this is its only consumer.
    let task = unsafe { KBox::from_raw(arg.cast::<T>()) };
    match T::run(task) {
        // ret_from_fork takes the task to user space with the registers
        // the exec set up.
        End::UserSpace => 0,
        End::Exit(status) => exit_unspawned(status),
    }
}

/// Ends a task whose user registers were never set up: it must not return
/// to user space. A pending fatal signal (SIGKILL, or the SIGSEGV of an
/// exec that failed past its point of no return) is taken first and kills
/// it instead, as on any return to user space.
fn exit_unspawned(status: i32) -> ! {
    // SAFETY: FFI call; ends the current task, which holds no locks and
    // owns nothing any more (`blank_main` consumed its work).
    unsafe { bindings::io_spawn_child_exit(status) }
}

/// `data` and the function to call with it, queued on the current task.
#[repr(C)]
struct OnReturn<T> {
    /// First, so that the task_work's pointer is one to the whole.
    cb: bindings::callback_head,
    f: fn(T, bool),
    data: T,
}

/// Calls `f(data, exiting)` in the current task on its way back to user
/// space, once the system call in progress is done, holding no locks;
/// `exiting` says the task is in `do_exit()` instead, where it must not
/// create anything. If it cannot be queued, `data` comes back.
pub(crate) fn on_return_to_user<T: Send>(data: T, f: fn(T, bool)) -> Result<(), (T, Error)> {
    let b = match KBox::<OnReturn<T>>::new_uninit(GFP_KERNEL) {
        Ok(b) => b,
        Err(e) => return Err((data, e.into())),
    };
    let b = b.write(OnReturn {
        cb: bindings::callback_head {
            next: core::ptr::null_mut(),
            func: None,
        },
        f,
        data,
    });
    let raw = KBox::into_raw(b);
    // SAFETY: `raw` is a live allocation that only we hold; `cb` is its
    // first field (`repr(C)`), which `on_return_run` relies on. task_work
    // hands it back exactly once.
    let ret = unsafe {
        bindings::io_spawn_run_on_return(
            core::ptr::addr_of_mut!((*raw).cb),
            Some(on_return_run::<T>),
        )
    };
    if ret != 0 {
        // SAFETY: it was not queued (the task is past its exit's task_work),
        // so `raw` is still only ours.
        let b = unsafe { KBox::from_raw(raw) };
        return Err((KBox::into_inner(b).data, Error::from_errno(ret)));
    }
    Ok(())
}

/// # Safety
///
/// `cb` is the `cb` field of an `OnReturn<T>` that `on_return_to_user`
/// queued, handed back by task_work.
unsafe extern "C" fn on_return_run<T>(cb: *mut bindings::callback_head) {
    // SAFETY: per the contract, `cb` starts a `KBox<OnReturn<T>>` that is
    // ours again; this is its only consumer.
    let b = unsafe { KBox::from_raw(cb.cast::<OnReturn<T>>()) };
    let OnReturn { f, data, .. } = KBox::into_inner(b);
    // SAFETY: FFI call that reads the current task's flags.
    let exiting = unsafe { bindings::io_spawn_current_exiting() };
    f(data, exiting);
}

/// Whether the current system call is a 32-bit one (compat or x32).
pub(crate) fn in_compat_syscall() -> bool {
    // SAFETY: FFI call that only reads the current task's state.
    unsafe { bindings::io_spawn_in_compat_syscall() }
}

/// setsid(2) for the current task.
pub(crate) fn setsid() -> Result {
    // SAFETY: FFI call acting on the current task.
    to_result(unsafe { bindings::io_spawn_setsid() })
}

/// setpgid(0, `pgid`) for the current task.
pub(crate) fn setpgid(pgid: i32) -> Result {
    // SAFETY: FFI call acting on the current task.
    to_result(unsafe { bindings::io_spawn_setpgid(pgid) })
}
