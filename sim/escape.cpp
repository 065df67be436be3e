#include "sim/escape.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace sim {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at s[i] (1-4), or 0 when the bytes there do not
// start one; `cp` gets its code point. Overlong forms, surrogates and code points past
// U+10FFFF are invalid, as RFC 3629 says.
size_t sequence_at(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t c = b(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  for (size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return 0;
    const uint8_t x = b(k);
    if (k == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xBF)) return 0;
    cp = (cp << 6) | (x & 0x3F);
  }
  return n;
}

// The length of the invalid run at s[i] that one U+FFFD stands for: the longest prefix of a
// sequence that could still have been valid, or one byte (the "maximal subpart" practice of
// Unicode, which nlohmann's decoder follows).
size_t invalid_run(std::string_view s, size_t i) {
  const auto c = static_cast<uint8_t>(s[i]);
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  else return 1;
  size_t k = 1;
  for (; k < n && i + k < s.size(); ++k) {
    const auto x = static_cast<uint8_t>(s[i + k]);
    if (k == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xBF)) break;
  }
  return k;
}

// Calls emit(code point, bytes) for every valid sequence and emit(0xFFFD, replacement) for
// every invalid run.
template <typename F>
void each_char(std::string_view s, F&& emit) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    if (const size_t n = sequence_at(s, i, cp)) {
      emit(cp, s.substr(i, n));
      i += n;
    } else {
      emit(0xFFFD, kReplacement);
      i += invalid_run(s, i);
    }
  }
}

}  // namespace

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  each_char(s, [&](uint32_t, std::string_view bytes) { out += bytes; });
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  each_char(s, [&](uint32_t cp, std::string_view bytes) {
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (cp < 0x20) out += fmt::format("\\u{:04x}", cp);
        else out += bytes;
    }
  });
  out.push_back('"');
}

std::string xml_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  each_char(s, [&](uint32_t cp, std::string_view bytes) {
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t': out += "&#9;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      default:
        // XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
        if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF) break;
        out += bytes;
    }
  });
  return out;
}

std::string terminal_text(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  each_char(s, [&](uint32_t cp, std::string_view bytes) {
    if (cp == '\n' && keep_newlines) out += bytes;
    else if (cp == '\n') out += "\\n";
    else if (cp == '\t') out += bytes;
    else if (cp < 0x20 || cp == 0x7F) out += fmt::format("\\x{:02x}", cp);
    else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
             (cp >= 0x2066 && cp <= 0x2069))
      out += fmt::format("\\u{:04x}", cp);  // C1 controls (a CSI among them) and the bidirectional controls
    else out += bytes;
  });
  return out;
}

}  // namespace sim
