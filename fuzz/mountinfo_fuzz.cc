// Fuzzes runtime/procfs ParseMountInfo / UnescapeMountField on arbitrary mountinfo text.
#include "fuzz/fuzz_input.h"
#include "runtime/procfs.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  Check(nucleus::UnescapeMountField(text).size() <= size, "unescaping never grows");
  auto mounts = nucleus::ParseMountInfo(text);
  if (mounts.ok()) {
    for (const nucleus::MountInfo& m : *mounts) {
      Check(!m.root.empty() && !m.mount_point.empty() && !m.fstype.empty(),
            "paths and fstype non-empty");
    }
  }
  return 0;
}
