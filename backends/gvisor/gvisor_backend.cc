#include "backends/gvisor/gvisor_backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "backends/gvisor/bundle.h"
#include "runtime/workspace/context.h"
#include "backends/gvisor/runsc.h"
#include "backends/gvisor/stdio_relay.h"
#include "runtime/rootfs/default_root.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/layout.h"
#include "runtime/util/pidfd.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

constexpr int kExitNucleus = 125;
constexpr absl::Duration kTeardownTimeout = absl::Seconds(10);
// How long runsc may take to bring a sandbox up (to the gate, or a `runsc exec` process into
// it): far more than it needs (well under a second), so only a runsc that hangs hits it.
constexpr absl::Duration kStartTimeout = absl::Seconds(60);

bool DirHasEntries(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return false;
  bool any = false;
  while (struct dirent* e = ::readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      any = true;
      break;
    }
  }
  ::closedir(d);
  return any;
}

absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", path);
  return absl::OkStatus();
}

// Where one container's gVisor files live (see the header).
struct Dirs {
  std::string base;
  bool temp = false;  // base is our own temporary directory
  std::string bundle() const { return base + "/bundle"; }
  std::string root() const { return base + "/runsc"; }
  std::string log() const { return base + "/bundle/runsc.log"; }
  // --secret's files, for runsc's gofer to open: in memory (the host's /dev/shm), root-only.
  std::string secrets() const {
    return "/dev/shm/nucleus-secrets-" + base.substr(base.rfind('/') + 1);
  }
};

// Everything of a container's under Dirs, the state directory itself when it is our own.
absl::Status RemoveDirs(const Dirs& d) {
  RETURN_IF_ERROR(RemoveTree(d.secrets()));
  RETURN_IF_ERROR(RemoveTree(d.root()));
  RETURN_IF_ERROR(RemoveTree(d.bundle()));
  if (d.temp) RETURN_IF_ERROR(RemoveTree(d.base));
  return absl::OkStatus();
}

// spec.secrets as files in d.secrets() (a fresh directory on a tmpfs, 0700 root; each file
// 0400, owned by the workload) and the read-only, noexec binds of them that runsc gets
// instead. Fails closed: no tmpfs at /dev/shm, or the directory already there (made by
// someone else, or left by a nucleus that died) is an error, never a reuse.
absl::StatusOr<std::vector<MountSpec>> StageSecrets(const ContainerSpec& spec, const Dirs& d) {
  struct statfs fs;
  if (::statfs("/dev/shm", &fs) != 0 || static_cast<unsigned long>(fs.f_type) != TMPFS_MAGIC) {
    return absl::FailedPreconditionError(
        "--secret: the host's /dev/shm is not a tmpfs, so there is nowhere in memory to hand "
        "the secret to runsc (gvisor backend)");
  }
  const std::string dir = d.secrets();
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return ErrnoStatus("--secret: mkdir", absl::StrCat(dir,
                                                       " (remove it if no container "
                                                       "of this name runs)"));
  }
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st;
  if (!dfd.valid() || ::fstat(dfd.get(), &st) != 0 || st.st_uid != ::geteuid() ||
      (st.st_mode & 07777) != 0700) {
    return absl::FailedPreconditionError(
        absl::StrCat("--secret: ", dir, " is not the private directory nucleus just made"));
  }
  std::vector<MountSpec> binds;
  for (size_t i = 0; i < spec.secrets.size(); ++i) {
    const SecretSpec& secret = spec.secrets[i];
    const std::string name = absl::StrCat("secret-", i);
    UniqueFd f(::openat(dfd.get(), name.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400));
    if (!f.valid()) return ErrnoStatus("--secret: create", absl::StrCat(dir, "/", name));
    RETURN_IF_ERROR(WriteAll(f.get(), secret.data, name));
    if (::fchown(f.get(), spec.process.uid, spec.process.gid) != 0 ||
        ::fchmod(f.get(), 0400) != 0) {
      return ErrnoStatus("--secret: chown", absl::StrCat(dir, "/", name));
    }
    MountSpec m;
    m.type = MountSpec::Type::kBind;
    m.source = absl::StrCat(dir, "/", name);
    m.destination = secret.destination;
    m.read_only = true;
    m.noexec = true;
    m.recursive = false;
    binds.push_back(std::move(m));
  }
  return binds;
}

absl::StatusOr<Dirs> MakeDirs(const std::string& state_dir) {
  Dirs d;
  if (state_dir.empty()) {
    char tmpl[] = "/tmp/nucleus-gvisor-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return ErrnoStatus("mkdtemp", "/tmp/nucleus-gvisor-XXXXXX");
    d.base = tmpl;
    d.temp = true;
  } else {
    d.base = state_dir;
  }
  absl::Status st = MakeDir(d.bundle());
  if (st.ok()) st = MakeDir(d.root());
  // cleanup on an error path: the error returned is the first.
  if (!st.ok() && d.temp) (void)RemoveTree(d.base);
  RETURN_IF_ERROR(st);
  return d;
}

constexpr char kFlagsFile[] = "runsc.flags";

// The runsc flags for a container. At create: platform, network and seccomp from the spec and
// this runsc, saved in the bundle (kFlagsFile); later (another process): read back from
// there, so that "auto" means what it meant at create.
absl::StatusOr<RunscGlobals> GlobalsFor(const ContainerSpec& spec, const Dirs& dirs,
                                        bool for_create, std::string* warning = nullptr) {
  ASSIGN_OR_RETURN(RunscInfo info, ProbeRunsc());
  RunscGlobals g;
  g.path = info.path;
  g.root = dirs.root();
  g.log = dirs.log();
  g.rootless = ::geteuid() != 0;
  if (!for_create) {
    absl::StatusOr<std::string> saved =
        ReadFileToString(absl::StrCat(dirs.bundle(), "/", kFlagsFile), 4096);
    if (saved.ok()) {
      std::vector<std::string> lines = absl::StrSplit(*saved, '\n');
      if (lines.size() >= 3) {
        g.platform = lines[0];
        g.network = lines[1];
        g.oci_seccomp = lines[2] == "oci-seccomp";
        return g;
      }
    }
  }
  ASSIGN_OR_RETURN(PlatformChoice choice, SelectPlatform(info, spec.gvisor_platform));
  g.platform = choice.platform;
  if (warning != nullptr) *warning = choice.warning;
  g.network = spec.gvisor_network;
  g.oci_seccomp = info.oci_seccomp && spec.seccomp.has_value();
  return g;
}

absl::Status SaveGlobals(int bundle_fd, const RunscGlobals& g) {
  return WriteBundleFile(
      bundle_fd, kFlagsFile,
      absl::StrCat(g.platform, "\n", g.network, "\n", g.oci_seccomp ? "oci-seccomp" : "-", "\n"));
}

// The container's group with its limits, as the native backend makes it (no device rules).
absl::StatusOr<std::unique_ptr<Cgroup>> MakeCgroup(const ContainerSpec& spec) {
  ASSIGN_OR_RETURN(bool needs_cgroup, NeedsCgroup(spec, ::geteuid() == 0));
  if (!needs_cgroup) return std::unique_ptr<Cgroup>();
  ASSIGN_OR_RETURN(CgroupHierarchies hierarchies, DetectCgroupHierarchies());
  CgroupConfig config;
  config.parent = spec.cgroup_parent;
  config.name = CgroupNameOf(spec);
  config.resources = spec.resources;
  return CreateCgroup(hierarchies, config);
}

// Reads what is there of a non-blocking pipe into *buf; false at EOF.
bool ReadAvailable(int fd, std::string* buf) {
  char tmp[4096];
  for (;;) {
    ssize_t n = ::read(fd, tmp, sizeof(tmp));
    if (n > 0) {
      if (buf->size() < (64 << 10)) buf->append(tmp, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return true;  // EAGAIN
  }
}

// Takes one line off the front of *buf.
bool TakeLine(std::string* buf, std::string* line) {
  size_t nl = buf->find('\n');
  if (nl == std::string::npos) return false;
  *line = buf->substr(0, nl);
  buf->erase(0, nl + 1);
  return true;
}

class GvisorContainer : public Container {
 public:
  enum class Mode { kRun, kCreate, kExec };

  GvisorContainer(Mode mode, std::string id, Dirs dirs, RunscGlobals globals)
      : mode_(mode), id_(std::move(id)), dirs_(std::move(dirs)), g_(std::move(globals)) {}
  ~GvisorContainer() override { (void)Destroy(); }  // callers that care call Destroy first

  // --- set-up, by the backend ---
  void set_runsc(Spawned s) { runsc_ = std::move(s); }
  void set_relay(std::unique_ptr<StdioRelay> relay) { relay_ = std::move(relay); }
  void set_sandbox(pid_t pid, UniqueFd pidfd) {
    sandbox_pid_ = pid;
    sandbox_pidfd_ = std::move(pidfd);
  }
  void set_cgroup(std::unique_ptr<Cgroup> cg) { cgroup_ = std::move(cg); }
  void set_gate(UniqueFd ready_r, UniqueFd ready_w, UniqueFd go_r, UniqueFd go_w) {
    ready_r_ = std::move(ready_r);
    ready_w_ = std::move(ready_w);
    go_r_ = std::move(go_r);
    go_w_ = std::move(go_w);
  }
  void set_exec_files(std::string process_json, std::string internal_pid, UniqueFd gate_w) {
    exec_process_ = std::move(process_json);
    exec_internal_pid_ = std::move(internal_pid);
    exec_gate_w_ = std::move(gate_w);
  }
  void set_warnings(std::vector<std::string> w) { warnings_ = std::move(w); }

  // kRun: waits until the prestart hook relays the sandbox's pid (the container is then at
  // its gate), or runsc run fails.
  absl::Status AwaitGate() {
    std::string line;
    RETURN_IF_ERROR(AwaitLine(&line, "runsc run"));
    ASSIGN_OR_RETURN(pid_t pid, PidFromStateJson(line));
    ASSIGN_OR_RETURN(UniqueFd fd, PidfdOpen(pid));
    set_sandbox(pid, std::move(fd));
    return absl::OkStatus();
  }

  // --- Container ---
  pid_t pid() const override { return mode_ == Mode::kExec ? runsc_.pid : sandbox_pid_; }
  int wait_fd() const override {
    return mode_ == Mode::kCreate ? sandbox_pidfd_.get() : runsc_.pidfd.get();
  }
  std::vector<std::string> cgroup_paths() const override {
    return cgroup_ ? cgroup_->paths() : cgroup_paths_;
  }
  std::vector<std::string> warnings() const override { return warnings_; }

  absl::Status Start() override {
    if (detached_) return absl::FailedPreconditionError("container is detached");
    if (started_) return absl::FailedPreconditionError("container already started");
    started_ = true;
    switch (mode_) {
      case Mode::kRun: {
        const std::string go = absl::StrCat(kGateStart, "\n");
        if (RetryEintr([&] { return ::write(go_w_.get(), go.data(), go.size()); }) !=
            static_cast<ssize_t>(go.size())) {
          return ErrnoStatus("write", "gVisor start gate");
        }
        std::string line;
        absl::Status st = AwaitLine(&line, "runsc run");
        if (st.ok() && line != kGateStarted) {
          st = absl::InternalError(absl::StrCat("gVisor start gate: unexpected '", line, "'"));
        }
        return st;
      }
      case Mode::kCreate: {
        absl::StatusOr<std::string> out = RunRunsc(g_, {"start", id_});
        if (!out.ok()) start_failed_code_ = ExitCodeForStartError(out.status().message());
        return out.status();
      }
      case Mode::kExec:
        return StartExec();
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ExitInfo> Wait() override {
    if (detached_) return absl::FailedPreconditionError("container is detached");
    if (reaped_) return exit_;
    if (mode_ == Mode::kCreate) {
      // The sandbox is not our child (runsc create's): its status is its reaper's.
      if (sandbox_pidfd_.valid()) (void)WaitExited(sandbox_pidfd_.get(), absl::InfiniteDuration());
      reaped_ = true;
      return absl::FailedPreconditionError(
          "a sandbox made by runsc create is not nucleus's child: its exit status is unknown");
    }
    ASSIGN_OR_RETURN(int wstatus, WaitPidfd(runsc_.pidfd.get(), "runsc"));
    reaped_ = true;
    // runsc and the sandbox are gone: the relay has had all of the workload's output.
    if (relay_) relay_->Finish();
    exit_ = ExitInfoFromRunsc(wstatus);
    if (start_failed_code_ != 0) {
      exit_ = ExitInfo();
      exit_.code = start_failed_code_;
    }
    const bool killed = (exit_.kind == ExitInfo::Kind::kSignaled && exit_.signal == SIGKILL);
    if (killed && cgroup_) {
      absl::StatusOr<uint64_t> ooms = cgroup_->OomKills();
      if (ooms.ok() && *ooms > 0) {
        exit_.kind = ExitInfo::Kind::kOom;
        exit_.memory_limit = cgroup_->memory_limit().value_or(0);
      }
    }
    if (mode_ == Mode::kRun && cgroup_) {
      cgroup_paths_ = cgroup_->paths();
      // best effort: Destroy() removes what is left and reports it.
      (void)cgroup_->KillAndRemove();
    }
    return exit_;
  }

  absl::Status Kill(int sig) override {
    if (detached_) return absl::FailedPreconditionError("container is detached");
    if (reaped_) return absl::FailedPreconditionError("container is not running");
    if (mode_ == Mode::kExec) {
      if (exec_pid_ > 0) {
        absl::StatusOr<std::string> out =
            RunRunsc(g_, {"kill", absl::StrCat("--pid=", exec_pid_), id_, absl::StrCat(sig)});
        if (out.ok() || absl::IsNotFound(out.status())) return absl::OkStatus();
        // The process may have exited meanwhile: then runsc exec has, or is about to.
        if (WaitExited(runsc_.pidfd.get(), absl::Milliseconds(100))) return absl::OkStatus();
        return out.status();
      }
      return PidfdSendSignal(runsc_.pidfd.get(), sig, runsc_.pid);
    }
    if (!sandbox_pidfd_.valid()) return absl::FailedPreconditionError("container has no sandbox");
    return PidfdSendSignal(sandbox_pidfd_.get(), sig, sandbox_pid_);
  }

  absl::Status Destroy() override {
    if (detached_ || destroyed_) return absl::OkStatus();
    absl::Status result = absl::OkStatus();
    switch (mode_) {
      case Mode::kRun:
        result = DestroyRun();
        break;
      case Mode::kCreate: {
        absl::StatusOr<std::string> out = RunRunsc(g_, {"delete", "--force", id_});
        if (!out.ok() && !absl::IsNotFound(out.status())) result = out.status();
        break;
      }
      case Mode::kExec:
        result = DestroyExec();
        break;
    }
    if (!result.ok()) return result;
    destroyed_ = true;
    if (cgroup_) {
      cgroup_paths_ = cgroup_->paths();
      RETURN_IF_ERROR(cgroup_->KillAndRemove());
      cgroup_.reset();
    }
    if (mode_ != Mode::kExec) {
      RETURN_IF_ERROR(RemoveDirs(dirs_));
    }
    return absl::OkStatus();
  }

  absl::Status Detach() override {
    if (detached_) return absl::OkStatus();
    switch (mode_) {
      case Mode::kRun:
        return absl::FailedPreconditionError(
            "a foreground gVisor container (runsc run) cannot be detached: create it with "
            "CreateOptions::detached");
      case Mode::kCreate:
        if (started_) return absl::FailedPreconditionError("container already started");
        break;
      case Mode::kExec:
        break;
    }
    detached_ = true;
    if (cgroup_) cgroup_->Disown();
    cgroup_.reset();
    sandbox_pidfd_.Reset();
    runsc_.pidfd.Reset();
    exec_gate_w_.Reset();
    return absl::OkStatus();
  }

 private:
  // Waits for the next line from the gate hooks, or for runsc to exit (an error, with
  // runsc's message; the exit status is kept for Wait()), at most kStartTimeout
  // (DeadlineExceeded: the caller's Destroy() kills what runsc started).
  absl::Status AwaitLine(std::string* line, const char* what) {
    const absl::Time deadline = absl::Now() + kStartTimeout;
    for (;;) {
      if (TakeLine(&ready_buf_, line)) return absl::OkStatus();
      struct pollfd fds[2] = {{ready_r_.get(), POLLIN, 0}, {runsc_.pidfd.get(), POLLIN, 0}};
      const int n = RetryEintr([&] { return ::poll(fds, 2, MillisUntil(deadline)); });
      if (n < 0) return ErrnoStatus("poll", what);
      if (n == 0) return StartTimedOut(what);
      if (fds[0].revents & POLLIN) {
        (void)ReadAvailable(ready_r_.get(), &ready_buf_);
        continue;
      }
      if (fds[1].revents) return RunscExited(what);
    }
  }

  // runsc ended before the step we waited for: reap it, and say why.
  absl::Status RunscExited(const char* what) {
    // What the hooks wrote just before is still worth reading (a race with the exit).
    (void)ReadAvailable(ready_r_.get(), &ready_buf_);
    absl::StatusOr<ExitInfo> info = Wait();
    std::string msg = LastRunscLogError(g_.log);
    if (msg.empty()) {
      msg = info.ok() ? absl::StrCat("exited early (", info->Describe(), ")")
                      : std::string(info.status().message());
    }
    start_failed_code_ = ExitCodeForStartError(msg);
    exit_ = ExitInfo();
    exit_.code = start_failed_code_;
    return absl::FailedPreconditionError(absl::StrCat(what, " ", id_, ": ", msg));
  }

  static int MillisUntil(absl::Time deadline) {
    const absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
    return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
  }

  // runsc did not bring the sandbox (or the exec'd process) up in time: it is killed, so that
  // what it started goes too (the cgroup's KillAndRemove in Destroy() gets the rest).
  absl::Status StartTimedOut(const char* what) {
    (void)PidfdSendSignalRaw(runsc_.pidfd.get(), SIGKILL);
    // the timeout is the error; how runsc ended adds nothing.
    (void)Wait();
    start_failed_code_ = kExitNucleus;
    exit_ = ExitInfo();
    exit_.code = kExitNucleus;
    return absl::DeadlineExceededError(absl::StrCat(
        what, " ", id_, ": the sandbox did not start within ", absl::FormatDuration(kStartTimeout),
        " (runsc killed; platform ", g_.platform, ")"));
  }

  absl::Status StartExec() {
    UniqueFd ino(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!ino.valid()) return ErrnoStatus("inotify_init1");
    if (::inotify_add_watch(ino.get(), dirs_.bundle().c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
      return ErrnoStatus("inotify_add_watch", dirs_.bundle());
    }
    if (RetryEintr([&] { return ::write(exec_gate_w_.get(), "g", 1); }) != 1) {
      return ErrnoStatus("write", "runsc exec gate");
    }
    exec_gate_w_.Reset();
    const absl::Time deadline = absl::Now() + kStartTimeout;
    // runsc exec writes the internal pid file once the process exists in the sandbox.
    for (;;) {
      absl::StatusOr<std::string> text = ReadFileToString(exec_internal_pid_, 64);
      int pid = 0;
      if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid) && pid > 0) {
        exec_pid_ = pid;
        return absl::OkStatus();
      }
      struct pollfd fds[2] = {{ino.get(), POLLIN, 0}, {runsc_.pidfd.get(), POLLIN, 0}};
      const int n = RetryEintr([&] { return ::poll(fds, 2, MillisUntil(deadline)); });
      if (n < 0) return ErrnoStatus("poll", "exec");
      if (n == 0) return StartTimedOut("runsc exec");
      if (fds[0].revents & POLLIN) {
        char buf[4096];
        while (::read(ino.get(), buf, sizeof(buf)) > 0) {
        }
        continue;
      }
      if (fds[1].revents) {
        text = ReadFileToString(exec_internal_pid_, 64);
        if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid) && pid > 0) {
          exec_pid_ = pid;  // it ran, and has finished already
          return absl::OkStatus();
        }
        return RunscExited("runsc exec");
      }
    }
  }

  absl::Status DestroyRun() {
    if (!reaped_ && runsc_.pidfd.valid()) {
      if (!started_) {
        // EOF at the gate (no writer left, and /proc/PID/fd/N gone): the hook fails and
        // runsc run tears the sandbox down itself.
        go_w_.Reset();
        go_r_.Reset();
      } else if (sandbox_pidfd_.valid()) {
        (void)PidfdSendSignalRaw(sandbox_pidfd_.get(), SIGKILL);
      }
      if (!WaitExited(runsc_.pidfd.get(), kTeardownTimeout)) {
        (void)PidfdSendSignalRaw(runsc_.pidfd.get(), SIGKILL);
        if (sandbox_pidfd_.valid()) (void)PidfdSendSignalRaw(sandbox_pidfd_.get(), SIGKILL);
      }
      RETURN_IF_ERROR(Wait().status());
    }
    go_w_.Reset();
    go_r_.Reset();
    ready_r_.Reset();
    ready_w_.Reset();
    // runsc run removes its state when it ends normally; killed, it leaves it behind.
    if (DirHasEntries(dirs_.root())) {
      absl::StatusOr<std::string> out = RunRunsc(g_, {"delete", "--force", id_});
      if (!out.ok() && !absl::IsNotFound(out.status())) return out.status();
    }
    return absl::OkStatus();
  }

  absl::Status DestroyExec() {
    exec_gate_w_.Reset();  // not started: runsc exec is never run (the child exits 127)
    if (!reaped_ && runsc_.pidfd.valid()) {
      if (exec_pid_ > 0) {
        // best effort: the runsc process itself is killed next.
        (void)RunRunsc(g_, {"kill", absl::StrCat("--pid=", exec_pid_), id_, "KILL"});
      }
      if (!WaitExited(runsc_.pidfd.get(), kTeardownTimeout)) {
        (void)PidfdSendSignalRaw(runsc_.pidfd.get(), SIGKILL);
      }
      RETURN_IF_ERROR(Wait().status());
    }
    (void)::unlink(exec_process_.c_str());
    (void)::unlink(exec_internal_pid_.c_str());
    return absl::OkStatus();
  }

  const Mode mode_;
  const std::string id_;
  const Dirs dirs_;
  const RunscGlobals g_;
  Spawned runsc_;
  std::unique_ptr<StdioRelay> relay_;  // declared after runsc_: finished before it goes
  pid_t sandbox_pid_ = 0;
  UniqueFd sandbox_pidfd_;
  UniqueFd ready_r_, ready_w_, go_r_, go_w_;
  std::string ready_buf_;
  std::string exec_process_, exec_internal_pid_;
  UniqueFd exec_gate_w_;
  int exec_pid_ = 0;  // the exec'd process's pid inside the sandbox
  bool started_ = false;
  bool reaped_ = false;
  bool detached_ = false;
  bool destroyed_ = false;
  int start_failed_code_ = 0;
  ExitInfo exit_;
  std::vector<std::string> warnings_;
  std::vector<std::string> cgroup_paths_;
  std::unique_ptr<Cgroup> cgroup_;
};

absl::Status RequireId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("gvisor backend: the container has no id");
  return absl::OkStatus();
}

Dirs DirsOf(const ContainerRef& ref) {
  Dirs d;
  d.base = ref.state_dir;
  return d;
}

// What runsc cannot take from the spec as it is, made in the bundle: a root built from entries
// (the default root) as the bundle's rootfs directory, secrets as files bound in, a --context
// copy as a directory bound (read-write, with the tmpfs's attributes) where the spec has its
// tmpfs. The spec runsc gets.
absl::StatusOr<ContainerSpec> StageInBundle(const ContainerSpec& spec, const Dirs& dirs) {
  ContainerSpec rooted = spec;
  if (!spec.root_entries.empty()) {
    rooted.rootfs = dirs.bundle() + "/rootfs";
    rooted.root_entries.clear();
    RETURN_IF_ERROR(MaterializeRootEntries(spec.root_entries, rooted.rootfs));
  }
  if (!spec.secrets.empty()) {
    ASSIGN_OR_RETURN(std::vector<MountSpec> binds, StageSecrets(spec, dirs));
    rooted.secrets.clear();
    rooted.mounts.insert(rooted.mounts.end(), binds.begin(), binds.end());
  }
  if (!spec.context.source.empty()) {
    const std::string workspace = dirs.bundle() + "/workspace";
    RETURN_IF_ERROR(MakeDir(workspace));
    UniqueFd ws(::open(workspace.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!ws.valid()) return ErrnoStatus("open", workspace);
    if (::fchown(ws.get(), spec.process.uid, spec.process.gid) != 0 ||
        ::fchmod(ws.get(), 0755) != 0) {
      return ErrnoStatus("chown", workspace);
    }
    const ContextSpec& c = spec.context;
    ASSIGN_OR_RETURN(ContextWalk walk, WalkContext(c, ws.get(), spec.process.uid, spec.process.gid,
                                                   !c.manifest.empty() || !c.verify.empty()));
    RETURN_IF_ERROR(FinishContext(c, walk));
    for (MountSpec& m : rooted.mounts) {
      if (m.destination != kWorkspaceDir || m.type != MountSpec::Type::kTmpfs) continue;
      m.type = MountSpec::Type::kBind;
      m.source = workspace;
      m.recursive = false;
    }
  }
  return rooted;
}

}  // namespace

int ExitCodeForStartError(absl::string_view msg) {
  std::string lower = absl::AsciiStrToLower(msg);
  if (absl::StrContains(lower, "no such file or directory") ||
      absl::StrContains(lower, "executable file not found")) {
    return 127;
  }
  if (absl::StrContains(lower, "permission denied")) return 126;
  return kExitNucleus;
}

ExitInfo ExitInfoFromRunsc(int wstatus) {
  ExitInfo info = ExitInfo::FromWaitStatus(wstatus);
  // runsc reports the workload's death by signal N as status 128+N.
  if (info.kind == ExitInfo::Kind::kExited && info.code > 128 && info.code < 128 + 32) {
    info.kind = ExitInfo::Kind::kSignaled;
    info.signal = info.code - 128;
    info.code = 0;
  }
  return info;
}

absl::StatusOr<std::unique_ptr<Container>> GvisorBackend::Create(const ContainerSpec& spec,
                                                                 const CreateOptions& options) {
  RETURN_IF_ERROR(RequireId(spec.id));
  GvisorConfigOptions config_options;
  config_options.root_caller = ::geteuid() == 0;
  // Checked before anything exists on the host.
  ASSIGN_OR_RETURN(RunscInfo probed, ProbeRunsc());
  config_options.oci_seccomp = probed.oci_seccomp;
  RETURN_IF_ERROR(CheckGvisorSpec(spec, config_options).status());
  ASSIGN_OR_RETURN(Dirs dirs, MakeDirs(options.state_dir));
  absl::Cleanup remove_dirs = [&] {
    // cleanup on an error path: the error returned is the first
    (void)RemoveDirs(dirs);
  };
  ASSIGN_OR_RETURN(ContainerSpec rooted, StageInBundle(spec, dirs));
  std::string platform_warning;
  ASSIGN_OR_RETURN(RunscGlobals g, GlobalsFor(spec, dirs, /*for_create=*/true, &platform_warning));
  UniqueFd bundle_fd(::open(dirs.bundle().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!bundle_fd.valid()) return ErrnoStatus("open", dirs.bundle());
  RETURN_IF_ERROR(SaveGlobals(bundle_fd.get(), g));
  ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> cgroup, MakeCgroup(spec));

  if (!options.detached) {
    int ready[2], go[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "gVisor start gate");
    UniqueFd ready_r(ready[0]), ready_w(ready[1]);
    if (::pipe2(go, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "gVisor start gate");
    UniqueFd go_r(go[0]), go_w(go[1]);
    if (::fcntl(ready_r.get(), F_SETFL, O_NONBLOCK) != 0) return ErrnoStatus("fcntl", "gate");
    const pid_t self = ::getpid();
    config_options.prestart = {GatePrestartHook(self, ready_w.get(), go_r.get())};
    config_options.poststart = {GatePoststartHook(self, ready_w.get())};
    ASSIGN_OR_RETURN(GvisorConfig config, GvisorConfigJson(rooted, config_options));
    RETURN_IF_ERROR(WriteBundleFile(bundle_fd.get(), "config.json", config.json));
    ASSIGN_OR_RETURN(std::unique_ptr<StdioRelay> relay, StdioRelay::Start({0, 1, 2}));
    SpawnOptions so;
    PlaceInCgroup(cgroup.get(), so);
    so.die_with_parent = true;
    so.stdin_fd = relay->child_fd(0);
    so.stdout_fd = relay->child_fd(1);
    so.stderr_fd = relay->child_fd(2);
    ASSIGN_OR_RETURN(Spawned runsc,
                     Spawn(RunscArgv(g, {"run", "--bundle", dirs.bundle(), spec.id}), so));
    relay->CloseChildEnds();
    std::move(remove_dirs).Cancel();
    auto c = std::make_unique<GvisorContainer>(GvisorContainer::Mode::kRun, spec.id, dirs, g);
    c->set_runsc(std::move(runsc));
    c->set_relay(std::move(relay));
    c->set_cgroup(std::move(cgroup));
    c->set_gate(std::move(ready_r), std::move(ready_w), std::move(go_r), std::move(go_w));
    if (!platform_warning.empty()) config.warnings.push_back(platform_warning);
    c->set_warnings(std::move(config.warnings));
    // On an error, the container's destructor tears down what runsc made.
    RETURN_IF_ERROR(c->AwaitGate());
    return std::unique_ptr<Container>(std::move(c));
  }

  ASSIGN_OR_RETURN(GvisorConfig config, GvisorConfigJson(rooted, config_options));
  RETURN_IF_ERROR(WriteBundleFile(bundle_fd.get(), "config.json", config.json));
  const std::string pid_file = dirs.bundle() + "/sandbox.pid";
  SpawnOptions so;
  PlaceInCgroup(cgroup.get(), so);
  ASSIGN_OR_RETURN(
      Spawned create,
      Spawn(RunscArgv(g, {"create", "--bundle", dirs.bundle(), "--pid-file", pid_file, spec.id}),
            so));
  const bool created_in_time = WaitExited(create.pidfd.get(), kStartTimeout);
  if (!created_in_time) (void)PidfdSendSignalRaw(create.pidfd.get(), SIGKILL);
  ASSIGN_OR_RETURN(int wstatus, WaitPidfd(create.pidfd.get(), "runsc create"));
  std::move(remove_dirs).Cancel();
  auto c = std::make_unique<GvisorContainer>(GvisorContainer::Mode::kCreate, spec.id, dirs, g);
  c->set_cgroup(std::move(cgroup));
  if (!platform_warning.empty()) config.warnings.push_back(platform_warning);
  c->set_warnings(std::move(config.warnings));
  if (!created_in_time) {
    return absl::DeadlineExceededError(absl::StrCat(
        "runsc create ", spec.id, ": the sandbox did not start within ",
        absl::FormatDuration(kStartTimeout), " (runsc killed; platform ", g.platform, ")"));
  }
  // From here on the container's Destroy() (its destructor) removes what runsc made.
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    std::string msg = LastRunscLogError(g.log);
    return absl::FailedPreconditionError(
        absl::StrCat("runsc create ", spec.id, ": ", msg.empty() ? "failed" : msg));
  }
  ASSIGN_OR_RETURN(std::string pid_text, ReadFileToString(pid_file, 64));
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(pid_text), &pid) || pid <= 0) {
    return absl::InternalError(absl::StrCat(pid_file, ": not a pid: '", pid_text, "'"));
  }
  ASSIGN_OR_RETURN(UniqueFd pidfd, PidfdOpen(pid));
  c->set_sandbox(pid, std::move(pidfd));
  return std::unique_ptr<Container>(std::move(c));
}

absl::StatusOr<std::unique_ptr<Container>> GvisorBackend::Exec(const ContainerSpec& spec,
                                                               const ContainerRef& ref,
                                                               bool detached) {
  RETURN_IF_ERROR(RequireId(spec.id));
  if (ref.state_dir.empty()) {
    return absl::InvalidArgumentError("gvisor exec: the container's state directory is unknown");
  }
  if (ref.pidfd < 0) {
    return absl::FailedPreconditionError(absl::StrCat("container ", spec.id, " is not running"));
  }
  ASSIGN_OR_RETURN(std::string process_json, GvisorProcessJson(spec));
  Dirs dirs = DirsOf(ref);
  ASSIGN_OR_RETURN(RunscGlobals g, GlobalsFor(spec, dirs, /*for_create=*/false));
  UniqueFd bundle_fd(::open(dirs.bundle().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!bundle_fd.valid()) return ErrnoStatus("open", dirs.bundle());
  static std::atomic<int> counter{0};
  const std::string stem = absl::StrCat("exec-", ::getpid(), "-", counter++);
  RETURN_IF_ERROR(WriteBundleFile(bundle_fd.get(), stem + ".json", process_json));
  const std::string process_path = absl::StrCat(dirs.bundle(), "/", stem, ".json");
  const std::string internal_pid = absl::StrCat(dirs.bundle(), "/", stem, ".pid");
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "runsc exec gate");
  UniqueFd gate_r(gate[0]), gate_w(gate[1]);
  // A detached exec outlives us: nothing could relay for it.
  std::unique_ptr<StdioRelay> relay;
  if (!detached) {
    absl::StatusOr<std::unique_ptr<StdioRelay>> started = StdioRelay::Start({0, 1, 2});
    if (!started.ok()) {
      (void)::unlink(process_path.c_str());
      return started.status();
    }
    relay = *std::move(started);
  }
  SpawnOptions so;
  so.gate_fd = gate_r.get();
  so.die_with_parent = !detached;
  if (relay) {
    so.stdin_fd = relay->child_fd(0);
    so.stdout_fd = relay->child_fd(1);
    so.stderr_fd = relay->child_fd(2);
  }
  absl::StatusOr<Spawned> runsc = Spawn(
      RunscArgv(g,
                {"exec", "--process", process_path, "--internal-pid-file", internal_pid, spec.id}),
      so);
  if (!runsc.ok()) {
    (void)::unlink(process_path.c_str());
    return runsc.status();
  }
  if (relay) relay->CloseChildEnds();
  auto c = std::make_unique<GvisorContainer>(GvisorContainer::Mode::kExec, spec.id, dirs, g);
  c->set_runsc(*std::move(runsc));
  c->set_relay(std::move(relay));
  c->set_exec_files(process_path, internal_pid, std::move(gate_w));
  return std::unique_ptr<Container>(std::move(c));
}

absl::Status GvisorBackend::StartCreated(const ContainerRef& ref, int* exit_code) {
  if (exit_code) *exit_code = kExitNucleus;
  if (ref.spec == nullptr) return absl::InvalidArgumentError("gvisor start: no spec");
  if (ref.state_dir.empty() || !DirHasEntries(DirsOf(ref).root())) {
    return absl::FailedPreconditionError("the container's sandbox is not waiting to start");
  }
  ASSIGN_OR_RETURN(RunscGlobals g, GlobalsFor(*ref.spec, DirsOf(ref), /*for_create=*/false));
  absl::StatusOr<std::string> out = RunRunsc(g, {"start", ref.spec->id});
  if (!out.ok() && exit_code) *exit_code = ExitCodeForStartError(out.status().message());
  return out.status();
}

absl::Status GvisorBackend::Signal(const ContainerRef& ref, int sig, bool all) {
  if (ref.spec == nullptr) return absl::InvalidArgumentError("gvisor signal: no spec");
  if (ref.pidfd < 0) return absl::OkStatus();  // gone meanwhile
  if (all) {
    ASSIGN_OR_RETURN(RunscGlobals g, GlobalsFor(*ref.spec, DirsOf(ref), /*for_create=*/false));
    absl::StatusOr<std::string> out =
        RunRunsc(g, {"kill", "--all", ref.spec->id, absl::StrCat(sig)});
    if (out.ok() || WaitExited(ref.pidfd, absl::ZeroDuration())) return absl::OkStatus();
    return out.status();
  }
  return PidfdSendSignal(ref.pidfd, sig, ref.pid);
}

absl::Status GvisorBackend::Remove(const ContainerRef& ref) {
  if (ref.state_dir.empty()) return absl::OkStatus();
  Dirs dirs = DirsOf(ref);
  if (DirHasEntries(dirs.root()) && ref.spec != nullptr) {
    ASSIGN_OR_RETURN(RunscGlobals g, GlobalsFor(*ref.spec, dirs, /*for_create=*/false));
    absl::StatusOr<std::string> out = RunRunsc(g, {"delete", "--force", ref.spec->id});
    if (!out.ok() && !absl::IsNotFound(out.status())) return out.status();
  }
  return RemoveDirs(dirs);
}

}  // namespace nucleus
