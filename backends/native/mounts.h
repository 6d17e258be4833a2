// The container's filesystem: the mount plan (built in the parent) and its execution in the
// child's fresh mount namespace, ending in pivot_root.
//
// Two models, chosen by ContainerSpec::default_filesystems:
//  - true (`nucleus run`): nucleus mounts /proc, /sys (read-only), a minimal /dev and a
//    private /tmp itself, then spec.mounts (--ro, --rw, --tmpfs) in order.
//  - false (OCI config.json, as runc): spec.mounts is the whole list, applied in order;
//    nucleus mounts nothing of its own, except that a tmpfs mounted on /dev gets the default
//    device nodes and links (below). The host's /proc, /sys and /dev that come along with a
//    host-root clone are still detached (only possible without --rootfs).
//
// How it works (and why):
//  1. mount --make-rprivate / (--make-rslave for rootfs_propagation slave/rslave/shared/
//     rshared, as runc: host mount events then reach the container, nothing goes back).
//  2. Capture, while the host's tree is still visible: the root (host "/" or --rootfs), every
//     bind source and every host device node to bind are cloned into detached mount trees
//     with open_tree(OPEN_TREE_CLONE) (AT_RECURSIVE unless the bind is non-recursive), so
//     later steps never look a host path up again (no TOCTOU, and shadowing is harmless).
//     A root built from spec.root_entries (rootfs empty: `nucleus run`'s default root) is a
//     fresh tmpfs instead, made with fsopen/fsmount (nosuid, nodev), in which the entries
//     (directories, symlinks, generated files with their exact modes) are made right after
//     it is attached: the host's disk is never written.
//  3. The root tree is attached on top of "/" of the private namespace. On the host-root
//     default it is made read-only, nosuid and nodev (recursively) before it is attached, so
//     no step can ever create a file on the host's disk.
//  4. Every destination is resolved beneath the new root with openat2(RESOLVE_BENEATH |
//     RESOLVE_NO_MAGICLINKS): ".." or a symlink that would leave the root is refused (EXDEV
//     becomes "leads out of the root filesystem"), for every mount type. Missing mount points
//     are created only where the filesystem is writable (a --rootfs, or a tmpfs /tmp, /dev).
//     New filesystems (proc, sysfs, tmpfs, devpts, mqueue, cgroup2) come from fsopen/fsconfig/
//     fsmount and, like the bind trees, are attached with move_mount onto the resolved fd.
//     MountSpec::fs_options are split in the parent: a bare word is FSCONFIG_SET_FLAG
//     ("newinstance"), "key=value" FSCONFIG_SET_STRING ("ptmxmode=0666"); words that are
//     mount attributes, not filesystem parameters, become MOUNT_ATTR_* instead ("ro", "rw",
//     "nosuid", "suid", "nodev", "dev", "noexec", "exec", "noatime", "relatime",
//     "strictatime", "nodiratime"); "bind"/"rbind" choose a bind's recursion; "private"/
//     "rprivate"/"defaults" are no-ops; per-mount shared/slave/unbindable are ignored with a
//     warning (everything in the container is private unless rootfs_propagation says not).
//     Binds get exactly the nosuid/nodev/noexec/read_only attributes of their MountSpec
//     (set, never cleared: a bind is never less restricted than its host source).
//  5. default_filesystems: fresh /proc, read-only /sys, minimal /dev (null zero full random
//     urandom tty bound from the host, devpts, shm, ptmx/fd/stdin/stdout/stderr links),
//     private /tmp (noexec unless spec.tmp_exec); then spec.mounts in order. A tmpfs on /dev
//     (either model) gets the same nodes and links; /dev/pts and /dev/shm then come from their own
//     entries.
//  5b. spec.secrets (--secret): each is a fresh tmpfs of its own (nosuid, nodev, noexec,
//     detached: it is never attached anywhere), one file written there with the secret's
//     bytes (mode 0400, chowned to the workload's uid and gid), then that file alone cloned
//     with open_tree and bound read-only (nosuid, nodev, noexec) onto its destination. The
//     bytes live in the container's memory only.
//  6. spec.devices (OCI linux.devices): each node is bound from the host when the host has
//     a node of the same type and number at the same path (works in a user namespace; the
//     host node's owner and mode are kept: chmod through the bind would change the host's
//     inode), otherwise made with mknodat (needs CAP_MKNOD) and given uid, gid, file_mode.
//  7. spec.sysctl: written through the container's own (writable) proc mount, or a private
//     detached proc instance when there is none, before the masked and read-only paths
//     (/proc/sys) go in. Only namespaced keys are accepted (runc's list), each only with the
//     namespace it belongs to (and a namespace joined by path must not be nucleus's own):
//     a key the host shares would change the host.
//  8. The OCI masked paths (/dev/null or an empty read-only tmpfs over them) and read-only
//     paths.
//  9. --read-only / readonly_rootfs: the whole root tree is made read-only recursively, then
//     the mounts that must stay writable (nucleus's /proc, /dev, /dev/pts, /dev/shm, /tmp;
//     every spec.mount that is not read_only) are made writable again one by one.
// 10. pivot_root(".", ".") and a lazy unmount of the old root: the host tree is gone. Then
//     rootfs_propagation, when not (r)private: mount(NULL, "/", MS_[REC|]SHARED/SLAVE/
//     UNBINDABLE).
//
// cgroup mounts (MountSpec::Type::kCgroup): on a cgroup v2 host (statfs of the host's
// /sys/fs/cgroup is CGROUP2_SUPER_MAGIC) a cgroup2 instance, which inside a cgroup namespace
// shows the container's own group. On a v1 or hybrid host there is no single filesystem to
// mount (runc mounts one per v1 hierarchy); nucleus mounts an empty read-only tmpfs there
// instead and says so in MountPlan::warnings, which the backend forwards to
// Container::warnings (the CLI prints them).
#ifndef NUCLEUS_BACKENDS_NATIVE_MOUNTS_H_
#define NUCLEUS_BACKENDS_NATIVE_MOUNTS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/native/step.h"
#include "runtime/util/unique_fd.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// One fsconfig(2) parameter, split in the parent.
struct FsParam {
  std::string key;
  std::string value;  // FSCONFIG_SET_STRING; unused for a flag
  bool flag = false;  // FSCONFIG_SET_FLAG: a bare word ("newinstance")
  std::string what;   // "/dev/pts: ptmxmode=0666", for messages
};

struct MountOp {
  enum class Kind { kBind, kNewFs };
  Kind kind = Kind::kBind;
  const char* fstype = "";  // kNewFs: "tmpfs", "proc", "sysfs", "devpts", "mqueue", "cgroup2"
  std::string source;       // host path (kBind)
  std::string target;       // relative to the new root: "data/x"
  std::string target_abs;   // "/data/x", for messages
  bool read_only = true;
  bool source_is_dir = true;
  bool recursive = true;        // kBind: AT_RECURSIVE clone
  uint64_t attr_set = 0;        // MOUNT_ATTR_*: fsmount flags (kNewFs) or mount_setattr (kBind)
  uint64_t attr_clr = 0;        // kBind: MOUNT_ATTR__ATIME when an atime mode is set
  std::vector<FsParam> params;  // kNewFs, in order
  bool populate_dev = false;    // a tmpfs on /dev: add the default nodes and links
  bool is_proc = false;
  std::string eperm_detail;  // message for EPERM (proc/sysfs/cgroup2 in a user namespace)
  int prebuilt_fd = -1;      // kNewFs: a detached mount made by the parent, attached as is
  // The captured tree: made by CaptureHostTrees in the parent (attributes and propagation
  // already set: attrs_applied), or in the child at step 2 when the parent did not.
  int fd = -1;
  bool attrs_applied = false;
};

// A spec.devices entry, laid out for the child.
struct DeviceOp {
  std::string path_abs;    // "/dev/net/tun"
  std::string rel;         // "dev/net/tun"
  std::string parent_rel;  // "dev/net"
  std::string name;        // "tun"
  mode_t mode = 0;         // S_IFCHR, S_IFBLK or S_IFIFO | permission bits
  dev_t rdev = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  bool bind_host = false;  // the host has this very node at path_abs: bind it
  int fd = -1;             // child scratch: the captured host node
};

// A spec.secrets entry: a tmpfs of its own holding one file, bound read-only onto target.
struct SecretOp {
  std::string target;      // relative to the new root
  std::string target_abs;  // for messages
  std::string data;
  uid_t uid = 0;  // the workload's (container ids)
  gid_t gid = 0;
  std::vector<FsParam> params;  // the tmpfs's size
};

struct SysctlOp {
  std::string path;  // "sys/kernel/shmmax", relative to a proc mount's root
  std::string value;
  std::string what;  // "sysctl kernel.shmmax", the failing step's name
};

struct MountPlan {
  std::string root_source;  // "/" or the --rootfs directory; "" for a fresh root
  bool host_root = true;
  // spec.root_entries (the default root): the root is a fresh tmpfs (nosuid, nodev) and the
  // entries are made in it, in order, before anything is mounted.
  bool fresh_root = false;
  std::vector<RootEntry> root_entries;
  bool readonly_root = true;
  bool default_filesystems = true;
  bool tmp_exec = false;                  // default_filesystems' /tmp: noexec unless set
  unsigned long initial_propagation = 0;  // step 1: MS_REC | MS_PRIVATE or MS_SLAVE
  unsigned long rootfs_propagation = 0;   // step 10: 0 = nothing to do
  std::vector<MountOp> mounts;            // spec.mounts, in order
  std::vector<SecretOp> secrets;          // after mounts
  int workspace_fd = -1;  // PrepareWorkspace's mount (also the /workspace op's prebuilt_fd)
  int root_fd = -1;       // CaptureHostTrees: the root tree (host "/" or --rootfs)
  // Every fd the parent made for the child (trees, workspace): kept across contain.h's step 2
  // close.
  std::vector<int> inherited;
  std::vector<DeviceOp> devices;
  std::vector<SysctlOp> sysctls;
  std::vector<std::string> masked;  // relative paths
  std::vector<std::string> masked_abs;
  std::vector<std::string> readonly;  // relative paths
  std::vector<std::string> readonly_abs;
  // What the plan does differently from what the spec asked, one line each without prefix
  // ("mount /sys/fs/cgroup: ..."); the backend adds them to Container::warnings.
  std::vector<std::string> warnings;
  // Child scratch, sized by the parent: fds of mounts that must stay writable; the proc
  // mount the sysctls are written through.
  std::vector<int> rw_fds;
  size_t n_rw = 0;
  int proc_fd = -1;
};

// Validates what the parent can see (rootfs is a directory, bind sources exist, device,
// sysctl and propagation values) and lays the plan out so the child needs no allocation.
// Errors name the flag or field and the value: "--ro source '/nope': No such file or
// directory", "sysctl 'kernel.panic': not namespaced ...".
absl::StatusOr<MountPlan> PlanMounts(const ContainerSpec& spec);
// The same for a host whose /sys/fs/cgroup is (host_cgroup2) or is not cgroup v2 (tests).
absl::StatusOr<MountPlan> PlanMounts(const ContainerSpec& spec, bool host_cgroup2);

// --context in copy mode: a detached tmpfs (never attached on the host; the plan's own
// options and attributes for /workspace, its root owned by the workload) filled by
// WalkContext (runtime/workspace/context.h), manifest written and verified; the plan's
// /workspace op takes its fd, which the child attaches instead of making a new tmpfs. The
// returned fd owns the mount until the child has it; empty when there is nothing to copy.
absl::StatusOr<UniqueFd> PrepareWorkspace(const ContainerSpec& spec, MountPlan* plan);

// Step 2 done in the parent (the native backend does it for root making a user namespace),
// with the caller's own access to the host's paths (a container root mapped by a user
// namespace cannot traverse, say, /root's 0700 to reach a bind source): the root tree and every
// bind source are cloned with open_tree, given their mount attributes and made private (slave under
// rootfs_propagation slave/shared) at once, so the clones never share mount events with the host's
// peer groups; the fds go to the child through the plan (MountOp::fd, root_fd, inherited) and are
// owned by the returned vector until the child has them. Errors name the flag or field and the
// path. The child cannot clone these trees again (they come from another mount namespace), so they
// keep mount IDs older than the filesystems the child makes: mountinfo (ID order since Linux 6.8)
// then lists the binds before them, not in the spec's order.
absl::StatusOr<std::vector<UniqueFd>> CaptureHostTrees(const ContainerSpec& spec, MountPlan* plan);

// spec.idmap_rootfs, after the child's id maps are written and before it attaches its root:
// the captured --rootfs tree (`tree_fd`, CaptureHostTrees's root_fd, all its submounts) is
// id-mapped through the user namespace of process `pid`. A filesystem that cannot be
// id-mapped (EINVAL, EOPNOTSUPP) is a warning in *warnings, naming --rootfs and what the
// container's root then sees; other errors are errors.
absl::Status IdmapRootTree(int tree_fd, pid_t pid, const std::string& rootfs,
                           std::vector<std::string>* warnings);

// statfs("/sys/fs/cgroup") is cgroup2.
bool HostHasCgroup2FromParent();

// Steps 1-10 above, in the child, in a fresh mount namespace. On success the process's root
// and cwd are the container's "/".
StepError SetUpFilesystemInChild(MountPlan& plan);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_MOUNTS_H_
