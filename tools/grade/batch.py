"""Grades a whole class (tools/ipcconf grade --batch SOURCE): the submissions roster.py finds
in a folder, an archive or repository clones, a row of scores.csv and the reports of each.

Resumable: each submission's row is kept in OUTPUT/NAME/grading.json with the hash of its
files (paths and contents) and of the grader (its sources, the labs' rubrics and catalogs,
the sandbox, the observer, the options that change a verdict); a run reuses the rows whose
hash did not change. Ctrl-C kills what is running (runner.interrupt), keeps what is done,
writes scores.csv and says how to go on.
"""

import concurrent.futures
import csv
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import sys
import tempfile
import time

import labs
import reports
import roster
import runner
import submission
from sources import walk

COLUMNS = ["submission", "lab", "score", "max_score", "error", "seconds"]
KEPT = "grading.json"   # in OUTPUT/NAME/: {"key": hash, "row": the scores.csv row}
_HERE = os.path.dirname(os.path.abspath(__file__))


def _error_row(name, error, start=None):
    return {"submission": name, "lab": "", "score": "", "max_score": "", "error": error,
            "seconds": f"{time.monotonic() - start:.1f}" if start else "0.0"}


def _batch_one(grade_one, entry, key, tools, args):
    """(row, keep): keep when the row may be reused (the grader did not break). None when the
    batch was interrupted: nothing of this grading is kept."""
    start = time.monotonic()
    try:
        _, lab, rows, notes, catalog = grade_one(entry.folder, tools, args.labs, entry.lab,
                                                 args.settings)
    except runner.Interrupted:
        return None
    except submission.SubmissionError as e:
        row, keep = _error_row(entry.name, str(e).replace(entry.folder, entry.name), start), True
    except labs.GraderError as e:
        row, keep = _error_row(entry.name, f"grader error (not the student's fault): {e}",
                               start), False
    except Exception as e:  # one broken submission never stops the batch
        row, keep = _error_row(entry.name, f"grader error: {type(e).__name__}: {e}",
                               start), False
    else:
        if runner.interrupted.is_set():
            return None
        folder_out = os.path.join(args.output, entry.name)
        os.makedirs(folder_out, exist_ok=True)
        reports.write_all(rows, entry.name, lab, notes, os.path.join(folder_out, "results.json"),
                          os.path.join(folder_out, "junit.xml"),
                          os.path.join(folder_out, "REPORT.md"), args.lang, catalog)
        with open(os.path.join(folder_out, "report.txt"), "w", encoding="utf-8") as f:
            f.write(reports.terminal(entry.name, lab, rows, notes, args.lang, catalog) + "\n")
        got, best = reports.totals(rows)
        row, keep = {"submission": entry.name, "lab": lab, "score": got, "max_score": best,
                     "error": "", "seconds": f"{time.monotonic() - start:.1f}"}, True
    if runner.interrupted.is_set():
        return None
    if keep:
        _write_json(os.path.join(args.output, entry.name, KEPT), {"key": key, "row": row})
    return row


# ---------------------------------------------------------------------------------------------
# What a result depends on


def grader_version(args, tools):
    """The hash of what makes a verdict besides the submission: the grader's and the labs'
    sources, the rubrics and catalogs read (--labs), the sandbox and observer programs, and
    the options that change a verdict or a report."""
    repo = os.path.normpath(os.path.join(_HERE, "..", ".."))
    files = set(glob.glob(os.path.join(_HERE, "*.py")))
    files |= set(glob.glob(os.path.join(repo, "tools", "report", "*.py")))
    for top in {os.path.join(repo, "labs"), args.labs}:
        for pattern in ("*.py", "*/*.py", "**/*.rubric", "**/assertions.catalog"):
            files |= set(glob.glob(os.path.join(top, pattern), recursive=True))
    h = hashlib.sha256()
    for path in sorted(files) + [tools.sandbox, tools.observer]:
        _hash_file(h, os.path.basename(path), path)
    h.update(json.dumps([tools.warp, tools.bound_ms, args.lang, args.settings],
                        sort_keys=True, default=str).encode())
    return h.hexdigest()


def submission_key(entry, version):
    """The hash of a submission's files (relative paths and contents, not times), its lab
    when the batch names it, and the grader's version."""
    h = hashlib.sha256(version.encode())
    h.update(f"\0lab={entry.lab}\0".encode())
    for kind, rel, path, _ in walk(entry.folder):
        if kind == "file":
            _hash_file(h, rel, path)
        else:
            h.update(f"\0{kind}\0".encode() + os.fsencode(rel))
    return h.hexdigest()


def _hash_file(h, name, path):
    h.update(b"\0file\0" + os.fsencode(name) + b"\0")
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        h.update(f"unreadable {e.errno}".encode())


def _kept(output, entry, key):
    try:
        with open(os.path.join(output, entry.name, KEPT), encoding="utf-8") as f:
            kept = json.load(f)
    except (OSError, ValueError):
        return None
    return kept["row"] if isinstance(kept, dict) and kept.get("key") == key else None


def _write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".part", "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    os.replace(path + ".part", path)


def _write_scores(output, rows):
    path = os.path.join(output, "scores.csv")
    with open(path + ".part", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r["submission"]))
    os.replace(path + ".part", path)
    return path


# ---------------------------------------------------------------------------------------------
# Progress


class Progress:
    """done/total, the rate and the time left: on a terminal one line rewritten, otherwise a
    line per submission with the same fields."""

    def __init__(self, total, stream=sys.stdout):
        self.total, self.stream = total, stream
        self.tty = stream.isatty()
        self.done = self.graded = self.reused = 0
        self.start = time.monotonic()

    def _fields(self):
        elapsed = time.monotonic() - self.start
        if self.graded and elapsed > 0:
            per_s = self.graded / elapsed
            left = (self.total - self.done) / per_s
            return (f"{per_s * 60:.1f} per minute, about {_duration(left)} left"
                    if self.done < self.total else f"{per_s * 60:.1f} per minute")
        return "nothing graded yet" if self.done < self.total else "nothing graded"

    def add(self, row, reused):
        self.done += 1
        self.reused += reused
        self.graded += not reused
        result = (f"{row['score']}/{row['max_score']}" if not row["error"]
                  else f"error: {row['error']}")
        how = "reused" if reused else f"{row['seconds']} s"
        head = f"[{self.done}/{self.total}]"
        if not self.tty:
            print(f"{head} {row['submission']}: {result} ({how}); {self._fields()}",
                  file=self.stream, flush=True)
            return
        if row["error"]:  # kept on screen above the progress line
            print(f"\r\x1b[K{row['submission']}: {result}", file=self.stream)
        print(f"\r\x1b[K{head} {self._fields()}; last: {row['submission']} {result[:40]}",
              end="", file=self.stream, flush=True)

    def end(self):
        if self.tty:
            print(file=self.stream, flush=True)


def _duration(seconds):
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds // 60 % 60:02d} min"


# ---------------------------------------------------------------------------------------------
# The batch


def run(args, tools, grade_one):
    """Grades every submission of args.batch with grade_one (grade.py's). Exit status: 0
    every submission graded, 2 some could not be (their row says why), 130 interrupted."""
    scratch = tempfile.mkdtemp(prefix="grade-batch-")
    try:
        return _run(args, tools, grade_one, scratch)
    except KeyboardInterrupt:  # before any grading started
        print("interrupted before grading started: nothing was graded in this run; run the "
              "same command again", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args, tools, grade_one, scratch):
    entries = roster.entries(args.batch, scratch, args.lab)
    os.makedirs(args.output, exist_ok=True)
    version = grader_version(args, tools)
    start = time.monotonic()
    progress = Progress(len(entries))
    rows, todo = [], []
    for entry in entries:
        if entry.error:
            row, reused = _error_row(entry.name, entry.error), False
        else:
            key = submission_key(entry, version)
            row = _kept(args.output, entry, key)
            reused = row is not None
            if not reused:
                todo.append((entry, key))
                continue
        rows.append(row)
        progress.add(row, reused)
    if todo:
        print(f"{len(todo)} of {len(entries)} submission(s) to grade with -j {args.jobs}"
              f"{f', {progress.reused} unchanged since the last run' if progress.reused else ''}",
              flush=True)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    futures = [pool.submit(_batch_one, grade_one, e, k, tools, args) for e, k in todo]
    pending = set(futures)
    try:
        for future in concurrent.futures.as_completed(futures):
            pending.discard(future)
            row = future.result()
            rows.append(row)
            progress.add(row, False)
            _write_scores(args.output, rows)
    except KeyboardInterrupt:
        return _interrupted(args, pool, futures, pending, rows, progress)
    pool.shutdown()
    progress.end()
    path = _write_scores(args.output, rows)
    elapsed = time.monotonic() - start
    rate = f" ({progress.graded / elapsed * 60:.0f} graded per minute)" if progress.graded else ""
    print(f"{len(rows)} submissions in {elapsed:.1f} s with -j {args.jobs}{rate}: "
          f"{progress.reused} reused, "
          f"{progress.graded} graded; scores in {path}", flush=True)
    if importlib.util.find_spec("class_report") is not None:  # another engineer's, optional
        import class_report
        class_report.write(args.output)
    return 2 if any(r["error"] for r in rows) else 0


def _interrupted(args, pool, futures, pending, rows, progress):
    """Ctrl-C: kills what runs, waits for its graders to clean up, keeps what is done."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C would leave debris
    try:
        runner.interrupt()
        for future in futures:
            future.cancel()
        running = [f for f in pending if not f.cancelled()]
        _, stuck = concurrent.futures.wait(running, timeout=120)
        for future in running:
            if future.done() and not future.cancelled() and future.result() is not None:
                rows.append(future.result())  # finished before the kill: kept
        pool.shutdown(wait=not stuck, cancel_futures=True)
        progress.end()
        path = _write_scores(args.output, rows)
        left = progress.total - len(rows)
        print(f"interrupted: {len(rows)} of {progress.total} submissions done, kept in {path} "
              f"and {os.path.join(args.output, 'NAME')}/; run the same command again to grade "
              f"the {left} other(s) (what is done is reused)"
              f"{'; ' + str(len(stuck)) + ' grading(s) did not stop within 120 s' if stuck else ''}",
              file=sys.stderr, flush=True)
        return 130
    finally:
        signal.signal(signal.SIGINT, old)
