"""The checks of each lab: run scenarios in the sandbox, turn observations into verdicts.

Every verdict is (catalog id, passed, reason); a reason speaks of what the student's program
did (pids, fds, channels, exit statuses), never of how its code is named.
"""

import errno
import os
import signal

from runner import run_scenario

IPC_CREAT, IPC_EXCL = 0o1000, 0o2000


def _signame(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


def _first_lines(text, n=3):
    return " | ".join(line.strip() for line in text.strip().splitlines()[:n])


def _ending(p, what):
    """'' when the program exited 0, else why not, in one line."""
    if p.get("flooded"):
        lines = (p["stdout"] or p["stderr"]).strip().splitlines() or [""]
        sample = lines[-2 if len(lines) > 1 else -1].strip()[:60]  # the last may be cut
        return (f"{what} printed more than the output cap ({sample!r} ...): stopped; a loop "
                f"that does not stop, e.g. at end of input")
    if not p.get("ended") or p.get("hang"):
        return f"{what} was still running after the bound: {_first_lines(p.get('hang', ''))}"
    if "signal" in p:
        return f"{what} was killed by {_signame(p['signal'])}"
    if p.get("exit_code", 0) != 0:
        err = _first_lines(p["stderr"], 1)
        return f"{what} exited with status {p['exit_code']}" + (f" ({err})" if err else "")
    return ""


def _runaway(runs):
    for r in runs:
        if "error" in r.report:
            return r.report["error"]
        if r.report.get("fork_bomb"):
            return (f"fork bomb: {r.report['max_processes']} processes at once (the limit "
                    f"stopped it); a child that does not exit goes on forking")
        for p in r.report.get("programs", []):
            if p.get("flooded"):
                return _ending(p, _role(p))
            if p.get("signal") == signal.SIGXCPU:
                return f"{_role(p)} used up its CPU limit (a busy loop)"
    return ""


def _role(p):
    return "the program" if p["role"] == "main" else f"the {p['role']}"


def _verdict(check_id, failure):
    return (check_id, not failure, failure or "ok")


def _orphans(runs):
    out = []
    for r in runs:
        for o in r.report.get("orphans", []):
            if o.get("was_zombie"):
                out.append(f"child {o['pid']} ({o['comm']}) stayed a zombie: its parent "
                           f"{o['parent']} exited without waiting for it")
            else:
                out.append(f"child {o['pid']} ({o['comm']}) was still running when its parent "
                           f"exited (an orphan)")
    return out


# ---------------------------------------------------------------- process pool

def _channels(snapshot, parent):
    """child pid -> (inode, fd) of the pipe it reads whose write end the parent holds."""
    holders = {}  # inode -> [(pid, fd, mode)]
    for proc in snapshot:
        for f in proc["fds"]:
            if f["target"].startswith("pipe:"):
                holders.setdefault(f["target"], []).append((proc["pid"], f["fd"], f["mode"]))
    children = sorted(p["pid"] for p in snapshot if p["ppid"] == parent and p["state"] != "Z")
    channels = {}
    for inode, hs in holders.items():
        if not any(pid == parent and "w" in mode for pid, _, mode in hs):
            continue
        for pid, fd, mode in hs:
            if pid in children and "r" in mode:
                channels.setdefault(pid, (inode, fd))
    return children, channels, holders


def check_pool(tools, build_dir, bins, manifest):
    n = int(manifest["children"])
    main = bins["main"]
    tasks = [101 + i for i in range(n)]
    pool = run_scenario(tools, build_dir, "pool", main, [str(n)], children=n, tasks=tasks)
    eof = run_scenario(tools, build_dir, "run", main, [str(n)])
    bad = {a: run_scenario(tools, build_dir, "run", main, [a] if a else [])
           for a in ("", "abc", "0", "-3")}
    runs = [pool, eof] + list(bad.values())
    verdicts = [_verdict("PROG.ANY.NO_RUNAWAY", _runaway(runs))]
    verdicts.append(_verdict("PROG.POOL.EXITS_AT_EOF",
                             _runaway([eof]) or _ending(eof.program("main"),
                                                        "with stdin at end of file the program")))
    parent = pool.program("main").get("pid")
    snapshot = pool.scenario.get("snapshot", [])
    children, channels, holders = _channels(snapshot, parent)
    own = ""
    if not pool.scenario.get("up"):
        own = (f"the pool never came up: expected {n} children waiting for tasks, saw "
               f"{len(children)}: " + _first_lines("\n".join(p["describe"] for p in snapshot)))
    else:
        missing = [c for c in children if c not in channels]
        shared = len({channels[c][0] for c in channels}) < len(channels)
        if len(children) != n:
            own = f"started {len(children)} children for N={n}"
        elif missing:
            own = (f"child {missing[0]} reads no pipe whose write end the parent holds")
        elif shared:
            own = "several children read the same pipe: a channel is not a worker's own"
    verdicts.append(_verdict("PROG.POOL.OWN_CHANNEL", own))
    index = {channels[c][0]: (i, c) for i, c in enumerate(children) if c in channels}
    foreign = ""
    for child in children:
        for inode, (i, owner) in sorted(index.items(), key=lambda kv: kv[1]):
            for pid, fd, mode in holders.get(inode, []):
                if pid == child and "w" in mode and not foreign:
                    hangs = not pool.scenario.get("ended")
                    foreign = (
                        f"child {child} holds the write end of channel {i} (fd {fd}): the "
                        f"parent's close of channel {i} cannot end child {owner}" +
                        (", and shutdown hangs in waitpid" if hangs else
                         "; shutdown ends only because of the order of closes"))
    if not pool.scenario.get("up"):
        foreign = own or "the pool never came up"
    verdicts.append(_verdict("PROG.POOL.NO_FOREIGN_WRITE_END", foreign))
    verdicts.append(_verdict("PROG.POOL.CHILDREN_EXIT_ON_CLOSE",
                             _ending(pool.program("main"),
                                     "after the input ended, the program")))
    orphans = _orphans([pool, eof])
    reaped = f"{len(orphans)} children never waited for: {orphans[0]}" if orphans else ""
    verdicts.append(_verdict("PROG.POOL.REAPS_ALL", reaped or _runaway([pool, eof])))
    writes = [w for w in pool.log if w[0] == "W" and int(w[1]) == parent]
    got = {}
    for w in writes:
        key = f"pipe:[{w[3]}]"
        if key in index:
            got[index[key][0]] = got.get(index[key][0], 0) + 1
    several = ""
    if not got:
        several = (f"no task reached a worker's channel ({len(writes)} writes to pipes by the "
                   f"parent)")
    elif len(got) < 2:
        several = f"all {sum(got.values())} tasks went to channel {min(got)}"
    verdicts.append(_verdict("PROG.POOL.SEVERAL_WORKERS", several))
    spread = several
    if not spread and sorted(got.values()) != [1] * n:
        spread = (f"{n} tasks went to channels as {dict(sorted(got.items()))}; round robin "
                  f"gives each of the {n} channels one")
    verdicts.append(_verdict("PROG.POOL.ROUND_ROBIN", spread))
    wrong = []
    for arg, run in bad.items():
        p = run.program("main")
        shown = repr(arg) if arg else "no argument"
        if p.get("flooded") or p.get("hang") or not p.get("ended"):
            wrong.append(f"{shown}: {_ending(p, 'the program')}")
        elif "signal" in p:
            wrong.append(f"{shown}: crashed, killed by {_signame(p['signal'])}")
        elif p.get("exit_code") == 0:
            wrong.append(f"{shown}: exited 0 (a bad argument must give a non-zero status)")
    verdicts.append(_verdict("PROG.POOL.BAD_ARGUMENTS", "; ".join(wrong)))
    return verdicts


# ---------------------------------------------------------------- FIFO

FIFO_MESSAGES = ["alpha-17", "bravo-28", "charlie-39"]
FIFO_AFTER_QUIT = "after-quit-40"
FIFO_EOF_MESSAGES = ["delta-51", "echo-62"]


def _in_order(text, words):
    at = 0
    for w in words:
        at = text.find(w, at)
        if at < 0:
            return w
        at += len(w)
    return ""


def _fifo_args(manifest, role):
    args = manifest["args"].get(role, ["{fifo}"])
    return [str(a).replace("{fifo}", manifest["fifo_path"]) for a in args]


def check_fifo(tools, build_dir, bins, manifest):
    path = manifest["fifo_path"]
    common = dict(client=bins["client"], client_args=_fifo_args(manifest, "client"),
                  fifo_path=path)
    quit_run = run_scenario(tools, build_dir, "fifo", bins["server"],
                            _fifo_args(manifest, "server"),
                            client_stdin_text="\n".join(FIFO_MESSAGES + ["quit",
                                                                         FIFO_AFTER_QUIT]) + "\n",
                            **common)
    eof_run = run_scenario(tools, build_dir, "fifo", bins["server"],
                           _fifo_args(manifest, "server"),
                           client_stdin_text="\n".join(FIFO_EOF_MESSAGES) + "\n", **common)
    s = quit_run.scenario
    server, client = quit_run.program("server"), quit_run.program("client")
    verdicts = [_verdict("PROG.ANY.NO_RUNAWAY", _runaway([quit_run, eof_run]))]
    usable = ""
    if not s.get("created"):
        usable = f"no FIFO appeared at {path} within the bound"
        usable += f" ({_ending(server, 'the server')})" if _ending(server, "") else ""
    elif not s.get("is_fifo"):
        usable = f"{path} was created, but it is not a FIFO"
    elif s.get("mode", 0) & 0o600 != 0o600:
        usable = f"the FIFO was created with mode {s['mode']:04o}: its owner cannot read and write"
    verdicts.append(_verdict("PROG.FIFO.CREATES_USABLE", usable))
    verdicts.append(_verdict("PROG.FIFO.WAITS_IN_OPEN", "" if s.get("waits_in_open") else
                             "before any client came, the server was not waiting in open(): "
                             + _first_lines(server.get("hang", "") or server["stderr"] or
                                            "it did something else")))
    missing = _in_order(server["stdout"], FIFO_MESSAGES)
    verdicts.append(_verdict("PROG.FIFO.PRINTS_IN_ORDER", "" if not missing else
                             f"the server's output lacks {missing!r} (or has it out of order) "
                             f"after the client sent {FIFO_MESSAGES}"))
    verdicts.append(_verdict("PROG.FIFO.SERVER_EXITS",
                             _ending(server, "after the client quit, the server")))
    removed = ""
    if s.get("exists_after") and server.get("ended"):
        removed = f"{path} still exists after the server exited"
    elif not s.get("created"):
        removed = "the server made no FIFO"
    verdicts.append(_verdict("PROG.FIFO.REMOVES_FIFO", removed))
    after = FIFO_AFTER_QUIT in server["stdout"]
    verdicts.append(_verdict("PROG.FIFO.CLIENT_STOPS_AT_QUIT",
                             f"the client sent {FIFO_AFTER_QUIT!r}, a line after 'quit'"
                             if after else _ending(client, "after 'quit' the client")))
    verdicts.append(_verdict("PROG.FIFO.CLIENT_STOPS_AT_EOF",
                             _ending(eof_run.program("client"),
                                     "at the end of its input the client")))
    return verdicts


# ---------------------------------------------------------------- shared memory

SHM_MESSAGE = "shm-message-73"


def _sysv_rows(report_part, kind):
    return [row.split() for row in report_part.get(kind, [])]


def check_shm(tools, build_dir, bins, manifest):
    args = manifest["args"]
    run = run_scenario(tools, build_dir, "shm", bins["server"], args.get("server", []),
                       client=bins["client"], client_args=args.get("client", []),
                       stdin_text=SHM_MESSAGE + "\n", client_stdin_text="")
    s = run.scenario
    server, client = run.program("server"), run.program("client")
    verdicts = [_verdict("PROG.ANY.NO_RUNAWAY", _runaway([run]))]
    bad_ftok = [f for f in run.log if f[0] == "F" and f[2] != "0"]
    ftok = ""
    if bad_ftok:
        err = int(bad_ftok[0][2])
        ftok = (f"ftok({bad_ftok[0][3]!r}) fails with {errno.errorcode.get(err, err)}: "
                + ("that path does not exist on the grading machine; derive the key from a "
                   "file that is there (e.g. '.')" if err == errno.ENOENT else
                   os.strerror(err)))
    verdicts.append(_verdict("PROG.SHM.FTOK_PATH_EXISTS", ftok))
    created = [g for g in run.log if g[0] == "G" and int(g[4]) & IPC_CREAT and int(g[5]) >= 0]
    rows = _sysv_rows(s.get("while_running", {}), "shm")
    none = "no segment was created" + (f" ({_ending(server, 'the server')})"
                                        if _ending(server, "the server") else "")
    excl = none if not created else (
        "" if all(int(g[4]) & IPC_EXCL for g in created) else
        "the segment was created with IPC_CREAT but without IPC_EXCL: it silently reuses a "
        "segment left by someone else")
    verdicts.append(_verdict("PROG.SHM.CREATED_EXCLUSIVELY", excl))
    perms = none if not rows else ""
    if rows and int(rows[0][2], 8) & 0o006 != 0o006:
        perms = (f"the segment's permission bits are {int(rows[0][2], 8) & 0o777:04o}: a client "
                 f"of another user gets EACCES (give it e.g. 0666)")
    verdicts.append(_verdict("PROG.SHM.PERMISSIONS_ALLOW_CLIENT", perms))
    crosses = _ending(client, "the client") or _ending(server, "the server")
    if not crosses and SHM_MESSAGE not in client["stdout"]:
        crosses = (f"the server got {SHM_MESSAGE!r} on its input, the client's output does not "
                   f"show it: {_first_lines(client['stdout'])!r}")
    verdicts.append(_verdict("PROG.SHM.DATA_CROSSES", crosses))
    final = run.report.get("sysvipc", {})
    left_shm = _sysv_rows(final, "shm")
    removed = none if not rows else (
        f"segment {left_shm[0][1]} (key {int(left_shm[0][0]):#x}) still exists after both "
        f"programs ended: nobody called shmctl(IPC_RMID)" if left_shm else "")
    verdicts.append(_verdict("PROG.SHM.SEGMENT_REMOVED", removed))
    leaks = [f"semaphore set {r[1]}" for r in _sysv_rows(final, "sem")]
    leaks += [f"message queue {r[1]}" for r in _sysv_rows(final, "msg")]
    leaks += _orphans([run])
    verdicts.append(_verdict("PROG.SHM.NOTHING_LEAKS",
                             "left behind: " + "; ".join(leaks) if leaks else ""))
    return verdicts


CHECKS = {"process_pool": check_pool, "fifo": check_fifo, "shm": check_shm}
