"""The shared-memory lab: the creating call, the data crossing, another user attaching."""

import errno

from lab_common import ending, orphan_reasons, runaway_reason, verdict
from pair import errno_text, roles, run_pair, who
from text import T, excerpt

IPC_CREAT, IPC_EXCL = 0o1000, 0o2000


SHM_MESSAGE = "shm-message-73"


def _sysv_rows(part, kind):
    return [row.split() for row in part.get(kind, [])]


def check_shm(tools, build_dir, bins, settings):
    lines = SHM_MESSAGE + "\nquit\n"
    data = run_pair(tools, build_dir, bins, settings, lines)
    perm = run_pair(tools, build_dir, bins, settings, lines, other_uid=True)
    s = data.scenario
    verdicts = [verdict("PROG.ANY.NO_RUNAWAY", runaway_reason(data))]
    bad_ftok = [f for f in data.log if f[0] == "F" and f[2] != "0"]
    ftok = T("")
    if bad_ftok:
        e = errno_text(bad_ftok[0][2])
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
        e = errno_text(failed[0][6]) if failed else None
        none = T("no segment was created" + (f": shmget(0x{failed[0][2]}, {failed[0][3]}, "
                                              f"{_flags(int(failed[0][4]))}) failed with {e.en}"
                                              if failed else ""),
                 "没有创建共享内存" + (f"：shmget 失败：{e.zh}" if failed else ""))
        excl = none
    by_ftok = "PROG.SHM.FTOK_PATH_EXISTS" if ftok and not creators else None
    if by_ftok:
        none = excl = T("not observed: no segment was made after ftok() failed",
                        "无法观察：ftok() 失败后没有创建共享内存")
    verdicts.append(verdict("PROG.SHM.CREATED_EXCLUSIVELY", excl, by_ftok))
    verdicts.append(verdict("PROG.SHM.PERMISSIONS_ALLOW_CLIENT", *_permissions(perm, none)))
    sender, receiver = roles(data)
    if not sender:
        crosses = T("neither program read its standard input: the line to share was never asked "
                    "for", "两个程序都没有读取标准输入：要共享的那一行从未被读取")
    else:
        crosses = T("")
        if SHM_MESSAGE not in receiver["stdout"]:
            crosses = T(f"{who(sender).en} was given {SHM_MESSAGE!r} on its input; the output of "
                        f"{who(receiver).en} does not show it: {excerpt(receiver['stdout'])}",
                        f"{who(sender).zh}从输入得到 {SHM_MESSAGE!r}；{who(receiver).zh}的输出中没有它："
                        f"{excerpt(receiver['stdout'])}")
        crosses = crosses or ending(sender, T("the writing program", "写入端程序")) or \
            ending(receiver, T("the printing program", "打印端程序"))
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
            f"not observed: {who(hung[0]).en} did not end by itself",
            f"无法观察：{who(hung[0]).zh}没有自行结束"), "PROG.SHM.DATA_CROSSES"))
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
    leaks += orphan_reasons([data])
    if leaks and hung:
        verdicts.append(verdict("PROG.SHM.NOTHING_LEAKS", T(
            f"not observed: {who(hung[0]).en} did not end by itself",
            f"无法观察：{who(hung[0]).zh}没有自行结束"), "PROG.SHM.DATA_CROSSES"))
    else:
        verdicts.append(verdict("PROG.SHM.NOTHING_LEAKS", T(
            "left behind: " + "; ".join(l.en for l in leaks),
            "遗留：" + "；".join(l.zh for l in leaks)) if leaks else T("")))
    return verdicts


def _flags(flags):
    names = [n for bit, n in ((IPC_CREAT, "IPC_CREAT"), (IPC_EXCL, "IPC_EXCL")) if flags & bit]
    return "|".join(names + [f"0{flags & 0o777:o}"]) if names else f"0{flags & 0o777:o}"


NOT_ROOT = T(" (judged from the mode: the grader does not run as root here, so it cannot run the "
             "second program as another user)", "（由权限位判定：评分程序不是以 root 运行，无法以另一个用户"
             "运行第二个程序）")


def _from_mode(mode, why):
    """The verdict from the segment's mode (why: T saying what else was seen, or NOT_ROOT when
    the second program could not run as another user)."""
    if mode is None:
        return T("no segment existed when the second program ran" + why.en,
                 "第二个程序运行时共享内存不存在" + why.zh), None
    if mode & 0o006 != 0o006:
        return T(f"the segment's mode is {mode:04o}: a program of another user cannot attach it for "
                 f"reading and writing; give it e.g. 0666" + why.en,
                 f"共享内存的权限为 {mode:04o}：其他用户的程序无法以读写方式挂接；应设为例如 0666" + why.zh), None
    return T(""), None


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
    if not run.report.get("client_other_uid", True):
        return _from_mode(mode, NOT_ROOT)
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
    return _from_mode(mode, note)

