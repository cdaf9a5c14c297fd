#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The report of bench/storm.sh.

  storm-report.py --rusage FILE      one storm's rusage-wrap log as key=value (helpers=, ...)
  storm-report.py RESULTS [--doc D]  the Markdown tables (stdout) and, with --doc, the section
                                     between the storms markers of docs/PERFORMANCE.md
"""
import argparse
import datetime
import os
import re
import statistics
import sys

STORMS_HEADER = "## Crash storms (`bench/storm.sh`)"
OLD_HEADER = "## Crash storms (printed by the root tests, not a benchmark yet)"
MODE_NAMES = {
    "pipe": "pipe, handler alone (`Handoff=no`)",
    "handoff": "pipe handed to corejournald (`Handoff=auto`)",
    "socket": "socket (`@@`, corejournald)",
    "systemd": "systemd-coredump 252",
}
MODE_ORDER = ["pipe", "handoff", "socket", "systemd"]


def rusage_summary(path):
    """Helpers started for one storm: how many, peak and summed ru_maxrss, CPU, and how many ran at
    once with the sum of their peaks (an upper bound of the memory they held together)."""
    spans = []
    with open(path) as f:
        for line in f:
            kv = dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)
            try:
                spans.append((int(kv["start_mono_usec"]), int(kv["end_mono_usec"]), int(kv["maxrss_kib"]),
                              int(kv["utime_usec"]) + int(kv["stime_usec"])))
            except (KeyError, ValueError):
                continue
    events = sorted([(s, 1, rss) for s, _, rss, _ in spans] + [(e, -1, rss) for _, e, rss, _ in spans],
                    key=lambda x: (x[0], x[1]))
    alive = alive_max = rss = rss_max = 0
    for _, d, r in events:
        alive += d
        rss += d * r
        alive_max = max(alive_max, alive)
        rss_max = max(rss_max, rss)
    return (f"helpers={len(spans)} helper_peak_kib={max((x[2] for x in spans), default=0)} "
            f"helper_sum_kib={sum(x[2] for x in spans)} helper_cpu_usec={sum(x[3] for x in spans)} "
            f"alive_max={alive_max} alive_rss_kib={rss_max}")


def parse(path):
    storms, lat = [], []
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            kv = dict(x.split("=", 1) for x in words[1:] if "=" in x)
            (storms if words[0] == "storm" else lat).append(kv)
    return storms, lat


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, unit="", digits=1):
    return "—" if v is None else f"{v:.{digits}f}{unit}"


def spread(xs, digits=0):
    """The median, and the range when the runs differ."""
    xs = [x for x in xs if x is not None]
    if not xs:
        return "—"
    m = f"{statistics.median(xs):.{digits}f}"
    return m if min(xs) == max(xs) else f"{m} ({min(xs):.{digits}f}–{max(xs):.{digits}f})"


def storm_table(storms):
    keys = sorted({(int(s["n"]), s["mode"], int(s["limit"])) for s in storms},
                  key=lambda k: (k[0], MODE_ORDER.index(k[1]), -k[2]))
    # systemd-coredump's storm of the same run, N and core_pipe_limit (N+16 for the modes that have none).
    sd = {(s["run"], int(s["n"]), int(s["limit"])): s for s in storms if s["mode"] == "systemd"}

    def ratio(s, field):
        ref = sd.get((s["run"], int(s["n"]), int(s["limit"]) if s["mode"] != "socket" else int(s["n"]) + 16))
        a, b = num(s.get(field)), num(ref.get(field)) if ref else None
        return a / b if a is not None and b else None

    rows = ["| N | mode | core_pipe_limit | records / N | cores stored | all reaped (s) | ÷ systemd | last record (s) | ÷ systemd "
            "| via corejournald (longest wait for a worker, s) | corejournald peak RSS (MiB) | helper processes (at most alive at once) | helper peak RSS each (MiB) "
            "| helpers' peaks summed, alive at once (MiB) | helpers' CPU (s) |",
            "|" + "---|" * 3 + "---:|" * 12]
    for n, mode, limit in keys:
        g = [s for s in storms if (int(s["n"]), s["mode"], int(s["limit"])) == (n, mode, limit)]
        is_sd = mode == "systemd"
        rec = spread([num(s["records"]) for s in g])
        cores = spread([num(s["files"]) for s in g])
        reap = med([num(s["reap_usec"]) for s in g])
        last = med([num(s["last_usec"]) for s in g])
        hwm = med([num(s["daemon_hwm_kib"]) for s in g])
        helpers = med([num(s.get("helpers")) for s in g])
        alive = med([num(s.get("alive_max")) for s in g])
        handed = "—"
        if mode == "handoff":
            handed = "{} ({})".format(spread([num(s.get("handed")) for s in g]),
                                      fmt(med([num(s.get("handoff_wait_usec")) for s in g]) / 1e6, digits=2))
        rows.append("| {} | {} | {} | {} / {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            n, MODE_NAMES[mode], "—" if mode == "socket" else limit, rec, n, cores,
            fmt(reap / 1e6 if reap is not None else None, digits=2),
            "1" if is_sd else fmt(med([ratio(s, "reap_usec") for s in g]), "×", 2),
            fmt(last / 1e6 if last is not None else None, digits=2),
            "1" if is_sd else fmt(med([ratio(s, "last_usec") for s in g]), "×", 2), handed,
            fmt(hwm / 1024 if hwm is not None else None),
            "—" if not helpers else f"{helpers:.0f} ({alive:.0f})",
            "—" if not helpers else fmt(med([num(s["helper_peak_kib"]) for s in g]) / 1024),
            "—" if not helpers else fmt(med([num(s["alive_rss_kib"]) for s in g]) / 1024, digits=0),
            "—" if not helpers else fmt(med([num(s["helper_cpu_usec"]) for s in g]) / 1e6, digits=2)))
    return "\n".join(rows)


def latency_table(lat):
    by_run = {}
    for x in lat:
        by_run.setdefault(x["run"], {})[x["mode"]] = x
    rows = ["| mode | crash → reap (ms) | ÷ pipe | crash → record visible (ms) | ÷ pipe |",
            "|---|---:|---:|---:|---:|"]
    for mode in ("pipe", "socket", "handoff"):
        xs = [x for x in lat if x["mode"] == mode]
        if not xs:
            continue
        reap = med([num(x["reap_usec"]) for x in xs])
        vis = med([num(x["visible_usec"]) for x in xs if num(x["visible_usec"]) not in (None, -1)])

        def ratio(field):
            rs = []
            for r in by_run.values():
                if mode in r and "pipe" in r:
                    a, b = num(r[mode][field]), num(r["pipe"][field])
                    if a is not None and b and a >= 0 and b > 0:
                        rs.append(a / b)
            return med(rs)
        rows.append(f"| {MODE_NAMES[mode]} | {fmt(reap / 1e3 if reap else None, digits=2)} | "
                    f"{'1' if mode == 'pipe' else fmt(ratio('reap_usec'), '×', 2)} | "
                    f"{fmt(vis / 1e3 if vis else None)} | {'1' if mode == 'pipe' else fmt(ratio('visible_usec'), '×', 2)} |")
    return "\n".join(rows), len(by_run)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="?")
    ap.add_argument("--rusage")
    ap.add_argument("--doc")
    ap.add_argument("--command", default="bench/storm.sh")
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--systemd-note", default="")
    ap.add_argument("--journald-note", default="")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--load-after", default="")
    ap.add_argument("--handler-info", default="")
    args = ap.parse_args()
    if args.rusage:
        print(rusage_summary(args.rusage))
        return
    storms, lat = parse(args.results)
    st = storm_table(storms)
    lt, lat_runs = latency_table(lat)
    print(st)
    print()
    print(lt)
    if not args.doc:
        return
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sd = (f"systemd-coredump: left out ({args.systemd_note})." if args.systemd_note else
          f"systemd-coredump through `systemd-socket-activate` as in `bench/run.sh`; its records went to {args.journald_note}.")
    block = f"""<!-- storms -->
- Command: `{args.command}` — from the source root, as root, after `ninja -C build`.
- Date: {now}; the run took {args.elapsed // 60} min {args.elapsed % 60} s; {args.runs} storms of each
  row, interleaved (rows rotated from run to run); load average {args.load_before} before,
  {args.load_after} after. corejournal {args.handler_info}. {sd}

{st}

Medians over the runs (records and cores: median, and the range when the runs differ); a ratio is
the median of the per-run ratios against systemd-coredump's storm of the same run, N and
`core_pipe_limit` (N+16 for socket mode, which has no such limit). **all reaped**: from opening the
barrier until the last crasher was reaped by its parent; **last record**: until journald received
the last record (its `__REALTIME_TIMESTAMP`). **helper processes**: the `core_pattern` helpers (and
systemd-coredump's services) that ran, under `bench/rusage-wrap.c`, which logs each one's
`ru_maxrss` and CPU; "alive at once" and the summed peaks of the helpers alive at once come from
their start and end times (an upper bound of what they held together: `ru_maxrss` counts shared
pages in every process). **via corejournald**: records with `COREJOURNAL_HANDOFF=daemon` (the
rest fell back to the handler), and the longest `COREJOURNAL_HANDOFF_WAIT_USEC` (a crasher parked
until a worker took its core). **corejournald peak RSS**:
its `VmHWM` after the storm (a fresh daemon for every storm, 8 workers, the default).

One small crash at a time (`bench/crash-timer.c`, SIGSEGV, no extra memory), {lat_runs} runs per mode,
interleaved, medians (a ratio is the median of the per-run ratios against pipe mode, handler alone),
no wrapper in `core_pattern`, `core_pipe_limit=16`:

{lt}
<!-- /storms -->"""
    with open(args.doc) as f:
        text = f.read()
    if re.search(r"<!-- storms -->.*?<!-- /storms -->", text, re.S):
        text = re.sub(r"<!-- storms -->.*?<!-- /storms -->", lambda _: block, text, flags=re.S)
    elif OLD_HEADER in text:
        # The first run: the section printed by the root tests gives way to the benchmark's.
        text = text[:text.index(OLD_HEADER)] + STORMS_HEADER + "\n\n" + block + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + STORMS_HEADER + "\n\n" + block + "\n"
    with open(args.doc, "w") as f:
        f.write(text)
    print(f"\nwritten to {args.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
