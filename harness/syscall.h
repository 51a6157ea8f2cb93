// Matchers for system-call results that read like the man page:
//   EXPECT_THAT(SYS(write(fd, buf, n)), SyscallSucceedsWithValue(n));
//   EXPECT_THAT(SYS(write(fd, buf, n)), SyscallFailsWithErrno(EPIPE));
// SYS() captures the call's text, its return value and errno, so a failure names all three.
#ifndef IPCCONF_HARNESS_SYSCALL_H_
#define IPCCONF_HARNESS_SYSCALL_H_

#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>

#include "gmock/gmock.h"

namespace ipcconf {

struct SyscallResult {
  long value;        // what the call returned
  int error;         // errno right after the call (meaningful when value == -1)
  const char* call;  // the call's source text
};

// Prints "write(fd, buf, 1) returned -1, errno EPIPE (Broken pipe)".
void PrintTo(const SyscallResult& r, std::ostream* os);

// "EPIPE" for EPIPE; "errno 1234" for what it does not know.
std::string ErrnoName(int error);

template <typename F>
SyscallResult CaptureSyscall(F&& f, const char* text) {
  errno = 0;
  long v = static_cast<long>(f());
  return SyscallResult{v, errno, text};
}

#define SYS(expr) ::ipcconf::CaptureSyscall([&]() { return (expr); }, #expr)

MATCHER(SyscallSucceeds, "succeeds (returns a value other than -1)") {
  if (arg.value != -1) return true;
  *result_listener << "failed with " << ::ipcconf::ErrnoName(arg.error);
  return false;
}

MATCHER_P(SyscallSucceedsWithValue, expected,
          "succeeds with value " + ::testing::PrintToString(expected)) {
  if (arg.value == static_cast<long>(expected)) return true;
  if (arg.value == -1) {
    *result_listener << "failed with " << ::ipcconf::ErrnoName(arg.error);
  } else {
    *result_listener << "returned " << arg.value;
  }
  return false;
}

MATCHER_P(SyscallFailsWithErrno, expected,
          "fails with errno " + ::ipcconf::ErrnoName(expected)) {
  if (arg.value == -1 && arg.error == expected) return true;
  if (arg.value == -1) {
    *result_listener << "failed with " << ::ipcconf::ErrnoName(arg.error);
  } else {
    *result_listener << "succeeded, returning " << arg.value;
  }
  return false;
}

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_SYSCALL_H_
