// Fuzzes runtime/state ParseStateJson on arbitrary state.json text, and checks the round
// trip: whatever parses must serialize (ToJson) to text that parses back to an equal state.
#include "fuzz/fuzz_input.h"
#include "runtime/state/state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  auto st = nucleus::ParseStateJson(text);
  if (!st.ok()) {
    nucleus::fuzz::Check(st.status().code() == absl::StatusCode::kInvalidArgument,
                         "parse errors are InvalidArgument");
    nucleus::fuzz::Check(st.status().message().substr(0, 12) == "state.json: ",
                         "parse errors start with state.json:");
    return 0;
  }
  std::string json = nucleus::ToJson(*st);
  auto back = nucleus::ParseStateJson(json);
  nucleus::fuzz::Check(back.ok(), "ToJson output re-parses");
  nucleus::fuzz::Check(*back == *st, "ToJson/ParseStateJson round trip is exact");
  nucleus::fuzz::Check(nucleus::ToJson(*back) == json, "ToJson is deterministic");
  nucleus::ToOciStateJson(*st);
  return 0;
}
