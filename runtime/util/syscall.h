// Thin syscall helpers for the parent (Status-returning) and the child (raw, fork-safe).
//
// Contract:
//  - RetryEintr(f) repeats f() while it returns -1 with errno EINTR. Use it only for calls
//    that can be interrupted (read, write, waitpid, connect, ...), never for close().
//  - OpenAt/Open/ReadFileToString/WriteStringToFile return Status naming the call and path.
//  - All fds are opened O_CLOEXEC.
#ifndef NUCLEUS_RUNTIME_UTIL_SYSCALL_H_
#define NUCLEUS_RUNTIME_UTIL_SYSCALL_H_

#include <fcntl.h>
#include <sys/types.h>

#include <cstdint>

#include <cerrno>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

template <typename F>
auto RetryEintr(F f) -> decltype(f()) {
  decltype(f()) r;
  do {
    r = f();
  } while (r == -1 && errno == EINTR);
  return r;
}

// clone3 without a new stack: like fork(), the child returns 0 on a copy of the caller's
// stack (call it with signals blocked; the child may only make async-signal-safe calls before
// execve or _exit). Always CLONE_PIDFD: *pidfd gets the child's pidfd. *cgroup_fd >= 0: the
// child is born in that cgroup v2 group (CLONE_INTO_CGROUP, Linux 5.7+), so not one
// instruction of it runs outside its limits; where the kernel lacks that (EINVAL, E2BIG) it
// clones without and sets *cgroup_fd to -1 (the caller then moves the child itself).
// Returns the pid (0 in the child), or -1 with errno.
pid_t Clone3(uint64_t flags, int* pidfd, int* cgroup_fd);

// open(path, flags | O_CLOEXEC, mode).
absl::StatusOr<UniqueFd> Open(const std::string& path, int flags, mode_t mode = 0);
// openat(dirfd, path, flags | O_CLOEXEC, mode).
absl::StatusOr<UniqueFd> OpenAt(int dirfd, const std::string& path, int flags, mode_t mode = 0);

// Reads the whole file (up to max_bytes; more is an error) into a string.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes = 16 << 20);
// Reads all of fd from its current offset (up to max_bytes).
absl::StatusOr<std::string> ReadFdToString(int fd, size_t max_bytes = 16 << 20);
// Opens path O_WRONLY (O_CREAT|O_TRUNC when create) and writes contents in full.
absl::Status WriteStringToFile(const std::string& path, absl::string_view contents,
                               bool create = false, mode_t mode = 0644);
// Removes the directory `path` and everything below it, staying on its file system (a mount
// point below is left alone) and never following a symlink. OK when it does not exist.
absl::Status RemoveTree(const std::string& path);
// Writes all of data to fd, retrying short writes and EINTR.
absl::Status WriteAll(int fd, absl::string_view data, absl::string_view what);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_SYSCALL_H_
