// NotifySocketAddress: a $NOTIFY_SOCKET value, validated before nucleus connects to it or
// hands it on to a container.
//
// Accepted, and nothing else:
//  - "@name": a Linux abstract socket (systemd's spelling); name 1..107 bytes (sun_path
//    less the leading NUL), any bytes but NUL.
//  - an absolute path under /run/ or /var/run/, at most 107 bytes (sun_path less the
//    terminating NUL), lexically canonical: no empty component ("//"), no "." or ".."
//    component, no trailing '/', no NUL and no control character (< 0x20, 0x7f). Bytes
//    >= 0x80 are allowed (UTF-8 names).
// Refused with InvalidArgument, one line, starting "NOTIFY_SOCKET" and naming the value
// (Quote-escaped): empty, relative, traversal, another directory, too long, and systemd's
// AF_VSOCK forms ("vsock:CID:PORT", "vsock-stream:...", "vsock-dgram:...", "not supported").
//   "NOTIFY_SOCKET: '/tmp/x' is not under /run/ or /var/run/"
//
// Pure: nothing here touches the file system, so it is fuzzed. A lexically clean path is
// still not a safe one: /run/x may be a symlink, or sit in a directory the container can
// write. The caller (the systemd bridge) must connect without following symlinks out of
// /run, e.g. open the directory with openat2(RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH) as
// O_PATH and connect to "/proc/self/fd/<dirfd>/<basename>", and check the socket's owner.
//
//   ASSIGN_OR_RETURN(NotifySocketAddress a, ParseNotifySocket(getenv("NOTIFY_SOCKET")));
//   sockaddr_un sa;  socklen_t len;
//   RETURN_IF_ERROR(ToSockaddrUn(a, &sa, &len));
//   sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), len);
#ifndef NUCLEUS_RUNTIME_NOTIFY_SOCKET_PATH_H_
#define NUCLEUS_RUNTIME_NOTIFY_SOCKET_PATH_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

// sizeof(sockaddr_un::sun_path) - 1: room for the NUL that ends a path, or that starts an
// abstract name.
inline constexpr size_t kMaxNotifySocketBytes = sizeof(sockaddr_un::sun_path) - 1;  // 107

struct NotifySocketAddress {
  bool abstract = false;     // true: Linux abstract namespace
  std::string path_or_name;  // abstract: the name without '@'; otherwise the absolute path

  bool operator==(const NotifySocketAddress& o) const {
    return abstract == o.abstract && path_or_name == o.path_or_name;
  }
  bool operator!=(const NotifySocketAddress& o) const { return !(*this == o); }
};

// See the contract above.
absl::StatusOr<NotifySocketAddress> ParseNotifySocket(absl::string_view value);

// The value as $NOTIFY_SOCKET spells it: "@name" or the path. Parses back to `addr`.
std::string NotifySocketValue(const NotifySocketAddress& addr);

// Fills *sa (zeroed first; AF_UNIX) and *len for connect()/sendto(): a path with its
// terminating NUL (offsetof(sun_path) + size + 1), an abstract name as a leading NUL and
// exactly the name's bytes (offsetof(sun_path) + 1 + size). InvalidArgument, leaving *sa
// untouched, when path_or_name is empty or longer than kMaxNotifySocketBytes (possible only
// for a hand-built address; one from ParseNotifySocket always fits).
absl::Status ToSockaddrUn(const NotifySocketAddress& addr, sockaddr_un* sa, socklen_t* len);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_NOTIFY_SOCKET_PATH_H_
