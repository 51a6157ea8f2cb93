"""What every lab's checks share: verdicts, and how a program ended or ran away, in words.

A verdict is (catalog id, passed, reason, blocked_by): the reason speaks of what the student's
programs did (pids, fds, channels, exit statuses, excerpts of their output), never of how their
code is named, in English and Chinese (text.T). blocked_by names the check whose failure kept
this one from being observed: no points, and the report says so instead of inventing a fault.
"""

import signal

from text import T, excerpt

class GraderError(Exception):
    """The grader itself failed (not the student's program): no verdict."""


def signame(n):
    try:
        return f"{signal.Signals(n).name} ({n})"
    except ValueError:
        return f"signal {n}"


def ending(p, what):
    """T('') when the program ended by itself with status 0, else why not, in one line.

    what: T naming the program ("the server" / "服务端")."""
    if p.get("flooded"):
        n = p.get("output_bytes", 65536)
        size = f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n // 1024} KiB"
        return T(f"{what.en} printed more than {size} ({excerpt(p['stdout'] or p['stderr'], tail=True)}"
                 f" ...) and was stopped: a loop that never ends, e.g. at the end of its input",
                 f"{what.zh}输出超过 {size}（{excerpt(p['stdout'] or p['stderr'], tail=True)} ...），"
                 f"已被终止：一个永不结束的循环，例如在输入结束后仍在循环")
    if not p.get("ended") or p.get("hang") or p.get("stopped_by_grader"):
        doing = waiting_in(p.get("hang", ""))
        return T(f"{what.en} was still running when its time was up{doing.en} and was stopped",
                 f"{what.zh}在时限到时仍在运行{doing.zh}，已被终止")
    if "signal" in p:
        return T(f"{what.en} was killed by {signame(p['signal'])}",
                 f"{what.zh}被信号 {signame(p['signal'])} 杀死")
    if p.get("exit_code", 0) != 0:
        err = excerpt(p.get("stderr", ""), lines=1)
        return T(f"{what.en} exited with status {p['exit_code']}" + (f" (it said {err})" if err else ""),
                 f"{what.zh}以状态 {p['exit_code']} 退出" + (f"（输出 {err}）" if err else ""))
    return T("")


def waiting_in(hang):
    """' (asleep in read(0, ...))' from the sandbox's description of the first process."""
    first = hang.strip().splitlines()[0] if hang.strip() else ""
    at = first.find(" in ")
    if at < 0:
        return T(" (running: a loop that never stops)", "（正在运行：一个不停止的循环）") \
            if " state R" in first else T("")
    call = first[at + 4:].split("(")[0].split(",")[0]
    return T(f" (waiting in {call}())", f"（阻塞在 {call}() 中）")


def runaway_reason(run, exclude_role=None):
    """Why the run ran away (flood, fork bomb, CPU limit), else T('')."""
    if "error" in run.report:
        raise GraderError(run.report["error"])
    if run.report.get("fork_bomb"):
        n = run.report["max_processes"]
        return T(f"fork bomb: {n} processes at once (the limit stopped it); a child that does not "
                 f"exit goes on forking", f"fork 炸弹：同时有 {n} 个进程（被限制阻止）；子进程没有退出而继续 fork")
    for p in run.report.get("programs", []):
        if p["role"] == exclude_role:
            continue
        if p.get("flooded"):
            return ending(p, role_name(p["role"]))
        if p.get("signal") == signal.SIGXCPU:
            return T(f"{role_name(p['role']).en} used up its CPU time limit (a busy loop)",
                     f"{role_name(p['role']).zh}用完了 CPU 时间限制（忙等循环）")
    return T("")


def role_name(role):
    return {"main": T("the program", "程序"), "server": T("the server", "服务端"),
            "client": T("the client", "客户端")}[role]


def verdict(check_id, failure, blocked_by=None):
    failure = failure or T("")
    return (check_id, not failure, failure if failure else T("ok", "通过"),
            blocked_by if failure else None)


def orphan_reasons(runs):
    out = []
    for r in runs:
        for o in r.report.get("orphans", []):
            if o.get("was_zombie"):
                out.append(T(f"child {o['pid']} ({o['comm']}) stayed a zombie: its parent "
                             f"{o['parent']} exited without waiting for it",
                             f"子进程 {o['pid']}（{o['comm']}）成了僵尸进程：父进程 {o['parent']} "
                             f"没有等待它就退出了"))
            else:
                out.append(T(f"child {o['pid']} ({o['comm']}) was still running when its parent "
                             f"exited (an orphan)",
                             f"父进程退出时子进程 {o['pid']}（{o['comm']}）仍在运行（孤儿进程）"))
    return out


