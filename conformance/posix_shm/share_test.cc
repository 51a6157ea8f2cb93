// Bytes shared between mappings (XSH mmap() MAP_SHARED, shm_open() names): across fork, by name
// in an unrelated exec'd program, and between mappings of one process without msync().
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "conformance/posix_shm/posix_shm_objects.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/helper_program.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_shm {
namespace {

constexpr char kFromParent[] = "from the parent";
constexpr char kFromChild[] = "from the child";

// Opens the object NAME by name, maps its SIZE bytes (argv[2]), checks that its first bytes are
// argv[3], then writes argv[4] at its last 64 bytes. Exit 0, or the step that went wrong.
IPCCONF_HELPER(posix_shm_answer) {
  if (argc != 5) return 10;
  const size_t size = strtoul(argv[2], nullptr, 10);
  int fd = shm_open(argv[1], O_RDWR, 0);
  if (fd < 0) return 11;
  void* a = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (a == MAP_FAILED) return 12;
  char* bytes = static_cast<char*>(a);
  if (strcmp(bytes, argv[3]) != 0) return 13;
  strcpy(bytes + size - 64, argv[4]);
  munmap(a, size);
  close(fd);
  return 0;
}

class PosixShmShare : public ::testing::TestWithParam<size_t> {};

IPC_TEST_P(PosixShmShare, AForkedChildsOwnMappingSharesTheBytes, "POSIX_SHM.SHARE.ACROSS_FORK") {
  const size_t size = GetParam();
  ShmName name("fork");
  ipc::UniqueFd fd = CreateSized(name, size);
  if (!fd) return;
  Mapping mine = MapShared(fd.get(), size);
  if (!mine) return;
  const int object = fd.get();
  Handshake turn;
  Child child = Child::Fork([&]() {
    turn.BecomeChild();
    // The child's own mapping of the inherited fd, made after the fork.
    void* a = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, object, 0);
    if (a == MAP_FAILED) return 3;
    char* theirs = static_cast<char*>(a);
    strcpy(theirs + size - 64, kFromChild);
    turn.Send();
    if (!turn.Receive()) return 4;
    return strcmp(theirs, kFromParent) == 0 ? 0 : 5;
  });
  turn.BecomeParent();
  ASSERT_TRUE(turn.Receive()) << "the child did not get as far as writing: "
                              << child.Wait().Describe();
  EXPECT_STREQ(mine.bytes() + size - 64, kFromChild)
      << "the child's store is not seen through the parent's mapping";
  strcpy(mine.bytes(), kFromParent);
  turn.Send();
  EXPECT_TRUE(ExitedWith(child.Wait(), 0))
      << "exit 5: the child did not see the parent's store; 3: its mmap failed";
}

IPC_TEST_P(PosixShmShare, AnUnrelatedProgramOpensTheSameObjectByName,
           "POSIX_SHM.SHARE.BY_NAME_UNRELATED") {
  const size_t size = GetParam();
  ShmName name("byname");
  ipc::UniqueFd fd = CreateSized(name, size);
  if (!fd) return;
  Mapping mine = MapShared(fd.get(), size);
  if (!mine) return;
  strcpy(mine.bytes(), "from the creator");
  Child helper = Child::Exec(HelperCommand(
      "posix_shm_answer", {name.str(), std::to_string(size), "from the creator", "answered"}));
  Outcome out = helper.Wait();
  EXPECT_TRUE(ExitedWith(out, 0))
      << "the exec'd program: 11 could not shm_open the name, 12 could not map it, 13 did not "
         "read the creator's bytes";
  if (out.Exited(0)) {
    EXPECT_STREQ(mine.bytes() + size - 64, "answered")
        << "the exec'd program's store is not seen through the creator's mapping";
  }
}

IPC_TEST_P(PosixShmShare, StoresAreSeenByOtherMappingsWithoutMsync,
           "POSIX_SHM.SHARE.NO_MSYNC_NEEDED") {
  const size_t size = GetParam();
  ShmName name("nomsync");
  ipc::UniqueFd fd = CreateSized(name, size);
  if (!fd) return;
  Mapping one = MapShared(fd.get(), size);
  Mapping two = MapShared(fd.get(), size);
  if (!one || !two) return;
  // A store at each page's start, seen through the other mapping at once.
  for (size_t at = 0; at < size; at += 4096) {
    one.bytes()[at] = static_cast<char>('a' + at / 4096 % 26);
    ASSERT_EQ(two.bytes()[at], one.bytes()[at]) << "offset " << at << ", no msync()";
  }
  two.bytes()[size - 1] = 'z';
  EXPECT_EQ(one.bytes()[size - 1], 'z') << "the last byte, stored through the second mapping";
  // The object itself changed: a mapping made after the first one is gone sees the stores.
  one = Mapping();
  two = Mapping();
  Mapping later = MapShared(fd.get(), size);
  if (!later) return;
  EXPECT_EQ(later.bytes()[0], 'a') << "a new mapping must see the stores of the unmapped ones";
  EXPECT_EQ(later.bytes()[size - 1], 'z');
}

INSTANTIATE_TEST_SUITE_P(Sizes, PosixShmShare, ::testing::Values(4096, 4097, 65536, 1 << 20));

}  // namespace
}  // namespace ipcconf::posix_shm
