#!/usr/bin/env python3
"""Unit tests of harness/verdict.py on synthetic guest output: each kind of
failure alone must fail the verdict, with a message that names it. Also of
harness/profile_report.py (make profile) on synthetic ftrace profiles.

  test_verdict.py [--summary FILE] KSRC
"""
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import profile_report  # noqa: E402
import verdict  # noqa: E402

KSRC = None

KTAP_PASS = """\
[    1.000000] KTAP version 1
[    1.000001] 1..1
[    1.000002]     KTAP version 1
[    1.000003]     # Subtest: demo
[    1.000004]     # module: demo
[    1.000005]     1..2
[    1.000006]     ok 1 first
[    1.000007]     ok 2 second # SKIP not here
[    1.000008] ok 1 demo
"""

KTAP_FAIL = KTAP_PASS.replace("    ok 1 first", "    not ok 1 first").replace(
    "] ok 1 demo", "] not ok 1 demo")

KSFT_TAP = """\
TAP version 13
1..2
# timeout set to 45
# selftests: spawn: spawn_test
# TAP version 13
# 1..3
# #  RUN           global.a ...
# #            OK  global.a
# ok 1 global.a
# not ok 2 global.b
# ok 3 global.c # SKIP no feature
not ok 1 selftests: spawn: spawn_test # exit=1
# selftests: spawn: plain
ok 2 selftests: spawn: plain
"""


def guest_dir(files):
    d = tempfile.mkdtemp(prefix="verdict-test-")
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


def run_total(d):
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = verdict.total([os.path.join(d, "summary")], "")
    return rc, buf.getvalue()


class KernelLog(unittest.TestCase):
    def test_clean_log_has_no_reports(self):
        self.assertEqual(verdict.scan_kernel_log(KTAP_PASS + "[ 2.0] random: crng init done\n"), [])

    def test_each_report_kind_is_found(self):
        cases = {
            "kernel WARN": "[ 5.1] WARNING: CPU: 1 PID: 77 at fs/exec.c:10 f+0x1/0x2",
            "kernel BUG": "[ 5.1] BUG: kernel NULL pointer dereference, address: 0",
            "KASAN report": "[ 5.1] BUG: KASAN: slab-use-after-free in io_req",
            "lockdep report": "[ 5.1] WARNING: possible circular locking dependency detected",
            "kmemleak report": "unreferenced object 0xffff888003d2c000 (size 64):",
            "RCU stall": "[ 9.1] rcu: INFO: rcu_preempt self-detected stall on CPU",
            "hung task": "[ 9.1] INFO: task spawn:12 blocked for more than 120 seconds.",
            "kernel Oops": "[ 9.1] Oops: general protection fault, probably for",
        }
        for kind, line in cases.items():
            found = verdict.scan_kernel_log("[ 1.0] ok\n" + line + "\n")
            self.assertEqual(len(found), 1, line)
            # KASAN lines start with "BUG:" too; either name fails the run.
            if kind != "KASAN report":
                self.assertEqual(found[0][0], kind)


class KUnit(unittest.TestCase):
    def counts(self, text):
        d = guest_dir({"dmesg.log": text})
        return verdict.kunit_counts(os.path.join(d, "dmesg.log"), KSRC)

    def test_passing_suite(self):
        p, f, s, probs = self.counts(KTAP_PASS)
        self.assertEqual((p, f, s, probs), (1, 0, 1, []))

    def test_failing_case_is_named(self):
        p, f, s, probs = self.counts(KTAP_FAIL)
        self.assertEqual(f, 1)
        self.assertIn("KUnit case failed: demo.first", probs)

    def test_module_suite_after_boot_suites_is_parsed(self):
        # A module's suite prints a KTAP document of its own after boot.
        module_run = KTAP_FAIL.replace("demo", "mod")
        p, f, s, probs = self.counts(KTAP_PASS + "[ 7.0] insmod noise\n" + module_run)
        self.assertEqual((p, f), (1, 1))
        self.assertIn("KUnit case failed: mod.first", probs)

    def test_no_ktap_is_a_failure(self):
        _, _, _, probs = self.counts("[ 1.0] no tests here\n")
        self.assertTrue(probs)


class Kselftest(unittest.TestCase):
    def test_cases_counted_and_failure_named(self):
        p, f, s, probs = verdict.tap_counts(KSFT_TAP)
        self.assertEqual((p, f, s), (2, 1, 1))
        self.assertIn("kselftest case failed: selftests: spawn: spawn_test: global.b", probs)

    def test_binary_failing_without_failed_case(self):
        tap = "1..1\n# ok 1 global.a\nnot ok 1 selftests: x: y # TIMEOUT 45 seconds\n"
        p, f, s, probs = verdict.tap_counts(tap)
        self.assertEqual((p, f), (1, 1))
        self.assertIn("kselftest failed: selftests: x: y", probs)


class Rust(unittest.TestCase):
    def test_libtest_output(self):
        log = "test a ... ok\ntest b ... FAILED\ntest c ... ignored\n"
        p, f, s, probs = verdict.rust_counts(log, "ring-123 101\n")
        self.assertEqual((p, f, s), (1, 1, 1))
        self.assertIn("Rust test failed: b", probs)

    def test_crashed_binary(self):
        p, f, s, probs = verdict.rust_counts("test a ... ok\n", "ring-123 139\n")
        self.assertEqual(f, 1)


class Guest(unittest.TestCase):
    def full(self, **over):
        files = {"dmesg.log": KTAP_PASS, "guest-done": "done\n",
                 "kselftest.tap": KSFT_TAP.replace("not ok 2 global.b", "ok 2 global.b")
                 .replace("not ok 1 selftests", "ok 1 selftests"),
                 "rust-tests.log": "test a ... ok\n", "rust-tests.rc": "t 0\n",
                 "console.log": ""}
        files.update(over)
        files = {k: v for k, v in files.items() if v is not None}
        d = guest_dir(files)
        verdict.guest(d, KSRC, True, True)
        return run_total(d)

    def test_all_good_passes(self):
        rc, out = self.full()
        self.assertEqual(rc, 0, out)
        self.assertIn("5 passed, 0 failed, 2 skipped", out)

    def test_warn_alone_fails(self):
        rc, out = self.full(**{"dmesg.log": KTAP_PASS + "[ 3.0] WARNING: CPU: 0 PID: 1 at x.c:1 f\n"})
        self.assertEqual(rc, 1)
        self.assertIn("kernel WARN in the guest kernel log", out)

    def test_kunit_failure_alone_fails(self):
        rc, out = self.full(**{"dmesg.log": KTAP_FAIL})
        self.assertEqual(rc, 1)
        self.assertIn("KUnit case failed: demo.first", out)

    def test_kselftest_failure_alone_fails(self):
        rc, out = self.full(**{"kselftest.tap": KSFT_TAP})
        self.assertEqual(rc, 1)
        self.assertIn("global.b", out)

    def test_unfinished_guest_fails(self):
        rc, out = self.full(**{"guest-done": None, "dmesg.log": None,
                               "console.log": KTAP_PASS + "[ 9.0] Kernel panic - not syncing\n"})
        self.assertEqual(rc, 1)
        self.assertIn("did not finish", out)
        self.assertIn("kernel panic", out)

    def test_kmemleak_report_fails(self):
        rc, out = self.full(**{"kmemleak.log": "unreferenced object 0xffff1 (size 8):\n"})
        self.assertEqual(rc, 1)
        self.assertIn("kmemleak report", out)


# trace_stat/function<cpu> as the profiler writes it (graph-time off).
STAT_CPU0 = """\
  Function                               Hit    Time            Avg             s^2
  --------                               ---    ----            ---             ---
  copy_process                            10    50.000 us       5.000 us        0.100 us
  default_idle                             4    900.000 us      225.000 us      1.000 us
  io_submit_sqes                          10    20.000 us       2.000 us        0.100 us
"""
STAT_CPU1 = """\
  Function                               Hit    Time            Avg             s^2
  --------                               ---    ----            ---             ---
  copy_process                            10    30.000 us       3.000 us        0.100 us
"""


class ProfileReport(unittest.TestCase):
    def write(self, text):
        d = tempfile.mkdtemp(prefix="profile-test-")
        path = os.path.join(d, "m.txt")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_per_spawn_and_cpus_summed(self):
        spawns, prof = profile_report.load(self.write("# spawns 10\n" + STAT_CPU0 + STAT_CPU1))
        self.assertEqual(spawns, 10)
        self.assertEqual(prof["copy_process"], (2.0, 8.0))
        self.assertEqual(prof["io_submit_sqes"], (1.0, 2.0))

    def test_idle_left_out_of_totals(self):
        _, prof = profile_report.load(self.write("# spawns 10\n" + STAT_CPU0))
        self.assertEqual(profile_report.totals(prof), (2.0, 7.0))

    def test_no_spawn_count_is_an_error(self):
        with self.assertRaises(SystemExit):
            profile_report.load(self.write(STAT_CPU0))

    def test_diff_names_the_extra_work(self):
        _, a = profile_report.load(self.write("# spawns 10\n" + STAT_CPU0))
        _, b = profile_report.load(self.write("# spawns 10\n" + STAT_CPU1))
        table = profile_report.diff_table("a", a, "b", b)
        more_a = table.split("b more than a")[0]
        self.assertIn("`io_submit_sqes` | 1.00 | 0.00", more_a)
        self.assertNotIn("default_idle", table)

    def test_switches_per_spawn(self):
        line = ("# switches parent_voluntary 20 parent_involuntary 5 "
                "child_voluntary 0 child_involuntary 30\n")
        sw = profile_report.switches(self.write("# spawns 10\n" + line + STAT_CPU0))
        self.assertEqual(sw, {"parent_voluntary": 2.0, "parent_involuntary": 0.5,
                              "child_voluntary": 0.0, "child_involuntary": 3.0})
        # A profile from before the line existed, or a line cut short.
        self.assertIsNone(profile_report.switches(self.write("# spawns 10\n" + STAT_CPU0)))
        short = "# switches parent_voluntary 20\n"
        self.assertIsNone(profile_report.switches(self.write("# spawns 10\n" + short)))

    def test_report_has_the_switch_table(self):
        d = tempfile.mkdtemp(prefix="profile-test-")
        for name, vol in (("vfork", 20), ("io_uring_spawn", 30)):
            with open(os.path.join(d, name + ".txt"), "w") as f:
                f.write(f"# spawns 10\n# switches parent_voluntary {vol} parent_involuntary 0 "
                        f"child_voluntary 10 child_involuntary 10\n" + STAT_CPU0)
        buf = io.StringIO()
        with redirect_stdout(buf), mock.patch.object(sys, "argv", ["x", d]):
            profile_report.main()
        out = buf.getvalue()
        self.assertIn("| vfork | 2.00 | 0.00 | 1.00 | 1.00 | 4.00 |", out)
        self.assertIn("| io_uring_spawn | 3.00 | 0.00 | 1.00 | 1.00 | 5.00 |", out)


def main():
    global KSRC
    args = sys.argv[1:]
    summary = None
    if args and args[0] == "--summary":
        summary, args = args[1], args[2:]
    KSRC = args[0]
    result = unittest.TextTestRunner(verbosity=1).run(
        unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__]))
    failed = len(result.failures) + len(result.errors)
    if summary:
        probs = ["harness verdict test failed: " + t.id() for t, _ in result.failures + result.errors]
        with open(summary, "w") as f:
            json.dump({"layer": "host-verdict", "passed": result.testsRun - failed,
                       "failed": failed, "skipped": len(result.skipped),
                       "problems": probs}, f)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
