// Tagging tests with the catalog assertions they check:
//   IPC_TEST(PipeCase, EmptyPipeBlocksReader, "PIPE.CASE.EMPTY_BLOCKS_READER") { ... }
//   IPC_TEST_P(PipeTest, ReadReturnsZeroAfterDrain, "PIPE.CASE.EOF_AFTER_DRAIN") { ... }
// The ids reach the results as the gtest property "assertions"; a test without ids, or with an
// id the catalog does not know, fails.
#ifndef IPCCONF_HARNESS_ASSERTIONS_H_
#define IPCCONF_HARNESS_ASSERTIONS_H_

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ipcconf {

// Test key "Suite.Name" (without instantiation prefix or parameter suffix) -> assertion ids.
const std::map<std::string, std::vector<std::string>>& TaggedTests();
bool TagTest(const char* suite, const char* name, std::initializer_list<const char*> ids);
// The ids of a running test, from its gtest names ("Inst/Suite", "Name/3" are stripped).
const std::vector<std::string>* IdsOf(const ::testing::TestInfo& info);

}  // namespace ipcconf

#define IPCCONF_TAG_(suite, name, ...)                                                   \
  [[maybe_unused]] static const bool ipcconf_tag_##suite##_##name##_ =                  \
      ::ipcconf::TagTest(#suite, #name, {__VA_ARGS__})

#define IPC_TEST(suite, name, ...) \
  IPCCONF_TAG_(suite, name, __VA_ARGS__); \
  TEST(suite, name)
#define IPC_TEST_F(fixture, name, ...) \
  IPCCONF_TAG_(fixture, name, __VA_ARGS__); \
  TEST_F(fixture, name)
#define IPC_TEST_P(fixture, name, ...) \
  IPCCONF_TAG_(fixture, name, __VA_ARGS__); \
  TEST_P(fixture, name)

#endif  // IPCCONF_HARNESS_ASSERTIONS_H_
