#include "harness/posix_names.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>

namespace ipcconf {
namespace {

constexpr char kPrefix[] = "ipcconf.";
constexpr char kShm[] = "/dev/shm/";
constexpr char kMqueue[] = "/dev/mqueue/";

std::mutex g_mutex;
std::vector<std::string>* g_made = new std::vector<std::string>();

// A message queue by the raw calls (the kernel's names have no leading slash).
bool QueueExists(const std::string& name) {
  long fd = syscall(SYS_mq_open, name.c_str() + 1, O_RDONLY, 0, nullptr);
  if (fd < 0) return false;
  syscall(SYS_close, fd);
  return true;
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// The pid namespace of this process ("4026531836" from /proc/self/ns/pid), "0" without /proc.
// A name carries it: a pid is only meaningful in its own namespace, and a run in another one
// (Bazel's linux-sandbox gives each test its own) cannot tell a live run of ours from a dead one.
const std::string& PidNamespace() {
  static const std::string ns = [] {
    char link[64] = {};
    ssize_t n = readlink("/proc/self/ns/pid", link, sizeof link - 1);
    std::string text(link, n > 0 ? static_cast<size_t>(n) : 0);
    size_t open = text.find('['), close = text.find(']');
    return open == std::string::npos || close == std::string::npos
               ? std::string("0")
               : text.substr(open + 1, close - open - 1);
  }();
  return ns;
}

// The pid a name of ours carries ("ipcconf.PID-NS.N.WHAT", maybe after "sem.") when NS is this
// process's pid namespace, else 0 (not ours to judge: names of other namespaces, or of the
// older format without one, are left alone).
pid_t PidOf(const std::string& entry) {
  size_t at = entry.find(kPrefix);
  if (at == std::string::npos || (at != 0 && entry.compare(0, at, "sem.") != 0)) return 0;
  const char* pid_text = entry.c_str() + at + sizeof kPrefix - 1;
  char* end = nullptr;
  long pid = std::strtol(pid_text, &end, 10);
  if (*end != '-') return 0;
  const std::string ns = "-" + PidNamespace() + ".";
  if (std::string(end).compare(0, ns.size(), ns) != 0) return 0;
  return static_cast<pid_t>(pid);
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

std::string PosixIpcName(const std::string& what) {
  static int counter = 0;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::string name = "/" + std::string(kPrefix) + std::to_string(getpid()) + "-" + PidNamespace() +
                     "." + std::to_string(++counter) + "." + what;
  g_made->push_back(name);
  return name;
}

std::vector<std::string> RemoveLeftoverPosixObjects() {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    names.swap(*g_made);
  }
  std::vector<std::string> left;
  for (const std::string& name : names) {
    if (QueueExists(name)) {
      left.push_back("POSIX message queue " + name);
      syscall(SYS_mq_unlink, name.c_str() + 1);
    }
    std::string shm = kShm + name.substr(1), sem = std::string(kShm) + "sem." + name.substr(1);
    if (Exists(shm)) {
      left.push_back("POSIX shared memory object " + name);
      unlink(shm.c_str());
    }
    if (Exists(sem)) {
      left.push_back("POSIX named semaphore " + name);
      unlink(sem.c_str());
    }
  }
  return left;
}

std::vector<std::string> SweepDeadRunsPosixObjects() {
  std::vector<std::string> removed;
  for (const char* dir : {kShm, kMqueue}) {
    DIR* d = opendir(dir);
    if (!d) continue;
    while (dirent* e = readdir(d)) {
      std::string entry = e->d_name;
      pid_t pid = PidOf(entry);
      if (pid <= 0 || Alive(pid)) continue;
      if (unlink((dir + entry).c_str()) == 0) removed.push_back(dir + entry);
    }
    closedir(d);
  }
  return removed;
}

}  // namespace ipcconf
