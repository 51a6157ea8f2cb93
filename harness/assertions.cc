#include "harness/assertions.h"

namespace ipcconf {
namespace {

std::map<std::string, std::vector<std::string>>& Tags() {
  static auto* tags = new std::map<std::string, std::vector<std::string>>();
  return *tags;
}

}  // namespace

const std::map<std::string, std::vector<std::string>>& TaggedTests() { return Tags(); }

bool TagTest(const char* suite, const char* name, std::initializer_list<const char*> ids) {
  std::vector<std::string>& v = Tags()[std::string(suite) + "." + name];
  for (const char* id : ids) v.push_back(id);
  return true;
}

const std::vector<std::string>* IdsOf(const ::testing::TestInfo& info) {
  std::string suite = info.test_suite_name();
  std::string name = info.name();
  size_t slash = suite.rfind('/');
  if (slash != std::string::npos) suite = suite.substr(slash + 1);
  slash = name.find('/');
  if (slash != std::string::npos) name = name.substr(0, slash);
  auto it = Tags().find(suite + "." + name);
  return it == Tags().end() ? nullptr : &it->second;
}

}  // namespace ipcconf
