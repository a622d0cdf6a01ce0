#!/usr/bin/env python3
"""Decide pass or fail from what a guest run left in its results folder.

Layers: KUnit (KTAP in the kernel log, parsed by the kernel's own
tools/testing/kunit/kunit.py), kselftests (TAP from run_kselftest.sh), Rust
userspace tests (libtest output), and the kernel log itself: any WARN, BUG,
Oops, KASAN, lockdep, kmemleak or RCU-stall report fails the run.

  verdict.py guest RESULTS KSRC    write RESULTS/summary/guest-*.json
  verdict.py summary DIR LAYER PASSED FAILED [PROBLEM...]
                                   write DIR/LAYER.json for a layer the
                                   shell scripts count themselves
  verdict.py total SUMMARY_DIR...  print the totals line, exit 1 on failure
"""
import json
import os
import re
import subprocess
import sys

# Reports that mean the kernel misbehaved, whatever the tests said.
KERNEL_REPORTS = [
    (re.compile(r"WARNING: CPU: \d+ PID: \d+"), "kernel WARN"),
    (re.compile(r"\bBUG: "), "kernel BUG"),
    (re.compile(r"\bOops\b|general protection fault"), "kernel Oops"),
    (re.compile(r"Kernel panic"), "kernel panic"),
    (re.compile(r"KASAN: |kasan_report"), "KASAN report"),
    (re.compile(r"WARNING: (possible (circular|recursive|irq)|inconsistent lock|"
                r"suspicious RCU|bad unlock|lock held)"), "lockdep report"),
    (re.compile(r"INFO: (possible|trying to register non-static key)"),
     "lockdep report"),
    (re.compile(r"unreferenced object 0x"), "kmemleak report"),
    (re.compile(r"rcu: INFO: rcu_\w+ (self-)?detected stall|"
                r"rcu_\w+ detected stalls"), "RCU stall"),
    (re.compile(r"INFO: task .* blocked for more than"), "hung task"),
    (re.compile(r"ODEBUG: "), "debugobjects report"),
    (re.compile(r"list_(add|del) corruption"), "list corruption"),
    (re.compile(r"UBSAN: "), "UBSAN report"),
]


def scan_kernel_log(text):
    """Return a list of (kind, line) for every report in a kernel log."""
    found = []
    for line in text.splitlines():
        for pat, kind in KERNEL_REPORTS:
            if pat.search(line):
                found.append((kind, line.strip()))
                break
    return found


KTAP_START = re.compile(r"^(\[\s*\d+\.\d+\] )?(K)?TAP version \d+$")


def ktap_runs(text):
    """Split a kernel log into KUnit runs. Built-in suites print one KTAP
    document at boot; each module that carries suites prints another when it
    loads. kunit.py parses only the first document of its input."""
    runs, cur = [], None
    for line in text.splitlines(keepends=True):
        if KTAP_START.match(line.rstrip("\n")):
            cur = []
            runs.append(cur)
        if cur is not None:
            cur.append(line)
    return ["".join(r) for r in runs]


def kunit_counts(dmesg_path, ksrc):
    """Parse KTAP with kunit.py; return (passed, failed, skipped, problems)."""
    kunit = os.path.join(ksrc, "tools/testing/kunit/kunit.py")
    # kunit.py changes directory: give it absolute paths.
    dmesg_path = os.path.abspath(dmesg_path)
    with open(dmesg_path, errors="replace") as f:
        runs = ktap_runs(f.read())
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0, "ERROR": 0}
    failed_names = []
    problems = []
    if not runs:
        return 0, 0, 0, ["no KUnit results in the kernel log"]

    def walk(group, prefix):
        for case in group.get("test_cases", []):
            counts[case["status"]] = counts.get(case["status"], 0) + 1
            if case["status"] in ("FAIL", "ERROR"):
                failed_names.append(prefix + case["name"])
        for sub in group.get("sub_groups", []):
            walk(sub, prefix + sub["name"] + ".")

    for i, run in enumerate(runs):
        log_path = "%s.kunit%d.log" % (dmesg_path, i)
        json_path = "%s.kunit%d.json" % (dmesg_path, i)
        with open(log_path, "w") as f:
            f.write(run)
        proc = subprocess.run(
            [sys.executable, kunit, "parse", "--json=" + json_path, log_path],
            capture_output=True, text=True)
        with open("%s.kunit%d.txt" % (dmesg_path, i), "w") as f:
            f.write(proc.stdout + proc.stderr)
        if not os.path.exists(json_path):
            problems.append("kunit.py parse produced no JSON (exit %d)" % proc.returncode)
            continue
        with open(json_path) as f:
            before = len(failed_names)
            walk(json.load(f), "")
        if proc.returncode != 0 and len(failed_names) == before:
            problems.append("kunit.py parse reported a failure (exit %d)" % proc.returncode)
    if sum(counts.values()) == 0:
        problems.append("no KUnit results in the kernel log")
    for name in failed_names:
        problems.append("KUnit case failed: " + name)
    return counts["PASS"], counts["FAIL"] + counts["ERROR"], counts["SKIP"], problems


TAP_TOP = re.compile(r"^(not ok|ok) \d+ (.*?)(?:\s+#\s*(\w*).*)?$")
TAP_SUB = re.compile(r"^#\s+(not ok|ok) \d+ (.*?)(?:\s+#\s*(\w*).*)?$")


def tap_counts(tap_text, what="kselftest"):
    """Count TAP results. A binary that reports its own cases (the
    kselftest harness prints them as '# ok N name') counts by its cases; a
    binary without cases counts as one. A binary that failed counts as a
    failure even when all its cases passed (it crashed or timed out).
    "# SKIP" is a skip; "# TODO" (a known, documented difference) is a
    skip too, never a pass."""
    passed = failed = skipped = 0
    problems = []
    sub = []
    for line in tap_text.splitlines():
        m = TAP_SUB.match(line)
        if m:
            sub.append(m.groups())
            continue
        m = TAP_TOP.match(line)
        if not m:
            continue
        status, name, directive = m.groups()
        sub_fail = [s for s in sub if s[0] == "not ok" and s[2] not in ("SKIP", "XFAIL", "TODO")]
        if sub:
            for s_status, s_name, s_dir in sub:
                if s_dir in ("SKIP",):
                    skipped += 1
                elif s_status == "ok" or s_dir in ("XFAIL", "TODO"):
                    passed += 1
                else:
                    failed += 1
                    problems.append("%s case failed: %s: %s" % (what, name, s_name))
        if status == "not ok" and directive not in ("SKIP", "TODO") and not sub_fail:
            failed += 1
            problems.append("%s failed: %s" % (what, name))
        elif not sub:
            if directive in ("SKIP", "TODO"):
                skipped += 1
            elif status == "ok":
                passed += 1
        sub = []
    return passed, failed, skipped, problems


def tap_layer(results, out, layer, tap_name, rc_name, what):
    """One guest layer from a TAP file and the exit status of its runner."""
    tap = read(os.path.join(results, tap_name))
    if tap is None:
        write_summary(out, layer, 0, 1, 0, ["no %s output" % what])
        return
    p, f, s, probs = tap_counts(tap, what)
    rc = (read(os.path.join(results, rc_name)) or "").strip() if rc_name else "0"
    if rc not in ("", "0") and not f:
        f += 1
        probs.append("%s exited with status %s" % (what, rc))
    if p + f + s == 0:
        f, probs = 1, ["%s output has no results" % what]
    write_summary(out, layer, p, f, s, probs)


LIBTEST_CASE = re.compile(r"^test (\S+) \.\.\. (ok|FAILED|ignored)")


def rust_counts(log_text, rc_text):
    passed = failed = skipped = 0
    problems = []
    for line in log_text.splitlines():
        m = LIBTEST_CASE.match(line)
        if not m:
            continue
        if m.group(2) == "ok":
            passed += 1
        elif m.group(2) == "ignored":
            skipped += 1
        else:
            failed += 1
            problems.append("Rust test failed: " + m.group(1))
    for line in rc_text.splitlines():
        name, rc = line.rsplit(" ", 1)
        if rc != "0" and not problems:
            failed += 1
            problems.append("Rust test binary %s exited %s" % (name, rc))
    return passed, failed, skipped, problems


def write_summary(out_dir, layer, passed, failed, skipped, problems):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, layer + ".json"), "w") as f:
        json.dump({"layer": layer, "passed": passed, "failed": failed,
                   "skipped": skipped, "problems": problems}, f, indent=1)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def guest(results, ksrc, expect_kselftest, expect_rust, expect_userspace=False,
          expect_doctests=False, expect_stress=False):
    out = os.path.join(results, "summary")
    dmesg = os.path.join(results, "dmesg.log")
    console = read(os.path.join(results, "console.log")) or ""
    problems = []
    if read(os.path.join(results, "guest-done")) is None:
        problems.append("the guest did not finish its test script "
                        "(crash, panic or timeout); see console.log")
    log_text = read(dmesg)
    if log_text is None:
        # Fall back to the console, which carries the kernel log too.
        log_text = console
        with open(dmesg, "w") as f:
            f.write(console)
    reports = scan_kernel_log(log_text + "\n" + (read(os.path.join(results, "kmemleak.log")) or ""))
    # The console may hold reports the guest never got to save.
    for r in scan_kernel_log(console):
        if r not in reports:
            reports.append(r)
    for kind, line in reports:
        problems.append("%s in the guest kernel log: %s" % (kind, line))
    write_summary(out, "guest-kernel-log", 0, 1 if problems else 0, 0, problems)

    write_summary(out, "guest-kunit", *kunit_counts(dmesg, ksrc))

    if expect_kselftest:
        tap = read(os.path.join(results, "kselftest.tap"))
        if tap is None:
            write_summary(out, "guest-kselftest", 0, 1, 0, ["no kselftest output"])
        else:
            p, f, s, probs = tap_counts(tap)
            if p + f + s == 0:
                f, probs = 1, ["kselftest output has no results"]
            write_summary(out, "guest-kselftest", p, f, s, probs)
    if expect_userspace:
        tap_layer(results, out, "guest-userspace", "userspace.tap", "userspace.rc",
                  "userspace test")
    if expect_doctests:
        tap_layer(results, out, "guest-doctests", "doctests.tap", None, "doc example")
    if expect_stress:
        tap_layer(results, out, "guest-stress", "stress.tap", "stress.rc", "stress/fuzz")
    if expect_rust:
        log = read(os.path.join(results, "rust-tests.log"))
        rc = read(os.path.join(results, "rust-tests.rc")) or ""
        if log is None:
            write_summary(out, "guest-rust", 0, 1, 0, ["no Rust test output"])
        else:
            p, f, s, probs = rust_counts(log, rc)
            if p + f + s == 0:
                f, probs = 1, ["Rust tests ran no test"]
            write_summary(out, "guest-rust", p, f, s, probs)


def total(dirs, label):
    """Sum the summaries in `dirs`; a `PREFIX=DIR` argument names the layers
    of DIR as PREFIX-layer (CI adds a debug run to the plain one)."""
    passed = failed = skipped = 0
    problems = []
    for d in dirs:
        prefix = ""
        if "=" in d:
            prefix, d = d.split("=", 1)
            prefix += "-"
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(d, name)) as f:
                s = json.load(f)
            print("  %-22s %4d passed, %d failed, %d skipped"
                  % (prefix + s["layer"], s["passed"], s["failed"], s["skipped"]))
            passed += s["passed"]
            failed += s["failed"]
            skipped += s["skipped"]
            problems += [prefix + p for p in s["problems"]]
    for p in problems:
        print("FAIL: " + p)
    prefix = label + ": " if label else ""
    print("%s%d passed, %d failed, %d skipped" % (prefix, passed, failed, skipped))
    return 1 if failed or problems else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "guest":
        flags = argv[4:] if len(argv) > 4 else []
        guest(argv[2], argv[3], "--kselftest" in flags, "--rust" in flags,
              "--userspace" in flags, "--doctests" in flags, "--stress" in flags)
        return 0
    if len(argv) >= 6 and argv[1] == "summary":
        write_summary(argv[2], argv[3], int(argv[4]), int(argv[5]), 0, argv[6:])
        return 0
    if len(argv) >= 3 and argv[1] == "total":
        label = ""
        dirs = argv[2:]
        if dirs[0].startswith("--label="):
            label = dirs[0].split("=", 1)[1]
            dirs = dirs[1:]
        return total(dirs, label)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
