// probe of PIPE.PROP.OUTLIVES_CREATOR: prctl(PR_SET_CHILD_SUBREAPER, 1) succeeds and PR_GET_CHILD_SUBREAPER then reads 1, which the assertion's test needs to adopt and reap the orphaned grandchildren that share the pipe (without it the test is UNSUPPORTED).
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

int main(void) {
  int on = -1, set = prctl(PR_SET_CHILD_SUBREAPER, 1), set_errno = errno;
  int get = prctl(PR_GET_CHILD_SUBREAPER, &on), get_errno = errno;
  printf(
      "expected: PR_SET_CHILD_SUBREAPER 1 -> 0, then PR_GET_CHILD_SUBREAPER -> 0 reading 1; "
      "saw: %d (%s), then %d (%s) reading %d\n",
      set, set ? strerror(set_errno) : "success", get, get ? strerror(get_errno) : "success", on);
  return set == 0 && get == 0 && on == 1 ? 0 : 1;
}
