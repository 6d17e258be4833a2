// What the parsers of untrusted JSON (config.json, Landlock policies) share.
//
// JsonDeeperThan: a bound on nesting, checked on the raw text before parsing. nlohmann's
// parser is iterative, but dump() recurses and a deep document still costs: such input is
// refused above a nesting limit first. Counts '[' and '{' outside strings (escapes inside
// strings handled); malformed text is the parser's to reject, not this function's.
//
// ShowJsonValue: how a bad value appears in a one-line error: a string quoted and escaped
// (at most 64 bytes shown), a scalar as JSON, an object or array by its kind only (dumping
// a container could be huge).
#ifndef NUCLEUS_RUNTIME_UTIL_JSON_INPUT_H_
#define NUCLEUS_RUNTIME_UTIL_JSON_INPUT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace nucleus {

// True when some bracket in text nests deeper than max_depth levels.
bool JsonDeeperThan(absl::string_view text, size_t max_depth);

// "'abc'", "42", "an object", "an array".
std::string ShowJsonValue(const nlohmann::json& v);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_JSON_INPUT_H_
