// OCI lifecycle hooks: run a hook program with the container state on its stdin.
//
// Contract:
//  - RunHook forks and execs (util/subprocess) hook.path directly (no shell, no PATH lookup) with
//    argv = hook.args (argv[0] = args[0]; when args is empty, argv = {path}), an environment of
//    exactly hook.env (no PATH unless the hook gives one), cwd "/", stdin a pipe carrying
//    state_json then EOF, stdout/stderr captured (the first 4 KiB of each is kept for the error
//    message; the rest is read and dropped). The child is the leader of a new process group,
//    its signal mask is empty and every disposition is SIG_DFL, and it inherits no fd but 0-2.
//    Safe to call with signals blocked (nucleus blocks some and reads them from a signalfd)
//    and from a multi-threaded process; between fork and execve the child only makes
//    async-signal-safe calls and allocates nothing.
//  - Only the hook itself is waited for: once it exits, what it wrote is read and RunHook
//    returns, even if a process it left behind still holds its stdout.
//  - timeout_seconds > 0: at the deadline the hook's whole process group gets SIGKILL (so a
//    `sleep` it started dies with it), the hook is reaped and RunHook fails.
//  - Writing the state never blocks past the deadline and never raises SIGPIPE: a hook that
//    does not read its stdin, or exits early, just stops the write.
//  - The hook is reaped with waitpid(pid): a caller whose SIGCHLD is SIG_IGN, or that reaps
//    with waitpid(-1) on another thread, takes the status away ("waitpid: No child
//    processes").
//
// Errors (one line; PREFIX is "hook PHASE[INDEX] 'PATH'"):
//   FailedPrecondition  "PREFIX: exited 3: <first line of its stderr, or of stdout when stderr
//                        is empty, trimmed, at most 200 bytes>" (": <line>" absent when both
//                        are empty)
//   FailedPrecondition  "PREFIX: killed by signal 9 (SIGKILL)[: <line>]"
//   DeadlineExceeded    "PREFIX: timed out after 5 s"
//   errno's code        "PREFIX: exec: No such file or directory" (reported by the child
//                        through a close-on-exec pipe, never confused with an exit code 127)
//   errno's code        "PREFIX: pipe: ..." etc. for the runtime's own failures
//
//   RETURN_IF_ERROR(RunHooks(spec.hooks.create_runtime, "createRuntime", state_json));
//   for (const std::string& w : RunHooksBestEffort(spec.hooks.poststop, "poststop", state))
//     LOG(WARNING) << w;
#ifndef NUCLEUS_RUNTIME_HOOKS_H_
#define NUCLEUS_RUNTIME_HOOKS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// Where a hook runs: the runtime's namespaces (nullptr), or the container's: the child
// setns()es into `flags` (CLONE_NEW*) of the process behind `pidfd` before exec, and with
// CLONE_NEWPID forks once more so that the hook itself is in the container's PID namespace
// (the intermediate process relays its exit). The caller chooses the set: startContainer
// gets all of them (its path resolves in the container), createContainer all but the mount
// namespace (lifecycle.h).
struct HookNamespaces {
  int pidfd = -1;
  int flags = 0;
};

// Runs one hook; `phase` and `index` only name it in errors.
absl::Status RunHook(const HookSpec& hook, absl::string_view phase, size_t index,
                     absl::string_view state_json, const HookNamespaces* ns = nullptr);

// Runs hooks in order; stops at the first failure and returns it.
absl::Status RunHooks(const std::vector<HookSpec>& hooks, absl::string_view phase,
                      absl::string_view state_json, const HookNamespaces* ns = nullptr);

// For poststop (OCI: a failing hook is a warning and the rest still run): runs every hook and
// returns one warning line (the error message above) per failing hook, in order.
std::vector<std::string> RunHooksBestEffort(const std::vector<HookSpec>& hooks,
                                            absl::string_view phase, absl::string_view state_json);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_HOOKS_H_
