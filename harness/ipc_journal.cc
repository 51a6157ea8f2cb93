// The one part of the harness that knows the reference library: every System V object ipc::
// creates is reported to the run journal (harness/sysv_journal.h; a no-op unless the journal is
// enabled). Linked by the tests that use the library's SysV types, so that the harness itself
// depends on nothing under test.
#include "harness/sysv_journal.h"
#include "ipc/ipc_key.h"

namespace ipcconf {
namespace {

void OnLibraryCreated(ipc::SysvKind kind, int id) {
  JournalSysvObject(static_cast<char>(kind), id);
}

const bool kObserving = (ipc::SetSysvCreationObserver(&OnLibraryCreated), true);

}  // namespace
}  // namespace ipcconf
