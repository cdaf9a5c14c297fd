#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turns the raw lines of bench/run.sh into the Markdown table (stdout) and, with --doc,
docs/PERFORMANCE.md.

Each raw line is one crash: run=R work=W handler=H, then crash-timer's key=value output, then
"helper:" and the rusage-wrap line of the kernel-spawned helper, then "svc:" and the one of
systemd-coredump's socket-activated service (empty for the others), then stored_bytes= and
alloc_bytes= of the stored file."""
import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys

HANDLERS = ["ours", "devnull", "copy", "systemd"]
LABELS = {
    "touch64": "64 MiB incompressible",
    "touch512": "512 MiB incompressible",
    "touch2048": "2 GiB incompressible",
    "zero64": "64 MiB zero-filled",
    "zero512": "512 MiB zero-filled",
    "zero2048": "2 GiB zero-filled",
    "sparse2048": "2 GiB sparse (1/64 pages)",
    "abort": "small abort()",
    "threads8": "8 threads, SIGSEGV",
}
ORDER = list(LABELS)
TWO_GIB = {"touch2048", "zero2048", "sparse2048"}
MIB = 1024 * 1024


def parse_kv(text):
    return {k: v for k, v in re.findall(r"(\S+?)=(\S*)", text)}


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            head, _, rest = line.partition(" helper: ")
            helper, _, rest = rest.partition(" svc: ")
            m = re.match(r"(.*?)\s*(stored_bytes=.*)$", rest)
            svc, tail = (m.group(1), m.group(2)) if m else ("", rest)
            row = parse_kv(head)
            row.update(parse_kv(tail))
            row["helper"] = parse_kv(helper)
            row["svc"] = parse_kv(svc)
            rows.append(row)
    return rows


def metrics(row):
    """The figures of one crash."""
    crash = int(row["crash_mono_usec"])
    procs = [p for p in (row["helper"], row["svc"]) if p]
    m = {
        "reap": int(row["reap_usec"]) / 1000,
        "done": (max(int(p["end_mono_usec"]) for p in procs) - crash) / 1000,
        "cpu": sum(int(p["utime_usec"]) + int(p["stime_usec"]) for p in procs) / 1000,
        "rss": max(int(p["maxrss_kib"]) for p in procs) / 1024,
        "written": sum(int(p["oublock"]) for p in procs) * 512 / MIB,
        "stored": int(row.get("stored_bytes", 0)) / MIB,
    }
    vis = int(row.get("visible_usec", -1))
    m["visible"] = vis / 1000 if vis >= 0 else None
    if m["stored"] > 0:
        m["wpers"] = m["written"] / m["stored"]
        # the page cache counts whole 4 KiB pages: the least a file of that size can cost
        pages = -(-int(row["stored_bytes"]) // 4096) * 4096
        m["wpages"] = m["written"] / (pages / MIB)
    if "COREJOURNAL_CORE_SIZE" in row:
        m["core"] = int(row["COREJOURNAL_CORE_SIZE"]) / MIB
    if "COREJOURNAL_CORE_READ_USEC" in row:
        m["read"] = int(row["COREJOURNAL_CORE_READ_USEC"]) / 1000
    if "message_lines" in row:
        m["msglines"] = int(row["message_lines"])
    m["fresh"] = row.get("seen_by") == "fresh"
    m["truncated"] = row.get("COREDUMP_TRUNCATED") == "1"
    m["core_ok"] = row.get("core") == "1"
    return m


METRICS = [
    ("reap", "crash → reap (ms)", ["devnull", "copy"]),
    ("visible", "crash → record readable (ms)", []),
    ("done", "crash → helper exit (ms)", ["devnull", "copy"]),
    ("cpu", "helper CPU (ms)", ["devnull", "copy"]),
    ("rss", "helper peak RSS (MiB)", ["devnull", "copy"]),
    ("written", "written to disk (MiB)", ["copy"]),
    ("stored", "stored (MiB)", ["copy"]),
    ("wpers", "written ÷ stored", ["copy"]),
]


def fmt(x):
    if x is None:
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def fmt_ratio(x):
    return "—" if x is None else f"{x:.2f}×"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def failure(row):
    """Why a crash does not count, or None."""
    if row.get("core") != "1":
        return "waitpid() reported no core"
    for p in (row["helper"], row["svc"]):
        if p and p.get("status") != "0":
            return f"helper exit status {int(p.get('status', -1)) >> 8}"
    h = row["handler"]
    if h in ("ours", "systemd") and int(row.get("visible_usec", -1)) < 0:
        return "no record in the journal within the timeout"
    if "COREJOURNAL_CORE_NOT_STORED" in row:
        return f"core not stored ({row['COREJOURNAL_CORE_NOT_STORED']})"
    if h in ("ours", "systemd", "copy") and int(row.get("stored_bytes", 0)) == 0:
        return "no stored file"
    return None


class Data:
    def __init__(self, rows):
        # data[work][handler][run] = metrics
        self.data = {}
        self.failed = []
        for r in rows:
            why = failure(r)
            if why:
                self.failed.append((r["work"], r["handler"], int(r["run"]), why))
                continue
            self.data.setdefault(r["work"], {}).setdefault(r["handler"], {})[int(r["run"])] = metrics(r)
        self.works = [w for w in ORDER if w in self.data] + sorted(w for w in self.data if w not in ORDER)

    def values(self, w, h, key):
        runs = self.data.get(w, {}).get(h, {})
        return {r: m.get(key) for r, m in runs.items()}

    def med(self, w, h, key):
        return median(self.values(w, h, key).values())

    def ratio(self, w, a, b, key):
        """Median over runs of a's figure ÷ b's in the same run (the configurations are
        interleaved run by run, so the pairs share the machine's state)."""
        va, vb = self.values(w, a, key), self.values(w, b, key)
        rs = [va[r] / vb[r] for r in va if r in vb and va[r] is not None and vb[r]]
        return median(rs)

    def n_runs(self, w, h):
        return len(self.data.get(w, {}).get(h, {}))


def crash_label(d, w):
    core = d.med(w, "ours", "core")
    if core is None:
        core = d.med(w, "copy", "stored")
    label = LABELS.get(w, w)
    if core is not None:
        label += f" (core {core:.1f} MiB)" if core >= 1 else f" (core {core * 1024:.0f} KiB)"
    return label


def table(d, has_systemd):
    head = ["crash", "metric", "corejournal", "floor /dev/null", "floor copy", "ours ÷ /dev/null", "ours ÷ copy"]
    if has_systemd:
        head += ["systemd-coredump", "ours ÷ systemd"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for w in d.works:
        first = True
        for key, name, floors in METRICS:
            cells = [crash_label(d, w) if first else "", name]
            cells.append(fmt(d.med(w, "ours", key)))
            for f in ("devnull", "copy"):
                cells.append(fmt(d.med(w, f, key)) if f in floors else "—")
            for f in ("devnull", "copy"):
                cells.append(fmt_ratio(d.ratio(w, "ours", f, key)) if f in floors else "—")
            if has_systemd:
                cells.append(fmt(d.med(w, "systemd", key)))
                cells.append(fmt_ratio(d.ratio(w, "ours", "systemd", key)))
            out.append("| " + " | ".join(cells) + " |")
            first = False
    return "\n".join(out)


def verdict(ok):
    return "met" if ok else "**missed**"


def targets(d, has_systemd):
    lines = []
    if "abort" in d.data:
        reap, vis = d.med("abort", "ours", "reap"), d.med("abort", "ours", "visible")
        core = d.med("abort", "ours", "core")
        if reap is not None:
            lines.append(f"| abort ({fmt(core * 1024 if core else None)} KiB core): reap ≤ 10 ms | {fmt(reap)} ms | {verdict(reap <= 10)} |")
        if vis is not None:
            lines.append(f"| abort: record readable ≤ 25 ms | {fmt(vis)} ms | {verdict(vis <= 25)} |")
    for w in ("touch64", "touch512", "touch2048", "zero2048"):
        if w in d.data:
            r = d.ratio(w, "ours", "devnull", "reap")
            if r is not None:
                lines.append(f"| {LABELS[w]}: reap ≤ 1.3× the /dev/null floor | {r:.2f}× | {verdict(r <= 1.3)} |")
    if has_systemd:
        for w in d.works:
            r = d.ratio(w, "ours", "systemd", "visible")
            if r is None:
                continue
            limit, name = (1 / 3, "⅓") if w in TWO_GIB else (1 / 2, "½")
            lines.append(f"| {LABELS.get(w, w)}: record readable ≤ {name} of systemd-coredump's | {r:.2f}× | {verdict(r <= limit)} |")
    for family in (("touch64", "touch512", "touch2048"), ("zero64", "zero512", "zero2048")):
        rss = [(w, d.med(w, "ours", "rss")) for w in family if w in d.data]
        rss = [(w, v) for w, v in rss if v is not None]
        if len(rss) >= 2:
            lo, hi = min(v for _, v in rss), max(v for _, v in rss)
            desc = " / ".join(f"{fmt(v)}" for _, v in rss)
            kind = "incompressible" if family[0].startswith("touch") else "zero-filled"
            sizes = " → ".join(" ".join(LABELS[w].split(" ")[:2]) for w, _ in rss)
            lines.append(f"| peak RSS flat in core size ({kind}, {sizes}; flat: largest ≤ 1.25× smallest) "
                         f"| {desc} MiB ({hi / lo:.2f}×) | {verdict(hi <= 1.25 * lo)} |")
    for w in d.works:
        r = d.med(w, "ours", "wpages")
        if r is not None:
            wr, st = d.med(w, "ours", "written"), d.med(w, "ours", "stored")
            lines.append(f"| {LABELS.get(w, w)}: written ≤ stored (in whole 4 KiB pages) + 1% "
                         f"| {r:.3f}× ({fmt(wr * 1024)} KiB written, {fmt(st * 1024)} KiB stored) | {verdict(r <= 1.01)} |")
    if not lines:
        return ""
    return "| target | measured (median) | |\n|---|---|---|\n" + "\n".join(lines)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def machine():
    mem = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": str(os.cpu_count()),
        "mem": mem,
        "kernel": platform.release(),
        "cpu": cpu,
        "fs": " ".join(sh("findmnt -no FSTYPE,SOURCE -T /var/tmp").split()),
        "systemd": sh("dpkg-query -W -f '${Version}' systemd-coredump 2>/dev/null"),
        "zstd": sh("dpkg-query -W -f '${Version}' libzstd1 2>/dev/null"),
    }


def message_lines(d, h):
    xs = [m.get("msglines") for w in d.data for m in d.data[w].get(h, {}).values()]
    return [x for x in xs if x is not None]


def trace_sentence(d):
    """Whether each record carries a stack trace, judged by the lines of its MESSAGE."""
    ours, sd = message_lines(d, "ours"), message_lines(d, "systemd")
    def desc(name, xs):
        if not xs:
            return f"{name}'s records were not read"
        if max(xs) > 1:
            return f"{name}'s records carry a stack trace in MESSAGE ({min(xs)}–{max(xs)} lines)"
        return f"**{name}'s records carry no stack trace** (MESSAGE is one line)"
    s = desc("corejournal", ours) + "; " + desc("systemd-coredump", sd) + "."
    if ours and sd and max(ours) <= 1 < max(sd):
        s += (" The stack trace / backtrace is not part of corejournal's record in the build measured, so its "
              "\"record readable\" figure does less work than systemd-coredump's.")
    return s


def notes(d, has_systemd, args):
    out = []
    if has_systemd:
        trunc = sorted({w for w in d.data for m in d.data[w].get("systemd", {}).values() if m["truncated"]})
        out.append("- " + trace_sentence(d))
        if trunc:
            out.append(f"- systemd-coredump marked these cores truncated: {', '.join(trunc)}.")
        held = [median([m["reap"] / m["done"] for m in d.data[w].get("systemd", {}).values() if m["done"]])
                for w in d.works]
        held = [x for x in held if x]
        if held:
            out.append(f"- systemd-coredump keeps the core pipe open until its service is done: its crash → reap ÷ its crash → helper "
                       f"exit is {min(held):.2f}–{max(held):.2f} (median per crash), "
                       "so the crasher waits for the whole store, compression and stack trace.")
    ours_trunc = sorted({w for w in d.data for m in d.data[w].get("ours", {}).values() if m["truncated"]})
    if ours_trunc:
        out.append(f"- corejournal marked these cores truncated: {', '.join(ours_trunc)}.")
    bad = sorted({(w, h) for w in d.data for h in d.data[w] for m in d.data[w][h].values() if not m["core_ok"]})
    if bad:
        out.append("- waitpid() did not report a core for: " + ", ".join(f"{w}/{h}" for w, h in bad) + ".")
    fresh = sorted((w, h, r) for w in d.data for h in d.data[w] for r, m in d.data[w][h].items() if m["fresh"])
    if fresh:
        out.append("- These records were first seen by the fresh sd-journal handle asked every 20 ms rather than by "
                   "the one kept open (which, with libsystemd 252, has been seen to miss a record for good), so their "
                   "\"record readable\" time is known to within 20 ms: " +
                   ", ".join(f"{LABELS.get(w, w)} under {h}, run {r}" for w, h, r in fresh) + ".")
    if d.failed:
        out.append("- **Crashes left out of the medians** (a helper failed or the machine got in the way): " +
                   "; ".join(f"{LABELS.get(w, w)} under {h}, run {r}: {why}" for w, h, r, why in d.failed) + ".")
    short = sorted({(w, h, len(d.data[w][h])) for w in d.data for h in d.data[w] if len(d.data[w][h]) < args.runs})
    if short:
        out.append("- Fewer runs than asked for: " + ", ".join(f"{LABELS.get(w, w)} under {h}: {n}" for w, h, n in short) + ".")
    if args.systemd_note:
        out.append(f"- systemd-coredump was not measured: {args.systemd_note}.")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--doc")
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--systemd-note", default="")
    ap.add_argument("--journald-note", default="")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--load-after", default="")
    ap.add_argument("--handler-info", default="")
    args = ap.parse_args()

    d = Data(parse(args.raw))
    has_systemd = any("systemd" in d.data[w] for w in d.data)
    tab = table(d, has_systemd)
    tgt = targets(d, has_systemd)
    nts = notes(d, has_systemd, args)
    print(tab)
    if tgt:
        print()
        print(tgt)
    if nts:
        print()
        print(nts)

    if not args.doc:
        return
    mc = machine()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "PERFORMANCE.md.in")) as f:
        template = f.read()
    # The hand-written reading of the figures survives a rerun (between the two markers).
    findings = "<!-- findings -->\n_(not written yet)_\n<!-- /findings -->"
    if os.path.exists(args.doc):
        with open(args.doc) as f:
            m = re.search(r"<!-- findings -->.*?<!-- /findings -->", f.read(), re.S)
            if m:
                findings = m.group(0)
    # So does the crash storm section, which bench/storm.sh writes (from its header to the end).
    storms = "## Crash storms (`bench/storm.sh`)\n\n_(not run yet)_\n"
    if os.path.exists(args.doc):
        with open(args.doc) as f:
            m = re.search(r"^## Crash storms.*", f.read(), re.S | re.M)
            if m:
                storms = m.group(0)
    doc = template.format(findings=findings, storms=storms,
        command=args.command, date=now, elapsed=f"{args.elapsed // 60} min {args.elapsed % 60} s",
        runs=args.runs, nproc=mc["nproc"], mem=mc["mem"], kernel=mc["kernel"], cpu=mc["cpu"] or "?",
        fs=mc["fs"] or "?", systemd=mc["systemd"] or "not installed", zstd=mc["zstd"] or "?",
        load_before=args.load_before or "?", load_after=args.load_after or "?",
        handler=args.handler_info or "?", trace=trace_sentence(d),
        journald=args.journald_note or "—", table=tab, targets=tgt or "(no targets measured)",
        notes=nts or "- (none)")
    with open(args.doc, "w") as f:
        f.write(doc)
    print(f"\nwritten to {args.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
