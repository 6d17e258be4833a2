#include "runtime/util/syscall.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runtime/util/status.h"

namespace nucleus {

pid_t Clone3(uint64_t flags, int* pidfd, int* cgroup_fd) {
  auto clone = [&](int cgroup) {
    struct clone_args args = {};
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(pidfd);
    args.exit_signal = SIGCHLD;
    if (cgroup >= 0) {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = static_cast<uint64_t>(cgroup);
    }
    return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof(args)));
  };
  pid_t pid = clone(*cgroup_fd);
  if (pid < 0 && *cgroup_fd >= 0 && (errno == EINVAL || errno == E2BIG)) {
    *cgroup_fd = -1;
    pid = clone(-1);
  }
  return pid;
}

absl::StatusOr<UniqueFd> Open(const std::string& path, int flags, mode_t mode) {
  return OpenAt(AT_FDCWD, path, flags, mode);
}

absl::StatusOr<UniqueFd> OpenAt(int dirfd, const std::string& path, int flags, mode_t mode) {
  int fd = RetryEintr([&] { return ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode); });
  if (fd < 0) return ErrnoStatus("open", path);
  return UniqueFd(fd);
}

absl::StatusOr<std::string> ReadFdToString(int fd, size_t max_bytes) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::read(fd, buf, sizeof(buf)); });
    if (n < 0) return ErrnoStatus("read");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return absl::OutOfRangeError(absl::StrCat("read: more than ", max_bytes, " bytes"));
    }
  }
  return out;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  auto fd = Open(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  auto data = ReadFdToString(fd->get(), max_bytes);
  if (!data.ok()) return Annotate(data.status(), path);
  return data;
}

absl::Status WriteAll(int fd, absl::string_view data, absl::string_view what) {
  while (!data.empty()) {
    ssize_t n = RetryEintr([&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0) return ErrnoStatus("write", what);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status WriteStringToFile(const std::string& path, absl::string_view contents, bool create,
                               mode_t mode) {
  int flags = O_WRONLY | (create ? (O_CREAT | O_TRUNC) : 0);
  auto fd = Open(path, flags, mode);
  if (!fd.ok()) return fd.status();
  return WriteAll(fd->get(), contents, path);
}

}  // namespace nucleus
