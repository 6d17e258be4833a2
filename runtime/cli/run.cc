// `nucleus run [FLAGS] -- CMD [ARGS...]`: create, start, wait for and remove a container,
// and exit with the command's status. With -d, a monitor process (nucleus itself, in a new
// session) does the same in the background, the container's stdout and stderr going to its
// log; the caller returns once the command runs, printing the container's id.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/api.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/common.h"
#include "runtime/identity.h"
#include "runtime/audit/audit.h"
#include "runtime/backends.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/notify/bridge.h"
#include "runtime/probe/probe.h"
#include "runtime/service/policy.h"
#include "runtime/spec/flags.h"
#include "runtime/util/status.h"
#include "runtime/util/subprocess.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

// The exit status for a failed run: exec failures exit 126/127 as a shell's would.
int FailRun(const absl::Status& st, int exec_exit_code) {
  Fail(std::string(st.message()));
  if (exec_exit_code == kExitNotExecutable || exec_exit_code == kExitNotFound) {
    return exec_exit_code;
  }
  return kExitNucleusError;
}

void Report(int fd, const std::string& text) {
  if (fd < 0) return;
  (void)!::write(fd, text.data(), text.size());
}

// --- sd_notify (README "systemd") ---------------------------------------------------------

// The container gets the bridge's socket (made in its state directory; the path returned) at
// kContainerNotifySocket: a 64 KiB tmpfs on /run/nucleus (so the mount point exists on a
// read-only root; 0755, so the workload cannot add files there) holding a bind of it.
std::string AddNotifySocket(const StateStore& store, ContainerSpec* spec) {
  const std::string host_path = absl::StrCat(store.ContainerDirPath(spec->id), "/notify.sock");
  MountSpec dir;
  dir.type = MountSpec::Type::kTmpfs;
  dir.destination = "/run/nucleus";
  dir.read_only = false;
  dir.tmpfs_size = 64 << 10;
  dir.tmpfs_mode = 0755;
  MountSpec sock;
  sock.type = MountSpec::Type::kBind;
  sock.source = host_path;
  sock.destination = kContainerNotifySocket;
  sock.read_only = false;
  sock.recursive = false;
  spec->mounts.push_back(dir);
  spec->mounts.push_back(sock);
  spec->process.env.push_back(absl::StrCat("NOTIFY_SOCKET=", kContainerNotifySocket));
  spec->landlock.unix_sockets.push_back(kContainerNotifySocket);  // made by nucleus, outside
  return host_path;
}

// The bridge for a container: relays to `upstream` ($NOTIFY_SOCKET; "" none). A hostile or
// unusable upstream is refused with a warning, and the bridge runs without it.
absl::StatusOr<std::unique_ptr<NotifyBridge>> OpenBridge(const std::string& path,
                                                         const ContainerSpec& spec,
                                                         const std::string& upstream) {
  // The container user's host ids (unmapped: nobody, who cannot send; nor can anyone else).
  uid_t uid = HostUidOf(spec, spec.process.uid).value_or(65534);
  gid_t gid = HostGidOf(spec, spec.process.gid).value_or(65534);
  absl::StatusOr<std::unique_ptr<NotifyBridge>> b = NotifyBridge::Create(path, uid, gid, upstream);
  if (!b.ok() && !upstream.empty() && absl::StartsWith(b.status().message(), "NOTIFY_SOCKET")) {
    Warn(std::string(b.status().message()));
    b = NotifyBridge::Create(path, uid, gid, "");
  }
  return b;
}

// Handles what the workload sent: refused datagrams and relay failures are warnings (the
// log of a detached container). Returns whether it said READY=1.
bool DrainBridge(NotifyBridge& bridge, bool relay_ready) {
  absl::StatusOr<NotifyEvents> ev = bridge.Drain(relay_ready);
  if (!ev.ok()) {
    Warn(absl::StrCat("sd_notify: ", ev.status().message()));
    return false;
  }
  for (const std::string& line : ev->refused) Warn(absl::StrCat("sd_notify: refused: ", line));
  if (!ev->relay.ok()) Warn(std::string(ev->relay.message()));
  return ev->ready;
}

// --readiness-sd-notify: until the workload says READY=1 (retries x interval at most).
absl::Status WaitForNotifyReady(NotifyBridge& bridge, const ReadinessProbe& probe, int pidfd) {
  const absl::Duration limit = probe.interval * probe.retries;
  const absl::Time deadline = absl::Now() + limit;
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("no READY=1 on $NOTIFY_SOCKET within ", absl::FormatDuration(limit)));
    }
    struct pollfd fds[2] = {{bridge.fd(), POLLIN, 0}, {pidfd, POLLIN, 0}};
    int ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    if (RetryEintr([&] { return ::poll(fds, 2, ms); }) < 0) return ErrnoStatus("poll");
    if (fds[0].revents && DrainBridge(bridge, /*relay_ready=*/true)) return absl::OkStatus();
    if (fds[1].revents) {
      return absl::FailedPreconditionError("the container exited before it was ready");
    }
  }
}

// A foreground run's readiness probe runs in a child, so that the wait loop goes on: it
// writes "" (ready) or why not to the pipe, and exits. It dies with us.
struct ProbeChild {
  Spawned child;
  UniqueFd result;
};
absl::StatusOr<ProbeChild> StartProbeChild(const ReadinessProbe& probe, Backend& backend,
                                           const ContainerRef& ref) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "readiness");
  UniqueFd r(fds[0]), w(fds[1]);
  SpawnOptions options;
  options.die_with_parent = true;
  ASSIGN_OR_RETURN(Spawned child, SpawnFunction(
                                      [&] {
                                        absl::Status ready = WaitUntilReady(probe, backend, ref);
                                        std::string msg(ready.message());
                                        (void)!::write(w.get(), msg.data(), msg.size());
                                        return 0;
                                      },
                                      options));
  return ProbeChild{std::move(child), std::move(r)};
}

// Arms a one-shot timerfd to fire after d.
absl::Status ArmTimer(int fd, absl::Duration d) {
  struct itimerspec t = {};
  t.it_value = absl::ToTimespec(std::max(d, absl::Nanoseconds(1)));
  if (::timerfd_settime(fd, 0, &t, nullptr) != 0) return ErrnoStatus("timerfd_settime");
  return absl::OkStatus();
}

// The monitor's wait with a health check (docker's semantics): every interval (counted from
// the end of the previous check), the command runs inside the container; `retries` failures
// in a row (not counting those within the start period) make it unhealthy, a success healthy
// again. The state shows it (`ps`, `inspect`); on_failure kill or restart ends an unhealthy
// container. The checks are a timer served by WaitForwarding's loop, which forwards signals.
absl::StatusOr<ExitInfo> WaitWithHealth(Container& c, int sigfd, const RunRequest& req,
                                        StateStore& store, Backend& backend,
                                        const ContainerRef& ref, bool* killed_unhealthy) {
  const HealthCheck& h = req.health;
  const std::string& id = req.spec.id;
  UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
  if (!timer.valid()) return ErrnoStatus("timerfd_create", "health check");
  RETURN_IF_ERROR(ArmTimer(timer.get(), h.interval));
  const absl::Time started = absl::Now();
  HealthState health;
  // best effort: the health record is for `ps`; the check goes on without it.
  (void)RecordHealth(store, id, health.status, 0, "");
  auto check = [&]() -> bool {
    uint64_t expirations;
    (void)!::read(timer.get(), &expirations, sizeof(expirations));
    absl::Status r = ProbeExecOnce(backend, ref, h.cmd, h.timeout);
    const HealthStep step =
        NextHealth(h, health, r.ok(), /*in_start_period=*/absl::Now() - started < h.start_period);
    const std::string output = r.ok() ? "" : std::string(r.message());
    const std::string streak = absl::StrCat(step.next.failing_streak);
    if (step.next.status != health.status) {
      AuditLog::Global().Emit("health-changed", id, req.name,
                              {{"from", health.status},
                               {"to", step.next.status},
                               {"failing_streak", streak},
                               {"output", output}});
    }
    // best effort: the health record is for `ps`; the check goes on without it.
    (void)RecordHealth(store, id, step.next.status, step.next.failing_streak, output);
    if (step.kill) {
      AuditLog::Global().Emit(
          "killed-unhealthy", id, req.name,
          {{"failing_streak", streak},
           {"then", h.on_failure == HealthCheck::OnFailure::kRestart ? "restart" : "stop"}});
      *killed_unhealthy = true;
      // already exiting: the wait reports how it ended.
      (void)c.Kill(SIGKILL);
    }
    health = step.next;
    return ArmTimer(timer.get(), h.interval).ok();
  };
  return WaitForwarding(c, sigfd, -1, id, {{timer.get(), check}});
}

// Waits `backoff` before a restart. false: do not restart (the entry was removed, `stop` asked
// for it to stay stopped, or the monitor got SIGTERM/SIGINT meanwhile).
bool AwaitRestart(StateStore& store, const std::string& id, int sigfd, absl::Duration backoff) {
  const absl::Time deadline = absl::Now() + backoff;
  for (;;) {
    absl::StatusOr<ContainerState> st = store.Load(id);
    if (!st.ok() || st->stop_requested) return false;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return true;
    struct pollfd p = {sigfd, POLLIN, 0};
    int ms = static_cast<int>(absl::ToInt64Milliseconds(std::min(left, absl::Milliseconds(100))));
    if (RetryEintr([&] { return ::poll(&p, 1, ms); }) > 0) {
      struct signalfd_siginfo si;
      if (::read(sigfd, &si, sizeof(si)) == sizeof(si) &&
          (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)) {
        return false;
      }
    }
  }
}

// --restart (and --health-on-failure restart): runs the container again while
// runtime/service/policy.h says so; the last run's end. *killed_unhealthy: set by the health
// check of the run that just ended (the callbacks' wait), cleared for the next.
absl::StatusOr<ExitInfo> RestartAsPolicySays(StateStore& store, const RunRequest& req,
                                             const AttachedCallbacks& cb, int sigfd,
                                             absl::StatusOr<ExitInfo> info, int exec_code,
                                             bool* killed_unhealthy) {
  absl::Duration backoff = kFirstBackoff;
  absl::Time began = absl::Now();
  for (int restarts = 1;; ++restarts) {
    const int status = info.ok() ? info->ExitStatus() : (exec_code ? exec_code : kExitNucleusError);
    if (!ShouldRestart(req.restart, req.health, *killed_unhealthy, status, restarts)) break;
    backoff = RestartBackoff(backoff, absl::Now() - began);
    if (!AwaitRestart(store, req.spec.id, sigfd, backoff)) break;
    backoff = NextBackoff(backoff);
    AuditLog::Global().Emit(
        "restarted", req.spec.id, req.name,
        {{"count", absl::StrCat(restarts)},
         {"after", info.ok() ? info->Describe() : std::string(info.status().message())}});
    *killed_unhealthy = false;
    began = absl::Now();
    exec_code = 0;
    info = RunAttached(store, req.spec, req.name, /*remove_when_done=*/false, cb, &exec_code,
                       restarts);
    if (!info.ok() && (absl::IsNotFound(info.status()) || absl::IsCancelled(info.status()))) {
      break;  // removed or stopped meanwhile
    }
  }
  return info;
}

// The `run -d` monitor: runs the container as its child and records its end, and starts it
// again as --restart and --health-on-failure say.
[[noreturn]] void Monitor(RunRequest req, int report_fd) {
  ::setsid();
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) ::dup2(null, STDIN_FILENO);
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) {
    Report(report_fd, absl::StrCat("125 ", store.status().message()));
    _exit(kExitNucleusError);
  }
  SignalForwarder forwarder;
  std::unique_ptr<Backend> backend = BackendFor(req.spec);
  // --readiness-sd-notify: a bridge without upstream until READY=1 (run -d's caller is gone
  // by the time anything else could be relayed; README "systemd" runs nucleus in the
  // foreground). Closed once ready, so a workload's later notifications fail fast.
  std::unique_ptr<NotifyBridge> bridge;
  std::string bridge_path;
  if (req.readiness.sd_notify) {
    bridge_path = AddNotifySocket(*store, &req.spec);
  }
  UniqueFd dir;  // the container's state directory
  auto ref_of = [&](const Container& c) {
    return RefOf(*store, req.spec, c.pid(), dir.get(), c.wait_fd());
  };
  AttachedCallbacks cb;
  cb.on_registered = [&](int dir_fd) -> absl::Status {
    dir = UniqueFd(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
    if (!dir.valid()) return ErrnoStatus("fcntl(F_DUPFD_CLOEXEC)", "state directory");
    if (!bridge_path.empty()) {
      bridge.reset();  // a restart: the previous run's
      ASSIGN_OR_RETURN(bridge, OpenBridge(bridge_path, req.spec, ""));
    }
    UniqueFd log(::openat(dir_fd, kLogFileName,
                          O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!log.valid()) return ErrnoStatus("open", kLogFileName);
    if (::dup2(log.get(), STDOUT_FILENO) < 0 || ::dup2(log.get(), STDERR_FILENO) < 0) {
      return ErrnoStatus("dup2", kLogFileName);
    }
    return absl::OkStatus();
  };
  Container* container = nullptr;
  bool ready_failed = false;
  cb.on_created = [&](Container& c) {
    container = &c;
    std::string warnings;
    for (const std::string& w : c.warnings()) absl::StrAppend(&warnings, w, "\n");
    Report(report_fd, absl::StrCat("W ", warnings.size(), "\n", warnings));
  };
  cb.on_started = [&](const ContainerState& st) {
    if (req.readiness.enabled() && container != nullptr) {
      absl::Status ready = bridge ? WaitForNotifyReady(*bridge, req.readiness, container->wait_fd())
                                  : WaitUntilReady(req.readiness, *backend, ref_of(*container));
      bridge.reset();
      if (ready.ok()) ready = MarkReady(*store, st.id);
      if (!ready.ok()) {
        AuditLog::Global().Emit("not-ready", st.id, st.name,
                                {{"reason", std::string(ready.message())}});
        // Not ready: the caller hears why; the container goes (its end is recorded, and
        // `logs` keeps what it printed).
        (void)container->Kill(SIGKILL);
        if (report_fd >= 0) ready_failed = true;  // run -d fails: no restart
        Report(report_fd, absl::StrCat(kExitNucleusError, " readiness: ", ready.message()));
        ::close(report_fd);
        report_fd = -1;
        return;
      }
    }
    Report(report_fd, "0 started");
    ::close(report_fd);
    report_fd = -1;
  };
  bool killed_unhealthy = false;
  cb.wait = [&](Container& c) -> absl::StatusOr<ExitInfo> {
    if (req.health.enabled()) {
      return WaitWithHealth(c, forwarder.fd(), req, *store, *backend, ref_of(c), &killed_unhealthy);
    }
    return WaitForwarding(c, forwarder.fd(), -1, req.spec.id);
  };
  int exec_code = 0;
  absl::StatusOr<ExitInfo> info =
      RunAttached(*store, req.spec, req.name, /*remove_when_done=*/req.remove, cb, &exec_code);
  if (!info.ok()) {
    int code = exec_code == kExitNotExecutable || exec_code == kExitNotFound ? exec_code
                                                                             : kExitNucleusError;
    Report(report_fd, absl::StrCat(code, " ", info.status().message()));
    _exit(code);
  }
  if (!ready_failed) {
    info = RestartAsPolicySays(*store, req, cb, forwarder.fd(), std::move(info), exec_code,
                               &killed_unhealthy);
  }
  _exit(info.ok() ? info->ExitStatus() : kExitNucleusError);
}

int RunDetached(const RunRequest& req) {
  if (req.spec.process.terminal) {
    return Fail("run: -t with -d is not supported (nucleus has no attach); use exec -t");
  }
  absl::StatusOr<StateStore> store = OpenStore();  // fail early, in the caller's terminal
  if (!store.ok()) return Fail(std::string(store.status().message()));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Fail(ErrnoStatus("pipe2").ToString());
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = ::fork();  // lint: own process (the run -d monitor)
  if (pid < 0) return Fail(ErrnoStatus("fork", "monitor").ToString());
  if (pid == 0) {
    read_end.Reset();
    Monitor(req, write_end.Release());
  }
  write_end.Reset();
  // "W LEN\nWARNINGS" (optional), then "CODE MESSAGE": 0 = running.
  absl::StatusOr<std::string> text = ReadFdToString(read_end.get(), 1 << 20);
  if (!text.ok()) return Fail(std::string(text.status().message()));
  std::string rest = *text;
  if (rest.rfind("W ", 0) == 0) {
    size_t nl = rest.find('\n');
    size_t len = 0;
    if (nl != std::string::npos && absl::SimpleAtoi(rest.substr(2, nl - 2), &len)) {
      std::string warnings = rest.substr(nl + 1, len);
      rest = rest.substr(nl + 1 + std::min(len, rest.size() - nl - 1));
      size_t start = 0;
      while (start < warnings.size()) {
        size_t end = warnings.find('\n', start);
        Warn(warnings.substr(start, end - start));
        start = end == std::string::npos ? warnings.size() : end + 1;
      }
    }
  }
  size_t sp = rest.find(' ');
  int code = kExitNucleusError;
  if (sp == std::string::npos || !absl::SimpleAtoi(rest.substr(0, sp), &code)) {
    // The monitor died before it could say (reap it if it already exited).
    (void)::waitpid(pid, nullptr, WNOHANG);  // lint: own process (the monitor)
    return Fail("run -d: the monitor process exited without reporting");
  }
  if (code != 0) {
    // A readiness failure: the monitor still records the container's end; don't wait.
    (void)::waitpid(pid, nullptr, WNOHANG);  // lint: own process (the monitor)
    Fail(rest.substr(sp + 1));
    return code;
  }
  printf("%s\n", req.spec.id.c_str());
  return 0;
}

// Where the sd_notify bridge relays the workload's notifications: systemd's socket, except
// from a gVisor sandbox (no socket can be passed in), which is warned.
std::string NotifyUpstream(const std::string& systemd, const ContainerSpec& spec) {
  if (systemd.empty() || spec.backend != ContainerSpec::BackendKind::kGvisor) return systemd;
  Warn(
      "NOTIFY_SOCKET: not relayed into a gVisor sandbox (no socket can be passed in); "
      "use a readiness probe: nucleus then says READY=1 itself");
  return "";
}

// `nucleus run` without -d: the container is this process's child; signals are forwarded,
// the readiness probe and the sd_notify relay served, and its exit status is ours.
int RunForeground(RunRequest request) {
  RunRequest* req = &request;
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  // Block the forwarded signals before the container exists, so none is lost or kills us
  // half-way; they are read from a signalfd while the container runs.
  SignalForwarder forwarder;
  if (forwarder.fd() < 0) return Fail(ErrnoStatus("signalfd").ToString());
  // Under systemd (Type=notify) the workload's notifications are relayed; nucleus itself
  // says READY=1 when its readiness probe passes (README "systemd").
  const char* notify_env = ::getenv("NOTIFY_SOCKET");
  const std::string systemd = notify_env ? notify_env : "";
  const std::string upstream = NotifyUpstream(systemd, req->spec);  // what the bridge relays to
  const bool probe = req->readiness.enabled() && !req->readiness.sd_notify;
  std::unique_ptr<NotifyBridge> bridge;
  std::string bridge_path;
  if (!upstream.empty() || req->readiness.sd_notify) {
    if (req->spec.process.terminal) {
      return Fail(
          "run: -t: the sd_notify relay ($NOTIFY_SOCKET, --readiness-sd-notify) "
          "needs a run without a terminal");
    }
    bridge_path = AddNotifySocket(*store, &req->spec);
  }
  if (probe && req->spec.process.terminal) {
    return Fail("run: -t: readiness probes need a run without a terminal (or -d)");
  }
  std::unique_ptr<Backend> backend = BackendFor(req->spec);
  UniqueFd dir;
  UniqueFd console;
  AttachedCallbacks cb;
  cb.on_registered = [&](int dir_fd) -> absl::Status {
    dir = UniqueFd(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
    if (!dir.valid()) return ErrnoStatus("fcntl(F_DUPFD_CLOEXEC)", "state directory");
    if (bridge_path.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(bridge, OpenBridge(bridge_path, req->spec, upstream));
    return absl::OkStatus();
  };
  cb.on_created = [&](Container& c) {
    for (const std::string& w : c.warnings()) Warn(w);
    if (req->spec.process.terminal) console = c.TakeConsole();
  };
  ProbeChild prober;
  bool not_ready = false;
  cb.wait = [&](Container& c) {
    std::vector<WatchedFd> watched;
    auto ready = [&] {
      // best effort: readiness still reaches systemd and the caller.
      (void)MarkReady(*store, req->spec.id);
      if (probe && !systemd.empty()) {
        absl::Status sent = bridge ? bridge->Notify("READY=1") : SendNotify(systemd, "READY=1");
        if (!sent.ok()) Warn(std::string(sent.message()));
      }
    };
    if (bridge) {
      watched.push_back({bridge->fd(), [&] {
                           if (DrainBridge(*bridge, /*relay_ready=*/!probe) && !probe) ready();
                           return true;
                         }});
    }
    if (probe) {
      absl::StatusOr<ProbeChild> child = StartProbeChild(
          req->readiness, *backend, RefOf(*store, req->spec, c.pid(), dir.get(), c.wait_fd()));
      if (!child.ok()) return absl::StatusOr<ExitInfo>(child.status());
      prober = *std::move(child);
      watched.push_back({prober.result.get(), [&] {
                           absl::StatusOr<std::string> why =
                               ReadFdToString(prober.result.get(), 1 << 16);
                           if (why.ok() && why->empty()) {
                             ready();
                           } else {
                             not_ready = true;
                             Fail(absl::StrCat("readiness: ", why.ok() ? *why : "no answer"));
                             // already exiting: the wait reports how it ended.
                             (void)c.Kill(SIGKILL);
                           }
                           return false;
                         }});
    }
    return WaitForwarding(c, forwarder.fd(), console.get(), req->spec.id, std::move(watched));
  };
  int exec_code = 0;
  absl::StatusOr<ExitInfo> info =
      RunAttached(*store, req->spec, req->name, /*remove_when_done=*/true, cb, &exec_code);
  if (prober.child.pidfd.valid()) {
    (void)PidfdSendSignalRaw(prober.child.pidfd.get(), SIGKILL);
    (void)WaitPidfd(prober.child.pidfd.get(), "readiness probe");  // nothing to learn from it
  }
  bridge.reset();
  if (!info.ok()) return FailRun(info.status(), exec_code);
  if (not_ready) return kExitNucleusError;
  // "nucleus: killed: out of memory (limit 32 MiB)"; the status stays 137 (128 + SIGKILL).
  if (info->kind == ExitInfo::Kind::kOom) Fail(info->Describe());
  return info->ExitStatus();
}

}  // namespace

int RunMain(const std::vector<std::string>& args) {
  absl::StatusOr<RunRequest> req = ParseRunArgs(args, CurrentHostDefaults());
  if (!req.ok()) return Fail(std::string(req.status().message()));
  if (req->help) {
    fputs(RunUsage(), stdout);
    return 0;
  }
  req->spec.backend = ResolveBackend(req->spec.backend, &req->warnings);
  DropDefaultUserNamespaceForGvisor(&*req);
  for (const std::string& w : req->warnings) Warn(w);
  if (req->detach) return RunDetached(*req);
  if (req->remove) Debug("--rm: a foreground run always removes its container");
  return RunForeground(*std::move(req));
}

}  // namespace nucleus
