#!/usr/bin/env python3
"""Precision of the defect tables, measured on whole runs (for BENCHMARKS.md and the issues).

For each area and each row of its defect table, the area's test binary runs WHOLE (no filter)
under the defect, bounded, and the row is judged both ways:
  listed   the ids the row says the defect breaks;
  failed   the ids of the cases that failed (or broke);
  missing  listed ids that did not fail (the meta-test catches those too);
  extra    ids that failed without being listed, or cases blocked by an unlisted id: the
           imprecision a porter would read as faults of the port that are not there.
Precision = listed ids that failed / all ids that failed (or were blocked by an unlisted id).
A LEGAL row must fail no posix-profile id. The meta-tests of `bazel test //...` run only the
tests of the listed ids; this runs everything, so it is slower (minutes) and is not a test.

Usage (after `bazel build //conformance/...`):
  benchmarks/precision.py [--bound S] [--jobs N] [--rows NAME,...] [AREA ...]
                                                    areas: pipe fifo sysv pool
--rows runs only the named rows of each area's table (an unknown name is an error).
Prints one line per row, then per area: precision, rows exact, the slowest row.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "report"))
from catalog import load_catalogs  # noqa: E402  (the one catalog reader of the Python tools)

BIN = os.path.join(ROOT, "bazel-bin")
AREAS = {  # binary, preload (or None), table, variable
    "pipe": ("conformance/pipe/pipe_test", "subjects/pipe/libbroken_pipe.so",
             "subjects/pipe/defects.txt", "IPCCONF_BREAK"),
    "fifo": ("conformance/fifo/fifo_test", "subjects/fifo/libbroken_fifo.so",
             "subjects/fifo/defects.txt", "IPCCONF_BREAK"),
    "sysv": ("conformance/sysv/sysv_test", "subjects/sysv/libbroken_sysv.so",
             "subjects/sysv/defects.txt", "IPCCONF_BREAK"),
    "pool": ("conformance/pool/pool_test_student_broken", None,
             "subjects/pool/pool_broken/defects.txt", "IPCCONF_BREAK"),
}


def rows(table):
    out = []
    with open(os.path.join(ROOT, table), encoding="utf-8") as f:
        for line in f:
            words = line.split("#")[0].split()
            if words:
                out.append((words[0], words[1:]))
    return out


def profiles(area):
    by_id, _ = load_catalogs([os.path.join(ROOT, "conformance", area, "assertions.catalog")])
    return {i: a.profile for i, a in by_id.items()}


def run(area, name, bound):
    binary, preload, _, variable = AREAS[area]
    scratch = tempfile.mkdtemp(prefix="precision-")
    results = os.path.join(scratch, "results.txt")
    env = dict(os.environ, TEST_TMPDIR=scratch, IPCCONF_RESULTS=results, **{variable: name})
    if preload:
        env["LD_PRELOAD"] = os.path.join(BIN, preload)
    started = time.monotonic()
    try:
        done = subprocess.run([os.path.join(BIN, binary)], env=env, capture_output=True,
                              timeout=bound)
        ending = f"exit {done.returncode}"
    except subprocess.TimeoutExpired:
        ending = f"NOT ENDED within {bound} s"
    took = time.monotonic() - started
    lines = []
    if os.path.exists(results):
        with open(results, encoding="utf-8", errors="replace") as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) >= 3:
                    lines.append((fields[0], [i for i in fields[2].split(",") if i],
                                  fields[3] if len(fields) > 3 else ""))
    shutil.rmtree(scratch, ignore_errors=True)
    return ending, took, lines


def judge(area, name, listed, bound, profile_of):
    ending, took, lines = run(area, name, bound)
    failed, extra, blocked = set(), set(), 0
    for status, ids, message in lines:
        if status in ("FAIL", "BROKEN"):
            failed |= set(ids)
        elif status == "BLOCKED":
            blocked += 1
            by = re.match(r"blocked by (\S+):", message)
            if by and by.group(1) not in listed:
                extra.add(f"(blocked by unlisted {by.group(1)})")
    if listed == ["LEGAL"]:
        wrong = sorted(i for i in failed if profile_of.get(i) != "linux")
        return dict(name=name, legal=True, ending=ending, took=took, listed=[], hit=[],
                    missing=[], extra=wrong + sorted(extra), blocked=blocked, cases=len(lines))
    hit = sorted(failed & set(listed))
    return dict(name=name, legal=False, ending=ending, took=took, listed=listed, hit=hit,
                missing=sorted(set(listed) - failed),
                extra=sorted(failed - set(listed)) + sorted(extra), blocked=blocked,
                cases=len(lines))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="*", default=list(AREAS))
    parser.add_argument("--bound", type=int, default=600, help="seconds per whole run")
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--rows", default="",
                        help="comma-separated row names: run only these rows of each table")
    args = parser.parse_args(argv)
    unknown = [a for a in args.areas if a not in AREAS]
    if unknown:
        print(f"precision.py: unknown area(s) {', '.join(unknown)}; known: {', '.join(AREAS)}",
              file=sys.stderr)
        return 2
    missing = [AREAS[a][0] for a in args.areas if not os.path.exists(os.path.join(BIN, AREAS[a][0]))]
    if missing:
        print(f"precision.py: {missing[0]} is not built: bazel build //conformance/...",
              file=sys.stderr)
        return 2
    wanted = [r for r in args.rows.split(",") if r]
    if wanted:
        known = {name for a in args.areas for name, _ in rows(AREAS[a][2])}
        unknown = [r for r in wanted if r not in known]
        if unknown:
            print(f"precision.py: no row named {', '.join(unknown)} in the tables of "
                  f"{', '.join(args.areas)}", file=sys.stderr)
            return 2
    status = 0
    for area in args.areas:
        profile_of = profiles(area)
        table = [r for r in rows(AREAS[area][2]) if not wanted or r[0] in wanted]
        if not table:
            continue
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            verdicts = list(pool.map(lambda r: judge(area, r[0], r[1], args.bound, profile_of),
                                     table))
        hits = sum(len(v["hit"]) for v in verdicts)
        total = hits + sum(len(v["extra"]) for v in verdicts)
        exact = 0
        for v in verdicts:
            ok = not v["missing"] and not v["extra"] and not v["ending"].startswith("NOT")
            exact += ok
            print(f"{area:4} {v['name']:38} {v['ending']:>22} {v['took']:6.1f}s "
                  f"cases {v['cases']:3} blocked {v['blocked']:3} "
                  + ("LEGAL " if v["legal"] else f"listed {len(v['listed'])} failed {len(v['hit'])} ")
                  + (f"missing {v['missing']} " if v["missing"] else "")
                  + (f"EXTRA {v['extra']}" if v["extra"] else ("exact" if ok else "")))
        slowest = max(verdicts, key=lambda v: v["took"])
        print(f"== {area}: precision {hits}/{total} = {hits / total if total else 1:.2f}; "
              f"{exact}/{len(verdicts)} rows exact; slowest {slowest['name']} "
              f"{slowest['took']:.1f} s ({slowest['ending']})")
        status |= exact != len(verdicts)
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
