// Driving gVisor's runsc: finding it, probing what it can do, choosing the platform, and
// running its subcommands as child processes (fork/exec of an argv, never a shell).
//
// Locating: $NUCLEUS_RUNSC (an absolute path) when set, else "runsc" in $PATH (or, without
// PATH, the usual /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin).
//
// Probing costs a Go start-up of runsc (tens of milliseconds), so ProbeRunsc runs ONE
// command, `runsc --oci-seccomp help platforms` (the platforms it was built with; the flag
// tells whether it can enforce an OCI seccomp profile: an older runsc refuses the unknown
// flag, and is asked again without it), and keeps the answer in memory and in a cache file
// keyed by the binary's identity (device, inode, size, mtime) and the kernel (uname release
// and version): /var/cache/nucleus/runsc-HASH.json for root (HASH: of the binary's path),
// else $XDG_CACHE_HOME/nucleus/ (~/.cache/nucleus/). A cache that is missing, stale,
// unreadable or malformed is just probed again; one that cannot be written is not an error.
//
// Platforms are proven, not assumed: a /dev/kvm that opens may still be unable to run a
// guest (a nested VM: runsc's kvm platform then spins at 100% CPU forever). Before nucleus
// uses a platform on this kernel it runs `runsc --platform=P --network=none do /bin/true`
// in a private --root (and, as root, in a cgroup of its own) with a deadline
// (kPlatformProofTimeout); a run that does not exit 0 in time is killed with everything it
// started, and the platform counts as failed, with the reason. The verdict is cached with
// the probe (delete the cache file to prove again).
//
// Platform "auto": the first of kvm (only when /dev/kvm opens read-write), systrap, ptrace
// that this runsc has and that is proven; passing over one that failed its proof is a
// warning naming it and why. An explicit platform this runsc lacks, kvm without a usable
// /dev/kvm, or one that failed its proof is FailedPrecondition naming it.
//
// Deadlines: nothing waits on runsc for ever. RunRunsc kills a command that has not ended
// within kRunscCommandTimeout and fails with DeadlineExceeded naming it.
//
// Errors are one line and include runsc's own: "runsc start web: container is not created".
// runsc's error text comes from its stderr, or from its --log file (a JSON line per error)
// for the subcommands whose stdio is the container's (run, create, exec).
//
//   ASSIGN_OR_RETURN(RunscInfo info, ProbeRunsc());
//   ASSIGN_OR_RETURN(PlatformChoice choice, SelectPlatform(info, spec.gvisor_platform));
//   RunscGlobals g{.path = info.path, .root = dir + "/runsc", .log = dir + "/bundle/runsc.log",
//                  .platform = choice.platform};
//   ASSIGN_OR_RETURN(std::string out, RunRunsc(g, {"state", id}));
#ifndef NUCLEUS_BACKENDS_GVISOR_RUNSC_H_
#define NUCLEUS_BACKENDS_GVISOR_RUNSC_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/util/subprocess.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

class Cgroup;

inline constexpr absl::Duration kPlatformProofTimeout = absl::Seconds(10);
inline constexpr absl::Duration kRunscCommandTimeout = absl::Seconds(60);

// The runsc binary: $NUCLEUS_RUNSC or PATH. NotFound: "runsc not found in PATH (install
// Debian's runsc, or set NUCLEUS_RUNSC)".
absl::StatusOr<std::string> FindRunsc();

struct RunscInfo {
  std::string path;
  std::vector<std::string> platforms;  // as `runsc help platforms` lists them
  bool oci_seccomp = false;            // has --oci-seccomp
  // Proofs on this kernel so far: platform -> "" (it ran) or why it did not.
  std::map<std::string, std::string> proofs;
  bool Has(absl::string_view platform) const;
};

// FindRunsc + the (cached) probe above. The error says why runsc cannot be used.
absl::StatusOr<RunscInfo> ProbeRunsc();
// Parses the probe's output (pure; tests).
RunscInfo ParseProbeOutput(const std::string& path, const std::string& platforms_text,
                           bool oci_seccomp);

// /dev/kvm opens read-write (which proves nothing about running a guest).
bool KvmUsable();

// The platform to run with, and a warning when "auto" passed over one ("" none).
struct PlatformChoice {
  std::string platform;
  std::string warning;
};

// Whether `platform` runs a sandbox: OK, or why not (one line). Cached (see above).
using PlatformProver = std::function<absl::Status(const std::string& platform)>;

// "auto" resolved as above, or the requested platform when this runsc has it; proving each
// candidate (cached) with ProvePlatform.
absl::StatusOr<PlatformChoice> SelectPlatform(const RunscInfo& info, const std::string& requested);
// The same decision with the facts and the prover given (pure but for `prove`; tests).
absl::StatusOr<PlatformChoice> SelectPlatformFor(const std::vector<std::string>& platforms,
                                                 bool kvm_usable, const std::string& requested,
                                                 const PlatformProver& prove);

// The cached verdict for `platform` of this runsc on this kernel, proving it first when there
// is none (a bounded run, see above). Thread-safe.
absl::Status ProvePlatform(const RunscInfo& info, const std::string& platform);
// One proof run, uncached: `runsc do /bin/true` on `platform` within `timeout`.
absl::Status RunPlatformProof(const std::string& runsc, const std::string& platform,
                              absl::Duration timeout);

// The global flags every runsc command of one container gets.
struct RunscGlobals {
  std::string path;  // the runsc binary
  std::string root;  // --root: runsc's state for this container (a directory of ours)
  std::string log;   // --log: runsc writes its errors there (JSON lines); "" none
  // The container's configuration: every command of one container must get the same (runsc
  // takes it from the flags, not from its state). "" / false leave a flag out; a platform
  // also adds --ignore-cgroups.
  std::string platform;      // --platform
  std::string network;       // --network
  bool oci_seccomp = false;  // --oci-seccomp
  bool rootless = false;     // --rootless (non-root caller)
};

// ["runsc", --root R, --log L, --platform P, --network N, --oci-seccomp, --ignore-cgroups,
// --rootless, sub...].
std::vector<std::string> RunscArgv(const RunscGlobals& g, const std::vector<std::string>& sub);

// The child starts in `cgroup` (born there with CLONE_INTO_CGROUP, else moved there before
// it runs anything), so that every process runsc starts is in it. nullptr: nothing.
void PlaceInCgroup(Cgroup* cgroup, SpawnOptions& options);

// Runs `runsc GLOBALS sub...` to completion, stdin /dev/null, stdout captured (returned),
// stderr captured for the error: "runsc SUB ID: <runsc's last stderr line>". Past `timeout`
// the command is killed with its process group (SIGKILL) and the result is DeadlineExceeded
// "runsc SUB ID: did not finish within 1m (killed)". cgroup: the command starts in that group
// (the caller kills and removes it).
absl::StatusOr<std::string> RunRunsc(const RunscGlobals& g, const std::vector<std::string>& sub,
                                     absl::Duration timeout = kRunscCommandTimeout,
                                     Cgroup* cgroup = nullptr);

// The last error runsc wrote to its --log file ("" when none), one line.
std::string LastRunscLogError(const std::string& log_path);
// One line from runsc's stderr text: its last non-empty line, or lines joined with "; ".
std::string RunscErrorLine(absl::string_view text);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_GVISOR_RUNSC_H_
