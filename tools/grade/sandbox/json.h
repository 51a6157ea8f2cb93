// A minimal JSON writer for the sandbox's observation report (read by tools/grade/*.py).
#ifndef IPCCONF_TOOLS_GRADE_SANDBOX_JSON_H_
#define IPCCONF_TOOLS_GRADE_SANDBOX_JSON_H_

#include <cstdio>
#include <string>

namespace grade {

inline std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      // Bytes outside ASCII are escaped one by one: output may be in any encoding, or none.
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Builds one JSON object; values are already-encoded JSON text.
class JsonObject {
 public:
  JsonObject& Add(const std::string& key, const std::string& raw_json) {
    text_ += (text_.empty() ? "{" : ",") + Quote(key) + ":" + raw_json;
    return *this;
  }
  JsonObject& Str(const std::string& key, const std::string& value) {
    return Add(key, Quote(value));
  }
  JsonObject& Num(const std::string& key, long value) { return Add(key, std::to_string(value)); }
  JsonObject& Bool(const std::string& key, bool value) { return Add(key, value ? "true" : "false"); }
  std::string Text() const { return text_.empty() ? "{}" : text_ + "}"; }

 private:
  std::string text_;
};

}  // namespace grade

#endif  // IPCCONF_TOOLS_GRADE_SANDBOX_JSON_H_
