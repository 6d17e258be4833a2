#include "runtime/quote.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nucleus {

std::string Quote(absl::string_view value, size_t max_len) {
  if (value.size() <= max_len) return absl::StrCat("'", absl::CEscape(value), "'");
  return absl::StrCat("'", absl::CEscape(value.substr(0, max_len)), "...'");
}

}  // namespace nucleus
