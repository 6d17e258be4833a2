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
//
//   ASSIGN_OR_RETURN(UniqueFd fd, PidfdOpen(pid));
//   RETURN_IF_ERROR(PidfdSendSignal(fd.get(), SIGTERM, pid));
#ifndef NUCLEUS_RUNTIME_UTIL_PIDFD_H_
#define NUCLEUS_RUNTIME_UTIL_PIDFD_H_

#include <sys/types.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

int PidfdOpenRaw(pid_t pid);
int PidfdSendSignalRaw(int pidfd, int sig);

absl::StatusOr<UniqueFd> PidfdOpen(pid_t pid);
absl::Status PidfdSendSignal(int pidfd, int sig, pid_t pid);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_PIDFD_H_
