// Fuzzes runtime/notify ParseNotifySocket on arbitrary $NOTIFY_SOCKET values. An accepted
// value must be what the contract promises (abstract name, or a canonical path under /run/
// or /var/run/ that fits sun_path), must be reproduced by NotifySocketValue, and must fill a
// sockaddr_un exactly.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "fuzz/fuzz_input.h"
#include "runtime/notify/socket_path.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  absl::StatusOr<nucleus::NotifySocketAddress> a = nucleus::ParseNotifySocket(text);
  if (!a.ok()) {
    absl::string_view msg = a.status().message();
    Check(a.status().code() == absl::StatusCode::kInvalidArgument, "errors are InvalidArgument");
    Check(absl::StartsWith(msg, "NOTIFY_SOCKET"), "errors start with NOTIFY_SOCKET");
    Check(msg.find('\n') == absl::string_view::npos, "errors are one line");
    Check(msg.size() < 1024, "errors are short");
    return 0;
  }
  const std::string& s = a->path_or_name;
  Check(!s.empty() && s.size() <= nucleus::kMaxNotifySocketBytes, "fits sun_path");
  Check(s.find('\0') == std::string::npos, "no NUL");
  Check(nucleus::NotifySocketValue(*a) == text, "NotifySocketValue gives the value back");
  if (!a->abstract) {
    Check(absl::StartsWith(s, "/run/") || absl::StartsWith(s, "/var/run/"), "under /run");
    std::string slashed = s + "/";
    Check(!absl::StrContains(slashed, "//") && !absl::StrContains(slashed, "/./") &&
              !absl::StrContains(slashed, "/../"),
          "path is canonical");
    for (char c : s) {
      Check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "no control characters");
    }
  }
  sockaddr_un sa;
  socklen_t len = 0;
  Check(nucleus::ToSockaddrUn(*a, &sa, &len).ok(), "a parsed address fills a sockaddr_un");
  const size_t off = offsetof(sockaddr_un, sun_path);
  Check(sa.sun_family == AF_UNIX, "AF_UNIX");
  Check(len == off + 1 + s.size() && len <= sizeof(sa), "socklen");
  if (a->abstract) {
    Check(sa.sun_path[0] == '\0' && std::memcmp(sa.sun_path + 1, s.data(), s.size()) == 0,
          "abstract name bytes");
  } else {
    Check(std::memcmp(sa.sun_path, s.data(), s.size()) == 0 && sa.sun_path[s.size()] == '\0',
          "path bytes and terminator");
  }
  return 0;
}
