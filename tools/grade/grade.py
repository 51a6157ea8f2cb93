#!/usr/bin/env python3
"""Grades student submissions of the IPC labs as black boxes (tools/ipcconf grade).

  grade.py SUBMISSION [--lab LAB] [--json F] [--junit F] [--markdown F]
  grade.py --batch DIR [-j N] [--output DIR]

Exit status: 0 full marks, 1 graded with failed checks, 2 bad input (one line on stderr).
Batch: 0 when every submission was graded, 2 when some could not be (their CSV row says why).
"""

import argparse
import concurrent.futures
import csv
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checks  # noqa: E402
import reports  # noqa: E402
import runner  # noqa: E402
import submission  # noqa: E402
from runner import Tools  # noqa: E402

RUBRIC_FILES = {"process_pool": "pool.rubric", "fifo": "fifo.rubric", "shm": "shm.rubric"}


def _tools(args):
    for path, what in ((args.sandbox, "--sandbox"), (args.observer, "--observer")):
        if not path or not os.path.exists(path):
            raise submission.SubmissionError(f"{what}: {path!r} does not exist (build "
                                             f"//tools/grade first)")
    return Tools(os.path.abspath(args.sandbox), os.path.abspath(args.observer),
                 warp=args.warp, bound_ms=args.bound_ms)


def grade_one(folder, tools, rubric_dir, lab=None):
    """(name, lab, rows, notes); raises SubmissionError for bad input."""
    manifest = submission.load(folder, lab)
    lab = manifest["lab"]
    rubric = reports.load_rubric(os.path.join(rubric_dir, RUBRIC_FILES[lab]))
    name = os.path.basename(os.path.normpath(folder))
    scratch = tempfile.mkdtemp(prefix="grade-build-")
    try:
        build_dir = os.path.join(scratch, name)
        ok, log, made = submission.build(folder, manifest, build_dir)
        build_id = rubric[0][0]
        if not ok:
            why = ("the build made no program" if not made and "error" not in log.lower()
                   else "does not compile: " + submission.first_errors(log))
            verdicts = [(build_id, False, why)] + [
                (i, False, "not run: the submission does not build") for i, _ in rubric[1:]]
            return name, lab, reports.score(rubric, verdicts), []
        bins = submission.pick_binaries(manifest, made)
        verdicts = [(build_id, True, "ok")] + checks.CHECKS[lab](tools, build_dir, bins, manifest)
        notes = [f"contained by {runner.last_containment}"]
        if runner.last_containment.startswith("weak"):
            notes.append("containment is weaker here: a program that escapes its process tree "
                         "or keeps System V objects may outlive the grading")
        return name, lab, reports.score(rubric, verdicts), notes
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _single(args, tools):
    start = time.monotonic()
    name, lab, rows, notes = grade_one(args.submission, tools, args.rubrics, args.lab)
    notes.append(f"graded in {time.monotonic() - start:.1f} s (time warp "
                 f"{'x' + str(tools.warp) if tools.warp else 'off'})")
    print(reports.terminal(name, lab, rows, notes))
    reports.write_all(rows, name, lab, notes, args.json, args.junit, args.markdown)
    got, best = reports.totals(rows)
    return 0 if got == best else 1


def _batch_one(folder, tools, rubric_dir, output):
    start = time.monotonic()
    name = os.path.basename(os.path.normpath(folder))
    try:
        name, lab, rows, notes = grade_one(folder, tools, rubric_dir)
    except submission.SubmissionError as e:
        return {"submission": name, "lab": "", "score": "", "max_score": "", "error": str(e),
                "seconds": f"{time.monotonic() - start:.1f}"}
    except Exception as e:  # one broken submission never stops the batch
        return {"submission": name, "lab": "", "score": "", "max_score": "",
                "error": f"grader error: {type(e).__name__}: {e}",
                "seconds": f"{time.monotonic() - start:.1f}"}
    folder_out = os.path.join(output, name)
    os.makedirs(folder_out, exist_ok=True)
    reports.write_all(rows, name, lab, notes, os.path.join(folder_out, "results.json"),
                      os.path.join(folder_out, "junit.xml"),
                      os.path.join(folder_out, "REPORT.md"))
    got, best = reports.totals(rows)
    return {"submission": name, "lab": lab, "score": got, "max_score": best, "error": "",
            "seconds": f"{time.monotonic() - start:.1f}"}


def _batch(args, tools):
    if not os.path.isdir(args.batch):
        raise submission.SubmissionError(f"{args.batch}: no such folder")
    folders = sorted(os.path.join(args.batch, d) for d in os.listdir(args.batch)
                     if os.path.isdir(os.path.join(args.batch, d)) and not d.startswith("."))
    if not folders:
        raise submission.SubmissionError(f"{args.batch}: no submission folders in it")
    os.makedirs(args.output, exist_ok=True)
    start = time.monotonic()
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(_batch_one, f, tools, args.rubrics, args.output) for f in folders]
        for i, future in enumerate(concurrent.futures.as_completed(futures), 1):
            row = future.result()
            rows.append(row)
            result = (f"{row['score']}/{row['max_score']}" if not row["error"]
                      else f"error: {row['error']}")
            print(f"[{i}/{len(folders)}] {row['submission']}: {result} ({row['seconds']} s)",
                  flush=True)
    rows.sort(key=lambda r: r["submission"])
    with open(os.path.join(args.output, "scores.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, ["submission", "lab", "score", "max_score", "error", "seconds"])
        writer.writeheader()
        writer.writerows(rows)
    elapsed = time.monotonic() - start
    print(f"{len(rows)} submissions in {elapsed:.1f} s with -j {args.jobs} "
          f"({len(rows) / elapsed * 60:.0f} per minute); scores in "
          f"{os.path.join(args.output, 'scores.csv')}")
    return 2 if any(r["error"] for r in rows) else 0


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(prog="ipcconf grade", description=__doc__.split("\n")[0])
    parser.add_argument("submission", nargs="?")
    parser.add_argument("--lab", choices=submission.LABS)
    parser.add_argument("--json")
    parser.add_argument("--junit")
    parser.add_argument("--markdown")
    parser.add_argument("--batch")
    parser.add_argument("-j", "--jobs", type=int, default=1)
    parser.add_argument("--output", default="grades")
    parser.add_argument("--warp", type=int, default=100, help="sleep divisor; 0: real time")
    parser.add_argument("--bound-ms", type=int, default=4000)
    parser.add_argument("--rubrics", default=os.path.join(here, "..", "..", "conformance",
                                                          "programs"))
    parser.add_argument("--sandbox", default=os.environ.get("IPCCONF_GRADE_SANDBOX"))
    parser.add_argument("--observer", default=os.environ.get("IPCCONF_GRADE_OBSERVER"))
    args = parser.parse_args(argv)
    if bool(args.submission) == bool(args.batch):
        print("ipcconf grade: give one SUBMISSION folder or --batch DIR", file=sys.stderr)
        return 2
    try:
        tools = _tools(args)
        return _batch(args, tools) if args.batch else _single(args, tools)
    except submission.SubmissionError as e:
        print(f"ipcconf grade: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
