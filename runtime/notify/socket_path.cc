#include "runtime/notify/socket_path.h"

#include <cstddef>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/quote.h"

namespace nucleus {
namespace {

absl::Status Bad(absl::string_view value, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("NOTIFY_SOCKET: ", Quote(value), " ", what));
}

}  // namespace

absl::StatusOr<NotifySocketAddress> ParseNotifySocket(absl::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError("NOTIFY_SOCKET is empty");
  // A NUL would silently shorten the path (or, in an abstract name, change which socket is
  // meant) once the value passes through a C string: environ, sun_path, systemd's parser.
  if (value.find('\0') != absl::string_view::npos) return Bad(value, "contains a NUL byte");
  if (value[0] == '@') {
    absl::string_view name = value.substr(1);
    if (name.empty()) return Bad(value, "has an empty abstract socket name");
    if (name.size() > kMaxNotifySocketBytes) {
      return Bad(value,
                 absl::StrCat("has a ", name.size(), "-byte abstract socket name, more than ",
                              kMaxNotifySocketBytes));
    }
    return NotifySocketAddress{true, std::string(name)};
  }
  // systemd 253+ also accepts "vsock:CID:PORT" (and, later, "vsock-stream:"/"vsock-dgram:")
  // for a service manager outside a VM. nucleus relays only to a local manager.
  if (absl::StartsWith(value, "vsock:") || absl::StartsWith(value, "vsock-")) {
    return Bad(value, "is an AF_VSOCK address, which is not supported");
  }
  if (value[0] != '/') return Bad(value, "is not an absolute path or an @abstract name");
  if (value.size() > kMaxNotifySocketBytes) {
    return Bad(value, absl::StrCat("is ", value.size(), " bytes, more than ", kMaxNotifySocketBytes,
                                   " (sun_path)"));
  }
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return Bad(value, "contains a control character");
  }
  // Canonical, so that the prefix check below means what it says: "/run/../etc/x" and
  // "/run//x" are refused rather than cleaned, since the value is also handed on as is.
  if (value.back() == '/') return Bad(value, "ends in '/'");
  for (absl::string_view part : absl::StrSplit(value.substr(1), '/')) {
    if (part.empty()) return Bad(value, "has an empty component ('//')");
    if (part == "." || part == "..") {
      return Bad(value, absl::StrCat("has a '", part, "' component"));
    }
  }
  if (!absl::StartsWith(value, "/run/") && !absl::StartsWith(value, "/var/run/")) {
    return Bad(value, "is not under /run/ or /var/run/");
  }
  return NotifySocketAddress{false, std::string(value)};
}

std::string NotifySocketValue(const NotifySocketAddress& addr) {
  return addr.abstract ? absl::StrCat("@", addr.path_or_name) : addr.path_or_name;
}

absl::Status ToSockaddrUn(const NotifySocketAddress& addr, sockaddr_un* sa, socklen_t* len) {
  const std::string& s = addr.path_or_name;
  if (s.empty() || s.size() > kMaxNotifySocketBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "NOTIFY_SOCKET: ", Quote(NotifySocketValue(addr)), " does not fit in sun_path"));
  }
  std::memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  // Abstract: sun_path[0] stays NUL and the length, not a terminator, ends the name.
  std::memcpy(sa->sun_path + (addr.abstract ? 1 : 0), s.data(), s.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + s.size());
  return absl::OkStatus();
}

}  // namespace nucleus
