// Process identity inside the container: supplementary groups, gid, uid.
//
// Applied in the child as setgroups(2), setresgid(2), setresuid(2), in that order and
// always, also for uid 0: a container must never inherit the host's supplementary groups.
#ifndef NUCLEUS_BACKENDS_NATIVE_USER_H_
#define NUCLEUS_BACKENDS_NATIVE_USER_H_

#include <sys/types.h>

#include <cstddef>

#include "backends/native/step.h"

namespace nucleus {

struct IdentityPlan {
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;  // points into the parent-built plan
  size_t ngroups = 0;
  // In a user namespace whose setgroups file says "deny" (rootless), setgroups(2) fails
  // with EPERM; the group list is then necessarily empty and the kernel already has none.
  bool setgroups_denied = false;
};

// In a fresh user namespace: become uid/gid 0 there (the maps are written by then).
StepError BecomeNamespaceRootInChild();
StepError ApplyIdentityInChild(const IdentityPlan& plan);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_USER_H_
