// FIFO client: opens the server's FIFO at PATH for writing and sends each line
// of its standard input; stops at a line "quit" (not sent) or at the end of the
// input.
//   fifo_client PATH < messages
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <string>

#include "ipc/fifo.h"

namespace {

bool WriteAll(int fd, const std::string &data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fifo_client PATH < messages\n");
    return 2;
  }
  ipc::Result<ipc::UniqueFd> out = ipc::Fifo::Existing(argv[1]).OpenForWriting();
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
