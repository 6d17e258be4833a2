// Quote(): how every parser error message shows an untrusted value.
//
// Contract: returns the value in single quotes, C-escaped (a newline becomes "\n", a NUL
// "\000", a quote "\'") so the message stays one printable line whatever the input, and
// shortened to about `max_len` bytes of input with "..." so a hostile 1 MiB argument does not
// become a 4 MiB error message. Pure, allocation only.
//
//   return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quote(v), " is not a size"));
//   // --memory: '12xb' is not a size
#ifndef NUCLEUS_RUNTIME_QUOTE_H_
#define NUCLEUS_RUNTIME_QUOTE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace nucleus {

std::string Quote(absl::string_view value, size_t max_len = 128);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_QUOTE_H_
