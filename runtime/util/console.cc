#include "runtime/util/console.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace nucleus {
namespace {

constexpr size_t kChunk = 4096;
constexpr size_t kMaxBuffered = 64 << 10;
// After stop_fd fires, a process the container left behind may keep writing forever; the
// final drain stops after this much.
constexpr size_t kMaxFinalDrain = 4 << 20;
constexpr size_t kMaxName = 4096;
constexpr int kMaxFds = 8;

// Waits until fd is readable or the deadline passes.
absl::Status WaitReadable(int fd, absl::Time deadline, absl::string_view what) {
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat("console socket: no ", what, " in time"));
    }
    const int64_t ms = std::min<int64_t>(
        absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), 1 << 30);
    pollfd pfd = {fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(ms));
    if (r < 0 && errno != EINTR) return ErrnoStatus("poll", "console socket");
    if (r > 0) return absl::OkStatus();
  }
}

// Writes all of data, waiting with poll when fd is non-blocking. For the final flush only.
absl::Status FlushAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = RetryEintr([&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0 && errno == EAGAIN) {
      pollfd pfd = {fd, POLLOUT, 0};
      RetryEintr([&] { return ::poll(&pfd, 1, -1); });
      continue;
    }
    if (n < 0) return ErrnoStatus("write", "relay output");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Pty> OpenPty() {
  Pty pty;
  pty.master = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) return ErrnoStatus("posix_openpt", "/dev/ptmx");
  if (::grantpt(pty.master.get()) != 0) return ErrnoStatus("grantpt");
  if (::unlockpt(pty.master.get()) != 0) return ErrnoStatus("unlockpt");
  char name[128];
  int err = ::ptsname_r(pty.master.get(), name, sizeof(name));
  if (err != 0) return ErrnoStatus("ptsname_r", "", err);
  pty.slave_name = name;
  // TIOCGPTPEER opens the peer of this very master: no lookup of /dev/pts/N, which may be
  // another devpts instance (or none) in this mount namespace, and no race with a rename.
  int slave = ::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave >= 0) {
    pty.slave = UniqueFd(slave);
  } else {
    ASSIGN_OR_RETURN(pty.slave, Open(pty.slave_name, O_RDWR | O_NOCTTY));
  }
  return pty;
}

absl::Status SendConsoleFd(const std::string& socket_path, int fd, absl::string_view name) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return ErrnoStatus("socket(AF_UNIX)", socket_path);

  sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  std::string target = socket_path;
  UniqueFd dir;
  if (target.size() >= sizeof(addr.sun_path)) {
    // sun_path holds 108 bytes; bundles under deep state directories exceed it. Reach the
    // socket through the directory's fd instead of its full name.
    const size_t slash = socket_path.rfind('/');
    const std::string dir_path = slash == std::string::npos ? "."
                                 : slash == 0               ? "/"
                                                            : socket_path.substr(0, slash);
    const std::string base =
        slash == std::string::npos ? socket_path : socket_path.substr(slash + 1);
    ASSIGN_OR_RETURN(dir, Open(dir_path, O_PATH | O_DIRECTORY));
    target = absl::StrCat("/proc/self/fd/", dir.get(), "/", base);
    if (target.size() >= sizeof(addr.sun_path)) {
      return ErrnoStatus("connect", socket_path, ENAMETOOLONG);
    }
  }
  memcpy(addr.sun_path, target.data(), target.size());
  int r = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  // A unix connect interrupted by a signal may complete anyway; retrying then says EISCONN.
  while (r != 0 && errno == EINTR) {
    r = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    if (r != 0 && errno == EISCONN) r = 0;
  }
  if (r != 0) return ErrnoStatus("connect", socket_path);

  // SCM_RIGHTS rides on data: at least one byte.
  const char nul = '\0';
  iovec iov;
  iov.iov_base = const_cast<char*>(name.empty() ? &nul : name.data());
  iov.iov_len = name.empty() ? 1 : name.size();
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof(control));
  msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n = RetryEintr([&] { return ::sendmsg(sock.get(), &msg, MSG_NOSIGNAL); });
  if (n < 0) return ErrnoStatus("sendmsg", socket_path);
  // The fd went with the first byte; the peer reads the name with it. A short write of the
  // rest of a long name: send it too.
  if (static_cast<size_t>(n) < iov.iov_len) {
    absl::string_view rest(static_cast<const char*>(iov.iov_base) + n, iov.iov_len - n);
    while (!rest.empty()) {
      ssize_t m =
          RetryEintr([&] { return ::send(sock.get(), rest.data(), rest.size(), MSG_NOSIGNAL); });
      if (m < 0) return ErrnoStatus("send", socket_path);
      rest.remove_prefix(static_cast<size_t>(m));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> ReceiveConsoleFd(int listen_fd, absl::Duration timeout,
                                          std::string* name) {
  const absl::Time deadline = absl::Now() + timeout;
  UniqueFd conn;
  while (!conn) {
    RETURN_IF_ERROR(WaitReadable(listen_fd, deadline, "connection"));
    int c = RetryEintr([&] { return ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC); });
    // EAGAIN: a non-blocking listener whose connection went away again; keep waiting.
    if (c < 0 && errno != EAGAIN && errno != ECONNABORTED) {
      return ErrnoStatus("accept4", "console socket");
    }
    if (c >= 0) conn = UniqueFd(c);
  }
  RETURN_IF_ERROR(WaitReadable(conn.get(), deadline, "message"));

  char payload[kMaxName];
  iovec iov = {payload, sizeof(payload)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = RetryEintr([&] { return ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC); });
  if (n < 0) return ErrnoStatus("recvmsg", "console socket");

  UniqueFd received;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      // Keep the first; an extra fd the peer sent is closed, not leaked.
      if (!received) {
        received = UniqueFd(fd);
      } else {
        ::close(fd);
      }
    }
  }
  if (n == 0 && !received) {
    return absl::UnavailableError("console socket: peer closed without sending a console fd");
  }
  if (!received) {
    return absl::InvalidArgumentError((msg.msg_flags & MSG_CTRUNC) != 0
                                          ? "console socket: control message truncated"
                                          : "console socket: message carried no fd");
  }
  if (name != nullptr) {
    std::string s(payload, static_cast<size_t>(n));
    while (!s.empty() && s.back() == '\0') s.pop_back();
    *name = std::move(s);
  }
  return received;
}

namespace {

// RelayPty's state between polls: what is buffered each way and what has ended.
struct PtyRelay {
  int master_fd, in_fd, out_fd;
  bool in_is_tty;
  std::string to_master, to_out;
  bool in_open;
  int eof_chars = 0;  // VEOF bytes still to send after in_fd's EOF
  char last_input = '\n';
  bool master_hup = false;  // writes to the master are pointless
  bool master_eof = false;
  char buf[kChunk];

  // Reads the master into to_out (up to `limit` buffered). Sets master_eof on EIO/EOF.
  void ReadMaster(size_t limit) {
    while (to_out.size() < limit) {
      ssize_t n = RetryEintr(
          [&] { return ::read(master_fd, buf, std::min(sizeof(buf), limit - to_out.size())); });
      if (n < 0 && errno == EAGAIN) return;
      // EIO: every slave fd is closed (Linux never returns 0 for a pty master, but be safe).
      if (n <= 0) {
        master_eof = true;
        return;
      }
      to_out.append(buf, static_cast<size_t>(n));
    }
  }

  // The master is writable: buffered input, else the pending VEOF bytes (in canonical mode).
  void WriteMaster() {
    if (!to_master.empty()) {
      ssize_t n = RetryEintr(
          [&] { return ::write(master_fd, to_master.data(), std::min(to_master.size(), kChunk)); });
      if (n > 0) {
        to_master.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN) {
        master_hup = true;  // EIO: the slave side is gone; its output is still read
        to_master.clear();
      }
      return;
    }
    termios t;
    const char veof = ::tcgetattr(master_fd, &t) == 0 && (t.c_lflag & ICANON) != 0
                          ? static_cast<char>(t.c_cc[VEOF])
                          : '\0';
    if (veof == '\0') {
      eof_chars = 0;
      return;
    }
    ssize_t n = RetryEintr([&] { return ::write(master_fd, &veof, 1); });
    if (n == 1) --eof_chars;
    if (n < 0 && errno != EAGAIN) eof_chars = 0;
  }

  absl::Status ReadInput() {
    ssize_t n = RetryEintr(
        [&] { return ::read(in_fd, buf, std::min(sizeof(buf), kMaxBuffered - to_master.size())); });
    if (n > 0) {
      to_master.append(buf, static_cast<size_t>(n));
      last_input = buf[n - 1];
    } else if (n == 0 || (in_is_tty && errno == EIO)) {
      // EOF (EIO: a hung-up terminal). From a pipe or file, pass it on as ^D: one after a
      // newline ends the input, a partial line needs two (the first only flushes it).
      in_open = false;
      if (!in_is_tty) eof_chars = last_input == '\n' ? 1 : 2;
    } else if (errno != EAGAIN) {
      return ErrnoStatus("read", "relay input");
    }
    return absl::OkStatus();
  }

  absl::Status WriteOutput() {
    ssize_t n =
        RetryEintr([&] { return ::write(out_fd, to_out.data(), std::min(to_out.size(), kChunk)); });
    if (n > 0) {
      to_out.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN) {
      return ErrnoStatus("write", "relay output");
    }
    return absl::OkStatus();
  }

  // The process is gone, but the slave may still be open (a child it left behind, or our
  // caller's copy), so no EIO will come: take what the master holds now. A read flushes the
  // tty layer's pending buffers first, so nothing written before the exit is missed.
  absl::Status DrainAtStop() {
    size_t drained = 0;
    while (!master_eof && drained < kMaxFinalDrain) {
      const size_t before = to_out.size();
      ReadMaster(to_out.size() + kChunk);
      if (to_out.size() == before) break;  // EAGAIN: drained
      drained += to_out.size() - before;
      if (to_out.size() >= kMaxBuffered) {
        RETURN_IF_ERROR(FlushAll(out_fd, to_out));
        to_out.clear();
      }
    }
    return absl::OkStatus();
  }
};

}  // namespace

absl::Status RelayPty(int master_fd, int in_fd, int out_fd, int stop_fd, int winch_fd) {
  termios saved_term;
  const bool in_is_tty = in_fd >= 0 && ::tcgetattr(in_fd, &saved_term) == 0;
  if (in_is_tty) {
    termios raw = saved_term;
    ::cfmakeraw(&raw);
    if (::tcsetattr(in_fd, TCSANOW, &raw) != 0) return ErrnoStatus("tcsetattr", "raw mode");
  }
  absl::Cleanup restore_term = [&] {
    if (in_is_tty) ::tcsetattr(in_fd, TCSANOW, &saved_term);
  };
  const int size_from = in_is_tty ? in_fd : (out_fd >= 0 && ::isatty(out_fd) ? out_fd : -1);
  auto copy_size = [&] {
    winsize ws;
    if (size_from >= 0 && ::ioctl(size_from, TIOCGWINSZ, &ws) == 0) {
      ::ioctl(master_fd, TIOCSWINSZ, &ws);
    }
  };
  copy_size();

  const int master_flags = ::fcntl(master_fd, F_GETFL);
  if (master_flags < 0 || ::fcntl(master_fd, F_SETFL, master_flags | O_NONBLOCK) != 0) {
    return ErrnoStatus("fcntl(O_NONBLOCK)", "pty master");
  }
  absl::Cleanup restore_master = [&] { ::fcntl(master_fd, F_SETFL, master_flags); };

  PtyRelay r{master_fd, in_fd, out_fd, in_is_tty, {}, {}, in_fd >= 0};
  for (;;) {
    const bool want_read = r.to_out.size() < kMaxBuffered;
    const bool want_write = !r.master_hup && (!r.to_master.empty() || r.eof_chars > 0);
    pollfd pfds[5];
    // fd -1 is skipped by poll, and unlike events == 0 also gets no POLLHUP: nothing spins.
    pfds[0] = {want_read || want_write ? master_fd : -1,
               static_cast<short>((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0)), 0};
    pfds[1] = {r.in_open && r.to_master.size() < kMaxBuffered ? in_fd : -1, POLLIN, 0};
    pfds[2] = {!r.to_out.empty() ? out_fd : -1, POLLOUT, 0};
    pfds[3] = {stop_fd, POLLIN, 0};
    pfds[4] = {winch_fd, POLLIN, 0};
    if (::poll(pfds, 5, -1) < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("poll", "pty relay");
    }
    const short m = pfds[0].revents;
    if (want_read && (m & (POLLIN | POLLHUP | POLLERR)) != 0) r.ReadMaster(kMaxBuffered);
    if ((m & (POLLHUP | POLLERR)) != 0) r.master_hup = true;
    if (want_write && !r.master_hup && (m & POLLOUT) != 0) r.WriteMaster();
    if (pfds[1].fd >= 0 && pfds[1].revents != 0) RETURN_IF_ERROR(r.ReadInput());
    if (pfds[2].fd >= 0 && pfds[2].revents != 0) RETURN_IF_ERROR(r.WriteOutput());
    if (winch_fd >= 0 && pfds[4].revents != 0) {
      signalfd_siginfo info[8];
      ssize_t n = RetryEintr([&] { return ::read(winch_fd, info, sizeof(info)); });
      if (n < 0 && errno != EAGAIN) return ErrnoStatus("read", "SIGWINCH signalfd");
      copy_size();
    }
    if (r.master_eof) break;
    if (stop_fd >= 0 && pfds[3].revents != 0) {
      RETURN_IF_ERROR(r.DrainAtStop());
      break;
    }
  }
  return FlushAll(out_fd, r.to_out);
}

}  // namespace nucleus
