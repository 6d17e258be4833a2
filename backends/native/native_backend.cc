#include "backends/native/native_backend.h"

#include <errno.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "backends/native/contain.h"
#include "backends/native/namespaces.h"
#include "runtime/util/status.h"
#include "runtime/util/sync_channel.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

// clone3 without a new stack behaves like fork(): the child returns 0 on a copy of our stack.
pid_t Clone3(uint64_t flags, int* pidfd) {
  struct clone_args args = {};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof(args)));
}

class NativeContainer : public Container {
 public:
  NativeContainer(pid_t pid, UniqueFd pidfd, UniqueFd sync, UniqueFd status)
      : pid_(pid), pidfd_(std::move(pidfd)), sync_(std::move(sync)), status_(std::move(status)) {}
  ~NativeContainer() override { (void)Destroy(); }

  // Runs the parent's half of the setup handshake; OK once the child waits at the gate.
  absl::Status AwaitSetup(const ContainerSpec& spec) {
    if (spec.namespaces.user) {
      RETURN_IF_ERROR(SyncWaitFor(sync_.get(), SyncKind::kNeedIdMaps));
      RETURN_IF_ERROR(WriteIdMapsFromParent(pid_, spec.uid_mappings, spec.gid_mappings,
                                            /*deny_setgroups=*/::geteuid() != 0));
      RETURN_IF_ERROR(SyncSend(sync_.get(), SyncKind::kGo));
    }
    return SyncWaitFor(sync_.get(), SyncKind::kReady);
  }

  pid_t pid() const override { return pid_; }
  std::vector<std::string> warnings() const override { return warnings_; }
  void set_warnings(std::vector<std::string> w) { warnings_ = std::move(w); }
  int wait_fd() const override { return pidfd_.get(); }

  absl::Status Start() override {
    if (started_) return absl::FailedPreconditionError("container already started");
    started_ = true;
    RETURN_IF_ERROR(SyncSend(sync_.get(), SyncKind::kGo));
    absl::Status exec = SyncWaitExec(sync_.get());
    sync_.Reset();
    return exec;
  }

  absl::StatusOr<ExitInfo> Wait() override {
    if (reaped_) return exit_;
    siginfo_t si = {};
    if (RetryEintr([&] { return ::waitid(P_PIDFD, pidfd_.get(), &si, WEXITED); }) != 0) {
      return ErrnoStatus("waitid", absl::StrCat("pidfd of ", pid_));
    }
    reaped_ = true;
    int wstatus = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status & 0x7f;
    // With an init, its exit status is a copy; the workload's own wait status is on the pipe.
    int workload_status;
    if (status_.valid() &&
        RetryEintr([&] { return ::read(status_.get(), &workload_status, sizeof(int)); }) ==
            sizeof(int)) {
      wstatus = workload_status;
    }
    exit_ = ExitInfo::FromWaitStatus(wstatus);
    return exit_;
  }

  absl::Status Kill(int sig) override {
    if (reaped_) return absl::FailedPreconditionError("container is not running");
    if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) != 0) {
      if (errno == ESRCH) return absl::OkStatus();  // exited, not yet reaped
      return ErrnoStatus("pidfd_send_signal", absl::StrCat(pid_, ", ", sig));
    }
    return absl::OkStatus();
  }

  absl::Status Destroy() override {
    if (!reaped_ && pidfd_.valid()) {
      (void)::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
      RETURN_IF_ERROR(Wait().status());
    }
    sync_.Reset();
    status_.Reset();
    return absl::OkStatus();
  }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  UniqueFd sync_;
  UniqueFd status_;
  bool started_ = false;
  bool reaped_ = false;
  ExitInfo exit_;
  std::vector<std::string> warnings_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Container>> NativeBackend::Create(const ContainerSpec& spec) {
  ASSIGN_OR_RETURN(std::unique_ptr<ChildPlan> plan, BuildChildPlan(spec));
  ASSIGN_OR_RETURN(SyncPair sync, SyncPair::Create());
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "init status");
  UniqueFd status_read(status_pipe[0]), status_write(status_pipe[1]);
  plan->sync_fd = sync.child.get();
  plan->status_fd = status_write.get();

  // The child starts with every signal blocked: nothing may kill or divert it half-way
  // through setup, and the init later collects them all with sigwaitinfo.
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);
  int pidfd_raw = -1;
  pid_t pid = Clone3(CloneFlagsFor(spec.namespaces), &pidfd_raw);
  if (pid == 0) ContainInChild(*plan);  // never returns
  int clone_errno = errno;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return ErrnoStatus("clone3", "new namespaces", clone_errno);

  sync.child.Reset();
  status_write.Reset();
  auto container = std::make_unique<NativeContainer>(pid, UniqueFd(pidfd_raw),
                                                     std::move(sync.parent),
                                                     std::move(status_read));
  // On an error, the container's destructor kills and reaps the child.
  RETURN_IF_ERROR(container->AwaitSetup(spec));
  container->set_warnings(std::move(plan->warnings));
  return container;
}

}  // namespace nucleus
