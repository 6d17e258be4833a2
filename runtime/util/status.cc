#include "runtime/util/status.h"

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nucleus {

namespace {

// The argument is often untrusted (a path from a flag): C-escape it when it holds a control
// or non-ASCII byte, so every error stays one printable line ("stat(/a\nb)"); plain paths
// read as they are. Found by //fuzz:flags_fuzz.
std::string Printable(absl::string_view arg) {
  for (unsigned char c : arg) {
    if (c < 0x20 || c >= 0x7f) return absl::CEscape(arg);
  }
  return std::string(arg);
}

}  // namespace

absl::Status ErrnoStatus(absl::string_view call, absl::string_view arg, int err) {
  // absl::ErrnoToStatus picks the code; the message is ours so it reads like strace.
  const absl::Status mapped = absl::ErrnoToStatus(err, "");
  std::string msg = arg.empty() ? std::string(call) : absl::StrCat(call, "(", Printable(arg), ")");
  return absl::Status(mapped.code(), absl::StrCat(msg, ": ", strerror(err)));
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace nucleus
