#include "harness/catalog.h"

#include <sstream>

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

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::vector<Assertion> ParseCatalog(const std::string& text, const std::string& origin,
                                    std::vector<std::string>* errors) {
  std::vector<Assertion> out;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  Assertion cur;
  int cur_line = 0;
  std::string* last_value = nullptr;
  auto finish = [&]() {
    if (cur_line == 0) return;
    std::string where = origin + ":" + std::to_string(cur_line);
    if (cur.id.empty()) errors->push_back(where + ": block without an id");
    for (auto [key, value] : {std::pair<const char*, const std::string*>{"area", &cur.area},
                              {"profile", &cur.profile},
                              {"source", &cur.source},
                              {"statement", &cur.statement}}) {
      if (value->empty()) errors->push_back(where + ": " + cur.id + " has no " + key);
    }
    if (!cur.profile.empty() && cur.profile != "posix" && cur.profile != "linux") {
      errors->push_back(where + ": " + cur.id + " has profile '" + cur.profile +
                        "' (must be posix or linux)");
    }
    out.push_back(cur);
    cur = Assertion();
    cur_line = 0;
    last_value = nullptr;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (Trim(line).empty()) {
      finish();
      continue;
    }
    if (line[0] == '#') continue;
    if ((line[0] == ' ' || line[0] == '\t') && last_value) {  // continuation of a long value
      *last_value += " " + Trim(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      errors->push_back(origin + ":" + std::to_string(line_no) + ": expected 'key: value'");
      continue;
    }
    if (cur_line == 0) cur_line = line_no;
    std::string key = Trim(line.substr(0, colon));
    std::string value = Trim(line.substr(colon + 1));
    std::string* field = key == "id"          ? &cur.id
                         : key == "area"      ? &cur.area
                         : key == "profile"   ? &cur.profile
                         : key == "source"    ? &cur.source
                         : key == "statement" ? &cur.statement
                                              : nullptr;
    if (!field) {
      errors->push_back(origin + ":" + std::to_string(line_no) + ": unknown key '" + key + "'");
      continue;
    }
    *field = value;
    last_value = field;
  }
  finish();
  return out;
}

bool RegisterCatalogText(const char* origin, const char* text) {
  Store& s = TheStore();
  for (Assertion& a : ParseCatalog(text, origin, &s.errors)) {
    if (s.by_id.count(a.id)) {
      s.errors.push_back(std::string(origin) + ": duplicate id " + a.id);
      continue;
    }
    s.by_id[a.id] = a;
  }
  return true;
}

const std::map<std::string, Assertion>& Catalog() { return TheStore().by_id; }
const std::vector<std::string>& CatalogErrors() { return TheStore().errors; }

}  // namespace ipcconf
