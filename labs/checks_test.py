"""Verdicts of the labs' checks from made-up observations: each reason agrees with its evidence.

No sandbox runs here: run_scenario is replaced by a function that returns the reports a
test describes, so every case of the issue "reasons never contradict their evidence" is pinned.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import labs  # noqa: E402
import pair  # noqa: E402
import pool_checks  # noqa: E402
import shm_checks  # noqa: E402
import submission  # noqa: E402
from runner import Run  # noqa: E402
import unittest_junit  # noqa: E402  (cases counted one by one under Bazel)

PARENT = 2


def proc(pid, ppid, fds, state="S", call="read"):
    return {"pid": pid, "ppid": ppid, "comm": "pool", "state": state, "call": call,
            "describe": f"pid {pid} state {state} in {call}(0, ...)",
            "fds": [{"fd": fd, "target": f"pipe:[{ino}]", "mode": mode} for fd, ino, mode in fds]}


def pool_snapshot(n=3, leak=False):
    """The parent holds write ends of pipes 100+i; child 3+i reads pipe 100+i on fd 0."""
    snap = [proc(PARENT, 1, [(4 + i, 100 + i, "w") for i in range(n)], call="wait4")]
    for i in range(n):
        fds = [(0, 100 + i, "r")]
        if leak:
            fds += [(4 + j, 100 + j, "w") for j in range(i)]
        snap.append(proc(3 + i, PARENT, fds))
    return snap


def main_program(**kw):
    p = {"role": "main", "pid": PARENT, "ended": True, "exit_code": 0, "stdout": "",
         "stderr": "", "hang": "", "flooded": False, "stopped_by_grader": False, "path": "pool"}
    p.update(kw)
    return p


def pool_run(seq, n=3, leak=False, program=None, orphans=(), alive=(), closes=True, **scenario):
    log = [["W", str(PARENT), str(4 + c), str(100 + c), "4", "1"] for c in seq]
    if closes:
        log += [["C", str(PARENT), str(4 + c), str(100 + c), "w"] for c in range(n)]
    report = {"programs": [program or main_program()], "orphans": list(orphans),
              "alive_at_end": list(alive), "max_processes": n + 1,
              "scenario": dict({"snapshot": pool_snapshot(n, leak)}, **scenario)}
    return Run(report, log)


def bad_arg_run():
    return Run({"programs": [main_program(exit_code=1)], "orphans": [], "scenario": {}}, [])


def grade_pool(run):
    pool_checks.run_scenario = lambda *a, **k: bad_arg_run() if a[2] == "run" else run
    return {v[0]: v for v in pool_checks.check_pool(None, "/b", {"main": "/b/pool"}, {"children": 3})}


class PoolReasonsTest(unittest.TestCase):
    def test_ten_codes_over_three_channels_in_turn_is_round_robin(self):
        v = grade_pool(pool_run([0, 1, 2] * 3 + [0]))
        self.assertTrue(v["PROG.POOL.ROUND_ROBIN"][1], v["PROG.POOL.ROUND_ROBIN"][2])
        self.assertTrue(v["PROG.POOL.SEVERAL_WORKERS"][1])

    def test_any_fixed_cyclic_order_is_round_robin(self):
        self.assertTrue(grade_pool(pool_run([2, 0, 1, 2, 0, 1]))["PROG.POOL.ROUND_ROBIN"][1])

    def test_a_broken_cycle_names_the_task_and_both_channels(self):
        v = grade_pool(pool_run([0, 1, 2, 0, 0, 2]))["PROG.POOL.ROUND_ROBIN"]
        self.assertFalse(v[1])
        self.assertIn("task 5 went to channel 0", v[2])
        self.assertIn("sends it to channel 1", v[2])

    def test_no_task_reason_does_not_count_writes_it_did_not_see(self):
        v = grade_pool(pool_run([]))["PROG.POOL.SEVERAL_WORKERS"]
        self.assertFalse(v[1])
        self.assertIn("wrote no task", v[2])
        self.assertNotIn("writes to pipes", v[2])

    def test_inherited_write_end_names_holder_channel_and_fd(self):
        v = grade_pool(pool_run([0, 1, 2], leak=True))
        self.assertFalse(v["PROG.POOL.NO_FOREIGN_WRITE_END"][1])
        self.assertIn("child 4 holds the write end of channel 0 (fd 4)",
                      v["PROG.POOL.NO_FOREIGN_WRITE_END"][2])

    def test_a_parent_killed_for_flooding_is_not_blamed_for_orphans(self):
        flooded = main_program(flooded=True, ended=True, stopped_by_grader=False,
                               stdout="等待任务...\n" * 100)
        orphan = {"pid": 3, "comm": "pool", "was_zombie": False, "parent": 0}
        v = grade_pool(pool_run([0, 1, 2], program=flooded, orphans=[orphan]))
        self.assertFalse(v["PROG.ANY.NO_RUNAWAY"][1])
        self.assertIn("等待任务", v["PROG.ANY.NO_RUNAWAY"][2])  # UTF-8 quoted as it is
        self.assertEqual(v["PROG.POOL.REAPS_ALL"][3], "PROG.ANY.NO_RUNAWAY")
        self.assertNotIn("parent exited", v["PROG.POOL.REAPS_ALL"][2])
        self.assertEqual(v["PROG.POOL.ENDS"][3], "PROG.ANY.NO_RUNAWAY")

    def test_a_quiet_endless_loop_fails_ends_not_no_runaway(self):
        endless = main_program(ended=True, stopped_by_grader=True, exit_code=None,
                               hang="pid 2 (pool) state S (sleeping) in clock_nanosleep(0, ...)")
        del endless["exit_code"]
        v = grade_pool(pool_run([0, 1, 2] * 50, program=endless, closes=False))
        self.assertTrue(v["PROG.ANY.NO_RUNAWAY"][1])
        self.assertFalse(v["PROG.POOL.ENDS"][1])
        self.assertIn("did not end by itself", v["PROG.POOL.ENDS"][2])
        # Its children end only because the grader stopped it: not observed, not failed.
        self.assertEqual(v["PROG.POOL.CHILDREN_EXIT_ON_CLOSE"][3], "PROG.POOL.ENDS")

    def test_a_child_alive_whose_channel_was_never_closed_is_blocked_not_failed(self):
        endless = main_program(stopped_by_grader=True)
        alive = [{"pid": 3, "ppid": PARENT, "describe": "pid 3 state S in read(0, ...)"}]
        v = grade_pool(pool_run([0, 1, 2], program=endless, alive=alive, closes=False))
        row = v["PROG.POOL.CHILDREN_EXIT_ON_CLOSE"]
        self.assertFalse(row[1])
        self.assertEqual(row[3], "PROG.POOL.ENDS")
        self.assertIn("never closed channel 0", row[2])

    def test_deadlocked_shutdown_is_blamed_on_the_inherited_write_end(self):
        hung = main_program(stopped_by_grader=True,
                            hang="pid 2 (pool) state S (sleeping) in wait4(3, ...)")
        alive = [{"pid": 3, "ppid": PARENT, "describe": "pid 3 state S in read(0, ...)"}]
        run = pool_run([0, 1, 2], leak=True, program=hung, alive=alive,
                       at_bound=pool_snapshot(3, leak=True))
        v = grade_pool(run)
        self.assertIn("waiting in wait4()", v["PROG.POOL.ENDS"][2])
        row = v["PROG.POOL.CHILDREN_EXIT_ON_CLOSE"]
        self.assertEqual(row[3], "PROG.POOL.NO_FOREIGN_WRITE_END")
        self.assertIn("process 4 still holds the write end", row[2])

    def test_every_reason_has_chinese(self):
        for row in grade_pool(pool_run([0, 0, 0], leak=True)).values():
            self.assertTrue(row[2].zh, row)


class ShmReasonsTest(unittest.TestCase):
    def run_pair(self, log, sysv_rows=(), programs=None, scenario=None):
        report = {"programs": programs or [
            {"role": "server", "pid": 2, "ended": True, "exit_code": 0, "stdout": "",
             "stderr": "", "path": "server"},
            {"role": "client", "pid": 3, "ended": True, "exit_code": 0,
             "stdout": "收到: shm-message-73\n", "stderr": "", "path": "client"}],
            "orphans": [], "sysvipc": {"shm": list(sysv_rows), "sem": [], "msg": []},
            "scenario": dict({"sender": "server", "fifos": [],
                              "sysvipc_before_second": {"shm": ["1711 0 666 4096"]}},
                             **(scenario or {}))}
        return Run(report, log)

    def grade(self, log, perm=None):
        runs = iter([self.run_pair(log), perm or self.run_pair(log)])
        pair.run_scenario = lambda *a, **k: next(runs)
        return {v[0]: v for v in shm_checks.check_shm(None, "/b", {"server": "/b/s", "client": "/b/c"},
                                                   {})}

    def test_exclusivity_is_judged_on_the_call_that_created_the_segment(self):
        log = [["G", "2", "66001", "4096", str(0o1000 | 0o2000 | 0o666), "0", "0"],
               ["G", "3", "66001", "4096", str(0o1000 | 0o666), "0", "0"]]  # client: IPC_CREAT
        v = self.grade(log)
        self.assertTrue(v["PROG.SHM.CREATED_EXCLUSIVELY"][1], v["PROG.SHM.CREATED_EXCLUSIVELY"])

    def test_creation_without_excl_names_the_call(self):
        log = [["G", "2", "ffffffff", "4096", str(0o1000 | 0o666), "0", "0"]]
        v = self.grade(log)["PROG.SHM.CREATED_EXCLUSIVELY"]
        self.assertFalse(v[1])
        self.assertIn("key 0xffffffff", v[2])  # never "-0x1"
        self.assertIn("IPC_CREAT|0666", v[2])


    def test_without_root_permissions_are_judged_from_the_mode_and_say_so(self):
        # Not root: both programs ran as the grader's user, so the client's shmat succeeding
        # proves nothing about another user; the segment's mode decides.
        log = [["G", "2", "66001", "4096", str(0o1000 | 0o2000 | 0o600), "0", "0"],
               ["A", "3", "1711", "0"]]
        for mode, passed in (("600", False), ("666", True)):
            perm = self.run_pair(log, scenario={"sysvipc_before_second": {"shm": [f"1711 0 {mode} 4096"]}})
            perm.report["client_other_uid"] = False
            v = self.grade(log, perm)["PROG.SHM.PERMISSIONS_ALLOW_CLIENT"]
            self.assertEqual(v[1], passed, v)
            if not passed:
                self.assertIn("mode is 0600", v[2])
                self.assertIn("cannot run the second program as another user", v[2])
                self.assertIn("不是以 root 运行", v[2].zh)


class Labs(unittest.TestCase):
    def test_every_lab_has_its_folder_catalog_and_rubric(self):
        self.assertEqual(tuple(labs.LABS), submission.LABS, "submission.py detects the same labs")
        for lab in labs.LABS.values():
            for path in lab.catalogs() + [lab.rubric()]:
                self.assertTrue(os.path.isfile(path), path)


if __name__ == "__main__":
    unittest_junit.main()
