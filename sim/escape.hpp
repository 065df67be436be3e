#pragma once
// Text as the formats kafkasim writes want it, from bytes a scenario or a history may have
// made up (a record value, a check's detail, a scenario name).
// - UTF-8: every invalid sequence becomes one U+FFFD, the way nlohmann::json's
//   error_handler_t::replace repairs it, so the trace and the JSON files agree byte for byte.
// - JSON strings: the repaired text with JSON's escapes.
// - XML 1.0 text and attributes: the repaired text with markup escaped and the characters XML
//   1.0 forbids (most C0 controls, U+FFFE, U+FFFF) left out.
// - A terminal: the repaired text with every control character (C0 but the line breaks kept,
//   DEL, C1) and every bidirectional control written out as an escape (\x1b, \u202e), so a
//   scenario's string printed by `run`, `sweep` or `test` can neither move the cursor, recolour
//   or clear the screen, nor make what follows it read in another order.
#include <string>
#include <string_view>

namespace sim {

// The text with each invalid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view s);
// Appends s as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view s);
// s as XML 1.0 character data (fit for attributes too).
std::string xml_text(std::string_view s);
// s as a terminal should print it; `keep_newlines` keeps '\n' (a message of several lines),
// otherwise it is written as \n too (one line of a table).
std::string terminal_text(std::string_view s, bool keep_newlines = false);

}  // namespace sim
