// The defects meta-tests' data: runfiles, results files, defect tables, the catalog ids of an
// area and their coverage, which test checks which ids, and gtest filters (defect_runner.h).
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

#include "harness/catalog.h"
#include "harness/defect_runner.h"
#include "harness/json.h"

namespace ipcconf {

std::string Runfile(const std::string& path) {
  std::string root;
  if (const char* d = getenv("TEST_SRCDIR")) {
    root = d;
  } else {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    root = std::string(self, n > 0 ? static_cast<size_t>(n) : 0) + ".runfiles";
  }
  std::string full = root + "/ipcconf/" + path;
  char* real = realpath(full.c_str(), nullptr);
  if (!real) return full;
  std::string out = real;
  free(real);
  return out;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

std::vector<std::string> Split(const std::string& s, char sep, size_t max_fields = 0) {
  std::vector<std::string> out;
  size_t start = 0;
  while (max_fields == 0 || out.size() + 1 < max_fields) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) break;
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  out.push_back(s.substr(start));
  return out;
}

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

bool ResultLine::Carries(const std::string& id) const {
  for (const std::string& i : ids) {
    if (i == id) return true;
  }
  return false;
}

std::string ResultLine::Blocker() const { return status == "BLOCKED" ? blocked_by : ""; }

std::vector<ResultLine> ReadResults(const std::string& file) {
  std::vector<ResultLine> out;
  std::istringstream in(ReadTextFile(file));
  for (std::string line; std::getline(in, line);) {
    std::optional<JsonFields> record = ParseFlatJsonObject(line);
    if (!record || record->Get("name").empty()) continue;
    const std::string word = record->Get("status");
    ResultLine r;
    r.status = word == "passed"    ? "PASS"
               : word == "failed"  ? "FAIL"
               : word == "blocked" ? "BLOCKED"
               : word == "broken"  ? "BROKEN"
                                   : "SKIP";
    r.test = record->Get("name");
    r.ids = record->lists["assertions"];
    r.message = record->Get("message");
    if (r.status == "BLOCKED") {
      r.blocked_by = record->Get("blocked_by");
      r.message = "blocked by " + r.blocked_by + ": " + record->Get("probe");
    }
    out.push_back(r);
  }
  return out;
}

void PrintTo(const DefectRow& row, std::ostream* os) { *os << row.name; }

std::vector<DefectRow> ParseDefectTable(const std::string& text, const std::string& origin) {
  std::vector<DefectRow> out;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    size_t hash = line.find('#');
    std::vector<std::string> words = Words(line.substr(0, hash));
    if (words.empty()) continue;
    DefectRow row;
    row.name = words[0];
    row.ids.assign(words.begin() + 1, words.end());
    row.what = hash == std::string::npos ? "" : Trim(line.substr(hash + 1));
    row.origin = origin + ":" + std::to_string(n);
    if (row.ids.size() == 1 && row.ids[0] == "LEGAL") {
      row.legal = true;
      row.ids.clear();
    } else if (row.ids.empty()) {
      row.error = row.origin + ": defect " + row.name +
                  " names no assertion id (LEGAL for a "
                  "variant POSIX allows)";
    }
    out.push_back(row);
  }
  return out;
}

std::vector<DefectRow> ReadDefectTable(const std::string& path) {
  std::string file = Runfile(path);
  std::vector<DefectRow> rows = ParseDefectTable(ReadTextFile(file), BaseName(path));
  if (rows.empty()) {
    DefectRow row;
    row.name = "unreadable_defect_table";
    row.origin = BaseName(path);
    row.error = "no defect read from " + file;
    rows.push_back(row);
  }
  return rows;
}

std::string DefectParamName(const ::testing::TestParamInfo<DefectRow>& info) {
  std::string name = info.param.name;
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::set<std::string> CatalogIds(const std::string& area, std::vector<std::string>* errors) {
  std::set<std::string> ids;
  for (const auto& [id, a] : Catalog()) {
    if (a.area == area) ids.insert(id);
  }
  if (ids.empty()) errors->push_back("no " + area + " assertion is linked into this binary");
  for (const std::string& e : CatalogErrors()) errors->push_back(e);
  return ids;
}

std::vector<std::string> CoverageProblems(const std::vector<DefectRow>& table,
                                          const std::set<std::string>& catalog_ids) {
  std::vector<std::string> problems;
  std::set<std::string> covered, names;
  for (const DefectRow& row : table) {
    if (!row.error.empty()) problems.push_back(row.error);
    if (!names.insert(row.name).second) {
      problems.push_back(row.origin + ": defect " + row.name + " is listed twice");
    }
    for (const std::string& id : row.ids) {
      covered.insert(id);
      if (!catalog_ids.count(id)) {
        problems.push_back(row.origin + ": defect " + row.name + " names " + id +
                           ", which the catalog lacks");
      }
    }
  }
  std::string table_name = table.empty() ? "the defect table" : Split(table[0].origin, ':')[0];
  for (const std::string& id : catalog_ids) {
    if (!covered.count(id)) {
      problems.push_back(id + " is broken by no defect in " + table_name +
                         ": nothing shows it can fail");
    }
  }
  return problems;
}

std::set<std::string> TestTags::TestsChecking(const std::vector<std::string>& ids) const {
  std::set<std::string> tests;
  for (const auto& [test, test_ids] : ids_by_test) {
    for (const std::string& id : ids) {
      if (test_ids.count(id)) tests.insert(test);
    }
  }
  return tests;
}

bool TestTags::Checked(const std::string& id) const { return !TestsChecking({id}).empty(); }

TestTags ListTags(const std::string& binary) {
  TestTags tags;
  SubRunResult run = RunTestBinary({binary, "--ipcconf_list"}, {}, kEventBound);
  if (!run.outcome.Exited(0) || run.Hung()) {
    tags.error = BaseName(binary) + " --ipcconf_list " + run.Describe() + ": " + run.Tail();
  }
  std::istringstream in(run.output);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields = Split(line, '\t');
    for (size_t i = 1; i < fields.size(); ++i) tags.ids_by_test[fields[0]].insert(fields[i]);
  }
  if (tags.error.empty() && tags.ids_by_test.empty()) {
    tags.error = BaseName(binary) + " --ipcconf_list named no test: " + run.Tail();
  }
  return tags;
}

std::string FilterFor(const std::set<std::string>& tests) {
  std::string filter;
  for (const std::string& t : tests) {
    for (const std::string& p : {t, t + "/*", "*/" + t, "*/" + t + "/*"}) {
      filter += (filter.empty() ? "" : ":") + p;
    }
  }
  return filter;
}

std::string FilterFor(const std::vector<std::string>& ids, const TestTags& tags) {
  return FilterFor(tags.TestsChecking(ids));
}

int CountInstances(const std::string& binary, const std::string& filter) {
  SubRunResult list =
      RunTestBinary({binary, "--gtest_list_tests", "--gtest_filter=" + filter}, {}, kEventBound);
  int instances = 0;
  std::istringstream in(list.output);
  for (std::string line; std::getline(in, line);) instances += line.rfind("  ", 0) == 0;
  return instances;
}

std::map<std::string, std::string> CatalogProfiles() {
  std::map<std::string, std::string> out;
  for (const auto& [id, a] : Catalog()) out[id] = a.profile;
  return out;
}

}  // namespace ipcconf
