#!/usr/bin/env python3
"""Precision of the defect tables, measured on whole runs (for BENCHMARKS.md and the issues).

Runs each area's own meta-test (bazel-bin/conformance/AREA/defects_test, harness/meta_test.cc)
with IPCCONF_META_WHOLE=1, so that under every row the area's test binary runs WHOLE (every
instance of every test, where `bazel test` runs the first instance of the tests the row does not
list), and with IPCCONF_META_REPORT, so that each row is reported both ways:
  listed   the ids the row says the defect breaks;
  failed   the listed ids that failed (or broke);
  missing  listed ids that did not fail;
  extra    ids that failed without being listed, or cases blocked by an unlisted id: the
           imprecision a porter would read as faults of the port that are not there.
Precision = listed ids that failed / (those + extra). A LEGAL row must fail no posix-profile id.
The meta-test itself, not this script, runs the subjects: one mechanism.

Usage (after `bazel build //conformance/...`):
  benchmarks/precision.py [--bound S] [--rows NAME,...] [AREA ...]
                                   areas: those of conformance/areas.bzl; --rows: only these rows
Prints one line per row, then per area: precision, rows exact, the slowest row.
Exit status 0 when every row is exact, 1 when some are not, 2 on bad input.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "report"))
from areas import AreasError, conformance_areas  # noqa: E402  (the one list of areas)

BIN = os.path.join(ROOT, "bazel-bin")


def ids(field):
    return [i for i in field.split(",") if i]


def measure(area, bound, only_rows):
    """The meta-test's report lines of one area (dicts), and how the meta-test ended."""
    binary = os.path.join(BIN, "conformance", area, "defects_test")
    with tempfile.TemporaryDirectory(prefix="precision-") as scratch:
        report = os.path.join(scratch, "report.tsv")  # outside TEST_TMPDIR: not a leftover
        tmp = os.path.join(scratch, "tmp")
        os.mkdir(tmp)
        env = dict(os.environ, TEST_TMPDIR=tmp, IPCCONF_META_WHOLE="1",
                   IPCCONF_META_REPORT=report)
        for name in ("XML_OUTPUT_FILE", "GTEST_OUTPUT", "IPCCONF_BREAK", "IPCCONF_RESULTS"):
            env.pop(name, None)
        try:
            rows_filter = ":".join(f"Table/*/{name}" for name in only_rows) or "Table/*"
            done = subprocess.run([binary, f"--gtest_filter={rows_filter}"], env=env,
                                  capture_output=True, timeout=bound)
            ending = f"meta-test exit {done.returncode}"
        except subprocess.TimeoutExpired:
            ending = f"meta-test NOT ENDED within {bound} s"
        rows = []
        if os.path.exists(report):
            with open(report, encoding="utf-8", errors="replace") as f:
                for line in f:
                    fields = line.rstrip("\n").split("\t")
                    if len(fields) != 10:
                        continue
                    rows.append(dict(name=fields[1], ending=fields[2], took=float(fields[3]),
                                     cases=int(fields[4]), blocked=int(fields[5]),
                                     legal=fields[6] == "LEGAL",
                                     listed=[] if fields[6] == "LEGAL" else ids(fields[6]),
                                     hit=ids(fields[7]), missing=ids(fields[8]),
                                     extra=ids(fields[9])))
    return rows, ending


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="*")
    parser.add_argument("--bound", type=int, default=1800, help="seconds per area")
    parser.add_argument("--rows", default="", help="only these rows (NAME,NAME,...)")
    args = parser.parse_args(argv)
    try:
        known = conformance_areas(ROOT)
    except AreasError as e:
        print(f"precision.py: {e}", file=sys.stderr)
        return 2
    areas = args.areas or known
    unknown = [a for a in areas if a not in known]
    if unknown:
        print(f"precision.py: unknown area(s) {', '.join(unknown)}; known: {', '.join(known)}",
              file=sys.stderr)
        return 2
    missing = [a for a in areas
               if not os.path.exists(os.path.join(BIN, "conformance", a, "defects_test"))]
    if missing:
        print(f"precision.py: conformance/{missing[0]}/defects_test is not built: "
              f"bazel build //conformance/...", file=sys.stderr)
        return 2
    status = 0
    for area in areas:
        started = time.monotonic()
        only = [name for name in args.rows.split(",") if name]
        rows, ending = measure(area, args.bound, only)
        hits = sum(len(v["hit"]) for v in rows)
        total = hits + sum(len(v["extra"]) for v in rows)
        exact = 0
        for v in rows:
            ok = not v["missing"] and not v["extra"] and v["ending"] == "finished"
            exact += ok
            print(f"{area:4} {v['name']:38} {v['ending'][:40]:>22} {v['took']:6.1f}s "
                  f"cases {v['cases']:3} blocked {v['blocked']:3} "
                  + ("LEGAL " if v["legal"] else f"listed {len(v['listed'])} failed {len(v['hit'])} ")
                  + (f"missing {v['missing']} " if v["missing"] else "")
                  + (f"EXTRA {v['extra']}" if v["extra"] else ("exact" if ok else "")))
        if not rows:
            print(f"== {area}: no row reported ({ending})")
            status = 1
            continue
        slowest = max(rows, key=lambda v: v["took"])
        print(f"== {area}: precision {hits}/{total} = {hits / total if total else 1:.2f}; "
              f"{exact}/{len(rows)} rows exact; slowest {slowest['name']} "
              f"{slowest['took']:.1f} s; the whole area {time.monotonic() - started:.0f} s "
              f"({ending})")
        status |= exact != len(rows)
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
