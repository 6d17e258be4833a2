// Helpers shared by the fuzz targets: how one fuzzer input becomes several parser inputs.
//
// Contract: SplitNul("a\0b\0") == {"a", "b", ""}; Check(cond, what) aborts with `what` on
// stderr when an invariant of the code under test is broken, so libFuzzer reports logic bugs
// as crashes, not only memory errors.
#ifndef NUCLEUS_FUZZ_FUZZ_INPUT_H_
#define NUCLEUS_FUZZ_FUZZ_INPUT_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace nucleus {
namespace fuzz {

inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

inline std::vector<std::string> SplitNul(absl::string_view text) {
  return absl::StrSplit(text, absl::ByChar('\0'));
}

inline void Check(bool cond, const char* what) {
  if (!cond) {
    fprintf(stderr, "fuzz invariant broken: %s\n", what);
    abort();
  }
}

}  // namespace fuzz
}  // namespace nucleus

#endif  // NUCLEUS_FUZZ_FUZZ_INPUT_H_
