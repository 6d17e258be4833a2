#include "runtime/util/syscall.h"

#include <dirent.h>
#include <linux/sched.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/util/status.h"

namespace nucleus {
namespace {

// Removes dirfd's entries recursively, staying on its file system, never following a link.
void RemoveContents(int dirfd, dev_t dev) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return;
  DIR* d = ::fdopendir(dup);
  if (d == nullptr) {
    ::close(dup);
    return;
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
  }
  ::closedir(d);
  for (const std::string& name : names) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) continue;  // a mount point: never descend into it
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.valid()) RemoveContents(sub.get(), dev);
      (void)::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR);
    } else {
      (void)::unlinkat(dirfd, name.c_str(), 0);
    }
  }
}

}  // namespace

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

absl::Status RemoveTree(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus("open", path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", path);
  RemoveContents(fd.get(), st.st_dev);
  fd.Reset();
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("rmdir", path);
  return absl::OkStatus();
}

}  // namespace nucleus
