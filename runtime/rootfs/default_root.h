// The default root filesystem of `nucleus run` (no --rootfs, no --host-root): only what
// programs need, nothing of the host's secrets, sockets or home directories.
//
// LayOutDefaultRoot reads what it needs from the host (in the parent) and returns the spec
// with root_entries (the skeleton: directories, symlinks, generated files) and the default
// mounts ahead of spec.mounts. Each backend builds the same view from it: the native one on a
// fresh tmpfs in the container's own mount namespace (nothing is written on the host), the
// gVisor one in its bundle directory (MaterializeRootEntries):
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
//                       services, os-release, localtime, ...) and, as read-only binds, ssl
//                       (CA certificates) and alternatives. Symlinks are copied as symlinks.
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

// `spec` laid out on the default root: root_entries filled, readonly_rootfs, the default
// mounts ahead of spec.mounts. `host` is the host's root ("/"; a fake tree in tests).
// Errors name the host path that could not be read.
absl::StatusOr<ContainerSpec> LayOutDefaultRoot(const ContainerSpec& spec,
                                                const std::string& host = "/");

// A read-only bind of the host's programs or their data at the same path, as the default
// root makes them (/usr, /bin, /lib*, /etc/ssl, /etc/alternatives): no service keeps a
// socket there, unlike in a --ro/--rw source. Works on a spec read back from config.json.
bool IsProgramBind(const MountSpec& m);

// The spec wants the default root: no rootfs, no layout yet, not the host's own view
// (--host-root), and nucleus's own filesystems (not a config.json).
bool WantsDefaultRoot(const ContainerSpec& spec);

// Creates `dir` (its parent must exist; an existing `dir` is removed first) and the entries
// in it, on the host. Errors name the path.
absl::Status MaterializeRootEntries(const std::vector<RootEntry>& entries, const std::string& dir);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_ROOTFS_DEFAULT_ROOT_H_
