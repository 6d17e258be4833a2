#include "runtime/state/liveness.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/procfs.h"
#include "runtime/util/pidfd.h"
#include "runtime/util/status.h"

namespace nucleus {

absl::StatusOr<uint64_t> ReadStartTime(pid_t pid, const std::string& proc_root) {
  if (pid <= 0) {
    // pid 0 would read /proc/self: never let an unset pid name ourselves.
    return absl::InvalidArgumentError(absl::StrCat("pid ", pid, " is not a process"));
  }
  absl::StatusOr<ProcStat> st = ReadProcStat(pid, proc_root);
  if (!st.ok()) {
    // ENOENT (no /proc/PID) and ESRCH (exited between open and read) both map to NotFound.
    if (absl::IsNotFound(st.status())) {
      return absl::NotFoundError(absl::StrCat("process ", pid, " does not exist"));
    }
    return st.status();
  }
  return st->starttime;
}

absl::StatusOr<bool> IsSameProcess(pid_t pid, uint64_t start_time, const std::string& proc_root) {
  absl::StatusOr<uint64_t> now = ReadStartTime(pid, proc_root);
  if (absl::IsNotFound(now.status())) return false;
  if (!now.ok()) return now.status();
  return *now == start_time;
}

absl::StatusOr<UniqueFd> OpenVerifiedPidfd(pid_t pid, uint64_t start_time,
                                           const std::string& proc_root) {
  if (pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("pid ", pid, " is not a process"));
  }
  ASSIGN_OR_RETURN(UniqueFd pidfd, PidfdOpen(pid));
  // Checked after the open, not before: see the header.
  absl::StatusOr<bool> same = IsSameProcess(pid, start_time, proc_root);
  if (!same.ok()) return same.status();
  if (!*same) {
    return absl::NotFoundError(absl::StrCat("process ", pid, " with start time ", start_time,
                                            " is gone (the pid is free or reused)"));
  }
  return pidfd;
}

}  // namespace nucleus
