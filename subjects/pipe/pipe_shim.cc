// libbroken_pipe.so, the common part: which defect is on, which fds are the subject, and the
// little memory some defects need. The wrappers are in shim_io.cc, shim_lifecycle.cc and
// shim_control.cc.
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "subjects/pipe/shim.h"
#include "harness/defect_choice.h"

namespace brokenpipe {

Defect g_defect = Defect::kNone;

namespace {

// The defects' names, in the order of Defect after kNone (harness/defect_choice.h reads them).
constexpr const char* kDefectNames[] = {
#define IPCCONF_DEFECT_NAME(Enum, name) #name,
    IPCCONF_PIPE_DEFECTS(IPCCONF_DEFECT_NAME)
#undef IPCCONF_DEFECT_NAME
};

// The pipes the process was started with as fds 0-2 (e.g. a shell pipeline): never touched.
struct InodeId {
  dev_t dev = 0;
  ino_t ino = 0;
};
InodeId g_std_pipes[3];

constexpr int kMaxMarkedFd = 65536;
unsigned char g_marks[kMaxMarkedFd];

constexpr int kMaxWritten = 1024;
ino_t g_written[kMaxWritten];
int g_written_count = 0;

// pipe_dies_with_creator: inode -> creator pid, in memory shared with forked children.
struct CreatorEntry {
  ino_t ino;
  pid_t pid;
};
constexpr int kMaxCreators = 8192;
struct CreatorTable {
  int count;
  CreatorEntry entries[kMaxCreators];
};
CreatorTable* g_creators = nullptr;

template <typename F>
F Lookup(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

RealCalls LoadRealCalls() {
  RealCalls r{};
  r.read = Lookup<decltype(r.read)>("read");
  r.write = Lookup<decltype(r.write)>("write");
  r.close = Lookup<decltype(r.close)>("close");
  r.pipe = Lookup<decltype(r.pipe)>("pipe");
  r.pipe2 = Lookup<decltype(r.pipe2)>("pipe2");
  r.fcntl = Lookup<decltype(r.fcntl)>("fcntl");
  r.fpathconf = Lookup<decltype(r.fpathconf)>("fpathconf");
  r.pathconf = Lookup<decltype(r.pathconf)>("pathconf");
  r.poll = Lookup<decltype(r.poll)>("poll");
  r.ppoll = Lookup<decltype(r.ppoll)>("ppoll");
  r.select = Lookup<decltype(r.select)>("select");
  r.pselect = Lookup<decltype(r.pselect)>("pselect");
  r.lseek = Lookup<decltype(r.lseek)>("lseek");
  r.fstat = Lookup<decltype(r.fstat)>("fstat");
  r.fstatat = Lookup<decltype(r.fstatat)>("fstatat");
  r.fork = Lookup<decltype(r.fork)>("fork");
  r.execve = Lookup<decltype(r.execve)>("execve");
  r.execvpe = Lookup<decltype(r.execvpe)>("execvpe");
  r.exit_now = Lookup<decltype(r.exit_now)>("_exit");
  return r;
}

bool RawFstat(int fd, struct stat* st) { return syscall(SYS_fstat, fd, st) == 0; }

// Reads the state letter of /proc/PID/stat with raw calls ('\0' if the process is gone).
char ProcessStateOf(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
  if (fd < 0) return '\0';
  char buf[512];
  ssize_t n = Real().read(fd, buf, sizeof buf - 1);
  Real().close(fd);
  if (n <= 0) return '\0';
  buf[n] = '\0';
  const char* paren = strrchr(buf, ')');  // the name may hold spaces and parentheses
  return paren && paren[1] == ' ' ? paren[2] : '\0';
}

// Runs before main in every process image the library is preloaded into (after exec too).
__attribute__((constructor)) void SetUpDefect() {
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st;
    if (RawFstat(fd, &st) && S_ISFIFO(st.st_mode)) g_std_pipes[fd] = {st.st_dev, st.st_ino};
  }
  // An unknown name ends the process here, naming it (exit 2): never taken as "no defect".
  g_defect =
      static_cast<Defect>(::ipcconf::ChooseDefect("IPCCONF_BREAK", "libbroken_pipe", kDefectNames));
  if (Is(Defect::kPipeDiesWithCreator)) {
    void* m = mmap(nullptr, sizeof(CreatorTable), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) g_creators = static_cast<CreatorTable*>(m);
  }
}

// A process that exits normally (return from main, exit()) loses its written data too.
__attribute__((destructor)) void AtNormalExit() {
  if (Is(Defect::kDataDiesWithWriter)) DiscardWrittenData();
}

}  // namespace

const RealCalls& Real() {
  static const RealCalls real = LoadRealCalls();
  return real;
}

bool IsSubjectPipe(int fd, struct stat* out) {
  struct stat st;
  if (!RawFstat(fd, &st) || !S_ISFIFO(st.st_mode)) return false;
  for (const InodeId& s : g_std_pipes) {
    if (s.ino != 0 && s.ino == st.st_ino && s.dev == st.st_dev) return false;
  }
  if (out) *out = st;
  return true;
}

bool IsReadEnd(int fd) {
  int fl = Real().fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & O_ACCMODE) != O_WRONLY;
}

bool IsWriteEnd(int fd) {
  int fl = Real().fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & O_ACCMODE) != O_RDONLY;
}

bool IsNonBlocking(int fd) {
  int fl = Real().fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK);
}

int QueuedBytes(int fd) {
  int n = 0;
  return ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

short ReadyNow(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  return Real().poll(&p, 1, 0) == 1 ? p.revents : 0;
}

int ReopenPipe(int fd, int access_mode) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return static_cast<int>(
      syscall(SYS_openat, AT_FDCWD, path, access_mode | O_NONBLOCK | O_CLOEXEC));
}

size_t DiscardQueued(int fd, size_t limit) {
  int reader = ReopenPipe(fd, O_RDONLY);
  if (reader < 0) return 0;
  char sink[4096];
  size_t dropped = 0;
  while (dropped < limit) {
    ssize_t n = Real().read(reader, sink, std::min(sizeof sink, limit - dropped));
    if (n <= 0) break;
    dropped += static_cast<size_t>(n);
  }
  Real().close(reader);
  return dropped;
}

void ForEachSubjectPipe(void (*fn)(int fd)) {
  int dir = static_cast<int>(
      syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir < 0) return;
  static int fds[4096];  // collected first: fn may close or replace fds
  int count = 0;
  char buf[4096];
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[].
      unsigned short reclen;
      memcpy(&reclen, buf + off + 16, sizeof reclen);
      const char* name = buf + off + 19;
      if (name[0] >= '0' && name[0] <= '9' && count < 4096) fds[count++] = atoi(name);
      off += reclen;
    }
  }
  Real().close(dir);
  for (int i = 0; i < count; ++i) {
    if (fds[i] != dir && IsSubjectPipe(fds[i])) fn(fds[i]);
  }
}

void SetMark(int fd, FdMark m) {
  if (fd >= 0 && fd < kMaxMarkedFd) g_marks[fd] |= m;
}
bool HasMark(int fd, FdMark m) { return fd >= 0 && fd < kMaxMarkedFd && (g_marks[fd] & m); }
void ClearMarks(int fd) {
  if (fd >= 0 && fd < kMaxMarkedFd) g_marks[fd] = 0;
}

void NoteWritten(ino_t ino) {
  if (WasWritten(ino) || g_written_count == kMaxWritten) return;
  g_written[g_written_count++] = ino;
}
bool WasWritten(ino_t ino) {
  for (int i = 0; i < g_written_count; ++i) {
    if (g_written[i] == ino) return true;
  }
  return false;
}
void ForgetWritten() { g_written_count = 0; }

void NoteCreator(ino_t ino, pid_t creator) {
  if (!g_creators) return;
  int i = __atomic_fetch_add(&g_creators->count, 1, __ATOMIC_SEQ_CST);
  if (i >= kMaxCreators) return;
  g_creators->entries[i].pid = creator;
  __atomic_store_n(&g_creators->entries[i].ino, ino, __ATOMIC_RELEASE);
}

bool CreatorGone(ino_t ino) {
  if (!g_creators) return false;
  int count = std::min(__atomic_load_n(&g_creators->count, __ATOMIC_ACQUIRE), kMaxCreators);
  for (int i = count - 1; i >= 0; --i) {  // the newest entry wins if an inode is reused
    if (__atomic_load_n(&g_creators->entries[i].ino, __ATOMIC_ACQUIRE) != ino) continue;
    char state = ProcessStateOf(g_creators->entries[i].pid);
    return state == '\0' || state == 'Z' || state == 'X';
  }
  return false;
}

void DiscardWrittenData() {
  ForEachSubjectPipe([](int fd) {
    struct stat st;
    if (IsSubjectPipe(fd, &st) && IsWriteEnd(fd) && WasWritten(st.st_ino)) {
      DiscardQueued(fd, static_cast<size_t>(-1));
    }
  });
}

}  // namespace brokenpipe
