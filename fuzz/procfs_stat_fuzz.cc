// Fuzzes runtime/procfs ParseProcStat on arbitrary /proc/PID/stat text.
#include "fuzz/fuzz_input.h"
#include "runtime/procfs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  auto st = nucleus::ParseProcStat(text);
  if (st.ok()) {
    nucleus::fuzz::Check(st->comm.size() < size, "comm is inside the input");
    nucleus::fuzz::Check(text.rfind(')') == text.find('(') + st->comm.size() + 1,
                         "comm runs from the first '(' to the last ')'");
  }
  return 0;
}
