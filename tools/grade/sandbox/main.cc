// grade_sandbox: runs a student's program(s) in a scenario of a lab, contained, and writes what
// it observed as JSON. It judges nothing: tools/grade/*.py turns observations into verdicts.
//   grade_sandbox --scenario run|pool|pair --workdir DIR --report FILE
//     [--log FILE --preload SO --warp N] [--bound MS] [--cap BYTES] [--children N]
//     [--tasks 1,2,1] [--stdin FILE] [--lines FILE] [--eof 1] [--client-other-uid 1]
//     --main PATH [--arg A]... [--client PATH [--client-arg A]...]
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <utility>
#include <string>
#include <vector>

#include "harness/proc.h"
#include "harness/json.h"
#include "tools/grade/sandbox/stage.h"

namespace grade {

using ::ipcconf::JsonObject;
using ::ipcconf::JsonQuote;
namespace {

struct Flags {
  std::map<std::string, std::string> one;
  std::vector<std::string> main_argv, client_argv;
  std::string Get(const std::string& k, const std::string& d = "") const {
    auto it = one.find(k);
    return it == one.end() ? d : it->second;
  }
  long Num(const std::string& k, long d) const { return std::atol(Get(k, std::to_string(d)).c_str()); }
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr, "grade_sandbox: %s (see the comment at the top of main.cc)\n", why.c_str());
  std::exit(2);
}

Flags Parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc) Usage("bad argument '" + k + "'");
    std::string v = argv[++i];
    if (k == "--main") f.main_argv.insert(f.main_argv.begin(), v);
    else if (k == "--arg") f.main_argv.push_back(v);
    else if (k == "--client") f.client_argv.insert(f.client_argv.begin(), v);
    else if (k == "--client-arg") f.client_argv.push_back(v);
    else f.one[k.substr(2)] = v;
  }
  if (f.main_argv.empty() || f.Get("workdir").empty() || f.Get("report").empty()) {
    Usage("--main, --workdir and --report are required");
  }
  return f;
}

bool IsInputWait(const ipcconf::ProcessState& s) {
  if (!s.sleeping() || !s.syscall_nr) return false;
  std::string call = ipcconf::SyscallName(*s.syscall_nr);
  return call == "read" || call == "readv" || call == "poll" || call == "ppoll" ||
         call == "select" || call == "pselect6" || call == "epoll_wait";
}

// Asleep reading its standard input (read(0, ...): getline, cin, scanf, fgets all end there).
bool ReadsStdin(pid_t pid) {
  ipcconf::ProcessState s = ipcconf::ReadProcessState(pid);
  if (!s.sleeping() || !s.syscall_nr || s.syscall_args.empty()) return false;
  std::string call = ipcconf::SyscallName(*s.syscall_nr);
  return (call == "read" || call == "readv") && s.syscall_args[0] == 0;
}

bool InOpen(pid_t pid) {
  ipcconf::ProcessState s = ipcconf::ReadProcessState(pid);
  if (!s.sleeping() || !s.syscall_nr) return false;
  std::string call = ipcconf::SyscallName(*s.syscall_nr);
  return call == "openat" || call == "open";
}

// Bytes we fed a program that it has not read yet.
int Unread(const Program& p) {
  int n = 0;
  return p.stdin_fd >= 0 && ioctl(p.stdin_fd, FIONREAD, &n) == 0 ? n : 0;
}

// Every live process of the program (it and its descendants) is asleep.
bool AllAsleep(pid_t pid) {
  std::vector<pid_t> all = Descendants(pid);
  all.push_back(pid);
  for (pid_t p : all) {
    ipcconf::ProcessState s = ipcconf::ReadProcessState(p);
    if (s.exists && s.state != 'Z' && !s.sleeping()) return false;
  }
  return true;
}

// Nothing below the init can move any more: every live process has been asleep in a call that
// no timer ends (not a sleep, not a poll with a timeout) for `samples` samples in a row, with
// no new output. Then waiting out the bound proves nothing more: the run ends early.
class StuckWatch {
 public:
  bool Stuck(const Stage& stage) {
    std::string now;
    for (pid_t pid : Descendants(getpid())) {
      ipcconf::ProcessState s = ipcconf::ReadProcessState(pid);
      if (!s.exists || s.state == 'Z') continue;
      if (!s.sleeping() || !s.syscall_nr) return Reset();
      std::string call = ipcconf::SyscallName(*s.syscall_nr);
      if (call.find("sleep") != std::string::npos || call.find("poll") != std::string::npos ||
          call.find("select") != std::string::npos || call == "semtimedop" || call == "pause") {
        return Reset();
      }
      now += std::to_string(pid) + call + ";";
    }
    now += std::to_string(stage.OutputBytes());
    if (now != last_) {
      last_ = now;
      return Reset();
    }
    return ++same_ >= kSamples;
  }

 private:
  bool Reset() {
    same_ = 0;
    return false;
  }
  static constexpr int kSamples = 30;  // 30 samples, 5 ms apart at most: >= 150 ms unchanged
  std::string last_;
  int same_ = 0;
};

// Live children of `parent`, and how many of them wait for input.
std::pair<int, int> ChildrenWaiting(pid_t parent) {
  int live = 0, waiting = 0;
  for (pid_t c : ipcconf::ChildrenOf(parent)) {
    ipcconf::ProcessState s = ipcconf::ReadProcessState(c);
    if (!s.exists || s.state == 'Z') continue;
    ++live;
    if (IsInputWait(s)) ++waiting;
  }
  return {live, waiting};
}

// The process pool: `PROG N` with stdin an open pipe. The pool is observed, not driven: its fd
// tables are read at the first moment the most children wait for input at once (each has then
// closed what it meant to close), tasks are fed only to a parent that waits reading its stdin
// (one per line, then end of file), and a pool that drives itself is watched until it ends.
std::string PoolScenario(Stage& stage, const Flags& f, long bound) {
  Program& main = stage.Start("main", f.main_argv, "pipe");
  std::string tasks = f.Get("tasks");
  for (char& c : tasks) c = c == ',' ? '\n' : c;
  if (!tasks.empty()) tasks += "\n";
  int most = 0;
  std::string snapshot = "[]";
  bool fed = false, closed = false;
  long up_ms = -1;
  StuckWatch stuck;
  bool deadlock = false;
  stage.WaitFor([&] {
    if (main.ended) return true;
    if ((tasks.empty() || closed || !ReadsStdin(main.pid)) && stuck.Stuck(stage)) {
      deadlock = true;  // e.g. the parent in waitpid(), every child in read(): nobody moves
      return true;
    }
    auto [live, waiting] = ChildrenWaiting(main.pid);
    if (live > 0 && waiting == live && live > most) {
      most = live;
      snapshot = stage.SnapshotJson();
      if (up_ms < 0) up_ms = stage.NowMs();
    }
    if (most > 0 && !fed && !tasks.empty() && ReadsStdin(main.pid)) {
      stage.Feed(main, tasks);
      fed = true;
    } else if (fed && Unread(main) == 0 && ReadsStdin(main.pid) && waiting == live) {
      stage.CloseStdin(main);  // the tasks are taken: now the end of its input
      closed = true;
    }
    return false;
  }, bound);
  JsonObject o;
  o.Num("most_children_waiting", most).Add("snapshot", snapshot).Bool("stuck", deadlock);
  o.Bool("fed", fed).Bool("reads_stdin", fed || ReadsStdin(main.pid));
  if (!main.ended) {
    // It did not end by itself: what it holds now explains a hang (a deadlocked shutdown).
    o.Add("at_bound", stage.SnapshotJson()).Str("at_bound_describe", stage.DescribeAll());
    if (!closed) stage.CloseStdin(main);
    o.Bool("ended_after_stdin_closed", stage.WaitEnd(main, deadlock ? bound / 20 : bound / 4));
  }
  o.Bool("ended", main.ended && main.hang.empty());
  return o.Text();
}

// Two programs of a lab (FIFO, shared memory) whose roles are found by watching them: the
// first (by name the server) starts and settles (waits in open() of its FIFO, for input, or for
// the other); then the second starts. Whichever waits reading its stdin gets the lines (the
// sender); with --eof its stdin then ends, else it is closed once the sender has taken
// everything and waits for more (a sender that stops at "quit" has ended by then).
std::string PairScenario(Stage& stage, const Flags& f, long bound) {
  const std::string lines = ipcconf::ReadSmallFile(f.Get("lines"));
  const bool eof = f.Get("eof") == "1";
  Program& first = stage.Start("server", f.main_argv, "pipe");
  Program* sender = nullptr;
  auto feed = [&](Program& p) {
    sender = &p;
    stage.Feed(p, lines);
    if (eof) stage.CloseStdin(p);
  };
  bool first_waited_in_open = false;
  int asleep = 0;
  stage.WaitFor([&] {
    if (first.ended) return true;
    if (InOpen(first.pid)) {
      first_waited_in_open = true;
      return true;
    }
    if (!sender && ReadsStdin(first.pid)) {
      feed(first);
      asleep = 0;
      return false;
    }
    if (sender == &first && Unread(first) > 0) return false;
    asleep = AllAsleep(first.pid) ? asleep + 1 : 0;
    return asleep >= 3;  // three samples in a row: it waits for something
  }, bound / 2);
  JsonObject o;
  o.Bool("first_waited_in_open", first_waited_in_open);
  o.Str("first_before_second", first.ended ? "ended" : stage.DescribeAll());
  o.Add("sysvipc_before_second", SysvipcJson());
  Program& second = stage.Start("client", f.client_argv, "pipe", f.Get("client-other-uid") == "1");
  bool closed = false, waited_after_input = false;
  StuckWatch stuck;
  auto close_all = [&] {
    stage.CloseStdin(first);
    stage.CloseStdin(second);
    closed = true;
  };
  stage.WaitFor([&] {
    if (first.ended && second.ended) return true;
    // Nobody moves and nothing of ours can move them (input ended, or nobody reads it).
    if ((closed || !sender) && stuck.Stuck(stage)) return true;
    if (!sender) {
      if (!second.ended && ReadsStdin(second.pid)) feed(second);
      else if (!first.ended && ReadsStdin(first.pid)) feed(first);
      return false;
    }
    if (!closed && (sender->ended || (Unread(*sender) == 0 && ReadsStdin(sender->pid)))) {
      waited_after_input = !sender->ended && !eof;
      close_all();
    }
    return false;
  }, bound);
  if (!closed) close_all();
  long rest = stuck.Stuck(stage) ? bound / 20 : bound / 4;
  bool first_end = stage.WaitEnd(first, rest), second_end = stage.WaitEnd(second, rest);
  o.Str("sender", sender ? sender->role : "");
  o.Bool("sender_waited_for_more_input", waited_after_input);
  o.Bool("server_ended", first_end && first.hang.empty());
  o.Bool("client_ended", second_end && second.hang.empty());
  // FIFOs the programs made (the observer logged them): do they still exist?
  std::vector<std::string> nodes;
  std::istringstream log(ipcconf::ReadSmallFile(f.Get("log")));
  std::string line;
  while (std::getline(log, line)) {
    std::istringstream in(line);
    std::string kind, pid, err, mode, path;
    if (!(in >> kind >> pid >> err >> mode) || kind != "M" || err != "0") continue;
    std::getline(in >> std::ws, path);
    struct stat st {};
    JsonObject node;
    node.Str("path", path).Bool("exists_after", lstat(path.c_str(), &st) == 0);
    nodes.push_back(node.Text());
  }
  std::string array = "[";
  for (size_t i = 0; i < nodes.size(); ++i) array += (i ? "," : "") + nodes[i];
  o.Add("fifos", array + "]");
  return o.Text();
}

int Init(Strength strength, const Flags& f, int report_fd) {
  StageOptions options;
  options.workdir = f.Get("workdir");
  options.preload = f.Get("preload");
  options.log = f.Get("log");
  options.warp = f.Num("warp", 0);
  options.output_cap = f.Num("cap", 65536);
  uid_t uid = static_cast<uid_t>(f.Num("uid", 0));
  options.main_identity = {uid, uid};
  options.other_identity = {uid ? uid + 1 : 0, uid ? uid + 1 : 0};
  if (chdir(options.workdir.c_str()) != 0) std::perror("grade sandbox: chdir");
  Stage stage(options, strength);
  const long bound = f.Num("bound", 5000);
  const std::string scenario = f.Get("scenario", "run");
  std::string observed;
  if (scenario == "pool") {
    observed = PoolScenario(stage, f, bound);
  } else if (scenario == "pair") {
    observed = PairScenario(stage, f, bound);
  } else {
    Program& main = stage.Start("main", f.main_argv, f.Get("stdin"));
    observed = JsonObject().Bool("ended", stage.WaitEnd(main, bound)).Text();
  }
  std::string report = stage.ReportJson(observed) + "\n";
  return write(report_fd, report.data(), report.size()) == static_cast<ssize_t>(report.size()) ? 0
                                                                                                : 3;
}

}  // namespace
}  // namespace grade

int main(int argc, char** argv) {
  grade::Flags flags = grade::Parse(argc, argv);
  int report_fd = open(flags.Get("report").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (report_fd < 0) grade::Usage("cannot write the report " + flags.Get("report"));
  // Every wait of a scenario is bounded (at most 4 bounds, each stretched at most kMaxStretch
  // more on a loaded machine); this bounds the sandbox as a whole on top.
  long wall = 4 * (1 + grade::Stage::kMaxStretch) * flags.Num("bound", 5000) + 2000;
  bool overran = false;
  grade::Strength s = grade::RunContained(
      [&](grade::Strength strength) { return grade::Init(strength, flags, report_fd); }, wall,
      &overran, flags.Get("workdir").substr(0, flags.Get("workdir").rfind('/')));
  if (overran) {
    std::fprintf(stderr, "grade_sandbox: the scenario overran %ld ms (%s)\n", wall,
                 grade::StrengthName(s));
    return 3;
  }
  return 0;
}
