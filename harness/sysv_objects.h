// The System V objects of this IPC namespace as /proc/sysvipc lists them, and their removal by
// the raw system call, for the leak guard and the run journal (neither may depend on the libc
// wrappers, which may be the broken subject of a run).
#ifndef IPCCONF_HARNESS_SYSV_OBJECTS_H_
#define IPCCONF_HARNESS_SYSV_OBJECTS_H_

#include <set>
#include <string>

namespace ipcconf {

// A System V object as /proc/sysvipc lists it.
struct SysvObject {
  char kind;  // 'm' shared memory, 's' semaphore set, 'q' message queue
  int id;
  long key;
  std::string Describe() const;
  bool operator<(const SysvObject& o) const { return kind != o.kind ? kind < o.kind : id < o.id; }
};
std::set<SysvObject> ReadSysvObjects();
// True if this process (or a child it forked) made or used the object: used when the test
// shares the host's IPC namespace and other processes may create objects meanwhile.
bool SysvObjectIsOurs(const SysvObject& o);
// IPC_RMID on it by the raw system call: the libc wrappers may be the broken subject of a run.
void RemoveSysvObject(const SysvObject& o);
// True if IPC_RMID through the libc wrapper reports success but leaves `o` in place with its
// key: the removal call is broken (then a leftover is not the test's leak).
bool RemovalLies(const SysvObject& o);

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_SYSV_OBJECTS_H_
