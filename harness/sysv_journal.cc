#include "harness/sysv_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "harness/proc.h"

namespace ipcconf {
namespace {

// Who made an object, as /proc/sysvipc tells it. ctime grows with IPC_SET/SETVAL, never back.
struct Identity {
  char kind = 'm';
  int id = -1;
  long key = 0;
  long cuid = -1;
  long cgid = -1;
  long cpid = 0;  // shared memory only
  long ctime = 0;
  bool SameObject(const Identity& now) const {
    return kind == now.kind && id == now.id && key == now.key && cuid == now.cuid &&
           cgid == now.cgid && cpid == now.cpid && now.ctime >= ctime;
  }
};

int g_fd = -1;
std::string g_path;
off_t g_header_size = 0;

const char* SysvFile(char kind) {
  return kind == 'm' ? "/proc/sysvipc/shm" : kind == 's' ? "/proc/sysvipc/sem"
                                                         : "/proc/sysvipc/msg";
}

// Columns (man 5 proc_sysvipc): the creator uid/gid, creator pid and ctime of each kind.
struct Columns {
  size_t cuid, cgid, cpid, ctime;
};
Columns ColumnsOf(char kind) {
  if (kind == 'm') return {9, 10, 4, 13};
  if (kind == 's') return {6, 7, 0, 9};
  return {9, 10, 0, 13};
}

std::vector<Identity> ReadIdentities(char kind) {
  std::vector<Identity> out;
  std::istringstream in(ReadSmallFile(SysvFile(kind)));
  std::string line;
  std::getline(in, line);  // header
  Columns c = ColumnsOf(kind);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::vector<long> w;
    long v;
    while (f >> v) w.push_back(v);
    if (w.size() <= c.ctime) continue;
    Identity i;
    i.kind = kind;
    i.key = w[0];
    i.id = static_cast<int>(w[1]);
    i.cuid = w[c.cuid];
    i.cgid = w[c.cgid];
    i.cpid = c.cpid ? w[c.cpid] : 0;
    i.ctime = w[c.ctime];
    out.push_back(i);
  }
  return out;
}

std::optional<Identity> IdentityOf(char kind, int id) {
  for (const Identity& i : ReadIdentities(kind)) {
    if (i.id == id) return i;
  }
  return std::nullopt;
}

bool KeyInUse(char kind, key_t key) {
  for (const Identity& i : ReadIdentities(kind)) {
    if (static_cast<key_t>(i.key) == key) return true;
  }
  return false;
}


std::string JournalDir() {
  const char* d = getenv("IPCCONF_SYSV_JOURNAL_DIR");
  return d && *d ? d : "/tmp/ipcconf-sysv-journal";
}

std::string IpcNamespace() {
  char buf[64] = {};
  ssize_t n = readlink("/proc/self/ns/ipc", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
}

// Field 22 of /proc/PID/stat: tells a live run from a later process that reused its pid.
std::string StartTime(pid_t pid) {
  std::string stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return "";
  std::istringstream f(stat.substr(paren + 2));
  std::string w;
  for (int field = 3; field <= 22 && (f >> w); ++field) {
  }
  return w;
}

std::string FormatEntry(const Identity& i) {
  std::ostringstream os;
  os << i.kind << ' ' << i.id << ' ' << i.key << ' ' << i.cuid << ' ' << i.cgid << ' ' << i.cpid
     << ' ' << i.ctime << '\n';
  return os.str();
}

std::vector<Identity> ParseEntries(const std::string& text, std::string* ns) {
  std::vector<Identity> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string first;
    f >> first;
    if (first == "ipcns") {
      f >> *ns;
      continue;
    }
    Identity i;
    i.kind = first.empty() ? '?' : first[0];
    if (f >> i.id >> i.key >> i.cuid >> i.cgid >> i.cpid >> i.ctime) out.push_back(i);
  }
  return out;
}

}  // namespace

void EnableSysvJournal() {
  if (g_fd >= 0) return;
  std::string dir = JournalDir();
  if (mkdir(dir.c_str(), 01777) == 0) chmod(dir.c_str(), 01777);  // shared by every user's runs
  g_path = dir + "/" + std::to_string(getpid()) + "." + StartTime(getpid()) + ".journal";
  g_fd = open(g_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (g_fd < 0) {
    fprintf(stderr, "ipcconf: cannot write the SysV journal %s: objects of a killed run will "
                    "not be cleaned up by the next one\n", g_path.c_str());
    return;
  }
  std::string header = "ipcns " + IpcNamespace() + "\n";
  g_header_size = static_cast<off_t>(header.size());
  if (write(g_fd, header.data(), header.size()) < 0) perror("ipcconf: SysV journal");
}

bool SysvJournalEnabled() { return g_fd >= 0; }

void JournalSysvObject(char kind, int id) {
  if (g_fd < 0) return;
  std::optional<Identity> i = IdentityOf(kind, id);
  if (!i) return;  // already gone
  std::string entry = FormatEntry(*i);
  // One write with O_APPEND: children of the run append to the same file without tearing lines.
  if (write(g_fd, entry.data(), entry.size()) < 0) perror("ipcconf: SysV journal");
}

std::vector<SysvObject> JournaledSysvObjects() {
  std::string ns;
  std::vector<SysvObject> out;
  if (g_path.empty()) return out;
  for (const Identity& i : ParseEntries(ReadSmallFile(g_path), &ns)) {
    out.push_back(SysvObject{i.kind, i.id, i.key});
  }
  return out;
}

void ResetSysvJournal() {
  if (g_fd >= 0 && ftruncate(g_fd, g_header_size) != 0) perror("ipcconf: SysV journal");
}

void CloseSysvJournal() {
  if (g_fd < 0) return;
  close(g_fd);
  g_fd = -1;
  unlink(g_path.c_str());
}

std::vector<SysvObject> SweepDeadRunJournals() {
  std::vector<SysvObject> removed;
  std::string dir = JournalDir();
  DIR* d = opendir(dir.c_str());
  if (!d) return removed;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.push_back(e->d_name);
  closedir(d);
  std::string my_ns = IpcNamespace();
  for (const std::string& name : names) {
    size_t dot = name.find('.');
    if (dot == std::string::npos || name.size() < 8 ||
        name.compare(name.size() - 8, 8, ".journal") != 0) {
      continue;
    }
    pid_t pid = static_cast<pid_t>(atol(name.substr(0, dot).c_str()));
    std::string start = name.substr(dot + 1, name.size() - 8 - dot - 1);
    if (pid <= 0 || StartTime(pid) == start) continue;  // that run is alive
    std::string path = dir + "/" + name;
    std::string ns;
    std::vector<Identity> entries = ParseEntries(ReadSmallFile(path), &ns);
    if (ns != my_ns) continue;  // its objects are out of our reach; its own namespace may sweep
    for (const Identity& recorded : entries) {
      std::optional<Identity> now = IdentityOf(recorded.kind, recorded.id);
      if (!now || !recorded.SameObject(*now)) continue;  // gone, or a different object now
      RemoveSysvObject(SysvObject{recorded.kind, recorded.id, recorded.key});
      removed.push_back(SysvObject{recorded.kind, recorded.id, recorded.key});
    }
    unlink(path.c_str());
  }
  return removed;
}

namespace {

// Whether a *get with these arguments can create: then the new object is journaled.
bool MayCreate(char kind, key_t key, int flags) {
  if (!SysvJournalEnabled()) return false;
  return key == IPC_PRIVATE || ((flags & IPC_CREAT) && !KeyInUse(kind, key));
}

int Journaled(char kind, bool may_create, int id) {
  if (id >= 0 && may_create) JournalSysvObject(kind, id);
  return id;
}

}  // namespace

int JournaledShmget(key_t key, size_t size, int flags) {
  bool may_create = MayCreate('m', key, flags);
  return Journaled('m', may_create, shmget(key, size, flags));
}

int JournaledSemget(key_t key, int nsems, int flags) {
  bool may_create = MayCreate('s', key, flags);
  return Journaled('s', may_create, semget(key, nsems, flags));
}

int JournaledMsgget(key_t key, int flags) {
  bool may_create = MayCreate('q', key, flags);
  return Journaled('q', may_create, msgget(key, flags));
}

}  // namespace ipcconf
