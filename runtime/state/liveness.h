// Is the process a state file names still the same process? (pid reuse protection)
//
// A pid alone does not name a process: once the container's process exits and is reaped,
// the kernel may give its pid to an unrelated process. The state store therefore records
// (pid, start time), where the start time is field 22 of /proc/PID/stat (clock ticks since
// boot), and every signal goes through one of these checks first.
//
// Contract:
//  - IsSameProcess(pid, start_time): true when /proc/PID exists and its start time matches
//    (a zombie not yet reaped still matches: it is the same process); false when the pid is
//    gone or now names another process; an error only when /proc cannot be read for another
//    reason. Racy by nature: the answer may be stale at once. Use it for display (`ps`).
//  - OpenVerifiedPidfd(pid, start_time): pidfd_open(pid), THEN re-check the start time. The
//    pidfd pins the process it was opened on; if the start time still matches after the
//    open, that process is the recorded one (had the pid been reused before the open, the
//    check after it would see the new start time). Signal through the pidfd
//    (pidfd_send_signal) and no reuse can redirect the signal. NotFound when the process is
//    gone or the pid was reused; Unimplemented when the kernel lacks pidfd_open (< 5.3).
//  - proc_root lets tests point at a fake /proc; pidfd_open always uses the real kernel.
//
//   ASSIGN_OR_RETURN(UniqueFd pidfd, OpenVerifiedPidfd(st.pid, st.pid_start_time));
//   RETURN_IF_ERROR(PidfdSendSignal(pidfd.get(), SIGTERM, st.pid));  // runtime/util/pidfd.h
#ifndef NUCLEUS_RUNTIME_STATE_LIVENESS_H_
#define NUCLEUS_RUNTIME_STATE_LIVENESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

// The start time of pid (field 22 of /proc/PID/stat); NotFound when the pid does not exist.
absl::StatusOr<uint64_t> ReadStartTime(pid_t pid, const std::string& proc_root = "/proc");

absl::StatusOr<bool> IsSameProcess(pid_t pid, uint64_t start_time,
                                   const std::string& proc_root = "/proc");

absl::StatusOr<UniqueFd> OpenVerifiedPidfd(pid_t pid, uint64_t start_time,
                                           const std::string& proc_root = "/proc");

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_STATE_LIVENESS_H_
