// The stage a student's programs run on, inside the sandbox's namespaces: it starts them,
// captures their output with a cap, reaps them and every orphan, and samples the process tree.
// All waits are bounded; the report is JSON for tools/grade/observations.py.
#ifndef IPCCONF_TOOLS_GRADE_SANDBOX_STAGE_H_
#define IPCCONF_TOOLS_GRADE_SANDBOX_STAGE_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tools/grade/sandbox/containment.h"

namespace grade {

struct Program {
  std::string role;  // "main", "server", "client"
  pid_t pid = -1;
  int stdin_fd = -1;  // our end of its stdin pipe, when we feed it
  int out_fd = -1;
  int err_fd = -1;
  std::string out, err;  // the first output_cap bytes of each
  long output_bytes = 0;  // everything it printed, both streams
  bool flooded = false;
  bool ended = false;
  bool stopped_by_grader = false;  // still running at the end: the grader killed it
  int status = 0;
  long started_ms = 0, ended_ms = 0;
  std::string hang;  // what each process was doing when its bound ran out
  std::string Json() const;
};

struct StageOptions {
  std::string workdir;
  std::string preload;  // observing library (empty: none)
  std::string log;      // its log file
  long warp = 0;        // sleep divisor (0: real sleeps)
  long output_cap = 65536;  // bytes of each stream kept; a flood is output_cap of real-time output
  // The output that makes a flood: output_cap scaled by the time warp, because sleeps shortened
  // warp times make a program that prints between its sleeps print warp times faster; a loop
  // that prints without sleeping reaches any such limit in milliseconds anyway.
  long FloodBytes() const { return output_cap * (warp > 1 ? warp : 1); }
  int fork_bomb_processes = 48;  // processes at once that make a fork bomb
  Limits limits;
  Identity main_identity, other_identity;
};

class Stage {
 public:
  Stage(StageOptions options, Strength strength);
  // stdin: "" for /dev/null, "pipe" for a pipe we write, else a file path.
  Program& Start(const std::string& role, const std::vector<std::string>& argv,
                 const std::string& stdin_spec, bool other_identity = false);
  // Reaps, samples and pumps output until `done`, or until the programs have had `bound_ms`
  // in which they could run: time they spent waiting for a CPU (a loaded machine) does not
  // count, up to kMaxStretch more bounds. True if `done`.
  bool WaitFor(const std::function<bool()>& done, long bound_ms);
  bool WaitEnd(Program& p, long bound_ms);  // on timeout records what everything was doing
  void Feed(Program& p, const std::string& text);
  void CloseStdin(Program& p);
  // Every process below the init, with state, call and fds (pipe ends and their modes).
  std::string SnapshotJson() const;
  std::string DescribeAll() const;
  bool fork_bomb() const { return max_processes_ >= options_.fork_bomb_processes; }
  long NowMs() const;
  // Bytes of output read from every program so far (to see that nothing moves).
  size_t OutputBytes() const;
  // The final report: programs, orphans, process counts, /proc/sysvipc.
  std::string ReportJson(const std::string& scenario_json);
  void KillAll();
  static constexpr long kMaxStretch = 4;

 private:
  void Pump(long ms);
  bool ReadOutput(Program& p, bool is_err);
  void StopFlood(Program& p, bool is_err);
  void Drain();
  void Reap();
  void Sample();
  StageOptions options_;
  Strength strength_;
  std::vector<std::unique_ptr<Program>> programs_;
  std::map<pid_t, std::string> seen_;  // pid -> comm, for naming orphans
  std::vector<std::string> orphans_;   // JSON objects of processes the init had to reap
  std::map<pid_t, pid_t> zombie_of_;   // zombie seen -> its parent (which never waited)
  std::map<pid_t, long long> run_delay_ns_;  // pid -> last /proc/PID/schedstat run_delay
  long long starved_ns_ = 0;  // sum over samples of the longest CPU wait of any process
  int max_processes_ = 0;
  bool flood_ = false;
  long start_ms_ = 0;
};

std::string SysvipcJson();

}  // namespace grade

#endif  // IPCCONF_TOOLS_GRADE_SANDBOX_STAGE_H_
