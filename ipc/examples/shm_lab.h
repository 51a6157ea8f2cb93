// The protocol of the course's shared-memory lab (tools/grade/README.md, lab "shm"), shared by
// the reference programs shm_server and shm_client.
//
// Both derive their key with ftok(KEY_PATH, kProjectId); KEY_PATH is their argument, by default
// "." (the folder they run in, which the grader's protocol requires to hold every ftok() path).
// The server creates a semaphore set and then a segment of kSegmentSize bytes, both with
// IPC_CREAT|IPC_EXCL|kSharedMode, reads one line from its standard input, puts it in the
// segment, and V's kDataReady; the client P's kDataReady, prints the line, detaches, and V's
// kDataTaken; then the server removes both objects.
#ifndef IPCCONF_IPC_EXAMPLES_SHM_LAB_H_
#define IPCCONF_IPC_EXAMPLES_SHM_LAB_H_

#include <cstddef>
#include <string>

#include "ipc/error.h"
#include "ipc/ipc_key.h"

namespace shm_lab {

inline constexpr int kProjectId = 'S';
inline constexpr size_t kSegmentSize = 4096;  // holds a line of up to kSegmentSize - 1 bytes
// The client may run as another user: it attaches the segment and operates the semaphores, so
// "others" need read and write (semop needs alter permission, XSH semop()).
inline constexpr int kSharedMode = 0666;
inline constexpr char kDefaultKeyPath[] = ".";

enum Semaphore : int {
  kDataReady = 0,  // the server V's it once the line is in the segment
  kDataTaken = 1,  // the client V's it once it has printed the line and detached
  kSemaphoreCount = 2,
};

// The key of the lab's objects: ftok(argv[1] or ".", kProjectId). Exits with status 2 on more
// than one argument, after printing `usage`.
ipc::Result<ipc::IpcKey> KeyFromArguments(int argc, char** argv, const char* usage);

// Error::Describe() plus what the errno means in this lab and what to do about it.
std::string Explain(const ipc::Error& e);

}  // namespace shm_lab

#endif  // IPCCONF_IPC_EXAMPLES_SHM_LAB_H_
