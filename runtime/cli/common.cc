#include "runtime/cli/common.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/audit/audit.h"
#include "runtime/cli/commands.h"
#include "runtime/signals.h"
#include "runtime/identity.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/paths.h"
#include "runtime/spec/oci_config.h"
#include "runtime/util/console.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {

bool ArgReader::Flag(const char* long_name, const char* short_name, std::string* value) {
  if (!More()) return false;
  const std::string& a = args_[i_];
  std::string prefix = absl::StrCat(long_name, "=");
  if (a.rfind(prefix, 0) == 0) {
    *value = a.substr(prefix.size());
    ++i_;
  } else if (a == long_name || (short_name != nullptr && a == short_name)) {
    if (i_ + 1 >= args_.size()) {
      error_ = absl::StrCat(cmd_, ": ", long_name, ": needs a value");
      return true;
    }
    *value = args_[i_ + 1];
    i_ += 2;
  } else {
    return false;
  }
  if (value->empty()) error_ = absl::StrCat(cmd_, ": ", long_name, ": needs a value");
  return true;
}

bool ArgReader::Bool(const char* long_name, const char* short_name, bool* value) {
  if (!More()) return false;
  const std::string& a = args_[i_];
  if (a == long_name || (short_name != nullptr && a == short_name)) {
    if (value) *value = true;
    ++i_;
    return true;
  }
  std::string prefix = absl::StrCat(long_name, "=");
  if (a.rfind(prefix, 0) == 0) {
    std::string v = absl::AsciiStrToLower(a.substr(prefix.size()));
    if (v != "true" && v != "false") {
      error_ = absl::StrCat(cmd_, ": ", long_name, ": '", v, "' is not true or false");
    } else if (value) {
      *value = v == "true";
    }
    ++i_;
    return true;
  }
  return false;
}

bool ArgReader::Positional(std::string* value) {
  if (!More()) return false;
  if (args_[i_] == "--") ++i_;
  if (i_ >= args_.size()) return false;
  const std::string& a = args_[i_];
  if (a.size() > 1 && a[0] == '-' && args_[i_ - (i_ > 0 ? 1 : 0)] != "--") {
    error_ = absl::StrCat(cmd_, ": unknown flag '", a, "'");
    return false;
  }
  *value = a;
  ++i_;
  return true;
}

std::vector<std::string> ArgReader::Rest() {
  if (i_ < args_.size() && args_[i_] == "--") ++i_;
  std::vector<std::string> rest(args_.begin() + i_, args_.end());
  i_ = args_.size();
  return rest;
}

void Warn(const std::string& message) {
  fprintf(stderr, "nucleus: warning: %s\n", message.c_str());
}

absl::StatusOr<StateStore> OpenStore() {
  absl::StatusOr<StateStore> store = StateStore::Open(Globals().root);
  if (!store.ok()) return store;
  std::vector<std::string> warnings;
  for (const std::string& id : ReapAbandonedRuns(*store, &warnings)) {
    Debug(absl::StrCat("removed container ", id, ": its nucleus run had died"));
  }
  for (const std::string& w : warnings) Warn(w);
  return store;
}

absl::StatusOr<std::string> AbsolutePath(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty path");
  if (path.find('\0') != std::string::npos) return absl::InvalidArgumentError("NUL in path");
  std::string abs = path;
  if (path[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof(cwd)) == nullptr) return ErrnoStatus("getcwd");
    abs = absl::StrCat(cwd, "/", path);
  }
  return CleanPath(abs);
}

std::vector<std::string> AllCapabilityNames() {
  std::vector<std::string> names;
  for (int c = 0; c <= CAP_LAST_CAP; ++c) {
    char* n = cap_to_name(c);
    if (n == nullptr) continue;
    names.push_back(absl::AsciiStrToUpper(n));
    cap_free(n);
  }
  return names;
}

std::string ProcessCommandLine(pid_t pid) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\0') s.pop_back();
  for (char& c : s) {
    if (c == '\0') c = ' ';
  }
  return s;
}

absl::StatusOr<ProcessSpec> LoadOciProcessFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open", path);
  ASSIGN_OR_RETURN(std::string text, ReadFdToString(fd.get(), 1 << 20));
  nlohmann::json process = nlohmann::json::parse(text, nullptr, false);
  if (process.is_discarded() || !process.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  }
  // Validated exactly as config.json's process object is.
  nlohmann::json config = {{"ociVersion", "1.0.2"},
                           {"process", process},
                           {"root", {{"path", "/"}}},
                           {"linux", {{"namespaces", {{{"type", "mount"}}}}}}};
  absl::StatusOr<OciConfig> parsed = ParseOciConfig(config.dump(), "/");
  if (!parsed.ok()) return Annotate(parsed.status(), path);
  return parsed->spec.process;
}

absl::Status ApplyUserFlag(const std::string& user, const std::string& rootfs,
                           ProcessSpec* process) {
  absl::StatusOr<UserDb> db = UserDb::Load(rootfs.empty() ? "/" : rootfs);
  if (!db.ok()) db = UserDb();
  ASSIGN_OR_RETURN(UserIdentity who, ResolveUser(user, *db, "--user"));
  process->uid = who.uid;
  process->gid = who.gid;
  process->additional_gids.clear();
  return absl::OkStatus();
}

SignalForwarder::SignalForwarder() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    if (IsForwardedSignal(sig)) sigaddset(&set, sig);
  }
  ::sigprocmask(SIG_BLOCK, &set, &old_);
  fd_.Reset(::signalfd(-1, &set, SFD_CLOEXEC));
}

SignalForwarder::~SignalForwarder() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }

absl::StatusOr<ExitInfo> WaitForwarding(Container& c, int sigfd, int console, const std::string& id,
                                        std::vector<WatchedFd> watched) {
  if (console >= 0) {
    absl::Status relayed = RelayPty(console, STDIN_FILENO, STDOUT_FILENO, c.wait_fd());
    if (!relayed.ok()) Warn(absl::StrCat("terminal: ", relayed.message()));
    return c.Wait();
  }
  for (;;) {
    std::vector<struct pollfd> fds = {{c.wait_fd(), POLLIN, 0}, {sigfd, POLLIN, 0}};
    for (const WatchedFd& w : watched) fds.push_back({w.fd, POLLIN, 0});
    if (RetryEintr([&] { return ::poll(fds.data(), fds.size(), -1); }) < 0) {
      return ErrnoStatus("poll");
    }
    if (fds[0].revents) return c.Wait();
    if (fds[1].revents & POLLIN) ForwardSignal(c, sigfd, id);
    for (size_t i = watched.size(); i-- > 0;) {
      if (fds[i + 2].revents && !watched[i].on_readable()) watched.erase(watched.begin() + i);
    }
  }
}

void ForwardSignal(Container& c, int sigfd, const std::string& id) {
  struct signalfd_siginfo si;
  if (::read(sigfd, &si, sizeof(si)) != sizeof(si)) return;
  // Terminal-generated signals (Ctrl-C) already reached the container: it shares our
  // foreground process group. Forwarding them again would deliver them twice.
  if (si.ssi_code == SI_KERNEL) return;
  absl::Status st = c.Kill(static_cast<int>(si.ssi_signo));
  AuditLog::Global().Emit("signal-forwarded", id, "",
                          {{"signal", SignalName(static_cast<int>(si.ssi_signo))},
                           {"from_pid", absl::StrCat(si.ssi_pid)}});
  if (!st.ok()) Warn(absl::StrCat("forwarding signal ", si.ssi_signo, ": ", st.message()));
}

int RunExec(const StateStore& store, const ContainerSpec& spec, pid_t pid, int pidfd, bool detach,
            const std::string& pid_file, const std::string& console_socket) {
  SignalForwarder forwarder;
  absl::StatusOr<UniqueFd> dir = store.OpenContainerDir(spec.id);
  if (!dir.ok()) return Fail(absl::StrCat("exec: ", dir.status().message()));
  std::unique_ptr<Backend> backend = BackendFor(spec);
  absl::StatusOr<std::unique_ptr<Container>> c =
      backend->Exec(spec, RefOf(store, spec, pid, dir->get(), pidfd), detach);
  if (!c.ok()) return Fail(absl::StrCat("exec: ", c.status().message()));
  for (const std::string& w : (*c)->warnings()) Warn(w);
  UniqueFd console;
  if (spec.process.terminal) {
    console = (*c)->TakeConsole();
    if (!console_socket.empty()) {
      absl::Status sent = SendConsoleFd(console_socket, console.get(), "/dev/pts/ptmx");
      if (!sent.ok()) return Fail(absl::StrCat("exec: ", sent.message()));
      console.Reset();
    } else if (detach) {
      return Fail("exec: --tty with --detach needs --console-socket");
    }
  }
  absl::Status started = (*c)->Start();
  if (!started.ok()) {
    absl::StatusOr<ExitInfo> info = (*c)->Wait();
    Fail(absl::StrCat("exec: ", started.message()));
    if (info.ok() && info->kind == ExitInfo::Kind::kExited &&
        (info->code == kExitNotExecutable || info->code == kExitNotFound)) {
      return info->code;
    }
    return kExitNucleusError;
  }
  if (detach) {
    if (!pid_file.empty()) {
      absl::Status written = WritePidFile(pid_file, (*c)->pid());
      if (!written.ok()) return Fail(absl::StrCat("exec: --pid-file: ", written.message()));
    }
    (void)(*c)->Detach();
    return 0;
  }
  absl::StatusOr<ExitInfo> info = WaitForwarding(**c, forwarder.fd(), console.get(), spec.id);
  if (!info.ok()) return Fail(absl::StrCat("exec: ", info.status().message()));
  return info->ExitStatus();
}

}  // namespace nucleus
