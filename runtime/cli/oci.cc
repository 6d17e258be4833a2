// The OCI runtime command line (runtime-spec "Operations", runc's flags): create, start,
// state, kill, delete, list, features, ps ID and exec. Engines (podman, containerd) call
// these; errors exit 1 as runc's do, except kill/exec/ps, which people use too (125).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "runtime/backends.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/common.h"
#include "runtime/identity.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/signals.h"
#include "runtime/spec/oci_config.h"
#include "runtime/state/ids.h"
#include "runtime/state/liveness.h"
#include "runtime/util/console.h"
#include "runtime/util/status.h"

namespace nucleus {
namespace {

using Json = nlohmann::json;

}  // namespace

int CreateMain(const std::vector<std::string>& args) {
  ArgReader r("create", args);
  std::string bundle = ".", pid_file, console_socket;
  std::string id;
  while (r.More()) {
    if (r.Flag("--bundle", "-b", &bundle) || r.Flag("--pid-file", nullptr, &pid_file) ||
        r.Flag("--console-socket", nullptr, &console_socket) || r.Bool("--no-pivot") ||
        r.Bool("--no-new-keyring")) {
      continue;
    }
    std::string preserve;
    if (r.Flag("--preserve-fds", nullptr, &preserve)) {
      if (preserve != "0") return OciFail("create: --preserve-fds: only 0 is supported");
      continue;
    }
    if (!r.Positional(&id)) break;
  }
  if (!r.ok()) return OciFail(r.error());
  if (id.empty()) return OciFail("create: missing container ID (usage: create --bundle DIR ID)");
  if (absl::Status st = ValidateContainerId(id); !st.ok())
    return OciFail(std::string(st.message()));
  absl::StatusOr<std::string> abs_bundle = AbsolutePath(bundle);
  if (!abs_bundle.ok()) return OciFail(absl::StrCat("--bundle: ", abs_bundle.status().message()));
  absl::StatusOr<OciConfig> config = LoadOciBundle(*abs_bundle);
  if (!config.ok()) return OciFail(std::string(config.status().message()));
  config->spec.backend = ResolveBackend(config->spec.backend, &config->warnings);
  for (const std::string& w : config->warnings) Warn(w);
  config->spec.id = id;
  if (!pid_file.empty()) {
    absl::StatusOr<std::string> p = AbsolutePath(pid_file);
    if (!p.ok()) return OciFail(absl::StrCat("--pid-file: ", p.status().message()));
    pid_file = *p;
  }
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return OciFail(std::string(store.status().message()));
  CreateRequest req;
  req.pid_file = pid_file;
  req.console_socket = console_socket;
  std::vector<std::string> warnings;
  absl::StatusOr<ContainerState> st = CreateDetached(*store, config->spec, req, &warnings);
  for (const std::string& w : warnings) Warn(w);
  if (!st.ok()) return OciFail(absl::StrCat("create ", id, ": ", st.status().message()));
  Debug(absl::StrCat("created ", id, " pid ", st->pid));
  return 0;
}

int StartMain(const std::vector<std::string>& args) {
  ArgReader r("start", args);
  std::string id;
  while (r.More() && r.Positional(&id)) {
  }
  if (!r.ok()) return OciFail(r.error());
  if (id.empty()) return OciFail("start: missing container ID");
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return OciFail(std::string(store.status().message()));
  absl::StatusOr<std::string> resolved = ResolveContainer(*store, id);
  if (!resolved.ok()) return OciFail(std::string(resolved.status().message()));
  absl::Status st = StartCreated(*store, *resolved);
  if (!st.ok()) return OciFail(std::string(st.message()));
  return 0;
}

int StateMain(const std::vector<std::string>& args) {
  ArgReader r("state", args);
  std::string id;
  while (r.More() && r.Positional(&id)) {
  }
  if (!r.ok()) return OciFail(r.error());
  if (id.empty()) return OciFail("state: missing container ID");
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return OciFail(std::string(store.status().message()));
  absl::StatusOr<std::string> resolved = ResolveContainer(*store, id);
  if (!resolved.ok()) return OciFail(std::string(resolved.status().message()));
  absl::StatusOr<ContainerState> st = store->Load(*resolved);
  if (!st.ok()) return OciFail(std::string(st.status().message()));
  st->status = CurrentStatus(*store, *st);
  if (st->status == ContainerStatus::kStopped) st->pid = 0;
  printf("%s\n", ToOciStateJson(*st).c_str());
  return 0;
}

int KillMain(const std::vector<std::string>& args) {
  ArgReader r("kill", args);
  std::vector<std::string> pos;
  bool all = false;
  while (r.More()) {
    if (r.Bool("--all", "-a", &all)) continue;
    std::string p;
    if (!r.Positional(&p)) break;
    pos.push_back(p);
  }
  if (!r.ok()) return Fail(r.error());
  if (pos.empty() || pos.size() > 2) return Fail("kill: usage: kill [--all] ID [SIGNAL]");
  int sig = SIGTERM;
  if (pos.size() == 2) {
    absl::StatusOr<int> s = ParseSignal(pos[1]);
    if (!s.ok()) return Fail(absl::StrCat("kill: ", s.status().message()));
    sig = *s;
  }
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  absl::StatusOr<std::string> id = ResolveContainer(*store, pos[0]);
  if (!id.ok()) return Fail(std::string(id.status().message()));
  absl::Status st = KillContainer(*store, *id, sig, all);
  if (!st.ok()) return Fail(std::string(st.message()));
  return 0;
}

int DeleteMain(const std::vector<std::string>& args) {
  ArgReader r("delete", args);
  std::vector<std::string> ids;
  bool force = false;
  while (r.More()) {
    if (r.Bool("--force", "-f", &force)) continue;
    std::string p;
    if (!r.Positional(&p)) break;
    ids.push_back(p);
  }
  if (!r.ok()) return OciFail(r.error());
  if (ids.empty()) return OciFail("delete: missing container ID");
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return OciFail(std::string(store.status().message()));
  int rc = 0;
  for (const std::string& ref : ids) {
    absl::StatusOr<std::string> id = ResolveContainer(*store, ref);
    if (!id.ok()) {
      // runc: `delete --force` of a container that does not exist succeeds.
      if (force && absl::IsNotFound(id.status())) continue;
      rc = OciFail(std::string(id.status().message()));
      continue;
    }
    std::vector<std::string> warnings;
    absl::Status st = DeleteContainer(*store, *id, force, &warnings);
    for (const std::string& w : warnings) Warn(w);
    if (!st.ok()) rc = OciFail(std::string(st.message()));
  }
  return rc;
}

int ListMain(const std::vector<std::string>& args) {
  ArgReader r("list", args);
  std::string format = "table";
  bool quiet = false;
  while (r.More()) {
    if (r.Flag("--format", "-f", &format) || r.Bool("--quiet", "-q", &quiet)) continue;
    std::string extra;
    r.Positional(&extra);
    return OciFail(absl::StrCat("list: unexpected argument '", extra, "'"));
  }
  if (!r.ok()) return OciFail(r.error());
  if (format != "table" && format != "json") {
    return OciFail(absl::StrCat("list: --format: '", format, "' is not table or json"));
  }
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return OciFail(std::string(store.status().message()));
  absl::StatusOr<StateList> list = store->List();
  if (!list.ok()) return OciFail(std::string(list.status().message()));
  Json out = Json::array();
  if (format == "table" && !quiet)
    printf("%-20s %-8s %-10s %-40s %-30s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
  for (ContainerState& s : list->states) {
    s.status = CurrentStatus(*store, s);
    pid_t pid = s.status == ContainerStatus::kStopped ? 0 : s.pid;
    std::string created = absl::FormatTime(absl::RFC3339_full, s.created, absl::UTCTimeZone());
    if (format == "json") {
      out.push_back({{"ociVersion", s.oci_version},
                     {"id", s.id},
                     {"pid", pid},
                     {"status", ContainerStatusName(s.status)},
                     {"bundle", s.bundle},
                     {"rootfs", s.rootfs},
                     {"created", created},
                     {"owner", ""}});
    } else if (quiet) {
      printf("%s\n", s.id.c_str());
    } else {
      printf("%-20s %-8d %-10s %-40s %-30s\n", s.id.c_str(), pid, ContainerStatusName(s.status),
             s.bundle.c_str(), created.c_str());
    }
  }
  // An entry whose state.json is missing or broken (a crash before the first save) is
  // listed as stopped, so that it can be found and deleted.
  for (const BrokenEntry& b : list->broken) {
    if (format == "json") {
      out.push_back({{"ociVersion", kOciVersion},
                     {"id", b.name},
                     {"pid", 0},
                     {"status", "stopped"},
                     {"bundle", ""},
                     {"error", std::string(b.error.message())}});
    } else if (quiet) {
      printf("%s\n", b.name.c_str());
    } else {
      printf("%-20s %-8d %-10s %-40s %-30s\n", b.name.c_str(), 0, "stopped", "", "");
    }
  }
  if (format == "json") printf("%s\n", out.dump().c_str());
  return 0;
}

int FeaturesMain(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] != "--help") return OciFail("features: takes no arguments");
  Json f = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions",
       {"ro",       "rw",         "bind",    "rbind",       "nosuid",     "suid",
        "nodev",    "dev",        "noexec",  "exec",        "private",    "rprivate",
        "shared",   "rshared",    "slave",   "rslave",      "unbindable", "runbindable",
        "relatime", "norelatime", "noatime", "strictatime", "nodiratime", "defaults",
        "sync",     "async"}},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
        {"capabilities", AllCapabilityNames()},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions",
           {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
            "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
          {"operators",
           {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
            "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
          {"archs", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"}}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations",
       {{"run.nucleus.landlock", "off|best-effort|strict (default off for config.json)"},
        {"run.nucleus.landlock.policy", "a Landlock policy (JSON, as --landlock-policy)"},
        {"run.nucleus.init", "true|false (default false: the process is PID 1)"},
        {"run.nucleus.backend", "native|gvisor|auto (default native)"},
        {"run.nucleus.gvisor.platform", "auto|kvm|systrap|ptrace (gvisor; default auto)"},
        {"run.nucleus.gvisor.network", "none|sandbox|host (gvisor; default none)"}}},
  };
  printf("%s\n", f.dump(2).c_str());
  return 0;
}

int ExecMain(const std::vector<std::string>& args) {
  ArgReader r("exec", args);
  std::string process_file, cwd, user, pid_file, console_socket;
  std::vector<std::string> env;
  bool detach = false, tty = false, interactive = false, no_new_privs = false;
  std::string id;
  std::vector<std::string> cmd;
  while (r.More()) {
    std::string e, ignored;
    if (r.Flag("--process", "-p", &process_file) || r.Flag("--cwd", "-w", &cwd) ||
        r.Flag("--workdir", nullptr, &cwd) || r.Flag("--user", "-u", &user) ||
        r.Flag("--pid-file", nullptr, &pid_file) ||
        r.Flag("--console-socket", nullptr, &console_socket) || r.Bool("--detach", "-d", &detach) ||
        r.Bool("--tty", "-t", &tty) || r.Bool("--interactive", "-i", &interactive) ||
        r.Bool("--no-new-privs", nullptr, &no_new_privs) ||
        r.Flag("--process-label", nullptr, &ignored) || r.Flag("--apparmor", nullptr, &ignored)) {
      continue;
    }
    if (r.Flag("--env", "-e", &e)) {
      env.push_back(e);
      continue;
    }
    if (r.Flag("--preserve-fds", nullptr, &ignored)) {
      if (ignored != "0") return Fail("exec: --preserve-fds: only 0 is supported");
      continue;
    }
    if (r.Flag("--cap", "-c", &ignored)) {
      return Fail("exec: --cap: not supported (the process gets the container's capabilities)");
    }
    if (!r.Positional(&id)) break;
    cmd = r.Rest();
    break;
  }
  if (!r.ok()) return Fail(r.error());
  if (id.empty()) return Fail("exec: missing container ID (usage: exec [FLAGS] ID -- CMD...)");
  if (process_file.empty() && cmd.empty()) return Fail("exec: missing command");
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  absl::StatusOr<std::string> resolved = ResolveContainer(*store, id);
  if (!resolved.ok()) return Fail(std::string(resolved.status().message()));
  absl::StatusOr<ContainerState> st = store->Load(*resolved);
  if (!st.ok()) return Fail(std::string(st.status().message()));
  const ContainerStatus now = CurrentStatus(*store, *st);
  if (now == ContainerStatus::kPaused) {  // runc's refusal: the process would start frozen
    return Fail(
        absl::StrCat("exec: cannot exec in paused container ", *resolved, " (resume it first)"));
  }
  if (now != ContainerStatus::kRunning) {
    return Fail(absl::StrCat("exec: container ", *resolved, " is not running"));
  }
  absl::StatusOr<ContainerSpec> spec = LoadContainerSpec(*store, *resolved);
  if (!spec.ok()) return Fail(std::string(spec.status().message()));
  if (!process_file.empty()) {
    absl::StatusOr<ProcessSpec> p = LoadOciProcessFile(process_file);
    if (!p.ok()) return Fail(absl::StrCat("exec: ", p.status().message()));
    spec->process = *p;
  } else {
    spec->process.args = cmd;
    spec->process.terminal = tty;
  }
  for (const std::string& kv : env) {
    if (kv.find('=') == std::string::npos || kv[0] == '=') {
      return Fail(absl::StrCat("exec: --env: '", kv, "' is not KEY=VALUE"));
    }
    std::string key = kv.substr(0, kv.find('=') + 1);
    auto& e = spec->process.env;
    e.erase(std::remove_if(e.begin(), e.end(),
                           [&](const std::string& x) { return x.rfind(key, 0) == 0; }),
            e.end());
    e.push_back(kv);
  }
  if (!cwd.empty()) {
    if (cwd[0] != '/') return Fail(absl::StrCat("exec: --cwd: '", cwd, "' is not absolute"));
    spec->process.cwd = cwd;
  }
  if (!user.empty()) {
    absl::Status us = ApplyUserFlag(user, spec->rootfs, &spec->process);
    if (!us.ok()) return Fail(absl::StrCat("exec: ", us.message()));
  }
  if (no_new_privs) spec->process.no_new_privileges = true;
  absl::StatusOr<UniqueFd> pidfd = OpenVerifiedPidfd(st->pid, st->pid_start_time);
  if (!pidfd.ok()) return Fail(absl::StrCat("exec: container ", *resolved, " is not running"));
  return RunExec(*store, *spec, st->pid, pidfd->get(), detach, pid_file, console_socket);
}

int PsMain(const std::vector<std::string>& args) {
  // `ps` alone lists containers (docker's); `ps ID` lists a container's processes (runc's).
  std::vector<std::string> pos;
  std::string format = "table";
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--format" || args[i] == "-f") {
      if (i + 1 < args.size()) format = args[++i];
    } else if (args[i].rfind("--format=", 0) == 0) {
      format = args[i].substr(9);
    } else if (args[i][0] != '-') {
      pos.push_back(args[i]);
    }
  }
  if (pos.empty()) return ListContainersMain(args);
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  absl::StatusOr<std::string> id = ResolveContainer(*store, pos[0]);
  if (!id.ok()) return Fail(std::string(id.status().message()));
  absl::StatusOr<std::vector<pid_t>> pids = ContainerPids(*store, *id);
  if (!pids.ok()) return Fail(std::string(pids.status().message()));
  if (format == "json") {
    printf("%s\n", Json(*pids).dump().c_str());
    return 0;
  }
  printf("%-8s %s\n", "PID", "CMD");
  for (pid_t p : *pids) printf("%-8d %s\n", p, ProcessCommandLine(p).c_str());
  return 0;
}

}  // namespace nucleus
