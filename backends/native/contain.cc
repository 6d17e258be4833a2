#include "backends/native/contain.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "backends/native/init.h"
#include "backends/native/namespaces.h"
#include "backends/native/rlimits.h"
#include "runtime/util/child_steps.h"
#include "runtime/util/proctitle.h"
#include "runtime/util/raw_log.h"
#include "runtime/util/status.h"
#include "runtime/util/sync_channel.h"

namespace nucleus {
namespace {

constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

[[noreturn]] void Die(const ChildPlan& plan, const StepError& e) {
  ChildReportError(plan.sync_fd, e.step, e.detail, e.err, e.exit_code);
  _exit(e.exit_code);
}

#define STEP(expr)                    \
  do {                                \
    ::nucleus::StepError e_ = (expr); \
    if (e_.failed()) Die(plan, e_);   \
  } while (0)

// 8. A pty of the container's own devpts instance (so the process sees its terminal
// as /dev/pts/N inside), owned by the container's user, as controlling terminal and stdio.
StepError SetUpTerminalInChild(const ChildPlan& plan) {
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return StepError::Errno("open", "/dev/ptmx");
  int unlock = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) != 0)
    return StepError::Errno("ioctl TIOCSPTLCK", "/dev/ptmx");
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return StepError::Errno("ioctl TIOCGPTPEER", "/dev/ptmx");
  if (::fchown(slave, plan.identity.uid, plan.identity.gid) != 0 && errno != EPERM &&
      errno != EINVAL) {
    return StepError::Errno("fchown", "pty");
  }
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) return StepError::Errno("ioctl TIOCSCTTY", "pty");
  for (int fd = 0; fd <= 2; ++fd) {
    if (::dup2(slave, fd) < 0) return StepError::Errno("dup2", "pty");
  }
  ::close(slave);
  ChildSyncSendFd(plan.sync_fd, SyncKind::kConsole, master);
  ::close(master);
  return StepError{};
}

// After kDetach: accept `start` connections until one says kGo; it becomes the sync socket.
// Returns false when the listening socket fails.
bool AcceptStartInChild(ChildPlan& plan) {
  for (;;) {
    int conn = ::accept4(plan.start_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return false;
    }
    if (ChildSyncWait(conn, SyncKind::kGo)) {
      ::close(plan.start_listen_fd);
      plan.start_listen_fd = -1;
      plan.sync_fd = conn;
      return true;
    }
    ::close(conn);  // a probe, or a `start` that died: keep waiting
  }
}

// execve with a PATH search in the container's own PATH (not nucleus's), like a shell:
// not found anywhere → 127; found but not executable → 126.
StepError ExecWorkload(const ChildPlan& plan) {
  const char* file = plan.argv[0];
  if (strchr(file, '/') != nullptr) {
    ::execve(file, plan.argv.data(), plan.envp.data());
    int err = errno;
    return StepError{"exec", file, err, (err == ENOENT || err == ENOTDIR) ? 127 : 126};
  }
  bool denied = false;
  int other = 0;
  for (const std::string& dir : plan.path_dirs) {
    RawBuf<PATH_MAX> candidate;
    candidate.Add(dir.c_str()).Add("/").Add(file);
    ::execve(candidate.c_str(), plan.argv.data(), plan.envp.data());
    switch (errno) {
      case ENOENT:
      case ENOTDIR:
        break;
      case EACCES:
        denied = true;
        break;
      default:
        other = errno;  // ENOEXEC, E2BIG, ...: found, but it did not run
        break;
    }
  }
  if (other != 0) return StepError{"exec", file, other, 126};
  if (denied) return StepError{"exec", file, EACCES, 126};
  return StepError{"executable file not found in $PATH", file, 0, 127};
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildPlan>> BuildChildPlan(const ContainerSpec& spec,
                                                          bool for_exec) {
  if (spec.process.args.empty()) return absl::InvalidArgumentError("missing command");
  auto plan = std::make_unique<ChildPlan>();
  if (!for_exec) {
    ASSIGN_OR_RETURN(plan->mounts, PlanMounts(spec));
    plan->warnings = plan->mounts.warnings;
  }
  plan->terminal = spec.process.terminal;
  if (spec.process.oom_score_adj) {
    plan->set_oom_score_adj = true;
    plan->oom_score_adj = *spec.process.oom_score_adj;
  }
  // docker's default: the container's own name.
  plan->hostname = HostnameOf(spec);
  // config.json without a hostname keeps the (copied) host name in the new UTS namespace,
  // as runc does; `nucleus run` names it after the container.
  if (spec.hostname.empty() && !spec.default_filesystems) plan->keep_hostname = true;
  // A user namespace joined by path has its maps already: no handshake for it.
  plan->user_namespace = spec.namespaces.user && spec.namespaces.user_path.empty();
  if (!spec.namespaces.uts_path.empty()) plan->keep_hostname = true;
  plan->net_namespace = spec.namespaces.net;
  plan->rlimits = spec.process.rlimits;
  ASSIGN_OR_RETURN(plan->caps, PlanCapabilities(spec.process.capabilities));
  plan->groups = spec.process.additional_gids;
  plan->identity.uid = spec.process.uid;
  plan->identity.gid = spec.process.gid;
  plan->identity.groups = plan->groups.data();
  plan->identity.ngroups = plan->groups.size();
  // Rootless: the kernel requires setgroups "deny" before an unprivileged gid_map.
  plan->identity.setgroups_denied = spec.namespaces.user && ::geteuid() != 0;
  if (plan->identity.setgroups_denied && !plan->groups.empty()) {
    return absl::InvalidArgumentError(
        "--group-add: supplementary groups need nucleus to run as root (rootless user "
        "namespaces deny setgroups)");
  }
  plan->no_new_privileges = spec.process.no_new_privileges;
  ASSIGN_OR_RETURN(plan->landlock, PlanLandlock(spec, DetectLandlockAbiFromParent()));
  plan->warnings.insert(plan->warnings.end(), plan->landlock.warnings.begin(),
                        plan->landlock.warnings.end());
  plan->cwd = spec.process.cwd.empty() ? "/" : spec.process.cwd;
  plan->args = spec.process.args;
  plan->env = spec.process.env;
  std::string path = kDefaultPath;
  for (const std::string& kv : plan->env) {
    if (absl::StartsWith(kv, "PATH=")) path = kv.substr(5);
  }
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    plan->path_dirs.emplace_back(dir);
  }
  for (std::string& a : plan->args) plan->argv.push_back(a.data());
  plan->argv.push_back(nullptr);
  for (std::string& e : plan->env) plan->envp.push_back(e.data());
  plan->envp.push_back(nullptr);
  plan->init = spec.init && !for_exec;
  plan->into_running_container = for_exec;
  // Compiled here, in the parent: the child must not call libseccomp (it allocates).
  if (spec.seccomp) {
    ASSIGN_OR_RETURN(plan->seccomp, CompileSeccomp(*spec.seccomp));
  }
  if (plan->init) {
    absl::StatusOr<SeccompProgram> init_filter = CompileSeccomp(InitSeccompSpec());
    if (!init_filter.ok()) return Annotate(init_filter.status(), "the init's seccomp filter");
    plan->init_seccomp = *std::move(init_filter);
  }
  plan->ReserveKeep();
  return plan;
}

namespace {

// A handshake message that did not come: the parent is gone or gave up. Reported like any
// step (the report goes nowhere if nobody listens).
StepError HandshakeEnded(const char* waiting_for) {
  return StepError{"sync", waiting_for, EPIPE, 125};
}

// 1. Signals stay blocked (the parent blocked them before clone) until the workload execs;
//    dispositions inherited from nucleus (e.g. SIG_IGN) must not reach it. Dies with the
//    parent (if the parent died before this prctl, the next read of the sync socket sees EOF).
StepError ResetSignalsInChild(ChildPlan& plan) {
  ResetSignalDispositionsInChild();
  if (plan.die_with_parent && ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    return StepError::Errno("prctl", "PR_SET_PDEATHSIG");
  }
  return StepError::Ok();
}

// 2. Whatever nucleus's caller left open without O_CLOEXEC (a shell's fd 10, a directory of
//    the host) must not reach the container: openat() relative to a host directory walks the
//    host's tree, past every mount and Landlock rule (tests/escape: inherited_fds).
StepError CloseInheritedFdsInChild(ChildPlan& plan) {
  // plan.keep was sized by the parent: 3 + kMaxJoin + the mount plan's inherited fds.
  int* keep = plan.keep.data();
  int n = 0;
  keep[n++] = plan.sync_fd;
  keep[n++] = plan.status_fd;
  keep[n++] = plan.start_listen_fd;
  for (int i = 0; i < plan.n_join; ++i) keep[n++] = plan.join_fd[i];
  for (int fd : plan.mounts.inherited) keep[n++] = fd;
  if (int err = CloseFdsInChild(keep, n); err != 0) {
    return StepError{"close_range", "inherited descriptors", err, 125};
  }
  return StepError::Ok();
}

// 3. Existing namespaces (the user namespace first: the others may be its).
StepError JoinNamespacesInChild(ChildPlan& plan) {
  for (int i = 0; i < plan.n_join; ++i) {
    if (plan.join_type[i] != 0 && ::setns(plan.join_fd[i], plan.join_type[i]) != 0) {
      return StepError::Errno("setns", plan.into_running_container
                                           ? "the container's namespaces"
                                           : "a namespace path of the config");
    }
    ::close(plan.join_fd[i]);
  }
  return StepError::Ok();
}

// 4. The cgroup: wait until the parent has placed us in the container's groups, then
//    unshare(CLONE_NEWCGROUP): the namespace's root is the group we are in at that moment.
StepError EnterCgroupInChild(ChildPlan& plan) {
  if (!plan.await_cgroup) return StepError::Ok();
  if (!ChildSyncWait(plan.sync_fd, SyncKind::kCgroupReady)) return HandshakeEnded("cgroup ready");
  if (plan.cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0) {
    return StepError::Errno("unshare", "CLONE_NEWCGROUP");
  }
  return StepError::Ok();
}

// 5. A session of its own, without a controlling terminal: otherwise, on kernels with
//    dev.tty.legacy_tiocsti=1, ioctl(TIOCSTI) on an inherited terminal types commands into
//    the caller's shell (bubblewrap's CVE-2017-5226; runc does the same).
StepError NewSessionInChild(ChildPlan&) {
  if (::setsid() < 0) return StepError::Errno("setsid", "");
  return StepError::Ok();
}

// 6. A new user namespace: ask the parent for the id maps, then become root in it.
StepError MapIdsInChild(ChildPlan& plan) {
  if (plan.into_running_container || !plan.user_namespace) return StepError::Ok();
  // A process that changed credentials (a setuid nucleus, or one started by a service
  // manager that switched users) is not dumpable: its /proc/PID files belong to root and an
  // unprivileged parent could not write our id maps. Only for the handshake.
  const int dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  if (dumpable == 0) (void)::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  ChildSyncSend(plan.sync_fd, SyncKind::kNeedIdMaps);
  if (!ChildSyncWait(plan.sync_fd, SyncKind::kGo)) return HandshakeEnded("id maps");
  if (dumpable == 0) (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return BecomeNamespaceRootInChild();
}

// 7. A new container's world: mounts, masks, pivot_root (mounts.h); hostname; loopback up.
StepError SetUpContainerInChild(ChildPlan& plan) {
  if (plan.into_running_container) return StepError::Ok();
  RETURN_IF_STEP_FAILED(SetUpFilesystemInChild(plan.mounts));
  if (!plan.keep_hostname) RETURN_IF_STEP_FAILED(SetHostnameInChild(plan.hostname.c_str()));
  if (plan.net_namespace) RETURN_IF_STEP_FAILED(BringUpLoopbackInChild());
  return StepError::Ok();
}

// 9. oom_score_adj, before the capability drop (lowering it needs CAP_SYS_RESOURCE).
StepError SetOomScoreInChild(ChildPlan& plan) {
  if (!plan.set_oom_score_adj) return StepError::Ok();
  int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  RawBuf<16> v;
  v.AddInt(plan.oom_score_adj);
  const bool ok = fd >= 0 && ::write(fd, v.c_str(), strlen(v.c_str())) >= 0;
  StepError e = ok ? StepError::Ok() : StepError::Errno("write", "/proc/self/oom_score_adj");
  if (fd >= 0) ::close(fd);
  return e;
}

// 10. Rlimits, before the identity switch (raising a hard limit is still allowed).
StepError SetRlimitsInChild(ChildPlan& plan) {
  return ApplyRlimitsInChild(plan.rlimits.data(), plan.rlimits.size());
}

// 11. Privileges. Without no_new_privs the kernel accepts a filter only from a CAP_SYS_ADMIN
//     holder, so the container's seccomp filter goes in first, before the drop (runc's
//     order); the rest of the setup, the init and the workload then all run under it.
//     Landlock likewise, and before seccomp, whose profile need not allow landlock_*. Then
//     keep-caps, the bounding set, the identity, the kept capabilities, no_new_privs, and
//     (with no_new_privs, which it needs) Landlock after pivot_root: its rule paths are the
//     container's.
StepError DropPrivilegesInChild(ChildPlan& plan) {
  if (!plan.no_new_privileges) {
    RETURN_IF_STEP_FAILED(ApplyLandlockInChild(plan.landlock));
    if (plan.seccomp) RETURN_IF_STEP_FAILED(InstallSeccompInChild(*plan.seccomp));
  }
  RETURN_IF_STEP_FAILED(KeepCapsAcrossSetuidInChild());
  RETURN_IF_STEP_FAILED(DropBoundingSetInChild(plan.caps));
  RETURN_IF_STEP_FAILED(ApplyIdentityInChild(plan.identity));
  RETURN_IF_STEP_FAILED(SetCapabilitiesInChild(plan.caps));
  if (plan.no_new_privileges) {
    RETURN_IF_STEP_FAILED(SetNoNewPrivsInChild());
    RETURN_IF_STEP_FAILED(ApplyLandlockInChild(plan.landlock));
  }
  return StepError::Ok();
}

// 12. The working directory, checked as the container's user.
StepError EnterCwdInChild(ChildPlan& plan) {
  if (::chdir(plan.cwd.c_str()) != 0) return StepError::Errno("chdir", plan.cwd.c_str());
  return StepError::Ok();
}

// 13. Ready; then the start gate: the parent's Start() (kGo), or after kDetach a `start`
//     from another process through the start socket.
StepError AwaitStartInChild(ChildPlan& plan) {
  ChildSyncSend(plan.sync_fd, SyncKind::kReady);
  switch (static_cast<SyncKind>(ChildSyncReceive(plan.sync_fd))) {
    case SyncKind::kGo:
      break;
    case SyncKind::kDetach:
      if (plan.start_listen_fd < 0) return HandshakeEnded("detach without a start socket");
      // From here the container outlives the process that created it. (Had that process
      // died before this prctl, kDetach would not have arrived.)
      if (::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) != 0) {
        return StepError::Errno("prctl", "PR_SET_PDEATHSIG");
      }
      ChildSyncSend(plan.sync_fd, SyncKind::kReady);
      ::close(plan.sync_fd);
      plan.sync_fd = -1;
      if (!AcceptStartInChild(plan)) return StepError::Errno("accept", "the start socket");
      break;
    default:
      return HandshakeEnded("start");
  }
  if (plan.start_listen_fd >= 0) {
    ::close(plan.start_listen_fd);
    plan.start_listen_fd = -1;
  }
  return StepError::Ok();
}

// The workload's last steps: signals unblocked, the container's seccomp filter (the very last
// step, so it can be tight: it has to allow only execve and what the workload does), exec.
[[noreturn]] void ExecWorkloadInChild(ChildPlan& plan) {
  UnblockSignalsInChild();
  if (plan.no_new_privileges && plan.seccomp) STEP(InstallSeccompInChild(*plan.seccomp));
  Die(plan, ExecWorkload(plan));
}

// 14. Without an init, the workload is PID 1. With one, it is forked, and this process
//     becomes the init: its own filter after the fork so the workload never inherits it
//     (contain.h); no_new_privs first (the init never execs, so it costs nothing, and it lets
//     the filter in even without no_new_privs and CAP_SYS_ADMIN). Not dumpable: the workload
//     runs as the same uid, and /proc/1/fd, /proc/1/mem would otherwise hand it the init's
//     descriptors (the status pipe to nucleus) and memory. The init keeps no channel to the
//     parent but the status pipe: the sync socket reaches EOF when the workload's execve
//     closes the last copy.
[[noreturn]] void RunWorkloadInChild(ChildPlan& plan) {
  if (!plan.init) ExecWorkloadInChild(plan);
  pid_t workload = ::fork();  // lint: own process (the workload under our init)
  if (workload < 0) Die(plan, StepError::Errno("fork", "workload"));
  if (workload == 0) ExecWorkloadInChild(plan);
  // Its /proc/1/cmdline is readable by the whole container: not nucleus's host command line.
  SetProcessTitle("nucleus-init");
  STEP(SetNoNewPrivsInChild());
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    Die(plan, StepError::Errno("prctl", "PR_SET_DUMPABLE"));
  }
  STEP(InstallSeccompInChild(plan.init_seccomp));
  ::close(plan.sync_fd);
  RunInit(workload, plan.status_fd);
}

}  // namespace

void ContainInChild(ChildPlan& plan) {
  // Each step reports its failure over the sync socket and exits (STEP, Die): one way out.
  STEP(ResetSignalsInChild(plan));                      // 1
  STEP(CloseInheritedFdsInChild(plan));                 // 2
  STEP(JoinNamespacesInChild(plan));                    // 3
  STEP(EnterCgroupInChild(plan));                       // 4
  STEP(NewSessionInChild(plan));                        // 5
  STEP(MapIdsInChild(plan));                            // 6
  STEP(SetUpContainerInChild(plan));                    // 7
  if (plan.terminal) STEP(SetUpTerminalInChild(plan));  // 8
  STEP(SetOomScoreInChild(plan));                       // 9
  STEP(SetRlimitsInChild(plan));                        // 10
  STEP(DropPrivilegesInChild(plan));                    // 11
  STEP(EnterCwdInChild(plan));                          // 12
  STEP(AwaitStartInChild(plan));                        // 13
  RunWorkloadInChild(plan);                             // 14
}

}  // namespace nucleus
