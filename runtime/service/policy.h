// The decisions of a service's monitor (`nucleus run -d`), as pure functions: what the health
// check's result makes of the container's health, whether it runs again after it ended, and
// how long it waits first. The monitor (runtime/cli/run.cc) does the waiting, the checks and
// the bookkeeping; these say what to do, and are unit-tested without a container.
//
// Docker's semantics:
//  - Health: "starting" until the first success ("healthy"); `retries` failures in a row make
//    it "unhealthy", a success "healthy" again; failures within the start period do not
//    count. Becoming unhealthy with --health-on-failure kill or restart kills the container
//    (once: a container that stays unhealthy is not killed again).
//  - Restart: always; on-failure when it exited non-zero, at most MAX times (0: no limit);
//    and after a kill for being unhealthy with --health-on-failure restart.
//  - Backoff: 100 ms, doubling up to 1 min; back to 100 ms after a run of 10 s or more.
#ifndef NUCLEUS_RUNTIME_SERVICE_POLICY_H_
#define NUCLEUS_RUNTIME_SERVICE_POLICY_H_

#include <string>

#include "absl/time/time.h"
#include "runtime/spec/service.h"

namespace nucleus {

struct HealthState {
  std::string status = "starting";  // "starting", "healthy", "unhealthy"
  int failing_streak = 0;
};

struct HealthStep {
  HealthState next;
  bool kill = false;  // became unhealthy and on_failure says kill or restart
};

HealthStep NextHealth(const HealthCheck& check, const HealthState& now, bool check_passed,
                      bool in_start_period);

// After run number `restarts` (1 for the first restart) ended with `exit_status`.
bool ShouldRestart(const RestartPolicy& policy, const HealthCheck& check, bool killed_unhealthy,
                   int exit_status, int restarts);

inline constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
inline constexpr absl::Duration kMaxBackoff = absl::Minutes(1);
inline constexpr absl::Duration kResetBackoffAfter = absl::Seconds(10);

// The wait before the next start, given the previous wait (kFirstBackoff for the first
// restart) and how long the last run lasted.
absl::Duration RestartBackoff(absl::Duration previous, absl::Duration last_run);
// The wait that follows `backoff` if the next run is short again.
absl::Duration NextBackoff(absl::Duration backoff);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SERVICE_POLICY_H_
