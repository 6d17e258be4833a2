#include "runtime/service/policy.h"

#include <algorithm>

namespace nucleus {

HealthStep NextHealth(const HealthCheck& check, const HealthState& now, bool check_passed,
                      bool in_start_period) {
  HealthStep step;
  step.next = now;
  if (check_passed) {
    step.next.failing_streak = 0;
    step.next.status = "healthy";
  } else if (!in_start_period) {
    ++step.next.failing_streak;
    if (step.next.failing_streak >= check.retries) step.next.status = "unhealthy";
  }
  step.kill = step.next.status == "unhealthy" && now.status != "unhealthy" &&
              check.on_failure != HealthCheck::OnFailure::kNone;
  return step;
}

bool ShouldRestart(const RestartPolicy& policy, const HealthCheck& check, bool killed_unhealthy,
                   int exit_status, int restarts) {
  if (killed_unhealthy && check.on_failure == HealthCheck::OnFailure::kRestart) return true;
  switch (policy.kind) {
    case RestartPolicy::Kind::kAlways:
      return true;
    case RestartPolicy::Kind::kOnFailure:
      return exit_status != 0 && (policy.max_restarts == 0 || restarts <= policy.max_restarts);
    case RestartPolicy::Kind::kNo:
      break;
  }
  return false;
}

absl::Duration RestartBackoff(absl::Duration previous, absl::Duration last_run) {
  return last_run >= kResetBackoffAfter ? kFirstBackoff : previous;
}

absl::Duration NextBackoff(absl::Duration backoff) { return std::min(backoff * 2, kMaxBackoff); }

}  // namespace nucleus
