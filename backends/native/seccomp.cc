#include "backends/native/seccomp.h"

#include <linux/seccomp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/util/status.h"
#include "runtime/util/subprocess.h"

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
// 'E', the status code and the message, to its stdout. nucleus is single-threaded here, so
// the child may allocate.
absl::StatusOr<SeccompProgram> CompileWithDeadline(const SeccompSpec& spec) {
  RunOptions run;
  run.timeout = absl::Seconds(kCompileSeconds);
  absl::StatusOr<Finished> done = RunFunction(
      [&] {
        absl::StatusOr<SeccompProgram> p = CompileSeccompBpf(spec);
        if (p.ok()) {
          WriteAll(STDOUT_FILENO, "O", 1);
          WriteAll(STDOUT_FILENO, p->filter.data(), p->filter.size() * sizeof(sock_filter));
        } else {
          const int code = static_cast<int>(p.status().code());
          WriteAll(STDOUT_FILENO, "E", 1);
          WriteAll(STDOUT_FILENO, &code, sizeof(code));
          WriteAll(STDOUT_FILENO, p.status().message().data(), p.status().message().size());
        }
        return 0;
      },
      {}, run);
  if (!done.ok()) return Annotate(done.status(), "seccomp compiler");
  if (done->timed_out) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seccomp: libseccomp did not finish compiling the profile in ", kCompileSeconds,
        " s (a known libseccomp 2.5.4 hang on some argument rule sets); simplify the argument "
        "rules"));
  }
  const std::string& out = done->out;
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
  return absl::InternalError(absl::StrCat("seccomp: the compiler process ended without a result (",
                                          DescribeWaitStatus(done->wstatus), ")"));
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
