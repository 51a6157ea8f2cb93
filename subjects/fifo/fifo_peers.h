// What the FIFO shim needs to know about other processes' opens of a FIFO.
#ifndef IPCCONF_SUBJECTS_FIFO_FIFO_PEERS_H_
#define IPCCONF_SUBJECTS_FIFO_FIFO_PEERS_H_

#include <sys/stat.h>

namespace fifo_shim {

// Whether a process has the FIFO `fifo` open with a descriptor that can be the peer of
// `access` (a writer for a reader, a reader for a writer, any end for O_RDWR, which is its own
// peer). Only opens that returned count: a process still waiting in open() holds no descriptor
// yet, so two blocking opens still meet.
bool PeerEndOpen(const struct stat& fifo, int access);

// Sleeps until some process opens `path` (inotify IN_OPEN): "waits for a new peer" even when
// the peer end is already open. -1 with EINTR when a caught signal interrupts the wait.
int WaitForAnotherOpen(int dirfd, const char* path);

}  // namespace fifo_shim

#endif  // IPCCONF_SUBJECTS_FIFO_FIFO_PEERS_H_
