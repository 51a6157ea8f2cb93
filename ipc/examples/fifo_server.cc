// FIFO server: creates the FIFO at PATH, waits for a client, prints each
// message it sends, and when the client closes its end, exits 0 and removes the
// FIFO. Without arguments it uses "fifo" in its working directory, as the
// course's server does.
//   fifo_server [PATH [CLIENTS]]   serves CLIENTS clients one after another
//   (default 1)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ipc/fifo.h"

namespace {

// Prints the bytes of one client until it closes the write end (read() returns
// 0).
bool ServeClient(const ipc::Fifo &fifo) {
  ipc::Result<ipc::UniqueFd> in = fifo.OpenForReading();  // waits for a client
  if (!in) {
    std::fprintf(stderr, "fifo_server: %s\n", ipc::DescribeFifoError(in.error()).c_str());
    return false;
  }
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(in->get(), buf, sizeof buf);
    if (n == 0) return true;  // every writer closed: the client is done
    if (n < 0) {
      std::perror("fifo_server: read");
      return false;
    }
    std::fwrite(buf, 1, static_cast<size_t>(n), stdout);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 3) {
    std::fprintf(stderr, "usage: fifo_server [PATH [CLIENTS]]\n");
    return 2;
  }
  int clients = argc == 3 ? std::atoi(argv[2]) : 1;
  ipc::Result<ipc::Fifo> fifo = ipc::Fifo::Create(argc >= 2 ? argv[1] : "fifo", 0600);
  if (!fifo) {
    std::fprintf(stderr, "fifo_server: %s\n", ipc::DescribeFifoError(fifo.error()).c_str());
    return 1;
  }
  for (int i = 0; i < clients; ++i) {
    if (!ServeClient(*fifo)) return 1;  // the Fifo's destructor removes the node
  }
  ipc::Result<bool> removed = fifo->Remove();
  if (!removed) {
    std::fprintf(stderr, "fifo_server: %s\n", ipc::DescribeFifoError(removed.error()).c_str());
    return 1;
  }
  return 0;
}
