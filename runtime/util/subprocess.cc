#include "runtime/util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/util/child_steps.h"
#include "runtime/util/pidfd.h"
#include "runtime/util/raw_log.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

extern char** environ;

namespace nucleus {
namespace {

// What the child sends over the report pipe when a step before or at execve fails.
struct ChildError {
  int32_t err;
  char step[28];
};

// Everything the child needs, built before the clone: it must not allocate after it.
struct ChildArgs {
  const char* path = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const std::function<int()>* body = nullptr;
  const SpawnOptions* o = nullptr;
  int report = -1;
  int admit_gate = -1;
  pid_t parent = 0;
};

// --- child side: async-signal-safe calls only, no allocation. ---

[[noreturn]] void ChildFail(int report, const char* step, int err) {
  ChildError msg;
  memset(&msg, 0, sizeof(msg));
  msg.err = err;
  RawCopy(msg.step, sizeof(msg.step), step);
  // One write of a few bytes to a pipe is atomic; if the parent is gone, nobody cares.
  while (::write(report, &msg, sizeof(msg)) < 0 && errno == EINTR) {
  }
  ::_exit(127);
}

// A descriptor moved to 10 or above (close-on-exec), so that dup2 onto 0-2 clobbers none.
int Lift(int fd, int report) {
  if (fd < 0) return -1;
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (high < 0) ChildFail(report, "fcntl(F_DUPFD)", errno);
  return high;
}

bool PassGate(int fd) {
  char byte;
  if (fd < 0) return true;
  const bool open = RetryEintr([&] { return ::read(fd, &byte, 1); }) == 1;
  ::close(fd);
  return open;
}

[[noreturn]] void RunChild(const ChildArgs& a) {
  const SpawnOptions& o = *a.o;
  if (o.new_process_group) (void)::setpgid(0, 0);
  ResetSignalDispositionsInChild();
  int report = Lift(a.report, a.report);
  const int stdio[3] = {Lift(o.stdin_fd, report), Lift(o.stdout_fd, report),
                        Lift(o.stderr_fd, report)};
  int admit_gate = Lift(a.admit_gate, report);
  int gate = Lift(o.gate_fd, report);
  int ns = Lift(o.setns_pidfd, report);
  for (int i = 0; i < 3; ++i) {
    // dup2 clears close-on-exec on the target: exactly what 0-2 need.
    if (stdio[i] >= 0 && ::dup2(stdio[i], i) < 0) ChildFail(report, "dup2", errno);
  }
  // A program gets 0-2 only; a function is our own code, running on our descriptors.
  int keep[4] = {report, admit_gate, gate, ns};
  if (a.body == nullptr) {
    if (int err = CloseFdsInChild(keep, 4); err != 0) ChildFail(report, "close_range", err);
  }
  if (o.die_with_parent) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) ChildFail(report, "prctl", errno);
    if (::getppid() != a.parent) ::_exit(127);  // the parent died before the prctl
  }
  if (!PassGate(admit_gate) || !PassGate(gate)) ::_exit(127);
  if (ns >= 0) {
    if (o.setns_flags != 0 && ::setns(ns, o.setns_flags) != 0) ChildFail(report, "setns", errno);
    ::close(ns);
  }
  // A PID namespace applies to children only: fork once more, and this process only relays
  // its child's end.
  if (o.setns_flags & CLONE_NEWPID) {
    pid_t child = ::fork();
    if (child < 0) ChildFail(report, "fork", errno);
    if (child > 0) {
      ::close(report);  // the child's copy reports its failures
      int status;
      while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) ::_exit(127);
      }
      if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
      UnblockSignalsInChild();
      ::kill(::getpid(), WTERMSIG(status));
      ::_exit(128 + WTERMSIG(status));
    }
  }
  if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) ChildFail(report, "chdir", errno);
  if (a.body != nullptr) {
    ::close(report);
    UnblockSignalsInChild();
    ::_exit((*a.body)());
  }
  UnblockSignalsInChild();
  ::execve(a.path, a.argv, a.envp);
  ChildFail(report, "exec", errno);
}

// --- parent side ---

absl::StatusOr<std::pair<UniqueFd, UniqueFd>> MakePipe(const char* what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", what);
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

absl::StatusOr<Spawned> SpawnChild(ChildArgs& a, const SpawnOptions& o, const char* what) {
  ASSIGN_OR_RETURN(auto report, MakePipe("spawn report"));
  std::pair<UniqueFd, UniqueFd> gate;
  if (o.admit) {
    ASSIGN_OR_RETURN(gate, MakePipe("spawn gate"));
  }
  a.o = &o;
  a.report = report.second.get();
  a.admit_gate = gate.first.get();
  a.parent = ::getpid();
  int cgroup_fd = o.cgroup_fd;
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  pid_t pid = Clone3(0, &pidfd, &cgroup_fd);
  if (pid < 0 && errno == ENOSYS) {  // Linux < 5.3: no clone3, no pidfd
    cgroup_fd = -1;
    pid = ::fork();
  }
  if (pid == 0) RunChild(a);
  const int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return ErrnoStatus("clone3", what, clone_errno);
  // Also from here, so the group exists before any kill(-pid) (EACCES once the child has
  // exec'd means it already did it itself).
  if (o.new_process_group) (void)::setpgid(pid, pid);
  Spawned s;
  s.pid = pid;
  s.pidfd.Reset(pidfd);
  s.report = std::move(report.first);
  if (o.admit) {
    gate.first.Reset();
    absl::Status admitted = o.admit(pid, /*cloned_into_cgroup=*/cgroup_fd >= 0);
    if (admitted.ok() && RetryEintr([&] { return ::write(gate.second.get(), "g", 1); }) != 1) {
      admitted = ErrnoStatus("write", "spawn gate");
    }
    if (!admitted.ok()) {
      gate.second.Reset();  // EOF: the child exits without running anything
      (void)::kill(pid, SIGKILL);
      RetryEintr([&] { return ::waitpid(pid, nullptr, 0); });
      return admitted;
    }
  }
  return s;
}

absl::Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return ErrnoStatus("fcntl", "O_NONBLOCK");
  }
  return absl::OkStatus();
}

// Reads what is available on a non-blocking fd, keeping the first `keep` bytes. Closes the
// fd at EOF or on error.
void Drain(UniqueFd& fd, std::string& kept, size_t keep) {
  char buf[16 << 10];
  while (fd.valid()) {
    ssize_t n = RetryEintr([&] { return ::read(fd.get(), buf, sizeof(buf)); });
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      fd.Reset();
      return;
    }
    if (kept.size() < keep) {
      kept.append(buf, std::min(static_cast<size_t>(n), keep - kept.size()));
    }
  }
}

// write(2) to a pipe whose reader may be gone, without SIGPIPE killing the caller: SIGPIPE
// from write() is thread-directed, so block it in this thread and consume the one the write
// raised (unless one was already pending, which belongs to someone else).
ssize_t WriteWithoutSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigemptyset(&pending);
  ::sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = RetryEintr([&] { return ::write(fd, data, size); });
  const int saved = errno;
  if (n < 0 && saved == EPIPE && !was_pending) {
    const timespec zero = {0, 0};
    RetryEintr([&] { return ::sigtimedwait(&pipe_set, nullptr, &zero); });
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

void Kill(const Spawned& child, bool kill_group) {
  // The group first (the child leads it and is not reaped yet, so its pgid is not reused).
  if (kill_group) (void)::kill(-child.pid, SIGKILL);
  if (child.pidfd.valid()) {
    (void)PidfdSendSignalRaw(child.pidfd.get(), SIGKILL);
  } else {
    (void)::kill(child.pid, SIGKILL);
  }
}

absl::StatusOr<Finished> RunWith(const std::function<absl::StatusOr<Spawned>(SpawnOptions&)>& go,
                                 SpawnOptions spawn, const RunOptions& options) {
  ASSIGN_OR_RETURN(auto in, MakePipe("stdin"));
  ASSIGN_OR_RETURN(auto out, MakePipe("stdout"));
  ASSIGN_OR_RETURN(auto err, MakePipe("stderr"));
  spawn.stdin_fd = in.first.get();
  spawn.stdout_fd = out.second.get();
  spawn.stderr_fd = err.second.get();
  ASSIGN_OR_RETURN(Spawned child, go(spawn));
  in.first.Reset();
  out.second.Reset();
  err.second.Reset();
  return Collect(child, std::move(in.second), std::move(out.first), std::move(err.first),
                 spawn.new_process_group, options);
}

}  // namespace

bool Finished::Succeeded() const {
  return !timed_out && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}

absl::StatusOr<Spawned> Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  const std::string& path =
      options.program.empty() ? (argv.empty() ? options.program : argv[0]) : options.program;
  if (argv.empty() || path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError("spawn: the program must be an absolute path");
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (std::string& s : args) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env;
  std::vector<char*> cenv;
  if (options.env != nullptr) {
    env = *options.env;
    for (std::string& s : env) cenv.push_back(s.data());
    cenv.push_back(nullptr);
  }
  ChildArgs a;
  a.path = path.c_str();
  a.argv = cargv.data();
  a.envp = options.env != nullptr ? cenv.data() : environ;
  return SpawnChild(a, options, path.c_str());
}

absl::StatusOr<Spawned> SpawnFunction(const std::function<int()>& body,
                                      const SpawnOptions& options) {
  ChildArgs a;
  a.body = &body;
  return SpawnChild(a, options, "a child process");
}

absl::StatusOr<Finished> Collect(Spawned& child, UniqueFd in, UniqueFd out, UniqueFd err,
                                 bool kill_group, const RunOptions& options) {
  const absl::Time deadline = options.timeout == absl::InfiniteDuration()
                                  ? absl::InfiniteFuture()
                                  : absl::Now() + options.timeout;
  Finished f;
  ChildError report;
  memset(&report, 0, sizeof(report));
  size_t report_len = 0;
  auto read_report = [&] {
    while (child.report.valid() && report_len < sizeof(report)) {
      ssize_t n = RetryEintr([&] {
        return ::read(child.report.get(), reinterpret_cast<char*>(&report) + report_len,
                      sizeof(report) - report_len);
      });
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) break;
      report_len += static_cast<size_t>(n);
    }
    child.report.Reset();
  };
  if (options.stdin_data.empty()) in.Reset();
  absl::Status setup;
  for (UniqueFd* fd : {&in, &out, &err, &child.report}) {
    if (fd->valid() && setup.ok()) setup = SetNonBlocking(fd->get());
  }
  size_t written = 0;
  bool exited = false, have_status = false;
  while (setup.ok() && !exited) {
    int timeout_ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        f.timed_out = true;
        break;
      }
      timeout_ms = static_cast<int>(std::min<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), 1 << 30));
    }
    // Without a pidfd (Linux < 5.3): waitpid(WNOHANG) every 10 ms.
    if (!child.pidfd.valid()) timeout_ms = timeout_ms < 0 ? 10 : std::min(timeout_ms, 10);
    pollfd pfds[5];
    int n = 0;
    int i_pid = -1, i_in = -1, i_out = -1, i_err = -1, i_rep = -1;
    if (child.pidfd.valid()) pfds[i_pid = n++] = {child.pidfd.get(), POLLIN, 0};
    if (in.valid()) pfds[i_in = n++] = {in.get(), POLLOUT, 0};
    if (out.valid()) pfds[i_out = n++] = {out.get(), POLLIN, 0};
    if (err.valid()) pfds[i_err = n++] = {err.get(), POLLIN, 0};
    if (child.report.valid()) pfds[i_rep = n++] = {child.report.get(), POLLIN, 0};
    if (::poll(pfds, n, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      setup = ErrnoStatus("poll", "a child's pipes");
      break;
    }
    if (i_out >= 0 && pfds[i_out].revents != 0) Drain(out, f.out, options.keep);
    if (i_err >= 0 && pfds[i_err].revents != 0) Drain(err, f.err, options.keep);
    if (i_rep >= 0 && pfds[i_rep].revents != 0) read_report();
    if (i_in >= 0 && pfds[i_in].revents != 0) {
      // POLLERR/POLLHUP: the child closed its stdin; the write sees EPIPE.
      const size_t chunk = std::min<size_t>(64 << 10, options.stdin_data.size() - written);
      ssize_t w = WriteWithoutSigpipe(in.get(), options.stdin_data.data() + written, chunk);
      if (w > 0) written += static_cast<size_t>(w);
      // EPIPE (it does not want the rest) or any other error: stop writing. A child that
      // needed the input fails on its own and says so.
      if ((w < 0 && errno != EAGAIN) || written == options.stdin_data.size()) in.Reset();
    }
    if (i_pid >= 0 && (pfds[i_pid].revents & POLLIN) != 0) exited = true;
    if (!child.pidfd.valid()) {
      pid_t w = RetryEintr([&] { return ::waitpid(child.pid, &f.wstatus, WNOHANG); });
      if (w == child.pid) exited = have_status = true;
      if (w < 0) {
        setup = ErrnoStatus("waitpid", absl::StrCat(child.pid));
        break;
      }
    }
  }
  if (!exited) Kill(child, kill_group);  // the deadline, or an error of ours
  in.Reset();
  if (!have_status) {
    if (RetryEintr([&] { return ::waitpid(child.pid, &f.wstatus, 0); }) < 0 && setup.ok()) {
      setup = ErrnoStatus("waitpid", absl::StrCat(child.pid));
    }
  }
  child.pidfd.Reset();
  if (!setup.ok()) return setup;
  // It is gone: what it wrote is in the pipes.
  Drain(out, f.out, options.keep);
  Drain(err, f.err, options.keep);
  read_report();
  if (report_len == sizeof(report)) {
    report.step[sizeof(report.step) - 1] = '\0';
    return absl::Status(absl::ErrnoToStatus(report.err, "").code(),
                        absl::StrCat(report.step, ": ", strerror(report.err)));
  }
  return f;
}

absl::StatusOr<Finished> RunCommand(const std::vector<std::string>& argv, SpawnOptions spawn,
                                    const RunOptions& options) {
  return RunWith([&](SpawnOptions& o) { return Spawn(argv, o); }, std::move(spawn), options);
}

absl::StatusOr<Finished> RunFunction(const std::function<int()>& body, SpawnOptions spawn,
                                     const RunOptions& options) {
  return RunWith([&](SpawnOptions& o) { return SpawnFunction(body, o); }, std::move(spawn),
                 options);
}

std::string DescribeWaitStatus(int wstatus) {
  if (WIFEXITED(wstatus)) return absl::StrCat("exited ", WEXITSTATUS(wstatus));
  if (WIFSIGNALED(wstatus)) {
    const int sig = WTERMSIG(wstatus);
    const char* abbrev = ::sigabbrev_np(sig);
    return absl::StrCat("killed by signal ", sig,
                        abbrev != nullptr ? absl::StrCat(" (SIG", abbrev, ")") : "");
  }
  return absl::StrCat("wait status ", wstatus);
}

}  // namespace nucleus
