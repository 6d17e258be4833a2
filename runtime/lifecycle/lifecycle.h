// The container lifecycle on the state store: what the OCI verbs (create, start, state,
// kill, delete, list, exec) and the person's verbs (run, run -d, ps, stop, kill, rm, exec,
// logs, inspect) do to a container, backend-independent where the backend allows.
//
// The container's directory (runtime/state/store.h) holds, besides lock and state.json:
//   config.json      the ContainerSpec as ToOciConfigJson wrote it (runtime/spec/oci_config.h),
//                    written before anything exists on the host, so that `delete --force`
//                    finds the cgroup and the poststop hooks even after a crash mid-create
//   start.sock       the start gate of a created container (native_backend.h)
//   container.log    stdout and stderr of a detached (`run -d`) container
//
// Who reaps: a created (OCI) container is nobody's child once `create` returns (the engine's
// subreaper, e.g. conmon, collects its exit status). A `run` or `run -d` container is the
// child of its nucleus (the foreground process, or the detached monitor), which records
// the exit in state.json. Status is always re-derived from the process itself: a recorded
// pid whose start time no longer matches, or a zombie, is "stopped" (liveness.h), so a
// crash of any nucleus process at any point leaves an entry that `delete --force` removes.
//
// Errors: absl::Status, one line, naming the container ("container web: not running").
#ifndef NUCLEUS_RUNTIME_LIFECYCLE_LIFECYCLE_H_
#define NUCLEUS_RUNTIME_LIFECYCLE_LIFECYCLE_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/api.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/spec/container_spec.h"
#include "runtime/state/state.h"
#include "runtime/state/store.h"

namespace nucleus {

inline constexpr char kConfigFileName[] = "config.json";
inline constexpr char kLogFileName[] = "container.log";

// The status the container is in now (see above); the state's other fields unchanged.
// `store` is used to tell a create in progress from a crashed one (its lock).
ContainerStatus CurrentStatus(const StateStore& store, const ContainerState& state);

// Resolves a user's reference (id, name, or unique id prefix: ids.h) to an id.
absl::StatusOr<std::string> ResolveContainer(const StateStore& store, const std::string& ref);

// The spec stored in the container's directory.
absl::StatusOr<ContainerSpec> LoadContainerSpec(const StateStore& store, const std::string& id);

// The backend that runs (or ran) the container: spec.backend's (kAuto resolved, unwarned:
// front ends resolve it first, runtime/backends.h).
std::unique_ptr<Backend> BackendFor(const ContainerSpec& spec);
// The test seam: while set, BackendFor returns what `factory` makes (lifecycle_test's fake
// backend); an empty function restores the real backends. Not thread-safe.
using BackendFactory = std::function<std::unique_ptr<Backend>(const ContainerSpec&)>;
void SetBackendFactoryForTesting(BackendFactory factory);

// What the backend needs to find the container again (api.h): spec (kept alive by the
// caller), its directory in the store (dir_fd open on it), its first process and a verified
// pidfd of it (-1: none).
ContainerRef RefOf(const StateStore& store, const ContainerSpec& spec, pid_t pid, int dir_fd,
                   int pidfd);

// OCI --pid-file: writes pid to path atomically (a temporary file renamed over it, so an
// engine polling the file never reads a partial number).
absl::Status WritePidFile(const std::string& path, pid_t pid);

struct CreateRequest {
  std::string name;            // optional (`run -d --name`)
  std::string pid_file;        // OCI --pid-file: the first process's host pid, written atomically
  std::string console_socket;  // OCI --console-socket: where the pty master goes
};

// OCI create: registers spec.id (AlreadyExists when taken), sets the container up and leaves
// it waiting at its start gate, independent of this process. On any error everything made
// is removed again (state, cgroup, process). Warnings (Container::warnings) are appended.
absl::StatusOr<ContainerState> CreateDetached(StateStore& store, const ContainerSpec& spec,
                                              const CreateRequest& req,
                                              std::vector<std::string>* warnings);

// OCI start: releases a created container. FailedPrecondition unless it is "created". An
// exec failure is returned with *exit_code (126/127) when non-null.
absl::Status StartCreated(StateStore& store, const std::string& id, int* exit_code = nullptr);

// Sends sig to the container's first process (all: to every process in its cgroup) through
// a verified pidfd. FailedPrecondition when it is not running (or created, or paused).
// A paused container, as in runc: the signal waits until it is resumed, except SIGKILL,
// after which the group is thawed so that it dies (gVisor: signals go through runsc to the
// frozen sandbox, so only SIGKILL is taken, with the thaw first).
absl::Status KillContainer(StateStore& store, const std::string& id, int sig, bool all);

// Removes the container: FailedPrecondition when it runs and !force ("created" counts as
// stopped, as in runc). force: SIGKILL (a paused container is thawed), wait until gone, then remove
// cgroup, state and run the poststop hooks (their failures are warnings).
absl::Status DeleteContainer(StateStore& store, const std::string& id, bool force,
                             std::vector<std::string>* warnings);

// Removes, as DeleteContainer(force) does, every entry whose foreground `nucleus run` died
// without removing it (SIGKILL, a crash: StateStore::AbandonedIds), with what is left of its
// container (processes, cgroup, backend files). Every command that opens the store calls it
// (cli/common.h OpenStore), so `ps -a` never shows such a ghost. Returns the ids removed;
// what could not be removed is a warning.
std::vector<std::string> ReapAbandonedRuns(StateStore& store, std::vector<std::string>* warnings);

// `pause`: freezes every process of a running container (its cgroup's freezer, cgroup.h)
// and records "paused" once the freeze is effective (deadline: a few seconds; a freeze
// that does not settle is undone and DeadlineExceeded). FailedPrecondition when it is not
// running, or has no cgroup (a rootless container: "... has no cgroup ...").
absl::Status PauseContainer(StateStore& store, const std::string& id);
// `resume`: thaws a paused container and records "running". FailedPrecondition unless it is
// paused.
absl::Status ResumeContainer(StateStore& store, const std::string& id);

// `update`: applies `resources` (the container's whole new set: the caller merges its
// changes onto LoadContainerSpec's) to the container's cgroup and records them in its
// config.json (`inspect` shows them). FailedPrecondition when it is stopped or has no
// cgroup; the kernel's refusals name the flag and file. Nothing is recorded on error.
absl::Status UpdateContainer(StateStore& store, const std::string& id,
                             const ResourcesSpec& resources);

// The container's cgroup (a view: owns nothing, cgroup.h), for `events` and `stats`.
// FailedPrecondition when it has none ("container ID has no cgroup (a rootless
// container): WHAT needs one") or it is gone.
absl::StatusOr<std::unique_ptr<Cgroup>> ContainerCgroup(const StateStore& store,
                                                        const std::string& id, const char* what);

// `stop`: SIGTERM (or the given signal), then SIGKILL after `timeout`; waits until the
// container's first process is gone. OK when it already was.
absl::Status StopContainer(StateStore& store, const std::string& id, absl::Duration timeout,
                           int sig);

// Records that the container's readiness probe passed (state.json "ready").
absl::Status MarkReady(StateStore& store, const std::string& id);

// Records a health check's outcome (state.json "health"). output: at most 1024 bytes kept.
absl::Status RecordHealth(StateStore& store, const std::string& id, const std::string& status,
                          int failing_streak, const std::string& output);

// The pids in the container's cgroup (or just its first process without one).
absl::StatusOr<std::vector<pid_t>> ContainerPids(const StateStore& store, const std::string& id);

// Runs a container as the child of this process, recording it in the store from before it
// exists until it ends (`nucleus run`, and the `run -d` monitor): create, start, then
// `on_started` (may be empty), wait while `wait` (the caller's loop: forwards signals, relays
// a pty) runs, and save the exit. remove_when_done: the entry goes at the end (foreground
// `run`); otherwise it stays "stopped" until `rm`. Returns the exit, or the first error;
// *exec_exit_code gets 126/127 when the command could not be executed.
// restart_count > 0: a restart (`run -d --restart`): the existing entry (kept, stopped, by
// the previous run) is reused with this count; NotFound when it was removed meanwhile,
// Cancelled when `stop` (or `kill` TERM/KILL) asked for it to stay stopped.
struct AttachedCallbacks {
  // The container's directory exists (dir_fd), nothing else yet: e.g. open the log and make
  // it our stdout/stderr, which the container inherits. An error ends the run.
  std::function<absl::Status(int dir_fd)> on_registered;
  std::function<void(Container&)> on_created;  // e.g. print warnings, take the console
  std::function<void(const ContainerState&)> on_started;
  std::function<absl::StatusOr<ExitInfo>(Container&)> wait;
};
absl::StatusOr<ExitInfo> RunAttached(StateStore& store, const ContainerSpec& spec,
                                     const std::string& name, bool remove_when_done,
                                     const AttachedCallbacks& callbacks, int* exec_exit_code,
                                     int restart_count = 0);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_LIFECYCLE_LIFECYCLE_H_
