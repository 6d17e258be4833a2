#include "runtime/lifecycle/lifecycle.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/audit/audit.h"
#include "runtime/backends.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/layout.h"
#include "runtime/hooks.h"
#include "runtime/procfs.h"
#include "runtime/signals.h"
#include "runtime/rootfs/default_root.h"
#include "runtime/workspace/context.h"
#include "runtime/spec/oci_config.h"
#include "runtime/state/ids.h"
#include "runtime/state/liveness.h"
#include "runtime/util/console.h"
#include "runtime/util/pidfd.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

constexpr absl::Duration kLockTimeout = absl::Seconds(30);
constexpr size_t kMaxConfigBytes = 4 << 20;

// Alive: the recorded process still exists (same start time) and is not a zombie.
bool IsAlive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  absl::StatusOr<ProcStat> st = ReadProcStat(pid);
  if (!st.ok()) return false;
  return st->starttime == start_time && st->state != 'Z' && st->state != 'X';
}

// Kills what is left in the container's groups and removes them (nothing: OK).
absl::Status RemoveContainerCgroup(const ContainerSpec& spec, bool only_if_unheld = false) {
  if (spec.cgroup_parent.empty()) return absl::OkStatus();
  absl::StatusOr<CgroupHierarchies> h = DetectCgroupHierarchies();
  if (!h.ok()) return h.status();
  absl::StatusOr<std::unique_ptr<Cgroup>> cg =
      OpenCgroup(*h, spec.cgroup_parent, CgroupNameOf(spec));
  if (absl::IsNotFound(cg.status())) return absl::OkStatus();
  if (!cg.ok()) return cg.status();
  if (only_if_unheld) {
    absl::StatusOr<bool> free = (*cg)->TryLock();
    if (!free.ok() || !*free) return absl::OkStatus();
  }
  return (*cg)->KillAndRemove();
}

constexpr absl::Duration kFreezeTimeout = absl::Seconds(5);

// The container's own group (cgroup.h view); FailedPrecondition when it has none (its
// create recorded no group: a rootless container) or the group is gone.
absl::StatusOr<std::unique_ptr<Cgroup>> OpenContainerCgroup(const ContainerSpec& spec,
                                                            const ContainerState& state,
                                                            const std::string& id,
                                                            const char* what) {
  if (spec.cgroup_parent.empty() || state.cgroup_paths.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", id, " has no cgroup (a rootless container): ", what,
                     " needs one (run nucleus as root)"));
  }
  ASSIGN_OR_RETURN(CgroupHierarchies h, DetectCgroupHierarchies());
  absl::StatusOr<std::unique_ptr<Cgroup>> cg =
      OpenCgroup(h, spec.cgroup_parent, CgroupNameOf(spec));
  if (absl::IsNotFound(cg.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", id, ": its cgroup is gone (", cg.status().message(), ")"));
  }
  return cg;
}

// Thaws a paused container's group (after a SIGKILL, so that it can die); best effort.
void ThawForKill(const ContainerSpec& spec, const ContainerState& state, const std::string& id) {
  absl::StatusOr<std::unique_ptr<Cgroup>> cg = OpenContainerCgroup(spec, state, id, "thaw");
  if (cg.ok()) (void)(*cg)->Freeze(false, kFreezeTimeout);
}

ExitRecord ToExitRecord(const ExitInfo& info) {
  ExitRecord r;
  switch (info.kind) {
    case ExitInfo::Kind::kExited:
      r.kind = ExitRecord::Kind::kExited;
      r.code = info.code & 0xff;
      break;
    case ExitInfo::Kind::kSignaled:
      r.kind = ExitRecord::Kind::kSignaled;
      break;
    case ExitInfo::Kind::kOom:
      r.kind = ExitRecord::Kind::kOom;
      break;
    case ExitInfo::Kind::kSeccompKill:
      r.kind = ExitRecord::Kind::kSeccompKill;
      break;
    case ExitInfo::Kind::kTimeout:
      r.kind = ExitRecord::Kind::kTimeout;
      break;
  }
  if (r.kind != ExitRecord::Kind::kExited) r.signal = info.signal > 0 ? info.signal : SIGKILL;
  r.reason = info.Describe();
  return r;
}

ContainerState InitialState(const ContainerSpec& spec, const std::string& name) {
  ContainerState st;
  st.id = spec.id;
  st.name = name;
  st.status = ContainerStatus::kCreating;
  st.bundle = spec.bundle.empty() ? "/" : spec.bundle;
  st.rootfs = spec.rootfs;
  for (const auto& [k, v] : spec.annotations) st.annotations[k] = v;
  st.created = absl::Now();
  st.backend = spec.backend == ContainerSpec::BackendKind::kGvisor ? StateBackend::kGvisor
                                                                   : StateBackend::kNative;
  return st;
}

// `spec` as it runs: a bound --context's excluded entries masked (runtime/workspace/
// context.h), laid out on the default root when it asks for one (runtime/rootfs/
// default_root.h).
absl::StatusOr<ContainerSpec> PrepareRoot(const ContainerSpec& spec) {
  ContainerSpec out = spec;
  RETURN_IF_ERROR(MaskBoundContext(&out));
  if (!WantsDefaultRoot(out)) return out;
  return LayOutDefaultRoot(out);
}

// Registers the container: its directory, config.json and the "creating" state, before
// anything else exists on the host. Returns the lock, held.
absl::StatusOr<ContainerLock> Register(StateStore& store, const ContainerSpec& spec,
                                       const ContainerState& st, bool durable) {
  ASSIGN_OR_RETURN(ContainerLock lock, store.Create(spec.id, durable));
  absl::Status saved = store.WriteFile(lock, kConfigFileName, ToOciConfigJson(spec), durable);
  if (saved.ok()) saved = store.Save(lock, st, durable);
  if (!saved.ok()) {
    // cleanup on an error path: the error returned is the first.
    (void)store.Remove(std::move(lock));
    return saved;
  }
  return lock;
}

// "/sys/fs/cgroup/memory/nucleus/web" -> "memory" (v2's own mount: "unified" on hybrid
// hosts, "" -> "unified" on pure v2, where the path is directly below /sys/fs/cgroup).
std::string HierarchyName(const std::string& path) {
  absl::string_view p = path;
  if (!absl::ConsumePrefix(&p, "/sys/fs/cgroup/")) return path;
  size_t slash = p.find('/');
  std::string first(p.substr(0, slash));
  static const char* const kV1[] = {"memory",      "cpu",     "cpuacct",  "cpuset",  "pids",
                                    "blkio",       "devices", "freezer",  "unified", "systemd",
                                    "cpu,cpuacct", "net_cls", "net_prio", "hugetlb"};
  for (const char* k : kV1) {
    if (first == k) return first;
  }
  return "unified";
}

// Whether pid's parent, or its parent's parent, is a nucleus (this binary): a `run` or
// `run -d` monitor, which records the container's end itself. (gvisor: the recorded pid is
// the sandbox, a child of the monitor's `runsc run`.)
bool MonitoredByNucleus(pid_t pid) {
  char self[PATH_MAX] = {0};
  if (::readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0) return false;
  for (int level = 0; level < 2; ++level) {
    absl::StatusOr<ProcStat> st = ReadProcStat(pid);
    if (!st.ok() || st->ppid <= 1) return false;
    char parent[PATH_MAX] = {0};
    std::string link = absl::StrCat("/proc/", st->ppid, "/exe");
    if (::readlink(link.c_str(), parent, sizeof(parent) - 1) > 0 && strcmp(self, parent) == 0) {
      return true;
    }
    pid = st->ppid;
  }
  return false;
}

// The namespaces of pid that differ from ours, for hooks that run in the container's.
// with_mount false (createContainer): runc runs those hooks in the container's namespaces
// before pivot_root, where the path and the host's files still resolve; nucleus's container
// has pivoted by then, so the hook keeps the runtime's mount namespace and joins the rest.
absl::StatusOr<HookNamespaces> ContainerNamespaces(pid_t pid, int pidfd, bool with_mount) {
  HookNamespaces ns;
  ns.pidfd = pidfd;
  ASSIGN_OR_RETURN(ns.flags,
                   NamespacesDifferingFrom(pid, CLONE_NEWUSER | (with_mount ? CLONE_NEWNS : 0) |
                                                    CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                                                    CLONE_NEWCGROUP | CLONE_NEWPID));
  return ns;
}

std::string JoinRedactedEnv(const std::vector<std::string>& env) {
  std::string out;
  for (const std::string& kv : env) absl::StrAppend(&out, out.empty() ? "" : " ", RedactEnv(kv));
  return out;
}

// The audit events of a container that now exists, waiting at its start gate.
void AuditCreated(const ContainerSpec& spec, const std::string& name, const Backend& backend,
                  const Container& c) {
  AuditLog& log = AuditLog::Global();
  if (!log.enabled()) return;
  log.Emit("created", spec.id, name,
           {{"pid", absl::StrCat(c.pid())},
            {"backend", backend.name()},
            {"command", RedactedCommandLine(spec.process.args)},
            {"env", JoinRedactedEnv(spec.process.env)},
            {"rootfs", spec.rootfs.empty() ? "host /, read-only" : spec.rootfs},
            {"user", absl::StrCat(spec.process.uid, ":", spec.process.gid)}});
  for (const std::string& w : c.warnings()) log.Emit("degraded", spec.id, name, {{"warning", w}});
  if (!spec.seccomp) {
    log.Emit("unconfined", spec.id, name, {{"what", "seccomp"}, {"why", "no seccomp profile"}});
  }
  if (spec.landlock.mode == LandlockSpec::Mode::kOff) {
    log.Emit("unconfined", spec.id, name, {{"what", "landlock"}, {"why", "landlock off"}});
  }
  if (spec.init) log.Emit("init-started", spec.id, name, {{"pid", absl::StrCat(c.pid())}});
}

void AuditExit(const ContainerSpec& spec, const std::string& name, const ExitInfo& info) {
  AuditLog& log = AuditLog::Global();
  if (info.kind == ExitInfo::Kind::kOom) {
    log.Emit("oom-killed", spec.id, name, {{"memory_limit", absl::StrCat(info.memory_limit)}});
  } else if (info.kind == ExitInfo::Kind::kSignaled) {
    log.Emit("killed", spec.id, name, {{"signal", SignalName(info.signal)}});
  }
  log.Emit("exited", spec.id, name,
           {{"status", absl::StrCat(info.ExitStatus())}, {"reason", info.Describe()}});
}

absl::Status Prefix(const absl::Status& st, const std::string& id) {
  if (st.ok()) return st;
  return absl::Status(st.code(), absl::StrCat("container ", id, ": ", st.message()));
}

// Records that a person ended the container (`stop`, `kill` TERM/KILL), before the signal
// goes out: its monitor must not restart it (--restart), also when it is between restarts.
absl::Status RequestStop(StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(ContainerLock lock, store.Lock(id, kLockTimeout));
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  if (st.stop_requested) return absl::OkStatus();
  st.stop_requested = true;
  return store.Save(lock, st);
}

}  // namespace

namespace {
BackendFactory& TestFactory() {
  static BackendFactory* factory = new BackendFactory();
  return *factory;
}
}  // namespace

void SetBackendFactoryForTesting(BackendFactory factory) { TestFactory() = std::move(factory); }

std::unique_ptr<Backend> BackendFor(const ContainerSpec& spec) {
  if (TestFactory()) return TestFactory()(spec);
  // kAuto only reaches here from a spec the front end did not resolve (it warns there).
  ContainerSpec::BackendKind kind = spec.backend == ContainerSpec::BackendKind::kAuto
                                        ? ResolveBackend(spec.backend, nullptr)
                                        : spec.backend;
  return *MakeBackend(kind);
}

ContainerRef RefOf(const StateStore& store, const ContainerSpec& spec, pid_t pid, int dir_fd,
                   int pidfd) {
  ContainerRef ref;
  ref.spec = &spec;
  ref.state_dir_fd = dir_fd;
  ref.state_dir = store.ContainerDirPath(spec.id);
  ref.pid = pid;
  ref.pidfd = pidfd;
  return ref;
}

absl::Status WritePidFile(const std::string& path, pid_t pid) {
  std::string tmp = absl::StrCat(path, ".nucleus-tmp");
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoStatus("open", tmp);
  std::string text = absl::StrCat(pid);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return ErrnoStatus("write", tmp);
  }
  fd.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename", path);
  return absl::OkStatus();
}

ContainerStatus CurrentStatus(const StateStore& store, const ContainerState& state) {
  switch (state.status) {
    case ContainerStatus::kStopped:
      return ContainerStatus::kStopped;
    case ContainerStatus::kCreating:
      if (state.pid > 0) {
        return IsAlive(state.pid, state.pid_start_time) ? ContainerStatus::kCreating
                                                        : ContainerStatus::kStopped;
      } else {
        // No process yet: a create in progress holds the lock; a crashed one does not.
        absl::StatusOr<ContainerLock> lock =
            const_cast<StateStore&>(store).Lock(state.id, absl::ZeroDuration());
        return lock.ok() ? ContainerStatus::kStopped : ContainerStatus::kCreating;
      }
    default:
      return IsAlive(state.pid, state.pid_start_time) ? state.status : ContainerStatus::kStopped;
  }
}

absl::StatusOr<std::string> ResolveContainer(const StateStore& store, const std::string& ref) {
  if (ValidateContainerId(ref).ok() && store.OpenContainerDir(ref).ok()) return ref;
  ASSIGN_OR_RETURN(StateList list, store.List());
  std::vector<KnownContainer> known;
  for (const ContainerState& s : list.states) known.push_back({s.id, s.name});
  for (const BrokenEntry& b : list.broken) known.push_back({b.name, ""});
  absl::StatusOr<std::string> id = ResolveContainerRef(ref, known);
  if (absl::IsNotFound(id.status())) {
    return absl::NotFoundError(absl::StrCat("container '", ref, "' does not exist"));
  }
  return id;
}

absl::StatusOr<ContainerSpec> LoadContainerSpec(const StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(std::string text, store.ReadFile(id, kConfigFileName, kMaxConfigBytes));
  absl::StatusOr<ContainerState> st = store.Load(id);
  std::string bundle = st.ok() ? st->bundle : "/";
  absl::StatusOr<OciConfig> config = ParseOciConfig(text, bundle);
  if (!config.ok()) return Prefix(config.status(), id);
  config->spec.id = id;
  return std::move(config->spec);
}

absl::StatusOr<ContainerState> CreateDetached(StateStore& store, const ContainerSpec& asked,
                                              const CreateRequest& req,
                                              std::vector<std::string>* warnings) {
  ContainerState st = InitialState(asked, req.name);
  ASSIGN_OR_RETURN(ContainerSpec spec, PrepareRoot(asked));
  ASSIGN_OR_RETURN(ContainerLock lock, Register(store, spec, st, /*durable=*/true));
  std::unique_ptr<Backend> backend = BackendFor(spec);
  std::unique_ptr<Container> container;
  bool detached = false, hooks_ran = false, done = false;
  absl::Cleanup undo = [&] {
    if (done) return;
    // Only what this create made: the container (and with it the cgroup its backend
    // created), never a group that was there before (a create that failed because the
    // group exists must not touch its owner's).
    if (container && !detached) (void)container->Destroy();
    container.reset();
    if (detached) {
      // cleanup on an error path: the error returned is the first.
      (void)backend->Remove(RefOf(store, spec, st.pid, lock.dir_fd(), -1));
      (void)RemoveContainerCgroup(spec);  // the first error is returned
    }
    if (hooks_ran) {  // runtime-spec: a failed create hook continues at poststop
      ContainerState stopped = st;
      stopped.status = ContainerStatus::kStopped;
      std::vector<std::string> w =
          RunHooksBestEffort(spec.hooks.poststop, "poststop", ToOciStateJson(stopped));
      if (warnings) warnings->insert(warnings->end(), w.begin(), w.end());
    }
    // cleanup on an error path: the error returned is the first.
    (void)store.Remove(std::move(lock));
  };
  CreateOptions options;
  options.state_dir_fd = lock.dir_fd();
  options.state_dir = store.ContainerDirPath(spec.id);
  options.detached = true;
  ASSIGN_OR_RETURN(container, backend->Create(spec, options));
  AuditCreated(spec, req.name, *backend, *container);
  if (warnings) {
    for (const std::string& w : container->warnings()) warnings->push_back(w);
  }
  st.pid = container->pid();
  ASSIGN_OR_RETURN(st.pid_start_time, ReadStartTime(st.pid));
  for (const std::string& p : container->cgroup_paths()) st.cgroup_paths[HierarchyName(p)] = p;
  RETURN_IF_ERROR(store.Save(lock, st));
  if (spec.process.terminal) {
    UniqueFd console = container->TakeConsole();
    if (req.console_socket.empty()) {
      return absl::InvalidArgumentError(
          "process.terminal is set but no --console-socket was given");
    }
    RETURN_IF_ERROR(SendConsoleFd(req.console_socket, console.get(), "/dev/pts/0"));
  }
  const std::string state_json = ToOciStateJson(st);
  hooks_ran = true;
  RETURN_IF_ERROR(RunHooks(spec.hooks.prestart, "prestart", state_json));
  RETURN_IF_ERROR(RunHooks(spec.hooks.create_runtime, "createRuntime", state_json));
  if (!spec.hooks.create_container.empty()) {
    // Our own child until Detach(): its pid cannot have been reused.
    ASSIGN_OR_RETURN(UniqueFd pidfd, PidfdOpen(st.pid));
    ASSIGN_OR_RETURN(HookNamespaces ns,
                     ContainerNamespaces(st.pid, pidfd.get(), /*with_mount=*/false));
    RETURN_IF_ERROR(RunHooks(spec.hooks.create_container, "createContainer", state_json, &ns));
  }
  RETURN_IF_ERROR(container->Detach());
  detached = true;
  st.status = ContainerStatus::kCreated;
  RETURN_IF_ERROR(store.Save(lock, st));
  if (!req.pid_file.empty()) RETURN_IF_ERROR(WritePidFile(req.pid_file, st.pid));
  done = true;
  return st;
}

absl::Status StartCreated(StateStore& store, const std::string& id, int* exit_code) {
  ASSIGN_OR_RETURN(ContainerLock lock, store.Lock(id, kLockTimeout));
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  ContainerStatus now = CurrentStatus(store, st);
  if (now != ContainerStatus::kCreated) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", id, " is ", ContainerStatusName(now), ", not created: cannot start it"));
  }
  ASSIGN_OR_RETURN(ContainerSpec spec, LoadContainerSpec(store, id));
  absl::Status hook = absl::OkStatus();
  if (!spec.hooks.start_container.empty()) {
    absl::StatusOr<UniqueFd> pidfd = OpenVerifiedPidfd(st.pid, st.pid_start_time);
    if (!pidfd.ok()) return Prefix(pidfd.status(), id);
    absl::StatusOr<HookNamespaces> ns =
        ContainerNamespaces(st.pid, pidfd->get(), /*with_mount=*/true);
    hook = ns.ok()
               ? RunHooks(spec.hooks.start_container, "startContainer", ToOciStateJson(st), &*ns)
               : ns.status();
  }
  if (!hook.ok()) {
    // runtime-spec: a failed startContainer hook stops the container.
    absl::StatusOr<UniqueFd> pidfd = OpenVerifiedPidfd(st.pid, st.pid_start_time);
    if (pidfd.ok()) {
      (void)PidfdSendSignalRaw(pidfd->get(), SIGKILL);
      (void)WaitExited(pidfd->get(), absl::Seconds(10));
    }
    st.status = ContainerStatus::kStopped;
    // cleanup on an error path: the error returned is the first.
    (void)store.Save(lock, st);
    return Prefix(hook, id);
  }
  absl::Status started =
      BackendFor(spec)->StartCreated(RefOf(store, spec, st.pid, lock.dir_fd(), -1), exit_code);
  if (!started.ok()) {
    st.status = ContainerStatus::kStopped;
    // cleanup on an error path: the error returned is the first.
    (void)store.Save(lock, st);
    return Prefix(started, id);
  }
  st.status = ContainerStatus::kRunning;
  RETURN_IF_ERROR(store.Save(lock, st));
  AuditLog::Global().Emit("started", id, st.name, {{"pid", absl::StrCat(st.pid)}});
  for (const std::string& w :
       RunHooksBestEffort(spec.hooks.poststart, "poststart", ToOciStateJson(st))) {
    fprintf(stderr, "nucleus: warning: %s\n", w.c_str());
  }
  return absl::OkStatus();
}

absl::Status KillContainer(StateStore& store, const std::string& id, int sig, bool all) {
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  ContainerStatus now = CurrentStatus(store, st);
  if (now == ContainerStatus::kStopped || st.pid <= 0) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " is not running"));
  }
  absl::StatusOr<UniqueFd> pidfd = OpenVerifiedPidfd(st.pid, st.pid_start_time);
  if (absl::IsNotFound(pidfd.status())) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " is not running"));
  }
  if (!pidfd.ok()) return Prefix(pidfd.status(), id);
  ASSIGN_OR_RETURN(ContainerSpec spec, LoadContainerSpec(store, id));
  ASSIGN_OR_RETURN(UniqueFd dir, store.OpenContainerDir(id));
  const bool paused = now == ContainerStatus::kPaused;
  if (paused && spec.backend == ContainerSpec::BackendKind::kGvisor) {
    // runsc delivers signals through the sandbox, which is frozen: it would wait forever.
    if (sig != SIGKILL) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", id, " is paused (gVisor): resume it first, or send SIGKILL"));
    }
    ThawForKill(spec, st, id);
  }
  // docker's rule: the stop signals end a restarting container for good, others do not.
  if (sig == SIGKILL || sig == SIGTERM) RETURN_IF_ERROR(Prefix(RequestStop(store, id), id));
  RETURN_IF_ERROR(Prefix(
      BackendFor(spec)->Signal(RefOf(store, spec, st.pid, dir.get(), pidfd->get()), sig, all), id));
  // runc's: a frozen task dies only once thawed (cgroup v1); other signals stay pending
  // until `resume`.
  if (paused && sig == SIGKILL) ThawForKill(spec, st, id);
  AuditLog::Global().Emit("signal-sent", id, st.name,
                          {{"signal", SignalName(sig)}, {"all", all ? "true" : "false"}});
  return absl::OkStatus();
}

absl::Status StopContainer(StateStore& store, const std::string& id, absl::Duration timeout,
                           int sig) {
  RETURN_IF_ERROR(Prefix(RequestStop(store, id), id));
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  if (CurrentStatus(store, st) == ContainerStatus::kStopped) return absl::OkStatus();
  absl::StatusOr<UniqueFd> pidfd = OpenVerifiedPidfd(st.pid, st.pid_start_time);
  if (absl::IsNotFound(pidfd.status())) return absl::OkStatus();
  if (!pidfd.ok()) return Prefix(pidfd.status(), id);
  const bool monitored = MonitoredByNucleus(st.pid);
  ASSIGN_OR_RETURN(ContainerSpec spec, LoadContainerSpec(store, id));
  ASSIGN_OR_RETURN(UniqueFd dir, store.OpenContainerDir(id));
  RETURN_IF_ERROR(Prefix(
      BackendFor(spec)->Signal(RefOf(store, spec, st.pid, dir.get(), pidfd->get()), sig, false),
      id));
  AuditLog::Global().Emit("signal-sent", id, st.name,
                          {{"signal", SignalName(sig)}, {"by", "stop"}});
  if (!WaitExited(pidfd->get(), timeout)) {
    (void)PidfdSendSignalRaw(pidfd->get(), SIGKILL);
    if (!WaitExited(pidfd->get(), absl::Seconds(10))) {
      return absl::DeadlineExceededError(
          absl::StrCat("container ", id, ": still running 10 s after SIGKILL"));
    }
  }
  // A container run by a nucleus (run, run -d) has its end recorded by it: give it a moment,
  // so that what `stop` returns to is a state that says how it ended.
  absl::Time deadline = absl::Now() + (monitored ? absl::Seconds(2) : absl::ZeroDuration());
  while (absl::Now() < deadline) {
    absl::StatusOr<ContainerState> now = store.Load(id);
    if (!now.ok() || now->status == ContainerStatus::kStopped ||
        now->status == ContainerStatus::kCreated) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::OkStatus();
}

absl::Status DeleteContainer(StateStore& store, const std::string& id, bool force,
                             std::vector<std::string>* warnings) {
  ASSIGN_OR_RETURN(ContainerLock lock, store.Lock(id, kLockTimeout));
  absl::StatusOr<ContainerState> st = store.Load(id);
  // A broken or missing state.json (a crash before the first Save): still removable.
  ContainerStatus now = st.ok() ? CurrentStatus(store, *st) : ContainerStatus::kStopped;
  if (st.ok() && now == ContainerStatus::kCreating && st->pid == 0) now = ContainerStatus::kStopped;
  if (now == ContainerStatus::kRunning || now == ContainerStatus::kPaused ||
      now == ContainerStatus::kCreating) {
    if (!force) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot delete container ", id,
                       " that is not stopped: ", ContainerStatusName(now), " (use --force)"));
    }
  }
  if (st.ok() && now != ContainerStatus::kStopped) {
    absl::StatusOr<UniqueFd> pidfd = OpenVerifiedPidfd(st->pid, st->pid_start_time);
    if (pidfd.ok()) {
      (void)PidfdSendSignalRaw(pidfd->get(), SIGKILL);
      if (now == ContainerStatus::kPaused) {
        absl::StatusOr<ContainerSpec> paused_spec = LoadContainerSpec(store, id);
        if (paused_spec.ok()) ThawForKill(*paused_spec, *st, id);
      }
      if (!WaitExited(pidfd->get(), absl::Seconds(10))) {
        return absl::DeadlineExceededError(
            absl::StrCat("container ", id, ": still running 10 s after SIGKILL"));
      }
    } else if (!absl::IsNotFound(pidfd.status())) {
      return Prefix(pidfd.status(), id);
    }
  }
  absl::StatusOr<ContainerSpec> spec = LoadContainerSpec(store, id);
  if (spec.ok()) {
    absl::Status removed = BackendFor(*spec)->Remove(
        RefOf(store, *spec, st.ok() ? st->pid : 0, lock.dir_fd(), /*pidfd=*/-1));
    if (!removed.ok()) return Prefix(removed, id);
    // The group is this container's once its create recorded it. Without that record (a
    // create killed half-way) only a group no live nucleus holds is taken: one with the
    // same name made by a running `nucleus run` is someone else's.
    const bool recorded = st.ok() && !st->cgroup_paths.empty();
    absl::Status cg = RemoveContainerCgroup(*spec, /*only_if_unheld=*/!recorded);
    if (!cg.ok()) return Prefix(cg, id);
    if (st.ok()) {
      ContainerState stopped = *st;
      stopped.status = ContainerStatus::kStopped;
      std::vector<std::string> w =
          RunHooksBestEffort(spec->hooks.poststop, "poststop", ToOciStateJson(stopped));
      if (warnings) warnings->insert(warnings->end(), w.begin(), w.end());
    }
  } else if (!absl::IsNotFound(spec.status()) && warnings) {
    warnings->push_back(absl::StrCat("container ", id, ": ", spec.status().message(),
                                     "; its cgroup (if any) is left to `nucleus gc`"));
  }
  absl::Status removed = store.Remove(std::move(lock));
  if (removed.ok()) {
    AuditLog::Global().Emit("deleted", id, st.ok() ? st->name : "",
                            {{"force", force ? "true" : "false"}});
  }
  return Prefix(removed, id);
}

std::vector<std::string> ReapAbandonedRuns(StateStore& store, std::vector<std::string>* warnings) {
  std::vector<std::string> reaped;
  absl::StatusOr<std::vector<std::string>> ids = store.AbandonedIds();
  if (!ids.ok()) return reaped;
  for (const std::string& id : *ids) {
    absl::Status st = DeleteContainer(store, id, /*force=*/true, warnings);
    if (st.ok()) {
      reaped.push_back(id);
    } else if (!absl::IsNotFound(st) && warnings != nullptr) {
      warnings->push_back(
          absl::StrCat("container ", id, " (its nucleus run died): ", st.message()));
    }
  }
  return reaped;
}

absl::StatusOr<std::unique_ptr<Cgroup>> ContainerCgroup(const StateStore& store,
                                                        const std::string& id, const char* what) {
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  ASSIGN_OR_RETURN(ContainerSpec spec, LoadContainerSpec(store, id));
  return OpenContainerCgroup(spec, st, id, what);
}

namespace {

// pause (freeze) and resume (thaw) are one step each way: check the status under the lock,
// set the freezer, record the new status.
absl::Status SetPaused(StateStore& store, const std::string& id, bool pause) {
  ASSIGN_OR_RETURN(ContainerLock lock, store.Lock(id, kLockTimeout));
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  ContainerStatus now = CurrentStatus(store, st);
  if (pause && now == ContainerStatus::kPaused) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " is already paused"));
  }
  const ContainerStatus from = pause ? ContainerStatus::kRunning : ContainerStatus::kPaused;
  if (now != from) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " is not ",
                                                      pause ? "running" : "paused", ": ",
                                                      ContainerStatusName(now)));
  }
  ASSIGN_OR_RETURN(ContainerSpec spec, LoadContainerSpec(store, id));
  ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> cg,
                   OpenContainerCgroup(spec, st, id, pause ? "pause" : "resume"));
  RETURN_IF_ERROR(Prefix(cg->Freeze(pause, kFreezeTimeout), id));
  st.status = pause ? ContainerStatus::kPaused : ContainerStatus::kRunning;
  absl::Status saved = store.Save(lock, st);
  if (!saved.ok()) {
    if (pause) (void)cg->Freeze(false, kFreezeTimeout);  // not recorded: not paused either
    return Prefix(saved, id);
  }
  AuditLog::Global().Emit(pause ? "paused" : "resumed", id, st.name);
  return absl::OkStatus();
}

}  // namespace

absl::Status PauseContainer(StateStore& store, const std::string& id) {
  return SetPaused(store, id, /*pause=*/true);
}

absl::Status ResumeContainer(StateStore& store, const std::string& id) {
  return SetPaused(store, id, /*pause=*/false);
}

absl::Status UpdateContainer(StateStore& store, const std::string& id,
                             const ResourcesSpec& resources) {
  ASSIGN_OR_RETURN(ContainerLock lock, store.Lock(id, kLockTimeout));
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  ContainerStatus now = CurrentStatus(store, st);
  if (now == ContainerStatus::kStopped || now == ContainerStatus::kCreating) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", id, " is not running: ", ContainerStatusName(now)));
  }
  ASSIGN_OR_RETURN(ContainerSpec spec, LoadContainerSpec(store, id));
  ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> cg, OpenContainerCgroup(spec, st, id, "update"));
  RETURN_IF_ERROR(Prefix(cg->Update(resources), id));
  spec.resources = resources;
  RETURN_IF_ERROR(Prefix(store.WriteFile(lock, kConfigFileName, ToOciConfigJson(spec)), id));
  AuditLog::Global().Emit("updated", id, st.name);
  return absl::OkStatus();
}

absl::Status MarkReady(StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(ContainerLock lock, store.Lock(id, kLockTimeout));
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  st.ready = true;
  RETURN_IF_ERROR(store.Save(lock, st));
  AuditLog::Global().Emit("ready", id, st.name);
  return absl::OkStatus();
}

absl::Status RecordHealth(StateStore& store, const std::string& id, const std::string& status,
                          int failing_streak, const std::string& output) {
  ASSIGN_OR_RETURN(ContainerLock lock, store.Lock(id, kLockTimeout));
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  st.health_status = status;
  st.health_failing_streak = failing_streak;
  st.health_last_output = output.substr(0, 1024);
  return store.Save(lock, st);
}

absl::StatusOr<std::vector<pid_t>> ContainerPids(const StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  ASSIGN_OR_RETURN(ContainerSpec spec, LoadContainerSpec(store, id));
  if (!spec.cgroup_parent.empty()) {
    ASSIGN_OR_RETURN(CgroupHierarchies h, DetectCgroupHierarchies());
    absl::StatusOr<std::unique_ptr<Cgroup>> cg =
        OpenCgroup(h, spec.cgroup_parent, CgroupNameOf(spec));
    if (cg.ok()) return (*cg)->Processes();
  }
  if (IsAlive(st.pid, st.pid_start_time)) return std::vector<pid_t>{st.pid};
  return std::vector<pid_t>{};
}

namespace {

// RunAttached's entry: a first run registers it; a restart takes the previous run's entry
// as it was left ("stopped"), unless a person removed or stopped it meanwhile.
absl::StatusOr<ContainerLock> RegisterRun(StateStore& store, const ContainerSpec& spec,
                                          int restart_count, bool durable, ContainerState* st) {
  if (restart_count == 0) return Register(store, spec, *st, durable);
  ASSIGN_OR_RETURN(ContainerLock lock, store.Lock(spec.id, kLockTimeout));
  ASSIGN_OR_RETURN(ContainerState before, store.Load(spec.id));
  if (before.stop_requested) {
    return absl::CancelledError(absl::StrCat("container ", spec.id, " was stopped"));
  }
  st->created = before.created;
  st->restart_count = restart_count;
  RETURN_IF_ERROR(store.Save(lock, *st, durable));
  return lock;
}

// The hooks between create and start. The entry says "created" (with the pid) while they
// run; without hooks Start follows at once and the "running" save is the only one (each
// replacing save costs a rename, which ext4 follows with a writeback of the new file).
absl::Status RunCreateHooks(StateStore& store, const ContainerLock& lock, const ContainerSpec& spec,
                            const ContainerState& st, bool durable) {
  const HooksSpec& h = spec.hooks;
  if (h.prestart.empty() && h.create_runtime.empty() && h.create_container.empty() &&
      h.start_container.empty()) {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(store.Save(lock, st, durable));
  const std::string created_json = ToOciStateJson(st);
  RETURN_IF_ERROR(RunHooks(h.prestart, "prestart", created_json));
  RETURN_IF_ERROR(RunHooks(h.create_runtime, "createRuntime", created_json));
  if (h.create_container.empty() && h.start_container.empty()) return absl::OkStatus();
  UniqueFd pidfd(PidfdOpenRaw(st.pid));
  ASSIGN_OR_RETURN(HookNamespaces create_ns, ContainerNamespaces(st.pid, pidfd.get(), false));
  ASSIGN_OR_RETURN(HookNamespaces start_ns, ContainerNamespaces(st.pid, pidfd.get(), true));
  RETURN_IF_ERROR(RunHooks(h.create_container, "createContainer", created_json, &create_ns));
  return RunHooks(h.start_container, "startContainer", created_json, &start_ns);
}

// The end of an attached run, in its entry: the exit (what others recorded meanwhile, ready
// and health, stays), the poststop hooks, then removed (remove_when_done) or saved stopped.
// The entry may have been removed meanwhile (`rm -f`): then nothing to do.
void RecordEnd(StateStore& store, const ContainerSpec& spec, const absl::StatusOr<ExitInfo>& info,
               bool remove_when_done, bool durable, ContainerState& st) {
  absl::StatusOr<ContainerLock> relock = store.Lock(spec.id, kLockTimeout);
  if (!relock.ok()) return;
  if (absl::StatusOr<ContainerState> now = store.Load(spec.id); now.ok()) st = *now;
  if (info.ok()) st.exit = ToExitRecord(*info);
  st.status = ContainerStatus::kStopped;
  for (const std::string& w :
       RunHooksBestEffort(spec.hooks.poststop, "poststop", ToOciStateJson(st))) {
    fprintf(stderr, "nucleus: warning: %s\n", w.c_str());
  }
  absl::Status recorded =
      remove_when_done ? store.Remove(*std::move(relock), durable) : store.Save(*relock, st);
  if (!recorded.ok()) {
    fprintf(stderr, "nucleus: warning: state: %s\n", std::string(recorded.message()).c_str());
  }
}

}  // namespace

absl::StatusOr<ExitInfo> RunAttached(StateStore& store, const ContainerSpec& asked,
                                     const std::string& name, bool remove_when_done,
                                     const AttachedCallbacks& callbacks, int* exec_exit_code,
                                     int restart_count) {
  if (exec_exit_code) *exec_exit_code = 0;
  ContainerState st = InitialState(asked, name);
  ASSIGN_OR_RETURN(ContainerSpec spec, PrepareRoot(asked));
  // A foreground run's entry dies with it: atomic writes, but no fsync (store.h).
  const bool durable = !remove_when_done;
  ASSIGN_OR_RETURN(ContainerLock lock, RegisterRun(store, spec, restart_count, durable, &st));
  // Held until the end of this function: if this process dies first, the entry is a ghost
  // the next nucleus command reaps (ReapAbandonedRuns).
  UniqueFd owner;
  if (remove_when_done) {
    absl::StatusOr<UniqueFd> held = store.HoldOwner(lock);
    if (!held.ok()) {
      // cleanup on an error path: the error returned is the first.
      (void)store.Remove(std::move(lock), durable);
      return held.status();
    }
    owner = *std::move(held);
  }
  // A failed first run leaves no entry; a failed restart leaves it stopped, saying why.
  auto abandon = [&](const absl::Status& why, int code) {
    if (restart_count == 0) {
      // cleanup on an error path: the error returned is the first.
      (void)store.Remove(std::move(lock));
      return why;
    }
    st.status = ContainerStatus::kStopped;
    st.exit = ExitRecord{ExitRecord::Kind::kExited, code, 0, std::string(why.message())};
    // cleanup on an error path: the error returned is the first.
    (void)store.Save(lock, st, durable);
    return why;
  };
  if (callbacks.on_registered) {
    absl::Status st_reg = callbacks.on_registered(lock.dir_fd());
    if (!st_reg.ok()) {
      return abandon(st_reg, 125);
    }
  }
  std::unique_ptr<Backend> backend = BackendFor(spec);
  CreateOptions options;
  options.state_dir_fd = lock.dir_fd();
  options.state_dir = store.ContainerDirPath(spec.id);
  absl::StatusOr<std::unique_ptr<Container>> c = backend->Create(spec, options);
  if (!c.ok()) {
    // cleanup on an error path: the error returned is the first.
    (void)backend->Remove(RefOf(store, spec, st.pid, lock.dir_fd(), -1));
    return abandon(c.status(), 125);
  }
  Container& container = **c;
  if (callbacks.on_created) callbacks.on_created(container);
  AuditCreated(spec, name, *backend, container);
  st.pid = container.pid();
  st.pid_start_time = ReadStartTime(st.pid).value_or(0);
  for (const std::string& p : container.cgroup_paths()) st.cgroup_paths[HierarchyName(p)] = p;
  st.status = ContainerStatus::kCreated;
  absl::Status step = RunCreateHooks(store, lock, spec, st, durable);
  if (!step.ok()) {
    // cleanup on an error path: the error returned is the first.
    (void)container.Destroy();
    return abandon(step, 125);
  }
  absl::Status started = container.Start();
  if (!started.ok()) {
    absl::StatusOr<ExitInfo> info = container.Wait();
    if (exec_exit_code && info.ok() && info->kind == ExitInfo::Kind::kExited) {
      *exec_exit_code = info->code;
    }
    // cleanup on an error path: the error returned is the first.
    (void)container.Destroy();
    return abandon(started, info.ok() && info->kind == ExitInfo::Kind::kExited ? info->code : 125);
  }
  st.status = ContainerStatus::kRunning;
  // It runs either way; `ps` shows it as created until the next save says more.
  if (absl::Status saved = store.Save(lock, st, durable); !saved.ok()) {
    fprintf(stderr, "nucleus: warning: state: %s\n", std::string(saved.message()).c_str());
  }
  AuditLog::Global().Emit("started", spec.id, name, {{"pid", absl::StrCat(st.pid)}});
  // Others (stop, kill, exec, ps) need the lock while it runs.
  { ContainerLock released = std::move(lock); }
  for (const std::string& w :
       RunHooksBestEffort(spec.hooks.poststart, "poststart", ToOciStateJson(st))) {
    fprintf(stderr, "nucleus: warning: %s\n", w.c_str());
  }
  if (callbacks.on_started) callbacks.on_started(st);
  absl::StatusOr<ExitInfo> info = callbacks.wait ? callbacks.wait(container) : container.Wait();
  if (info.ok()) AuditExit(spec, name, *info);
  absl::Status destroyed = container.Destroy();
  RecordEnd(store, spec, info, remove_when_done, durable, st);
  if (!info.ok()) return info.status();
  if (!destroyed.ok()) {
    fprintf(stderr, "nucleus: warning: cleanup: %s\n", std::string(destroyed.message()).c_str());
  }
  return info;
}

}  // namespace nucleus
