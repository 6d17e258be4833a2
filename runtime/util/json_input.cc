#include "runtime/util/json_input.h"

#include "runtime/quote.h"

namespace nucleus {

bool JsonDeeperThan(absl::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

std::string ShowJsonValue(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::string:
      return Quote(v.get_ref<const std::string&>(), 64);
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    default:
      return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace nucleus
