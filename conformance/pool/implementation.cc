// Every run of the pool tests says first which implementation of process_pool.h it tests (the
// label of the library it is linked with), on standard output and as the XML property
// `implementation` of the run: a forgotten --//ipc/pool:impl flag must never pass the reference
// implementation off as a student's library.
#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace ipcconf {

const char* PoolImplementationUnderTest();  // generated (pool_test.bzl)

namespace {

constexpr char kReference[] = "//ipc/pool:process_pool_reference";

class AnnounceImplementation : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string label = PoolImplementationUnderTest();
    std::printf("pool implementation under test: %s%s\n", label.c_str(),
                label == kReference
                    ? " (the reference implementation; a student's library is tested with "
                      "--//ipc/pool:impl=@submission//:ipc "
                      "--override_repository=submission=/abs/path, or tools/ipcconf grade-lib)"
                    : "");
    std::fflush(stdout);
    ::testing::Test::RecordProperty("implementation", label);
  }
};

const auto* const kAnnounce = ::testing::AddGlobalTestEnvironment(new AnnounceImplementation);

}  // namespace
}  // namespace ipcconf
