// ContainerState: what nucleus remembers about one container, and its state.json encoding.
//
// The top-level keys ociVersion, id, status, pid, bundle and annotations are the OCI runtime
// state (runtime-spec 1.0.2, "State"); the rest are nucleus's own, camelCase like the OCI
// keys. ToOciStateJson gives exactly the OCI subset, for `nucleus state ID`.
//
// Trust: state.json lives in a 0700 directory owned by the caller (store.h), but it is still
// parsed as untrusted text (a crash, a full disk, an older or newer nucleus, an admin's
// editor), so ParseStateJson is strict and fuzzed:
//  - at most kMaxStateJsonBytes; must be a JSON object; unknown keys are ignored (a newer
//    nucleus may add some);
//  - every error is InvalidArgument naming the JSON path and the value:
//      "state.json: pid: -3 is not a pid"
//      "state.json: annotations['k']: 3 is not a string"
//  - values are checked for meaning, not only type: id and name by ids.h, pids in
//    [0, 4194304] and > 0 while created/running/paused, absolute paths without NUL,
//    RFC 3339 times between 1970 and 9999, exit codes 0..255 and signals 1..64.
// Round trip: ParseStateJson(ToJson(s)) == s for every s that ParseStateJson returned (the
// fuzz target checks it). ToJson never throws: invalid UTF-8 in a string is replaced by
// U+FFFD.
//
//   ContainerState s;  s.id = id;  s.status = ContainerStatus::kCreated;  ...
//   std::string text = ToJson(s);
//   ASSIGN_OR_RETURN(ContainerState back, ParseStateJson(text));
#ifndef NUCLEUS_RUNTIME_STATE_STATE_H_
#define NUCLEUS_RUNTIME_STATE_STATE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace nucleus {

inline constexpr char kOciVersion[] = "1.0.2";
inline constexpr size_t kMaxStateJsonBytes = 1 << 20;
inline constexpr pid_t kMaxPid = 4194304;  // PID_MAX_LIMIT on 64-bit kernels

// OCI statuses; kCreating is written before the container's process exists, so a crash in
// the middle of create still leaves an entry that `delete --force` can find.
enum class ContainerStatus { kCreating, kCreated, kRunning, kPaused, kStopped };
const char* ContainerStatusName(ContainerStatus s);  // "creating", "created", ...

enum class StateBackend { kNative, kGvisor };
const char* StateBackendName(StateBackend b);  // "native", "gvisor"

// How the container's first process ended (mirrors api.h ExitInfo without depending on it).
struct ExitRecord {
  enum class Kind { kExited, kSignaled, kOom, kSeccompKill, kTimeout };
  Kind kind = Kind::kExited;
  int code = 0;        // kExited: 0..255; otherwise 0
  int signal = 0;      // other kinds: 1..64; kExited: 0
  std::string reason;  // free text for `inspect` ("out of memory (limit 32 MiB)"); may be empty
  bool operator==(const ExitRecord& o) const {
    return kind == o.kind && code == o.code && signal == o.signal && reason == o.reason;
  }
};
const char* ExitKindName(ExitRecord::Kind k);  // "exited", "signaled", "oom", "seccomp", "timeout"

struct ContainerState {
  std::string oci_version = kOciVersion;                // "ociVersion"; parse accepts any "1.x"
  std::string id;                                       // "id", ValidateContainerId
  std::string name;                                     // "name", optional, ValidateContainerName
  ContainerStatus status = ContainerStatus::kCreating;  // "status"
  pid_t pid = 0;                // "pid": host pid of the first process; 0 none
  uint64_t pid_start_time = 0;  // "pidStartTime": /proc/PID/stat field 22, clock ticks
  std::string bundle;           // "bundle": absolute; required by OCI
  std::string rootfs;           // "rootfs": absolute or empty
  std::map<std::string, std::string> annotations;  // "annotations"
  absl::Time created = absl::UnixEpoch();          // "created": RFC 3339, UTC, nanoseconds
  StateBackend backend = StateBackend::kNative;    // "backend"
  std::optional<ExitRecord> exit;                  // "exit": present once stopped
  // "cgroupPaths": controller (or "unified" for cgroup v2) -> absolute cgroupfs path.
  std::map<std::string, std::string> cgroup_paths;
  std::string log_path;   // "logPath": absolute or empty
  int restart_count = 0;  // "restartCount": 0..INT32_MAX
  // "ready": the readiness probe (`run -d --readiness-*`) passed; absent = false.
  bool ready = false;
  // "stopRequested": `stop` or `kill` (SIGTERM, SIGKILL) ended it: the monitor does not
  // restart it (--restart); absent = false.
  bool stop_requested = false;
  // `run -d --health-cmd`: "health": {"status": "starting"|"healthy"|"unhealthy",
  // "failingStreak": N, "lastOutput": TEXT (<= 4096 bytes)}; absent without a health check.
  std::string health_status;  // "" = no health check
  int health_failing_streak = 0;
  std::string health_last_output;

  bool operator==(const ContainerState& o) const;
  bool operator!=(const ContainerState& o) const { return !(*this == o); }
};

// Pretty (2-space) JSON of every field; never fails.
std::string ToJson(const ContainerState& state);
// The OCI `state` output: ociVersion, id, status, pid, bundle, annotations. "creating" and
// "paused" are OCI statuses too and are kept.
std::string ToOciStateJson(const ContainerState& state);
// See the contract above.
absl::StatusOr<ContainerState> ParseStateJson(absl::string_view text);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_STATE_STATE_H_
