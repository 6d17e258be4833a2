#include "backends/native/seccomp.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

// Generated at build time (:seccomp_precompiled).
extern const PrecompiledSeccomp kPrecompiledSeccomp[];
extern const size_t kPrecompiledSeccompCount;

namespace {

constexpr int kCompileSeconds = 10;

void WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// libseccomp 2.5.4 can loop forever inside seccomp_rule_add on some argument rule sets (found
// by //fuzz:seccomp_bpf_diff_fuzz), and a profile is untrusted input: compile in a child
// process and give up after kCompileSeconds. The child writes 'O' and the instructions, or
// 'E', the status code and the message. nucleus is single-threaded here, so the child may
// allocate.
absl::StatusOr<SeccompProgram> CompileWithDeadline(const SeccompSpec& spec) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "seccomp compiler");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus("fork", "seccomp compiler");
  if (pid == 0) {
    read_end.Reset();
    absl::StatusOr<SeccompProgram> p = CompileSeccompBpf(spec);
    if (p.ok()) {
      WriteAll(write_end.get(), "O", 1);
      WriteAll(write_end.get(), p->filter.data(), p->filter.size() * sizeof(sock_filter));
    } else {
      const int code = static_cast<int>(p.status().code());
      WriteAll(write_end.get(), "E", 1);
      WriteAll(write_end.get(), &code, sizeof(code));
      WriteAll(write_end.get(), p.status().message().data(), p.status().message().size());
    }
    ::_exit(0);
  }
  write_end.Reset();
  std::string out;
  struct timespec start;
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  bool timed_out = false;
  for (;;) {
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const long elapsed_ms =
        (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    const long left_ms = kCompileSeconds * 1000L - elapsed_ms;
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd pfd = {read_end.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) continue;  // the deadline check above ends the loop
    char buf[16384];
    const ssize_t n = RetryEintr([&] { return ::read(read_end.get(), buf, sizeof(buf)); });
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (timed_out) (void)::kill(pid, SIGKILL);
  int status = 0;
  (void)RetryEintr([&] { return ::waitpid(pid, &status, 0); });
  if (timed_out) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seccomp: libseccomp did not finish compiling the profile in ", kCompileSeconds,
        " s (a known libseccomp 2.5.4 hang on some argument rule sets); simplify the argument "
        "rules"));
  }
  if (!out.empty() && out[0] == 'O' && (out.size() - 1) % sizeof(sock_filter) == 0 &&
      out.size() > 1) {
    SeccompProgram program;
    program.filter.resize((out.size() - 1) / sizeof(sock_filter));
    memcpy(program.filter.data(), out.data() + 1, out.size() - 1);
    return program;
  }
  if (out.size() >= 1 + sizeof(int) && out[0] == 'E') {
    int code = 0;
    memcpy(&code, out.data() + 1, sizeof(code));
    return absl::Status(static_cast<absl::StatusCode>(code), out.substr(1 + sizeof(code)));
  }
  return absl::InternalError(
      absl::StrCat("seccomp: the compiler process ended without a result (wait status ",
                   status, ")"));
}

}  // namespace

absl::StatusOr<SeccompProgram> CompileSeccomp(const SeccompSpec& spec) {
  const std::string key = SeccompSpecKey(spec);
  for (size_t i = 0; i < kPrecompiledSeccompCount; ++i) {
    const PrecompiledSeccomp& p = kPrecompiledSeccomp[i];
    if (p.key_size == key.size() && memcmp(p.key, key.data(), key.size()) == 0) {
      return SeccompProgram{std::vector<sock_filter>(p.filter, p.filter + p.filter_size)};
    }
  }
  return CompileWithDeadline(spec);
}

StepError InstallSeccompInChild(const SeccompProgram& program) {
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(program.filter.size());
  prog.filter = const_cast<sock_filter*>(program.filter.data());
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    return StepError::Errno("seccomp", "SECCOMP_SET_MODE_FILTER");
  }
  return StepError::Ok();
}

}  // namespace nucleus
