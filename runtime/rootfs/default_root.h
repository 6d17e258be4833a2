// The default root filesystem of `nucleus run` (no --rootfs, no --host-root): only what
// programs need, nothing of the host's secrets, sockets or home directories.
//
// BuildDefaultRoot lays out a skeleton directory on the host (in the container's state
// directory, removed with it) and returns the spec rewritten to run on it, so both backends
// (native: pivot_root; gvisor: the OCI bundle's root.path) show the same view:
//
//   /usr ...            read-only binds (nosuid, nodev) of the host's top-level program
//                       directories that exist: usr, bin, sbin, lib, lib32, lib64, libx32;
//                       a top-level symlink (merged /usr: bin -> usr/bin) is copied as is.
//   /etc                generated: passwd and group (root, nobody/nogroup and the workload's
//                       own user and groups, from the host's files; no password fields, no
//                       member lists), shadow and gshadow absent, hosts (localhost and the
//                       container's hostname), hostname, resolv.conf (the host's text),
//                       nsswitch.conf (files; dns for hosts); copied from the host when they
//                       exist: a fixed list of non-secret files (ld.so.cache, protocols,
//                       services, os-release, localtime, ...) and, as read-only binds, the
//                       directories tools read (ssl, ca-certificates, alternatives,
//                       ld.so.conf.d). Symlinks are copied as symlinks.
//   /root /home         empty, read-only (the root is read-only).
//   /run /var/tmp       private tmpfs (nosuid, nodev, noexec unless spec.tmp_exec).
//   /proc /sys /dev /tmp   mount points for the backend's own filesystems.
//
// Nothing of the host's /run (its sockets), /home, /root, /srv, /var or the rest of /etc is
// there unless a --ro/--rw bind brings it. The caller's own mounts come after the defaults,
// so a bind may cover a default path.
#ifndef NUCLEUS_RUNTIME_ROOTFS_DEFAULT_ROOT_H_
#define NUCLEUS_RUNTIME_ROOTFS_DEFAULT_ROOT_H_

#include <string>

#include "absl/status/statusor.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// Creates `dir` (its parent must exist; an existing `dir` is removed first: a restart builds
// it again) and returns `spec` with rootfs = dir, read-only, and the default mounts ahead of
// spec.mounts. `host` is the host's root ("/"; a fake tree in tests). Errors name the path.
absl::StatusOr<ContainerSpec> BuildDefaultRoot(const ContainerSpec& spec, const std::string& dir,
                                               const std::string& host = "/");

// The spec wants the default root: no rootfs and not the host's own view (--host-root).
bool WantsDefaultRoot(const ContainerSpec& spec);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_ROOTFS_DEFAULT_ROOT_H_
