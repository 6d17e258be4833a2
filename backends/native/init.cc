#include "backends/native/init.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/util/raw_log.h"

namespace nucleus {

void RunInit(pid_t workload, int status_fd) {
  sigset_t all;
  sigfillset(&all);
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      if (IsForwardedSignal(sig) && si.si_code != SI_KERNEL) {
        if (::kill(workload, sig) != 0 && errno != ESRCH) {
          RawBuf<128> b;
          b.Add("nucleus-init: kill(").AddInt(workload).Add("): ").AddErrno(errno);
          RawWriteLine(STDERR_FILENO, b);
        }
      }
      continue;
    }
    // Reap everything that is dead: the workload and any orphan reparented to us.
    for (;;) {
      int status;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);  // lint: own process (PID 1 reaps all)
      if (pid < 0 && errno == EINTR) continue;
      if (pid <= 0) break;
      if (pid == workload) {
        ssize_t n;
        do {
          n = ::write(status_fd, &status, sizeof(status));
        } while (n < 0 && errno == EINTR);
        _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
      }
    }
  }
}

}  // namespace nucleus
