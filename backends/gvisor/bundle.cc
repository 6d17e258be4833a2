#include "backends/gvisor/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/spec/oci_config.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

using OJson = nlohmann::ordered_json;

absl::Status Refuse(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why, " (gvisor backend)"));
}

bool UnderProcOrSys(const std::string& path) {
  return path == "/proc" || path == "/sys" || absl::StartsWith(path, "/proc/") ||
         absl::StartsWith(path, "/sys/");
}

// "sh -c SCRIPT nucleus-gvisor-gate ARGS..." with builtins only: one exec per hook.
HookSpec ShellHook(const std::string& script, std::vector<std::string> args) {
  HookSpec h;
  h.path = "/bin/sh";
  h.args = {"sh", "-c", script, "nucleus-gvisor-gate"};
  for (std::string& a : args) h.args.push_back(std::move(a));
  h.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  return h;
}

OJson HookJson(const HookSpec& h) {
  OJson j = OJson::object();
  j["path"] = h.path;
  j["args"] = h.args;
  if (!h.env.empty()) j["env"] = h.env;
  if (h.timeout_seconds > 0) j["timeout"] = h.timeout_seconds;
  return j;
}

}  // namespace

namespace {

// What gVisor cannot do as asked, refused (one line naming the field).
absl::Status RefuseWhatGvisorCannotDo(const ContainerSpec& spec) {
  const std::string& platform = spec.gvisor_platform;
  if (platform != "auto" && platform != "kvm" && platform != "systrap" && platform != "ptrace") {
    return Refuse("gvisor platform",
                  absl::StrCat("'", platform, "' is not auto, kvm, systrap or ptrace"));
  }
  const std::string& network = spec.gvisor_network;
  if (network != "none" && network != "sandbox" && network != "host") {
    return Refuse("gvisor network", absl::StrCat("'", network, "' is not none, sandbox or host"));
  }
  if (spec.process.terminal) {
    return Refuse("process.terminal", "a terminal is not supported yet; run without -t");
  }
  if (spec.process.args.empty()) return Refuse("process.args", "empty");
  const NamespaceSpec& ns = spec.namespaces;
  const std::pair<const char*, const std::string*> paths[] = {
      {"pid", &ns.pid_path},  {"mount", &ns.mount_path},   {"uts", &ns.uts_path},
      {"ipc", &ns.ipc_path},  {"cgroup", &ns.cgroup_path}, {"user", &ns.user_path},
      {"time", &ns.time_path}};
  for (const auto& [type, path] : paths) {
    if (!path->empty()) {
      return Refuse(absl::StrCat("linux.namespaces[", type, "].path"),
                    absl::StrCat("cannot join '", *path,
                                 "': the workload lives in gVisor's kernel, not the host's"));
    }
  }
  if (!ns.net_path.empty() && network != "sandbox") {
    return Refuse("linux.namespaces[network].path",
                  absl::StrCat("'", ns.net_path, "' is used only with gvisor network sandbox"));
  }
  if (network == "sandbox" && !ns.net) {
    return Refuse("gvisor network sandbox",
                  "needs a network namespace (gVisor's netstack would take over the host's "
                  "interfaces); use network none or host");
  }
  if (!spec.devices.empty()) {
    return Refuse("linux.devices", absl::StrCat("host device '", spec.devices[0].path,
                                                "' cannot be passed into a gVisor sandbox"));
  }
  if (!spec.hooks.create_container.empty()) {
    return Refuse("hooks.createContainer",
                  "would run in the sandbox process's host namespaces, not in the container");
  }
  if (!spec.hooks.start_container.empty()) {
    return Refuse("hooks.startContainer",
                  "would run in the sandbox process's host namespaces, not in the container");
  }
  if (!spec.context.source.empty() && spec.context.mode == ContextSpec::Mode::kBind) {
    return Refuse("--context-mode bind",
                  "runsc cannot mask the excluded entries of a bound directory; use "
                  "--context-mode copy");
  }
  for (const std::string& p : spec.masked_paths) {
    if (!UnderProcOrSys(p)) {
      return Refuse("linux.maskedPaths",
                    absl::StrCat("'", p, "' is outside /proc and /sys, where runsc ignores it"));
    }
  }
  for (const std::string& p : spec.readonly_paths) {
    if (!UnderProcOrSys(p)) {
      return Refuse("linux.readonlyPaths",
                    absl::StrCat("'", p, "' is outside /proc and /sys, where runsc ignores it"));
    }
  }
  if (spec.landlock.mode == LandlockSpec::Mode::kStrict) {
    return Refuse("landlock strict", "Landlock cannot be enforced inside a gVisor sandbox");
  }
  return absl::OkStatus();
}

// What gVisor leaves out, one warning each.
std::vector<std::string> WhatGvisorLeavesOut(const ContainerSpec& spec,
                                             const GvisorConfigOptions& options) {
  std::vector<std::string> warnings;
  const NamespaceSpec& ns = spec.namespaces;
  if (spec.landlock.mode == LandlockSpec::Mode::kBestEffort) {
    warnings.push_back(
        spec.landlock.custom_policy || spec.landlock.restrict_tcp_connect ||
                spec.landlock.restrict_tcp_bind
            ? "landlock: the custom policy is not applied under gVisor (best-effort); the "
              "sandbox's mounts are the file system boundary"
            : "landlock: not applied under gVisor (best-effort); the sandbox's mounts are the "
              "file system boundary");
  }
  if (ns.user && options.root_caller) {
    warnings.push_back(
        "user namespace: dropped; the workload's ids exist only in gVisor's kernel and the "
        "sandbox runs as an unprivileged host user");
  }
  if (ns.time) warnings.push_back("time namespace: dropped; gVisor keeps its own clock");
  if (!spec.rootfs_propagation.empty() && spec.rootfs_propagation != "private" &&
      spec.rootfs_propagation != "rprivate") {
    warnings.push_back(absl::StrCat("rootfsPropagation ", spec.rootfs_propagation,
                                    ": ignored; host mounts never propagate into gVisor"));
  }
  if (!spec.resources.device_allow.empty()) {
    warnings.push_back(
        "linux.resources.devices: ignored; gVisor's devices are its own, not the host's");
  }
  // Engines set some by default (podman: net.ipv4.ping_group_range): a refusal would make
  // gVisor unusable under them. gVisor's kernel has its own, fixed values.
  for (const auto& [key, value] : spec.sysctl) {
    warnings.push_back(absl::StrCat("linux.sysctl[", key,
                                    "]: not applied under gVisor (its "
                                    "kernel keeps its own value)"));
  }
  if (spec.seccomp && !options.oci_seccomp) {
    warnings.push_back(
        "seccomp: this runsc has no --oci-seccomp; the profile is not enforced inside the "
        "sandbox (gVisor's own filter still confines the sandbox)");
  }
  return warnings;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> CheckGvisorSpec(const ContainerSpec& spec,
                                                         const GvisorConfigOptions& options) {
  RETURN_IF_ERROR(RefuseWhatGvisorCannotDo(spec));
  return WhatGvisorLeavesOut(spec, options);
}

// gVisor (runsc 2022) lets a process without CAP_MKNOD make device nodes in its tmpfs. They
// lead nowhere (gVisor has no host devices: opening one gives ENXIO), but a device node is
// exactly what a container must not be able to make: the sandbox's own filter denies it,
// ahead of the profile's rules (runsc's --oci-seccomp takes the first rule that matches).
void DenyDeviceNodes(SeccompSpec* seccomp) {
  if (seccomp->log_only) return;  // the user asked to deny nothing
  std::vector<SeccompRule> deny;
  for (uint64_t type : {uint64_t{S_IFCHR}, uint64_t{S_IFBLK}}) {
    for (auto [name, index] : {std::pair<const char*, uint32_t>{"mknod", 1}, {"mknodat", 2}}) {
      SeccompRule r;
      r.names = {name};
      r.action = SeccompAction::kErrno;
      r.errno_ret = EPERM;
      r.args = {{index, S_IFMT, type, SeccompArg::Op::kMaskedEqual}};
      deny.push_back(std::move(r));
    }
  }
  seccomp->syscalls.insert(seccomp->syscalls.begin(), deny.begin(), deny.end());
}

absl::StatusOr<GvisorConfig> GvisorConfigJson(const ContainerSpec& spec,
                                              const GvisorConfigOptions& options) {
  GvisorConfig out;
  if (!spec.secrets.empty()) {  // the backend stages them as binds first (StageSecrets)
    return absl::InternalError("--secret: the secrets were not staged for runsc");
  }
  if (!spec.landlock.unix_sockets.empty()) {
    // --socket (also after --backend auto): runsc would need --fsgofer-host-uds, which lets
    // the sandbox reach every host socket in every bind through its gofer (host root).
    return absl::InvalidArgumentError(absl::StrCat(
        "--socket ", spec.landlock.unix_sockets[0],
        ": cannot be passed into a gVisor sandbox (runsc's switch for host sockets opens "
        "every one in the binds, as the host's root)"));
  }
  ASSIGN_OR_RETURN(out.warnings, CheckGvisorSpec(spec, options));
  ContainerSpec sandboxed = spec;
  if (sandboxed.seccomp) DenyDeviceNodes(&*sandboxed.seccomp);
  OJson j = OJson::parse(ToOciConfigJson(sandboxed));
  j.erase("hooks");
  OJson& linux = j["linux"];
  linux.erase("resources");
  linux.erase("cgroupsPath");
  linux.erase("uidMappings");
  linux.erase("gidMappings");
  linux.erase("sysctl");
  if (!options.oci_seccomp) linux.erase("seccomp");
  OJson namespaces = OJson::array();
  for (const OJson& n : linux["namespaces"]) {
    const std::string type = n.value("type", "");
    if (type == "user" || type == "time") continue;
    if (type == "network" && spec.gvisor_network == "host") continue;
    namespaces.push_back(n);
  }
  linux["namespaces"] = std::move(namespaces);
  // nucleus's own annotations mean nothing to runsc; the rest are the user's.
  if (j.contains("annotations")) {
    OJson ann = OJson::object();
    for (auto it = j["annotations"].begin(); it != j["annotations"].end(); ++it) {
      if (!absl::StartsWith(it.key(), "run.nucleus.")) ann[it.key()] = it.value();
    }
    j["annotations"] = std::move(ann);
  }
  if (!options.prestart.empty() || !options.poststart.empty()) {
    OJson hooks = OJson::object();
    if (!options.prestart.empty()) {
      hooks["prestart"] = OJson::array();
      for (const HookSpec& h : options.prestart) hooks["prestart"].push_back(HookJson(h));
    }
    if (!options.poststart.empty()) {
      hooks["poststart"] = OJson::array();
      for (const HookSpec& h : options.poststart) hooks["poststart"].push_back(HookJson(h));
    }
    j["hooks"] = std::move(hooks);
  }
  out.json = j.dump(2, ' ', false, OJson::error_handler_t::replace);
  return out;
}

absl::StatusOr<std::string> GvisorProcessJson(const ContainerSpec& spec) {
  if (spec.process.terminal) {
    return Refuse("process.terminal", "a terminal is not supported yet; run without -t");
  }
  if (spec.process.args.empty()) return Refuse("process.args", "empty");
  OJson j = OJson::parse(ToOciConfigJson(spec));
  OJson process = std::move(j["process"]);
  process["terminal"] = false;
  return process.dump(2, ' ', false, OJson::error_handler_t::replace);
}

HookSpec GatePrestartHook(pid_t self, int ready_w, int go_r) {
  // $1: our ready pipe, $2: our go pipe. read -r stops at EOF without a newline (the state
  // JSON has none) but keeps what it read.
  return ShellHook(
      absl::StrCat("read -r state; printf '%s\\n' \"$state\" >\"$1\" || exit 1; "
                   "read -r go <\"$2\"; [ \"$go\" = ",
                   kGateStart, " ]"),
      {absl::StrCat("/proc/", self, "/fd/", ready_w), absl::StrCat("/proc/", self, "/fd/", go_r)});
}

HookSpec GatePoststartHook(pid_t self, int ready_w) {
  return ShellHook(absl::StrCat("printf '", kGateStarted, "\\n' >\"$1\""),
                   {absl::StrCat("/proc/", self, "/fd/", ready_w)});
}

absl::StatusOr<pid_t> PidFromStateJson(absl::string_view line) {
  OJson j = OJson::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("pid") || !j["pid"].is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat("runsc's container state has no pid: '", line.substr(0, 200), "'"));
  }
  int64_t pid = j["pid"].get<int64_t>();
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("runsc's container state: bad pid ", pid));
  }
  return static_cast<pid_t>(pid);
}

absl::Status WriteBundleFile(int dir_fd, const std::string& name, absl::string_view text) {
  const std::string tmp = absl::StrCat(name, ".tmp");
  ASSIGN_OR_RETURN(UniqueFd fd,
                   OpenAt(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600));
  RETURN_IF_ERROR(WriteAll(fd.get(), text, tmp));
  fd.Reset();
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) {
    return ErrnoStatus("rename", name);
  }
  return absl::OkStatus();
}

}  // namespace nucleus
