// nucleus: a hardened, lightweight container runtime. See README.md.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "runtime/audit/audit.h"
#include "runtime/cli/commands.h"
#include "runtime/util/proctitle.h"
#include "nlohmann/json.hpp"

namespace nucleus {

GlobalOptions& Globals() {
  static GlobalOptions* g = new GlobalOptions();
  return *g;
}

namespace {

void AppendToLog(const char* level, const std::string& message) {
  const GlobalOptions& g = Globals();
  if (g.log_path.empty()) return;
  int fd = ::open(g.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string time = absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  std::string line;
  if (g.log_json) {
    nlohmann::json j = {{"level", level}, {"msg", message}, {"time", time}};
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    line = absl::StrCat("time=\"", time, "\" level=", level, " msg=\"", message, "\"\n");
  }
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

int FailWith(const std::string& message, int code) {
  std::string line = absl::StrCat("nucleus: ", message, "\n");
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  AppendToLog("error", message);
  return code;
}

}  // namespace

int Fail(const std::string& message) { return FailWith(message, kExitNucleusError); }
int OciFail(const std::string& message) { return FailWith(message, kExitOciError); }

void Debug(const std::string& message) {
  if (!Globals().debug) return;
  std::string line = absl::StrCat("nucleus: debug: ", message, "\n");
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  AppendToLog("debug", message);
}

namespace {

constexpr char kUsage[] =
    "usage: nucleus [GLOBAL FLAGS] COMMAND [ARGS...]\n"
    "\n"
    "Commands for people:\n"
    "  run [FLAGS] -- CMD [ARGS...]   run a command in a new sandbox (-d: in the background)\n"
    "  ps [--json] [-a]               list containers\n"
    "  logs [-f] ID                   output of a detached container\n"
    "  stop [-t SECONDS] ID...        SIGTERM, then SIGKILL after the timeout (default 10)\n"
    "  kill ID [SIGNAL]               send a signal (default SIGTERM)\n"
    "  exec [FLAGS] ID -- CMD...      run a command in a running container\n"
    "  rm [-f] ID...                  remove stopped containers (-f: running ones too)\n"
    "  inspect ID...                  everything nucleus knows about a container, as JSON\n"
    "  wait [--ready] [--timeout D] ID  until it exits (prints its status) or is ready\n"
    "  stats NAME [--json]            memory, CPU, pids and I/O of a running container\n"
    "  check [--json]                 report what this host supports\n"
    "  gc                             remove cgroups left by containers whose nucleus is gone\n"
    "  version                        print the version\n"
    "\n"
    "The OCI runtime commands (for podman, containerd, ...; as runc):\n"
    "  create --bundle DIR [--pid-file F] [--console-socket SOCK] ID\n"
    "  start ID | state ID | kill [--all] ID [SIGNAL] | delete [--force] ID\n"
    "  list [--format table|json] [-q] | ps [--format table|json] ID | features\n"
    "  exec [--detach] [--tty] [--process FILE] [--pid-file F] [--console-socket SOCK] ID ...\n"
    "  pause ID | resume ID | events [--stats] [--interval D] ID\n"
    "  update [--resources FILE|-] [--memory N] [--cpu-quota N] [--pids-limit N] ... ID\n"
    "\n"
    "Global flags: --root DIR (state, default /run/nucleus), --log FILE, --log-format text|json,\n"
    "--audit-log FILE|- (one JSON line per container event), --debug, --systemd-cgroup\n"
    "(accepted; cgroups are managed through cgroupfs).\n"
    "\n"
    "`nucleus run --help` lists the run flags.\n";

std::string DefaultRoot() {
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  if (::geteuid() == 0) return "/run/nucleus";
  if (xdg != nullptr && xdg[0] == '/') return absl::StrCat(xdg, "/nucleus");
  // No runtime directory: a per-user one in /tmp (the store refuses it if another user
  // made it first: it must be ours and 0700).
  return absl::StrCat("/tmp/nucleus-", ::geteuid());
}

int Main(int argc, char** argv) {
  GlobalOptions& g = Globals();
  g.root = DefaultRoot();
  int i = 1;
  // Global flags, runc's spelling ("--flag VALUE" or "--flag=VALUE").
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-' || a == "-h" || a == "--help" || a == "--version") break;
    std::string name = a, value;
    bool has_value = false;
    size_t eq = a.find('=');
    if (eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    auto take = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (name == "--root") {
      if (!take() || value.empty() || value[0] != '/') {
        return Fail("--root: needs an absolute directory");
      }
      g.root = value;
    } else if (name == "--log") {
      if (!take() || value.empty()) return Fail("--log: needs a file");
      g.log_path = value;
    } else if (name == "--log-format") {
      if (!take() || (value != "text" && value != "json")) {
        return Fail(absl::StrCat("--log-format: '", value, "' is not text or json"));
      }
      g.log_json = value == "json";
    } else if (name == "--audit-log") {
      if (!take() || value.empty()) return Fail("--audit-log: needs a file (or - for stderr)");
      absl::Status opened = AuditLog::Global().Open(value);
      if (!opened.ok()) return Fail(std::string(opened.message()));
    } else if (name == "--debug") {
      g.debug = true;
    } else if (name == "--systemd-cgroup") {
      g.systemd_cgroup = true;
    } else if (name == "--rootless") {
      if (!has_value) take();  // runc's --rootless true|false|auto: nucleus detects it
    } else {
      return Fail(absl::StrCat("unknown global flag '", a, "' (see 'nucleus --help')"));
    }
  }
  if (i >= argc) {
    fputs(kUsage, stderr);
    return kExitNucleusError;
  }
  std::string cmd = argv[i];
  std::vector<std::string> args(argv + i + 1, argv + argc);
  if (cmd == "run") return RunMain(args);
  if (cmd == "check") return CheckMain(args);
  if (cmd == "stats") return StatsMain(args);
  if (cmd == "gc") return GcMain(args);
  if (cmd == "create") return CreateMain(args);
  if (cmd == "start") return StartMain(args);
  if (cmd == "state") return StateMain(args);
  if (cmd == "kill") return KillMain(args);
  if (cmd == "delete") return DeleteMain(args);
  if (cmd == "list") return ListMain(args);
  if (cmd == "features") return FeaturesMain(args);
  if (cmd == "exec") return ExecMain(args);
  if (cmd == "ps") return PsMain(args);
  if (cmd == "pause") return PauseMain(args);
  if (cmd == "resume") return ResumeMain(args);
  if (cmd == "update") return UpdateMain(args);
  if (cmd == "events") return EventsMain(args);
  if (cmd == "logs") return LogsMain(args);
  if (cmd == "stop") return StopMain(args);
  if (cmd == "rm") return RmMain(args);
  if (cmd == "inspect") return InspectMain(args);
  if (cmd == "wait") return WaitMain(args);
  if (cmd == "version" || cmd == "--version") {
    fputs("nucleus 0.1.0\nspec: 1.0.2\n", stdout);
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    fputs(kUsage, stdout);
    return 0;
  }
  return Fail(absl::StrCat("unknown command '", cmd, "' (see 'nucleus --help')"));
}

}  // namespace
}  // namespace nucleus

int main(int argc, char** argv) {
  nucleus::RememberArgvArea(argc, argv);
  return nucleus::Main(argc, argv);
}
