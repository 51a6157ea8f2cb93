// The run journal of System V objects: what a test binary sharing the host's IPC namespace
// (IPCCONF_SHARED_IPC=1, or no namespaces) made, so that a run killed half-way is cleaned up by
// the next one -- and only what that run made.
//
// Each run appends "kind id key cuid cgid cpid ctime" per object it (or a child it forked)
// creates, to <dir>/<pid>.<starttime>.journal, headed by its IPC namespace; dir is
// $IPCCONF_SYSV_JOURNAL_DIR or /tmp/ipcconf-sysv-journal. At start-up a run sweeps the journals
// of dead runs in its namespace: an object is removed only if it still has the recorded
// identity (same id, key, creator uid/gid, creator pid for shm, ctime not older than recorded).
// Identities are read from /proc/sysvipc and removal uses raw system calls, so neither depends
// on the (possibly broken) libc functions under test.
#ifndef IPCCONF_HARNESS_SYSV_JOURNAL_H_
#define IPCCONF_HARNESS_SYSV_JOURNAL_H_

#include <sys/ipc.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "harness/sysv_objects.h"

namespace ipcconf {

// Opens this run's journal. (What the reference library creates reaches JournalSysvObject
// through //harness:ipc_journal, linked by tests that use it.)
void EnableSysvJournal();
bool SysvJournalEnabled();
// Records an object just created (no-op unless enabled).
void JournalSysvObject(char kind, int id);
// The objects this run's journal lists (since the last reset).
std::vector<SysvObject> JournaledSysvObjects();
// Empties the journal (the leak guard does this after each test: nothing of it may remain).
void ResetSysvJournal();
// Removes this run's journal file at a clean end.
void CloseSysvJournal();
// Removes the objects of dead runs' journals that still match; returns what it removed.
std::vector<SysvObject> SweepDeadRunJournals();

// shmget/semget/msgget that record the object when the call created it (IPC_PRIVATE, or a
// creating flag on a key no object had). Tests use these for the raw calls they check.
int JournaledShmget(key_t key, size_t size, int flags);
int JournaledSemget(key_t key, int nsems, int flags);
int JournaledMsgget(key_t key, int flags);

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_SYSV_JOURNAL_H_
