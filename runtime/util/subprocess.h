// Child processes of nucleus, in one place: OCI hooks, runsc's commands, the seccomp
// compiler, readiness probes. fork/exec of an argv (never a shell, never a PATH search) or of
// a function, with the child's set-up done the same way for all, and a deadline on every wait.
//
// The child, between clone and execve (util/child_steps, async-signal-safe):
//   its own process group (new_process_group), every signal disposition back to default,
//   stdio from the options (each fd lifted above 2 first, so no dup2 clobbers another), every
//   other descriptor closed (a program's; a function keeps ours), PR_SET_PDEATHSIG
//   (die_with_parent), the gates (admit, gate_fd), setns into another process's namespaces (a PID
//   namespace: the child forks once more and relays its child's end), chdir, signals unblocked,
//   execve. A step that fails is reported to the parent over a close-on-exec pipe ("exec: No such
//   file or directory", the errno's status code) and the child exits 127.
//
// Contract:
//  - Spawn / SpawnFunction: the child runs; the caller reaps it (Collect, WaitPidfd). Spawned.pidfd
//    is valid on Linux 5.3+ (clone3 with CLONE_PIDFD; older kernels: fork, pid only). The
//    signal mask is full around the clone, so no handler of ours runs in the child.
//  - admit(pid, cloned_into_cgroup) runs in the parent while the child waits before its
//    first set-up step (a cgroup move: nothing of the program runs outside the group); an
//    error ends the child before it runs anything, reaped, and is returned.
//  - Collect / RunCommand / RunFunction: feed stdin_data, keep the first `keep` bytes of each of
//  stdout and
//    stderr, until the child exits (then what is buffered is read, without waiting for an EOF
//    that a process it left behind may hold off), or until the timeout: the child is then
//    killed (SIGKILL, with its process group when it leads one), reaped, and timed_out is set.
//    Nothing is left behind either way. The status is an error only for a system call of
//    ours that failed or a set-up step of the child that failed (its errno's code).
//  - SpawnFunction / RunFunction bodies run in a forked copy of the caller: they may allocate only
//  if
//    the caller has no other thread that could hold a lock at the fork.
//
//   ASSIGN_OR_RETURN(Finished f, RunCommand({"/usr/bin/runsc", "--version"}, {}, {.timeout = 2s}));
//   if (f.timed_out) ...; if (f.Succeeded()) use(f.out);
#ifndef NUCLEUS_RUNTIME_UTIL_SUBPROCESS_H_
#define NUCLEUS_RUNTIME_UTIL_SUBPROCESS_H_

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/util/pidfd.h"  // WaitPidfd, WaitExited
#include "runtime/util/unique_fd.h"

namespace nucleus {

struct SpawnOptions {
  std::string program;                            // the file to exec; "" argv[0] (absolute)
  const std::vector<std::string>* env = nullptr;  // nullptr: ours
  int stdin_fd = -1;  // -1: ours (RunCommand and RunFunction make pipes)
  int stdout_fd = -1;
  int stderr_fd = -1;
  // The child leads a process group of its own (pgid = pid), so that kill(-pid) ends it with
  // whatever it started that stayed in the group.
  bool new_process_group = false;
  // SIGKILL when the thread that spawned it exits (PR_SET_PDEATHSIG).
  bool die_with_parent = false;
  // Born in this cgroup v2 group (CLONE_INTO_CGROUP; -1 none, or where the kernel lacks it).
  int cgroup_fd = -1;
  // See the contract: runs with the child held, before it runs anything.
  std::function<absl::Status(pid_t pid, bool cloned_into_cgroup)> admit;
  // The child waits for one byte on this fd before it execs (EOF: it exits 127 without
  // running anything). -1: exec at once.
  int gate_fd = -1;
  // setns(setns_pidfd, setns_flags) before exec: the namespaces of another process.
  int setns_pidfd = -1;
  int setns_flags = 0;
  std::string cwd;  // "" unchanged
};

struct Spawned {
  pid_t pid = 0;
  UniqueFd pidfd;   // invalid before Linux 5.3
  UniqueFd report;  // the child's set-up failure, if any (Collect reads it)
};

absl::StatusOr<Spawned> Spawn(const std::vector<std::string>& argv, const SpawnOptions& options);
// The child runs body() after its set-up and exits with what it returns.
absl::StatusOr<Spawned> SpawnFunction(const std::function<int()>& body,
                                      const SpawnOptions& options);

struct RunOptions {
  absl::string_view stdin_data;  // the child's stdin: this, then EOF (EPIPE ignored)
  size_t keep = 1 << 20;         // bytes kept of each of stdout and stderr
  absl::Duration timeout = absl::InfiniteDuration();
};

struct Finished {
  int wstatus = 0;         // wait(2) form
  bool timed_out = false;  // killed at the deadline
  std::string out, err;
  bool Succeeded() const;  // exited 0, in time
};

// Waits for `child` as the contract says. in/out/err: the parent's ends (each may be invalid).
absl::StatusOr<Finished> Collect(Spawned& child, UniqueFd in, UniqueFd out, UniqueFd err,
                                 bool kill_group, const RunOptions& options);
// Spawn (or SpawnFunction) with stdio pipes (the options' stdio fds are ignored), then Collect.
absl::StatusOr<Finished> RunCommand(const std::vector<std::string>& argv, SpawnOptions spawn,
                                    const RunOptions& options);
absl::StatusOr<Finished> RunFunction(const std::function<int()>& body, SpawnOptions spawn,
                                     const RunOptions& options);

// "exited 3", "killed by signal 9 (SIGKILL)".
std::string DescribeWaitStatus(int wstatus);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_SUBPROCESS_H_
