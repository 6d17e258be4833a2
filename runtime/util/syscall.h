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

// open(path, flags | O_CLOEXEC, mode).
absl::StatusOr<UniqueFd> Open(const std::string& path, int flags, mode_t mode = 0);
// openat(dirfd, path, flags | O_CLOEXEC, mode).
absl::StatusOr<UniqueFd> OpenAt(int dirfd, const std::string& path, int flags, mode_t mode = 0);

// Reads the whole file (up to max_bytes; more is an error) into a string.
absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                             size_t max_bytes = 16 << 20);
// Reads all of fd from its current offset (up to max_bytes).
absl::StatusOr<std::string> ReadFdToString(int fd, size_t max_bytes = 16 << 20);
// Opens path O_WRONLY (O_CREAT|O_TRUNC when create) and writes contents in full.
absl::Status WriteStringToFile(const std::string& path, absl::string_view contents,
                               bool create = false, mode_t mode = 0644);
// Writes all of data to fd, retrying short writes and EINTR.
absl::Status WriteAll(int fd, absl::string_view data, absl::string_view what);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_SYSCALL_H_
