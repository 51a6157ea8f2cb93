// Shared-memory server, the reference answer of the course's lab (protocol: shm_lab.h): reads a
// line from standard input, creates the lab's semaphore set and segment, puts the line in the
// segment, waits until the client has taken it, removes both and exits 0.
//   shm_server [KEY_PATH] < line
#include <signal.h>
#include <sys/sem.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "ipc/examples/shm_lab.h"
#include "ipc/sem.h"
#include "ipc/shm.h"

namespace {

std::atomic<int> g_stopped_by{0};

// SIGINT, SIGTERM and SIGHUP are taken by a thread (sigwait: no handler, so no limits on what
// it may call) that removes the semaphore set: the server's wait then fails with EIDRM and the
// segment is removed on the way out. Blocked in every thread, so the server is never killed
// while it owns objects.
void RemoveSemaphoresOnSignal(int semid) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([semid, set] {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return;
    g_stopped_by = sig;
    semctl(semid, 0, IPC_RMID);
  }).detach();
}

int Fail(const ipc::Error& e, ipc::SemaphoreSet* sems = nullptr) {
  if (int sig = g_stopped_by.load()) {
    if (sems) sems->Release();  // already removed by the signal thread
    std::fprintf(stderr,
                 "shm_server: stopped by signal %d (%s); removed the segment and "
                 "semaphores\n",
                 sig, strsignal(sig));
    return 128 + sig;
  }
  std::fprintf(stderr, "shm_server: %s\n", shm_lab::Explain(e).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ipc::Result<ipc::IpcKey> key =
      shm_lab::KeyFromArguments(argc, argv, "shm_server [KEY_PATH] < line");
  if (!key) return Fail(key.error());
  // The line first: nothing exists yet while a person types it (or interrupts).
  std::string line;
  if (!std::getline(std::cin, line)) {
    std::fprintf(stderr, "shm_server: no line on standard input: nothing to send\n");
    return 1;
  }
  if (line.size() >= shm_lab::kSegmentSize) {
    std::fprintf(stderr, "shm_server: the line has %zu bytes; the segment holds at most %zu\n",
                 line.size(), shm_lab::kSegmentSize - 1);
    return 1;
  }
  // The semaphores exist and hold 0 before the segment does (semget leaves their initial
  // values unspecified, XSH semget()): a client that finds the segment finds them ready.
  ipc::Result<ipc::SemaphoreSet> sems =
      ipc::SemaphoreSet::Create(*key, shm_lab::kSemaphoreCount, shm_lab::kSharedMode);
  if (!sems) return Fail(sems.error());
  RemoveSemaphoresOnSignal(sems->id());
  if (auto set = sems->SetValues({0, 0}); !set) return Fail(set.error(), &*sems);
  ipc::Result<ipc::SharedMemory> shm =
      ipc::SharedMemory::Create(*key, shm_lab::kSegmentSize, shm_lab::kSharedMode);
  if (!shm) return Fail(shm.error(), &*sems);
  ipc::Result<ipc::ShmAttachment> segment = shm->Attach();
  if (!segment) return Fail(segment.error(), &*sems);
  std::memcpy(segment->bytes(), line.c_str(), line.size() + 1);
  if (auto v = sems->V(shm_lab::kDataReady); !v) return Fail(v.error(), &*sems);
  if (auto p = sems->P(shm_lab::kDataTaken); !p) return Fail(p.error(), &*sems);
  // The client has detached: removing now frees the segment at once.
  for (ipc::Result<bool> done : {segment->Detach(), shm->Remove(), sems->Remove()}) {
    if (!done) return Fail(done.error());
  }
  return 0;
}
