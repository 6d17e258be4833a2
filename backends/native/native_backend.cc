#include "backends/native/native_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "backends/native/contain.h"
#include "backends/native/namespaces.h"
#include "runtime/cgroup/layout.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/procfs.h"
#include "runtime/util/pidfd.h"
#include "runtime/util/status.h"
#include "runtime/util/sync_channel.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

constexpr int kExitCodeNucleus = 125;

// The default device list, plus the character devices that are the container's own stdin,
// stdout and stderr (a terminal like /dev/ttyS0 or /dev/tty1), with the access their open mode
// already grants, so that reopening /dev/stdout works as it does outside.
std::vector<DeviceRule> ContainerDeviceRules() {
  std::vector<DeviceRule> rules = DefaultDeviceRules();
  for (int fd = 0; fd <= 2; ++fd) {
    struct stat st;
    int mode = ::fcntl(fd, F_GETFL);
    if (mode < 0 || ::fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) continue;
    mode &= O_ACCMODE;
    rules.push_back({'c', static_cast<int64_t>(major(st.st_rdev)),
                     static_cast<int64_t>(minor(st.st_rdev)),
                     mode == O_RDWR     ? "rw"
                     : mode == O_WRONLY ? "w"
                                        : "r"});
  }
  return rules;
}

class NativeContainer : public Container {
 public:
  NativeContainer(pid_t pid, UniqueFd pidfd, UniqueFd sync, UniqueFd status)
      : pid_(pid), pidfd_(std::move(pidfd)), sync_(std::move(sync)), status_(std::move(status)) {}
  ~NativeContainer() override { (void)Destroy(); }  // callers that care call Destroy first

  // Owns the container's cgroup from here on: Destroy() removes it after the processes.
  // joined_by_clone: clone3 put the child in the v2 group; born_in_groups: it was born in
  // every group (v1 too: ThreadInCgroup), so AwaitSetup moves nothing.
  void set_cgroup(std::unique_ptr<Cgroup> cgroup, bool joined_by_clone,
                  bool born_in_groups = false) {
    cgroup_ = std::move(cgroup);
    joined_by_clone_ = joined_by_clone;
    born_in_groups_ = born_in_groups;
  }

  // Runs the parent's half of the setup handshake; OK once the child waits at the gate.
  // idmap_root: the captured --rootfs tree to id-map once the child's maps are written (-1:
  // none; spec.idmap_rootfs).
  absl::Status AwaitSetup(const ContainerSpec& spec, bool exec, int idmap_root = -1) {
    if (cgroup_) {
      // v1 (and hybrid's v1 side): the child waits at step 4 (EnterCgroupInChild) until it
      // is in every group.
      if (!born_in_groups_) RETURN_IF_ERROR(cgroup_->AddProcess(pid_, joined_by_clone_));
      RETURN_IF_ERROR(SyncSend(sync_.get(), SyncKind::kCgroupReady));
    }
    if (spec.namespaces.user && spec.namespaces.user_path.empty() && !exec) {
      RETURN_IF_ERROR(SyncWaitFor(sync_.get(), SyncKind::kNeedIdMaps));
      RETURN_IF_ERROR(WriteIdMapsFromParent(pid_, spec.uid_mappings, spec.gid_mappings,
                                            /*deny_setgroups=*/::geteuid() != 0));
      if (idmap_root >= 0) {
        RETURN_IF_ERROR(IdmapRootTree(idmap_root, pid_, spec.rootfs, &warnings_));
      }
      RETURN_IF_ERROR(SyncSend(sync_.get(), SyncKind::kGo));
    }
    if (spec.process.terminal) {
      ASSIGN_OR_RETURN(console_, SyncWaitForFd(sync_.get(), SyncKind::kConsole));
    }
    return SyncWaitFor(sync_.get(), SyncKind::kReady);
  }

  absl::Status Detach() override {
    if (detached_) return absl::OkStatus();
    if (started_ && !reaped_) {  // a detached exec: running already, just let go
      detached_ = true;
      cgroup_.reset();
      pidfd_.Reset();
      status_.Reset();
      return absl::OkStatus();
    }
    if (!can_detach_) {
      return absl::FailedPreconditionError("container was created without a start socket");
    }
    if (started_) return absl::FailedPreconditionError("container already started");
    RETURN_IF_ERROR(SyncSend(sync_.get(), SyncKind::kDetach));
    RETURN_IF_ERROR(SyncWaitFor(sync_.get(), SyncKind::kReady));
    detached_ = true;
    // From now on the container is nobody's child to kill: forget it, keep the groups.
    if (cgroup_) cgroup_->Disown();
    cgroup_.reset();
    sync_.Reset();
    status_.Reset();
    pidfd_.Reset();
    return absl::OkStatus();
  }

  UniqueFd TakeConsole() override { return std::move(console_); }
  std::vector<std::string> cgroup_paths() const override {
    return cgroup_ ? cgroup_->paths() : cgroup_paths_;
  }
  void set_can_detach(bool b) { can_detach_ = b; }
  void drop_cgroup() { cgroup_.reset(); }
  void remember_cgroup_paths() {
    if (cgroup_) cgroup_paths_ = cgroup_->paths();
  }

  pid_t pid() const override { return pid_; }
  std::vector<std::string> warnings() const override { return warnings_; }
  void set_warnings(std::vector<std::string> w) { warnings_ = std::move(w); }
  int wait_fd() const override { return pidfd_.get(); }

  absl::Status Start() override {
    if (detached_) return absl::FailedPreconditionError("container is detached");
    if (started_) return absl::FailedPreconditionError("container already started");
    started_ = true;
    RETURN_IF_ERROR(SyncSend(sync_.get(), SyncKind::kGo));
    absl::Status exec = SyncWaitExec(sync_.get());
    sync_.Reset();
    return exec;
  }

  absl::StatusOr<ExitInfo> Wait() override {
    if (detached_) return absl::FailedPreconditionError("container is detached");
    if (reaped_) return exit_;
    siginfo_t si = {};
    if (RetryEintr([&] { return ::waitid(P_PIDFD, pidfd_.get(), &si, WEXITED); }) != 0) {
      return ErrnoStatus("waitid", absl::StrCat("pidfd of ", pid_));
    }
    reaped_ = true;
    int wstatus = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status & 0x7f;
    // With an init, its exit status is a copy; the workload's own wait status is on the pipe.
    int workload_status;
    if (status_.valid() && RetryEintr([&] {
                             return ::read(status_.get(), &workload_status, sizeof(int));
                           }) == sizeof(int)) {
      wstatus = workload_status;
    }
    exit_ = ExitInfo::FromWaitStatus(wstatus);
    // SIGKILL (or a shell's 137) plus an OOM kill counted in the container's cgroup: the
    // kernel's OOM killer did it, and the user should hear that, with the limit.
    bool killed = (exit_.kind == ExitInfo::Kind::kSignaled && exit_.signal == SIGKILL) ||
                  (exit_.kind == ExitInfo::Kind::kExited && exit_.code == 128 + SIGKILL);
    if (killed && cgroup_) {
      absl::StatusOr<uint64_t> ooms = cgroup_->OomKills();
      if (ooms.ok() && *ooms > 0) {
        exit_.kind = ExitInfo::Kind::kOom;
        exit_.signal = SIGKILL;
        exit_.memory_limit = cgroup_->memory_limit().value_or(0);
      }
    }
    // The container has ended (its init and with it the PID namespace are gone): its groups
    // go now, so the name is free again at once. A failure is Destroy()'s to report.
    if (cgroup_) (void)cgroup_->KillAndRemove();
    return exit_;
  }

  absl::Status Kill(int sig) override {
    if (detached_) return absl::FailedPreconditionError("container is detached");
    if (reaped_) return absl::FailedPreconditionError("container is not running");
    return PidfdSendSignal(pidfd_.get(), sig, pid_);  // OK too when it exited meanwhile
  }

  absl::Status Destroy() override {
    if (detached_) return absl::OkStatus();
    if (!reaped_ && pidfd_.valid()) {
      (void)PidfdSendSignalRaw(pidfd_.get(), SIGKILL);
      RETURN_IF_ERROR(Wait().status());
    }
    sync_.Reset();
    status_.Reset();
    // The init is gone and with it the PID namespace; whatever is left in the cgroup (a
    // process that joined some other way) is killed before the groups are removed.
    if (cgroup_) RETURN_IF_ERROR(cgroup_->KillAndRemove());
    return absl::OkStatus();
  }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  UniqueFd sync_;
  UniqueFd status_;
  bool started_ = false;
  bool reaped_ = false;
  ExitInfo exit_;
  std::vector<std::string> warnings_;
  UniqueFd console_;
  bool can_detach_ = false;
  bool detached_ = false;
  std::vector<std::string> cgroup_paths_;
  // Destroy() (run by our destructor) removes the groups; should it have failed, the
  // Cgroup's own destructor (first among the members) kills and removes them anyway.
  std::unique_ptr<Cgroup> cgroup_;
  bool joined_by_clone_ = false;
  bool born_in_groups_ = false;
};

// The container's cgroup, limits applied, before the child exists: a failure here leaves
// nothing (the Cgroup's destructor removes what it made). nullptr when it needs none (rootless
// without limits). The cgroup namespace is then the child's own unshare at step 4
// (EnterCgroupInChild), once it is in its groups.
absl::StatusOr<std::unique_ptr<Cgroup>> MakeContainerCgroup(const ContainerSpec& spec,
                                                            ChildPlan* plan) {
  ASSIGN_OR_RETURN(bool needs_cgroup, NeedsCgroup(spec, ::geteuid() == 0));
  if (!needs_cgroup) return std::unique_ptr<Cgroup>();
  ASSIGN_OR_RETURN(CgroupHierarchies hierarchies, DetectCgroupHierarchies());
  CgroupConfig config;
  config.parent = spec.cgroup_parent;
  config.name = CgroupNameOf(spec);
  config.resources = spec.resources;
  config.devices = ContainerDeviceRules();
  // config.json's linux.resources.devices (allow rules beyond the default list).
  for (const ResourcesSpec::DeviceAllow& d : spec.resources.device_allow) {
    config.devices.push_back({d.type, d.major, d.minor, d.access});
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> cgroup, CreateCgroup(hierarchies, config));
  plan->await_cgroup = true;
  plan->cgroup_namespace = spec.namespaces.cgroup;
  return cgroup;
}

// Namespaces joined by path: the child setns()es into them at step 3 (the fds, in the plan,
// stay open as long as the returned list); a PID namespace is joined here, for the child to
// be born in it (this process's own PID namespace does not change, only its children's:
// callers fork nothing else into it but hooks).
absl::StatusOr<std::vector<NamespaceToJoin>> JoinNamespacesByPath(const ContainerSpec& spec,
                                                                  ChildPlan* plan) {
  ASSIGN_OR_RETURN(std::vector<NamespaceToJoin> joins, OpenNamespacesToJoin(spec.namespaces));
  for (NamespaceToJoin& j : joins) {
    if (j.type == CLONE_NEWPID) {
      if (::setns(j.fd.get(), CLONE_NEWPID) != 0) {
        return ErrnoStatus("setns", absl::StrCat("pid namespace path '", j.path, "'"));
      }
      continue;
    }
    if (plan->n_join == ChildPlan::kMaxJoin) {  // one per type: cannot happen, never ignored
      return absl::InternalError(
          absl::StrCat("more than ", ChildPlan::kMaxJoin, " namespaces to join (", j.path, ")"));
    }
    plan->join_fd[plan->n_join] = j.fd.get();
    plan->join_type[plan->n_join] = j.type;
    ++plan->n_join;
  }
  return joins;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Container>> NativeBackend::Create(const ContainerSpec& spec,
                                                                 const CreateOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<ChildPlan> plan, BuildChildPlan(spec));
  // Detached (OCI create, run -d): the start gate is a socket in the state directory; the
  // child holds it (our copy closes when Create returns).
  UniqueFd start_listen;
  if (options.detached && options.state_dir_fd >= 0) {
    ASSIGN_OR_RETURN(start_listen, BindStartSocket(options.state_dir_fd));
  }
  plan->start_listen_fd = start_listen.get();
  // The --context copy, made before anything else exists: closed (freed) when Create returns,
  // by which time the child holds its own copy of the fd.
  const size_t mount_warnings = plan->mounts.warnings.size();
  ASSIGN_OR_RETURN(UniqueFd workspace, PrepareWorkspace(spec, &plan->mounts));
  plan->warnings.insert(plan->warnings.end(), plan->mounts.warnings.begin() + mount_warnings,
                        plan->mounts.warnings.end());
  // Root making a user namespace: the root and bind trees are captured here, with root's
  // access to the host's paths (the mapped root cannot traverse a 0700 directory). Otherwise
  // the child captures them itself: a rootless caller may not clone mounts of its own
  // namespace, and trees cloned in the child get their mount IDs in the spec's order
  // (mountinfo lists by ID), which the parent's clones would not.
  std::vector<UniqueFd> trees;
  int idmap_root = -1;
  if (spec.namespaces.user && ::geteuid() == 0) {
    ASSIGN_OR_RETURN(trees, CaptureHostTrees(spec, &plan->mounts));
    if (spec.idmap_rootfs) idmap_root = plan->mounts.root_fd;
  }
  plan->ReserveKeep();
  ASSIGN_OR_RETURN(SyncPair sync, SyncPair::Create());
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "init status");
  UniqueFd status_read(status_pipe[0]), status_write(status_pipe[1]);
  plan->sync_fd = sync.child.get();
  plan->status_fd = status_write.get();

  // The child starts with every signal blocked: nothing may kill or divert it half-way
  // through setup, and the init later collects them all with sigwaitinfo.
  // The cgroup exists, limits applied, before the child does: a failure here leaves nothing
  // (the Cgroup's destructor removes what it made).
  uint64_t clone_flags = CloneFlagsFor(spec.namespaces);
  ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> cgroup, MakeContainerCgroup(spec, plan.get()));
  if (cgroup) clone_flags &= ~static_cast<uint64_t>(CLONE_NEWCGROUP);  // the child's, at step 4
  int cgroup_fd = cgroup ? cgroup->clone_into_fd() : -1;

  // Held open until the clone: the child setns()es into them.
  ASSIGN_OR_RETURN(std::vector<NamespaceToJoin> joins, JoinNamespacesByPath(spec, plan.get()));

  // v1 (hybrid's v1 side): this thread steps into the container's groups for the clone, so
  // that the child is born in them as CLONE_INTO_CGROUP makes it on v2, and the parent
  // writes no cgroup.procs (each first write of a while waits for an RCU grace period,
  // 5-10 ms here: cgroup.h). Where the thread cannot enter, AwaitSetup moves the child.
  ThreadInCgroup stay;
  if (cgroup) {
    absl::StatusOr<ThreadInCgroup> entered = cgroup->EnterCallingThread();
    if (entered.ok()) stay = *std::move(entered);
  }
  bool born_in_groups = cgroup && stay.entered();

  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);
  int pidfd_raw = -1;
  // Linux < 5.7: no CLONE_INTO_CGROUP (cgroup_fd -1 then); AddProcess writes cgroup.procs.
  pid_t pid = Clone3(clone_flags, &pidfd_raw, &cgroup_fd);  // lint: own process (the container)
  if (pid == 0) ContainInChild(*plan);                      // never returns
  int clone_errno = errno;
  // Out of the groups before anything else: until then this process is one of the
  // container's (its cgroup.procs lists it), and a pids limit counts the thread.
  absl::Status left = stay.Leave();
  if (pid < 0 && born_in_groups && left.ok()) {
    // EAGAIN: a pids limit of 1 has no room for the thread and the child; clone outside.
    born_in_groups = false;
    pid = Clone3(clone_flags, &pidfd_raw, &cgroup_fd);  // lint: own process (the container)
    if (pid == 0) ContainInChild(*plan);                // never returns
    clone_errno = errno;
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return ErrnoStatus("clone3", "new namespaces", clone_errno);

  sync.child.Reset();
  status_write.Reset();
  auto container = std::make_unique<NativeContainer>(
      pid, UniqueFd(pidfd_raw), std::move(sync.parent), std::move(status_read));
  // Born in the v2 group too, or there is none (v1 only); else AddProcess moves it there.
  born_in_groups = born_in_groups && (cgroup_fd >= 0 || cgroup->clone_into_fd() < 0);
  if (cgroup) {
    container->set_cgroup(std::move(cgroup), /*joined_by_clone=*/cgroup_fd >= 0, born_in_groups);
  }
  // Still in a group (neither its old one nor the hierarchy's root took it back): fail;
  // the container's destructor kills the child (never this process: cgroup.cc).
  RETURN_IF_ERROR(left);
  container->set_can_detach(start_listen.valid());
  // On an error, the container's destructor kills and reaps the child.
  RETURN_IF_ERROR(container->AwaitSetup(spec, /*exec=*/false, idmap_root));
  plan->warnings.insert(plan->warnings.end(), container->warnings().begin(),
                        container->warnings().end());
  container->set_warnings(std::move(plan->warnings));
  return container;
}

absl::StatusOr<std::unique_ptr<Container>> NativeBackend::Exec(const ContainerSpec& spec,
                                                               const ContainerRef& ref,
                                                               bool detached) {
  const pid_t pid = ref.pid;
  const int pidfd = ref.pidfd;
  if (pidfd < 0) return absl::FailedPreconditionError("the container is not running");
  ASSIGN_OR_RETURN(std::unique_ptr<ChildPlan> plan, BuildChildPlan(spec, /*for_exec=*/true));
  plan->die_with_parent = !detached;
  ASSIGN_OR_RETURN(SyncPair sync, SyncPair::Create());
  plan->sync_fd = sync.child.get();
  // setns with a pidfd joins all the flagged namespaces at once, the user namespace first.
  ASSIGN_OR_RETURN(
      int differing,
      NamespacesDifferingFrom(pid, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                       CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID));
  plan->join_fd[0] = pidfd;
  plan->join_type[0] = differing & ~CLONE_NEWPID;
  plan->n_join = 1;
  if ((differing & CLONE_NEWPID) && ::setns(pidfd, CLONE_NEWPID) != 0) {
    return ErrnoStatus("setns", "the container's PID namespace");
  }
  // The container's own groups (a view: they stay when the process ends).
  std::unique_ptr<Cgroup> cgroup;
  if (!spec.cgroup_parent.empty()) {
    ASSIGN_OR_RETURN(CgroupHierarchies hierarchies, DetectCgroupHierarchies());
    absl::StatusOr<std::unique_ptr<Cgroup>> cg =
        OpenCgroup(hierarchies, spec.cgroup_parent, CgroupNameOf(spec));
    if (cg.ok()) {
      cgroup = *std::move(cg);
      plan->await_cgroup = true;
    } else if (!absl::IsNotFound(cg.status())) {
      return cg.status();
    }
  }
  int cgroup_fd = cgroup ? cgroup->clone_into_fd() : -1;
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);
  int pidfd_raw = -1;
  pid_t child = Clone3(0, &pidfd_raw, &cgroup_fd);  // lint: own process (the container)
  if (child == 0) ContainInChild(*plan);            // never returns
  int clone_errno = errno;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (child < 0) return ErrnoStatus("clone3", "exec", clone_errno);
  sync.child.Reset();
  auto process = std::make_unique<NativeContainer>(child, UniqueFd(pidfd_raw),
                                                   std::move(sync.parent), UniqueFd());
  if (cgroup) {
    process->set_cgroup(std::move(cgroup), /*joined_by_clone=*/cgroup_fd >= 0);
  }
  absl::Status st = process->AwaitSetup(spec, /*exec=*/true);
  // The groups are the container's: this process must never kill or remove them.
  process->drop_cgroup();
  if (!st.ok()) return st;
  process->set_warnings(std::move(plan->warnings));
  return std::unique_ptr<Container>(std::move(process));
}

absl::Status NativeBackend::StartCreated(const ContainerRef& ref, int* exit_code) {
  return StartDetached(ref.state_dir_fd, exit_code);
}

absl::Status NativeBackend::Signal(const ContainerRef& ref, int sig, bool all) {
  if (ref.pidfd < 0) return absl::OkStatus();
  const ContainerSpec& spec = *ref.spec;
  std::unique_ptr<Cgroup> cgroup;
  if (all && !spec.cgroup_parent.empty()) {
    ASSIGN_OR_RETURN(CgroupHierarchies h, DetectCgroupHierarchies());
    absl::StatusOr<std::unique_ptr<Cgroup>> cg =
        OpenCgroup(h, spec.cgroup_parent, CgroupNameOf(spec));
    if (cg.ok()) cgroup = *std::move(cg);
  }
  if (cgroup) {
    // A pid read from cgroup.procs may exit and be reused before the signal: each one is
    // opened as a pidfd, then checked to be still a member, then signalled through it.
    absl::StatusOr<std::vector<pid_t>> pids = cgroup->Processes();
    if (pids.ok()) {
      for (pid_t p : *pids) {
        UniqueFd fd(PidfdOpenRaw(p));
        if (!fd.valid()) continue;
        absl::StatusOr<std::vector<pid_t>> again = cgroup->Processes();
        if (!again.ok() || std::find(again->begin(), again->end(), p) == again->end()) continue;
        (void)PidfdSendSignalRaw(fd.get(), sig);
      }
    }
  }
  return PidfdSendSignal(ref.pidfd, sig, ref.pid);
}

namespace {

// The start socket's address: through the directory's fd, since the state root may be
// longer than sun_path allows.
struct sockaddr_un StartSocketAddress(int dir_fd) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::string path = absl::StrCat("/proc/self/fd/", dir_fd, "/", kStartSocketName);
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  return addr;
}

}  // namespace

absl::StatusOr<UniqueFd> BindStartSocket(int dir_fd) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return ErrnoStatus("socket", "start socket");
  struct sockaddr_un addr = StartSocketAddress(dir_fd);
  (void)::unlinkat(dir_fd, kStartSocketName, 0);  // left by an interrupted create
  if (::bind(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoStatus("bind", kStartSocketName);
  }
  if (::listen(sock.get(), 8) != 0) return ErrnoStatus("listen", kStartSocketName);
  return sock;
}

absl::Status StartDetached(int dir_fd, int* exit_code) {
  if (exit_code) *exit_code = kExitCodeNucleus;
  UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return ErrnoStatus("socket", "start socket");
  struct sockaddr_un addr = StartSocketAddress(dir_fd);
  if (RetryEintr([&] {
        return ::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
      }) != 0) {
    if (errno == ECONNREFUSED || errno == ENOENT) {
      return absl::FailedPreconditionError("the container's process is not waiting to start");
    }
    return ErrnoStatus("connect", kStartSocketName);
  }
  RETURN_IF_ERROR(SyncSend(sock.get(), SyncKind::kGo));
  int code = 0;
  absl::Status st = SyncWaitExec(sock.get(), &code);
  if (!st.ok() && exit_code) *exit_code = code;
  if (st.ok()) (void)::unlinkat(dir_fd, kStartSocketName, 0);
  return st;
}

}  // namespace nucleus
