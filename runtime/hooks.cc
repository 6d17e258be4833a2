#include "runtime/hooks.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "runtime/quote.h"
#include "runtime/util/pidfd.h"
#include "runtime/util/raw_log.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

namespace nucleus {
namespace {

constexpr size_t kKeepBytes = 4096;   // of each of stdout and stderr
constexpr size_t kLineBytes = 200;    // of the line quoted in an error
constexpr size_t kWriteChunk = 64 << 10;

// What the child sends over the exec pipe when a step before or at execve fails.
struct ChildError {
  int32_t err;
  char step[28];
};

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

absl::Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return ErrnoStatus("fcntl(O_NONBLOCK)");
  }
  return absl::OkStatus();
}

// --- child side: between fork and execve. Async-signal-safe calls only, no allocation. ---

// The kernel's struct sigaction for rt_sigaction (not glibc's, whose mask is 128 bytes).
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};
constexpr int kMaxSignal = 64;

[[noreturn]] void ChildFail(int fd, const char* step, int err) {
  ChildError msg;
  memset(&msg, 0, sizeof(msg));
  msg.err = err;
  RawCopy(msg.step, sizeof(msg.step), step);
  // One write of a few bytes to a pipe is atomic; if the parent is gone, nobody cares.
  while (::write(fd, &msg, sizeof(msg)) < 0 && errno == EINTR) {
  }
  _exit(127);
}

[[noreturn]] void ChildExec(const char* path, char* const* argv, char* const* envp, int in_fd,
                            int out_fd, int err_fd, int report_fd, const HookNamespaces* ns) {
  // The parent's group may be a terminal's foreground group; a hook must be killable as a
  // unit without touching the caller, so it leads its own group (the parent sets it too).
  ::setpgid(0, 0);

  // The parent blocked every signal around fork(), so no handler of the caller's can run
  // here. Reset dispositions (SIG_IGN survives execve) before unblocking. The raw syscall,
  // because glibc's sigaction() refuses its internal signals 32 and 33, which an ancestor
  // may have left ignored (seen under Bazel's test runner). SIGKILL/SIGSTOP fail: harmless.
  KernelSigaction dfl;
  memset(&dfl, 0, sizeof(dfl));  // handler SIG_DFL (0), no flags, empty mask
  for (int sig = 1; sig <= kMaxSignal; ++sig) {
    ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(dfl.mask));
  }

  // Lift every fd we keep above 2 first, so dup2 onto 0-2 cannot clobber one of them (the
  // caller may have had 0-2 closed, making a pipe end land there).
  int keep[4] = {in_fd, out_fd, err_fd, report_fd};
  for (int& fd : keep) {
    int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (high < 0) ChildFail(report_fd, "fcntl(F_DUPFD)", errno);
    fd = high;
  }
  report_fd = keep[3];
  for (int target = 0; target < 3; ++target) {
    // dup2 clears close-on-exec on the target: exactly what 0-2 need.
    if (::dup2(keep[target], target) < 0) ChildFail(report_fd, "dup2", errno);
  }
  if (::dup3(report_fd, 3, O_CLOEXEC) < 0) ChildFail(report_fd, "dup3", errno);
  report_fd = 3;
  // The container's namespaces (HookNamespaces), while its pidfd is still open.
  if (ns != nullptr && ns->flags != 0 && ::setns(ns->pidfd, ns->flags) != 0) {
    ChildFail(report_fd, "setns", errno);
  }
  // The hook gets 0-2 only (fds the caller opened without O_CLOEXEC included).
  if (::syscall(SYS_close_range, 4u, ~0u, 0u) != 0) {
    struct rlimit rl;
    int max_fd = 65536;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < static_cast<rlim_t>(max_fd)) {
      max_fd = static_cast<int>(rl.rlim_cur);
    }
    for (int fd = 4; fd < max_fd; ++fd) ::close(fd);
  }
  // A PID namespace applies to children only: fork once more (after every other fd is
  // closed: the intermediate must not hold the stdin pipe's write end), and this process
  // only relays the hook's end.
  if (ns != nullptr && (ns->flags & CLONE_NEWPID)) {
    pid_t hook = ::fork();
    if (hook < 0) ChildFail(report_fd, "fork", errno);
    if (hook > 0) {
      ::close(report_fd);  // the hook's copy reports exec failures
      int status;
      while (::waitpid(hook, &status, 0) < 0) {
        if (errno != EINTR) _exit(127);
      }
      if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
      sigset_t empty;
      sigemptyset(&empty);
      ::sigprocmask(SIG_SETMASK, &empty, nullptr);
      ::kill(::getpid(), WTERMSIG(status));
      _exit(128 + WTERMSIG(status));
    }
  }
  if (::chdir("/") != 0) ChildFail(report_fd, "chdir(/)", errno);

  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  ::execve(path, argv, envp);
  ChildFail(report_fd, "exec", errno);
}

// --- parent side ---

// Reads what is available on a non-blocking pipe, keeping the first kKeepBytes. Closes the
// fd at EOF or on error.
void Drain(UniqueFd& fd, std::string& kept) {
  char buf[16 << 10];
  while (fd.valid()) {
    ssize_t n = RetryEintr([&] { return ::read(fd.get(), buf, sizeof(buf)); });
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      fd.Reset();
      return;
    }
    if (kept.size() < kKeepBytes) {
      kept.append(buf, std::min(static_cast<size_t>(n), kKeepBytes - kept.size()));
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

// The first non-empty line, trimmed, at most kLineBytes, control bytes shown as '?'.
std::string FirstLine(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  text = text.substr(0, text.find('\n'));
  text = absl::StripAsciiWhitespace(text);
  std::string line(text.substr(0, kLineBytes));
  for (char& c : line) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return line;
}

std::string SignalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig);
}

}  // namespace

absl::Status RunHook(const HookSpec& hook, absl::string_view phase, size_t index,
                     absl::string_view state_json, const HookNamespaces* ns) {
  const std::string prefix = absl::StrCat("hook ", phase, "[", index, "] ", Quote(hook.path));
  if (hook.path.empty()) return absl::InvalidArgumentError(absl::StrCat(prefix, ": no path"));

  // Everything the child needs is built here: it must not allocate after fork().
  std::vector<std::string> args = hook.args;
  if (args.empty()) args.push_back(hook.path);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(&e[0]);
  envp.push_back(nullptr);

  absl::StatusOr<Pipe> in = MakePipe();
  absl::StatusOr<Pipe> out = in.ok() ? MakePipe() : in.status();
  absl::StatusOr<Pipe> err = out.ok() ? MakePipe() : out.status();
  absl::StatusOr<Pipe> report = err.ok() ? MakePipe() : err.status();
  if (!report.ok()) return Annotate(report.status(), prefix);

  sigset_t all, old_mask;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ChildExec(hook.path.c_str(), argv.data(), envp.data(), in->read.get(), out->write.get(),
              err->write.get(), report->write.get(), ns);
  }
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) return Annotate(ErrnoStatus("fork", "", fork_errno), prefix);
  // Also from here, so the group exists before any kill(-pid) (EACCES once the child has
  // exec'd means it already did it itself).
  ::setpgid(pid, pid);
  in->read.Reset();
  out->write.Reset();
  err->write.Reset();
  report->write.Reset();

  UniqueFd stdin_fd = std::move(in->write);
  UniqueFd stdout_fd = std::move(out->read);
  UniqueFd stderr_fd = std::move(err->read);
  UniqueFd report_fd = std::move(report->read);
  for (int fd : {stdin_fd.get(), stdout_fd.get(), stderr_fd.get(), report_fd.get()}) {
    absl::Status s = SetNonBlocking(fd);
    if (!s.ok()) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      RetryEintr([&] { return ::waitpid(pid, nullptr, 0); });
      return Annotate(s, prefix);
    }
  }
  // Without a pidfd (kernel < 5.3) the loop below polls waitpid(WNOHANG) every 10 ms.
  UniqueFd pidfd(PidfdOpenRaw(pid));

  std::string out_text, err_text;
  ChildError child_error;
  memset(&child_error, 0, sizeof(child_error));
  size_t report_len = 0;
  auto read_report = [&] {
    while (report_fd.valid() && report_len < sizeof(child_error)) {
      ssize_t n = RetryEintr([&] {
        return ::read(report_fd.get(), reinterpret_cast<char*>(&child_error) + report_len,
                      sizeof(child_error) - report_len);
      });
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) break;
      report_len += static_cast<size_t>(n);
    }
    report_fd.Reset();
  };

  const int64_t deadline =
      hook.timeout_seconds > 0 ? MonotonicMs() + int64_t{hook.timeout_seconds} * 1000 : -1;
  size_t written = 0;
  if (state_json.empty()) stdin_fd.Reset();
  bool exited = false;
  bool timed_out = false;
  bool have_status = false;
  int wstatus = 0;
  absl::Status loop_error;

  while (!exited) {
    int timeout_ms = -1;
    if (deadline >= 0) {
      const int64_t left = deadline - MonotonicMs();
      if (left <= 0) {
        timed_out = true;
        break;
      }
      timeout_ms = static_cast<int>(std::min<int64_t>(left, 1 << 30));
    }
    if (!pidfd.valid()) timeout_ms = timeout_ms < 0 ? 10 : std::min(timeout_ms, 10);

    pollfd pfds[5];
    int n = 0;
    int i_pid = -1, i_in = -1, i_out = -1, i_err = -1, i_rep = -1;
    if (pidfd.valid()) pfds[i_pid = n++] = {pidfd.get(), POLLIN, 0};
    if (stdin_fd.valid()) pfds[i_in = n++] = {stdin_fd.get(), POLLOUT, 0};
    if (stdout_fd.valid()) pfds[i_out = n++] = {stdout_fd.get(), POLLIN, 0};
    if (stderr_fd.valid()) pfds[i_err = n++] = {stderr_fd.get(), POLLIN, 0};
    if (report_fd.valid()) pfds[i_rep = n++] = {report_fd.get(), POLLIN, 0};
    int r = ::poll(pfds, n, timeout_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      loop_error = ErrnoStatus("poll");
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      break;
    }
    if (i_out >= 0 && pfds[i_out].revents != 0) Drain(stdout_fd, out_text);
    if (i_err >= 0 && pfds[i_err].revents != 0) Drain(stderr_fd, err_text);
    if (i_rep >= 0 && pfds[i_rep].revents != 0) read_report();
    if (i_in >= 0 && pfds[i_in].revents != 0) {
      // POLLERR/POLLHUP: the hook closed its stdin; the write below sees EPIPE.
      const size_t chunk = std::min(kWriteChunk, state_json.size() - written);
      ssize_t w = WriteWithoutSigpipe(stdin_fd.get(), state_json.data() + written, chunk);
      if (w > 0) written += static_cast<size_t>(w);
      // EPIPE (the hook does not want the rest) or any other error: stop writing. A hook
      // that needed the state fails on its own and says so.
      if ((w < 0 && errno != EAGAIN) || written == state_json.size()) stdin_fd.Reset();
    }
    if (i_pid >= 0 && (pfds[i_pid].revents & POLLIN) != 0) exited = true;
    if (!pidfd.valid()) {
      pid_t w = RetryEintr([&] { return ::waitpid(pid, &wstatus, WNOHANG); });
      if (w == pid) {
        exited = true;
        have_status = true;
      } else if (w < 0) {
        return Annotate(ErrnoStatus("waitpid", absl::StrCat(pid)), prefix);
      }
    }
  }

  if (timed_out) {
    // The whole group: a hook's own children (a `sleep` it started) die with it.
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  stdin_fd.Reset();
  if (!have_status) {
    pid_t w = RetryEintr([&] { return ::waitpid(pid, &wstatus, 0); });
    if (w < 0) return Annotate(ErrnoStatus("waitpid", absl::StrCat(pid)), prefix);
  }
  if (!loop_error.ok()) return Annotate(loop_error, prefix);
  // The hook is gone: what it wrote is in the pipes. Take that, but do not wait for EOF,
  // which a process it left behind may hold off forever.
  Drain(stdout_fd, out_text);
  Drain(stderr_fd, err_text);
  read_report();

  if (report_len == sizeof(child_error)) {
    child_error.step[sizeof(child_error.step) - 1] = '\0';
    return absl::Status(absl::ErrnoToStatus(child_error.err, "").code(),
                        absl::StrCat(prefix, ": ", child_error.step, ": ",
                                     strerror(child_error.err)));
  }
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(prefix, ": timed out after ", hook.timeout_seconds, " s"));
  }
  std::string line = FirstLine(err_text);
  if (line.empty()) line = FirstLine(out_text);
  const std::string detail = line.empty() ? "" : absl::StrCat(": ", line);
  if (WIFEXITED(wstatus)) {
    if (WEXITSTATUS(wstatus) == 0) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat(prefix, ": exited ", WEXITSTATUS(wstatus), detail));
  }
  if (WIFSIGNALED(wstatus)) {
    const int sig = WTERMSIG(wstatus);
    return absl::FailedPreconditionError(
        absl::StrCat(prefix, ": killed by signal ", sig, " (", SignalName(sig), ")", detail));
  }
  return absl::InternalError(absl::StrCat(prefix, ": unexpected wait status ", wstatus));
}

absl::Status RunHooks(const std::vector<HookSpec>& hooks, absl::string_view phase,
                      absl::string_view state_json, const HookNamespaces* ns) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    RETURN_IF_ERROR(RunHook(hooks[i], phase, i, state_json, ns));
  }
  return absl::OkStatus();
}

std::vector<std::string> RunHooksBestEffort(const std::vector<HookSpec>& hooks,
                                            absl::string_view phase,
                                            absl::string_view state_json) {
  std::vector<std::string> warnings;
  for (size_t i = 0; i < hooks.size(); ++i) {
    absl::Status s = RunHook(hooks[i], phase, i, state_json);
    if (!s.ok()) warnings.emplace_back(s.message());
  }
  return warnings;
}

}  // namespace nucleus
