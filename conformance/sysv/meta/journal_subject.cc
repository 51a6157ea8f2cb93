// The subject of journal_test: a test binary that, in a shared IPC namespace, makes one object of
// each kind (through the ipc library and the journaled raw calls) and waits to be killed.
#include <unistd.h>

#include "harness/sysv_journal.h"
#include "gtest/gtest.h"
#include "ipc/shm.h"

namespace ipcconf {
namespace {

TEST(JournalSubject, MakeObjectsThenWait) {
  auto shm = ipc::SharedMemory::Create(ipc::IpcKey::Private(), 4096);
  ASSERT_TRUE(shm.ok()) << shm.error().Describe();
  shm->Release();
  ASSERT_GE(JournaledSemget(IPC_PRIVATE, 1, IPC_CREAT | 0600), 0);
  ASSERT_GE(JournaledMsgget(IPC_PRIVATE, IPC_CREAT | 0600), 0);
  pause();  // until journal_test kills this run half-way
}

TEST(JournalSubject, Nothing) {}  // a run whose start-up sweeps the journals

}  // namespace
}  // namespace ipcconf
