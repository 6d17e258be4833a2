// Fuzzes runtime/units: the whole input as a size and as a --ulimit value.
#include <cstdint>
#include <limits>

#include "fuzz/fuzz_input.h"
#include "runtime/units.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  auto bytes = nucleus::ParseSize(text, "--memory");
  if (bytes.ok()) {
    Check(*bytes <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), "sizes fit int64");
  }
  auto lim = nucleus::ParseUlimit(text, "--ulimit");
  if (lim.ok()) {
    Check(lim->soft <= lim->hard, "soft <= hard");
    Check(nucleus::RlimitResourceByName(lim->name) == lim->resource, "name matches resource");
  }
  return 0;
}
