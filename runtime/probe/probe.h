// Readiness probes (`nucleus run -d --readiness-exec CMD | --readiness-tcp PORT`), run by
// the detached container's monitor until the container is ready.
//
// Each attempt runs in a child of the caller, never as the host's root in the host's
// namespaces: the TCP probe joins only the container's network namespace (setns through
// the container's pidfd) and connects to 127.0.0.1:PORT, then [::1]:PORT; the exec probe is
// a process in the container (Backend::Exec: native, its namespaces, cgroup, user, seccomp,
// Landlock; gvisor, runsc exec in the sandbox) running `/bin/sh -c CMD`, ready when it exits 0. An
// attempt that outlives `timeout` is killed (with the child, the exec'd process: it dies with its
// parent).
//
//   absl::Status ready = WaitUntilReady(req.readiness, backend, ref);
//   // FailedPrecondition "exited before it was ready", DeadlineExceeded "not ready after
//   // 60 attempts over 30s: last attempt: connect 127.0.0.1:8080: Connection refused"
#ifndef NUCLEUS_RUNTIME_PROBE_PROBE_H_
#define NUCLEUS_RUNTIME_PROBE_PROBE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/api.h"
#include "runtime/spec/container_spec.h"
#include "runtime/spec/service.h"

namespace nucleus {

// One attempt. OK: ready; otherwise why not (one line).
absl::Status ProbeTcpOnce(int pidfd, int port, absl::Duration timeout);
// A process in the container `ref` (backend.Exec; ref.spec's process with `command` as
// `/bin/sh -c` arguments), ready when it exits 0.
absl::Status ProbeExecOnce(Backend& backend, const ContainerRef& ref, const std::string& command,
                           absl::Duration timeout);

// Attempts every probe.interval until one passes, the container's first process exits
// (pidfd readable), or probe.retries attempts failed.
absl::Status WaitUntilReady(const ReadinessProbe& probe, Backend& backend, const ContainerRef& ref);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_PROBE_PROBE_H_
