// SPDX-License-Identifier: GPL-2.0
//! std::process::Command, whose spawns go through glibc's posix_spawnp()
//! on Linux, so through the io_uring library when it is preloaded.
//!
//!   command_test SCRATCH_DIR
//!
//! Prints what each Command saw and returned, one line per fact, with
//! nothing that differs between two runs (no pids, no times):
//! command_test.sh runs it plainly and preloaded and compares the output.
//! The last line counts the spawns ("spawns=N"), for the script to
//! compare with the library's log.

use std::fs::{self, File};
use std::io::{self, Write};
use std::process::{Command, ExitStatus, Stdio};

fn status(s: ExitStatus) -> String {
    match s.code() {
        Some(c) => format!("exit {c}"),
        None => format!("signal {:?}", std::os::unix::process::ExitStatusExt::signal(&s)),
    }
}

fn show(what: &str, bytes: &[u8]) {
    for line in String::from_utf8_lossy(bytes).lines() {
        println!("{what}: {line}");
    }
}

/// args, env, current_dir, stdin null, stdout piped, stderr to a file and
/// a non-zero exit status, all on one Command.
fn full(dir: &str) -> io::Result<u32> {
    let err_path = format!("{dir}/stderr.txt");
    let script = "printf 'arg0=%s arg1=%s\\n' \"$0\" \"$1\"; \
                  echo \"env=$COMMAND_TEST cwd=${PWD##*/}\"; \
                  if read -r line; then echo \"stdin=$line\"; else echo stdin=eof; fi; \
                  echo 'to stderr' >&2; exit 3";
    let out = Command::new("sh")
        .args(["-c", script, "zero", "one"])
        .env("COMMAND_TEST", "value")
        .current_dir(format!("{dir}/sub"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(&err_path)?)
        .output()?;
    println!("full: {}", status(out.status));
    show("full stdout", &out.stdout);
    show("full stderr file", &fs::read(&err_path)?);
    Ok(1)
}

/// A program that is nowhere on $PATH: an io::Error with ENOENT.
fn missing() -> io::Result<u32> {
    match Command::new("no-such-program-for-command-test").spawn() {
        Ok(mut child) => {
            println!("missing: spawned, {}", status(child.wait()?));
        }
        Err(e) => println!(
            "missing: error kind={:?} errno={:?} is_enoent={}",
            e.kind(),
            e.raw_os_error(),
            e.raw_os_error() == Some(2)
        ),
    }
    Ok(1)
}

/// env_clear, an absolute program, and a pipe between two children.
fn pipeline() -> io::Result<u32> {
    let mut producer = Command::new("/bin/echo")
        .env_clear()
        .arg("through a pipe")
        .stdout(Stdio::piped())
        .spawn()?;
    let consumer = Command::new("tr")
        .args(["a-z", "A-Z"])
        .stdin(producer.stdout.take().expect("piped stdout"))
        .output()?;
    println!("pipeline: producer {}", status(producer.wait()?));
    println!("pipeline: consumer {}", status(consumer.status));
    show("pipeline stdout", &consumer.stdout);
    Ok(2)
}

/// Several children in a row, writing into our stdin.
fn many() -> io::Result<u32> {
    let mut total = 0;
    for i in 0..10 {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        child.stdin.take().expect("piped stdin").write_all(format!("{i}\n").as_bytes())?;
        let out = child.wait_with_output()?;
        total += String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().unwrap_or(1000);
    }
    println!("many: sum of what 10 cats echoed = {total}");
    Ok(10)
}

/// A signal death is reported as such.
fn killed() -> io::Result<u32> {
    let st = Command::new("sh").args(["-c", "kill -TERM $$"]).status()?;
    println!("killed: {}", status(st));
    Ok(1)
}

fn main() -> io::Result<()> {
    let dir = std::env::args().nth(1).expect("usage: command_test SCRATCH_DIR");
    fs::create_dir_all(format!("{dir}/sub"))?;
    let spawns = full(&dir)? + missing()? + pipeline()? + many()? + killed()?;
    println!("spawns={spawns}");
    Ok(())
}
