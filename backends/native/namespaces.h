// Namespaces: which ones a container gets, its user-namespace id maps, and the child-side
// steps inside fresh namespaces (loopback up, hostname).
#ifndef NUCLEUS_BACKENDS_NATIVE_NAMESPACES_H_
#define NUCLEUS_BACKENDS_NATIVE_NAMESPACES_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/util/unique_fd.h"
#include <vector>

#include "absl/status/status.h"
#include "backends/native/step.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// CLONE_NEW* flags for clone3() (CLONE_NEWTIME only works through clone3/unshare): the
// namespaces to make, i.e. those asked for and not joined by path.
uint64_t CloneFlagsFor(const NamespaceSpec& ns);

// NamespacesDifferingFrom: runtime/procfs.h.

// An existing namespace to join (OCI linux.namespaces[].path), opened by the parent.
struct NamespaceToJoin {
  UniqueFd fd;
  int type = 0;      // CLONE_NEW*
  std::string path;  // for messages
};
// Opens every *_path of ns, checking that each is a namespace file of the right type
// (ioctl NS_GET_NSTYPE). The user namespace comes first (the others may belong to it).
// A mount namespace path is refused: nucleus sets up the container's own mount tree. A PID
// namespace path is returned too: the caller joins it itself before clone3 (setns with
// CLONE_NEWPID applies to the caller's future children only).
absl::StatusOr<std::vector<NamespaceToJoin>> OpenNamespacesToJoin(const NamespaceSpec& ns);

// Writes /proc/PID/{uid_map,setgroups,gid_map} for a child in a new user namespace.
// setgroups is set to "deny" when nucleus is not root (the kernel requires it for an
// unprivileged gid_map). Errors name the file.
absl::Status WriteIdMapsFromParent(pid_t pid, const std::vector<IdMapping>& uid_map,
                                   const std::vector<IdMapping>& gid_map, bool deny_setgroups);

// "0 1000 1\n..." as the kernel wants it.
std::string FormatIdMap(const std::vector<IdMapping>& map);

// In a fresh network namespace: sets IFF_UP on "lo". Fork-safe.
StepError BringUpLoopbackInChild();
// sethostname() in the fresh UTS namespace. Fork-safe.
StepError SetHostnameInChild(const char* hostname);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_NAMESPACES_H_
