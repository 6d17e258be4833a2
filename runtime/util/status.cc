#include "runtime/util/status.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace nucleus {

absl::Status ErrnoStatus(absl::string_view call, absl::string_view arg, int err) {
  // absl::ErrnoToStatus picks the code; the message is ours so it reads like strace.
  const absl::Status mapped = absl::ErrnoToStatus(err, "");
  std::string msg = arg.empty() ? std::string(call) : absl::StrCat(call, "(", arg, ")");
  return absl::Status(mapped.code(), absl::StrCat(msg, ": ", strerror(err)));
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace nucleus
