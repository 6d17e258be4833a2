// Signal names and numbers, as `kill`, `stop` and the OCI `kill` take them.
//
// ParseSignal accepts "TERM", "SIGTERM", "sigterm", "15", "RTMIN", "RTMIN+3", "SIGRTMAX-2";
// numbers 1..64. Anything else is InvalidArgument "signal 'X': not a signal name or number
// (e.g. TERM, 15)". Untrusted input (the OCI kill's argument); fuzzed (fuzz/signal_fuzz).
#ifndef NUCLEUS_RUNTIME_SIGNALS_H_
#define NUCLEUS_RUNTIME_SIGNALS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

absl::StatusOr<int> ParseSignal(absl::string_view text);
// "SIGTERM", "SIGRTMIN+3"; "signal N" for a number without a name.
std::string SignalName(int sig);

// True for the signals the container's init and `nucleus run` pass on to the workload: all
// but SIGCHLD, SIGKILL, SIGSTOP, the synchronous faults and the job-control stops.
// Async-signal-safe (the init calls it).
bool IsForwardedSignal(int sig);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SIGNALS_H_
