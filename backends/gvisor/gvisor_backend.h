// The gVisor backend: the same containers, run by gVisor's runsc (an external program) from
// an OCI bundle nucleus writes (bundle.h). The workload runs on gVisor's kernel (the
// "sentry"), not on the host's: a probe sees gVisor's /proc/version, not `uname -r`.
//
//   GvisorBackend backend;
//   ASSIGN_OR_RETURN(auto c, backend.Create(spec, options));  // sandbox up, at the gate
//   RETURN_IF_ERROR(c->Start());                              // the workload runs
//   ASSIGN_OR_RETURN(ExitInfo info, c->Wait());
//   RETURN_IF_ERROR(c->Destroy());
//
// Files: in the container's state directory (CreateOptions::state_dir; without one, a
// private temporary directory /tmp/nucleus-gvisor-XXXXXX that Destroy() removes):
//   bundle/config.json   what runsc runs (bundle.h); bundle/runsc.log its error lines;
//                        bundle/sandbox.pid (create), bundle/exec-N.json / exec-N.pid (exec)
//   runsc/               runsc's own --root (its state and lock files for this container)
//
// Two ways to run, chosen by CreateOptions::detached:
//  - foreground (detached false; `nucleus run`, the `run -d` monitor): ONE runsc process,
//    `runsc run`, the child of this process (SIGKILLed if the spawning thread dies). Each
//    runsc command costs a Go start-up, so there is no create/start/state/wait/delete: the
//    start gate is an OCI prestart hook that runsc runs once the sandbox exists (bundle.h:
//    GatePrestartHook); it relays the sandbox's pid and waits for Start(); a poststart hook
//    confirms the workload runs. `runsc run` exits with the workload's status after it has
//    torn the sandbox down (processes, state, mounts).
//  - detached (OCI create, `run -d` through create): `runsc create --pid-file`; the sandbox is
//    nobody's child of ours once runsc create returns (the engine's subreaper reaps it);
//    StartCreated is `runsc start`, Remove is `runsc delete --force`.
//
// Semantics:
//  - pid(): the sandbox process (runsc-sandbox, the sentry) as the host sees it; its start
//    time is what liveness checks. wait_fd(): foreground: a pidfd of `runsc run` (readable
//    once the container has ended and runsc has cleaned up); detached: a pidfd of the
//    sandbox. Exec: the `runsc exec` process.
//  - Wait(): the exit status of `runsc run` (or `runsc exec`), which is the workload's. runsc
//    reports a death by signal N as status 128+N, as a shell does: nucleus reads 129..159 as
//    "killed by signal N-128" (a workload that itself exits 143 reads the same; the status
//    number, ExitStatus(), is identical either way). SIGKILL (or 137) with an OOM kill counted
//    in the container's cgroup is kOom. A start that failed (Start() error) gives 127 (not
//    found), 126 (permission denied) or 125.
//  - Kill(sig): sent to the sandbox process through its pidfd: runsc-sandbox forwards every
//    signal it can catch to the workload (checked: SIGTERM to the sandbox kills a `sleep`
//    running as PID 1 in the sandbox); SIGKILL and SIGSTOP act on the whole sandbox, which is
//    the same outcome. Exec'd processes: `runsc kill --pid`.
//  - Destroy(): kills the sandbox (or lets the gate fail before Start), reaps `runsc run`, and
//    removes runsc's state (`runsc delete --force` only when runsc run could not clean up),
//    the bundle files and the cgroup. Idempotent.
//  - Limits: as root (or with limits), nucleus makes the container's cgroup (runtime/cgroup,
//    PARENT/NAME as for native, with the memory, CPU, pids, blkio limits) and starts runsc in
//    it, so the sentry, the gofer and the platform's stub processes are all inside: the
//    limits hold for the sandbox as a whole (a pids limit counts host threads of the
//    sandbox, not the workload's processes; a memory limit OOM-kills the sandbox). No
//    device rules: gVisor's devices are its own, and kvm needs /dev/kvm.
//  - Platform: spec.gvisor_platform, "auto" = kvm with a usable /dev/kvm, else systrap when
//    runsc has it, else ptrace (runsc.h). Network: spec.gvisor_network (none|sandbox|host).
//    Seccomp: --oci-seccomp when runsc has it (the profile is enforced by gVisor's kernel).
//    Non-root callers: --rootless (untested on the build host, which runs as root).
//  - What gVisor cannot do is refused or warned about: bundle.h has the list.
//
// Needs: runsc (runsc.h: FindRunsc), /bin/sh on the host (the gate hooks), /proc mounted.
#ifndef NUCLEUS_BACKENDS_GVISOR_GVISOR_BACKEND_H_
#define NUCLEUS_BACKENDS_GVISOR_GVISOR_BACKEND_H_

#include <memory>
#include <string>

#include "runtime/api.h"

namespace nucleus {

class GvisorBackend : public Backend {
 public:
  std::string name() const override { return "gvisor"; }
  using Backend::Create;
  absl::StatusOr<std::unique_ptr<Container>> Create(const ContainerSpec& spec,
                                                    const CreateOptions& options) override;
  // `runsc exec` of spec.process in the sandbox of ref (needs ref.state_dir and ref.pidfd).
  // The returned Container's Start() lets runsc exec run and returns once the process exists
  // in the sandbox; pid() is the runsc exec process. Not detached: runsc exec dies with the
  // spawning thread (the process in the sandbox then goes on: Destroy() kills it).
  absl::StatusOr<std::unique_ptr<Container>> Exec(const ContainerSpec& spec,
                                                  const ContainerRef& ref, bool detached) override;
  absl::Status StartCreated(const ContainerRef& ref, int* exit_code) override;
  // all: `runsc kill --all`; otherwise through ref.pidfd (the sandbox forwards it).
  absl::Status Signal(const ContainerRef& ref, int sig, bool all) override;
  // `runsc delete --force` on the container's runsc root (when anything is there), then the
  // bundle and runsc directories. Idempotent.
  absl::Status Remove(const ContainerRef& ref) override;
};

// The status a failed start exits with, from runsc's message: 127 (no such file), 126
// (permission denied), otherwise 125.
int ExitCodeForStartError(absl::string_view runsc_message);
// runsc's wait status of the workload (see Wait above) as ExitInfo.
ExitInfo ExitInfoFromRunsc(int wstatus);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_GVISOR_GVISOR_BACKEND_H_
