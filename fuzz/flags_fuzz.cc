// Fuzzes `nucleus run` flag parsing: the input is argv, split at NUL bytes.
// Inputs naming --env-file or --seccomp-profile are skipped: those flags read host files
// (runtime/env's and runtime/seccomp's parsers have their own targets), and a fuzzer must not
// block on a FIFO or read /dev/zero.
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "runtime/spec/flags.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  if (text.find("env-file") != absl::string_view::npos) return 0;
  if (text.find("seccomp-profile") != absl::string_view::npos) return 0;
  // --landlock-policy reads host files too (runtime/landlock has its own target).
  if (text.find("landlock-policy") != absl::string_view::npos) return 0;
  std::vector<std::string> args = nucleus::fuzz::SplitNul(text);
  nucleus::HostDefaults host;
  if (size % 2 == 1) host = nucleus::HostDefaults{1000, 1000};  // rootless half the time
  auto req = nucleus::ParseRunArgs(args, host);
  if (!req.ok()) {
    Check(std::string(req.status().message()).find('\n') == std::string::npos,
          "errors are one line");
    return 0;
  }
  if (req->help) return 0;
  const nucleus::ContainerSpec& spec = req->spec;
  Check(!spec.process.args.empty() && !spec.process.args[0].empty(), "a command");
  Check(!spec.id.empty(), "an id");
  Check(spec.process.cwd[0] == '/', "absolute cwd");
  Check(spec.process.no_new_privileges, "no_new_privs always");
  Check(host.euid == 0 || spec.namespaces.user, "rootless implies a user namespace");
  Check(!spec.idmap_rootfs || (spec.namespaces.user && !spec.rootfs.empty()),
        "an id-mapped rootfs needs one and a user namespace");
  // No mapping hands the container the host's root unless --userns=host (no namespace).
  if (spec.namespaces.user && host.euid == 0 && !spec.uid_mappings.empty() &&
      text.find("uidmap") == absl::string_view::npos &&
      text.find("gidmap") == absl::string_view::npos) {
    for (const nucleus::IdMapping& m : spec.uid_mappings) {
      Check(m.host_id != 0, "the default and keep-id maps never reach host uid 0");
    }
    for (const nucleus::IdMapping& m : spec.gid_mappings) {
      Check(m.host_id != 0, "the default and keep-id maps never reach host gid 0");
    }
  }
  for (const nucleus::MountSpec& m : spec.mounts) {
    Check(!m.destination.empty() && m.destination[0] == '/' && m.destination != "/",
          "mount destinations absolute, not /");
  }
  return 0;
}
