#include "backends/native/user.h"

#include <grp.h>
#include <unistd.h>

namespace nucleus {

StepError BecomeNamespaceRootInChild() {
  if (::setresgid(0, 0, 0) != 0) return StepError::Errno("setresgid", "0 in user namespace");
  if (::setresuid(0, 0, 0) != 0) return StepError::Errno("setresuid", "0 in user namespace");
  return StepError::Ok();
}

StepError ApplyIdentityInChild(const IdentityPlan& plan) {
  if (!plan.setgroups_denied) {
    if (::setgroups(plan.ngroups, plan.groups) != 0) return StepError::Errno("setgroups");
  }
  if (::setresgid(plan.gid, plan.gid, plan.gid) != 0) return StepError::Errno("setresgid");
  if (::setresuid(plan.uid, plan.uid, plan.uid) != 0) return StepError::Errno("setresuid");
  return StepError::Ok();
}

}  // namespace nucleus
