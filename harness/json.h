// The one JSON writer of the C++ code (header only, no GoogleTest): the test binaries' results
// file (results_json.cc) and the grader's sandbox report (tools/grade/sandbox) both use it.
#ifndef IPCCONF_HARNESS_JSON_H_
#define IPCCONF_HARNESS_JSON_H_

#include <cstdio>
#include <string>

namespace ipcconf {

// Length of the valid UTF-8 sequence that starts at s[i], or 0 if none does.
inline size_t Utf8Length(const std::string& s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
  if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) ||
      (c == 0xf4 && c1 >= 0x90)) {
    return 0;  // overlong, surrogate, or beyond U+10FFFF
  }
  return n;
}

// A JSON string. Programs and messages are UTF-8 (the course's students print Chinese): valid
// sequences pass through as they are; a byte that is not part of one becomes U+FFFD, so the
// output is always valid JSON and never shows UTF-8 decoded as Latin-1.
inline std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if (size_t n = Utf8Length(s, i)) {
      out.append(s, i, n);
      i += n;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  return out + "\"";
}

// Builds one JSON object; values are already-encoded JSON text.
class JsonObject {
 public:
  JsonObject& Add(const std::string& key, const std::string& raw_json) {
    text_ += (text_.empty() ? "{" : ",") + JsonQuote(key) + ":" + raw_json;
    return *this;
  }
  JsonObject& Str(const std::string& key, const std::string& value) {
    return Add(key, JsonQuote(value));
  }
  JsonObject& Num(const std::string& key, long value) { return Add(key, std::to_string(value)); }
  JsonObject& Bool(const std::string& key, bool value) { return Add(key, value ? "true" : "false"); }
  std::string Text() const { return text_.empty() ? "{}" : text_ + "}"; }

 private:
  std::string text_;
};

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_JSON_H_
