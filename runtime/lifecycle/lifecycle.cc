#include "runtime/lifecycle/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "backends/native/native_backend.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/layout.h"
#include "runtime/hooks.h"
#include "runtime/procfs.h"
#include "runtime/spec/oci_config.h"
#include "runtime/state/ids.h"
#include "runtime/state/liveness.h"
#include "runtime/util/console.h"
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

int PidfdSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// Waits until the process behind pidfd has exited (POLLIN on a pidfd), up to timeout.
bool WaitPidfdExit(int pidfd, absl::Duration timeout) {
  struct pollfd p = {pidfd, POLLIN, 0};
  int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  return RetryEintr([&] { return ::poll(&p, 1, ms); }) > 0;
}

std::string CgroupNameOf(const ContainerSpec& spec) {
  return spec.cgroup_name.empty() ? spec.id : spec.cgroup_name;
}

// Kills what is left in the container's groups and removes them (nothing: OK).
absl::Status RemoveContainerCgroup(const ContainerSpec& spec) {
  if (spec.cgroup_parent.empty()) return absl::OkStatus();
  absl::StatusOr<CgroupHierarchies> h = DetectCgroupHierarchies();
  if (!h.ok()) return h.status();
  absl::StatusOr<std::unique_ptr<Cgroup>> cg =
      OpenCgroup(*h, spec.cgroup_parent, CgroupNameOf(spec));
  if (absl::IsNotFound(cg.status())) return absl::OkStatus();
  if (!cg.ok()) return cg.status();
  return (*cg)->KillAndRemove();
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
  st.backend = StateBackend::kNative;
  return st;
}

// Registers the container: its directory, config.json and the "creating" state, before
// anything else exists on the host. Returns the lock, held.
absl::StatusOr<ContainerLock> Register(StateStore& store, const ContainerSpec& spec,
                                       const ContainerState& st) {
  ASSIGN_OR_RETURN(ContainerLock lock, store.Create(spec.id));
  absl::Status saved = store.WriteFile(lock, kConfigFileName, ToOciConfigJson(spec));
  if (saved.ok()) saved = store.Save(lock, st);
  if (!saved.ok()) {
    (void)store.Remove(std::move(lock));
    return saved;
  }
  return lock;
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

// "/sys/fs/cgroup/memory/nucleus/web" -> "memory" (v2's own mount: "unified" on hybrid
// hosts, "" -> "unified" on pure v2, where the path is directly below /sys/fs/cgroup).
std::string HierarchyName(const std::string& path) {
  absl::string_view p = path;
  if (!absl::ConsumePrefix(&p, "/sys/fs/cgroup/")) return path;
  size_t slash = p.find('/');
  std::string first(p.substr(0, slash));
  static const char* const kV1[] = {"memory", "cpu",   "cpuacct", "cpuset", "pids",
                                    "blkio",  "devices", "freezer", "unified", "systemd",
                                    "cpu,cpuacct", "net_cls", "net_prio", "hugetlb"};
  for (const char* k : kV1) {
    if (first == k) return first;
  }
  return "unified";
}

absl::Status Prefix(const absl::Status& st, const std::string& id) {
  if (st.ok()) return st;
  return absl::Status(st.code(), absl::StrCat("container ", id, ": ", st.message()));
}

}  // namespace

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
  std::vector<ContainerRef> known;
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

absl::StatusOr<ContainerState> CreateDetached(StateStore& store, const ContainerSpec& spec,
                                              const CreateRequest& req,
                                              std::vector<std::string>* warnings) {
  ContainerState st = InitialState(spec, req.name);
  ASSIGN_OR_RETURN(ContainerLock lock, Register(store, spec, st));
  std::unique_ptr<Container> container;
  bool done = false;
  absl::Cleanup undo = [&] {
    if (done) return;
    if (container) (void)container->Destroy();
    container.reset();
    (void)RemoveContainerCgroup(spec);
    (void)store.Remove(std::move(lock));
  };
  ASSIGN_OR_RETURN(UniqueFd listen, BindStartSocket(lock.dir_fd()));
  NativeBackend backend;
  CreateOptions options;
  options.start_listen_fd = listen.get();
  ASSIGN_OR_RETURN(container, backend.Create(spec, options));
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
  RETURN_IF_ERROR(RunHooks(spec.hooks.prestart, "prestart", state_json));
  RETURN_IF_ERROR(RunHooks(spec.hooks.create_runtime, "createRuntime", state_json));
  RETURN_IF_ERROR(RunHooks(spec.hooks.create_container, "createContainer", state_json));
  RETURN_IF_ERROR(container->Detach());
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
  RETURN_IF_ERROR(RunHooks(spec.hooks.start_container, "startContainer", ToOciStateJson(st)));
  absl::Status started = StartDetached(lock.dir_fd(), exit_code);
  if (!started.ok()) {
    st.status = ContainerStatus::kStopped;
    (void)store.Save(lock, st);
    return Prefix(started, id);
  }
  st.status = ContainerStatus::kRunning;
  RETURN_IF_ERROR(store.Save(lock, st));
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
  if (all) {
    // Every process in the container's cgroup; each checked and signalled through its own
    // pidfd (a pid read from cgroup.procs may exit and be reused before the signal).
    absl::StatusOr<std::vector<pid_t>> pids = ContainerPids(store, id);
    if (pids.ok()) {
      for (pid_t p : *pids) {
        UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, p, 0)));
        if (!fd.valid()) continue;
        // Still in the container's cgroup after the open: then fd names a member.
        absl::StatusOr<std::vector<pid_t>> again = ContainerPids(store, id);
        if (!again.ok() || std::find(again->begin(), again->end(), p) == again->end()) continue;
        (void)PidfdSignal(fd.get(), sig);
      }
    }
  }
  if (PidfdSignal(pidfd->get(), sig) != 0 && errno != ESRCH) {
    return Prefix(ErrnoStatus("pidfd_send_signal", absl::StrCat(st.pid, ", ", sig)), id);
  }
  return absl::OkStatus();
}

absl::Status StopContainer(StateStore& store, const std::string& id, absl::Duration timeout,
                           int sig) {
  ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
  if (CurrentStatus(store, st) == ContainerStatus::kStopped) return absl::OkStatus();
  absl::StatusOr<UniqueFd> pidfd = OpenVerifiedPidfd(st.pid, st.pid_start_time);
  if (absl::IsNotFound(pidfd.status())) return absl::OkStatus();
  if (!pidfd.ok()) return Prefix(pidfd.status(), id);
  if (PidfdSignal(pidfd->get(), sig) != 0 && errno != ESRCH) {
    return Prefix(ErrnoStatus("pidfd_send_signal", absl::StrCat(st.pid, ", ", sig)), id);
  }
  if (!WaitPidfdExit(pidfd->get(), timeout)) {
    (void)PidfdSignal(pidfd->get(), SIGKILL);
    if (!WaitPidfdExit(pidfd->get(), absl::Seconds(10))) {
      return absl::DeadlineExceededError(
          absl::StrCat("container ", id, ": still running 10 s after SIGKILL"));
    }
  }
  // A container run by a nucleus (run, run -d) has its end recorded by it: give it a moment,
  // so that what `stop` returns to is a state that says how it ended.
  absl::Time deadline = absl::Now() + absl::Seconds(2);
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
          absl::StrCat("cannot delete container ", id, " that is not stopped: ",
                       ContainerStatusName(now), " (use --force)"));
    }
  }
  if (st.ok() && now != ContainerStatus::kStopped) {
    absl::StatusOr<UniqueFd> pidfd = OpenVerifiedPidfd(st->pid, st->pid_start_time);
    if (pidfd.ok()) {
      (void)PidfdSignal(pidfd->get(), SIGKILL);
      if (!WaitPidfdExit(pidfd->get(), absl::Seconds(10))) {
        return absl::DeadlineExceededError(
            absl::StrCat("container ", id, ": still running 10 s after SIGKILL"));
      }
    } else if (!absl::IsNotFound(pidfd.status())) {
      return Prefix(pidfd.status(), id);
    }
  }
  absl::StatusOr<ContainerSpec> spec = LoadContainerSpec(store, id);
  if (spec.ok()) {
    absl::Status cg = RemoveContainerCgroup(*spec);
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
  return Prefix(store.Remove(std::move(lock)), id);
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

absl::StatusOr<ExitInfo> RunAttached(StateStore& store, const ContainerSpec& spec,
                                     const std::string& name, bool remove_when_done,
                                     const AttachedCallbacks& callbacks, int* exec_exit_code) {
  if (exec_exit_code) *exec_exit_code = 0;
  ContainerState st = InitialState(spec, name);
  ASSIGN_OR_RETURN(ContainerLock lock, Register(store, spec, st));
  if (callbacks.on_registered) {
    absl::Status st_reg = callbacks.on_registered(lock.dir_fd());
    if (!st_reg.ok()) {
      (void)store.Remove(std::move(lock));
      return st_reg;
    }
  }
  NativeBackend backend;
  absl::StatusOr<std::unique_ptr<Container>> c = backend.Create(spec);
  if (!c.ok()) {
    (void)store.Remove(std::move(lock));
    return c.status();
  }
  Container& container = **c;
  if (callbacks.on_created) callbacks.on_created(container);
  st.pid = container.pid();
  st.pid_start_time = ReadStartTime(st.pid).value_or(0);
  for (const std::string& p : container.cgroup_paths()) st.cgroup_paths[HierarchyName(p)] = p;
  st.status = ContainerStatus::kCreated;
  absl::Status step = store.Save(lock, st);
  const std::string created_json = ToOciStateJson(st);
  if (step.ok()) step = RunHooks(spec.hooks.prestart, "prestart", created_json);
  if (step.ok()) step = RunHooks(spec.hooks.create_runtime, "createRuntime", created_json);
  if (step.ok()) step = RunHooks(spec.hooks.create_container, "createContainer", created_json);
  if (step.ok()) step = RunHooks(spec.hooks.start_container, "startContainer", created_json);
  if (!step.ok()) {
    (void)container.Destroy();
    (void)store.Remove(std::move(lock));
    return step;
  }
  absl::Status started = container.Start();
  if (!started.ok()) {
    absl::StatusOr<ExitInfo> info = container.Wait();
    if (exec_exit_code && info.ok() && info->kind == ExitInfo::Kind::kExited) {
      *exec_exit_code = info->code;
    }
    (void)container.Destroy();
    (void)store.Remove(std::move(lock));
    return started;
  }
  st.status = ContainerStatus::kRunning;
  (void)store.Save(lock, st);
  // Others (stop, kill, exec, ps) need the lock while it runs.
  {
    ContainerLock released = std::move(lock);
  }
  for (const std::string& w :
       RunHooksBestEffort(spec.hooks.poststart, "poststart", ToOciStateJson(st))) {
    fprintf(stderr, "nucleus: warning: %s\n", w.c_str());
  }
  if (callbacks.on_started) callbacks.on_started(st);
  absl::StatusOr<ExitInfo> info = callbacks.wait ? callbacks.wait(container) : container.Wait();
  absl::Status destroyed = container.Destroy();
  // Record the end; the entry may have been removed meanwhile (`rm -f`): then nothing to do.
  absl::StatusOr<ContainerLock> relock = store.Lock(spec.id, kLockTimeout);
  if (relock.ok()) {
    if (info.ok()) st.exit = ToExitRecord(*info);
    st.status = ContainerStatus::kStopped;
    ContainerState stopped = st;
    for (const std::string& w :
         RunHooksBestEffort(spec.hooks.poststop, "poststop", ToOciStateJson(stopped))) {
      fprintf(stderr, "nucleus: warning: %s\n", w.c_str());
    }
    if (remove_when_done) {
      (void)store.Remove(*std::move(relock));
    } else {
      (void)store.Save(*relock, st);
    }
  }
  if (!info.ok()) return info.status();
  if (!destroyed.ok()) {
    fprintf(stderr, "nucleus: warning: cleanup: %s\n", std::string(destroyed.message()).c_str());
  }
  return info;
}

}  // namespace nucleus
