// `nucleus run [FLAGS] -- CMD [ARGS...]`: create, start, wait for and remove a container,
// and exit with the command's status.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "backends/native/init.h"
#include "backends/native/native_backend.h"
#include "runtime/api.h"
#include "runtime/cli/commands.h"
#include "runtime/spec/flags.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

// Signals `nucleus run` passes on to the container (its init forwards them to the workload).
sigset_t ForwardedSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    if (IsForwardedSignal(sig)) sigaddset(&set, sig);
  }
  return set;
}

// Waits for the container to exit, forwarding signals sent to nucleus meanwhile.
absl::StatusOr<ExitInfo> WaitForwarding(Container& c, int sigfd) {
  struct pollfd fds[2] = {{c.wait_fd(), POLLIN, 0}, {sigfd, POLLIN, 0}};
  for (;;) {
    if (RetryEintr([&] { return ::poll(fds, 2, -1); }) < 0) return ErrnoStatus("poll");
    if (fds[0].revents) return c.Wait();
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (::read(sigfd, &si, sizeof(si)) != sizeof(si)) continue;
      // Terminal-generated signals (Ctrl-C) already reached the container: it shares our
      // foreground process group. Forwarding them again would deliver them twice.
      if (si.ssi_code == SI_KERNEL) continue;
      absl::Status st = c.Kill(static_cast<int>(si.ssi_signo));
      if (!st.ok()) fprintf(stderr, "nucleus: warning: forwarding signal %u: %s\n", si.ssi_signo,
                            std::string(st.message()).c_str());
    }
  }
}

}  // namespace

int RunMain(const std::vector<std::string>& args) {
  absl::StatusOr<RunRequest> req = ParseRunArgs(args, CurrentHostDefaults());
  if (!req.ok()) return Fail(std::string(req.status().message()));
  if (req->help) {
    fputs(RunUsage(), stdout);
    return 0;
  }
  for (const std::string& w : req->warnings) fprintf(stderr, "nucleus: warning: %s\n", w.c_str());

  // Block the forwarded signals before the container exists, so none is lost or kills us
  // half-way; they are read from a signalfd while the container runs.
  sigset_t forwarded = ForwardedSignals();
  sigset_t old_mask;
  ::sigprocmask(SIG_BLOCK, &forwarded, &old_mask);
  UniqueFd sigfd(::signalfd(-1, &forwarded, SFD_CLOEXEC));
  if (!sigfd.valid()) return Fail(ErrnoStatus("signalfd").ToString());

  NativeBackend backend;
  absl::StatusOr<std::unique_ptr<Container>> c = backend.Create(req->spec);
  if (!c.ok()) return Fail(std::string(c.status().message()));
  for (const std::string& w : (*c)->warnings()) {
    fprintf(stderr, "nucleus: warning: %s\n", w.c_str());
  }
  absl::Status started = (*c)->Start();
  absl::StatusOr<ExitInfo> info = started.ok() ? WaitForwarding(**c, sigfd.get()) : (*c)->Wait();
  absl::Status destroyed = (*c)->Destroy();
  if (!started.ok()) {
    Fail(std::string(started.message()));
    // exec failures: the workload exited 126/127 as a shell would; anything else is ours.
    if (info.ok() && info->kind == ExitInfo::Kind::kExited &&
        (info->code == kExitNotExecutable || info->code == kExitNotFound)) {
      return info->code;
    }
    return kExitNucleusError;
  }
  if (!info.ok()) return Fail(std::string(info.status().message()));
  // "nucleus: killed: out of memory (limit 32 MiB)"; the status stays 137 (128 + SIGKILL).
  if (info->kind == ExitInfo::Kind::kOom) Fail(info->Describe());
  if (!destroyed.ok()) Fail(absl::StrCat("cleanup: ", destroyed.message()));
  return info->ExitStatus();
}

}  // namespace nucleus
