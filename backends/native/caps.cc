#include "backends/native/caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/util/syscall.h"

namespace nucleus {

absl::StatusOr<CapPlan> PlanCapabilities(const std::vector<int>& keep) {
  CapPlan plan;
  plan.last_cap = CAP_LAST_CAP;
  // The running kernel may know more (or fewer) capabilities than our headers.
  auto text = ReadFileToString("/proc/sys/kernel/cap_last_cap");
  int last = 0;
  if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &last) && last > 0 &&
      last < 64) {
    plan.last_cap = last;
  }
  for (int cap : keep) {
    if (cap < 0 || cap > plan.last_cap) {
      return absl::InvalidArgumentError(absl::StrCat(
          "capability ", cap, " is not known to this kernel (last is ", plan.last_cap, ")"));
    }
    plan.keep |= uint64_t{1} << cap;
  }
  return plan;
}

StepError KeepCapsAcrossSetuidInChild() {
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return StepError::Errno("prctl", "PR_SET_KEEPCAPS");
  return StepError::Ok();
}

StepError DropBoundingSetInChild(const CapPlan& plan) {
  for (int cap = 0; cap <= plan.last_cap; ++cap) {
    if (plan.keep & (uint64_t{1} << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return StepError::Errno("prctl", "PR_CAPBSET_DROP");
    }
  }
  return StepError::Ok();
}

StepError SetCapabilitiesInChild(const CapPlan& plan) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    uint32_t word = static_cast<uint32_t>(plan.keep >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    data[i].inheritable = word;
  }
  if (::syscall(SYS_capset, &hdr, data) != 0) return StepError::Errno("capset");
  // Ambient capabilities carry the kept set across execve for a non-root uid; clear first
  // so nothing inherited from the host survives.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return StepError::Errno("prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
  }
  for (int cap = 0; cap <= plan.last_cap; ++cap) {
    if (!(plan.keep & (uint64_t{1} << cap))) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      return StepError::Errno("prctl", "PR_CAP_AMBIENT_RAISE");
    }
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return StepError::Errno("prctl", "PR_SET_KEEPCAPS 0");
  return StepError::Ok();
}

StepError SetNoNewPrivsInChild() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return StepError::Errno("prctl", "PR_SET_NO_NEW_PRIVS");
  }
  return StepError::Ok();
}

}  // namespace nucleus
