#!/usr/bin/env python3
"""Turn spawnbench's JSON lines into results.json, an RST table and a PNG.

  bench_report.py OUT_DIR RAW.jsonl...

results.json: one record per method, parent size and mode with n, median_ns,
min_ns, p90_ns and ratio_to_vfork (median over vfork's median in the same
parent size and mode; throughput records over vfork_throughput's).
"""
import json
import os
import sys

PARENTS = ["small", "1g_untouched", "1g_touched"]
ORDER = ["fork", "vfork", "posix_spawn", "pidfd_spawn", "clone3_vfork",
         "io_uring_spawn", "io_uring_spawn_batch", "exec_floor"]


def load(paths):
    records, absent = [], {}
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                r = json.loads(line)
                if r.get("available") is False:
                    absent[r["method"]] = r["why"]
                else:
                    records.append(r)
    return records, absent


def add_ratios(records):
    base = {}
    for r in records:
        if r["method"] in ("vfork", "vfork_throughput"):
            base[(r["method"].endswith("_throughput"), r["parent"], r["mode"])] = r["median_ns"]
    for r in records:
        b = base.get((r["method"].endswith("_throughput"), r["parent"], r["mode"]))
        r["ratio_to_vfork"] = round(r["median_ns"] / b, 3) if b else None
    return records


def us(ns):
    return "%.1f" % (ns / 1000.0)


def table(records, absent):
    lines = []
    modes = sorted({r["mode"] for r in records})
    for mode in modes:
        title = "Time to the child's first instruction, %s clock (µs; ratio to vfork)" % mode
        lines += [title, "-" * len(title), ""]
        head = ["method"] + ["%s median" % p for p in PARENTS] + ["small min", "small p90"]
        rows = []
        for m in ORDER:
            cells = [m]
            by_parent = {r["parent"]: r for r in records if r["method"] == m and r["mode"] == mode}
            if not by_parent:
                if m in absent:
                    rows.append([m] + ["n/a"] * (len(head) - 1))
                continue
            for p in PARENTS:
                r = by_parent.get(p)
                cells.append("%s (%.2f)" % (us(r["median_ns"]), r["ratio_to_vfork"]) if r else "-")
            s = by_parent.get("small")
            cells += [us(s["min_ns"]), us(s["p90_ns"])] if s else ["-", "-"]
            rows.append(cells)
        tput = [r for r in records if r["mode"] == mode and r["method"].endswith("_throughput")]
        lines += rst_table(head, rows) + [""]
        if tput:
            blocks = tput[0].get("blocks")
            lines += ["Build-like run: %d processes, two in flight, %s clock%s"
                      % (tput[0]["n"], mode, ", %d interleaved blocks" % blocks if blocks else ""), ""]
            lines += rst_table(["method", "total (ms)", "per process median (µs)", "min", "p90", "ratio to vfork"],
                               [[r["method"].replace("_throughput", ""), "%.1f" % (r["total_ns"] / 1e6),
                                 us(r["median_ns"]), us(r["min_ns"]), us(r["p90_ns"]),
                                 "%.2f" % r["ratio_to_vfork"]] for r in tput]) + [""]
    for m, why in sorted(absent.items()):
        lines.append("- %s: not measured (%s)" % (m, why))
    return "\n".join(lines) + "\n"


def rst_table(head, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    sep = "  ".join("=" * w for w in widths)
    fmt = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()
    return [sep, fmt(head), sep] + [fmt(r) for r in rows] + [sep]


def chart(records, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    modes = sorted({r["mode"] for r in records})
    fig, axes = plt.subplots(1, len(modes), figsize=(7 * len(modes), 4.5), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        methods = [m for m in ORDER if any(r["method"] == m and r["mode"] == mode for r in records)]
        width = 0.8 / len(PARENTS)
        for i, p in enumerate(PARENTS):
            vals = []
            for m in methods:
                r = next((r for r in records if r["method"] == m and r["mode"] == mode and r["parent"] == p), None)
                vals.append(r["median_ns"] / 1000.0 if r else 0)
            ax.bar([x + i * width for x in range(len(methods))], vals, width, label=p)
        ax.set_xticks([x + width for x in range(len(methods))])
        ax.set_xticklabels(methods, rotation=30, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("median µs to first instruction (log)")
        ax.set_title("%s clock" % mode)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv):
    out, raws = argv[1], argv[2:]
    records, absent = load(raws)
    if not records:
        print("no results", file=sys.stderr)
        return 1
    add_ratios(records)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(records, f, indent=1)
    text = table(records, absent)
    with open(os.path.join(out, "results.rst"), "w") as f:
        f.write(text)
    chart(records, os.path.join(out, "results.png"))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
