#!/usr/bin/env python3
"""ipcconf's report tool: turns test results into verdicts people can act on.

  summary  per-area verdicts of the catalog assertions on the terminal, REPORT.md and a merged
           junit.xml in --output (what `tools/ipcconf run` shows);
  count    the failed test cases, then `N passed, N failed[, N skipped]` (`tools/ipcconf test`);
  report   the JSON results of a portable-binary run (`tools/ipcconf report`); with two or more
           files, side by side (reference Linux first, then the port);
  options  checks --profile, --expect and --html only (what `tools/ipcconf run` asks before it
           runs the suite, so that a typo costs no run).
--profile posix|linux limits the verdicts to that profile (default: both, reported separately);
--expect FILE applies a port's expectation file: only regressions then fail the run.

Results come from Bazel's --build_event_json_file (--bep), which names the fresh test.xml of
every test target that ran, and/or from gtest XML files given directly (--xml).

Exit status: 0 everything passed; 1 a test case or an assertion failed, or some results were
unusable (each is named); 2 usage error, or an input file the whole report depends on (build
events, a catalog) is missing or malformed. Whatever could be read is still reported.
"""

import argparse
import datetime
import os
import platform
import sys
from typing import List, Optional, Tuple

from build_events import read_build_events
from catalog import PROFILES, load_catalogs
from expectations import Outcome, apply_expectations, parse_expectations
from render import (counting_line, failed_case_lines, junit_xml, markdown_report,
                    terminal_summary)
from render_html import html_report
from results import Results, read_xml, whole_target_failure
from results_json import ResultsFileError, merged_catalog, read_results_json
from verdict import Verdicts, judge

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ipcconf_report.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="{summary,count,report,options}")
    commands.required = True
    _verdict_options(commands.add_parser("options", help="check the verdict options only"))
    report = commands.add_parser("report", help="render JSON results of the portable binary")
    report.add_argument("results", metavar="RESULTS", nargs="+",
                        help="a results file of --ipcconf_results_json (reference first)")
    _verdict_options(report)
    for name, help_text in (("summary", "per-area verdicts, REPORT.md and junit.xml"),
                            ("count", "the failed test cases and `N passed, N failed`")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--bep", metavar="FILE",
                             help="Bazel's --build_event_json_file of the run")
        command.add_argument("--xml", metavar="FILE", action="append", default=[],
                             help="a gtest/JUnit XML file (repeatable)")
        command.add_argument("--bazel-exit", metavar="N", type=int,
                             help="bazel's exit status: non-zero with no failed case is a "
                                  "failure")
        if name == "summary":
            command.add_argument("--catalog", metavar="FILE", action="append", required=True,
                                 help="an assertions.catalog file (repeatable)")
            command.add_argument("--output", metavar="DIR",
                                 help="where to write REPORT.md, junit.xml and report.html")
            _verdict_options(command)
    return parser


def _verdict_options(command) -> None:
    command.add_argument("--profile", metavar="|".join(PROFILES),
                         help="only this profile's assertions (default: both, separately)")
    command.add_argument("--expect", metavar="FILE",
                         help="a port's expectation file (of the last results file for report)")
    command.add_argument("--html", metavar="FILE", help="write the report as an HTML page")


def _judge(catalog, results: Results, args) -> Tuple[Verdicts, Optional[Outcome], List[str]]:
    """Verdicts of one run, with the expectation file applied; its errors (each one line)."""
    verdicts = judge(catalog, results, args.profile)
    if not args.expect:
        return verdicts, None, []
    entries, errors = parse_expectations(args.expect, catalog, results)
    if errors:
        return verdicts, None, errors
    return verdicts, apply_expectations(verdicts, entries), []


def _expectation_lines(outcome: Outcome, path: str) -> List[str]:
    out = [f"expectations {path}: {len(outcome.regressions)} regression(s), "
           f"{len(outcome.expected)} expected deviation(s), {len(outcome.fixed)} fixed"]
    out += [f"  REGRESSION {r}" for r in outcome.regressions]
    out += [f"  expected   {e}" for e in outcome.expected]
    out += [f"  FIXED      {f} - remove it from {path}" for f in outcome.fixed]
    return out


def _run_status(verdicts: Verdicts, results: Results, outcome: Optional[Outcome]) -> int:
    if outcome is not None:
        return EXIT_FAILED if outcome.regressions or results.problems else EXIT_PASSED
    # Failed cases of the other profile do not count when one --profile is asked for.
    if (verdicts.failed_without_ids or verdicts.of_status("failed") or
            verdicts.of_status("broken") or results.problems or verdicts.unknown_ids):
        return EXIT_FAILED
    return EXIT_PASSED


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _read_results(args) -> Tuple[Results, bool]:
    """The results of every input; False if the build events themselves were unusable."""
    results = Results()
    events_ok = True
    if args.bep:
        events_ok = read_build_events(args.bep, results)
        if events_ok and results.bazel_exit is None:
            results.problems.append(f"build events {args.bep}: no buildFinished event "
                                    f"(bazel stopped before the end of the build?)")
            events_ok = False
    for path in args.xml:
        read_xml(path, path, results)
    bazel_exit = args.bazel_exit
    if bazel_exit is None and results.bazel_exit:
        bazel_exit = results.bazel_exit[1]
    if results.count_not_passing() == 0 and (bazel_exit or not events_ok):
        why = (f"bazel exited with status {bazel_exit}" if bazel_exit
               else "the build events are unusable")
        results.cases.append(whole_target_failure(
            "bazel", f"{why} but no test case failed; see bazel's output above"))
    return results, events_ok


def _machine() -> str:
    u = platform.uname()
    return f"{u.system} {u.release} {u.machine}"


def _write(path: str, data: bytes) -> bool:
    try:
        with open(path, "wb") as f:
            f.write(data)
        return True
    except OSError as e:
        print(f"ipcconf_report: cannot write {path}: {e}", file=sys.stderr)
        return False


def summary(args) -> int:
    results, events_ok = _read_results(args)
    catalog, catalog_errors = load_catalogs(args.catalog)
    verdicts, outcome, expect_errors = _judge(catalog, results, args)
    if expect_errors:
        for error in expect_errors:
            print(f"ipcconf_report: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    machine = _machine()
    sys.stdout.write(terminal_summary(verdicts, results, machine))
    if outcome:
        print("\n".join([""] + _expectation_lines(outcome, args.expect)))
    status = _run_status(verdicts, results, outcome)
    if catalog_errors or not events_ok:
        status = EXIT_BAD_INPUT
    for error in catalog_errors:
        print(f"ipcconf_report: {error}", file=sys.stderr)
    if args.html and not _write(args.html, html_report(
            [(machine, verdicts, results, outcome)], "ipcconf conformance report",
            _now()).encode()):
        return EXIT_BAD_INPUT
    if args.output:
        try:
            os.makedirs(args.output, exist_ok=True)
        except OSError as e:
            print(f"ipcconf_report: cannot create {args.output}: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        when = _now()
        report = os.path.join(args.output, "REPORT.md")
        junit = os.path.join(args.output, "junit.xml")
        page = os.path.join(args.output, "report.html")
        written = _write(report, markdown_report(verdicts, results, machine, when).encode())
        written = _write(junit, junit_xml(results)) and written
        written = _write(page, html_report([(machine, verdicts, results, outcome)],
                                           "ipcconf conformance report", when).encode()) and written
        if not written:
            return EXIT_BAD_INPUT
        print(f"wrote {report}, {junit} and {page}")
    return status


def count(args) -> int:
    results, events_ok = _read_results(args)
    for problem in results.problems:
        print(f"problem: {problem}")
    for line in failed_case_lines(results):
        print(line)
    print(counting_line(results))
    if not events_ok:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if results.count_not_passing() else EXIT_PASSED


def report(args) -> int:
    """Renders portable-binary results; two or more are compared, the last is the port."""
    try:
        runs = [read_results_json(path) for path in args.results]
    except ResultsFileError as e:
        print(f"ipcconf_report: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    catalog, notes = merged_catalog(runs)
    rendered = []
    status = EXIT_PASSED
    for index, run in enumerate(runs):
        is_port = index == len(runs) - 1
        verdicts, outcome, errors = _judge(catalog, run.results, args) if is_port else (
            judge(catalog, run.results, args.profile), None, [])
        if errors:
            for error in errors:
                print(f"ipcconf_report: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        label = f"{os.path.basename(run.path)} ({run.machine})"
        print(f"== {run.path}")
        sys.stdout.write(terminal_summary(verdicts, run.results, run.machine))
        if outcome:
            print("\n".join([""] + _expectation_lines(outcome, args.expect)))
        print()
        rendered.append((label, verdicts, run.results, outcome))
        status = max(status, _run_status(verdicts, run.results, outcome))
    if len(runs) > 1:
        print("\n".join(_differences(rendered) + notes))
    if args.html:
        title = ("ipcconf: " + " vs ".join(label for label, *_ in rendered))
        if not _write(args.html, html_report(rendered, title, _now()).encode()):
            return EXIT_BAD_INPUT
        print(f"wrote {args.html}")
    return status


def _differences(rendered) -> List[str]:
    """The assertions whose verdict differs between the runs, one line each, side by side."""
    labels = [label for label, *_ in rendered]
    ids = sorted({i for _, verdicts, _, _ in rendered for i in verdicts.by_id})
    rows = []
    for i in ids:
        statuses = [v.by_id[i].status if i in v.by_id else "-" for _, v, _, _ in rendered]
        if len(set(statuses)) > 1:
            rows.append((i, statuses))
    out = [f"side by side: {len(rows)} of {len(ids)} assertions differ between " +
           " and ".join(labels)]
    if rows:
        width = max(len(i) for i, _ in rows)
        out += [f"  {i.ljust(width)}  " + "  ".join(s.ljust(11) for s in statuses).rstrip()
                for i, statuses in rows]
    return out


def _option_error(args) -> Optional[str]:
    """What is wrong with the verdict options, in one line (None: nothing)."""
    if args.profile is not None and args.profile not in PROFILES:
        return f"unknown profile '{args.profile}' (the profiles: {', '.join(PROFILES)})"
    if args.expect and not os.path.isfile(args.expect):
        return f"no expectation file {args.expect}"
    if args.html and not os.path.isdir(os.path.dirname(os.path.abspath(args.html))):
        return f"cannot write {args.html}: no such folder"
    return None


def main(argv: List[str]) -> int:
    args = _parser().parse_args(argv)
    error = _option_error(args) if hasattr(args, "profile") else None
    if error:
        print(f"ipcconf: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command == "options":
        return EXIT_PASSED
    if args.command == "report":
        return report(args)
    if not args.bep and not args.xml:
        print("ipcconf_report: give the results: --bep FILE and/or --xml FILE",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    return summary(args) if args.command == "summary" else count(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
