// The Backend interface: how the CLI (and later the OCI front end) drives a container,
// whichever isolation runs it. The CLI, state, probes and audit know only this header.
//
// Lifecycle: Create() returns a Container fully set up whose process waits at the start
// gate; Start() releases it; Wait() reaps it and says how it ended; Destroy() removes every
// trace (processes, mounts, cgroup). A Container destroyed without Start() never runs the
// workload. Errors of nucleus itself are absl::Status; the workload's fate is ExitInfo.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Container> c, backend.Create(spec));
//   RETURN_IF_ERROR(c->Start());
//   ASSIGN_OR_RETURN(ExitInfo info, c->Wait());
//   RETURN_IF_ERROR(c->Destroy());
//   return info.ExitStatus();
#ifndef NUCLEUS_RUNTIME_API_H_
#define NUCLEUS_RUNTIME_API_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/spec/container_spec.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

// How the container's process ended. Not an error: a container that exits 3 ran fine.
struct ExitInfo {
  enum class Kind { kExited, kSignaled, kOom, kSeccompKill, kTimeout };
  Kind kind = Kind::kExited;
  int code = 0;    // kExited: the exit status
  int signal = 0;  // kSignaled/kOom/kSeccompKill/kTimeout: the terminating signal
  // kOom: the kernel's OOM killer killed a process in the container's cgroup and the
  // workload died of SIGKILL (or exited 137, a shell reporting it). The memory limit then in
  // force, in bytes (0: none known); state and `inspect` record kind and limit.
  uint64_t memory_limit = 0;

  // The status `nucleus run` exits with, docker's convention: code, or 128 + signal.
  int ExitStatus() const { return kind == Kind::kExited ? code : 128 + signal; }
  // "exited 3", "killed by signal 9 (SIGKILL)", "killed: out of memory (limit 32 MiB)", ...
  std::string Describe() const;

  static ExitInfo FromWaitStatus(int wstatus);
};

// How Create() should set the container up beyond what the spec says.
struct CreateOptions {
  // The container's directory in the state store (runtime/state/store.h), absolute, and an
  // fd open on it (-1, "": none, e.g. a unit test). A backend keeps what it needs to find the
  // container again from another process there (gvisor: the OCI bundle and runsc's --root);
  // the lifecycle removes the directory, after Backend::Remove().
  int state_dir_fd = -1;
  std::string state_dir;
  // The container will outlive this process (OCI create, `run -d`): Detach() follows Create().
  bool detached = false;
};

// A container the lifecycle recorded, as another process finds it again: the spec it was
// created with, its state directory (as in CreateOptions) and its first process as the
// host sees it (native: the init or the workload; gvisor: the sandbox process). pidfd: a pidfd
// of pid that the caller verified against the recorded start time, or -1 when that process is
// gone. The pointee of `spec` outlives every call it is passed to.
struct ContainerRef {
  const ContainerSpec* spec = nullptr;
  int state_dir_fd = -1;
  std::string state_dir;
  pid_t pid = 0;
  int pidfd = -1;
};

class Container {
 public:
  virtual ~Container() = default;
  // The container's first process as the host sees it (the init, or the workload).
  virtual pid_t pid() const = 0;
  // Becomes readable (poll POLLIN) when the first process exits; owned by the Container.
  virtual int wait_fd() const = 0;
  // Releases the start gate: the workload execs.
  virtual absl::Status Start() = 0;
  // Blocks until the container's first process exits; idempotent after that.
  virtual absl::StatusOr<ExitInfo> Wait() = 0;
  // Sends sig to the container's first process (the init forwards it to the workload).
  virtual absl::Status Kill(int sig) = 0;
  // Kills whatever is left, reaps, and removes mounts, cgroup and state. Idempotent.
  virtual absl::Status Destroy() = 0;
  // Hands the container, waiting at its start gate, over to itself: it no longer dies with
  // this process, and this object (and its destructor) no longer kills, reaps or removes
  // anything. Only a start through the start socket can run it then (the backend's
  // StartDetached). Needs CreateOptions::detached. Afterwards only pid() is valid.
  virtual absl::Status Detach() = 0;
  // process.terminal: the pty master (once; invalid afterwards or without a terminal).
  virtual UniqueFd TakeConsole() { return UniqueFd(); }
  // The container's cgroup directories (empty: none).
  virtual std::vector<std::string> cgroup_paths() const { return {}; }
  // What Create() could not do as asked but went on without (e.g. a Landlock right this
  // kernel cannot enforce under --landlock=best-effort): one line each, no prefix. The CLI
  // prints them as "nucleus: warning: ..." before Start(), like RunRequest::warnings.
  virtual std::vector<std::string> warnings() const { return {}; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual absl::StatusOr<std::unique_ptr<Container>> Create(const ContainerSpec& spec,
                                                            const CreateOptions& options) = 0;
  absl::StatusOr<std::unique_ptr<Container>> Create(const ContainerSpec& spec) {
    return Create(spec, CreateOptions());
  }
  // A new process in the running container `ref`: spec is the container's, with `process`
  // replaced by the new process's. It joins the container (native: its namespaces and
  // cgroup; gvisor: the sandbox) and gets the same confinement (capabilities as
  // spec.process says, no_new_privs, seccomp, Landlock). The returned Container waits at its
  // start gate like a created one; Wait() gives its exit. detached: the process does not die
  // with the caller (OCI exec --detach). Needs ref.pidfd.
  virtual absl::StatusOr<std::unique_ptr<Container>> Exec(const ContainerSpec& spec,
                                                          const ContainerRef& ref,
                                                          bool detached) = 0;
  // OCI start of a container created with CreateOptions::detached, from any process:
  // releases its gate and returns once the workload runs. Otherwise the step that failed
  // ("exec(/nope): No such file or directory"), with *exit_code (may be null) the status the
  // container then exits with (126/127 for exec failures, 125); FailedPrecondition when
  // nothing waits at the gate.
  virtual absl::Status StartCreated(const ContainerRef& ref, int* exit_code) = 0;
  // Sends sig to the container's workload (all: to every process in the container). Needs
  // ref.pidfd; OK when the process has exited meanwhile.
  virtual absl::Status Signal(const ContainerRef& ref, int sig, bool all) = 0;
  // After the container's first process is gone (or at `delete --force`, before that):
  // removes what the backend made beyond the processes, the cgroup (the lifecycle removes
  // it) and the state directory. Idempotent; OK when there is nothing.
  virtual absl::Status Remove(const ContainerRef& ref) { return absl::OkStatus(); }
};

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_API_H_
