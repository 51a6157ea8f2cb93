// probe of PIPE.CAPACITY.SETPIPE_SZ: F_SETPIPE_SZ of 3 pages sets a capacity of at least that, rounded up to a power-of-two number of pages (Linux: 4 pages), which F_GETPIPE_SZ reports and the pipe then holds.
#define _GNU_SOURCE  // F_SETPIPE_SZ, F_GETPIPE_SZ
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  const long page = sysconf(_SC_PAGESIZE), asked = 3 * page;
  int ends[2];
  if (pipe(ends) != 0) return printf("probe cannot run: pipe: %m\n"), 2;
  long set = fcntl(ends[1], F_SETPIPE_SZ, asked), got = fcntl(ends[0], F_GETPIPE_SZ), held = 0;
  // What it holds: the bytes taken before a one-byte O_NONBLOCK write fails (16 MiB at most).
  fcntl(ends[1], F_SETFL, O_NONBLOCK);
  while (held < (16L << 20) && write(ends[1], "h", 1) == 1) ++held;
  long pages = set > 0 && set % page == 0 ? set / page : 0;  // a power of two: one bit set
  int ok = set >= asked && pages > 0 && (pages & (pages - 1)) == 0 && got == set && held == set;
  printf(
      "expected: F_SETPIPE_SZ(%ld) -> a power-of-two number of pages >= that (Linux: %ld), "
      "F_GETPIPE_SZ and the bytes held the same; saw: F_SETPIPE_SZ -> %ld, F_GETPIPE_SZ -> %ld, "
      "holds %ld\n",
      asked, 4 * page, set, got, held);
  return ok ? 0 : 1;
}
