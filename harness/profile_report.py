#!/usr/bin/env python3
"""Where each spawn method's kernel work goes, from ftrace's function profiler.

  profile_report.py DIR > profile.md

DIR holds METHOD.txt per method, as spawnbench's profile mode writes them:
"# spawns N", then trace_stat/function<cpu> (function, hits, self time with
options/graph-time off). Under -icount one instruction is one nanosecond, so
the time is an instruction count, the profiler's own cost included; the call
counts are exact. Idle functions are left out of the totals.
"""
import os
import re
import sys

LINE = re.compile(r"^\s*(\S+)\s+(\d+)\s+([\d.]+) us\b")
IDLE = re.compile(r"idle|halt|mwait", re.I)
ORDER = ["vfork", "clone3_vfork", "io_uring_spawn", "io_uring_spawn_batch",
         "posix_spawn", "pidfd_spawn", "fork"]


def load(path):
    """{function: (calls per spawn, µs per spawn)} and the spawn count."""
    spawns, raw = 0, {}
    with open(path) as f:
        for line in f:
            if line.startswith("# spawns "):
                spawns = int(line.split()[2])
                continue
            m = LINE.match(line)
            if m:
                calls, us = raw.get(m.group(1), (0, 0.0))
                raw[m.group(1)] = (calls + int(m.group(2)),
                                   us + float(m.group(3)))
    if not spawns:
        raise SystemExit(f"{path}: no '# spawns' line")
    return spawns, {k: (c / spawns, t / spawns) for k, (c, t) in raw.items()}


SWITCHES = ("parent_voluntary", "parent_involuntary",
            "child_voluntary", "child_involuntary")


def switches(path):
    """{kind: context switches per spawn} from the "# switches" line, or None."""
    spawns, counts = 0, None
    with open(path) as f:
        for line in f:
            if line.startswith("# spawns "):
                spawns = int(line.split()[2])
            elif line.startswith("# switches "):
                w = line.split()[2:]
                counts = dict(zip(w[0::2], (int(x) for x in w[1::2])))
    if not spawns or counts is None or set(counts) != set(SWITCHES):
        return None
    return {k: counts[k] / spawns for k in SWITCHES}


def totals(prof):
    busy = {k: v for k, v in prof.items() if not IDLE.search(k)}
    return (sum(c for c, _ in busy.values()), sum(t for _, t in busy.values()))


def diff_table(a_name, a, b_name, b, n=25):
    """The functions where a costs most more than b, and the reverse."""
    keys = set(a) | set(b)
    rows = []
    for k in keys:
        if IDLE.search(k):
            continue
        ca, ta = a.get(k, (0, 0.0))
        cb, tb = b.get(k, (0, 0.0))
        rows.append((ta - tb, k, ca, cb, ta, tb))
    out = []
    for title, sel in ((f"{a_name} more than {b_name}", rows),
                       (f"{b_name} more than {a_name}",
                        [(-r[0],) + r[1:] for r in rows])):
        out.append(f"\n{title} (per spawn; top {n} by self time):\n")
        out.append(f"| function | calls {a_name} | calls {b_name} | µs {a_name} | µs {b_name} | µs difference |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for d, k, ca, cb, ta, tb in sorted(sel, reverse=True)[:n]:
            if d <= 0:
                break
            out.append(f"| `{k}` | {ca:.2f} | {cb:.2f} | {ta:.2f} | {tb:.2f} | {d:+.2f} |")
    return "\n".join(out)


def main():
    d = sys.argv[1]
    profs = {}
    for name in sorted(os.listdir(d)):
        if name.endswith(".txt"):
            spawns, prof = load(os.path.join(d, name))
            profs[name[:-4]] = (spawns, prof)
    if "vfork" not in profs or "io_uring_spawn" not in profs:
        raise SystemExit("need at least vfork and io_uring_spawn profiles")
    names = [m for m in ORDER if m in profs] + sorted(set(profs) - set(ORDER))
    vc, vt = totals(profs["vfork"][1])
    print("# Kernel work per spawn, by method (ftrace function profiler, -icount)\n")
    print("Self time under `-icount` (1 instruction = 1 ns) with the profiler's own")
    print("cost in it: compare methods, not with make bench. Calls are exact.\n")
    print("| method | spawns | kernel calls per spawn | ratio to vfork | kernel µs per spawn | ratio to vfork |")
    print("|---|---:|---:|---:|---:|---:|")
    for m in names:
        spawns, prof = profs[m]
        c, t = totals(prof)
        print(f"| {m} | {spawns} | {c:.0f} | {c / vc:.2f} | {t:.1f} | {t / vt:.2f} |")
    sw = {m: switches(os.path.join(d, m + ".txt")) for m in names}
    if any(sw.values()):
        print("\n## Context switches per spawn\n")
        print("From getrusage(): the parent's, and its reaped children's whole")
        print("lives (exit included). Involuntary: preempted, say by a wake-up.\n")
        print("| method | parent voluntary | parent involuntary | child voluntary | child involuntary | total |")
        print("|---|---:|---:|---:|---:|---:|")
        for m in names:
            if sw[m]:
                v = [sw[m][k] for k in SWITCHES]
                print(f"| {m} | " + " | ".join(f"{x:.2f}" for x in v) + f" | {sum(v):.2f} |")
    print("\n## io_uring_spawn against vfork")
    print(diff_table("io_uring_spawn", profs["io_uring_spawn"][1],
                     "vfork", profs["vfork"][1]))
    if "posix_spawn" in profs:
        print("\n## io_uring_spawn against posix_spawn")
        print(diff_table("io_uring_spawn", profs["io_uring_spawn"][1],
                         "posix_spawn", profs["posix_spawn"][1], 15))


if __name__ == "__main__":
    main()
