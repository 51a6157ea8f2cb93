#!/usr/bin/env python3
"""tools/ipcconf port: the portable binary inside a port of the Linux ABI, against this machine.

  port.py --under TARGET --binary B --init I --probes DIR [--expect FILE] [--output DIR]
          [--kernel K] [--kvm] [-- WRAPPER...]

Stages the portable binary, the probes (conformance/probes) and the runner (port_init) in a
folder, runs them natively (the reference) and inside the target, streaming the results back
(port_init's framed lines, whatever the target's filesystem does), shows progress, then prints
the side-by-side report (tools/report, --expect applied to the target) and, for every
assertion the target deviates on, the output of the probes that show it.

Exit status: 0 no regression (every deviation expected), 1 regressions, 2 the target cannot
start or bad input.
"""

import argparse
import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Tuple

import targets

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT_TOOL = os.path.join(HERE, "..", "report", "ipcconf_report.py")
EXIT_OK, EXIT_REGRESSIONS, EXIT_CANNOT_START = 0, 1, 2
STAGE_ROOT = "/var/tmp" if os.path.isdir("/var/tmp") else None
PROBE_FIRST_LINE = re.compile(r"^(?://|#|/\*)\s*probe of ([A-Z0-9_.,\s]+):\s*(.*)")


class Session:
    """What one run of port_init sent back."""

    def __init__(self):
        self.outputs: Dict[str, List[str]] = {}
        self.endings: Dict[str, str] = {}
        self.files: Dict[str, bytes] = {}
        self.other: List[str] = []  # lines that are not port_init's (boot messages, errors)
        self.done = False
        self.started = False


def stage(binary: str, init: str, probes_dir: str, folder: str, wrap: List[str],
          inside: str) -> List[str]:
    """Copies what runs inside the target into `folder` and writes its plan; the probe names.
    `inside` is the folder's path inside the target ("/" under qemu-system, where it is the
    initramfs): the binary re-executes itself by the path it was started with."""
    os.makedirs(os.path.join(folder, "probes"))
    shutil.copy2(init, os.path.join(folder, "port_init"))
    shutil.copy2(binary, os.path.join(folder, "ipcconf_portable"))
    probes = sorted(n for n in os.listdir(probes_dir) if os.access(
        os.path.join(probes_dir, n), os.X_OK) and os.path.isfile(os.path.join(probes_dir, n))
        and "." not in n)
    for name in probes:
        shutil.copy2(os.path.join(probes_dir, name), os.path.join(folder, "probes", name))
    lines = ["\t".join(["ipcconf_portable", *wrap, os.path.join(inside, "ipcconf_portable"),
                        "--ipcconf_results_json=results.json"])]
    lines += ["\t".join([f"probe:{n}", *wrap, os.path.join(inside, "probes", n)])
              for n in probes]
    lines.append("FILE\tresults.json")
    with open(os.path.join(folder, "plan.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return probes


def probe_assertions(sources: str) -> Dict[str, Tuple[List[str], str]]:
    """probe name -> (the assertions its first line names, what it shows)."""
    out = {}
    for name in sorted(os.listdir(sources)):
        base, ext = os.path.splitext(name)
        if ext not in (".c", ".cc"):
            continue
        with open(os.path.join(sources, name), encoding="utf-8") as f:
            m = PROBE_FIRST_LINE.match(f.readline())
        if m:
            out[base] = ([i.strip() for i in m.group(1).split(",") if i.strip()], m.group(2))
    return out


# A target that has not said a word of the runner's by then did not start (a nested KVM that
# hangs, a kernel that panics quietly): it is stopped and said so, never waited on for ever.
START_BOUND_SECONDS = 180


def _take(session: Session, line: str, state: dict) -> None:
    """One line of the target's output into the session (framed lines; others kept for the
    diagnosis); counts the binary's finished test cases in `state`."""
    at = line.find("@@ipcconf ")
    if at < 0:
        session.other = (session.other + [line])[-30:]
        return
    kind, _, rest = line[at + len("@@ipcconf "):].partition(" ")
    session.started = True
    if kind == "out":
        name, _, text = rest.partition(": ")
        session.outputs.setdefault(name, []).append(text)
        if name == "ipcconf_portable" and re.match(r"\[ +(OK|FAILED|SKIPPED) +\] ", text):
            state["ran"] += 1
            state["failed"] += "FAILED" in text
    elif kind == "end":
        name, _, how = rest.partition(": ")
        session.endings[name] = how
    elif kind == "file":
        state["file"], state["chunks"] = rest, []
    elif kind == "data":
        state["chunks"].append(rest.strip())
    elif kind == "endfile" and state.get("file"):
        try:
            session.files[state["file"]] = base64.b64decode("".join(state["chunks"]),
                                                            validate=True)
        except ValueError:
            session.other.append(f"(the transport damaged {state['file']})")
        state["file"] = None
    elif kind == "done":
        session.done = True


def run(launch: targets.Launch, folder: str, bound: int, total: int, label: str) -> Session:
    """Runs port_init in the target, showing progress; what came back. Every wait is bounded:
    the whole run by `bound`, its start by START_BOUND_SECONDS, even when nothing is printed."""
    session = Session()
    # Inside the target the staged folder keeps its path (hostfs, runsc's overlay of /, the
    # host itself); under qemu-system it is the initramfs root, where port_init sits at /.
    env = dict(os.environ, **launch.env)
    try:
        proc = subprocess.Popen(launch.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, cwd=folder)
    except OSError as e:
        session.other.append(f"cannot start {launch.argv[0]}: {e.strerror}")
        return session
    started, last_shown = time.monotonic(), -1
    state = {"ran": 0, "failed": 0, "file": None, "chunks": []}
    tty = sys.stdout.isatty()
    fd, pending = proc.stdout.fileno(), b""
    while True:
        now = time.monotonic()
        silent = not session.started and now - started > START_BOUND_SECONDS
        if now - started > bound or silent:
            proc.kill()
            session.other.append(f"(stopped: no sign of the runner within {START_BOUND_SECONDS} s)"
                                 if silent else f"(stopped: no end within {bound} s)")
            break
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            _take(session, raw.decode("utf-8", "replace").replace("\r", ""), state)
        shown = state["ran"] * 20 // max(total, 1)
        if tty or shown != last_shown:
            last_shown = shown
            message = (f"{label}: {state['ran']}/{total} test cases, {state['failed']} failed, "
                       f"{time.monotonic() - started:.0f} s")
            print(("\r" + message) if tty else message, end="" if tty else "\n", flush=True)
    if pending:
        _take(session, pending.decode("utf-8", "replace").replace("\r", ""), state)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
    proc.stdout.close()
    if tty:
        print()
    return session


def counts(results: dict) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for test in results.get("tests", []):
        out[test.get("status", "?")] = out.get(test.get("status", "?"), 0) + 1
    return out


def deviating_assertions(results: dict) -> Dict[str, str]:
    """Assertion -> status, for the assertions whose cases failed, broke or are unsupported."""
    out: Dict[str, str] = {}
    for test in results.get("tests", []):
        if test.get("status") in ("failed", "broken", "unsupported"):
            for assertion in test.get("assertions", []):
                out.setdefault(assertion, test["status"])
    return out


def main(argv: List[str]) -> int:
    wrapper: List[str] = []
    if "--" in argv:
        wrapper, argv = argv[argv.index("--") + 1:], argv[:argv.index("--")]
    parser = argparse.ArgumentParser(prog="tools/ipcconf port", description=__doc__.split("\n")[0])
    parser.add_argument("--under", required=True)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--init", required=True)
    parser.add_argument("--probes", required=True, help="folder of the built probes")
    parser.add_argument("--probe-sources", required=True)
    parser.add_argument("--expect")
    parser.add_argument("--output", default="reports")
    parser.add_argument("--kernel")
    parser.add_argument("--kvm", action="store_true")
    args = parser.parse_args(argv)
    target = "wrapper" if wrapper else args.under
    os.makedirs(args.output, exist_ok=True)
    try:
        targets.check(target, args.kernel)
    except targets.TargetError as e:
        print(f"ipcconf port: {target}: {e}", file=sys.stderr)
        return EXIT_CANNOT_START
    listing = subprocess.run([args.binary, "--gtest_list_tests"], capture_output=True, text=True)
    total = sum(1 for l in listing.stdout.splitlines() if l.startswith("  "))
    runs: List[Tuple[str, Session, float]] = []
    # Not under /tmp: gVisor's `runsc do` gives the sandbox a /tmp of its own, and User-Mode
    # Linux's init mounts one there; /var/tmp is seen by every target at its path.
    with tempfile.TemporaryDirectory(prefix="ipcconf-port-", dir=STAGE_ROOT) as tmp:
        os.chmod(tmp, 0o755)
        for name in ["native"] + ([target] if target != "native" else []):
            folder = os.path.join(tmp, name)
            try:
                stage(args.binary, args.init, args.probes, folder, targets.command_prefix(name),
                      "/" if name == "qemu-system" else folder)
                how = targets.launch(name, folder, args.kernel, wrapper, args.kvm)
            except (targets.TargetError, OSError) as e:
                print(f"ipcconf port: {name}: {e}", file=sys.stderr)
                return EXIT_CANNOT_START
            print(f"{name}: {how.description}", flush=True)
            began = time.monotonic()
            session = run(how, folder, targets.BOUND_SECONDS.get(name, 1800), total, name)
            runs.append((name, session, time.monotonic() - began))
            if not session.started:
                print(f"ipcconf port: {name} did not start: "
                      + (" | ".join(session.other[-5:]) or "it printed nothing"), file=sys.stderr)
                return EXIT_CANNOT_START
            if "results.json" not in session.files:
                print(f"ipcconf port: {name} sent no results (ipcconf_portable "
                      f"{session.endings.get('ipcconf_portable', 'did not end')}); its last "
                      f"lines:\n  " + "\n  ".join(
                          (session.outputs.get("ipcconf_portable", []) + session.other)[-10:]),
                      file=sys.stderr)
                return EXIT_REGRESSIONS
            with open(os.path.join(args.output, f"{name}.json"), "wb") as f:
                f.write(session.files["results.json"])
    return report(runs, args)


def report(runs, args) -> int:
    paths = [os.path.join(args.output, f"{name}.json") for name, _, _ in runs]
    for (name, _, seconds), path in zip(runs, paths):
        with open(path, encoding="utf-8") as f:
            c = counts(json.load(f))
        print(f"{name}: {seconds:.0f} s wall; "
              + ", ".join(f"{n} {s}" for s, n in sorted(c.items())))
    command = [sys.executable, REPORT_TOOL, "report", *paths,
               "--html", os.path.join(args.output, f"port-{runs[-1][0]}.html")]
    if args.expect:
        command += ["--expect", args.expect]
    status = subprocess.run(command).returncode
    name, session, _ = runs[-1]
    with open(paths[-1], encoding="utf-8") as f:
        deviations = deviating_assertions(json.load(f))
    probes = probe_assertions(args.probe_sources)
    shown = [(p, ids, what) for p, (ids, what) in probes.items()
             if any(i in deviations for i in ids)]
    if shown:
        print(f"\nprobes of the deviations of {name} (conformance/probes; each also runs here):")
    for probe, ids, what in shown:
        key = f"probe:{probe}"
        print(f"- {probe} ({', '.join(i for i in ids if i in deviations)}): {what}")
        for line in session.outputs.get(key, []) or ["(printed nothing)"]:
            print(f"    {line}")
        print(f"    [{session.endings.get(key, 'did not run')}; natively: "
              f"{runs[0][1].endings.get(key, 'did not run')}]")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
