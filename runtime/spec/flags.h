// `nucleus run` command line -> ContainerSpec.
//
// Untrusted input (agent frameworks pass user text through): every error names the flag and
// the bad value, one line: "--user: 'abc:' is not UID[:GID]". Accepts docker's spellings:
// "--flag value" and "--flag=value"; boolean flags take no value; "--" ends the flags and is
// required before the command when the command itself starts with '-'. Without "--", the
// first non-flag argument starts the command (docker's `run IMAGE CMD` has no image here).
//
//   ASSIGN_OR_RETURN(RunRequest req, ParseRunArgs(args, HostDefaults()));
#ifndef NUCLEUS_RUNTIME_SPEC_FLAGS_H_
#define NUCLEUS_RUNTIME_SPEC_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/spec/container_spec.h"
#include "runtime/spec/service.h"

namespace nucleus {

// What the parser needs to know about the host; injected so tests need no root.
struct HostDefaults {
  uid_t euid = 0;  // non-root: rootless, a user namespace mapping euid to 0
  gid_t egid = 0;
  // A cgroup pids controller to put the default --pids-limit in (root only).
  bool pids_controller = true;
  // Whether root may make a user namespace (user.max_user_namespaces > 0); without, the
  // default private id range degrades to the host's ids with a warning naming the detail.
  bool user_namespaces = true;
  std::string user_namespaces_detail;
};
// The default limits of `nucleus run` (as root; --pids-limit -1 and --ulimit lift them).
inline constexpr int64_t kDefaultPidsLimit = 1024;
inline constexpr uint64_t kDefaultNofileSoft = 1024;
inline constexpr uint64_t kDefaultNofileHard = 4096;
HostDefaults CurrentHostDefaults();
// --secret: where a DEST without a leading '/' goes, and the largest file it takes.
inline constexpr char kSecretsDir[] = "/run/secrets";
inline constexpr size_t kMaxSecretBytes = 1 << 20;

struct RunRequest {
  ContainerSpec spec;
  bool help = false;         // --help / -h: print RunUsage() and exit 0
  bool detach = false;       // -d: run in the background (`nucleus run -d`)
  bool interactive = false;  // -i: keep stdin attached (a detached container gets /dev/null)
  bool remove = false;       // --rm: with -d, remove the entry when the container exits
  std::string name;          // --name (also the container's id)
  ReadinessProbe readiness;
  HealthCheck health;
  RestartPolicy restart;
  std::vector<std::string> warnings;  // e.g. refused LD_PRELOAD; printed by the CLI
  // The private id range came by default (root, no --userns/--uidmap): gVisor keeps the
  // workload's ids in its own kernel, so DropDefaultUserNamespaceForGvisor undoes it there.
  bool default_user_namespace = false;
};

// After `--backend auto` is resolved: a default user namespace is native-only (runsc takes
// none from the bundle and runs the sandbox as an unprivileged host user already).
void DropDefaultUserNamespaceForGvisor(RunRequest* req);

// Parses everything after `nucleus run`.
absl::StatusOr<RunRequest> ParseRunArgs(const std::vector<std::string>& args,
                                        const HostDefaults& host);

// The flag reference printed by `nucleus run --help` (README's CLI reference matches it).
const char* RunUsage();

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SPEC_FLAGS_H_
