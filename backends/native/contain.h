// The container process, from clone() to execve(): one readable, ordered list of steps.
//
// The parent builds a ChildPlan (BuildChildPlan: all allocation and validation happen here);
// the child (ContainInChild) only executes it: no allocation, no glog, errors reported as
// {step, detail, errno} over the sync socket, then _exit(125) (126/127 for exec failures).
//
// Steps, in order: ContainInChild (contain.cc) is this list, one named ...InChild function
// per line, each failure reported the same way (STEP: {step, detail, errno} over the sync
// socket, then _exit; a handshake message that never came is step "sync"):
//   1. ResetSignalsInChild: signal dispositions to default (signals stay blocked until
//      exec); die with the parent (PR_SET_PDEATHSIG)
//   2. CloseInheritedFdsInChild: every descriptor but stdio and the plan's own
//   3. JoinNamespacesInChild: setns into existing namespaces (the user namespace first)
//   4. EnterCgroupInChild: wait until the parent has placed us in the container's groups
//      (v2: clone3 CLONE_INTO_CGROUP already did; v1: the cloning thread was in them), then
//      unshare(CLONE_NEWCGROUP): the namespace's root is the group we are in at that moment
//   5. NewSessionInChild: setsid, no controlling terminal (TIOCSTI)
//   6. MapIdsInChild: a new user namespace: the parent writes the id maps; become root in it
//   7. SetUpContainerInChild: mounts, masks, pivot_root (mounts.h); hostname; loopback up
//   8. SetUpTerminalInChild (process.terminal): a pty from the container's /dev/ptmx becomes
//      the controlling terminal and stdio; the master goes to the parent
//   9. SetOomScoreInChild: before the capability drop (lowering needs CAP_SYS_RESOURCE)
//  10. SetRlimitsInChild: before the identity switch, while raising a hard limit is allowed
//  11. DropPrivilegesInChild: keep-caps, drop the bounding set; identity: setgroups, setgid,
//      setuid; the kept set in effective/permitted/inheritable/ambient; no_new_privs; then
//      Landlock (landlock.h; after pivot_root: its rule paths are the container's).
//      Without no_new_privs, Landlock and the container's seccomp filter go in first, before
//      the capabilities go (the kernel then needs CAP_SYS_ADMIN for the filter; runc's order)
//  12. EnterCwdInChild: the working directory, checked as the container's user
//  13. AwaitStartInChild: report ready and wait at the start gate (the parent's Start(), or
//      after kDetach a `start` from another process through the start socket)
//  14. RunWorkloadInChild: with init, fork the workload, which installs the container's
//      seccomp filter as its very last step and execs; this process becomes PID 1 (init.h)
//      and installs the init's own filter (seccomp.h: InitSeccompSpec). Without: install the
//      container's seccomp filter, exec the workload directly as PID 1.
//
// Seccomp and the init: the init does NOT run under the container's filter (it is installed
// in the workload after the fork, and filters are inherited, never shared backwards), but
// under its own fixed, tighter one: only the ~10 system calls RunInit makes, anything else
// kills it (and with it the container). The container's profile is written for arbitrary
// programs and allows hundreds of calls the init never needs; a process the workload can
// signal and that outlives it deserves the smallest surface. Installing the init's filter
// after the fork keeps it out of the workload. (Without no_new_privs the container's filter
// is installed before the fork, so the init runs under both, stacked.)
#ifndef NUCLEUS_BACKENDS_NATIVE_CONTAIN_H_
#define NUCLEUS_BACKENDS_NATIVE_CONTAIN_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/native/caps.h"
#include "backends/native/landlock.h"
#include "backends/native/mounts.h"
#include "backends/native/seccomp.h"
#include "backends/native/user.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

struct ChildPlan {
  MountPlan mounts;
  std::string hostname;
  bool user_namespace = false;
  bool net_namespace = true;
  std::vector<Rlimit> rlimits;
  CapPlan caps;
  std::vector<gid_t> groups;
  IdentityPlan identity;  // .groups points into `groups`
  bool no_new_privileges = true;
  LandlockPlan landlock;
  // What the plan could not do as asked but went on without (Landlock best-effort gaps),
  // one line each without prefix; the backend hands them to the CLI (Container::warnings).
  std::vector<std::string> warnings;
  std::string cwd;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<std::string> path_dirs;  // from the container's PATH, for the command lookup
  std::vector<char*> argv;             // null-terminated views of args / env
  std::vector<char*> envp;
  bool init = true;
  std::optional<SeccompProgram> seccomp;  // the workload's filter; nullopt: unconfined
  SeccompProgram init_seccomp;            // the init's own filter (used when `init`)
  // 1b: wait for SyncKind::kCgroupReady; then unshare the cgroup namespace when asked (the
  // clone flags leave CLONE_NEWCGROUP out whenever await_cgroup is set).
  bool await_cgroup = false;
  bool cgroup_namespace = false;
  int sync_fd = -1;    // child end of the sync socket
  int status_fd = -1;  // write end of the init's exit-status pipe
  // Step 13, detached lifecycle (OCI create, `run -d`): a listening SOCK_SEQPACKET socket.
  // When the parent answers kReady with kDetach instead of kGo, the child stops dying with
  // it (PDEATHSIG off), acknowledges, and accepts connections until one sends kGo; that
  // connection is the sync socket from then on (exec errors go to whoever started us).
  int start_listen_fd = -1;
  // process.terminal: after the filesystem (step 8), open a pty in the container's own
  // devpts, make the slave the controlling terminal and stdio, and pass the master to the
  // parent (SyncKind::kConsole).
  bool terminal = false;
  int oom_score_adj = 0;
  bool set_oom_score_adj = false;
  // Step 3: existing namespaces to setns(join_fd[i], join_type[i]) into, user first; fds
  // owned by the parent's plan. OCI namespace paths (one nsfs fd per type), or for an exec
  // into a running container one pidfd of it with every CLONE_NEW* flag that differs from
  // ours. A PID namespace is joined by the parent before clone3 in both cases.
  static constexpr int kMaxJoin = 8;
  // Step 2's scratch list of fds to keep; the parent sizes it (ReserveKeep) once every fd
  // the child inherits is known, so the child never allocates.
  std::vector<int> keep;
  void ReserveKeep() { keep.assign(3 + kMaxJoin + mounts.inherited.size(), -1); }
  int join_fd[kMaxJoin] = {-1, -1, -1, -1, -1, -1, -1, -1};
  int join_type[kMaxJoin] = {};
  int n_join = 0;
  // Exec into a running container: its namespaces (joined at 1c) replace steps 2-4: no user
  // namespace handshake, no mounts, no hostname, no init. Steps 5-9 as for its own process.
  bool into_running_container = false;
  bool keep_hostname = false;  // a joined UTS namespace, or config.json gave no hostname
  // Step 1's PR_SET_PDEATHSIG. false only for a detached exec, which must outlive its
  // nucleus (a parent that dies during setup still ends it: the sync socket reaches EOF).
  bool die_with_parent = true;
};

// Validates the spec against the host and lays everything out for the child. for_exec: the
// plan of a process joining the running container (no mounts, no init).
absl::StatusOr<std::unique_ptr<ChildPlan>> BuildChildPlan(const ContainerSpec& spec,
                                                          bool for_exec = false);

// The child. Never returns.
[[noreturn]] void ContainInChild(ChildPlan& plan);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_CONTAIN_H_
