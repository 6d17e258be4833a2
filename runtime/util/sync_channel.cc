#include "runtime/util/sync_channel.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runtime/util/raw_log.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

ssize_t RecvMessage(int fd, SyncMessage* msg) {
  memset(msg, 0, sizeof(*msg));
  return RetryEintr([&] { return ::recv(fd, msg, sizeof(*msg), 0); });
}

}  // namespace

absl::StatusOr<SyncPair> SyncPair::Create() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return ErrnoStatus("socketpair", "AF_UNIX, SOCK_SEQPACKET");
  }
  SyncPair pair;
  pair.parent.Reset(fds[0]);
  pair.child.Reset(fds[1]);
  return pair;
}

absl::Status SyncSend(int fd, SyncKind kind) {
  SyncMessage msg{};
  msg.kind = kind;
  ssize_t n = RetryEintr([&] { return ::send(fd, &msg, sizeof(msg), MSG_NOSIGNAL); });
  if (n != static_cast<ssize_t>(sizeof(msg))) return ErrnoStatus("send", "sync socket");
  return absl::OkStatus();
}

absl::Status SyncErrorToStatus(const SyncMessage& msg) {
  SyncMessage m = msg;
  m.step[sizeof(m.step) - 1] = '\0';
  m.detail[sizeof(m.detail) - 1] = '\0';
  if (m.err == 0) {
    // No errno: the step is a sentence about the detail ("'/evil/x': leads out of ...").
    return absl::FailedPreconditionError(m.detail[0] ? absl::StrCat("'", m.detail, "': ", m.step)
                                                     : std::string(m.step));
  }
  std::string call = m.detail[0] ? absl::StrCat(m.step, "(", m.detail, ")") : m.step;
  return ErrnoStatus(call, "", m.err);
}

absl::Status SyncWaitFor(int fd, SyncKind kind) {
  SyncMessage msg;
  ssize_t n = RecvMessage(fd, &msg);
  if (n < 0) return ErrnoStatus("recv", "sync socket");
  if (n == 0) return absl::InternalError("container process exited during setup");
  if (n != static_cast<ssize_t>(sizeof(msg))) {
    return absl::InternalError(absl::StrCat("sync socket: short message (", n, " bytes)"));
  }
  if (msg.kind == SyncKind::kError) return SyncErrorToStatus(msg);
  if (msg.kind != kind) {
    return absl::InternalError(absl::StrCat("sync socket: expected message ",
                                            static_cast<uint32_t>(kind), ", got ",
                                            static_cast<uint32_t>(msg.kind)));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> SyncWaitForFd(int fd, SyncKind kind) {
  SyncMessage msg;
  memset(&msg, 0, sizeof(msg));
  struct iovec iov = {&msg, sizeof(msg)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof(control);
  ssize_t n = RetryEintr([&] { return ::recvmsg(fd, &mh, MSG_CMSG_CLOEXEC); });
  if (n < 0) return ErrnoStatus("recvmsg", "sync socket");
  UniqueFd passed;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int))) {
      int received;
      memcpy(&received, CMSG_DATA(c), sizeof(int));
      passed.Reset(received);
    }
  }
  if (n == 0) return absl::InternalError("container process exited during setup");
  if (n != static_cast<ssize_t>(sizeof(msg))) {
    return absl::InternalError(absl::StrCat("sync socket: short message (", n, " bytes)"));
  }
  if (msg.kind == SyncKind::kError) return SyncErrorToStatus(msg);
  if (msg.kind != kind || !passed.valid()) {
    return absl::InternalError(absl::StrCat("sync socket: expected message ",
                                            static_cast<uint32_t>(kind), " with a descriptor"));
  }
  return passed;
}

absl::Status SyncWaitExec(int fd, int* exit_code) {
  if (exit_code) *exit_code = 0;
  SyncMessage msg;
  ssize_t n = RecvMessage(fd, &msg);
  if (n < 0) return ErrnoStatus("recv", "sync socket");
  if (n == 0) return absl::OkStatus();  // peer's end closed on execve (O_CLOEXEC)
  if (msg.kind != SyncKind::kError) {
    return absl::InternalError(
        absl::StrCat("sync socket: unexpected message ", static_cast<uint32_t>(msg.kind)));
  }
  if (exit_code) *exit_code = msg.exit_code;
  return SyncErrorToStatus(msg);
}

void ChildSyncSend(int fd, SyncKind kind) {
  SyncMessage msg;
  memset(&msg, 0, sizeof(msg));
  msg.kind = kind;
  while (::send(fd, &msg, sizeof(msg), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

void ChildSyncSendFd(int fd, SyncKind kind, int passed_fd) {
  SyncMessage msg;
  memset(&msg, 0, sizeof(msg));
  msg.kind = kind;
  struct iovec iov = {&msg, sizeof(msg)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof(control));
  struct msghdr mh;
  memset(&mh, 0, sizeof(mh));
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof(control);
  struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &passed_fd, sizeof(int));
  while (::sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

uint32_t ChildSyncReceive(int fd) {
  SyncMessage msg;
  ssize_t n;
  do {
    n = ::recv(fd, &msg, sizeof(msg), 0);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof(msg)) ? static_cast<uint32_t>(msg.kind) : 0;
}

bool ChildSyncWait(int fd, SyncKind kind) {
  SyncMessage msg;
  ssize_t n;
  do {
    n = ::recv(fd, &msg, sizeof(msg), 0);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof(msg)) && msg.kind == kind;
}

void ChildReportError(int fd, const char* step, const char* detail, int err, int exit_code) {
  SyncMessage msg;
  memset(&msg, 0, sizeof(msg));
  msg.kind = SyncKind::kError;
  msg.err = err;
  msg.exit_code = exit_code;
  RawCopy(msg.step, sizeof(msg.step), step ? step : "");
  RawCopy(msg.detail, sizeof(msg.detail), detail ? detail : "");
  while (::send(fd, &msg, sizeof(msg), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

}  // namespace nucleus
