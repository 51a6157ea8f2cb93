// What the ipc library's unit tests share: checks of ipc::Result values (a failure must name
// the call and carry the expected errno), keys no other test uses, and a bounded poll.
#ifndef IPCCONF_IPC_TESTS_IPC_TESTING_H_
#define IPCCONF_IPC_TESTS_IPC_TESTING_H_

#include <chrono>
#include <functional>
#include <string>

#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/leak_guard.h"
#include "harness/syscall.h"
#include "gtest/gtest.h"
#include "ipc/error.h"
#include "ipc/ipc_key.h"

namespace ipc_test {

template <typename T>
::testing::AssertionResult Succeeded(const ipc::Result<T>& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "failed: " << r.error().Describe();
}

// `call` is a prefix of Error::call, e.g. "mkfifo(/tmp/x, 0600)" or "shmget(".
template <typename T>
::testing::AssertionResult FailedWith(const ipc::Result<T>& r, int error, const std::string& call) {
  const std::string expected = call + "... failing with " + ::ipcconf::ErrnoName(error);
  if (r.ok()) return ::testing::AssertionFailure() << "expected " << expected << "; it succeeded";
  if (r.error().error != error || r.error().call.rfind(call, 0) != 0) {
    return ::testing::AssertionFailure()
           << "expected " << expected << "; got " << r.error().Describe();
  }
  return ::testing::AssertionSuccess();
}

// ftok() of the test's own directory: a key no other test (nor another shard) has.
inline ipc::IpcKey TestKey(int project_id = 1) {
  return ipc::IpcKey::FromPath(::ipcconf::TestTmpDir(), project_id).value();
}

// Polls `done` until it holds or kEventBound passes (for counts such as GETNCNT, which change
// when another process starts waiting): harness/blocked.h's polling, no sleep of its own.
inline bool PollUntil(const std::function<bool()>& done) { return ::ipcconf::PollUntil(done); }

}  // namespace ipc_test

#endif  // IPCCONF_IPC_TESTS_IPC_TESTING_H_
