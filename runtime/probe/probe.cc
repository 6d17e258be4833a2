#include "runtime/probe/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <functional>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/util/subprocess.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

// Runs body() in a forked child (util/subprocess), waiting up to timeout. Its exit status
// 0 = OK; otherwise the first line it wrote (stdout, else stderr) or its status.
absl::Status InChild(absl::Duration timeout, const std::string& what,
                     const std::function<int()>& body) {
  RunOptions run;
  run.timeout = timeout;
  run.keep = 4096;
  absl::StatusOr<Finished> ran = RunFunction(body, {}, run);
  if (!ran.ok()) return Annotate(ran.status(), what);
  const Finished& done = *ran;
  if (done.timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": no answer within ", absl::FormatDuration(timeout)));
  }
  if (done.Succeeded()) return absl::OkStatus();
  const std::string& output = done.out.empty() ? done.err : done.out;
  std::string first(absl::StripAsciiWhitespace(output.substr(0, output.find('\n'))));
  if (first.size() > 200) first = first.substr(0, 200);
  const std::string how = DescribeWaitStatus(done.wstatus);
  return absl::UnavailableError(
      absl::StrCat(what, ": ", first.empty() ? how : absl::StrCat(how, ": ", first)));
}

// In the child: connect to addr within timeout. 0 on success; prints the error.
int ConnectOnce(const struct sockaddr* addr, socklen_t len, const char* name, int ms) {
  int s = ::socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return 1;
  int rc = ::connect(s, addr, len);
  if (rc != 0 && errno == EINPROGRESS) {
    struct pollfd p = {s, POLLOUT, 0};
    if (::poll(&p, 1, ms) == 1) {
      int err = 0;
      socklen_t el = sizeof(err);
      ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
      errno = err;
      rc = err == 0 ? 0 : -1;
    } else {
      errno = ETIMEDOUT;
      rc = -1;
    }
  }
  if (rc != 0) dprintf(STDOUT_FILENO, "connect %s: %s\n", name, strerror(errno));
  ::close(s);
  return rc == 0 ? 0 : 1;
}

}  // namespace

absl::Status ProbeTcpOnce(int pidfd, int port, absl::Duration timeout) {
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  return InChild(timeout + absl::Milliseconds(200), absl::StrCat("tcp probe :", port), [&] {
    if (::setns(pidfd, CLONE_NEWNET) != 0) {
      dprintf(STDOUT_FILENO, "setns(network): %s\n", strerror(errno));
      return 1;
    }
    struct sockaddr_in v4 = {};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<uint16_t>(port));
    v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string name4 = absl::StrCat("127.0.0.1:", port);
    if (ConnectOnce(reinterpret_cast<struct sockaddr*>(&v4), sizeof(v4), name4.c_str(), ms) == 0) {
      return 0;
    }
    struct sockaddr_in6 v6 = {};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    v6.sin6_addr = in6addr_loopback;
    std::string name6 = absl::StrCat("[::1]:", port);
    // The IPv4 error is the one reported when both fail (the first line).
    int saved = ::dup(STDOUT_FILENO);
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);
    int rc = ConnectOnce(reinterpret_cast<struct sockaddr*>(&v6), sizeof(v6), name6.c_str(), ms);
    if (saved >= 0) ::dup2(saved, STDOUT_FILENO);
    return rc;
  });
}

absl::Status ProbeExecOnce(Backend& backend, const ContainerRef& ref, const std::string& command,
                           absl::Duration timeout) {
  ContainerSpec probe = *ref.spec;
  probe.process.args = {"/bin/sh", "-c", command};
  probe.process.terminal = false;
  return InChild(timeout, "exec probe", [&] {
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    absl::StatusOr<std::unique_ptr<Container>> c = backend.Exec(probe, ref, false);
    if (!c.ok()) {
      dprintf(STDOUT_FILENO, "%s\n", std::string(c.status().message()).c_str());
      return 125;
    }
    absl::Status started = (*c)->Start();
    absl::StatusOr<ExitInfo> info = (*c)->Wait();
    if (!started.ok()) {
      dprintf(STDOUT_FILENO, "%s\n", std::string(started.message()).c_str());
      return 125;
    }
    return info.ok() ? info->ExitStatus() : 125;
  });
}

absl::Status WaitUntilReady(const ReadinessProbe& probe, Backend& backend,
                            const ContainerRef& ref) {
  const int pidfd = ref.pidfd;
  absl::Status last;
  const absl::Time start = absl::Now();
  for (int attempt = 1; attempt <= probe.retries; ++attempt) {
    if (WaitExited(pidfd, absl::ZeroDuration())) {
      return absl::FailedPreconditionError("the container exited before it was ready");
    }
    last = probe.tcp_port != 0 ? ProbeTcpOnce(pidfd, probe.tcp_port, probe.timeout)
                               : ProbeExecOnce(backend, ref, probe.exec, probe.timeout);
    if (last.ok()) return absl::OkStatus();
    if (attempt == probe.retries) break;
    if (WaitExited(pidfd, probe.interval)) {
      return absl::FailedPreconditionError("the container exited before it was ready");
    }
  }
  return absl::DeadlineExceededError(
      absl::StrCat("not ready after ", probe.retries, " attempts over ",
                   absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(100))),
                   ": last attempt: ", last.message()));
}

}  // namespace nucleus
