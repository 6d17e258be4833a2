// A bound on JSON nesting, checked on the raw text before parsing.
//
// nlohmann's parser is iterative, but dump() recurses and a deep document still costs:
// untrusted JSON (config.json, Landlock policies) is refused above a nesting limit first.
// Counts '[' and '{' outside strings (escapes inside strings handled); malformed text is the
// parser's to reject, not this function's.
#ifndef NUCLEUS_RUNTIME_UTIL_JSON_DEPTH_H_
#define NUCLEUS_RUNTIME_UTIL_JSON_DEPTH_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace nucleus {

// True when some bracket in text nests deeper than max_depth levels.
bool JsonDeeperThan(absl::string_view text, size_t max_depth);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_JSON_DEPTH_H_
