"""The two-program labs (FIFO, shared memory): running the pair and telling the roles apart.

Roles are discovered by watching: which program makes the FIFO or the segment, which one reads
its standard input (the sender), which one prints.
"""

import errno
import os

from runner import run_scenario
from text import T


def run_pair(tools, build_dir, bins, settings, lines, eof=False, other_uid=False):
    """Runs the lab's two programs; when the first by name ends before the second starts,
    having made nothing (it expected the other to start first), the order is swapped."""
    order = [bins["server"], bins["client"]]
    args = settings.get("args", {})
    for attempt in (0, 1):
        run = run_scenario(tools, build_dir, "pair", order[0], args.get("server", []),
                           client=order[1], client_args=args.get("client", []), lines=lines,
                           eof=eof, client_other_uid=other_uid)
        first = run.program("server")
        made = [m for m in run.log if m[0] in "MG" and m[2 if m[0] == "M" else 6] == "0" and
                int(m[1]) == first.get("pid")]
        if attempt or made or run.scenario.get("first_before_second") != "ended":
            return run
        order.reverse()
        args = {"server": args.get("client", []), "client": args.get("server", [])}
    return run


def roles(run):
    """(sender, receiver) program dicts of a pair run; sender None when nobody read stdin."""
    sender = run.scenario.get("sender") or None
    if not sender:
        return None, None
    receiver = "client" if sender == "server" else "server"
    return run.program(sender), run.program(receiver)


def who(p):
    """'the program ./client (pid 7)' naming a role by what it is: its file name."""
    name = os.path.basename(p.get("path", "")) or {"server": "first", "client": "second"}[p["role"]]
    return T(f"{name} (pid {p.get('pid')})", f"{name}（pid {p.get('pid')}）")



def in_order(text, words):
    at = 0
    for w in words:
        at = text.find(w, at)
        if at < 0:
            return w
        at += len(w)
    return ""


def errno_text(err):
    err = int(err)
    name = errno.errorcode.get(err, str(err))
    hint = {errno.ENOENT: T(" (a folder on the path does not exist on the grading machine)",
                            "（路径中的目录在评分机器上不存在）"),
            errno.EACCES: T(" (permission denied)", "（权限不足）")}.get(err, T(""))
    return T(f"{name}{hint.en}", f"{name}{hint.zh}")
