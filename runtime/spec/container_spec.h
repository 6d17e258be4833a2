// ContainerSpec: the one internal model of a container. `nucleus run` flags map onto it
// (spec/flags.h), later config.json does too, and every Backend consumes it.
//
// Plain data, validated by the front end that fills it (flags.cc) and again, for what only
// the host can tell, by the backend. Paths are absolute and lexically clean (runtime/paths.h).
#ifndef NUCLEUS_RUNTIME_SPEC_CONTAINER_SPEC_H_
#define NUCLEUS_RUNTIME_SPEC_CONTAINER_SPEC_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nucleus {

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct MountSpec {
  enum class Type { kBind, kTmpfs };
  Type type = Type::kBind;
  std::string source;       // host path (kBind); unused for kTmpfs
  std::string destination;  // absolute path inside the container
  bool read_only = true;
  uint64_t tmpfs_size = 0;  // bytes; 0 = kernel default (half of RAM)
  uint32_t tmpfs_mode = 01777;
};

struct Rlimit {
  int resource = 0;   // RLIMIT_*
  std::string name;   // "nofile", as given
  uint64_t soft = 0;  // RLIM_INFINITY for unlimited
  uint64_t hard = 0;
};

struct ProcessSpec {
  std::vector<std::string> args;  // args[0] is looked up in PATH when it has no '/'
  std::vector<std::string> env;   // "KEY=VALUE", already filtered (runtime/env.h)
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  // Capabilities kept in bounding/effective/permitted (and inheritable/ambient), by number.
  // Empty: all dropped.
  std::vector<int> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = true;  // always true for `nucleus run`
};

struct NamespaceSpec {
  bool pid = true;
  bool mount = true;
  bool uts = true;
  bool ipc = true;
  bool net = true;
  bool cgroup = true;
  bool user = false;  // forced on when nucleus runs as a non-root user (rootless)
  bool time = false;
};

struct ContainerSpec {
  std::string id;
  std::string hostname;  // empty: the id (or "nucleus")
  ProcessSpec process;

  // Root filesystem. Empty: the embedded default, the host's "/" bind-mounted read-only.
  std::string rootfs;
  bool readonly_rootfs = false;  // always true for the host-root default
  std::vector<MountSpec> mounts;  // applied in order after /proc, /dev, /tmp
  std::vector<std::string> masked_paths;    // OCI defaults filled by DefaultMaskedPaths()
  std::vector<std::string> readonly_paths;  // OCI defaults filled by DefaultReadonlyPaths()

  NamespaceSpec namespaces;
  std::vector<IdMapping> uid_mappings;  // used when namespaces.user
  std::vector<IdMapping> gid_mappings;

  bool init = true;  // run nucleus's PID 1 init in front of the workload
};

// The OCI runtime-spec defaults (runc's / docker's lists).
std::vector<std::string> DefaultMaskedPaths();
std::vector<std::string> DefaultReadonlyPaths();

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SPEC_CONTAINER_SPEC_H_
