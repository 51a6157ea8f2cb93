"""The process pool lab (`PROG N`): judged by watching the pool, never by driving it.

One run with stdin an open pipe (a self-driving pool is only watched; one that reads its stdin
gets N codes, then end of file), and four runs with bad arguments side by side.
"""

import concurrent.futures
import signal

from lab_common import ending, orphan_reasons, runaway_reason, signame, verdict, waiting_in
from runner import run_scenario
from text import T, join


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
    runaway = runaway_reason(pool)
    verdicts = [verdict("PROG.ANY.NO_RUNAWAY", runaway)]
    snapshot = s.get("snapshot", [])
    tables = _table_snapshot(pool.log, parent)
    if len(tables) > len(snapshot):  # a pool too fast for /proc sampling is still seen
        snapshot = tables
    children, channels, holders = _channels(snapshot, parent)
    ended = ending(prog, T("the program", "程序"))
    never = T("no child of the program was ever seen waiting for a task (in read())"
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
        ends = T(f"the program did not end by itself{waiting_in(prog.get('hang', '')).en}: after "
                 f"{len(seq)} tasks it should close the channels, wait for its children and exit",
                 f"程序没有自行结束{waiting_in(prog.get('hang', '')).zh}：发送 {len(seq)} 个任务后应当关闭"
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
    orphans = orphan_reasons([pool])
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
            e = ending(p, T("the program", "程序"))
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

