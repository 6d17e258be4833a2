// The native backend: Linux namespaces, mounts, capabilities, rlimits and a PID 1 init,
// set up by a child cloned with clone3(CLONE_PIDFD) and driven over the sync socket.
//
//   NativeBackend backend;
//   ASSIGN_OR_RETURN(auto c, backend.Create(spec));  // set up, waiting at the start gate
//   RETURN_IF_ERROR(c->Start());                     // exec; errors name the failed step
//
// Every signal to the container goes through its pidfd, so a recycled pid can never be hit.
// Destroy() (also run by the destructor) SIGKILLs and reaps the container's first process;
// with it the PID namespace, and with that everything the container mounted, goes away.
// Cgroups (runtime/cgroup, as root or with limits): the container's group is made with its
// limits before clone3 (v2: the child is born in it, CLONE_INTO_CGROUP; v1: the parent writes
// its pid to each cgroup.procs while the child waits at step 4, contain.h), and removed once
// the first process is reaped (Wait) or at Destroy(), after killing whatever is left in it.
#ifndef NUCLEUS_BACKENDS_NATIVE_NATIVE_BACKEND_H_
#define NUCLEUS_BACKENDS_NATIVE_NATIVE_BACKEND_H_

#include <memory>
#include <string>

#include "runtime/api.h"

namespace nucleus {

class NativeBackend : public Backend {
 public:
  std::string name() const override { return "native"; }
  using Backend::Create;
  absl::StatusOr<std::unique_ptr<Container>> Create(const ContainerSpec& spec,
                                                    const CreateOptions& options) override;
  // Exec joins the container's PID namespace by setns(CLONE_NEWPID) in THIS process before
  // cloning (a process's own PID namespace never changes; its children's does), so every
  // later child of the caller is born in that container too: call it from a process that
  // forks nothing else afterwards (`nucleus exec`).
  absl::StatusOr<std::unique_ptr<Container>> Exec(const ContainerSpec& spec,
                                                  const ContainerRef& ref, bool detached) override;
  // Through the start socket in ref.state_dir_fd (StartDetached below).
  absl::Status StartCreated(const ContainerRef& ref, int* exit_code) override;
  // Through pidfds only: the first process's (ref.pidfd); with all, first every process in
  // the container's cgroup, each through its own pidfd, checked to be a member after the open.
  absl::Status Signal(const ContainerRef& ref, int sig, bool all) override;
};

// The detached lifecycle's start gate: a SOCK_SEQPACKET socket named kStartSocketName in the
// container's state directory (dir_fd; 0700, so only its owner can connect). Create binds it
// when CreateOptions::detached and hands it to the child; the child accepts on it after
// Detach().
inline constexpr char kStartSocketName[] = "start.sock";
absl::StatusOr<UniqueFd> BindStartSocket(int dir_fd);
// `start`: connects, releases the gate and waits until the workload has exec'd. OK: it runs;
// otherwise the step that failed ("exec(/nope): No such file or directory"), with *exit_code
// (may be null) the status the container then exits with (126/127 for exec failures, 125).
// FailedPrecondition when nobody waits on the socket (the container's process is gone).
absl::Status StartDetached(int dir_fd, int* exit_code = nullptr);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_NATIVE_BACKEND_H_
