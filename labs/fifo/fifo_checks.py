"""The FIFO lab (a server and a client, no arguments): path and roles found by watching."""

import os

from lab_common import ending, runaway_reason, verdict
from pair import errno_text, in_order, roles, run_pair, who
from text import T, excerpt


FIFO_MESSAGES = ["alpha-17", "bravo-28", "charlie-39"]
FIFO_AFTER_QUIT = "after-quit-40"
FIFO_EOF_MESSAGES = ["delta-51", "echo-62"]


def check_fifo(tools, build_dir, bins, settings):
    main = run_pair(tools, build_dir, bins, settings,
                 "\n".join(FIFO_MESSAGES + ["quit", FIFO_AFTER_QUIT]) + "\n")
    eof = run_pair(tools, build_dir, bins, settings, "\n".join(FIFO_EOF_MESSAGES) + "\n", eof=True)
    s = main.scenario
    sender, receiver = roles(main)
    verdicts = [verdict("PROG.ANY.NO_RUNAWAY", runaway_reason(
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
        e = errno_text(made[0][2])
        usable = T(f"mkfifo({made[0][4]!r}) failed with {e.en}", f"mkfifo({made[0][4]!r}) 失败：{e.zh}")
    else:
        first = ending(main.program("server"), T("the first program", "第一个程序"))
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
        missing = in_order(receiver["stdout"], FIFO_MESSAGES)
        verdicts.append(verdict("PROG.FIFO.PRINTS_IN_ORDER", T("") if not missing else T(
            f"{who(sender).en} was given {FIFO_MESSAGES}; the output of {who(receiver).en} lacks "
            f"{missing!r} (or has it out of order): {excerpt(receiver['stdout'])}",
            f"{who(sender).zh}收到了 {FIFO_MESSAGES}；{who(receiver).zh}的输出中缺少 {missing!r}"
            f"（或顺序不对）：{excerpt(receiver['stdout'])}")))
        stops = _quit_verdict(main, sender, receiver)
        sender_done = sender.get("ended") and not sender.get("stopped_by_grader") and \
            not sender.get("flooded")
        rec_end = ending(receiver, T("the receiving program", "接收端程序"))
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
    e_sender, _ = roles(eof)
    if not e_sender:
        at_eof = T("neither program read its standard input", "两个程序都没有读取标准输入")
    else:
        e = ending(e_sender, T("the sending program", "发送端程序"))
        at_eof = T("") if not e or (e_sender.get("ended") and not e_sender.get("flooded") and
                                    not e_sender.get("stopped_by_grader") and
                                    "signal" not in e_sender) else T(
            f"given {FIFO_EOF_MESSAGES} and then the end of its input: {e.en}",
            f"输入 {FIFO_EOF_MESSAGES} 后输入结束：{e.zh}")
    verdicts.append(verdict("PROG.FIFO.CLIENT_STOPS_AT_EOF", at_eof))
    return verdicts


def _quit_verdict(run, sender, receiver):
    if FIFO_AFTER_QUIT in receiver["stdout"]:
        return T(f"{who(sender).en} sent {FIFO_AFTER_QUIT!r}, a line after 'quit'",
                 f"{who(sender).zh}发送了 'quit' 之后的一行 {FIFO_AFTER_QUIT!r}")
    if run.scenario.get("sender_waited_for_more_input"):
        return T(f"after the line 'quit', {who(sender).en} still waited for more input: it must "
                 f"stop there", f"读到 'quit' 之后，{who(sender).zh}仍在等待输入：应当在此停止")
    return ending(sender, T("after 'quit' the sending program", "读到 'quit' 后发送端程序"))


