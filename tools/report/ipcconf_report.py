#!/usr/bin/env python3
"""ipcconf's report tool: turns test results into verdicts people can act on.

  summary  per-area verdicts of the catalog assertions on the terminal, REPORT.md and a merged
           junit.xml in --output (what `tools/ipcconf run` shows);
  count    the failed test cases, then `N passed, N failed[, N skipped]` (`tools/ipcconf test`).

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
from typing import List, Tuple

from build_events import read_build_events
from catalog import load_catalogs
from render import (counting_line, failed_case_lines, junit_xml, markdown_report,
                    terminal_summary)
from results import FAILED, Results, read_xml, whole_target_failure
from verdict import judge

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ipcconf_report.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="{summary,count}")
    commands.required = True
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
                                 help="where to write REPORT.md and junit.xml")
    return parser


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
    if results.count(FAILED) == 0 and (bazel_exit or not events_ok):
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
    verdicts = judge(catalog, results)
    machine = _machine()
    sys.stdout.write(terminal_summary(verdicts, results, machine))
    status = EXIT_PASSED
    if results.count(FAILED) or verdicts.of_status(FAILED) or results.problems or \
            verdicts.unknown_ids:
        status = EXIT_FAILED
    if catalog_errors or not events_ok:
        status = EXIT_BAD_INPUT
    for error in catalog_errors:
        print(f"ipcconf_report: {error}", file=sys.stderr)
    if args.output:
        try:
            os.makedirs(args.output, exist_ok=True)
        except OSError as e:
            print(f"ipcconf_report: cannot create {args.output}: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        report = os.path.join(args.output, "REPORT.md")
        junit = os.path.join(args.output, "junit.xml")
        written = _write(report, markdown_report(verdicts, results, machine, when).encode())
        written = _write(junit, junit_xml(results)) and written
        if not written:
            return EXIT_BAD_INPUT
        print(f"wrote {report} and {junit}")
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
    return EXIT_FAILED if results.count(FAILED) else EXIT_PASSED


def main(argv: List[str]) -> int:
    args = _parser().parse_args(argv)
    if not args.bep and not args.xml:
        print("ipcconf_report: give the results: --bep FILE and/or --xml FILE",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    return summary(args) if args.command == "summary" else count(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
