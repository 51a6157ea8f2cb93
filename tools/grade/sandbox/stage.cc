#include "tools/grade/sandbox/stage.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>

#include "harness/proc.h"
#include "harness/json.h"

namespace grade {

using ::ipcconf::JsonObject;
using ::ipcconf::JsonQuote;
namespace {

std::string Array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]";
}

// Rows of /proc/sysvipc/KIND (header dropped) of this IPC namespace.
std::vector<std::string> SysvRows(const std::string& kind) {
  std::istringstream in(ipcconf::ReadSmallFile("/proc/sysvipc/" + kind));
  std::vector<std::string> rows;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.find_first_not_of(' ') != std::string::npos) rows.push_back(line);
  }
  return rows;
}

std::set<std::string> g_baseline;  // rows present before the programs ran (weak mode: host's)

void SetCloexecPipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::perror("grade sandbox: pipe2");
    _exit(3);
  }
}

}  // namespace

std::string SysvipcJson() {
  JsonObject all;
  for (const char* kind : {"shm", "sem", "msg"}) {
    std::vector<std::string> rows;
    for (const std::string& row : SysvRows(kind)) {
      if (!g_baseline.count(std::string(kind) + row.substr(0, 30))) rows.push_back(JsonQuote(row));
    }
    all.Add(kind, Array(rows));
  }
  return all.Text();
}

std::string Program::Json() const {
  JsonObject o;
  o.Str("role", role).Num("pid", pid).Bool("ended", ended).Num("elapsed_ms", ended_ms - started_ms);
  if (ended && WIFEXITED(status)) o.Num("exit_code", WEXITSTATUS(status));
  if (ended && WIFSIGNALED(status)) o.Num("signal", WTERMSIG(status));
  o.Bool("flooded", flooded).Num("output_bytes", output_bytes);
  o.Bool("stopped_by_grader", stopped_by_grader).Str("stdout", out).Str("stderr", err).Str("hang", hang);
  return o.Text();
}

Stage::Stage(StageOptions options, Strength strength)
    : options_(std::move(options)), strength_(strength) {
  start_ms_ = NowMs();
  for (const char* kind : {"shm", "sem", "msg"}) {
    for (const std::string& row : SysvRows(kind)) g_baseline.insert(kind + row.substr(0, 30));
  }
}

long Stage::NowMs() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

Program& Stage::Start(const std::string& role, const std::vector<std::string>& argv,
                      const std::string& stdin_spec, bool other_identity) {
  programs_.push_back(std::make_unique<Program>());
  Program& p = *programs_.back();
  p.role = role;
  int out[2], err[2], in[2] = {-1, -1};
  SetCloexecPipe(out);
  SetCloexecPipe(err);
  if (stdin_spec == "pipe") SetCloexecPipe(in);
  p.started_ms = NowMs();
  p.pid = fork();
  if (p.pid == 0) {
    int in_fd = in[0];
    if (stdin_spec != "pipe") {
      in_fd = open(stdin_spec.empty() ? "/dev/null" : stdin_spec.c_str(), O_RDONLY);
    }
    dup2(in_fd, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    signal(SIGPIPE, SIG_DFL);
    if (chdir(options_.workdir.c_str()) != 0) _exit(125);
    ApplyLimitsAndIdentity(options_.limits,
                           other_identity ? options_.other_identity : options_.main_identity);
    std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                    "HOME=" + options_.workdir};
    if (!options_.preload.empty()) {
      env.push_back("LD_PRELOAD=" + options_.preload);
      env.push_back("GRADE_LOG=" + options_.log);
      env.push_back("GRADE_WARP=" + std::to_string(options_.warp));
    }
    std::vector<char*> args, envp;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    args.push_back(nullptr);
    envp.push_back(nullptr);
    execve(args[0], args.data(), envp.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  if (in[0] >= 0) close(in[0]);
  p.out_fd = out[0];
  p.err_fd = err[0];
  p.stdin_fd = in[1];
  return p;
}

size_t Stage::OutputBytes() const {
  size_t n = 0;
  for (const auto& p : programs_) n += static_cast<size_t>(p->output_bytes);  // kept or not
  return n;
}

void Stage::Feed(Program& p, const std::string& text) {
  if (p.stdin_fd < 0) return;
  // Small inputs fit the pipe; a reader that never reads must not block the grader.
  fcntl(p.stdin_fd, F_SETFL, O_NONBLOCK);
  ssize_t n = write(p.stdin_fd, text.data(), text.size());
  (void)n;
}

void Stage::CloseStdin(Program& p) {
  if (p.stdin_fd >= 0) close(p.stdin_fd);
  p.stdin_fd = -1;
}

void Stage::Pump(long ms) {
  std::vector<pollfd> fds;
  std::vector<std::pair<Program*, bool>> owners;  // program, is stderr
  for (auto& p : programs_) {
    for (bool is_err : {false, true}) {
      int fd = is_err ? p->err_fd : p->out_fd;
      if (fd >= 0 && !p->flooded) {  // a flood's pipe is no longer read: its writers block
        fds.push_back({fd, POLLIN, 0});
        owners.push_back({p.get(), is_err});
      }
    }
  }
  if (fds.empty()) {
    usleep(static_cast<useconds_t>(ms) * 1000);
  } else if (poll(fds.data(), fds.size(), static_cast<int>(ms)) > 0) {
    for (size_t i = 0; i < fds.size(); ++i) {
      Program& p = *owners[i].first;
      if (fds[i].revents && !ReadOutput(p, owners[i].second) && p.flooded) {
        StopFlood(p, owners[i].second);
      }
    }
  }
}

// One chunk of a program's stdout or stderr; false at end of file, when nothing is waiting
// (non-blocking), or at the cap (a flood).
bool Stage::ReadOutput(Program& p, bool is_err) {
  int& fd = is_err ? p.err_fd : p.out_fd;
  std::string& text = is_err ? p.err : p.out;
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  if (n <= 0) {
    close(fd);
    fd = -1;
    return false;
  }
  long keep = std::max<long>(0, options_.output_cap - static_cast<long>(text.size()));
  text.append(buf, static_cast<size_t>(std::min<long>(n, keep)));
  p.output_bytes += n;
  if (p.output_bytes < options_.FloodBytes()) return true;
  p.flooded = flood_ = true;
  return false;
}

// Kills every process that holds the write end of the flooded pipe (the program, or children
// that inherited its output), and only them: the other program of the scenario goes on, so
// what it does is judged the same however fast the flood came.
void Stage::StopFlood(Program& p, bool is_err) {
  struct stat st {};
  if (fstat(is_err ? p.err_fd : p.out_fd, &st) != 0) return;
  const std::string pipe = "pipe:[" + std::to_string(st.st_ino) + "]";
  kill(p.pid, SIGKILL);
  for (pid_t pid : Descendants(getpid())) {
    for (const auto& [fd, target] : ipcconf::ReadFdTable(pid)) {
      if (target == pipe) kill(pid, SIGKILL);
    }
  }
}

// Once every process has ended, what they wrote last is still in the pipes (a program may
// print and exit between two polls): read it all, so that no output depends on timing.
void Stage::Drain() {
  for (auto& p : programs_) {
    for (bool is_err : {false, true}) {
      int fd = is_err ? p->err_fd : p->out_fd;
      if (fd < 0 || p->flooded) continue;
      fcntl(fd, F_SETFL, O_NONBLOCK);  // a writer outside our reach must not block the report
      while (ReadOutput(*p, is_err)) {
      }
    }
  }
}

void Stage::Reap() {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    bool ours = false;
    for (auto& p : programs_) {
      if (p->pid == pid) {
        p->ended = true;
        p->status = status;
        p->ended_ms = NowMs();
        ours = true;
      }
    }
    if (ours) continue;
    // Nobody waited for it: its parent ended first, so it came to this init.
    JsonObject o;
    o.Num("pid", pid).Str("comm", seen_[pid]);
    o.Bool("was_zombie", zombie_of_.count(pid) > 0);
    o.Num("parent", zombie_of_.count(pid) ? zombie_of_[pid] : 0);
    orphans_.push_back(o.Text());
  }
}

void Stage::Sample() {
  std::vector<pid_t> all = Descendants(getpid());
  max_processes_ = std::max(max_processes_, static_cast<int>(all.size()));
  long long longest_wait = 0;  // for a CPU, by any one process since the last sample
  for (pid_t pid : all) {
    ipcconf::ProcessState s = ipcconf::ReadProcessState(pid);
    if (!s.exists) continue;
    seen_[pid] = s.comm;
    if (s.state == 'Z' && s.ppid != getpid()) zombie_of_[pid] = s.ppid;
    // schedstat: time on a CPU, time runnable but waiting for one (ns), time slices.
    std::istringstream sched(ipcconf::ReadSmallFile("/proc/" + std::to_string(pid) + "/schedstat"));
    long long on_cpu = 0, waited = 0;
    if (!(sched >> on_cpu >> waited)) continue;
    long long& before = run_delay_ns_[pid];
    longest_wait = std::max(longest_wait, waited >= before ? waited - before : waited);
    before = waited;
  }
  starved_ns_ += longest_wait;
}

bool Stage::WaitFor(const std::function<bool()>& done, long bound_ms) {
  const long start = NowMs();
  const long long starved_at_start = starved_ns_;
  for (;;) {
    // What `done` looks at is sampled first: the state it accepts is the state reported.
    Reap();
    Sample();
    if (done()) return true;
    // Time the programs wanted a CPU and did not get one is not theirs: a loaded machine
    // stretches the bound (up to kMaxStretch bounds more) instead of changing a verdict.
    const long stretch = static_cast<long>(
        std::min<long long>((starved_ns_ - starved_at_start) / 1000000, kMaxStretch * bound_ms));
    const long left = start + bound_ms + stretch - NowMs();
    if (left <= 0) return false;
    Pump(std::min(5L, left));
  }
}

bool Stage::WaitEnd(Program& p, long bound_ms) {
  if (WaitFor([&p] { return p.ended; }, bound_ms)) return true;
  if (p.hang.empty()) p.hang = DescribeAll();
  return false;
}

std::string Stage::DescribeAll() const {
  std::string out;
  for (pid_t pid : Descendants(getpid())) {
    ipcconf::ProcessState s = ipcconf::ReadProcessState(pid);
    out += s.Describe() + " (parent " + std::to_string(s.ppid) + ")\n";
  }
  return out;
}

std::string Stage::SnapshotJson() const {
  std::vector<std::string> procs;
  for (pid_t pid : Descendants(getpid())) {
    ipcconf::ProcessState s = ipcconf::ReadProcessState(pid);
    if (!s.exists) continue;
    std::vector<std::string> fds;
    for (const auto& [fd, target] : ipcconf::ReadFdTable(pid)) {
      std::optional<int> flags = ipcconf::ReadFdFlags(pid, fd);
      int mode = flags ? (*flags & O_ACCMODE) : -1;
      JsonObject f;
      f.Num("fd", fd).Str("target", target);
      f.Str("mode", mode == O_RDONLY ? "r" : mode == O_WRONLY ? "w" : mode == O_RDWR ? "rw" : "?");
      fds.push_back(f.Text());
    }
    JsonObject o;
    o.Num("pid", pid).Num("ppid", s.ppid).Str("comm", s.comm).Str("state", std::string(1, s.state));
    o.Str("call", s.syscall_nr ? ipcconf::SyscallName(*s.syscall_nr) : "");
    o.Str("describe", s.Describe()).Add("fds", Array(fds));
    procs.push_back(o.Text());
  }
  return Array(procs);
}

void Stage::KillAll() {
  KillEverythingBelow(strength_);
  for (auto& p : programs_) {
    if (!p->ended) {
      p->ended = true;
      p->status = SIGKILL;  // as a wait status: killed by SIGKILL
      p->stopped_by_grader = true;
      p->ended_ms = NowMs();
    }
  }
}

std::string Stage::ReportJson(const std::string& scenario_json) {
  Reap();
  std::string sysv = SysvipcJson();  // before the namespace goes: what the programs left
  if (strength_ == Strength::kWeak) {
    // No IPC namespace: remove what appeared during the run ourselves.
    for (const std::string& row : SysvRows("shm")) {
      if (!g_baseline.count("shm" + row.substr(0, 30))) {
        std::istringstream fields(row);
        long key = 0, id = -1;
        fields >> key >> id;
        if (id >= 0) shmctl(static_cast<int>(id), IPC_RMID, nullptr);
      }
    }
  }
  // A process still running (state R) is on its way somewhere, e.g. a child that just got its
  // end of file from its parent's exit: give such processes a moment (bounded) before judging
  // what is left; sleeping ones are judged as they are.
  for (long until = NowMs() + 1000; NowMs() < until;) {
    Reap();
    bool running = false;
    for (pid_t pid : Descendants(getpid())) {
      ipcconf::ProcessState s = ipcconf::ReadProcessState(pid);
      running |= s.exists && (s.state == 'R' || s.state == 'D');
    }
    if (!running) break;
    Pump(5);
  }
  std::vector<std::string> alive;  // what was still running when the grader ended the run
  for (pid_t pid : Descendants(getpid())) {
    ipcconf::ProcessState s = ipcconf::ReadProcessState(pid);
    if (s.exists && s.state != 'Z') {
      alive.push_back(JsonObject().Num("pid", pid).Num("ppid", s.ppid).Str("describe", s.Describe()).Text());
    }
  }
  KillAll();
  Drain();
  std::vector<std::string> progs;
  for (auto& p : programs_) progs.push_back(p->Json());
  JsonObject o;
  o.Str("containment", StrengthName(strength_)).Num("elapsed_ms", NowMs() - start_ms_);
  o.Add("programs", Array(progs)).Add("orphans", Array(orphans_)).Add("alive_at_end", Array(alive));
  o.Num("max_processes", max_processes_).Bool("fork_bomb", fork_bomb()).Bool("flooded", flood_);
  o.Add("sysvipc", sysv).Add("scenario", scenario_json);
  return o.Text();
}

}  // namespace grade
