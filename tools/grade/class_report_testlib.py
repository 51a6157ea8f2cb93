#!/usr/bin/env python3
"""A made-up class, written as `grade --batch` writes its OUT folder: scores.csv and, per graded
student, reports.write_all's files (checks.json, index.html among them), with the real catalogs
and rubrics of labs/. The reasons are those the labs' checks give, particulars varied.

  class_report_testlib.py OUT     writes the class into OUT (for class_report_chromium_test.sh)

The class: 12 process_pool students, 4 fifo students, 3 submissions that could not be graded.
"""

import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import reports  # noqa: E402
from text import T  # noqa: E402

LABS_DIR = os.path.join(HERE, "..", "..", "labs")
OK = T("ok", "通过")

POOL = [f"s{i:02}" for i in range(1, 10)] + ["王小明", "o'neil <&>", "bob"]
FIFO = ["f1", "f2", "f3", "f4"]
UNGRADED = {"carol": "no source files (only compiled programs: hand in the sources)",
            "dave": "programs of two labs (fifo: a.c; shm: b.c): give the lab in grade.toml"}
LOST = "zz_lost"  # in scores.csv as graded, but its folder is missing

# What the fixture's counts come to, for the tests that read the page.
FOREIGN_WRITE_END = 7   # of 12: a child keeps the write ends of earlier channels
QUOTED_ARGUMENT = 4     # of 12: a bad argument ('abc', '0', '-3') exits with status 0
STILL_RUNNING = 2       # of 12
FIFO_LEFT = 3           # of 4: the FIFO still exists afterwards, three different paths


def _foreign(i):
    child, owner, fd = 4100 + 7 * i, 4099 + 7 * i, 4 + i % 3
    return T(f"child {child} holds the write end of channel {i % 2} (fd {fd}): closing channel "
             f"{i % 2} in the parent cannot end child {owner}; close the earlier channels' write "
             f"ends in each new child",
             f"子进程 {child} 持有通道 {i % 2} 的写端（fd {fd}）：父进程关闭通道 {i % 2} 无法让子进程 "
             f"{owner} 读到 0 而退出；每个新子进程应关闭之前通道的写端")


def _exited_zero(arg):
    return T(f"{arg!r}: exited with status 0; a bad N must be refused with a non-zero status",
             f"{arg!r}：以状态 0 退出；错误的 N 应以非零状态拒绝")


STILL = T("the program was still running when its time was up (waiting in read()) and was "
          "stopped", "程序在时限到时仍在运行（阻塞在 read() 中），已被终止")


def pool_failures():
    """{student: {check: (reason, blocked_by)}}"""
    out = {name: {} for name in POOL}
    for i, name in enumerate(POOL[:FOREIGN_WRITE_END]):
        out[name]["PROG.POOL.NO_FOREIGN_WRITE_END"] = (_foreign(i), None)
        out[name]["PROG.POOL.CHILDREN_EXIT_ON_CLOSE"] = (T(
            f"child {5000 + i} did not exit after the parent closed its channel: process "
            f"{5001 + i} still holds the write end (fd {5 + i})",
            f"父进程关闭管道后，子进程 {5000 + i} 没有退出：进程 {5001 + i} 仍持有其写端（fd {5 + i}）"),
            "PROG.POOL.NO_FOREIGN_WRITE_END")
    for name, arg in zip(["s02", "s05", "s08", "王小明"], ["abc", "0", "-3", "abc"]):
        out[name]["PROG.POOL.BAD_ARGUMENTS"] = (_exited_zero(arg), None)
    out["s09"]["PROG.POOL.BAD_ARGUMENTS"] = (T(
        "no argument: crashed, killed by SIGSEGV (11): check argc and the value before using it",
        "不带参数：崩溃，被 SIGSEGV (11) 杀死：使用前应检查 argc 和参数值"), None)
    for name in ("s03", "s06"):
        out[name]["PROG.POOL.ENDS"] = (STILL, None)
        out[name]["PROG.POOL.REAPS_ALL"] = (T(
            "not observed: the program did not end by itself, so whether it waits for every "
            "child cannot be seen", "无法观察：程序没有自行结束，看不到它是否回收了每个子进程"),
            "PROG.POOL.ENDS")
    out["o'neil <&>"]["PROG.POOL.ENDS"] = (T(
        "the program exited with status 1 (it said '<script>alert(\"x\")</script>')",
        "程序以状态 1 退出（输出 '<script>alert(\"x\")</script>'）"), None)
    out["王小明"]["PROG.POOL.ENDS"] = (T(
        "the program printed more than 64 KiB ('请输入任务编号：' ...) and was stopped: a loop "
        "that never ends, e.g. at the end of its input",
        "程序输出超过 64 KiB（'请输入任务编号：' ...），已被终止：一个永不结束的循环，例如在输入结束后仍在循环"),
        None)
    return out


def fifo_failures():
    out = {name: {} for name in FIFO}
    for name, path in zip(FIFO, ["/tmp/mypipe", "fifo", "./myfifo"]):
        out[name]["PROG.FIFO.REMOVES_FIFO"] = (T(
            f"{path!r} still exists after the programs ended: call unlink() on it",
            f"程序结束后 {path!r} 仍然存在：应对它调用 unlink()"), None)
    return out


def _rows(rubric, failures, build_failure=None):
    if build_failure:
        build_id = reports.build_id(rubric)
        verdicts = [(build_id, False, build_failure, None)] + [
            (i, False, T("not run: the submission does not build", "未运行：提交无法编译"), build_id)
            for i, _ in rubric if i != build_id]
    else:
        verdicts = [(i, i not in failures, failures.get(i, (OK,))[0],
                     failures.get(i, (OK, None))[1]) for i, _ in rubric]
    return reports.score(rubric, verdicts)


def write_class(out):
    """Writes the class into OUT; returns {student: (lab, score, max_score)}."""
    scores = {}
    builds = {"bob": T("pool.cc:14:9: error: 'fork' was not declared in this scope",
                       "pool.cc:14:9: error: 'fork' was not declared in this scope")}
    for lab, folder, names, failures in (("process_pool", "pool", POOL, pool_failures()),
                                         ("fifo", "fifo", FIFO, fifo_failures())):
        catalog = reports.load_catalog([os.path.join(LABS_DIR, "assertions.catalog"),
                                        os.path.join(LABS_DIR, folder, "assertions.catalog")])
        rubric = reports.load_rubric(os.path.join(LABS_DIR, folder, f"{folder}.rubric"), catalog)
        for name in names:
            rows = _rows(rubric, failures[name], builds.get(name))
            student = os.path.join(out, name)
            os.makedirs(student, exist_ok=True)
            reports.write_all(rows, name, lab, ["contained by namespaces"],
                              os.path.join(student, "results.json"),
                              os.path.join(student, "junit.xml"),
                              os.path.join(student, "REPORT.md"), "en", catalog)
            scores[name] = (lab,) + reports.totals(rows)
    with open(os.path.join(out, "scores.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["submission", "lab", "score", "max_score", "error",
                                    "seconds"])
        writer.writeheader()
        rows = [{"submission": n, "lab": lab, "score": got, "max_score": best, "error": "",
                 "seconds": "1.0"} for n, (lab, got, best) in scores.items()]
        rows += [{"submission": n, "lab": "", "score": "", "max_score": "", "error": why,
                  "seconds": "0.1"} for n, why in UNGRADED.items()]
        rows.append({"submission": LOST, "lab": "fifo", "score": 50, "max_score": 100,
                     "error": "", "seconds": "1.0"})
        writer.writerows(sorted(rows, key=lambda r: r["submission"]))
    return scores


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    write_class(sys.argv[1])
