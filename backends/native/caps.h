// Capabilities: the container keeps exactly the set it was given (default: none) in every
// set the kernel has (bounding, permitted, effective, inheritable, ambient).
//
// Child side uses raw capset(2)/prctl(2): libcap allocates, and the child must not.
// Names are resolved with libcap in the parent (runtime/spec/flags.cc).
//
// Order in the child (contain.cc): KeepCapsAcrossSetuidInChild(), drop the bounding set,
// then the identity (user.h), then SetCapabilitiesInChild(), then no_new_privs.
#ifndef NUCLEUS_BACKENDS_NATIVE_CAPS_H_
#define NUCLEUS_BACKENDS_NATIVE_CAPS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/native/step.h"

namespace nucleus {

struct CapPlan {
  uint64_t keep = 0;  // bit N = capability N
  int last_cap = 0;   // /proc/sys/kernel/cap_last_cap
};

// Builds the plan from capability numbers; errors on numbers the kernel does not know.
absl::StatusOr<CapPlan> PlanCapabilities(const std::vector<int>& keep);

// PR_SET_KEEPCAPS, so the permitted set survives the switch to a non-root uid.
StepError KeepCapsAcrossSetuidInChild();
// PR_CAPBSET_DROP for every capability not kept. Needs CAP_SETPCAP: run before setuid.
StepError DropBoundingSetInChild(const CapPlan& plan);
// capset(effective = permitted = inheritable = keep), ambient = keep, PR_SET_KEEPCAPS off.
StepError SetCapabilitiesInChild(const CapPlan& plan);
// PR_SET_NO_NEW_PRIVS: setuid bits and file capabilities stop granting anything on execve.
StepError SetNoNewPrivsInChild();

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_CAPS_H_
