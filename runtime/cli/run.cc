// `nucleus run [FLAGS] -- CMD [ARGS...]`: create, start, wait for and remove a container,
// and exit with the command's status. With -d, a monitor process (nucleus itself, in a new
// session) does the same in the background, the container's stdout and stderr going to its
// log; the caller returns once the command runs, printing the container's id.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/api.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/common.h"
#include "runtime/audit/audit.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/probe/probe.h"
#include "runtime/spec/flags.h"
#include "runtime/util/status.h"
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

// The monitor's wait with a health check (docker's semantics): every interval, the command
// runs inside the container; `retries` failures in a row (not counting those within the
// start period) make it unhealthy, a success healthy again. The state shows it (`ps`,
// `inspect`); on_failure kill ends an unhealthy container. Signals are forwarded meanwhile.
absl::StatusOr<ExitInfo> WaitWithHealth(Container& c, int sigfd, const RunRequest& req,
                                        StateStore& store, Backend& backend,
                                        const ContainerRef& ref) {
  const HealthCheck& h = req.health;
  const std::string& id = req.spec.id;
  const absl::Time started = absl::Now();
  absl::Time next = started + h.interval;
  std::string status = "starting";
  int streak = 0;
  (void)RecordHealth(store, id, status, 0, "");
  for (;;) {
    int ms = static_cast<int>(
        std::max<int64_t>(0, absl::ToInt64Milliseconds(next - absl::Now())));
    struct pollfd fds[2] = {{c.wait_fd(), POLLIN, 0}, {sigfd, POLLIN, 0}};
    int n = RetryEintr([&] { return ::poll(fds, 2, ms); });
    if (n < 0) return ErrnoStatus("poll");
    if (fds[0].revents) return c.Wait();
    if (fds[1].revents & POLLIN) {
      ForwardSignal(c, sigfd, id);
      continue;
    }
    if (absl::Now() < next) continue;
    absl::Status r = ProbeExecOnce(backend, ref, h.cmd, h.timeout);
    next = absl::Now() + h.interval;
    const bool in_start_period = absl::Now() - started < h.start_period;
    std::string now = status;
    if (r.ok()) {
      streak = 0;
      now = "healthy";
    } else if (!in_start_period) {
      ++streak;
      if (streak >= h.retries) now = "unhealthy";
    }
    std::string output = r.ok() ? "" : std::string(r.message());
    if (now != status) {
      AuditLog::Global().Emit("health-changed", id, req.name,
                              {{"from", status}, {"to", now},
                               {"failing_streak", absl::StrCat(streak)}, {"output", output}});
    }
    (void)RecordHealth(store, id, now, streak, output);
    if (now == "unhealthy" && status != "unhealthy" &&
        h.on_failure == HealthCheck::OnFailure::kKill) {
      AuditLog::Global().Emit("killed-unhealthy", id, req.name,
                              {{"failing_streak", absl::StrCat(streak)}});
      (void)c.Kill(SIGKILL);
    }
    status = now;
  }
}

// The `run -d` monitor: runs the container as its child and records its end.
[[noreturn]] void Monitor(const RunRequest& req, int report_fd) {
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
  UniqueFd dir;  // the container's state directory
  auto ref_of = [&](const Container& c) {
    return RefOf(*store, req.spec, c.pid(), dir.get(), c.wait_fd());
  };
  AttachedCallbacks cb;
  cb.on_registered = [&](int dir_fd) -> absl::Status {
    dir = UniqueFd(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
    if (!dir.valid()) return ErrnoStatus("fcntl(F_DUPFD_CLOEXEC)", "state directory");
    UniqueFd log(::openat(dir_fd, kLogFileName,
                          O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!log.valid()) return ErrnoStatus("open", kLogFileName);
    if (::dup2(log.get(), STDOUT_FILENO) < 0 || ::dup2(log.get(), STDERR_FILENO) < 0) {
      return ErrnoStatus("dup2", kLogFileName);
    }
    return absl::OkStatus();
  };
  Container* container = nullptr;
  cb.on_created = [&](Container& c) {
    container = &c;
    std::string warnings;
    for (const std::string& w : c.warnings()) absl::StrAppend(&warnings, w, "\n");
    Report(report_fd, absl::StrCat("W ", warnings.size(), "\n", warnings));
  };
  cb.on_started = [&](const ContainerState& st) {
    if (req.readiness.enabled() && container != nullptr) {
      absl::Status ready = WaitUntilReady(req.readiness, *backend, ref_of(*container));
      if (ready.ok()) ready = MarkReady(*store, st.id);
      if (!ready.ok()) {
        AuditLog::Global().Emit("not-ready", st.id, st.name,
                                {{"reason", std::string(ready.message())}});
        // Not ready: the caller hears why; the container goes (its end is recorded, and
        // `logs` keeps what it printed).
        (void)container->Kill(SIGKILL);
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
  cb.wait = [&](Container& c) -> absl::StatusOr<ExitInfo> {
    if (req.health.enabled()) {
      return WaitWithHealth(c, forwarder.fd(), req, *store, *backend, ref_of(c));
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
  _exit(info->ExitStatus());
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
  pid_t pid = ::fork();
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
    (void)::waitpid(pid, nullptr, WNOHANG);
    return Fail("run -d: the monitor process exited without reporting");
  }
  if (code != 0) {
    // A readiness failure: the monitor still records the container's end; don't wait.
    (void)::waitpid(pid, nullptr, WNOHANG);
    Fail(rest.substr(sp + 1));
    return code;
  }
  printf("%s\n", req.spec.id.c_str());
  return 0;
}

}  // namespace

int RunMain(const std::vector<std::string>& args) {
  absl::StatusOr<RunRequest> req = ParseRunArgs(args, CurrentHostDefaults());
  if (!req.ok()) return Fail(std::string(req.status().message()));
  if (req->help) {
    fputs(RunUsage(), stdout);
    return 0;
  }
  for (const std::string& w : req->warnings) Warn(w);
  if (req->detach) return RunDetached(*req);
  if (req->remove) Debug("--rm: a foreground run always removes its container");

  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  // Block the forwarded signals before the container exists, so none is lost or kills us
  // half-way; they are read from a signalfd while the container runs.
  SignalForwarder forwarder;
  if (forwarder.fd() < 0) return Fail(ErrnoStatus("signalfd").ToString());
  UniqueFd console;
  AttachedCallbacks cb;
  cb.on_created = [&](Container& c) {
    for (const std::string& w : c.warnings()) Warn(w);
    if (req->spec.process.terminal) console = c.TakeConsole();
  };
  cb.wait = [&](Container& c) {
    return WaitForwarding(c, forwarder.fd(), console.get(), req->spec.id);
  };
  int exec_code = 0;
  absl::StatusOr<ExitInfo> info =
      RunAttached(*store, req->spec, req->name, /*remove_when_done=*/true, cb, &exec_code);
  if (!info.ok()) return FailRun(info.status(), exec_code);
  // "nucleus: killed: out of memory (limit 32 MiB)"; the status stays 137 (128 + SIGKILL).
  if (info->kind == ExitInfo::Kind::kOom) Fail(info->Describe());
  return info->ExitStatus();
}

}  // namespace nucleus
