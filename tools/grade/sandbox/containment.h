// Containment of an untrusted program: its own PID, IPC and mount namespaces (through a user
// namespace when not root), limits, an unprivileged uid. Killing the namespace's init ends
// every process inside, whatever it did (setsid, ignoring SIGTERM); the IPC namespace takes
// the program's System V objects with it.
#ifndef IPCCONF_TOOLS_GRADE_SANDBOX_CONTAINMENT_H_
#define IPCCONF_TOOLS_GRADE_SANDBOX_CONTAINMENT_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace grade {

enum class Strength {
  kNamespaces,      // root: new PID+IPC+mount namespaces
  kUserNamespaces,  // not root: the same inside a new user namespace
  kWeak,            // neither possible: subreaper + kill loop, objects removed by diff
};
const char* StrengthName(Strength s);

struct Limits {
  long processes = 64;           // RLIMIT_NPROC, above what the uid already runs
  long address_space_mb = 1024;  // RLIMIT_AS
  long file_size_mb = 16;        // RLIMIT_FSIZE
  long open_files = 256;         // RLIMIT_NOFILE
  long cpu_seconds = 20;         // RLIMIT_CPU
};

// Who a student program runs as, and what it may use.
struct Identity {
  uid_t uid = 0;  // 0: keep the current uid (not root)
  gid_t gid = 0;
};

// Runs `init` as the first process of fresh namespaces (or, when impossible, as a subreaper
// child) and waits for it at most `wall_ms`. Returns the strength reached; `init` gets it too.
// On overrun init is SIGKILLed, which ends the whole PID namespace.
// In the namespaces /tmp is a fresh tmpfs of the run's own; `keep` (a folder that may lie under
// /tmp: the run's scratch folder) stays reachable at its path.
Strength RunContained(const std::function<int(Strength)>& init, long wall_ms, bool* overran,
                      const std::string& keep = "");

// In the student's child, before exec: limits, then the identity (setgroups/setgid/setuid).
void ApplyLimitsAndIdentity(const Limits& limits, const Identity& identity);

// Every live process below `root` in the process tree (children, their children, ...).
std::vector<pid_t> Descendants(pid_t root);

// Ends every process below this one: kill(-1) inside a PID namespace, else a kill loop over
// the descendants until none remain (bounded). Reaps them all.
void KillEverythingBelow(Strength s);

}  // namespace grade

#endif  // IPCCONF_TOOLS_GRADE_SANDBOX_CONTAINMENT_H_
