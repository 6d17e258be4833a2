// UniqueFd: the one move-only owner of a file descriptor.
//
// Contract: owns fd >= 0 and closes it exactly once (close() is never retried: on Linux the
// fd is gone even when close fails with EINTR). Release() gives up ownership. Fork-safe to
// destroy in a child (close is async-signal-safe). Factories that open fds return
// absl::StatusOr<UniqueFd>; everything is opened O_CLOEXEC.
//
//   ASSIGN_OR_RETURN(UniqueFd fd, OpenFile("/proc/self/stat", O_RDONLY));
//   read(fd.get(), ...);
#ifndef NUCLEUS_RUNTIME_UTIL_UNIQUE_FD_H_
#define NUCLEUS_RUNTIME_UTIL_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace nucleus {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_UNIQUE_FD_H_
