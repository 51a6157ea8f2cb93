// The one JSON writer of the C++ code (header only, no GoogleTest): the test binaries' results
// file (results_json.cc) and the grader's sandbox report (tools/grade/sandbox) both use it.
#ifndef IPCCONF_HARNESS_JSON_H_
#define IPCCONF_HARNESS_JSON_H_

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
  JsonObject& Bool(const std::string& key, bool value) {
    return Add(key, value ? "true" : "false");
  }
  std::string Text() const { return text_.empty() ? "{}" : text_ + "}"; }

 private:
  std::string text_;
};

// A flat JSON object, as the results records are (one per line of an IPCCONF_RESULTS file, one
// per test of a results file): string, number and literal values, and arrays of strings.
struct JsonFields {
  std::map<std::string, std::string> scalars;  // strings unescaped; numbers, true... as written
  std::map<std::string, std::vector<std::string>> lists;
  std::string Get(const std::string& key) const {
    auto it = scalars.find(key);
    return it == scalars.end() ? "" : it->second;
  }
};

namespace json_internal {

inline void SkipSpace(const std::string& s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r')) ++*i;
}

inline void AppendUtf8(unsigned long cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xc0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xe0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out += static_cast<char>(0xf0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

inline bool Hex4(const std::string& s, size_t at, unsigned long* v) {
  if (at + 4 > s.size()) return false;
  *v = 0;
  for (size_t k = at; k < at + 4; ++k) {
    char c = s[k];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return false;
    *v = *v * 16 + static_cast<unsigned long>(d);
  }
  return true;
}

// The string starting at s[*i] == '"'; *i ends after its closing quote.
inline bool String(const std::string& s, size_t* i, std::string* out) {
  if (*i >= s.size() || s[*i] != '"') return false;
  for (++*i; *i < s.size(); ++*i) {
    char c = s[*i];
    if (c == '"') {
      ++*i;
      return true;
    }
    if (c != '\\') {
      *out += c;
      continue;
    }
    if (++*i >= s.size()) return false;
    switch (s[*i]) {
      case 'n':
        *out += '\n';
        break;
      case 't':
        *out += '\t';
        break;
      case 'r':
        *out += '\r';
        break;
      case 'b':
        *out += '\b';
        break;
      case 'f':
        *out += '\f';
        break;
      case 'u': {
        unsigned long cp = 0, low = 0;
        if (!Hex4(s, *i + 1, &cp)) return false;
        *i += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && *i + 6 < s.size() && s[*i + 1] == '\\' &&
            s[*i + 2] == 'u' && Hex4(s, *i + 3, &low) && low >= 0xdc00 && low < 0xe000) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          *i += 6;
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        *out += s[*i];  // \" \\ \/
    }
  }
  return false;
}

}  // namespace json_internal

// Parses one flat JSON object; nullopt when `text` is not one (nested objects are not read).
inline std::optional<JsonFields> ParseFlatJsonObject(const std::string& text) {
  using namespace json_internal;
  JsonFields out;
  size_t i = 0;
  SkipSpace(text, &i);
  if (i >= text.size() || text[i++] != '{') return std::nullopt;
  for (bool first = true;; first = false) {
    SkipSpace(text, &i);
    if (i < text.size() && text[i] == '}' && first) return out;
    std::string key;
    if (!String(text, &i, &key)) return std::nullopt;
    SkipSpace(text, &i);
    if (i >= text.size() || text[i++] != ':') return std::nullopt;
    SkipSpace(text, &i);
    if (i < text.size() && text[i] == '"') {
      if (!String(text, &i, &out.scalars[key])) return std::nullopt;
    } else if (i < text.size() && text[i] == '[') {
      std::vector<std::string>& list = out.lists[key];
      ++i;
      SkipSpace(text, &i);
      while (i < text.size() && text[i] != ']') {
        list.emplace_back();
        if (!String(text, &i, &list.back())) return std::nullopt;
        SkipSpace(text, &i);
        if (i < text.size() && text[i] == ',') ++i;
        SkipSpace(text, &i);
      }
      if (i++ >= text.size()) return std::nullopt;
    } else {
      size_t start = i;
      while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ' ') ++i;
      if (i == start) return std::nullopt;
      out.scalars[key] = text.substr(start, i - start);
    }
    SkipSpace(text, &i);
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < text.size() && text[i] == '}') return out;
    return std::nullopt;
  }
}

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_JSON_H_
