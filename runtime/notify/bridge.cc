#include "runtime/notify/bridge.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/notify/message.h"
#include "runtime/notify/socket_path.h"
#include "runtime/quote.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

// SCM_MAX_FD: the most fds one message can carry. Room for all of them, so that every fd a
// workload sends is installed here and closed, not left to guesswork about MSG_CTRUNC.
constexpr size_t kMaxPassedFds = 253;

std::string ProcFdPath(int fd, absl::string_view name = "") {
  return name.empty() ? absl::StrCat("/proc/self/fd/", fd)
                      : absl::StrCat("/proc/self/fd/", fd, "/", name);
}

// Opens (O_PATH) the socket a $NOTIFY_SOCKET path names. The path is lexically clean, but a
// directory on the way may be writable by someone who plants a symlink to a socket of their
// own (or to another service's), or a socket where the manager's should be. /run or /var/run
// itself is the system's layout (root's; /var/run is usually a symlink to /run); below it,
// every component is opened O_NOFOLLOW and a symlink is refused, not followed. openat2's
// RESOLVE_NO_SYMLINKS would do the same, but only from Linux 5.6.
absl::StatusOr<UniqueFd> OpenUpstreamSocket(const std::string& path) {
  auto refused = [&path](absl::string_view what) {
    return absl::FailedPreconditionError(absl::StrCat(Quote(path), " ", what));
  };
  const std::string anchor = absl::StartsWith(path, "/run/") ? "/run" : "/var/run";
  ASSIGN_OR_RETURN(UniqueFd cur, Open(anchor, O_PATH | O_DIRECTORY));
  std::string walked = anchor;
  for (absl::string_view part : absl::StrSplit(path.substr(anchor.size() + 1), '/')) {
    absl::StrAppend(&walked, "/", part);
    UniqueFd next(::openat(cur.get(), std::string(part).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return ErrnoStatus("open", walked);
    struct stat st;
    if (::fstat(next.get(), &st) != 0) return ErrnoStatus("fstat", walked);
    if (S_ISLNK(st.st_mode)) {
      return refused(
          absl::StrCat("passes through a symlink, ", Quote(walked), ", which is not followed"));
    }
    cur = std::move(next);
    if (walked.size() < path.size()) continue;
    if (!S_ISSOCK(st.st_mode)) return refused("is not a socket");
    // A socket another user made where the manager's should be would get the service's
    // status and readiness instead of the manager.
    if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
      return refused(
          absl::StrCat("is owned by uid ", st.st_uid, ", not by root or by nucleus's user"));
    }
  }
  return cur;
}

// A datagram socket connected to addr. Connecting once pins the checked socket (a later
// rename or symlink swap does not redirect us); the kernel attaches nucleus's credentials to
// each send, which is what systemd's NotifyAccess=main checks.
absl::StatusOr<UniqueFd> ConnectTo(const NotifySocketAddress& addr) {
  NotifySocketAddress via = addr;
  UniqueFd target;
  if (!addr.abstract) {
    ASSIGN_OR_RETURN(target, OpenUpstreamSocket(addr.path_or_name));
    // Through the magic link the kernel reaches the very inode checked above.
    via.path_or_name = ProcFdPath(target.get());
  }
  sockaddr_un sa;
  socklen_t len;
  RETURN_IF_ERROR(ToSockaddrUn(via, &sa, &len));
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket", "AF_UNIX");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    return ErrnoStatus("connect", NotifySocketValue(addr));
  }
  return fd;
}

absl::StatusOr<UniqueFd> ConnectUpstream(const std::string& value) {
  ASSIGN_OR_RETURN(NotifySocketAddress addr, ParseNotifySocket(value));  // "NOTIFY_SOCKET: ..."
  absl::StatusOr<UniqueFd> fd = ConnectTo(addr);
  if (!fd.ok()) return Annotate(fd.status(), "NOTIFY_SOCKET");
  return fd;
}

absl::Status Send(int fd, const std::string& datagram, const std::string& upstream) {
  auto sent = [&] { return ::send(fd, datagram.data(), datagram.size(), MSG_NOSIGNAL); };
  if (RetryEintr(sent) < 0) {
    return Annotate(ErrnoStatus("send", upstream), "NOTIFY_SOCKET");
  }
  return absl::OkStatus();
}

// nucleus's own datagrams are checked too: a STATUS text with a '\n' in it would add keys.
absl::Status CheckOwnDatagram(const std::string& datagram) {
  return ParseNotifyMessage(datagram).status();
}

struct Datagram {
  std::string text;  // at most kMaxNotifyMessageBytes of it
  size_t size = 0;   // its real size
  pid_t pid = 0;     // the sender, from SCM_CREDENTIALS
  bool fds = false;  // it carried file descriptors (closed by now)
};

// Reads one datagram; nullopt when none is pending.
absl::StatusOr<std::optional<Datagram>> Receive(int fd, const std::string& path) {
  Datagram d;
  d.text.resize(kMaxNotifyMessageBytes);
  iovec iov{d.text.data(), d.text.size()};
  alignas(
      cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof(control);
  // MSG_TRUNC: the real size comes back, so an over-long datagram is refused, not cut.
  // MSG_CMSG_CLOEXEC: a passed fd must not reach a child exec'd before it is closed.
  ssize_t n =
      RetryEintr([&] { return ::recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC); });
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<Datagram>();
    return ErrnoStatus("recvmsg", path);
  }
  d.size = static_cast<size_t>(n);
  d.text.resize(std::min(d.size, kMaxNotifyMessageBytes));
  // With room for SCM_MAX_FD fds, MSG_CTRUNC means the kernel dropped some of them.
  d.fds = (mh.msg_flags & MSG_CTRUNC) != 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_RIGHTS) {
      d.fds = true;
      for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
        int passed;
        std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        ::close(passed);
      }
    } else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      ucred cred;
      std::memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      d.pid = cred.pid;
    }
  }
  return std::optional<Datagram>(std::move(d));
}

// Why d is refused ("" if not); otherwise adds what the bridge relays from it to *merged.
std::string Accept(const Datagram& d, NotifyMessage* merged) {
  if (d.fds) return "sd_notify: carries file descriptors, which are not accepted (closed)";
  if (d.size > kMaxNotifyMessageBytes) {
    return absl::StrCat("sd_notify: message is ", d.size, " bytes, more than ",
                        kMaxNotifyMessageBytes);
  }
  absl::StatusOr<NotifyMessage> m = ParseNotifyMessage(d.text);
  if (!m.ok()) return std::string(m.status().message());
  merged->ready |= m->ready;
  merged->stopping |= m->stopping;
  merged->watchdog_ping |= m->watchdog_ping;
  merged->watchdog_trigger |= m->watchdog_trigger;
  if (m->status) merged->status = std::move(m->status);
  return "";
}

}  // namespace

NotifyBridge::NotifyBridge(UniqueFd sock, UniqueFd dir, std::string name, std::string path,
                           UniqueFd upstream, std::string upstream_value)
    : sock_(std::move(sock)),
      dir_(std::move(dir)),
      name_(std::move(name)),
      path_(std::move(path)),
      upstream_(std::move(upstream)),
      upstream_value_(std::move(upstream_value)) {}

NotifyBridge::~NotifyBridge() { ::unlinkat(dir_.get(), name_.c_str(), 0); }

absl::StatusOr<std::unique_ptr<NotifyBridge>> NotifyBridge::Create(const std::string& socket_path,
                                                                   uid_t uid, gid_t gid,
                                                                   const std::string& upstream) {
  UniqueFd up;
  if (!upstream.empty()) {
    absl::StatusOr<UniqueFd> connected = ConnectUpstream(upstream);
    if (!connected.ok()) {
      return absl::Status(connected.status().code(),
                          absl::StrCat(connected.status().message(), "; not relaying sd_notify"));
    }
    up = std::move(*connected);
  }
  size_t slash = socket_path.rfind('/');
  if (socket_path.empty() || socket_path[0] != '/' || slash + 1 == socket_path.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "notify bridge: socket path ", Quote(socket_path), " is not an absolute file path"));
  }
  std::string name = socket_path.substr(slash + 1);
  ASSIGN_OR_RETURN(UniqueFd dir,
                   Open(slash == 0 ? "/" : socket_path.substr(0, slash), O_PATH | O_DIRECTORY));
  // Bound through the directory's fd, so a long state directory still fits in sun_path.
  NotifySocketAddress local{false, ProcFdPath(dir.get(), name)};
  if (local.path_or_name.size() > kMaxNotifySocketBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("notify bridge: socket name ", Quote(name), " is too long for sun_path"));
  }
  sockaddr_un sa;
  socklen_t len;
  RETURN_IF_ERROR(ToSockaddrUn(local, &sa, &len));

  UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!sock) return ErrnoStatus("socket", "AF_UNIX");
  int on = 1;
  if (::setsockopt(sock.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) {
    return ErrnoStatus("setsockopt(SO_PASSCRED)", socket_path);
  }
  // bind() makes the file with the socket inode's mode less the umask, so it never exists
  // with more than 0600, not even before the chown below.
  if (::fchmod(sock.get(), 0600) != 0) return ErrnoStatus("fchmod", socket_path);
  if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    if (errno == EADDRINUSE) {
      return absl::AlreadyExistsError(
          absl::StrCat("notify bridge: ", socket_path, " already exists (not replaced)"));
    }
    return ErrnoStatus("bind", socket_path);
  }
  // From here on the destructor unlinks the file, on the error path too.
  auto bridge = absl::WrapUnique(new NotifyBridge(std::move(sock), std::move(dir), name,
                                                  socket_path, std::move(up), upstream));
  if (uid != 0 &&
      ::fchownat(bridge->dir_.get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus("chown", absl::StrCat(socket_path, " to ", uid, ":", gid));
  }
  return bridge;
}

absl::StatusOr<NotifyEvents> NotifyBridge::Drain(bool relay_ready) {
  NotifyEvents ev;
  NotifyMessage merged;
  for (size_t i = 0; i < kMaxNotifyDatagramsPerDrain; ++i) {
    ASSIGN_OR_RETURN(std::optional<Datagram> d, Receive(sock_.get(), path_));
    if (!d) break;
    std::string why = Accept(*d, &merged);
    if (!why.empty()) ev.refused.push_back(absl::StrCat("pid ", d->pid, ": ", why));
  }
  ev.ready = merged.ready;
  ev.stopping = merged.stopping;
  ev.watchdog = merged.watchdog_ping || merged.watchdog_trigger;
  ev.watchdog_trigger = merged.watchdog_trigger;
  ev.status = merged.status;
  if (has_upstream()) {
    merged.ready = merged.ready && relay_ready;
    std::string out = ToNotifyDatagram(merged);
    if (!out.empty()) ev.relay = Send(upstream_.get(), out, upstream_value_);
  }
  return ev;
}

absl::Status NotifyBridge::Notify(const std::string& datagram) {
  RETURN_IF_ERROR(CheckOwnDatagram(datagram));
  if (!has_upstream()) return absl::OkStatus();
  return Send(upstream_.get(), datagram, upstream_value_);
}

absl::Status SendNotify(const std::string& upstream, const std::string& datagram) {
  RETURN_IF_ERROR(CheckOwnDatagram(datagram));
  ASSIGN_OR_RETURN(UniqueFd fd, ConnectUpstream(upstream));
  return Send(fd.get(), datagram, upstream);
}

}  // namespace nucleus
