"""Grades a whole class (tools/ipcconf grade --batch): one folder per submission, a row of
scores.csv and the reports of each."""

import concurrent.futures
import csv
import os
import time

import labs
import reports
import submission


def _batch_one(grade_one, folder, tools, labs_dir, output, settings=None, lang="en"):
    start = time.monotonic()
    name = os.path.basename(os.path.normpath(folder))
    try:
        name, lab, rows, notes, catalog = grade_one(folder, tools, labs_dir, None, settings)
    except submission.SubmissionError as e:
        return {"submission": name, "lab": "", "score": "", "max_score": "", "error": str(e),
                "seconds": f"{time.monotonic() - start:.1f}"}
    except labs.GraderError as e:
        return {"submission": name, "lab": "", "score": "", "max_score": "",
                "error": f"grader error (not the student's fault): {e}",
                "seconds": f"{time.monotonic() - start:.1f}"}
    except Exception as e:  # one broken submission never stops the batch
        return {"submission": name, "lab": "", "score": "", "max_score": "",
                "error": f"grader error: {type(e).__name__}: {e}",
                "seconds": f"{time.monotonic() - start:.1f}"}
    folder_out = os.path.join(output, name)
    os.makedirs(folder_out, exist_ok=True)
    reports.write_all(rows, name, lab, notes, os.path.join(folder_out, "results.json"),
                      os.path.join(folder_out, "junit.xml"),
                      os.path.join(folder_out, "REPORT.md"), lang, catalog)
    got, best = reports.totals(rows)
    return {"submission": name, "lab": lab, "score": got, "max_score": best, "error": "",
            "seconds": f"{time.monotonic() - start:.1f}"}


def run(args, tools, grade_one):
    """Grades every folder of args.batch with grade_one (grade.py's)."""
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
        futures = [pool.submit(_batch_one, grade_one, f, tools, args.labs, args.output, args.settings,
                               args.lang) for f in folders]
        for i, future in enumerate(concurrent.futures.as_completed(futures), 1):
            row = future.result()
            rows.append(row)
            result = (f"{row['score']}/{row['max_score']}" if not row["error"]
                      else f"error: {row['error']}")
            print(f"[{i}/{len(folders)}] {row['submission']}: {result} ({row['seconds']} s)",
                  flush=True)
    rows.sort(key=lambda r: r["submission"])
    with open(os.path.join(args.output, "scores.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["submission", "lab", "score", "max_score", "error", "seconds"])
        writer.writeheader()
        writer.writerows(rows)
    elapsed = time.monotonic() - start
    print(f"{len(rows)} submissions in {elapsed:.1f} s with -j {args.jobs} "
          f"({len(rows) / elapsed * 60:.0f} per minute); scores in "
          f"{os.path.join(args.output, 'scores.csv')}")
    return 2 if any(r["error"] for r in rows) else 0
