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
// its pid to each cgroup.procs while the child waits at step 1b, contain.h), and removed once
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
  absl::StatusOr<std::unique_ptr<Container>> Create(const ContainerSpec& spec) override;
};

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_NATIVE_BACKEND_H_
