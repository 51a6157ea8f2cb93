// Shared-memory client, the reference answer of the course's lab (protocol: shm_lab.h):
// attaches the server's segment, waits until the server has put a line in it, prints the line,
// detaches and tells the server it may remove everything. Creates nothing.
//   shm_client [KEY_PATH]
#include <sys/shm.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "ipc/examples/shm_lab.h"
#include "ipc/sem.h"
#include "ipc/shm.h"

namespace {

int Fail(const ipc::Error& e) {
  std::fprintf(stderr, "shm_client: %s\n", shm_lab::Explain(e).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ipc::Result<ipc::IpcKey> key = shm_lab::KeyFromArguments(argc, argv, "shm_client [KEY_PATH]");
  if (!key) return Fail(key.error());
  // The server makes the semaphores before the segment: if the segment is there, so are they.
  ipc::Result<ipc::SharedMemory> shm = ipc::SharedMemory::Get(*key);
  if (!shm) return Fail(shm.error());
  ipc::Result<ipc::SemaphoreSet> sems = ipc::SemaphoreSet::Get(*key);
  if (!sems) return Fail(sems.error());
  ipc::Result<ipc::ShmAttachment> segment = shm->Attach(SHM_RDONLY);
  if (!segment) return Fail(segment.error());
  if (auto p = sems->P(shm_lab::kDataReady); !p) return Fail(p.error());
  std::string line(segment->bytes(), strnlen(segment->bytes(), segment->size()));
  if (auto detached = segment->Detach(); !detached) return Fail(detached.error());
  if (std::printf("%s\n", line.c_str()) < 0 || std::fflush(stdout) != 0) {
    std::perror("shm_client: standard output");
    return 1;
  }
  if (auto v = sems->V(shm_lab::kDataTaken); !v) return Fail(v.error());
  return 0;
}
