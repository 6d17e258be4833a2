// The container's filesystem: the mount plan (built in the parent) and its execution in the
// child's fresh mount namespace, ending in pivot_root.
//
// How it works (and why):
//  1. mount --make-rprivate /: nothing the child mounts propagates back to the host.
//  2. Capture, while the host's tree is still visible: the root (host "/" or --rootfs) and
//     every bind source are cloned into detached mount trees with open_tree(OPEN_TREE_CLONE),
//     so later steps never look a host path up again (no TOCTOU, and shadowing is harmless).
//  3. The root tree is attached on top of "/" of the private namespace. On the host-root
//     default it is made read-only, nosuid and nodev (recursively) before it is attached, so
//     no step can ever create a file on the host's disk.
//  4. Every destination is resolved beneath the new root with openat2(RESOLVE_BENEATH |
//     RESOLVE_NO_MAGICLINKS): ".." or a symlink that would leave the root is refused (EXDEV
//     becomes "leads out of the root filesystem"). Missing mount points are created only
//     where the filesystem is writable (a --rootfs, or our own tmpfs /tmp and /dev).
//     New mounts (proc, sysfs, tmpfs, devpts) come from fsopen/fsmount and, like the bind
//     trees, are attached with move_mount onto the resolved fd.
//  5. Fresh /proc, read-only /sys, minimal /dev (null zero full random urandom tty bound
//     from the host, devpts, shm, fd/stdin/stdout/stderr links), private /tmp, the user's
//     --ro/--rw/--tmpfs in order, then the OCI masked paths (/dev/null or an empty
//     read-only tmpfs over them) and read-only paths.
//  6. --read-only: the whole root tree is made read-only recursively, then the mounts that
//     must stay writable (/proc, /dev, /dev/pts, /dev/shm, /tmp, --rw, --tmpfs) are made
//     writable again one by one.
//  7. pivot_root(".", ".") and a lazy unmount of the old root: the host tree is gone.
#ifndef NUCLEUS_BACKENDS_NATIVE_MOUNTS_H_
#define NUCLEUS_BACKENDS_NATIVE_MOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/native/step.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

struct MountOp {
  enum class Kind { kBind, kTmpfs };
  Kind kind = Kind::kBind;
  std::string source;       // host path (kBind)
  std::string target;       // relative to the new root: "data/x"
  std::string target_abs;   // "/data/x", for messages
  bool read_only = true;
  bool source_is_dir = true;
  std::string tmpfs_size;   // "1048576" or empty
  std::string tmpfs_mode;   // "1777"
  int fd = -1;              // child scratch: the captured tree
};

struct MountPlan {
  std::string root_source;  // "/" or the --rootfs directory
  bool host_root = true;
  bool readonly_root = true;
  std::vector<MountOp> mounts;            // user mounts, in order
  std::vector<std::string> masked;        // relative paths
  std::vector<std::string> masked_abs;
  std::vector<std::string> readonly;      // relative paths
  std::vector<std::string> readonly_abs;
  // Child scratch, sized by the parent: fds of mounts that must stay writable.
  std::vector<int> rw_fds;
  size_t n_rw = 0;
};

// Validates what the parent can see (rootfs is a directory, bind sources exist) and lays the
// plan out so the child needs no allocation. Errors name the flag and the path:
// "--ro source '/nope': No such file or directory".
absl::StatusOr<MountPlan> PlanMounts(const ContainerSpec& spec);

// Steps 1-7 above, in the child, in a fresh mount namespace. On success the process's root
// and cwd are the container's "/".
StepError SetUpFilesystemInChild(MountPlan& plan);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_MOUNTS_H_
