// FIFO client: opens the server's FIFO at PATH for writing and sends each line
// of its standard input; stops at a line "quit" (not sent) or at the end of the
// input. Without PATH it uses "fifo" in its working directory, as the course's
// client does.
//   fifo_client [PATH] < messages
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <string>

#include "ipc/fifo.h"

namespace {

// Writes all of `data`; gives up after a bounded number of interrupted or
// empty writes, so a broken write() cannot keep the client for ever.
bool WriteAll(int fd, const std::string &data) {
  size_t done = 0;
  for (int stalls = 0; done < data.size() && stalls < 100;) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno != EINTR) return false;
    if (n <= 0) {
      ++stalls;
      continue;
    }
    done += static_cast<size_t>(n);
  }
  return done == data.size();
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 2) {
    std::fprintf(stderr, "usage: fifo_client [PATH] < messages\n");
    return 2;
  }
  ipc::Result<ipc::UniqueFd> out =
      ipc::Fifo::Existing(argc == 2 ? argv[1] : "fifo").OpenForWriting();
  if (!out) {
    std::fprintf(stderr, "fifo_client: %s\n", ipc::DescribeFifoError(out.error()).c_str());
    return 1;
  }
  std::string line;
  while (std::getline(std::cin, line) && line != "quit") {
    // One write per message: a line of at most PIPE_BUF bytes arrives whole
    // even when several clients write at once (XSH write()).
    if (!WriteAll(out->get(), line + "\n")) {
      std::perror("fifo_client: write");
      return 1;
    }
  }
  return 0;
}
