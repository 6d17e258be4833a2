#include "runtime/spec/flags.h"

#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/layout.h"
#include "runtime/cgroup/limits.h"
#include "runtime/env.h"
#include "runtime/identity.h"
#include "runtime/landlock/policy.h"
#include "runtime/paths.h"
#include "runtime/quote.h"
#include "runtime/seccomp/default_profile.h"
#include "runtime/seccomp/profile.h"
#include "runtime/spec/resources.h"
#include "runtime/state/ids.h"
#include "runtime/units.h"
#include "runtime/workspace/context.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

enum class Flag {
  kRootfs,
  kHostRoot,
  kReadOnly,
  kTmpExec,
  kAllowSensitiveBind,
  kRo,
  kRw,
  kTmpfs,
  kSocket,
  kSecret,
  kContext,
  kContextMode,
  kContextExclude,
  kContextInclude,
  kContextLimit,
  kContextManifest,
  kVerifyContext,
  kWorkdir,
  kEnv,
  kEnvFile,
  kUser,
  kGroupAdd,
  kCapAdd,
  kCapDrop,
  kUlimit,
  kNoInit,
  kName,
  kHostname,
  kNetwork,
  kUserns,
  kUidmap,
  kGidmap,
  kTimens,
  kHelp,
  kSeccomp,
  kSeccompProfile,
  kSeccompLog,
  kLandlock,
  kLandlockPolicy,
  kAllowTcpConnect,
  kAllowTcpBind,
  kMemory,
  kMemorySwap,
  kMemoryReservation,
  kCpus,
  kCpuShares,
  kCpuWeight,
  kCpusetCpus,
  kCpusetMems,
  kPidsLimit,
  kBlkioWeight,
  kCgroupParent,
  kDetach,
  kTty,
  kInteractive,
  kRm,
  kReadinessExec,
  kReadinessTcp,
  kReadinessInterval,
  kReadinessTimeout,
  kReadinessRetries,
  kHealthCmd,
  kHealthInterval,
  kHealthTimeout,
  kHealthRetries,
  kHealthStartPeriod,
  kHealthOnFailure,
  kReadinessSdNotify,
  kRestart,
  kBackend,
  kGvisorPlatform,
};

struct FlagDef {
  const char* name;        // "--env"
  const char* short_name;  // "-e" or nullptr
  bool takes_value;
  Flag flag;
  // A flag that may stand alone or take "=VALUE" ("--userns", "--userns=host"); never the
  // next argument, which is the command's.
  bool optional_value = false;
};

constexpr FlagDef kFlags[] = {
    {"--rootfs", nullptr, true, Flag::kRootfs},
    {"--host-root", nullptr, false, Flag::kHostRoot},
    {"--read-only", nullptr, false, Flag::kReadOnly},
    {"--tmp-exec", nullptr, false, Flag::kTmpExec},
    {"--allow-sensitive-bind", nullptr, false, Flag::kAllowSensitiveBind},
    {"--ro", nullptr, true, Flag::kRo},
    {"--rw", nullptr, true, Flag::kRw},
    {"--tmpfs", nullptr, true, Flag::kTmpfs},
    {"--socket", nullptr, true, Flag::kSocket},
    {"--secret", nullptr, true, Flag::kSecret},
    {"--context", nullptr, true, Flag::kContext},
    {"--context-mode", nullptr, true, Flag::kContextMode},
    {"--context-exclude", nullptr, true, Flag::kContextExclude},
    {"--context-include", nullptr, true, Flag::kContextInclude},
    {"--context-limit", nullptr, true, Flag::kContextLimit},
    {"--context-manifest", nullptr, true, Flag::kContextManifest},
    {"--verify-context", nullptr, true, Flag::kVerifyContext},
    {"--workdir", "-w", true, Flag::kWorkdir},
    {"--env", "-e", true, Flag::kEnv},
    {"--env-file", nullptr, true, Flag::kEnvFile},
    {"--user", nullptr, true, Flag::kUser},
    {"--group-add", nullptr, true, Flag::kGroupAdd},
    {"--cap-add", nullptr, true, Flag::kCapAdd},
    {"--cap-drop", nullptr, true, Flag::kCapDrop},
    {"--ulimit", nullptr, true, Flag::kUlimit},
    {"--no-init", nullptr, false, Flag::kNoInit},
    {"--name", nullptr, true, Flag::kName},
    {"--hostname", nullptr, true, Flag::kHostname},
    {"--network", nullptr, true, Flag::kNetwork},
    {"--userns", nullptr, false, Flag::kUserns, /*optional_value=*/true},
    {"--uidmap", nullptr, true, Flag::kUidmap},
    {"--gidmap", nullptr, true, Flag::kGidmap},
    {"--timens", nullptr, false, Flag::kTimens},
    {"--seccomp", nullptr, true, Flag::kSeccomp},
    {"--seccomp-profile", nullptr, true, Flag::kSeccompProfile},
    {"--seccomp-log", nullptr, false, Flag::kSeccompLog},
    {"--landlock", nullptr, true, Flag::kLandlock},
    {"--landlock-policy", nullptr, true, Flag::kLandlockPolicy},
    {"--allow-tcp-connect", nullptr, true, Flag::kAllowTcpConnect},
    {"--allow-tcp-bind", nullptr, true, Flag::kAllowTcpBind},
    {"--memory", "-m", true, Flag::kMemory},
    {"--memory-swap", nullptr, true, Flag::kMemorySwap},
    {"--memory-reservation", nullptr, true, Flag::kMemoryReservation},
    {"--cpus", nullptr, true, Flag::kCpus},
    {"--cpu-shares", "-c", true, Flag::kCpuShares},
    {"--cpu-weight", nullptr, true, Flag::kCpuWeight},
    {"--cpuset-cpus", nullptr, true, Flag::kCpusetCpus},
    {"--cpuset-mems", nullptr, true, Flag::kCpusetMems},
    {"--pids-limit", nullptr, true, Flag::kPidsLimit},
    {"--blkio-weight", nullptr, true, Flag::kBlkioWeight},
    {"--cgroup-parent", nullptr, true, Flag::kCgroupParent},
    {"--detach", "-d", false, Flag::kDetach},
    {"--tty", "-t", false, Flag::kTty},
    {"--interactive", "-i", false, Flag::kInteractive},
    {"--rm", nullptr, false, Flag::kRm},
    {"--readiness-exec", nullptr, true, Flag::kReadinessExec},
    {"--readiness-tcp", nullptr, true, Flag::kReadinessTcp},
    {"--readiness-interval", nullptr, true, Flag::kReadinessInterval},
    {"--readiness-timeout", nullptr, true, Flag::kReadinessTimeout},
    {"--readiness-retries", nullptr, true, Flag::kReadinessRetries},
    {"--health-cmd", nullptr, true, Flag::kHealthCmd},
    {"--health-interval", nullptr, true, Flag::kHealthInterval},
    {"--health-timeout", nullptr, true, Flag::kHealthTimeout},
    {"--health-retries", nullptr, true, Flag::kHealthRetries},
    {"--health-start-period", nullptr, true, Flag::kHealthStartPeriod},
    {"--health-on-failure", nullptr, true, Flag::kHealthOnFailure},
    {"--readiness-sd-notify", nullptr, false, Flag::kReadinessSdNotify},
    {"--restart", nullptr, true, Flag::kRestart},
    {"--backend", nullptr, true, Flag::kBackend},
    {"--gvisor-platform", nullptr, true, Flag::kGvisorPlatform},
    {"--help", "-h", false, Flag::kHelp},
};

// As root without --userns=host or maps: container ids 0-65535 on host ids 100000-165535
// (podman's auto default range, /etc/subuid's usual first range).
constexpr IdMapping kDefaultRootUsernsMap = {0, 100000, 65536};
constexpr size_t kMaxHostnameLen = 64;

const char kSocketUnderGvisor[] =
    "cannot be passed into a gVisor sandbox (runsc's switch for host sockets opens every one "
    "in the binds, as the host's root)";
const char kMissingCommand[] = "run: missing command (usage: nucleus run [FLAGS] -- CMD [ARGS...])";

absl::Status Invalid(absl::string_view flag, absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quote(value), " ", why));
}

// Everything gathered from the command line before the spec is assembled: --user depends on
// --rootfs, HOME on --user, the id maps on all of them, and flags come in any order.
struct Parsed {
  RunRequest req;
  EnvBuilder env;
  std::optional<std::string> user;
  std::vector<std::string> group_adds;
  bool cap_add_all = false;
  std::set<int> cap_add;
  std::set<int> cap_drop;
  bool read_only = false;
  bool allow_sensitive_bind = false;
  std::vector<std::string> context_flags;  // the --context-* flags given (need --context)
  std::vector<MountSpec> sockets;          // --socket: binds past the sensitive-path check
  bool pids_limit_given = false;
  // --userns[=MODE]: kDefault (no flag) is a private range as root, your own ids rootless.
  enum class Userns { kDefault, kPrivate, kHost, kKeepId } userns = Userns::kDefault;
  std::vector<IdMapping> uid_maps;
  std::vector<IdMapping> gid_maps;
  std::vector<std::string> command;
  // Seccomp: loaded at the end, since includes/excludes.caps depend on --cap-add/--cap-drop.
  std::optional<std::string> seccomp_profile;
  bool seccomp_unconfined = false;
  bool seccomp_log = false;
  bool gvisor_platform_set = false;
  // Landlock: the policy file, the mode and the --allow-tcp-* ports, merged at the end.
  LandlockSpec::Mode landlock_mode = LandlockSpec::Mode::kBestEffort;
  std::optional<LandlockSpec> landlock_policy;
  std::optional<std::set<uint16_t>> allow_tcp_connect;  // set: the flag was given
  std::optional<std::set<uint16_t>> allow_tcp_bind;
};

// ---- single-flag value parsers ----

// "NET_ADMIN", "cap_net_admin", "ALL" (nullopt). libcap knows the names; it also takes bare
// numbers, which docker does not, so only letters, digits and '_' that are not all digits pass.
absl::StatusOr<std::optional<int>> ParseCapability(absl::string_view text, absl::string_view flag) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "all") return std::optional<int>();
  if (!absl::StartsWith(lower, "cap_")) lower = absl::StrCat("cap_", lower);
  bool word = std::all_of(lower.begin(), lower.end(),
                          [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
  bool digits = std::all_of(lower.begin() + 4, lower.end(), absl::ascii_isdigit);
  cap_value_t cap = -1;
  if (!word || digits || cap_from_name(lower.c_str(), &cap) != 0 || cap < 0 || cap > CAP_LAST_CAP) {
    return Invalid(flag, text, "is not a capability (e.g. NET_ADMIN, CAP_CHOWN, ALL)");
  }
  return std::optional<int>(cap);
}

absl::Status ValidateHostname(absl::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxHostnameLen && name[0] != '-' &&
            std::all_of(name.begin(), name.end(),
                        [](char c) { return absl::ascii_isalnum(c) || c == '.' || c == '-'; });
  if (ok) return absl::OkStatus();
  return Invalid("--hostname", name,
                 "is not a hostname (1-64 of A-Z a-z 0-9 . -, not starting with '-')");
}

// The state store's rule (runtime/state/ids.h), in the flag's words.
absl::Status ValidateName(absl::string_view name) {
  if (ValidateContainerName(name).ok()) return absl::OkStatus();
  return Invalid("--name", name,
                 absl::StrCat("is not a name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most ",
                              kMaxContainerIdLength, ")"));
}

// Mount destinations: a clean absolute path that is not "/" (that is --rootfs) and not inside
// /proc, where a bind mount could shadow the masked and read-only paths (runc's rule).
absl::StatusOr<std::string> MountDestination(absl::string_view dst, absl::string_view flag) {
  ASSIGN_OR_RETURN(std::string clean, ValidateContainerPath(dst, flag));
  if (clean == "/") return Invalid(flag, dst, "would cover the container's root (use --rootfs)");
  if (clean == "/proc" || absl::StartsWith(clean, "/proc/")) {
    return Invalid(flag, dst, "is inside /proc, which nucleus mounts itself");
  }
  return clean;
}

// --ro / --rw SRC[:DST].
absl::StatusOr<MountSpec> ParseBind(absl::string_view value, bool read_only,
                                    absl::string_view flag) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, ':');
  if (parts.size() > 2 || parts[0].empty() || (parts.size() == 2 && parts[1].empty())) {
    return Invalid(flag, value, "is not SRC[:DST]");
  }
  MountSpec m;
  m.type = MountSpec::Type::kBind;
  m.read_only = read_only;
  ASSIGN_OR_RETURN(m.source, ValidateHostPath(parts[0], flag));
  ASSIGN_OR_RETURN(m.destination, MountDestination(parts.size() == 2 ? parts[1] : m.source, flag));
  return m;
}

absl::StatusOr<uint32_t> ParseMode(absl::string_view text, absl::string_view value) {
  uint32_t mode = 0;
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; })) {
    return Invalid("--tmpfs", value, absl::StrCat("has mode ", Quote(text), ", not octal 0..7777"));
  }
  for (char c : text) mode = mode * 8 + static_cast<uint32_t>(c - '0');
  if (mode > 07777) {
    return Invalid("--tmpfs", value, absl::StrCat("has mode ", Quote(text), ", not octal 0..7777"));
  }
  return mode;
}

// --tmpfs DST[:size=N[,mode=OCTAL]].
absl::StatusOr<MountSpec> ParseTmpfs(absl::string_view value) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(value, absl::MaxSplits(':', 1));
  bool has_opts = value.find(':') != absl::string_view::npos;
  if (parts.first.empty() || (has_opts && parts.second.empty())) {
    return Invalid("--tmpfs", value, "is not DST[:size=N[,mode=OCTAL]]");
  }
  MountSpec m;
  m.type = MountSpec::Type::kTmpfs;
  m.read_only = false;
  ASSIGN_OR_RETURN(m.destination, MountDestination(parts.first, "--tmpfs"));
  if (!has_opts) return m;
  for (absl::string_view opt : absl::StrSplit(parts.second, ',')) {
    if (absl::ConsumePrefix(&opt, "size=")) {
      ASSIGN_OR_RETURN(m.tmpfs_size, ParseSize(opt, "--tmpfs"));
    } else if (absl::ConsumePrefix(&opt, "mode=")) {
      ASSIGN_OR_RETURN(m.tmpfs_mode, ParseMode(opt, value));
    } else {
      return Invalid("--tmpfs", value,
                     absl::StrCat("has unknown option ", Quote(opt), " (size=N, mode=OCTAL)"));
    }
  }
  return m;
}

// --secret SRC[:DEST]. SRC: a host file, or cred:NAME for systemd's credential
// $CREDENTIALS_DIRECTORY/NAME (LoadCredential=, SetCredential=). DEST: an absolute path, or a
// name under /run/secrets; by default /run/secrets/ and SRC's last component. The file is
// read here, once: a regular file of at most kMaxSecretBytes.
absl::StatusOr<SecretSpec> ParseSecret(absl::string_view value) {
  constexpr absl::string_view kFlag = "--secret";
  std::vector<absl::string_view> parts = absl::StrSplit(value, ':');
  std::string src(parts[0]);
  if (parts[0] == "cred") {  // cred:NAME[:DEST]
    if (parts.size() < 2 || parts.size() > 3 || parts[1].empty()) {
      return Invalid(kFlag, value, "is not cred:NAME[:DEST]");
    }
    src = absl::StrCat("cred:", parts[1]);
    parts.erase(parts.begin());
  }
  if (parts.size() > 2 || parts[0].empty() || (parts.size() == 2 && parts[1].empty())) {
    return Invalid(kFlag, value, "is not SRC[:DEST] or cred:NAME[:DEST]");
  }
  SecretSpec secret;
  secret.source = src;
  std::string path;
  std::string name;
  if (absl::StartsWith(src, "cred:")) {
    name = src.substr(5);
    if (name == "." || name == ".." || name.find('/') != std::string::npos) {
      return Invalid(kFlag, value, "names a credential that is not a plain file name");
    }
    const char* dir = ::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || dir[0] != '/') {
      return Invalid(kFlag, value,
                     "needs $CREDENTIALS_DIRECTORY (systemd sets it for a unit with "
                     "LoadCredential= or SetCredential=)");
    }
    path = absl::StrCat(dir, "/", name);
  } else {
    ASSIGN_OR_RETURN(path, ValidateHostPath(parts[0], kFlag));
    name = path.substr(path.rfind('/') + 1);
  }
  std::string dest = parts.size() == 2 ? std::string(parts[1]) : name;
  if (!absl::StartsWith(dest, "/")) dest = absl::StrCat(kSecretsDir, "/", dest);
  ASSIGN_OR_RETURN(secret.destination, MountDestination(dest, kFlag));
  if (secret.destination == kSecretsDir) return Invalid(kFlag, value, "has no file name");
  // O_NONBLOCK: a FIFO named by mistake must not hang the start; fstat refuses it below.
  absl::StatusOr<UniqueFd> fd = Open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (!fd.ok()) return Invalid(kFlag, value, fd.status().message());
  struct stat st;
  if (::fstat(fd->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Invalid(kFlag, value,
                   path == value ? std::string("is not a regular file")
                                 : absl::StrCat("names ", Quote(path), ", not a regular file"));
  }
  absl::StatusOr<std::string> data = ReadFdToString(fd->get(), kMaxSecretBytes);
  if (!data.ok()) {
    return Invalid(kFlag, value,
                   absl::StrCat(Quote(path), ": ", data.status().message(), " (at most ",
                                kMaxSecretBytes >> 10, " KiB)"));
  }
  secret.data = std::move(*data);
  return secret;
}

absl::Status AddMount(MountSpec m, absl::string_view flag, ContainerSpec* spec) {
  for (const MountSpec& other : spec->mounts) {
    if (other.destination == m.destination) {
      return Invalid(flag, m.destination, "is already a mount destination");
    }
  }
  spec->mounts.push_back(std::move(m));
  return absl::OkStatus();
}

// Host paths a bind must not bring in without --allow-sensitive-bind: the whole host, its
// configuration and secrets, its sockets, kernel interfaces and devices. A path below /proc,
// /sys, /dev or /boot is refused too; below the others only the path itself (a directory
// under /run or /etc may be what a workload needs). Symlinks are resolved first (/var/run
// is /run).
bool IsSensitiveHostPath(const std::string& source) {
  static const char* const kWhole[] = {"/", "/etc", "/root", "/run", "/var/run", "/home"};
  static const char* const kTree[] = {"/proc", "/sys", "/dev", "/boot"};
  std::string real = source;
  if (char* r = ::realpath(source.c_str(), nullptr)) {
    real = r;
    ::free(r);
  }
  bool sensitive = false;
  for (const char* p : kWhole) sensitive = sensitive || real == p || source == p;
  for (const char* p : kTree) {
    for (const std::string& s : {real, source}) {
      sensitive = sensitive || s == p || absl::StartsWith(s, absl::StrCat(p, "/"));
    }
  }
  return sensitive;
}

absl::Status SensitiveError(absl::string_view flag, const std::string& source) {
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": ", Quote(source),
                   " is a sensitive host path (the host's root, configuration, secrets, sockets or "
                   "kernel interfaces); --allow-sensitive-bind allows it"));
}

absl::Status CheckBindSources(const std::vector<MountSpec>& mounts) {
  for (const MountSpec& m : mounts) {
    if (m.type == MountSpec::Type::kBind && IsSensitiveHostPath(m.source)) {
      return SensitiveError(m.read_only ? "--ro" : "--rw", m.source);
    }
  }
  return absl::OkStatus();
}

// --context-limit depth=N,files=N,size=SIZE (any of them, in any order).
absl::Status ParseContextLimit(absl::string_view value, ContextSpec* c) {
  constexpr absl::string_view kFlag = "--context-limit";
  for (absl::string_view opt : absl::StrSplit(value, ',')) {
    uint64_t n = 0;
    if (absl::ConsumePrefix(&opt, "size=")) {
      ASSIGN_OR_RETURN(c->max_bytes, ParseSize(opt, kFlag));
      continue;
    }
    const bool depth = absl::ConsumePrefix(&opt, "depth=");
    if (!depth && !absl::ConsumePrefix(&opt, "files=")) {
      return Invalid(kFlag, value, "is not depth=N,files=N,size=SIZE (any of them)");
    }
    if (!absl::SimpleAtoi(opt, &n) || n == 0 || (depth && n > 1024)) {
      return Invalid(
          kFlag, value,
          absl::StrCat("has ", Quote(opt), ", not a number from 1 to ", depth ? "1024" : "2^64-1"));
    }
    if (depth) {
      c->max_depth = static_cast<int>(n);
    } else {
      c->max_files = n;
    }
  }
  return absl::OkStatus();
}

// After every flag: the --context directory resolved and checked, the default excludes in
// front of the user's, and its mount at /workspace (a tmpfs the backend fills with the copy,
// or the directory itself), noexec unless --tmp-exec. The workload starts there.
absl::Status ResolveContext(Parsed* p) {
  ContainerSpec& spec = p->req.spec;
  ContextSpec& c = spec.context;
  if (c.source.empty()) {
    if (!p->context_flags.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(p->context_flags.front(), ": needs --context DIR"));
    }
    return absl::OkStatus();
  }
  char* real = ::realpath(c.source.c_str(), nullptr);
  if (real == nullptr) return Invalid("--context", c.source, ErrnoStatus("realpath").message());
  std::string resolved = real;
  ::free(real);
  struct stat st;
  if (::stat(resolved.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Invalid("--context", c.source, "is not a directory");
  }
  if (!p->allow_sensitive_bind && IsSensitiveHostPath(resolved)) {
    return SensitiveError("--context", c.source);
  }
  c.source = resolved;
  std::vector<std::string> exclude(std::begin(kDefaultContextExcludes),
                                   std::end(kDefaultContextExcludes));
  exclude.insert(exclude.end(), c.exclude.begin(), c.exclude.end());
  c.exclude = std::move(exclude);
  MountSpec m;
  m.destination = kWorkspaceDir;
  m.read_only = false;
  m.noexec = !spec.tmp_exec;
  if (c.mode == ContextSpec::Mode::kBind) {
    m.type = MountSpec::Type::kBind;
    m.source = c.source;
  } else {
    m.type = MountSpec::Type::kTmpfs;
    m.tmpfs_mode = 0755;
  }
  RETURN_IF_ERROR(AddMount(std::move(m), "--context", &spec));
  if (spec.process.cwd == "/") spec.process.cwd = kWorkspaceDir;
  return absl::OkStatus();
}

void AddRlimit(Rlimit r, ProcessSpec* process) {
  for (Rlimit& existing : process->rlimits) {
    if (existing.resource == r.resource) {  // later --ulimit for the same name wins
      existing = std::move(r);
      return;
    }
  }
  process->rlimits.push_back(std::move(r));
}

absl::StatusOr<LandlockSpec::Mode> ParseLandlockMode(absl::string_view value) {
  if (value == "strict") return LandlockSpec::Mode::kStrict;
  if (value == "best-effort") return LandlockSpec::Mode::kBestEffort;
  if (value == "off") return LandlockSpec::Mode::kOff;
  return Invalid("--landlock", value, "is not strict, best-effort or off");
}

// --allow-tcp-connect / --allow-tcp-bind PORT[,PORT...], added to `ports`.
absl::Status ParseTcpPorts(absl::string_view flag, absl::string_view value,
                           std::optional<std::set<uint16_t>>* ports) {
  if (!*ports) ports->emplace();
  for (absl::string_view port : absl::StrSplit(value, ',')) {
    if (port.empty()) return Invalid(flag, value, "is not PORT[,PORT...]");
    uint32_t n = 0;
    bool ok = port.size() <= 5 && std::all_of(port.begin(), port.end(), absl::ascii_isdigit);
    for (char c : port) n = ok ? n * 10 + static_cast<uint32_t>(c - '0') : 0;
    if (!ok || n < 1 || n > 65535) return Invalid(flag, port, "is not a TCP port (1-65535)");
    (*ports)->insert(static_cast<uint16_t>(n));
  }
  return absl::OkStatus();
}

// A decimal integer in [lo, hi] ("-1" allowed when lo < 0).
absl::StatusOr<int64_t> ParseInt(absl::string_view flag, absl::string_view value, int64_t lo,
                                 int64_t hi) {
  absl::string_view digits = value;
  bool neg = absl::ConsumePrefix(&digits, "-");
  int64_t n = 0;
  bool ok = !digits.empty() && digits.size() <= 18 &&
            std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit);
  for (char c : digits) n = ok ? n * 10 + (c - '0') : 0;
  if (neg) n = -n;
  if (!ok || n < lo || n > hi) {
    return Invalid(flag, value, absl::StrCat("is not a number from ", lo, " to ", hi));
  }
  return n;
}

// --cpus: a decimal with up to 3 fractional digits, 0.01 .. 10000; CFS quota per 100 ms.
absl::StatusOr<uint64_t> ParseCpus(absl::string_view value, uint64_t period_us) {
  auto bad = [&] { return Invalid("--cpus", value, "is not a number of CPUs (e.g. 0.5, 2)"); };
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(value, absl::MaxSplits('.', 1));
  bool has_dot = value.find('.') != absl::string_view::npos;
  auto digits = [](absl::string_view s) {
    return std::all_of(s.begin(), s.end(), absl::ascii_isdigit);
  };
  if (parts.first.size() > 5 || !digits(parts.first) || !digits(parts.second) ||
      parts.second.size() > 3 || (parts.first.empty() && parts.second.empty()) ||
      (has_dot && parts.second.empty())) {
    return bad();
  }
  uint64_t milli = 0;
  for (char c : parts.first) milli = milli * 10 + static_cast<uint64_t>(c - '0');
  milli *= 1000;
  uint64_t scale = 100;
  for (char c : parts.second) {
    milli += static_cast<uint64_t>(c - '0') * scale;
    scale /= 10;
  }
  if (milli < 10 || milli > 10000 * 1000) {
    return Invalid("--cpus", value, "is out of range (0.01 to 10000)");
  }
  return milli * period_us / 1000;
}

absl::StatusOr<bool> ParseBool(absl::string_view flag, absl::string_view value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return Invalid(flag, value, "is not true or false");
}

// Applies one flag with its value ("" for booleans without "=value").
absl::Status Apply(const FlagDef& def, const std::string& value, Parsed* p) {
  ContainerSpec& spec = p->req.spec;
  const char* flag = def.name;
  switch (def.flag) {
    case Flag::kRootfs: {
      ASSIGN_OR_RETURN(spec.rootfs, ValidateHostPath(value, flag));
      return absl::OkStatus();
    }
    case Flag::kReadOnly:
      return absl::OkStatus();  // booleans are handled by the caller
    case Flag::kRo:
    case Flag::kRw: {
      ASSIGN_OR_RETURN(MountSpec m, ParseBind(value, def.flag == Flag::kRo, flag));
      return AddMount(std::move(m), flag, &spec);
    }
    case Flag::kTmpfs: {
      ASSIGN_OR_RETURN(MountSpec m, ParseTmpfs(value));
      return AddMount(std::move(m), flag, &spec);
    }
    case Flag::kContext: {
      ASSIGN_OR_RETURN(spec.context.source, ValidateHostPath(value, flag));
      return absl::OkStatus();
    }
    case Flag::kContextMode:
      p->context_flags.push_back(flag);
      if (value == "copy" || value == "bind") {
        spec.context.mode = value == "copy" ? ContextSpec::Mode::kCopy : ContextSpec::Mode::kBind;
        return absl::OkStatus();
      }
      return Invalid(flag, value, "is not copy or bind");
    case Flag::kContextExclude:
    case Flag::kContextInclude:
      p->context_flags.push_back(flag);
      if (value.empty() || value.front() == '/' || value.find('\0') != std::string::npos) {
        return Invalid(flag, value, "is not a pattern relative to the context (e.g. '*.log')");
      }
      (def.flag == Flag::kContextExclude ? spec.context.exclude : spec.context.include)
          .push_back(value);
      return absl::OkStatus();
    case Flag::kContextLimit:
      p->context_flags.push_back(flag);
      return ParseContextLimit(value, &spec.context);
    case Flag::kContextManifest: {
      p->context_flags.push_back(flag);
      ASSIGN_OR_RETURN(spec.context.manifest, ValidateHostPath(value, flag));
      return absl::OkStatus();
    }
    case Flag::kVerifyContext: {
      p->context_flags.push_back(flag);
      ASSIGN_OR_RETURN(spec.context.verify, ValidateHostPath(value, flag));
      return absl::OkStatus();
    }
    case Flag::kSocket: {
      ASSIGN_OR_RETURN(MountSpec m, ParseBind(value, /*read_only=*/true, flag));
      struct stat st;
      if (::stat(m.source.c_str(), &st) != 0) {
        return Invalid(flag, value, absl::StrCat("cannot be reached: ", strerror(errno)));
      }
      if (!S_ISSOCK(st.st_mode)) return Invalid(flag, value, "is not a unix socket");
      m.recursive = false;
      p->sockets.push_back(std::move(m));
      return absl::OkStatus();
    }
    case Flag::kSecret: {
      ASSIGN_OR_RETURN(SecretSpec secret, ParseSecret(value));
      for (const SecretSpec& other : spec.secrets) {
        if (other.destination == secret.destination) {
          return Invalid(
              flag, value,
              absl::StrCat("goes to ", secret.destination, ", where another --secret goes"));
        }
      }
      spec.secrets.push_back(std::move(secret));
      return absl::OkStatus();
    }
    case Flag::kWorkdir: {
      ASSIGN_OR_RETURN(spec.process.cwd, ValidateContainerPath(value, flag));
      return absl::OkStatus();
    }
    case Flag::kEnv:
      return p->env.AddFlag(value);
    case Flag::kEnvFile:
      // Validated like any host path, read as given so messages show the name typed.
      RETURN_IF_ERROR(ValidateHostPath(value, flag).status());
      return p->env.AddFile(value);
    case Flag::kUser:
      p->user = value;
      return absl::OkStatus();
    case Flag::kGroupAdd:
      p->group_adds.push_back(value);
      return absl::OkStatus();
    case Flag::kCapAdd:
    case Flag::kCapDrop: {
      ASSIGN_OR_RETURN(std::optional<int> cap, ParseCapability(value, flag));
      if (def.flag == Flag::kCapAdd) {
        if (cap)
          p->cap_add.insert(*cap);
        else
          p->cap_add_all = true;
      } else if (cap) {
        p->cap_drop.insert(*cap);  // "--cap-drop ALL": the default already drops everything
      }
      return absl::OkStatus();
    }
    case Flag::kUlimit: {
      ASSIGN_OR_RETURN(Rlimit r, ParseUlimit(value, flag));
      AddRlimit(std::move(r), &spec.process);
      return absl::OkStatus();
    }
    case Flag::kNoInit:
      return absl::OkStatus();
    case Flag::kName:
      RETURN_IF_ERROR(ValidateName(value));
      spec.id = value;
      p->req.name = value;
      return absl::OkStatus();
    case Flag::kHostname:
      RETURN_IF_ERROR(ValidateHostname(value));
      spec.hostname = value;
      return absl::OkStatus();
    case Flag::kNetwork:
      if (value != "none" && value != "sandbox" && value != "host") {
        return Invalid(flag, value,
                       "is not none, sandbox or host (sandbox and host: "
                       "--backend gvisor only)");
      }
      spec.gvisor_network = value;
      spec.namespaces.net = true;
      return absl::OkStatus();
    case Flag::kBackend: {
      std::optional<ContainerSpec::BackendKind> kind = ParseBackendKind(value);
      if (!kind) return Invalid(flag, value, "is not native, gvisor or auto");
      spec.backend = *kind;
      return absl::OkStatus();
    }
    case Flag::kGvisorPlatform:
      if (value != "auto" && value != "kvm" && value != "systrap" && value != "ptrace") {
        return Invalid(flag, value, "is not auto, kvm, systrap or ptrace");
      }
      spec.gvisor_platform = value;
      p->gvisor_platform_set = true;
      return absl::OkStatus();
    case Flag::kRestart: {
      RestartPolicy& r = p->req.restart;
      absl::string_view v = value;
      r.max_restarts = 0;
      if (v == "no") {
        r.kind = RestartPolicy::Kind::kNo;
      } else if (v == "always") {
        r.kind = RestartPolicy::Kind::kAlways;
      } else if (absl::ConsumePrefix(&v, "on-failure") &&
                 (v.empty() ||
                  (absl::ConsumePrefix(&v, ":") && absl::SimpleAtoi(v, &r.max_restarts) &&
                   r.max_restarts >= 1 && r.max_restarts <= 1000000))) {
        r.kind = RestartPolicy::Kind::kOnFailure;
      } else {
        return Invalid(flag, value, "is not no, on-failure[:MAX] (MAX 1-1000000) or always");
      }
      return absl::OkStatus();
    }
    case Flag::kUidmap:
    case Flag::kGidmap: {
      ASSIGN_OR_RETURN(IdMapping m, ParseIdMapping(value, flag));
      (def.flag == Flag::kUidmap ? p->uid_maps : p->gid_maps).push_back(m);
      return absl::OkStatus();
    }
    case Flag::kLandlock: {
      ASSIGN_OR_RETURN(p->landlock_mode, ParseLandlockMode(value));
      return absl::OkStatus();
    }
    case Flag::kLandlockPolicy: {
      if (p->landlock_policy) {
        return Invalid(flag, value, "is a second policy file (give one)");
      }
      // Validated like any host path, read as given so messages show the name typed.
      RETURN_IF_ERROR(ValidateHostPath(value, flag).status());
      ASSIGN_OR_RETURN(p->landlock_policy, LoadLandlockPolicy(value));
      return absl::OkStatus();
    }
    case Flag::kAllowTcpConnect:
      return ParseTcpPorts(flag, value, &p->allow_tcp_connect);
    case Flag::kAllowTcpBind:
      return ParseTcpPorts(flag, value, &p->allow_tcp_bind);
    case Flag::kSeccomp:
      if (value == "unconfined") {
        p->seccomp_unconfined = true;
      } else if (value == "default") {
        p->seccomp_unconfined = false;
      } else {
        return Invalid(flag, value,
                       "is not 'unconfined' or 'default' (a profile: --seccomp-profile FILE)");
      }
      return absl::OkStatus();
    case Flag::kSeccompProfile:
      if (p->seccomp_profile) return Invalid(flag, value, "is a second profile (give one)");
      RETURN_IF_ERROR(ValidateHostPath(value, flag).status());
      p->seccomp_profile = value;  // read as given, so messages show the name typed
      return absl::OkStatus();
    case Flag::kMemory:
    case Flag::kMemoryReservation: {
      ASSIGN_OR_RETURN(uint64_t bytes, ParseSize(value, flag));
      (def.flag == Flag::kMemory ? spec.resources.memory : spec.resources.memory_reservation) =
          bytes;
      return absl::OkStatus();
    }
    case Flag::kMemorySwap: {
      if (value == "-1") {
        spec.resources.memory_swap = -1;
        return absl::OkStatus();
      }
      ASSIGN_OR_RETURN(uint64_t bytes, ParseSize(value, flag));
      spec.resources.memory_swap = static_cast<int64_t>(bytes);
      return absl::OkStatus();
    }
    case Flag::kCpus: {
      ASSIGN_OR_RETURN(spec.resources.cpu_quota_us, ParseCpus(value, spec.resources.cpu_period_us));
      return absl::OkStatus();
    }
    case Flag::kCpuShares: {
      ASSIGN_OR_RETURN(int64_t n, ParseInt(flag, value, 2, 262144));
      spec.resources.cpu_shares = static_cast<uint64_t>(n);
      return absl::OkStatus();
    }
    case Flag::kCpuWeight: {
      ASSIGN_OR_RETURN(int64_t n, ParseInt(flag, value, 1, 10000));
      spec.resources.cpu_weight = static_cast<uint64_t>(n);
      return absl::OkStatus();
    }
    case Flag::kCpusetCpus:
    case Flag::kCpusetMems:
      RETURN_IF_ERROR(ValidateCpuList(value, flag));
      (def.flag == Flag::kCpusetCpus ? spec.resources.cpuset_cpus : spec.resources.cpuset_mems) =
          value;
      return absl::OkStatus();
    case Flag::kPidsLimit: {
      // docker: 0 or -1 means unlimited.
      ASSIGN_OR_RETURN(int64_t n, ParseInt(flag, value, -1, 4194304));
      if (n > 0)
        spec.resources.pids_limit = n;
      else
        spec.resources.pids_limit.reset();
      p->pids_limit_given = true;
      return absl::OkStatus();
    }
    case Flag::kBlkioWeight: {
      ASSIGN_OR_RETURN(int64_t n, ParseInt(flag, value, 0, 1000));
      if (n != 0 && n < 10)
        return Invalid(flag, value, "is not a number from 10 to 1000 (0: unset)");
      if (n > 0)
        spec.resources.blkio_weight = static_cast<uint16_t>(n);
      else
        spec.resources.blkio_weight.reset();
      return absl::OkStatus();
    }
    case Flag::kCgroupParent: {
      ASSIGN_OR_RETURN(spec.cgroup_parent, ValidateCgroupParent(value, flag));
      return absl::OkStatus();
    }
    case Flag::kReadinessExec:
      if (value.find('\0') != std::string::npos) return Invalid(flag, value, "contains NUL");
      p->req.readiness.exec = value;
      return absl::OkStatus();
    case Flag::kReadinessTcp: {
      int port;
      if (!absl::SimpleAtoi(value, &port) || port < 1 || port > 65535) {
        return Invalid(flag, value, "is not a TCP port (1-65535)");
      }
      p->req.readiness.tcp_port = port;
      return absl::OkStatus();
    }
    case Flag::kReadinessInterval:
    case Flag::kReadinessTimeout: {
      absl::Duration d;
      if (!absl::ParseDuration(value, &d) || d <= absl::ZeroDuration() || d > absl::Hours(1)) {
        return Invalid(flag, value, "is not a duration between 0 and 1h (e.g. 500ms, 2s)");
      }
      (def.flag == Flag::kReadinessInterval ? p->req.readiness.interval
                                            : p->req.readiness.timeout) = d;
      return absl::OkStatus();
    }
    case Flag::kHealthCmd:
      if (value.find('\0') != std::string::npos) return Invalid(flag, value, "contains NUL");
      p->req.health.cmd = value;
      return absl::OkStatus();
    case Flag::kHealthInterval:
    case Flag::kHealthTimeout:
    case Flag::kHealthStartPeriod: {
      absl::Duration d;
      bool zero_ok = def.flag == Flag::kHealthStartPeriod;
      if (!absl::ParseDuration(value, &d) || d < absl::ZeroDuration() ||
          (!zero_ok && d == absl::ZeroDuration()) || d > absl::Hours(24)) {
        return Invalid(flag, value, "is not a duration up to 24h (e.g. 500ms, 30s)");
      }
      (def.flag == Flag::kHealthInterval  ? p->req.health.interval
       : def.flag == Flag::kHealthTimeout ? p->req.health.timeout
                                          : p->req.health.start_period) = d;
      return absl::OkStatus();
    }
    case Flag::kHealthRetries: {
      int n;
      if (!absl::SimpleAtoi(value, &n) || n < 1 || n > 1000) {
        return Invalid(flag, value, "is not a number of failures (1-1000)");
      }
      p->req.health.retries = n;
      return absl::OkStatus();
    }
    case Flag::kHealthOnFailure:
      if (value == "none") {
        p->req.health.on_failure = HealthCheck::OnFailure::kNone;
      } else if (value == "kill") {
        p->req.health.on_failure = HealthCheck::OnFailure::kKill;
      } else if (value == "restart") {
        p->req.health.on_failure = HealthCheck::OnFailure::kRestart;
      } else {
        return Invalid(flag, value, "is not kill, restart or none");
      }
      return absl::OkStatus();
    case Flag::kReadinessRetries: {
      int n;
      if (!absl::SimpleAtoi(value, &n) || n < 1 || n > 100000) {
        return Invalid(flag, value, "is not a number of attempts (1-100000)");
      }
      p->req.readiness.retries = n;
      return absl::OkStatus();
    }
    case Flag::kUserns:
      if (value.empty() || value == "private") {
        p->userns = Parsed::Userns::kPrivate;
      } else if (value == "host") {
        p->userns = Parsed::Userns::kHost;
      } else if (value == "keep-id") {
        p->userns = Parsed::Userns::kKeepId;
      } else {
        return Invalid(flag, value, "is not private, host or keep-id");
      }
      return absl::OkStatus();
    case Flag::kSeccompLog:
    case Flag::kHostRoot:
    case Flag::kTmpExec:
    case Flag::kAllowSensitiveBind:
    case Flag::kTimens:
    case Flag::kHelp:
    case Flag::kDetach:
    case Flag::kTty:
    case Flag::kInteractive:
    case Flag::kRm:
    case Flag::kReadinessSdNotify:
      return absl::OkStatus();  // boolean flags: ApplyBool
  }
  return absl::InternalError(absl::StrCat("run: unhandled flag ", flag));
}

void ApplyBool(const FlagDef& def, bool on, Parsed* p) {
  switch (def.flag) {
    case Flag::kReadOnly:
      p->read_only = on;
      break;
    case Flag::kHostRoot:
      p->req.spec.host_root = on;
      break;
    case Flag::kTmpExec:
      p->req.spec.tmp_exec = on;
      break;
    case Flag::kAllowSensitiveBind:
      p->allow_sensitive_bind = on;
      break;
    case Flag::kNoInit:
      p->req.spec.init = !on;
      break;
    case Flag::kUserns:
      break;  // takes an optional value: Apply
    case Flag::kTimens:
      p->req.spec.namespaces.time = on;
      break;
    case Flag::kSeccompLog:
      p->seccomp_log = on;
      break;
    case Flag::kHelp:
      p->req.help = on;
      break;
    case Flag::kDetach:
      p->req.detach = on;
      break;
    case Flag::kTty:
      p->req.spec.process.terminal = on;
      break;
    case Flag::kInteractive:
      p->req.interactive = on;
      break;
    case Flag::kRm:
      p->req.remove = on;
      break;
    case Flag::kReadinessSdNotify:
      p->req.readiness.sd_notify = on;
      break;
    default:
      break;
  }
}

const FlagDef* FindFlag(absl::string_view name) {
  for (const FlagDef& def : kFlags) {
    if (name == def.name || (def.short_name != nullptr && name == def.short_name)) return &def;
  }
  return nullptr;
}

// ---- the command line ----

// Walks the arguments: flags until "--" or the first non-flag, then the command.
absl::Status ParseArgs(const std::vector<std::string>& args, Parsed* p) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      p->command.assign(args.begin() + i + 1, args.end());
      return absl::OkStatus();
    }
    if (arg.size() < 2 || arg[0] != '-') {
      p->command.assign(args.begin() + i, args.end());
      return absl::OkStatus();
    }
    // "--flag=value", "--flag value", "-e value", "-eVALUE", "-e=VALUE".
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (arg[1] == '-') {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        inline_value = arg.substr(eq + 1);
      }
    } else if (arg.size() > 2) {
      name = arg.substr(0, 2);
      inline_value = arg.substr(arg[2] == '=' ? 3 : 2);
    }
    const FlagDef* def = FindFlag(name);
    if (def == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("run: unknown flag ", Quote(name)));
    }
    if (!def->takes_value && arg[1] != '-' && inline_value) {  // "-hx": no combined shorts
      return absl::InvalidArgumentError(absl::StrCat("run: unknown flag ", Quote(arg)));
    }
    if (def->optional_value) {
      if (inline_value && inline_value->empty()) {
        return absl::InvalidArgumentError(absl::StrCat(def->name, "=: needs a value"));
      }
      RETURN_IF_ERROR(Apply(*def, inline_value.value_or(""), p));
      continue;
    }
    if (!def->takes_value) {
      bool on = true;
      if (inline_value) {
        ASSIGN_OR_RETURN(on, ParseBool(def->name, *inline_value));
      }
      ApplyBool(*def, on, p);
      if (p->req.help) return absl::OkStatus();  // --help wins over whatever follows
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size() && args[i + 1] != "--") {
      value = args[++i];
    }
    if (value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(def->name, ": needs a value"));
    }
    RETURN_IF_ERROR(Apply(*def, value, p));
  }
  return absl::OkStatus();
}

// ---- assembling the spec ----

// connect(2) needs write permission on the socket's inode (no capability overrides it in
// the container): say so when the workload's host ids will not have it.
void WarnUnreachableSockets(Parsed* p) {
  const ContainerSpec& spec = p->req.spec;
  for (const MountSpec& m : spec.mounts) {
    if (m.type != MountSpec::Type::kBind ||
        std::find(spec.landlock.unix_sockets.begin(), spec.landlock.unix_sockets.end(),
                  m.destination) == spec.landlock.unix_sockets.end()) {
      continue;
    }
    struct stat st;
    if (::stat(m.source.c_str(), &st) != 0) continue;
    const uint32_t uid = HostUidOf(spec, spec.process.uid).value_or(65534);
    bool in_group = HostGidOf(spec, spec.process.gid).value_or(65534) == st.st_gid;
    for (gid_t g : spec.process.additional_gids) {
      in_group = in_group || HostGidOf(spec, g).value_or(65534) == st.st_gid;
    }
    const mode_t need = uid == st.st_uid ? S_IWUSR : in_group ? S_IWGRP : S_IWOTH;
    if (st.st_mode & need) continue;
    char mode[8];
    snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    p->req.warnings.push_back(
        absl::StrCat("--socket ", m.source, ": owned by ", st.st_uid, ":", st.st_gid, ", mode ",
                     mode, ": the container's user (host uid ", uid, ") may not connect to it (",
                     spec.namespaces.user ? "--userns=host or --userns=keep-id, or " : "",
                     "a socket it may write)"));
  }
}

absl::Status ResolveIdentity(Parsed* p) {
  ProcessSpec& proc = p->req.spec.process;
  std::string home;
  if (p->user || !p->group_adds.empty()) {
    const std::string root = p->req.spec.rootfs.empty() ? "/" : p->req.spec.rootfs;
    auto db = UserDb::Load(root);
    if (!db.ok()) {
      // Numeric ids need no database; a missing or odd rootfs is the backend's to report.
      bool numeric = !p->user || IsNumericUserSpec(*p->user);
      for (const std::string& g : p->group_adds) numeric = numeric && IsNumericId(g);
      if (!numeric) return Annotate(db.status(), p->user ? "--user" : "--group-add");
      db = UserDb();
    }
    if (p->user) {
      ASSIGN_OR_RETURN(UserIdentity who, ResolveUser(*p->user, *db, "--user"));
      proc.uid = who.uid;
      proc.gid = who.gid;
      home = who.home;
    }
    for (const std::string& g : p->group_adds) {
      ASSIGN_OR_RETURN(gid_t gid, ResolveGroup(g, *db, "--group-add"));
      if (std::find(proc.additional_gids.begin(), proc.additional_gids.end(), gid) ==
          proc.additional_gids.end()) {
        proc.additional_gids.push_back(gid);
      }
    }
  }
  proc.env = p->env.Build(proc.uid, home);
  return absl::OkStatus();
}

std::string MapsText(const std::vector<IdMapping>& maps) {
  return absl::StrJoin(maps, " ", [](std::string* out, const IdMapping& m) {
    absl::StrAppend(out, m.container_id, ":", m.host_id, ":", m.size);
  });
}

absl::Status CheckMapped(const std::vector<IdMapping>& maps, uint32_t id, absl::string_view flag,
                         absl::string_view what) {
  if (IsIdMapped(maps, id)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": ", what, " ", id,
                   " is not mapped in the user namespace (maps: ", MapsText(maps), ")"));
}

// --userns=keep-id as root: container uid `keep` is host uid `keep` (so the files it writes
// in binds are the named user's own), every other container id 0-65535 is in the private
// range as without keep-id, and host id 100000+keep is left unused.
std::vector<IdMapping> KeepIdMaps(uint32_t keep) {
  const IdMapping& range = kDefaultRootUsernsMap;
  std::vector<IdMapping> maps;
  if (keep > 0) maps.push_back({0, range.host_id, std::min(keep, range.size)});
  maps.push_back({keep, keep, 1});
  if (keep + 1 < range.size) {
    maps.push_back({keep + 1, range.host_id + keep + 1, range.size - keep - 1});
  }
  return maps;
}

// Before ResolveIdentity: a rootless --userns=keep-id runs as your own ids unless --user
// names others (which must then be mapped: only your own are).
absl::Status PrepareKeepId(const HostDefaults& host, Parsed* p) {
  if (p->userns != Parsed::Userns::kKeepId) return absl::OkStatus();
  if (!p->uid_maps.empty() || !p->gid_maps.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(p->uid_maps.empty() ? "--gidmap" : "--uidmap",
                                                   " and --userns=keep-id: give one"));
  }
  if (host.euid == 0 && !p->user) {
    return absl::InvalidArgumentError(
        "--userns=keep-id: as root, name whose ids to keep with --user UID[:GID] (keeping "
        "uid 0 would be the host's root: that is --userns=host)");
  }
  if (!p->user) p->user = absl::StrCat(host.euid, ":", host.egid);
  return absl::OkStatus();
}

absl::Status ResolveUserNamespace(const HostDefaults& host, Parsed* p) {
  ContainerSpec& spec = p->req.spec;
  const bool explicit_maps = !p->uid_maps.empty() || !p->gid_maps.empty();
  const ProcessSpec& proc = spec.process;
  using Userns = Parsed::Userns;
  if (p->userns == Userns::kHost && explicit_maps) {
    return absl::InvalidArgumentError(absl::StrCat(p->uid_maps.empty() ? "--gidmap" : "--uidmap",
                                                   " and --userns=host: give one"));
  }
  if (host.euid != 0) {
    // Rootless: the kernel lets an unprivileged user map only its own ids, one each.
    if (explicit_maps) {
      return absl::InvalidArgumentError(
          absl::StrCat(p->uid_maps.empty() ? "--gidmap" : "--uidmap",
                       ": needs root (a rootless run maps only your own uid and gid to 0)"));
    }
    if (p->userns == Userns::kHost) {
      return absl::InvalidArgumentError(
          "--userns=host: needs root (a rootless container always has a user namespace)");
    }
    const uint32_t inside_uid = p->userns == Userns::kKeepId ? host.euid : 0;
    const uint32_t inside_gid = p->userns == Userns::kKeepId ? host.egid : 0;
    spec.namespaces.user = true;
    spec.uid_mappings = {{inside_uid, static_cast<uint32_t>(host.euid), 1}};
    spec.gid_mappings = {{inside_gid, static_cast<uint32_t>(host.egid), 1}};
  } else if (p->userns == Userns::kHost || (p->userns == Userns::kDefault && !explicit_maps &&
                                            spec.backend == ContainerSpec::BackendKind::kGvisor)) {
    // gVisor: its kernel holds the workload's ids, runsc runs the sandbox as an unprivileged
    // host user and takes no user namespace from the bundle (DropDefaultUserNamespaceForGvisor).
    spec.namespaces.user = false;
  } else if (p->userns == Userns::kDefault && !explicit_maps && !host.user_namespaces) {
    spec.namespaces.user = false;
    p->req.warnings.push_back(absl::StrCat(
        "user namespaces unavailable (", host.user_namespaces_detail,
        "): the container's root is the host's root (without capabilities); --userns=host "
        "says so without this warning, --userns refuses to run"));
  } else {
    spec.namespaces.user = true;
    if (p->userns == Userns::kKeepId) {
      if (proc.uid == 0 || proc.gid == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--userns=keep-id: --user ", proc.uid, ":", proc.gid, " would keep the host's root ",
            proc.uid == 0 ? "user" : "group", " (that is --userns=host)"));
      }
      spec.uid_mappings = KeepIdMaps(proc.uid);
      spec.gid_mappings = KeepIdMaps(proc.gid);
    } else if (!explicit_maps) {
      spec.uid_mappings = spec.gid_mappings = {kDefaultRootUsernsMap};
      p->req.default_user_namespace = p->userns == Userns::kDefault;
    } else {
      spec.uid_mappings = p->uid_maps.empty() ? p->gid_maps : p->uid_maps;
      spec.gid_mappings = p->gid_maps.empty() ? p->uid_maps : p->gid_maps;
    }
    RETURN_IF_ERROR(ValidateIdMappings(spec.uid_mappings, "--uidmap"));
    RETURN_IF_ERROR(ValidateIdMappings(spec.gid_mappings, "--gidmap"));
  }
  if (!spec.namespaces.user) return absl::OkStatus();
  spec.idmap_rootfs = host.euid == 0 && !spec.rootfs.empty();
  RETURN_IF_ERROR(CheckMapped(spec.uid_mappings, proc.uid, "--user", "uid"));
  RETURN_IF_ERROR(CheckMapped(spec.gid_mappings, proc.gid, "--user", "gid"));
  for (gid_t g : proc.additional_gids) {
    RETURN_IF_ERROR(CheckMapped(spec.gid_mappings, g, "--group-add", "gid"));
  }
  return absl::OkStatus();
}

// The policy file (if any) is the base; --landlock sets the mode whatever the order; the
// --allow-tcp-* ports are added to the policy's and turn that restriction on.
void ResolveLandlock(Parsed* p) {
  LandlockSpec& ll = p->req.spec.landlock;
  if (p->landlock_policy) {
    std::vector<std::string> sockets = std::move(ll.unix_sockets);  // --socket's
    ll = *p->landlock_policy;
    ll.unix_sockets.insert(ll.unix_sockets.end(), sockets.begin(), sockets.end());
  }
  ll.mode = p->landlock_mode;
  auto merge = [](const std::optional<std::set<uint16_t>>& flag, bool* restrict,
                  std::vector<uint16_t>* ports) {
    if (!flag) return;
    *restrict = true;
    std::set<uint16_t> all(ports->begin(), ports->end());
    all.insert(flag->begin(), flag->end());
    ports->assign(all.begin(), all.end());
  };
  merge(p->allow_tcp_connect, &ll.restrict_tcp_connect, &ll.tcp_connect);
  merge(p->allow_tcp_bind, &ll.restrict_tcp_bind, &ll.tcp_bind);
  if (ll.mode == LandlockSpec::Mode::kOff) {
    p->req.warnings.push_back(
        "landlock: disabled (--landlock=off): only the mounts limit what the container can write");
  }
  if (ll.mode == LandlockSpec::Mode::kOff &&
      (p->landlock_policy || p->allow_tcp_connect || p->allow_tcp_bind)) {
    p->req.warnings.push_back("--landlock=off: --landlock-policy and --allow-tcp-* have no effect");
  }
}

// Docker's rule with an empty base set: --cap-add ALL starts from every capability, otherwise
// from the added ones; then every named --cap-drop is removed (unlike docker, a capability
// both added and dropped ends up dropped: the safer reading of a contradiction).
std::vector<int> ResolveCapabilities(const Parsed& p) {
  std::vector<int> caps;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    bool added = p.cap_add_all || p.cap_add.count(cap) > 0;
    if (added && p.cap_drop.count(cap) == 0) caps.push_back(cap);
  }
  return caps;
}

// After the capabilities are known: the default profile and docker-style profiles open
// calls by kept capability. Unconfined only when asked, and then said on stderr.
absl::Status ResolveSeccomp(Parsed* p) {
  ContainerSpec& spec = p->req.spec;
  if (p->seccomp_unconfined) {
    if (p->seccomp_profile) {
      return absl::InvalidArgumentError("--seccomp=unconfined: conflicts with --seccomp-profile");
    }
    if (p->seccomp_log) {
      return absl::InvalidArgumentError("--seccomp-log: nothing to log with --seccomp=unconfined");
    }
    spec.seccomp.reset();
    p->req.warnings.push_back("seccomp disabled (--seccomp=unconfined)");
    return absl::OkStatus();
  }
  if (p->seccomp_profile) {
    absl::StatusOr<ParsedSeccompProfile> parsed = LoadSeccompProfile(
        *p->seccomp_profile, SeccompProfileContext::ForHost(spec.process.capabilities));
    if (!parsed.ok()) {
      // "--seccomp-profile /x.json: syscalls[3].action: 'SCMP_ACT_FOO' is not ..."
      return absl::Status(parsed.status().code(),
                          absl::StrCat("--seccomp-profile ", parsed.status().message()));
    }
    for (const std::string& w : parsed->warnings) {
      p->req.warnings.push_back(absl::StrCat("--seccomp-profile ", w));
    }
    spec.seccomp = std::move(parsed->spec);
  } else {
    spec.seccomp = DefaultSeccompProfile(spec.process.capabilities);
  }
  spec.seccomp->log_only = p->seccomp_log;
  if (p->seccomp_log) {
    p->req.warnings.push_back(
        "seccomp in log-only mode (--seccomp-log): denied system calls are logged and allowed");
  }
  return absl::OkStatus();
}

// Cross-flag rules (spec/resources.h, shared with OCI configs and `update`). Rootless runs
// get no cgroup (nucleus cannot create one).
absl::Status ResolveResources(const HostDefaults& host, Parsed* p) {
  ContainerSpec& spec = p->req.spec;
  const ResourcesSpec& r = spec.resources;
  RETURN_IF_ERROR(ValidateResources(r));
  if (host.euid != 0) {
    if (r.HasLimits()) {
      return absl::InvalidArgumentError(
          "resource limits (--memory, --cpus, --pids-limit, ...) need nucleus to run as root "
          "(rootless cgroups are not supported)");
    }
    spec.cgroup_parent.clear();
  }
  // Safe defaults: a fork bomb stops at kDefaultPidsLimit; descriptors at 1024:4096.
  if (host.euid == 0 && !p->pids_limit_given && !spec.cgroup_parent.empty()) {
    if (host.pids_controller) {
      spec.resources.pids_limit = kDefaultPidsLimit;
    } else {
      p->req.warnings.push_back(
          absl::StrCat("no cgroup pids controller on this host: no default --pids-limit (",
                       kDefaultPidsLimit, ")"));
    }
  }
  bool nofile_given = false;
  for (const Rlimit& r : spec.process.rlimits) nofile_given |= r.resource == RLIMIT_NOFILE;
  if (!nofile_given) {
    Rlimit nofile;
    nofile.resource = RLIMIT_NOFILE;
    nofile.name = "nofile";
    // Never above what this process has: raising a hard limit needs privilege.
    struct rlimit now = {RLIM_INFINITY, RLIM_INFINITY};
    (void)getrlimit(RLIMIT_NOFILE, &now);
    nofile.hard = std::min<uint64_t>(kDefaultNofileHard, now.rlim_max);
    nofile.soft = std::min<uint64_t>(kDefaultNofileSoft, nofile.hard);
    spec.process.rlimits.push_back(nofile);
  }
  return absl::OkStatus();
}

}  // namespace

HostDefaults CurrentHostDefaults() {
  HostDefaults host;
  host.euid = geteuid();
  host.egid = getegid();
  absl::StatusOr<CgroupHierarchies> h = DetectCgroupHierarchies();
  host.pids_controller = h.ok() && (h->V1Mount("pids") != nullptr || h->OnV2("pids"));
  if (::access("/proc/self/ns/user", F_OK) != 0) {
    host.user_namespaces = false;
    host.user_namespaces_detail = "no /proc/self/ns/user: a kernel without CONFIG_USER_NS";
  } else if (absl::StatusOr<std::string> max =
                 ReadFileToString("/proc/sys/user/max_user_namespaces");
             max.ok() && absl::StripAsciiWhitespace(*max) == "0") {
    host.user_namespaces = false;
    host.user_namespaces_detail = "user.max_user_namespaces=0";
  }
  return host;
}

absl::StatusOr<RunRequest> ParseRunArgs(const std::vector<std::string>& args,
                                        const HostDefaults& host) {
  Parsed p;
  RETURN_IF_ERROR(ParseArgs(args, &p));
  if (p.req.help) return std::move(p.req);
  if (p.command.empty()) return absl::InvalidArgumentError(kMissingCommand);
  if (p.command[0].empty()) return absl::InvalidArgumentError("run: the command is empty");

  ContainerSpec& spec = p.req.spec;
  spec.process.args = p.command;
  spec.process.no_new_privileges = true;
  if (spec.id.empty()) {
    ASSIGN_OR_RETURN(std::string hex, GenerateContainerId(12));
    spec.id = absl::StrCat("nucleus-", hex);
  }
  if (!p.req.health.cmd.empty() && !p.req.detach) {
    return absl::InvalidArgumentError(
        "--health-cmd: health checks need -d (the detached container's monitor runs them)");
  }
  if ((!p.req.readiness.exec.empty()) + (p.req.readiness.tcp_port != 0) +
          p.req.readiness.sd_notify >
      1) {
    return absl::InvalidArgumentError(
        "--readiness-exec, --readiness-tcp and --readiness-sd-notify: give one probe");
  }
  if (p.req.restart.kind != RestartPolicy::Kind::kNo && !p.req.detach) {
    return absl::InvalidArgumentError(
        "--restart: restart policies need -d (the detached container's monitor restarts it)");
  }
  if (p.req.restart.kind != RestartPolicy::Kind::kNo && p.req.remove) {
    return absl::InvalidArgumentError(
        "--restart and --rm: a container that is removed when it "
        "exits cannot be restarted; give one");
  }
  if (p.req.health.on_failure == HealthCheck::OnFailure::kRestart && p.req.remove) {
    return absl::InvalidArgumentError("--health-on-failure restart and --rm: give one");
  }
  const bool maybe_gvisor = spec.backend != ContainerSpec::BackendKind::kNative;
  if (p.gvisor_platform_set && !maybe_gvisor) {
    return absl::InvalidArgumentError("--gvisor-platform: needs --backend gvisor (or auto)");
  }
  if (spec.gvisor_network != "none" && spec.backend != ContainerSpec::BackendKind::kGvisor) {
    return Invalid("--network", spec.gvisor_network,
                   "needs --backend gvisor (the native backend has loopback only so far)");
  }
  if (p.req.readiness.sd_notify && spec.backend == ContainerSpec::BackendKind::kGvisor) {
    return absl::InvalidArgumentError(
        "--readiness-sd-notify: the sd_notify relay's socket cannot be passed into a gVisor "
        "sandbox; use --readiness-exec");
  }
  if (p.req.readiness.tcp_port != 0 && spec.backend == ContainerSpec::BackendKind::kGvisor &&
      spec.gvisor_network != "host") {
    return absl::InvalidArgumentError(
        "--readiness-tcp: under --backend gvisor the container's loopback is inside gVisor's "
        "network stack, out of the host's reach; use --readiness-exec (or --network host)");
  }
  if (spec.host_root && !spec.rootfs.empty()) {
    return absl::InvalidArgumentError("--host-root and --rootfs: give one");
  }
  RETURN_IF_ERROR(ResolveContext(&p));
  if (!p.allow_sensitive_bind) RETURN_IF_ERROR(CheckBindSources(spec.mounts));
  // Named on purpose, one socket each: no sensitive-path check (/run/x.sock, /dev/log).
  for (MountSpec& m : p.sockets) {
    if (spec.backend == ContainerSpec::BackendKind::kGvisor) {
      return Invalid("--socket", m.source, kSocketUnderGvisor);
    }
    spec.landlock.unix_sockets.push_back(m.destination);
    RETURN_IF_ERROR(AddMount(std::move(m), "--socket", &spec));
  }
  for (const SecretSpec& secret : spec.secrets) {
    for (const MountSpec& m : spec.mounts) {
      if (m.destination == secret.destination) {
        return Invalid("--secret", secret.source,
                       absl::StrCat("goes to ", secret.destination, ", a mount destination"));
      }
    }
  }
  spec.readonly_rootfs = p.read_only || spec.rootfs.empty();
  spec.masked_paths = DefaultMaskedPaths();
  spec.readonly_paths = DefaultReadonlyPaths();
  spec.process.capabilities = ResolveCapabilities(p);
  RETURN_IF_ERROR(PrepareKeepId(host, &p));
  RETURN_IF_ERROR(ResolveIdentity(&p));
  p.req.warnings = p.env.warnings();
  RETURN_IF_ERROR(ResolveUserNamespace(host, &p));
  WarnUnreachableSockets(&p);
  if (spec.host_root) {
    p.req.warnings.push_back(
        "--host-root: the container sees the host's whole / (read-only): its files, /home, "
        "/root and the unix sockets under /run");
  }
  RETURN_IF_ERROR(ResolveSeccomp(&p));
  ResolveLandlock(&p);
  RETURN_IF_ERROR(ResolveResources(host, &p));
  return std::move(p.req);
}

void DropDefaultUserNamespaceForGvisor(RunRequest* req) {
  if (!req->default_user_namespace || req->spec.backend != ContainerSpec::BackendKind::kGvisor) {
    return;
  }
  req->default_user_namespace = false;
  req->spec.namespaces.user = false;
  req->spec.uid_mappings.clear();
  req->spec.gid_mappings.clear();
}

const char* RunUsage() {
  return R"(Usage: nucleus run [FLAGS] [--] CMD [ARGS...]

Runs CMD in a new container and exits with its exit status (128+N when killed by signal N,
125 when nucleus itself fails). "--" is needed before CMD only when CMD starts with '-'.
Defaults: a read-only root of the host's programs (/usr, /bin, /lib...) with a generated
/etc and nothing of the host's /home, /root, /run or /var; private noexec /tmp, fresh /proc,
minimal /dev, loopback-only network, all capabilities dropped, no_new_privs, and a user
namespace: as root the container's ids 0-65535 are host ids 100000-165535 (--userns=host
keeps the host's), a non-root caller's own uid and gid are 0. Flags take "--flag VALUE"
or "--flag=VALUE".

Filesystem:
      --rootfs DIR                       root filesystem (default: the host's programs and
                                         a generated /etc, read-only)
      --host-root                        the host's whole / as the root, read-only (shows
                                         the host's files and sockets: a warning says so)
      --read-only                        mount the --rootfs read-only
      --tmp-exec                         allow executing files from /tmp, /run, /var/tmp
      --allow-sensitive-bind             allow --ro/--rw of /, /etc, /root, /run, /proc, ...
      --ro SRC[:DST]                     bind-mount host path SRC read-only at DST
                                         (DST defaults to SRC; repeatable, applied in order)
      --rw SRC[:DST]                     bind-mount host path SRC read-write at DST (repeatable)
      --tmpfs DST[:size=N[,mode=OCTAL]]  mount an empty tmpfs at DST (size like 64m, 1.5g;
                                         mode default 1777; repeatable)
      --socket SRC[:DEST]                the host's unix socket SRC at DEST (default SRC): the
                                         one kind of host socket the container may connect
                                         to (Landlock ABI 9; its mode still applies; native
                                         backend only; repeatable)
      --secret SRC[:DEST]                a host file as a read-only file at DEST (default
                                         /run/secrets/NAME), mode 0400, owned by the
                                         workload, in memory only (noexec; at most 1 MiB;
                                         never in inspect; repeatable); SRC cred:NAME is
                                         systemd's $CREDENTIALS_DIRECTORY/NAME
      --context DIR                      the agent workspace: a writable copy of DIR at
                                         /workspace (the start directory), without .git,
                                         .env*, .ssh, .aws, .gnupg, *.pem, *.key,
                                         node_modules; symlinks never followed; noexec
      --context-mode copy|bind           bind: DIR itself, read-write, excluded entries
                                         masked (native backend only)
      --context-exclude PATTERN          also leave out PATTERN (a glob on names, or on
                                         paths when it has a '/'; repeatable)
      --context-include PATTERN          keep what PATTERN matches though excluded
      --context-limit LIMITS             depth=N,files=N,size=SIZE: refuse a bigger context
                                         (defaults 32, 100000, 1g)
      --context-manifest FILE            write the sha256 of every copied file to FILE
      --verify-context FILE              refuse to start unless the files match FILE
  -w, --workdir DIR                      working directory in the container (default: /)

Process:
  -e, --env KEY=VALUE                    set a variable; a bare KEY copies nucleus's own value
                                         (repeatable; LD_PRELOAD and other loader variables
                                         are refused with a warning)
      --env-file FILE                    read KEY=VALUE lines, '#' comments (repeatable)
      --user UID[:GID] | NAME[:GROUP]    run as this user (names from the root's etc/passwd
                                         and etc/group; default group: the user's, or 0)
      --group-add GID | NAME             add a supplementary group (repeatable)
      --cap-add CAP                      keep a capability: NET_ADMIN, CAP_CHOWN, ALL
                                         (repeatable; the default keeps none)
      --cap-drop CAP                     remove a capability again, e.g. after --cap-add ALL
                                         (repeatable; wins over --cap-add of the same name)
      --ulimit NAME=SOFT[:HARD]          set an rlimit: as, core, cpu, data, fsize, locks,
                                         memlock, msgqueue, nice, nofile, nproc, rss, rtprio,
                                         rttime, sigpending, stack; -1 or unlimited (repeatable)
      --no-init                          run CMD as PID 1, without nucleus's init

Lifecycle:
  -d, --detach                           run in the background: print the id and return once
                                         the command runs; its stdout and stderr go to a log
                                         (`nucleus logs ID`); see `nucleus ps`, `stop`, `rm`
      --rm                               with -d: remove the container's entry when it exits
  -t, --tty                              give the command a pseudo-terminal
  -i, --interactive                      keep stdin attached (accepted: it always is in the
                                         foreground; a detached container reads /dev/null)
      --readiness-exec CMD               ready once `/bin/sh -c CMD`, run inside the
                                         container (its namespaces, user, confinement),
                                         exits 0; -d returns then; in the foreground nucleus
                                         tells systemd READY=1 ($NOTIFY_SOCKET)
      --readiness-tcp PORT               ready once a TCP connect to PORT on the
                                         container's loopback succeeds
      --readiness-interval DUR           between attempts (default 500ms)
      --readiness-timeout DUR            per attempt (default 5s)
      --readiness-retries N              attempts before giving up (default 60); then the
                                         container is killed and run -d exits 125
      --health-cmd CMD                   with -d: `/bin/sh -c CMD` inside the container every
                                         --health-interval (30s); exit 0 = healthy
      --health-timeout DUR               per check (30s)
      --health-retries N                 failures in a row that make it unhealthy (3)
      --health-start-period DUR          failures meanwhile do not count (0s)
      --health-on-failure ACTION         kill, restart or none (default): what an unhealthy
                                         container gets; restart: killed and started again
                                         (with --restart's backoff, whatever its policy)
      --readiness-sd-notify              ready when the workload sends READY=1 to its
                                         $NOTIFY_SOCKET (nucleus's relay; README "systemd")
      --restart POLICY                   with -d: no (default), on-failure[:MAX] (a status
                                         other than 0; at most MAX times) or always: start
                                         the container again when it exits, after 100ms,
                                         doubling up to 1m; `stop` ends it for good; the
                                         count shows in `inspect` (restartCount)

Isolation:
      --name NAME                        container name, [a-zA-Z0-9][a-zA-Z0-9_.-]* up to 128
                                         (default: nucleus-<12 hex digits>)
      --hostname NAME                    hostname, 1-64 of A-Z a-z 0-9 . - (default: the name)
      --network none|sandbox|host        none: loopback only (default); sandbox, host:
                                         --backend gvisor only (gVisor's netstack on the
                                         container's network namespace; the host's network)

Backend:
      --backend native|gvisor|auto       native (default): namespaces, seccomp, Landlock;
                                         gvisor: the container runs under gVisor's runsc
                                         (README "gVisor backend"); auto: gvisor when a
                                         usable runsc is installed, else native (warned)
      --gvisor-platform NAME             runsc's platform: auto (kvm when /dev/kvm is
                                         usable, else systrap when runsc has it, else
                                         ptrace), kvm, systrap or ptrace
      --userns[=MODE]                    the user namespace. private (the default; bare
                                         --userns): as root, container ids 0-65535 are host
                                         ids 100000-165535, rootless, your uid and gid are 0.
                                         host (root only): no user namespace, the
                                         container's root is the host's root (without
                                         capabilities). keep-id: the --user ids (rootless:
                                         your own) stay the same on the host, so files
                                         written in --rw binds are that user's
      --uidmap CONTAINER:HOST:SIZE       map a uid range (repeatable; implies --userns; root
                                         only; without --gidmap, gids are mapped the same)
      --gidmap CONTAINER:HOST:SIZE       map a gid range (repeatable; implies --userns)
      --timens                           new time namespace

Seccomp:
      --seccomp-profile FILE             OCI / Docker JSON seccomp profile instead of the
                                         default (docker's includes/excludes honoured)
      --seccomp unconfined|default       unconfined: no seccomp filter at all (warned)
      --seccomp-log                      log what the profile would deny, deny nothing
                                         (SCMP_ACT_LOG; see the kernel log / audit)

Landlock (native backend; see README "Landlock"):
      --landlock strict|best-effort|off  best-effort (default): enforce what this kernel's
                                         Landlock ABI can, warn about the rest; strict: fail
                                         (exit 125) if anything asked cannot be enforced;
                                         off: no Landlock (warned)
      --landlock-policy FILE             JSON policy: "paths" (replace the default rules:
                                         read+execute everywhere, write to /tmp, --rw,
                                         --tmpfs, devices), "tcp_connect", "tcp_bind", "scope"
      --allow-tcp-connect PORT[,PORT]    restrict TCP connect to these ports (repeatable;
                                         Landlock ABI 4)
      --allow-tcp-bind PORT[,PORT]       restrict TCP bind to these ports (repeatable)

Resources (cgroups; root only):
  -m, --memory SIZE                      memory limit (e.g. 512m, 1g; at least 6m); the
                                         OOM killer's kill exits 137 with "killed: out of
                                         memory"
      --memory-swap SIZE                 memory plus swap (>= --memory; -1: unlimited swap;
                                         default: twice --memory)
      --memory-reservation SIZE          soft limit (v1 soft_limit_in_bytes, v2 memory.low)
      --cpus N                           CPU quota, e.g. 0.5 or 2 (per 100 ms period)
  -c, --cpu-shares N                     relative CPU weight, 2-262144 (v1 scale, default 1024)
      --cpu-weight N                     relative CPU weight, 1-10000 (v2 scale, default 100)
      --cpuset-cpus LIST                 CPUs allowed, e.g. 0-3,5
      --cpuset-mems LIST                 memory nodes allowed, e.g. 0
      --pids-limit N                     most processes/threads at once (0 or -1: unlimited)
      --blkio-weight N                   relative I/O weight, 10-1000 (io.weight on v2)
      --cgroup-parent PATH               parent cgroup in every hierarchy (default: nucleus);
                                         the container's group is PATH/NAME
  -h, --help                             print this help
)";
}

}  // namespace nucleus
