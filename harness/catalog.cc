#include "harness/catalog.h"


namespace ipcconf {
namespace {

struct Store {
  std::map<std::string, Assertion> by_id;
  std::vector<std::string> errors;
};

Store& TheStore() {
  static auto* store = new Store();
  return *store;
}

}  // namespace

bool RegisterCatalog(const char* origin, const Assertion* assertions, size_t count) {
  Store& s = TheStore();
  for (size_t i = 0; i < count; ++i) {
    const Assertion& a = assertions[i];
    if (!s.by_id.emplace(a.id, a).second) {
      s.errors.push_back(std::string(origin) + ": duplicate id " + a.id);
    }
  }
  return true;
}

const std::map<std::string, Assertion>& Catalog() { return TheStore().by_id; }
const std::vector<std::string>& CatalogErrors() { return TheStore().errors; }

}  // namespace ipcconf
