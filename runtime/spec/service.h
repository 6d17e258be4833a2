// A service's policy, as `nucleus run -d` takes it (--readiness-*, --health-*, --restart):
// what the monitor (runtime/cli/run.cc, runtime/service/policy.h) carries out. Plain data;
// the flag parser (flags.h) fills it in.
#ifndef NUCLEUS_RUNTIME_SPEC_SERVICE_H_
#define NUCLEUS_RUNTIME_SPEC_SERVICE_H_

#include <string>

#include "absl/time/time.h"

namespace nucleus {

// `run -d --readiness-*`: how the monitor tells that the container is ready.
struct ReadinessProbe {
  std::string exec;        // `/bin/sh -c EXEC` inside the container; exit 0 = ready
  int tcp_port = 0;        // connect to 127.0.0.1:PORT (or [::1]) in the container's network
  bool sd_notify = false;  // the workload sends READY=1 to $NOTIFY_SOCKET itself
  absl::Duration interval = absl::Milliseconds(500);
  absl::Duration timeout = absl::Seconds(5);
  int retries = 60;
  bool enabled() const { return !exec.empty() || tcp_port != 0 || sd_notify; }
};

// `run -d --health-*`: docker's health check, run by the monitor.
struct HealthCheck {
  enum class OnFailure { kNone, kKill, kRestart };
  std::string cmd;  // `/bin/sh -c CMD` inside the container; exit 0 = healthy
  absl::Duration interval = absl::Seconds(30);
  absl::Duration timeout = absl::Seconds(30);
  absl::Duration start_period = absl::ZeroDuration();
  int retries = 3;
  OnFailure on_failure = OnFailure::kNone;
  bool enabled() const { return !cmd.empty(); }
};

// `run -d --restart`: docker's restart policy, carried out by the monitor. Restarts wait
// 100 ms, doubling up to 1 min, back to 100 ms after a run of 10 s or more. `stop`, and
// `kill` with SIGTERM or SIGKILL, end the container for good.
struct RestartPolicy {
  enum class Kind { kNo, kOnFailure, kAlways };
  Kind kind = Kind::kNo;
  int max_restarts = 0;  // on-failure:MAX; 0: no limit
};

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SPEC_SERVICE_H_
