#include "backends/gvisor/stdio_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

constexpr size_t kChunk = 64 << 10;

void BlockAllSignals() {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

// Writes all of data to fd; false when fd refuses (the caller's reader went away): the
// rest is dropped, as a native workload's write would fail.
bool WriteFully(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = RetryEintr([&] { return ::write(fd, data, size); });
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

StdioRelay::StdioRelay() = default;

StdioRelay::~StdioRelay() { Finish(); }

absl::StatusOr<std::unique_ptr<StdioRelay>> StdioRelay::Start(std::array<int, 3> fds) {
  std::unique_ptr<StdioRelay> r(new StdioRelay());
  bool any = false;
  for (int i = 0; i < 3; ++i) {
    struct stat st;
    if (fds[i] < 0 || ::fstat(fds[i], &st) != 0 || !S_ISREG(st.st_mode)) continue;
    r->caller_[i].Reset(::fcntl(fds[i], F_DUPFD_CLOEXEC, 3));
    if (!r->caller_[i].valid()) return ErrnoStatus("fcntl(F_DUPFD_CLOEXEC)", "stdio relay");
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "stdio relay");
    UniqueFd read_end(p[0]), write_end(p[1]);
    if (i == 0) {
      r->child_[i] = std::move(read_end);
      r->ours_[i] = std::move(write_end);
    } else {
      r->child_[i] = std::move(write_end);
      r->ours_[i] = std::move(read_end);
    }
    if (::fcntl(r->ours_[i].get(), F_SETFL, O_NONBLOCK) != 0) {
      return ErrnoStatus("fcntl(O_NONBLOCK)", "stdio relay");
    }
    any = true;
  }
  if (!any) return r;
  r->stop_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!r->stop_.valid()) return ErrnoStatus("eventfd", "stdio relay");
  StdioRelay* self = r.get();
  for (int i = 0; i < 3; ++i) {
    if (!r->ours_[i].valid()) continue;
    r->threads_[i] = std::thread([self, i] {
      BlockAllSignals();
      if (i == 0) {
        self->CopyIn();
      } else {
        self->CopyOut(i);
      }
    });
  }
  return r;
}

void StdioRelay::CloseChildEnds() {
  for (UniqueFd& fd : child_) fd.Reset();
}

void StdioRelay::Finish() {
  CloseChildEnds();
  if (stop_.valid()) {
    const uint64_t one = 1;
    (void)RetryEintr([&] { return ::write(stop_.get(), &one, sizeof(one)); });
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void StdioRelay::CopyOut(int i) {
  const int in = ours_[i].get();
  const int out = caller_[i].get();
  bool out_ok = true;
  bool stopping = false;
  std::unique_ptr<char[]> buf(new char[kChunk]);
  for (;;) {
    if (!stopping) {
      struct pollfd p[2] = {{in, POLLIN, 0}, {stop_.get(), POLLIN, 0}};
      if (RetryEintr([&] { return ::poll(p, 2, -1); }) < 0) return;
      stopping = p[1].revents != 0;
      if (p[0].revents == 0) continue;  // stopping: drain below until EAGAIN
    }
    ssize_t n = RetryEintr([&] { return ::read(in, buf.get(), kChunk); });
    if (n == 0) return;  // every writer has gone
    if (n < 0) {
      if (errno == EAGAIN && !stopping) continue;
      return;  // stopping and drained, or an error
    }
    if (out_ok) out_ok = WriteFully(out, buf.get(), static_cast<size_t>(n));
  }
}

void StdioRelay::CopyIn() {
  const int in = caller_[0].get();
  std::unique_ptr<char[]> buf(new char[kChunk]);
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::read(in, buf.get(), kChunk); });
    if (n <= 0) break;  // the caller's end of file: the workload sees EOF
    size_t done = 0;
    while (done < static_cast<size_t>(n)) {
      struct pollfd p[2] = {{ours_[0].get(), POLLOUT, 0}, {stop_.get(), POLLIN, 0}};
      if (RetryEintr([&] { return ::poll(p, 2, -1); }) < 0 || p[1].revents != 0) return;
      ssize_t w = RetryEintr(
          [&] { return ::write(ours_[0].get(), buf.get() + done, static_cast<size_t>(n) - done); });
      if (w < 0 && errno == EAGAIN) continue;
      if (w <= 0) return;  // EPIPE: nobody reads any more
      done += static_cast<size_t>(w);
    }
  }
  ours_[0].Reset();
}

}  // namespace nucleus
