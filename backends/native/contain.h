// The container process, from clone() to execve(): one readable, ordered list of steps.
//
// The parent builds a ChildPlan (BuildChildPlan: all allocation and validation happen here);
// the child (ContainInChild) only executes it: no allocation, no glog, errors reported as
// {step, detail, errno} over the sync socket, then _exit(125) (126/127 for exec failures).
//
// Steps, in order (ContainInChild in contain.cc):
//   1. reset signal dispositions; die with the parent (PR_SET_PDEATHSIG)
//   2. user namespace: ask the parent for the id maps, then become root in it
//   3. filesystem: mounts, masks, pivot_root (mounts.h)
//   4. hostname; loopback up
//   5. rlimits (before the identity switch, while raising a hard limit is still allowed)
//   6. capabilities: keep-caps, drop the bounding set; identity: setgroups, setgid, setuid;
//      then the kept set in effective/permitted/inheritable/ambient; no_new_privs
//   7. working directory (checked as the container user)
//   8. report ready and wait at the start gate (the parent's Start())
//   9. with init: fork the workload, which execs; this process becomes PID 1 (init.h).
//      without: exec the workload directly as PID 1
#ifndef NUCLEUS_BACKENDS_NATIVE_CONTAIN_H_
#define NUCLEUS_BACKENDS_NATIVE_CONTAIN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/native/caps.h"
#include "backends/native/mounts.h"
#include "backends/native/user.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

struct ChildPlan {
  MountPlan mounts;
  std::string hostname;
  bool user_namespace = false;
  bool net_namespace = true;
  std::vector<Rlimit> rlimits;
  CapPlan caps;
  std::vector<gid_t> groups;
  IdentityPlan identity;  // .groups points into `groups`
  bool no_new_privileges = true;
  std::string cwd;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<std::string> path_dirs;  // from the container's PATH, for the command lookup
  std::vector<char*> argv;             // null-terminated views of args / env
  std::vector<char*> envp;
  bool init = true;
  int sync_fd = -1;    // child end of the sync socket
  int status_fd = -1;  // write end of the init's exit-status pipe
};

// Validates the spec against the host and lays everything out for the child.
absl::StatusOr<std::unique_ptr<ChildPlan>> BuildChildPlan(const ContainerSpec& spec);

// The child. Never returns.
[[noreturn]] void ContainInChild(ChildPlan& plan);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_CONTAIN_H_
