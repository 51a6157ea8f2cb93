// grade_sandbox: runs a student's program(s) in a scenario of a lab, contained, and writes what
// it observed as JSON. It judges nothing: tools/grade/*.py turns observations into verdicts.
//   grade_sandbox --scenario run|pool|fifo|shm --workdir DIR --report FILE
//     [--log FILE --preload SO --warp N] [--bound MS] [--cap BYTES] [--children N]
//     [--tasks 101,102] [--stdin FILE] [--fifo PATH] [--client-stdin FILE]
//     --main PATH [--arg A]... [--client PATH [--client-arg A]...]
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "fixtures/proc.h"
#include "tools/grade/sandbox/json.h"
#include "tools/grade/sandbox/stage.h"

namespace grade {
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

// Bytes we fed a program that it has not read yet.
int Unread(const Program& p) {
  int n = 0;
  return p.stdin_fd >= 0 && ioctl(p.stdin_fd, FIONREAD, &n) == 0 ? n : 0;
}

// The pool is idle: the parent and every live process below it wait for input, and at least
// `n` of them are its children. Grandchildren count too: a worker's helpers still forking
// would make what the grader sees next depend on how fast they got a CPU.
bool PoolIdle(pid_t parent, int n) {
  if (!IsInputWait(ipcconf::ReadProcessState(parent))) return false;
  int waiting = 0;
  for (pid_t pid : Descendants(parent)) {
    ipcconf::ProcessState s = ipcconf::ReadProcessState(pid);
    if (s.state == 'Z') continue;
    if (!IsInputWait(s)) return false;
    if (s.ppid == parent) ++waiting;
  }
  return waiting >= n;
}

std::string PoolScenario(Stage& stage, const Flags& f, long bound) {
  Program& main = stage.Start("main", f.main_argv, "pipe");
  int n = static_cast<int>(f.Num("children", 1));
  JsonObject o;
  o.Bool("up", stage.WaitFor([&] { return main.ended || PoolIdle(main.pid, n); }, bound) &&
                   !main.ended);
  o.Add("snapshot", stage.SnapshotJson());
  std::string tasks = f.Get("tasks");
  for (char& c : tasks) c = c == ',' ? '\n' : c;
  if (!tasks.empty()) stage.Feed(main, tasks + "\n");
  // Tasks done: the parent has read them all and everybody waits for input again (sleeping in
  // a task is not waiting for input).
  o.Bool("tasks_done", stage.WaitFor([&] {
    return main.ended || (Unread(main) == 0 && PoolIdle(main.pid, n));
  }, bound));
  o.Add("after_tasks", stage.SnapshotJson());
  stage.CloseStdin(main);
  o.Bool("ended", stage.WaitEnd(main, bound));
  return o.Text();
}

std::string FifoScenario(Stage& stage, const Flags& f, long bound) {
  const std::string path = f.Get("fifo");
  Program& server = stage.Start("server", f.main_argv, "");
  JsonObject o;
  struct stat st {};
  bool made = stage.WaitFor(
      [&] { return lstat(path.c_str(), &st) == 0 || server.ended; }, bound);
  made = made && lstat(path.c_str(), &st) == 0;
  o.Bool("created", made).Bool("is_fifo", made && S_ISFIFO(st.st_mode));
  o.Num("mode", made ? (st.st_mode & 07777) : -1);
  o.Bool("waits_in_open", stage.WaitFor([&] {
    ipcconf::ProcessState s = ipcconf::ReadProcessState(server.pid);
    return s.sleeping() && s.syscall_nr &&
           (ipcconf::SyscallName(*s.syscall_nr) == "openat" ||
            ipcconf::SyscallName(*s.syscall_nr) == "open");
  }, bound / 2));
  Program& client = stage.Start("client", f.client_argv, f.Get("client-stdin"));
  o.Bool("client_ended", stage.WaitEnd(client, bound));
  o.Bool("server_ended", stage.WaitEnd(server, bound));
  o.Bool("exists_after", lstat(path.c_str(), &st) == 0);
  return o.Text();
}

std::string ShmScenario(Stage& stage, const Flags& f, long bound) {
  Program& server = stage.Start("server", f.main_argv, f.Get("stdin"));
  JsonObject o;
  o.Bool("segment_seen", stage.WaitFor([&] {
    return server.ended || SysvipcJson().find("\"shm\":[]") == std::string::npos;
  }, bound) && SysvipcJson().find("\"shm\":[]") == std::string::npos);
  o.Add("while_running", SysvipcJson());
  Program& client = stage.Start("client", f.client_argv, f.Get("client-stdin"), true);
  o.Bool("client_ended", stage.WaitEnd(client, bound));
  o.Bool("server_ended", stage.WaitEnd(server, bound));
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
  } else if (scenario == "fifo") {
    observed = FifoScenario(stage, f, bound);
  } else if (scenario == "shm") {
    observed = ShmScenario(stage, f, bound);
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
      &overran);
  if (overran) {
    std::fprintf(stderr, "grade_sandbox: the scenario overran %ld ms (%s)\n", wall,
                 grade::StrengthName(s));
    return 3;
  }
  return 0;
}
