// Names of POSIX IPC objects (message queues, named semaphores, shared memory objects) that no
// other run or test uses, and the leak guard's view of them. The objects live in filesystems
// shared by every process of the machine (/dev/shm; /dev/mqueue per IPC namespace), so a test
// makes every name it uses here: the leak guard then checks after each test that none of them
// still exists (and removes it), and each run's start removes what killed runs left behind.
// The checks use the raw system calls and /dev/shm directly, never the libc functions that may
// be the broken subject of a run.
#ifndef IPCCONF_HARNESS_POSIX_NAMES_H_
#define IPCCONF_HARNESS_POSIX_NAMES_H_

#include <string>
#include <vector>

namespace ipcconf {

// "/ipcconf.PID-NS.N.WHAT": unique to this process (NS its pid namespace, N counts up), WHAT
// says what it is for. Make names in the test process (not in a child), so that the leak guard
// knows them.
std::string PosixIpcName(const std::string& what);

// What of the names made since the last call still exists, each described ("POSIX message
// queue /ipcconf.12.3.q"), removed by the raw calls; then the names are forgotten.
std::vector<std::string> RemoveLeftoverPosixObjects();

// Removes the objects of runs that are no longer alive (their pid, in the name, is gone from
// this pid namespace, also in the name); returns what it removed. Names of another namespace
// are never judged: there a live run's pid looks dead.
std::vector<std::string> SweepDeadRunsPosixObjects();

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_POSIX_NAMES_H_
