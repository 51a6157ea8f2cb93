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

// The pid a name of ours carries ("ipcconf.PID.N.WHAT", maybe after "sem."), or 0.
pid_t PidOf(const std::string& entry) {
  size_t at = entry.find(kPrefix);
  if (at == std::string::npos || (at != 0 && entry.compare(0, at, "sem.") != 0)) return 0;
  return static_cast<pid_t>(std::atol(entry.c_str() + at + sizeof kPrefix - 1));
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

std::string PosixIpcName(const std::string& what) {
  static int counter = 0;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::string name = "/" + std::string(kPrefix) + std::to_string(getpid()) + "." +
                     std::to_string(++counter) + "." + what;
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
