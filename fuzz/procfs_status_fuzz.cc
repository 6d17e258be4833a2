// Fuzzes runtime/procfs ParseProcStatus on arbitrary /proc/PID/status text.
#include "fuzz/fuzz_input.h"
#include "runtime/procfs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = nucleus::ParseProcStatus(nucleus::fuzz::AsText(data, size));
  if (s.ok()) {
    nucleus::fuzz::Check(s->fields.count("Uid") == 1 && s->fields.count("CapEff") == 1,
                         "required fields present");
  }
  return 0;
}
