#include "runtime/util/pidfd.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "runtime/util/status.h"

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

}  // namespace nucleus
