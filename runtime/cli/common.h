// What the subcommands share: argument reading, the state store, signal forwarding, and
// running a process to its end (attached to the terminal or not).
#ifndef NUCLEUS_RUNTIME_CLI_COMMON_H_
#define NUCLEUS_RUNTIME_CLI_COMMON_H_

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/api.h"
#include "runtime/spec/container_spec.h"
#include "runtime/state/store.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

// Reads "--flag VALUE", "--flag=VALUE", "-f VALUE", boolean flags and positionals in order;
// the first error sticks ("create: --bundle: needs a value", "create: unknown flag '--x'").
class ArgReader {
 public:
  ArgReader(std::string cmd, const std::vector<std::string>& args)
      : cmd_(std::move(cmd)), args_(args) {}
  bool More() const { return ok() && i_ < args_.size(); }
  bool Flag(const char* long_name, const char* short_name, std::string* value);
  bool Bool(const char* long_name, const char* short_name = nullptr, bool* value = nullptr);
  // The next argument when it is not a flag ("--" is skipped first). false at a flag (an
  // error: unknown flag) or at the end.
  bool Positional(std::string* value);
  // Everything after the current position ("--" skipped first).
  std::vector<std::string> Rest();
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  std::string cmd_;
  const std::vector<std::string>& args_;
  size_t i_ = 0;
  std::string error_;
};

void Warn(const std::string& message);  // "nucleus: warning: MESSAGE" on stderr
// Globals().root, after reaping the entries of foreground runs that died (ReapAbandonedRuns).
absl::StatusOr<StateStore> OpenStore();
absl::StatusOr<std::string> AbsolutePath(const std::string& path);
std::vector<std::string> AllCapabilityNames();
std::string ProcessCommandLine(pid_t pid);  // /proc/PID/cmdline, spaces for NULs
// OCI exec --process FILE: a runtime-spec "process" object.
absl::StatusOr<ProcessSpec> LoadOciProcessFile(const std::string& path);
// --user UID[:GID] or NAME[:GROUP], names from the rootfs's /etc/passwd.
absl::Status ApplyUserFlag(const std::string& user, const std::string& rootfs,
                           ProcessSpec* process);

// Blocks the signals nucleus forwards to a container and reads them from a signalfd
// (restoring the mask on destruction).
class SignalForwarder {
 public:
  SignalForwarder();
  ~SignalForwarder();
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  sigset_t old_;
};

// Another fd a wait loop watches: on_readable runs when it polls readable (or hung up) and
// returns whether to keep watching it.
struct WatchedFd {
  int fd = -1;
  std::function<bool()> on_readable;
};

// Waits for c's first process, passing signals read from sigfd on to it, and serving
// `watched` meanwhile. With a pty master (console >= 0): relays it to our stdin/stdout
// instead (`watched` is then not served: callers refuse that combination).
// Each forwarded signal is an audit event ("signal-forwarded") of container `id`.
absl::StatusOr<ExitInfo> WaitForwarding(Container& c, int sigfd, int console, const std::string& id,
                                        std::vector<WatchedFd> watched = {});

// Reads one signal from sigfd and passes it on to c (audited).
void ForwardSignal(Container& c, int sigfd, const std::string& id);

// `exec`: runs the process in the container to its end and returns the exit status to
// exit with (detach: 0 once it runs, its pid in pid_file).
int RunExec(const StateStore& store, const ContainerSpec& spec, pid_t pid, int pidfd, bool detach,
            const std::string& pid_file, const std::string& console_socket);

// `ps` without an ID: the containers, docker's way (cli/containers.cc).
int ListContainersMain(const std::vector<std::string>& args);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_CLI_COMMON_H_
