"""The checks of each lab: run scenarios in the sandbox, turn observations into verdicts.

A verdict is (catalog id, passed, reason, blocked_by): the reason speaks of what the student's
programs did (pids, fds, channels, exit statuses, excerpts of their output), never of how their
code is named, in English and Chinese (text.T). blocked_by names the check whose failure kept
this one from being observed: no points, and the report says so instead of inventing a fault.
Roles are discovered by watching: which program makes the FIFO or the segment, which one reads
its standard input (the sender), which one prints.
"""

import concurrent.futures
import errno
import os
import signal

from runner import run_scenario
from text import T, excerpt, join

IPC_CREAT, IPC_EXCL = 0o1000, 0o2000


class GraderError(Exception):
    """The grader itself failed (not the student's program): no verdict."""


def signame(n):
    try:
        return f"{signal.Signals(n).name} ({n})"
    except ValueError:
        return f"signal {n}"


def _ending(p, what):
    """T('') when the program ended by itself with status 0, else why not, in one line.

    what: T naming the program ("the server" / "服务端")."""
    if p.get("flooded"):
        return T(f"{what.en} printed more than 64 KiB ({excerpt(p['stdout'] or p['stderr'], tail=True)}"
                 f" ...) and was stopped: a loop that never ends, e.g. at the end of its input",
                 f"{what.zh}输出超过 64 KiB（{excerpt(p['stdout'] or p['stderr'], tail=True)} ...），"
                 f"已被终止：一个永不结束的循环，例如在输入结束后仍在循环")
    if not p.get("ended") or p.get("hang") or p.get("stopped_by_grader"):
        doing = _doing(p.get("hang", ""))
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


def _doing(hang):
    """' (asleep in read(0, ...))' from the sandbox's description of the first process."""
    first = hang.strip().splitlines()[0] if hang.strip() else ""
    at = first.find(" in ")
    if at < 0:
        return T(" (running: a loop that never stops)", "（正在运行：一个不停止的循环）") \
            if " state R" in first else T("")
    call = first[at + 4:].split("(")[0].split(",")[0]
    return T(f" (waiting in {call}())", f"（阻塞在 {call}() 中）")


def _runaway(run, exclude_role=None):
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
            return _ending(p, _name(p["role"]))
        if p.get("signal") == signal.SIGXCPU:
            return T(f"{_name(p['role']).en} used up its CPU time limit (a busy loop)",
                     f"{_name(p['role']).zh}用完了 CPU 时间限制（忙等循环）")
    return T("")


def _name(role):
    return {"main": T("the program", "程序"), "server": T("the server", "服务端"),
            "client": T("the client", "客户端")}[role]


def verdict(check_id, failure, blocked_by=None):
    failure = failure or T("")
    return (check_id, not failure, failure if failure else T("ok", "通过"),
            blocked_by if failure else None)


def _orphans(runs):
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


# ---------------------------------------------------------------- process pool

def _channels(snapshot, parent):
    """(children, {child: (inode, fd)}, {inode: [(pid, fd, mode)]}) of a snapshot."""
    holders = {}
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


def _table_snapshot(log, parent):
    """A snapshot from the observer's T lines: each process's pipe ends at its first read of a
    pipe (a worker waiting for its first task) and the parent's at its first task sent."""
    procs = {}
    for t in log:
        if t[0] != "T" or len(t) < 3:
            continue
        fields = " ".join(t[1:]).split()
        pid, ppid = int(fields[0]), int(fields[1])
        if pid in procs or (pid != parent and ppid != parent):
            continue
        fds = []
        for item in fields[2:]:
            fd, inode, mode = item.split(":")
            fds.append({"fd": int(fd), "target": f"pipe:[{inode}]", "mode": mode})
        procs[pid] = {"pid": pid, "ppid": ppid, "comm": "", "state": "S", "call": "read",
                      "describe": f"pid {pid}", "fds": fds}
    return list(procs.values()) if parent in procs else []


def _round_robin_fault(seq, k):
    """'' when seq (channel indexes in the order tasks were sent) cycles over k channels."""
    for i, c in enumerate(seq):
        if i < k and c in seq[:i]:
            return i
        if i >= k and c != seq[i - k]:
            return i
    return None


def check_pool(tools, build_dir, bins, settings):
    n = int(settings["children"])
    main = bins["main"]
    tasks = (["1", "2"] * n)[:n]  # codes a stdin-fed pool (or a menu) dispatches: N of them
    pool = run_scenario(tools, build_dir, "pool", main, [str(n)], children=n, tasks=tasks)
    # A refusal is immediate: a quarter bound shows that a program did not refuse, and the four
    # runs go side by side.
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as runs:
        bad = {a: runs.submit(run_scenario, tools, build_dir, "run", main, [a] if a else [],
                              bound_ms=max(tools.bound_ms // 4, 500) if tools else None)
               for a in ("", "abc", "0", "-3")}
        bad = {a: f.result() for a, f in bad.items()}
    s = pool.scenario
    prog = pool.program("main")
    parent = prog.get("pid")
    runaway = _runaway(pool)
    verdicts = [verdict("PROG.ANY.NO_RUNAWAY", runaway)]
    snapshot = s.get("snapshot", [])
    tables = _table_snapshot(pool.log, parent)
    if len(tables) > len(snapshot):  # a pool too fast for /proc sampling is still seen
        snapshot = tables
    children, channels, holders = _channels(snapshot, parent)
    ended = _ending(prog, T("the program", "程序"))
    never = T(f"no child of the program was ever seen waiting for a task (in read())"
              + (f"; {ended.en}" if ended else ""),
              "从未观察到程序的子进程在 read() 中等待任务" + (f"；{ended.zh}" if ended else ""))

    # Children and their channels, from the fd tables read while they all waited in read().
    starts = never if not children else T("") if len(children) == n else T(
        f"run as 'PROG {n}' it started {len(children)} children: N must come from the argument",
        f"以 'PROG {n}' 运行时它启动了 {len(children)} 个子进程：N 应当来自命令行参数")
    verdicts.append(verdict("PROG.POOL.STARTS_N", starts))
    own = never if not children else T("")
    if children:
        missing = [c for c in children if c not in channels]
        if missing:
            own = T(f"child {missing[0]} reads no pipe whose write end the parent holds",
                    f"子进程 {missing[0]} 读取的管道，其写端不在父进程手中")
        elif len({channels[c][0] for c in channels}) < len(channels):
            own = T("several children read the same pipe: a channel is not a worker's own",
                    "多个子进程读取同一个管道：每个子进程应有自己的管道")
    verdicts.append(verdict("PROG.POOL.OWN_CHANNEL", own))
    index = {channels[c][0]: (i, c) for i, c in enumerate(children) if c in channels}
    foreign = never if not children else T("")
    leak = None  # (holder, channel index, owner, fd)
    for child in children:
        for inode, (i, owner) in sorted(index.items(), key=lambda kv: kv[1]):
            for pid, fd, mode in holders.get(inode, []):
                if pid == child and pid != owner and "w" in mode and not leak:
                    leak = (child, i, owner, fd)
    if leak:
        child, i, owner, fd = leak
        foreign = T(f"child {child} holds the write end of channel {i} (fd {fd}): closing channel "
                    f"{i} in the parent cannot end child {owner}; close the earlier channels' "
                    f"write ends in each new child",
                    f"子进程 {child} 持有通道 {i} 的写端（fd {fd}）：父进程关闭通道 {i} 无法让子进程 "
                    f"{owner} 读到 0 而退出；每个新子进程应关闭之前通道的写端")
    verdicts.append(verdict("PROG.POOL.NO_FOREIGN_WRITE_END", foreign))

    # Tasks: every write of the parent to a channel, in order.
    writes = [w for w in pool.log if w[0] == "W" and int(w[1]) == parent]
    seq = [index[f"pipe:[{w[3]}]"][0] for w in writes if f"pipe:[{w[3]}]" in index]
    shown = ", ".join(str(c) for c in seq[:12]) + (" ..." if len(seq) > 12 else "")
    if not children:
        several = never
    elif not seq:
        how = (T(" although it was given tasks on its standard input",
                 "尽管已经通过标准输入给了它任务") if s.get("fed") else
               T(" (it did not read its standard input either)", "（它也没有读取标准输入）"))
        several = T(f"the parent wrote no task to any child's channel{how.en}",
                    f"父进程没有向任何子进程的管道写入任务{how.zh}")
    elif len(set(seq)) < 2:
        several = T(f"all {len(seq)} tasks went to channel {seq[0]}",
                    f"全部 {len(seq)} 个任务都发给了通道 {seq[0]}")
    else:
        several = T("")
    verdicts.append(verdict("PROG.POOL.SEVERAL_WORKERS", several))
    k = len(index)
    at = _round_robin_fault(seq, k) if seq else None
    robin = several or (T("") if at is None and len(set(seq)) == min(k, len(seq)) else T(
        f"the tasks went to channels {shown}: task {at + 1} went to channel {seq[at]}, round "
        f"robin over {k} channels sends it to channel {seq[at - k] if at >= k else 'not yet used'}",
        f"任务依次发往通道 {shown}：第 {at + 1} 个任务发往通道 {seq[at]}，而 {k} 个通道的轮询应发往"
        f"{'通道 ' + str(seq[at - k]) if at >= k else '尚未使用的通道'}") if at is not None else T(
        f"the tasks went to channels {shown}: only {len(set(seq))} of {k} channels were used",
        f"任务依次发往通道 {shown}：{k} 个通道只用了 {len(set(seq))} 个"))
    verdicts.append(verdict("PROG.POOL.ROUND_ROBIN", robin,
                            "PROG.POOL.SEVERAL_WORKERS" if several else None))

    # The end: the program ends by itself; once the parent closes a channel its child exits.
    closes = [c for c in pool.log if c[0] == "C" and int(c[1]) == parent and "w" in c[4]]
    closed = {index[f"pipe:[{c[3]}]"][0] for c in closes if f"pipe:[{c[3]}]" in index}
    ends = ended
    if ended and not prog.get("flooded") and (not prog.get("ended") or prog.get("hang")):
        ends = T(f"the program did not end by itself{_doing(prog.get('hang', '')).en}: after "
                 f"{len(seq)} tasks it should close the channels, wait for its children and exit",
                 f"程序没有自行结束{_doing(prog.get('hang', '')).zh}：发送 {len(seq)} 个任务后应当关闭"
                 f"各管道、等待子进程并退出")
    verdicts.append(verdict("PROG.POOL.ENDS", ends, "PROG.ANY.NO_RUNAWAY"
                            if runaway and prog.get("flooded") else None))
    alive = {a["pid"]: a["describe"] for a in pool.report.get("alive_at_end", [])}
    stuck = [c for c in children if c in alive]
    exits = T("")
    blocked = None
    stopped = prog.get("flooded") or prog.get("stopped_by_grader") or not prog.get("ended")
    unclosed = [i for i in range(len(index)) if i not in closed]
    if not children:
        exits = never
    elif stopped and unclosed and not stuck:
        exits = T(f"not observed: the parent never closed channel {unclosed[0]} itself; its "
                  f"children ended only because the grader stopped it",
                  f"无法观察：父进程从未自己关闭通道 {unclosed[0]}；子进程结束只是因为评分程序终止了它")
        blocked = "PROG.ANY.NO_RUNAWAY" if runaway else "PROG.POOL.ENDS"
    elif stuck:
        child = stuck[0]
        i = index.get(channels.get(child, ("",))[0], (None,))[0]
        if i is not None and i not in closed:
            exits = T(f"not observed: the parent never closed channel {i} (child {child}), so "
                      f"its end of file never came", f"无法观察：父进程从未关闭通道 {i}（子进程 {child}）")
            blocked = "PROG.POOL.ENDS"
        else:
            holder = [(pid, fd) for pid, fd, mode in _holders_at(s, channels.get(child))
                      if pid not in (child, parent) and "w" in mode]
            why = (T(f": process {holder[0][0]} still holds the write end (fd {holder[0][1]})",
                     f"：进程 {holder[0][0]} 仍持有其写端（fd {holder[0][1]}）") if holder else
                   T(f": {alive[child]}", f"：{alive[child]}"))
            exits = T(f"child {child} did not exit after the parent closed its channel{why.en}",
                      f"父进程关闭管道后，子进程 {child} 没有退出{why.zh}")
            if holder and holder[0][0] in children:  # a sibling's inherited write end: that fault
                blocked = "PROG.POOL.NO_FOREIGN_WRITE_END"
    verdicts.append(verdict("PROG.POOL.CHILDREN_EXIT_ON_CLOSE", exits, blocked))
    orphans = _orphans([pool])
    if runaway:
        verdicts.append(verdict("PROG.POOL.REAPS_ALL", T(
            f"not observed: the run was stopped ({runaway.en})",
            f"无法观察：运行被终止（{runaway.zh}）"), "PROG.ANY.NO_RUNAWAY"))
    elif orphans:
        reaped = T(f"{len(orphans)} children never waited for: {orphans[0].en}",
                   f"{len(orphans)} 个子进程没有被等待回收：{orphans[0].zh}")
        verdicts.append(verdict("PROG.POOL.REAPS_ALL", reaped))
    elif not prog.get("ended") or prog.get("stopped_by_grader") or prog.get("flooded"):
        verdicts.append(verdict("PROG.POOL.REAPS_ALL", T(
            "not observed: the program did not end by itself, so whether it waits for every "
            "child cannot be seen", "无法观察：程序没有自行结束，看不到它是否回收了每个子进程"),
            "PROG.POOL.ENDS"))
    else:
        verdicts.append(verdict("PROG.POOL.REAPS_ALL", never if not children else T("")))
    wrong = []
    for arg, run in bad.items():
        p = run.program("main")
        shown_arg = repr(arg) if arg else T("no argument", "不带参数").en
        shown_zh = repr(arg) if arg else "不带参数"
        if p.get("flooded") or p.get("hang") or not p.get("ended") or p.get("stopped_by_grader"):
            e = _ending(p, T("the program", "程序"))
            wrong.append(T(f"{shown_arg}: {e.en}", f"{shown_zh}：{e.zh}"))
        elif "signal" in p and p["signal"] != signal.SIGABRT:
            wrong.append(T(f"{shown_arg}: crashed, killed by {signame(p['signal'])}: check argc "
                           f"and the value before using it",
                           f"{shown_zh}：崩溃，被 {signame(p['signal'])} 杀死：使用前应检查 argc 和参数值"))
        elif p.get("exit_code") == 0:
            wrong.append(T(f"{shown_arg}: exited with status 0; a bad N must be refused with a "
                           f"non-zero status", f"{shown_zh}：以状态 0 退出；错误的 N 应以非零状态拒绝"))
    verdicts.append(verdict("PROG.POOL.BAD_ARGUMENTS", join(wrong, "; ", "；")))
    return verdicts


def _holders_at(scenario, channel):
    """Holders of a channel's pipe in the snapshot taken when the program did not end."""
    if not channel:
        return []
    out = []
    for proc in scenario.get("at_bound", []):
        for f in proc["fds"]:
            if f["target"] == channel[0]:
                out.append((proc["pid"], f["fd"], f["mode"]))
    return out


# ---------------------------------------------------------------- two programs: FIFO, shm

def _pair(tools, build_dir, bins, settings, lines, eof=False, other_uid=False):
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


def _roles(run):
    """(sender, receiver) program dicts of a pair run; sender None when nobody read stdin."""
    sender = run.scenario.get("sender") or None
    if not sender:
        return None, None
    receiver = "client" if sender == "server" else "server"
    return run.program(sender), run.program(receiver)


def _who(p):
    """'the program ./client (pid 7)' naming a role by what it is: its file name."""
    name = os.path.basename(p.get("path", "")) or {"server": "first", "client": "second"}[p["role"]]
    return T(f"{name} (pid {p.get('pid')})", f"{name}（pid {p.get('pid')}）")


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


def _errno_text(err):
    err = int(err)
    name = errno.errorcode.get(err, str(err))
    hint = {errno.ENOENT: T(" (a folder on the path does not exist on the grading machine)",
                            "（路径中的目录在评分机器上不存在）"),
            errno.EACCES: T(" (permission denied)", "（权限不足）")}.get(err, T(""))
    return T(f"{name}{hint.en}", f"{name}{hint.zh}")


def check_fifo(tools, build_dir, bins, settings):
    main = _pair(tools, build_dir, bins, settings,
                 "\n".join(FIFO_MESSAGES + ["quit", FIFO_AFTER_QUIT]) + "\n")
    eof = _pair(tools, build_dir, bins, settings, "\n".join(FIFO_EOF_MESSAGES) + "\n", eof=True)
    s = main.scenario
    sender, receiver = _roles(main)
    verdicts = [verdict("PROG.ANY.NO_RUNAWAY", _runaway(
        main, exclude_role=sender["role"] if sender and s.get("sender_waited_for_more_input")
        else None))]
    made = [m for m in main.log if m[0] == "M"]
    good = [m for m in made if m[2] == "0"]
    nodes = s.get("fifos", [])
    path = good[0][4] if good else ""
    if good:
        mode = int(good[0][3], 8)
        usable = T("") if mode & 0o600 == 0o600 else T(
            f"the FIFO {path!r} was created with mode {mode:04o}: its owner cannot both read and "
            f"write it", f"FIFO {path!r} 的权限为 {mode:04o}：其所有者不能同时读写")
    elif made:
        e = _errno_text(made[0][2])
        usable = T(f"mkfifo({made[0][4]!r}) failed with {e.en}", f"mkfifo({made[0][4]!r}) 失败：{e.zh}")
    else:
        first = _ending(main.program("server"), T("the first program", "第一个程序"))
        usable = T("neither program created a FIFO (mkfifo or mknod)" + (f"; {first.en}" if first else ""),
                   "两个程序都没有创建 FIFO（mkfifo 或 mknod）" + (f"；{first.zh}" if first else ""))
    verdicts.append(verdict("PROG.FIFO.CREATES_USABLE", usable))
    opens = [o for o in main.log if o[0] == "O"]
    if s.get("first_waited_in_open"):
        waits = T("")
    elif opens and int(opens[0][4], 8) & (os.O_NONBLOCK | os.O_RDWR):
        waits = T(f"the first open of the FIFO ({opens[0][5]!r}, flags {int(opens[0][4], 8):#o}) "
                  f"did not wait for the other side (O_NONBLOCK or O_RDWR)",
                  f"第一次打开 FIFO（{opens[0][5]!r}，标志 {int(opens[0][4], 8):#o}）没有等待另一端"
                  f"（使用了 O_NONBLOCK 或 O_RDWR）")
    else:
        before = s.get("first_before_second", "")
        what = T("it had already ended", "它已经结束") if before == "ended" else T(
            f"it was: {before.strip().splitlines()[0] if before.strip() else '?'}",
            f"它当时：{before.strip().splitlines()[0] if before.strip() else '?'}")
        waits = usable or T(f"before the second program started, the first was not waiting in "
                            f"open() of a FIFO: {what.en}",
                            f"第二个程序启动前，第一个程序没有阻塞在 FIFO 的 open() 中：{what.zh}")
    verdicts.append(verdict("PROG.FIFO.WAITS_IN_OPEN", waits,
                            "PROG.FIFO.CREATES_USABLE" if usable and waits == usable else None))
    if not sender:
        nobody = T("neither program read its standard input: the messages to send were never "
                   "asked for", "两个程序都没有读取标准输入：要发送的消息从未被读取")
        for check in ("PROG.FIFO.PRINTS_IN_ORDER", "PROG.FIFO.SERVER_EXITS",
                      "PROG.FIFO.CLIENT_STOPS_AT_QUIT"):
            verdicts.append(verdict(check, nobody))
    else:
        missing = _in_order(receiver["stdout"], FIFO_MESSAGES)
        verdicts.append(verdict("PROG.FIFO.PRINTS_IN_ORDER", T("") if not missing else T(
            f"{_who(sender).en} was given {FIFO_MESSAGES}; the output of {_who(receiver).en} lacks "
            f"{missing!r} (or has it out of order): {excerpt(receiver['stdout'])}",
            f"{_who(sender).zh}收到了 {FIFO_MESSAGES}；{_who(receiver).zh}的输出中缺少 {missing!r}"
            f"（或顺序不对）：{excerpt(receiver['stdout'])}")))
        stops = _quit_verdict(main, sender, receiver)
        sender_done = sender.get("ended") and not sender.get("stopped_by_grader") and \
            not sender.get("flooded")
        rec_end = _ending(receiver, T("the receiving program", "接收端程序"))
        if rec_end and not sender_done:
            verdicts.append(verdict("PROG.FIFO.SERVER_EXITS", T(
                f"not observed: the sending program never closed its end ({stops.en})",
                f"无法观察：发送端从未关闭它的一端（{stops.zh}）"), "PROG.FIFO.CLIENT_STOPS_AT_QUIT"))
        else:
            verdicts.append(verdict("PROG.FIFO.SERVER_EXITS", T(
                f"{rec_end.en} after the sender closed the FIFO; at read() == 0 it should exit 0",
                f"发送端关闭 FIFO 后，{rec_end.zh}；read() 返回 0 时应以状态 0 退出") if rec_end else T("")))
        verdicts.append(verdict("PROG.FIFO.CLIENT_STOPS_AT_QUIT", stops))
    creator_pid = int(good[0][1]) if good else None
    creator = next((p for p in main.report.get("programs", []) if p.get("pid") == creator_pid),
                   None) if good else None
    if not good:
        removed = (T("not observed: no FIFO was made", "无法观察：没有创建 FIFO"), "PROG.FIFO.CREATES_USABLE")
    elif any(n["path"] == path and n["exists_after"] for n in nodes):
        if creator and (creator.get("stopped_by_grader") or creator.get("flooded")):
            removed = (T(f"not observed: the program that made {path!r} did not end by itself",
                         f"无法观察：创建 {path!r} 的程序没有自行结束"), "PROG.FIFO.SERVER_EXITS")
        else:
            removed = (T(f"{path!r} still exists after the programs ended: call unlink() on it "
                         f"before exiting", f"程序结束后 {path!r} 仍然存在：退出前应调用 unlink()"), None)
    else:
        removed = (T(""), None)
    verdicts.append(verdict("PROG.FIFO.REMOVES_FIFO", *removed))
    e_sender, _ = _roles(eof)
    if not e_sender:
        at_eof = T("neither program read its standard input", "两个程序都没有读取标准输入")
    else:
        e = _ending(e_sender, T("the sending program", "发送端程序"))
        at_eof = T("") if not e or (e_sender.get("ended") and not e_sender.get("flooded") and
                                    not e_sender.get("stopped_by_grader") and
                                    "signal" not in e_sender) else T(
            f"given {FIFO_EOF_MESSAGES} and then the end of its input: {e.en}",
            f"输入 {FIFO_EOF_MESSAGES} 后输入结束：{e.zh}")
    verdicts.append(verdict("PROG.FIFO.CLIENT_STOPS_AT_EOF", at_eof))
    return verdicts


def _quit_verdict(run, sender, receiver):
    if FIFO_AFTER_QUIT in receiver["stdout"]:
        return T(f"{_who(sender).en} sent {FIFO_AFTER_QUIT!r}, a line after 'quit'",
                 f"{_who(sender).zh}发送了 'quit' 之后的一行 {FIFO_AFTER_QUIT!r}")
    if run.scenario.get("sender_waited_for_more_input"):
        return T(f"after the line 'quit', {_who(sender).en} still waited for more input: it must "
                 f"stop there", f"读到 'quit' 之后，{_who(sender).zh}仍在等待输入：应当在此停止")
    return _ending(sender, T("after 'quit' the sending program", "读到 'quit' 后发送端程序"))


# ---------------------------------------------------------------- shared memory

SHM_MESSAGE = "shm-message-73"


def _sysv_rows(part, kind):
    return [row.split() for row in part.get(kind, [])]


def check_shm(tools, build_dir, bins, settings):
    lines = SHM_MESSAGE + "\nquit\n"
    data = _pair(tools, build_dir, bins, settings, lines)
    perm = _pair(tools, build_dir, bins, settings, lines, other_uid=True)
    s = data.scenario
    verdicts = [verdict("PROG.ANY.NO_RUNAWAY", _runaway(data))]
    bad_ftok = [f for f in data.log if f[0] == "F" and f[2] != "0"]
    ftok = T("")
    if bad_ftok:
        e = _errno_text(bad_ftok[0][2])
        ftok = T(f"ftok({bad_ftok[0][3]!r}) fails with {e.en}: derive the key from a file that "
                 f"exists where the programs run (e.g. '.')",
                 f"ftok({bad_ftok[0][3]!r}) 失败：{e.zh}：应使用程序运行处存在的文件生成 key（例如 '.'）")
    verdicts.append(verdict("PROG.SHM.FTOK_PATH_EXISTS", ftok))
    gets = [g for g in data.log if g[0] == "G"]
    creators = {}
    for g in gets:  # the first successful shmget of a key made the segment
        if int(g[5]) >= 0 and g[2] not in creators:
            creators[g[2]] = g
    if creators:
        g = next(iter(creators.values()))
        flags = int(g[4])
        excl = T("") if flags & IPC_EXCL and flags & IPC_CREAT else T(
            f"the call that created the segment (key 0x{g[2]}) was shmget(..., {_flags(flags)}): "
            f"without IPC_CREAT|IPC_EXCL it silently reuses a segment left by someone else",
            f"创建共享内存（key 0x{g[2]}）的调用是 shmget(..., {_flags(flags)})：没有 IPC_CREAT|IPC_EXCL，"
            f"会悄悄复用别人留下的共享内存")
        none = T("")
    else:
        failed = [g for g in gets if int(g[5]) < 0]
        e = _errno_text(failed[0][6]) if failed else None
        none = T("no segment was created" + (f": shmget(0x{failed[0][2]}, {failed[0][3]}, "
                                              f"{_flags(int(failed[0][4]))}) failed with {e.en}"
                                              if failed else ""),
                 "没有创建共享内存" + (f"：shmget 失败：{e.zh}" if failed else ""))
        excl = none
    by_ftok = "PROG.SHM.FTOK_PATH_EXISTS" if ftok and not creators else None
    if by_ftok:
        none = excl = T(f"not observed: no segment was made after ftok() failed",
                        f"无法观察：ftok() 失败后没有创建共享内存")
    verdicts.append(verdict("PROG.SHM.CREATED_EXCLUSIVELY", excl, by_ftok))
    verdicts.append(verdict("PROG.SHM.PERMISSIONS_ALLOW_CLIENT", *_permissions(perm, none)))
    sender, receiver = _roles(data)
    if not sender:
        crosses = T("neither program read its standard input: the line to share was never asked "
                    "for", "两个程序都没有读取标准输入：要共享的那一行从未被读取")
    else:
        crosses = T("")
        if SHM_MESSAGE not in receiver["stdout"]:
            crosses = T(f"{_who(sender).en} was given {SHM_MESSAGE!r} on its input; the output of "
                        f"{_who(receiver).en} does not show it: {excerpt(receiver['stdout'])}",
                        f"{_who(sender).zh}从输入得到 {SHM_MESSAGE!r}；{_who(receiver).zh}的输出中没有它："
                        f"{excerpt(receiver['stdout'])}")
        crosses = crosses or _ending(sender, T("the writing program", "写入端程序")) or \
            _ending(receiver, T("the printing program", "打印端程序"))
    verdicts.append(verdict("PROG.SHM.DATA_CROSSES", crosses, by_ftok))
    hung = [p for p in data.report.get("programs", [])
            if p.get("stopped_by_grader") or p.get("flooded")]
    final = data.report.get("sysvipc", {})
    left = _sysv_rows(final, "shm")
    if none:
        verdicts.append(verdict("PROG.SHM.SEGMENT_REMOVED", T(
            "not observed: no segment was made", "无法观察：没有创建共享内存"),
            "PROG.SHM.CREATED_EXCLUSIVELY"))
    elif left and hung:
        verdicts.append(verdict("PROG.SHM.SEGMENT_REMOVED", T(
            f"not observed: {_who(hung[0]).en} did not end by itself",
            f"无法观察：{_who(hung[0]).zh}没有自行结束"), "PROG.SHM.DATA_CROSSES"))
    elif left:
        verdicts.append(verdict("PROG.SHM.SEGMENT_REMOVED", T(
            f"segment {left[0][1]} (key {int(left[0][0]) & 0xffffffff:#x}) still exists after both "
            f"programs ended: nobody called shmctl(IPC_RMID)",
            f"两个程序结束后共享内存 {left[0][1]}（key {int(left[0][0]) & 0xffffffff:#x}）仍然存在："
            f"没有调用 shmctl(IPC_RMID)")))
    else:
        verdicts.append(verdict("PROG.SHM.SEGMENT_REMOVED", T("")))
    leaks = [T(f"semaphore set {r[1]}", f"信号量集 {r[1]}") for r in _sysv_rows(final, "sem")]
    leaks += [T(f"message queue {r[1]}", f"消息队列 {r[1]}") for r in _sysv_rows(final, "msg")]
    leaks += [T(f"the FIFO {n['path']!r}", f"FIFO {n['path']!r}")
              for n in s.get("fifos", []) if n["exists_after"]]
    leaks += _orphans([data])
    if leaks and hung:
        verdicts.append(verdict("PROG.SHM.NOTHING_LEAKS", T(
            f"not observed: {_who(hung[0]).en} did not end by itself",
            f"无法观察：{_who(hung[0]).zh}没有自行结束"), "PROG.SHM.DATA_CROSSES"))
    else:
        verdicts.append(verdict("PROG.SHM.NOTHING_LEAKS", T(
            "left behind: " + "; ".join(l.en for l in leaks),
            "遗留：" + "；".join(l.zh for l in leaks)) if leaks else T("")))
    return verdicts


def _flags(flags):
    names = [n for bit, n in ((IPC_CREAT, "IPC_CREAT"), (IPC_EXCL, "IPC_EXCL")) if flags & bit]
    return "|".join(names + [f"0{flags & 0o777:o}"]) if names else f"0{flags & 0o777:o}"


def _permissions(run, none):
    """(reason, blocked_by) of PERMISSIONS_ALLOW_CLIENT from the run whose second program is
    another user."""
    if none:
        return T("not observed: no segment was made", "无法观察：没有创建共享内存"), \
            "PROG.SHM.CREATED_EXCLUSIVELY"  # (or its own blocker, named in that row)
    other = run.program("client").get("pid")
    calls = [c for c in run.log if c[0] in "GA" and int(c[1]) == other]
    denied = [c for c in calls if (c[0] == "G" and c[6] == str(errno.EACCES)) or
              (c[0] == "A" and c[3] == str(errno.EACCES))]
    rows = _sysv_rows(run.scenario.get("sysvipc_before_second", {}), "shm") or \
        _sysv_rows(run.report.get("sysvipc", {}), "shm")
    mode = int(rows[0][2], 8) & 0o777 if rows else None
    if denied:
        call = "shmget" if denied[0][0] == "G" else "shmat"
        return T(f"run as another user, the second program's {call}() failed with EACCES"
                 + (f": the segment's mode is {mode:04o}; give it e.g. 0666" if mode is not None else ""),
                 f"以另一个用户运行时，第二个程序的 {call}() 返回 EACCES"
                 + (f"：共享内存的权限为 {mode:04o}；应设为例如 0666" if mode is not None else "")), None
    attached = [c for c in calls if c[0] == "A" and c[3] == "0"]
    if attached:
        return T(""), None
    fifo = [o for o in run.log if o[0] == "O" and int(o[1]) == other and o[3] == str(errno.EACCES)]
    note = T(f" (run as another user, the second program could not open the FIFO {fifo[0][5]!r}: "
             f"EACCES — the FIFO's mode, not the segment's; it stopped there)",
             f"（以另一个用户运行时，第二个程序无法打开 FIFO {fifo[0][5]!r}：EACCES——这是 FIFO 的权限，"
             f"不是共享内存的权限）") if fifo else T("")
    if mode is None:
        return T("no segment existed when the second program ran" + note.en,
                 "第二个程序运行时共享内存不存在" + note.zh), None
    if mode & 0o006 != 0o006:
        return T(f"the segment's mode is {mode:04o}: a program of another user cannot attach it for "
                 f"reading and writing; give it e.g. 0666" + note.en,
                 f"共享内存的权限为 {mode:04o}：其他用户的程序无法以读写方式挂接；应设为例如 0666" + note.zh), None
    return T(""), None


CHECKS = {"process_pool": check_pool, "fifo": check_fifo, "shm": check_shm}
