// libbroken_pipe.so: how pipes are born (pipe, pipe2), inherited (fork, exec) and left behind
// (_exit), broken on request.
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "subjects/pipe/shim.h"

extern char** environ;

namespace brokenpipe {
namespace {

// The flags pipe2() really gets under the chosen defect (`from_pipe2`: the caller chose them).
int CreationFlags(int flags, bool from_pipe2) {
  switch (g_defect) {
    case Defect::kPipe2AcceptsBadFlags:
      return from_pipe2 ? flags & (O_CLOEXEC | O_NONBLOCK | O_DIRECT) : flags;
    case Defect::kPipe2IgnoresCloexec:
      return from_pipe2 ? flags & ~O_CLOEXEC : flags;
    case Defect::kPipe2IgnoresNonblock:
      return from_pipe2 ? flags & ~O_NONBLOCK : flags;
    case Defect::kPipeSetsCloexec:
      return flags | O_CLOEXEC;
    case Defect::kPacketMode:
      return flags | O_DIRECT;  // Linux's packet pipes: one write per read, the rest discarded
    default:
      return flags;
  }
}

// Moves `fd` to the lowest free number >= 64, keeping its FD_CLOEXEC.
int MoveHigh(int fd) {
  bool cloexec = Real().fcntl(fd, F_GETFD) & FD_CLOEXEC;
  int high = Real().fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 64);
  if (high < 0) return fd;
  Real().close(fd);
  return high;
}

int MakePipe(int fds[2], int flags, bool from_pipe2) {
  int rc = Real().pipe2(fds, CreationFlags(flags, from_pipe2));
  if (rc != 0) return rc;
  ClearMarks(fds[0]);
  ClearMarks(fds[1]);
  if (Is(Defect::kPipeEndsSwapped)) std::swap(fds[0], fds[1]);
  if (Is(Defect::kFdsNotLowest)) {
    fds[0] = MoveHigh(fds[0]);
    fds[1] = MoveHigh(fds[1]);
  }
  if (Is(Defect::kPipeDiesWithCreator)) {
    struct stat st;
    if (IsSubjectPipe(fds[0], &st)) NoteCreator(st.st_ino, getpid());
  }
  // Legal, not a defect: a system whose pipes hold one page (POSIX asks for PIPE_BUF bytes).
  if (Is(Defect::kLegalOnePage)) Real().fcntl(fds[1], F_SETPIPE_SZ, 4096);
  return 0;
}

// fork_copies_description: the child's end gets an open file description of its own (same
// pipe, same flags), so F_SETFL in the child no longer reaches the parent.
void GiveOwnDescription(int fd) {
  int fl = Real().fcntl(fd, F_GETFL);
  int fdfl = Real().fcntl(fd, F_GETFD);
  int copy = ReopenPipe(fd, fl & O_ACCMODE);
  if (copy < 0) return;  // a writer without a reader cannot be reopened: keep the shared one
  Real().fcntl(copy, F_SETFL, fl);
  dup3(copy, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
  Real().close(copy);
}

void AfterForkInChild() {
  ForgetWritten();  // what the parent wrote is not the child's
  if (Is(Defect::kForkClosesPipes)) ForEachSubjectPipe([](int fd) { Real().close(fd); });
  if (Is(Defect::kForkCopiesDescription)) ForEachSubjectPipe(GiveOwnDescription);
}

// FD_CLOEXEC of the pipe ends changed before an exec, to put back if the exec fails.
int g_changed[4096];
int g_changed_count = 0;

void FlipCloexec(int fd) {
  int fdfl = Real().fcntl(fd, F_GETFD);
  bool want = Is(Defect::kExecClosesPipes);  // else exec_keeps_cloexec: clear it
  if (fdfl < 0 || bool(fdfl & FD_CLOEXEC) == want) return;
  Real().fcntl(fd, F_SETFD, fdfl ^ FD_CLOEXEC);
  if (g_changed_count < 4096) g_changed[g_changed_count++] = fd;
}

void BeforeExec() {
  g_changed_count = 0;
  if (Is(Defect::kExecClosesPipes) || Is(Defect::kExecKeepsCloexec)) {
    ForEachSubjectPipe(FlipCloexec);
  }
}

void AfterFailedExec() {
  for (int i = 0; i < g_changed_count; ++i) {
    int fdfl = Real().fcntl(g_changed[i], F_GETFD);
    if (fdfl >= 0) Real().fcntl(g_changed[i], F_SETFD, fdfl ^ FD_CLOEXEC);
  }
  g_changed_count = 0;
}

template <typename Call>
int Exec(Call call) {
  if (Broken()) BeforeExec();
  int rc = call();
  if (Broken()) AfterFailedExec();
  return rc;
}

// argv of execl/execlp/execle, from `first` on (at most 255 arguments).
const char** CollectArgs(const char* first, va_list ap, const char** argv, int max) {
  int n = 0;
  argv[n++] = first;
  while (argv[n - 1] != nullptr && n < max) argv[n++] = va_arg(ap, const char*);
  argv[max - 1] = nullptr;
  return argv;
}

}  // namespace
}  // namespace brokenpipe

using brokenpipe::Broken;
using brokenpipe::Defect;
using brokenpipe::Is;
using brokenpipe::Real;

extern "C" int pipe(int fds[2]) {
  if (!Broken()) return Real().pipe(fds);
  return brokenpipe::MakePipe(fds, 0, false);
}

extern "C" int pipe2(int fds[2], int flags) {
  if (!Broken()) return Real().pipe2(fds, flags);
  return brokenpipe::MakePipe(fds, flags, true);
}

extern "C" pid_t fork() {
  pid_t pid = Real().fork();
  if (pid == 0 && Broken()) brokenpipe::AfterForkInChild();
  return pid;
}

extern "C" int execve(const char* path, char* const argv[], char* const envp[]) {
  return brokenpipe::Exec([&]() { return Real().execve(path, argv, envp); });
}

extern "C" int execv(const char* path, char* const argv[]) {
  return brokenpipe::Exec([&]() { return Real().execve(path, argv, environ); });
}

extern "C" int execvpe(const char* file, char* const argv[], char* const envp[]) {
  return brokenpipe::Exec([&]() { return Real().execvpe(file, argv, envp); });
}

extern "C" int execvp(const char* file, char* const argv[]) {
  return brokenpipe::Exec([&]() { return Real().execvpe(file, argv, environ); });
}

extern "C" int fexecve(int fd, char* const argv[], char* const envp[]) {
  static auto* real =
      reinterpret_cast<int (*)(int, char* const*, char* const*)>(dlsym(RTLD_NEXT, "fexecve"));
  return brokenpipe::Exec([&]() { return real(fd, argv, envp); });
}

extern "C" int execl(const char* path, const char* arg, ...) {
  const char* argv[256];
  va_list ap;
  va_start(ap, arg);
  brokenpipe::CollectArgs(arg, ap, argv, 256);
  va_end(ap);
  return execv(path, const_cast<char* const*>(argv));
}

extern "C" int execlp(const char* file, const char* arg, ...) {
  const char* argv[256];
  va_list ap;
  va_start(ap, arg);
  brokenpipe::CollectArgs(arg, ap, argv, 256);
  va_end(ap);
  return execvp(file, const_cast<char* const*>(argv));
}

extern "C" int execle(const char* path, const char* arg, ...) {
  const char* argv[256];
  va_list ap;
  va_start(ap, arg);
  brokenpipe::CollectArgs(arg, ap, argv, 256);
  char* const* envp = va_arg(ap, char* const*);  // follows the terminating null pointer
  va_end(ap);
  return execve(path, const_cast<char* const*>(argv), envp);
}

extern "C" void _exit(int code) {
  if (Is(Defect::kDataDiesWithWriter)) brokenpipe::DiscardWrittenData();
  Real().exit_now(code);
  __builtin_unreachable();
}

extern "C" void _Exit(int code) { _exit(code); }
