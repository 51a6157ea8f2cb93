#include "harness/sysv_objects.h"

#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "harness/child.h"
#include "harness/proc.h"

namespace ipcconf {
namespace {

void ReadSysvFile(const char* path, char kind, std::set<SysvObject>* out) {
  std::istringstream in(ReadSmallFile(path));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    long key = 0;
    int id = -1;
    if (f >> key >> id) out->insert(SysvObject{kind, id, key});
  }
}

// Words of the /proc/sysvipc line for `o` ("" if gone).
std::vector<std::string> SysvLine(const SysvObject& o) {
  const char* path = o.kind == 'm' ? "/proc/sysvipc/shm"
                     : o.kind == 's' ? "/proc/sysvipc/sem"
                                     : "/proc/sysvipc/msg";
  std::istringstream in(ReadSmallFile(path));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::vector<std::string> words;
    std::string w;
    while (f >> w) words.push_back(w);
    if (words.size() > 1 && std::atoi(words[1].c_str()) == o.id) return words;
  }
  return {};
}

bool IsOurPid(long pid) {
  if (pid == getpid()) return true;
  const auto& forked = ForkedPids();
  return std::find(forked.begin(), forked.end(), pid) != forked.end();
}

}  // namespace

std::string SysvObject::Describe() const {
  std::ostringstream os;
  os << (kind == 'm' ? "shared memory segment" : kind == 's' ? "semaphore set" : "message queue")
     << " id " << id << " key 0x" << std::hex << key;
  return os.str();
}

std::set<SysvObject> ReadSysvObjects() {
  std::set<SysvObject> out;
  ReadSysvFile("/proc/sysvipc/shm", 'm', &out);
  ReadSysvFile("/proc/sysvipc/sem", 's', &out);
  ReadSysvFile("/proc/sysvipc/msg", 'q', &out);
  return out;
}

bool SysvObjectIsOurs(const SysvObject& o) {
  std::vector<std::string> w = SysvLine(o);
  if (w.empty()) return false;
  // shm: key shmid perms size cpid lpid ...; msg: key msqid perms cbytes qnum lspid lrpid ...
  if (o.kind == 'm' && w.size() > 5) return IsOurPid(std::atol(w[4].c_str())) ||
                                            IsOurPid(std::atol(w[5].c_str()));
  if (o.kind == 'q' && w.size() > 6) return IsOurPid(std::atol(w[5].c_str())) ||
                                            IsOurPid(std::atol(w[6].c_str()));
  if (o.kind == 's' && w.size() > 3) {
    int nsems = std::atoi(w[3].c_str());
    for (int i = 0; i < nsems; ++i) {
      if (IsOurPid(semctl(o.id, i, GETPID))) return true;
    }
  }
  return false;
}

void RemoveSysvObject(const SysvObject& o) {
  if (o.kind == 'm') syscall(SYS_shmctl, o.id, IPC_RMID, nullptr);
  if (o.kind == 's') syscall(SYS_semctl, o.id, 0, IPC_RMID, 0);
  if (o.kind == 'q') syscall(SYS_msgctl, o.id, IPC_RMID, nullptr);
}

bool RemovalLies(const SysvObject& o) {
  int rc = o.kind == 'm'   ? shmctl(o.id, IPC_RMID, nullptr)
           : o.kind == 's' ? semctl(o.id, 0, IPC_RMID)
                           : msgctl(o.id, IPC_RMID, nullptr);
  if (rc != 0) return false;
  std::vector<std::string> w = SysvLine(o);  // a removed segment still attached has key 0
  return !w.empty() && std::atol(w[0].c_str()) == o.key;
}

}  // namespace ipcconf
