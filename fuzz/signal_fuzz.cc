// Fuzzes runtime/signals: the whole input as the signal argument of `kill`/`stop`.
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "runtime/signals.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  absl::StatusOr<int> sig = nucleus::ParseSignal(text);
  if (sig.ok()) {
    Check(*sig >= 1 && *sig <= 64, "signals are 1..64");
    // Every accepted signal has a name that parses back to it (or is a plain number).
    std::string name = nucleus::SignalName(*sig);
    absl::StatusOr<int> back = nucleus::ParseSignal(name);
    Check(!back.ok() ? name.rfind("signal ", 0) == 0 : *back == *sig, "name round trip");
  }
  return 0;
}
