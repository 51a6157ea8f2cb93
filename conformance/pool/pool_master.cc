#include "conformance/pool/pool_master.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <utility>

#include "harness/blocked.h"
#include "harness/proc.h"
#include "harness/result_kind.h"

namespace ipcconf {
namespace {

constexpr size_t kMaxPacket = 65536;

// The master's report socket, set before the pool is created so every worker inherits it.
int g_report_fd = -1;

template <int I>
void ReportTask() {
  TaskRecord r{getpid(), TaskCode(I)};
  send(g_report_fd, &r, sizeof r, MSG_NOSIGNAL);
}

template <int... I>
void RegisterTasks(ipc::TaskRegistry* registry, std::integer_sequence<int, I...>) {
  (registry->Register(TaskCode(I), &ReportTask<I>), ...);
}

bool SendPacket(int fd, const std::string& text) {
  return send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// One packet; nullopt on end of file or error.
std::optional<std::string> ReceivePacket(int fd) {
  std::string buf(kMaxPacket, '\0');
  ssize_t n;
  int interrupted = 0;
  do {
    n = recv(fd, buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR && ++interrupted < 100);
  if (n <= 0) return std::nullopt;
  buf.resize(static_cast<size_t>(n));
  return buf;
}

std::vector<std::string> FdChanges(const FdTable& before, const FdTable& after) {
  std::vector<std::string> changes;
  for (const auto& [fd, target] : after) {
    auto it = before.find(fd);
    if (it == before.end()) {
      changes.push_back("fd " + std::to_string(fd) + " (" + target + ") is open after shutdown");
    } else if (it->second != target) {
      changes.push_back("fd " + std::to_string(fd) + " was " + it->second + ", now " + target);
    }
  }
  for (const auto& [fd, target] : before) {
    if (!after.count(fd)) {
      changes.push_back("fd " + std::to_string(fd) + " (" + target + ") was closed by the pool");
    }
  }
  return changes;
}

// Kills every child of this process and reaps them all (the master's way out of a bad pool).
// Bounded: a child that is not (yet) listed when the kill goes out is killed on a later round;
// after kEventBound whatever is left is the leak guard's to name.
void KillAndReapChildren() {
  PollUntil([]() {
    for (pid_t p : ChildrenOf(getpid())) kill(p, SIGKILL);
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    return ChildrenOf(getpid()).empty();
  });
}

// The master: creates the pool and runs the test's commands until "exit" or "abort".
int MasterMain(int workers, int control, int reports, int err) {
  g_report_fd = reports;
  if (err >= 0 && dup2(err, STDERR_FILENO) < 0) return 3;
  FdTable before = ReadFdTable(getpid());
  ipc::TaskRegistry registry;
  RegisterTasks(&registry, std::make_integer_sequence<int, kTaskCount>());
  std::string error;
  std::unique_ptr<ipc::ProcessPool> pool = ipc::CreateProcessPool(workers, registry, &error);
  if (!pool) {
    SendPacket(control, "error CreateProcessPool failed: " + error);
    return 4;
  }
  std::ostringstream ready;
  ready << "ready";
  for (const ipc::Channel& c : pool->channels()) {
    ready << '\n' << c.name << ' ' << c.pid << ' ' << c.write_fd;
  }
  SendPacket(control, ready.str());
  for (;;) {
    std::optional<std::string> packet = ReceivePacket(control);
    std::istringstream in(packet ? *packet : "abort");
    std::string verb;
    in >> verb;
    std::ostringstream reply;
    if (verb == "send") {
      size_t index;
      ipc::TaskCode code;
      in >> index >> code;
      reply << pool->Send(index, code);
    } else if (verb == "dispatch") {
      for (ipc::TaskCode code; in >> code;) {
        ipc::Delivery d = pool->Dispatch(code);
        reply << d.channel << ' ' << d.error << '\n';
      }
    } else if (verb == "shutdown") {
      for (const ipc::WorkerExit& e : pool->Shutdown()) {
        reply << "exit " << e.name << ' ' << e.pid << ' ' << e.status << '\n';
      }
      for (const std::string& change : FdChanges(before, ReadFdTable(getpid()))) {
        reply << "fd " << change << '\n';
      }
    } else if (verb == "exit") {
      pool.reset();
      return 0;
    } else {  // "abort", or the test is gone: the pool's own shutdown may hang, so never run it
      KillAndReapChildren();
      pool.release();  // NOLINT: deliberately not destroyed, the process ends now
      return 0;
    }
    SendPacket(control, reply.str());
  }
}

int OpenPidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

PoolMaster::PoolMaster(int workers, bool capture_stderr) {
  int control[2], reports[2], err[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) < 0 ||
      socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, reports) < 0 ||
      (capture_stderr && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, err) < 0)) {
    failure_ = std::string("socketpair: ") + strerror(errno);
    return;
  }
  control_.reset(control[0]);
  reports_.reset(reports[0]);
  stderr_.reset(err[0]);
  ipc::UniqueFd master_control(control[1]), master_reports(reports[1]), master_err(err[1]);
  master_.emplace(Child::Fork([&]() {
    control_.reset();
    reports_.reset();
    stderr_.reset();
    return MasterMain(workers, master_control.get(), master_reports.get(), master_err.get());
  }));
  std::optional<std::string> ready = Call("", kEventBound);
  if (!ready) return;
  std::istringstream in(*ready);
  std::string word;
  in >> word;
  if (word != "ready") {
    failure_ = "the master could not create the pool: " + *ready;
    return;
  }
  FdTable master_fds = ReadFdTable(master_->pid());
  for (ChannelView c; in >> c.name >> c.pid >> c.write_fd;) {
    c.pipe = master_fds.count(c.write_fd) ? master_fds[c.write_fd] : "?";
    channels_.push_back(c);
  }
  if (static_cast<int>(channels_.size()) != workers) {
    failure_ = "asked for " + std::to_string(workers) + " workers, the pool has " +
               std::to_string(channels_.size()) + " channels";
  }
}

PoolMaster::~PoolMaster() {
  if (!master_) return;
  if (!master_->reaped()) {
    if (!exited_ && control_) SendPacket(control_.get(), "abort");
    Outcome o = master_->Wait(kEventBound);
    if (o.kind == Outcome::Kind::kTimedOut) ADD_FAILURE() << "the pool's master " << o.Describe();
  }
  // Workers the master left come to us (the test process is a subreaper): a running one (its
  // master was stopped by a bound) is killed; a zombie after a normal exit is one the pool never
  // reaped, which is POOL.SHUTDOWN.NO_ZOMBIE's fault, not the running test's leak.
  std::string unreaped;
  for (const ChannelView& c : channels_) {
    pid_t r = waitpid(c.pid, nullptr, WNOHANG);
    if (r == 0) {
      kill(c.pid, SIGKILL);
      waitpid(c.pid, nullptr, 0);
    } else if (r == c.pid && exited_) {
      unreaped += (unreaped.empty() ? "" : ", ") + std::to_string(c.pid);
    }
  }
  if (!unreaped.empty()) {
    RecordBlocked("POOL.SHUTDOWN.NO_ZOMBIE", "the pool never reaped worker(s) " + unreaped +
                                                 ": zombies once its master exited");
  }
}

std::optional<std::string> PoolMaster::Call(const std::string& command, Millis bound) {
  if (!failure_.empty()) return std::nullopt;
  if (!command.empty() && !SendPacket(control_.get(), command)) {
    failure_ = "the master does not take commands: " + std::string(strerror(errno));
    return std::nullopt;
  }
  ipc::UniqueFd pidfd(OpenPidfd(master_->pid()));
  pollfd fds[2] = {{control_.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  int ready;
  int interrupted = 0;
  do {
    ready = poll(fds, pidfd ? 2 : 1, static_cast<int>(bound.count()));
  } while (ready < 0 && errno == EINTR && ++interrupted < 100);
  if (ready > 0 && (fds[0].revents & POLLIN)) {
    if (std::optional<std::string> reply = ReceivePacket(control_.get())) return reply;
  }
  if (ready == 0) return std::nullopt;  // the caller diagnoses a hang
  failure_ = "the pool's master ended without answering \"" + command +
             "\": " + master_->Wait(kEventBound).Describe();
  return std::nullopt;
}

std::optional<int> PoolMaster::Send(size_t index, ipc::TaskCode code) {
  std::string command = "send " + std::to_string(index) + " " + std::to_string(code);
  std::optional<std::string> reply = Call(command, kEventBound);
  if (!reply) {
    if (failure_.empty()) failure_ = "pool->Send() did not return: " + DescribeProcessGroup(pid());
    return std::nullopt;
  }
  return std::stoi(*reply);
}

std::optional<std::vector<ipc::Delivery>> PoolMaster::Dispatch(
    const std::vector<ipc::TaskCode>& codes) {
  std::string command = "dispatch";
  for (ipc::TaskCode c : codes) command += " " + std::to_string(c);
  std::optional<std::string> reply = Call(command, kEventBound);
  if (!reply) {
    if (failure_.empty()) {
      failure_ = "pool->Dispatch() did not return: " + DescribeProcessGroup(pid());
    }
    return std::nullopt;
  }
  std::vector<ipc::Delivery> out;
  std::istringstream in(*reply);
  for (ipc::Delivery d; in >> d.channel >> d.error;) out.push_back(d);
  return out;
}

ShutdownResult PoolMaster::Shutdown() {
  ShutdownResult r;
  // Waits in short slices so that a certain deadlock, seen twice, ends the wait early.
  const Millis slice{100};
  auto deadline = std::chrono::steady_clock::now() + kShutdownBound;
  std::optional<std::string> reply = Call("shutdown", slice);
  std::string deadlock;
  int deadlock_seen = 0;
  while (!reply && failure_.empty() && std::chrono::steady_clock::now() < deadline &&
         deadlock_seen < 2) {
    deadlock = CertainDeadlock(pid(), channels_);
    deadlock_seen = deadlock.empty() ? 0 : deadlock_seen + 1;
    reply = Call("", slice);
  }
  if (!reply && failure_.empty()) {
    // Hung: name the culprits while they still hold what they hold, then free the master.
    r.diagnosis =
        "shutdown did not finish" +
        (deadlock_seen >= 2 ? ", and never will: " + deadlock
                            : " within " + std::to_string(kShutdownBound.count()) + " ms") +
        "; the master: " + ReadProcessState(pid()).Describe() + "\n" +
        Lines(ForeignPoolEnds(channels_)) +
        "\nevery process of the pool: " + DescribeProcessGroup(pid());
    for (const ChannelView& c : channels_) kill(c.pid, SIGKILL);
    reply = Call("", kEventBound);
  }
  if (!reply) {
    if (r.diagnosis.empty()) r.diagnosis = failure_;
    return r;
  }
  r.finished = r.diagnosis.empty();
  std::istringstream in(*reply);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string kind;
    f >> kind;
    if (kind == "exit") {
      ipc::WorkerExit e;
      f >> e.name >> e.pid >> e.status;
      r.exits.push_back(e);
    } else if (kind == "fd") {
      r.fd_changes.push_back(line.substr(3));
    }
  }
  return r;
}

Outcome PoolMaster::Exit() {
  if (control_) SendPacket(control_.get(), "exit");
  exited_ = true;
  return master_->Wait(kEventBound);
}

std::vector<TaskRecord> PoolMaster::ReadRecords(size_t count) {
  std::vector<TaskRecord> records;
  while (records.size() < count) {
    pollfd p{reports_.get(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(kEventBound.count())) <= 0) break;
    TaskRecord r;
    if (recv(reports_.get(), &r, sizeof r, 0) != sizeof r) break;
    records.push_back(r);
  }
  return records;
}

std::vector<TaskRecord> PoolMaster::DrainRecords() {
  std::vector<TaskRecord> records;
  TaskRecord r;
  while (recv(reports_.get(), &r, sizeof r, MSG_DONTWAIT) == sizeof r) records.push_back(r);
  return records;
}

std::string PoolMaster::ReadStderr() {
  while (stderr_) {
    char buf[4096];
    ssize_t n = recv(stderr_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    stderr_text_.append(buf, static_cast<size_t>(n));
  }
  return stderr_text_;
}

}  // namespace ipcconf
