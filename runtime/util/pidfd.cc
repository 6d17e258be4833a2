#include "runtime/util/pidfd.h"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

namespace nucleus {

int PidfdOpenRaw(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int PidfdSendSignalRaw(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

absl::StatusOr<UniqueFd> PidfdOpen(pid_t pid) {
  int fd = PidfdOpenRaw(pid);
  if (fd >= 0) return UniqueFd(fd);
  if (errno == ESRCH) return absl::NotFoundError(absl::StrCat("process ", pid, " does not exist"));
  if (errno == ENOSYS) {
    return absl::UnimplementedError("pidfd_open: not supported by this kernel (< 5.3)");
  }
  return ErrnoStatus("pidfd_open", absl::StrCat(pid));
}

absl::Status PidfdSendSignal(int pidfd, int sig, pid_t pid) {
  if (PidfdSendSignalRaw(pidfd, sig) == 0 || errno == ESRCH) return absl::OkStatus();
  return ErrnoStatus("pidfd_send_signal", absl::StrCat(pid, ", ", sig));
}

absl::StatusOr<int> WaitPidfd(int pidfd, const std::string& what) {
  siginfo_t si = {};
  if (RetryEintr([&] { return ::waitid(P_PIDFD, pidfd, &si, WEXITED); }) != 0) {
    return ErrnoStatus("waitid", what);
  }
  return si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : (si.si_status & 0x7f);
}

bool WaitExited(int pidfd, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    struct pollfd p = {pidfd, POLLIN, 0};
    const absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
    const int ms =
        timeout == absl::InfiniteDuration()
            ? -1
            : static_cast<int>(std::min<int64_t>(
                  absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), 1 << 30));
    int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace nucleus
