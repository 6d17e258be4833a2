// pidfd system calls, in one place (Linux 5.3+; raw syscall numbers, so that no glibc
// version matters).
//
// Contract:
//  - PidfdOpenRaw / PidfdSendSignalRaw: the bare calls (-1 with errno), async-signal-safe:
//    for a forked child and signal paths. The fd is close-on-exec (pidfds always are).
//  - PidfdOpen(pid): the fd, or NotFound (ESRCH: no such process), Unimplemented (ENOSYS:
//    the kernel has no pidfds), another errno's status naming the pid.
//  - PidfdSendSignal(pidfd, sig, pid): OK when sent or when the process has already exited
//    (ESRCH: nothing left to signal), else the errno's status naming pid and signal. `pid`
//    only names the process in messages.
//  - WaitExited(pidfd, timeout): true once the process has exited (its pidfd polls readable;
//    it is not reaped), false when the timeout passed first. InfiniteDuration: no limit.
//  - WaitPidfd(pidfd, what): reaps it (waitid P_PIDFD) and returns the wait(2)-form status.
//
//   ASSIGN_OR_RETURN(UniqueFd fd, PidfdOpen(pid));
//   RETURN_IF_ERROR(PidfdSendSignal(fd.get(), SIGTERM, pid));
#ifndef NUCLEUS_RUNTIME_UTIL_PIDFD_H_
#define NUCLEUS_RUNTIME_UTIL_PIDFD_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

int PidfdOpenRaw(pid_t pid);
int PidfdSendSignalRaw(int pidfd, int sig);

absl::StatusOr<UniqueFd> PidfdOpen(pid_t pid);
absl::Status PidfdSendSignal(int pidfd, int sig, pid_t pid);

// waitid(P_PIDFD) for the exit status (wait(2) form).
absl::StatusOr<int> WaitPidfd(int pidfd, const std::string& what);
// True once the process of pidfd has exited (the pidfd polls readable), false when `timeout`
// passed first.
bool WaitExited(int pidfd, absl::Duration timeout);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_PIDFD_H_
