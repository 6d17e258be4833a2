#include "runtime/spec/oci_config.h"

#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/limits.h"
#include "runtime/identity.h"
#include "runtime/landlock/access.h"
#include "runtime/landlock/policy.h"
#include "runtime/paths.h"
#include "runtime/quote.h"
#include "runtime/seccomp/profile.h"
#include "runtime/spec/resources.h"
#include "runtime/units.h"
#include "runtime/util/json_input.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

using Json = nlohmann::json;           // parsing: objects sorted by key (annotations, sysctl)
using OJson = nlohmann::ordered_json;  // writing: config.json's usual field order

constexpr char kPrefix[] = "config.json: ";
constexpr char kAnnPrefix[] = "run.nucleus.";
constexpr char kAnnInit[] = "run.nucleus.init";
constexpr char kAnnLandlock[] = "run.nucleus.landlock";
constexpr char kAnnPolicy[] = "run.nucleus.landlock.policy";
constexpr char kAnnBackend[] = "run.nucleus.backend";
constexpr char kAnnGvisorPlatform[] = "run.nucleus.gvisor.platform";
constexpr char kAnnGvisorNetwork[] = "run.nucleus.gvisor.network";
constexpr int64_t kMaxPids = 4194304;  // PID_MAX_LIMIT: pids.max refuses more
constexpr uint64_t kDefaultCpuPeriod = 100000;
constexpr uint64_t kMaxInt64 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// ---- errors and JSON access ----

absl::Status Bad(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(kPrefix, path, ": ", what));
}

// "config.json: PATH": the `what` handed to validators that format "WHAT: 'value' why".
std::string Label(absl::string_view path) { return absl::StrCat(kPrefix, path); }

absl::Status WrongType(absl::string_view path, const Json& v, absl::string_view want) {
  return Bad(path, absl::StrCat("expected ", want, ", got ", ShowJsonValue(v)));
}

std::string At(absl::string_view path, const char* key) { return absl::StrCat(path, ".", key); }
std::string At(absl::string_view path, size_t i) { return absl::StrCat(path, "[", i, "]"); }
std::string AtKey(absl::string_view path, absl::string_view key) {
  return absl::StrCat(path, "[", Quote(key, 64), "]");
}

// The member, or nullptr when it is absent or null (Go's writers emit both).
const Json* Field(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status CheckObject(const Json& v, absl::string_view path) {
  if (!v.is_object()) return WrongType(path, v, "an object");
  return absl::OkStatus();
}

absl::Status CheckArray(const Json& v, absl::string_view path) {
  if (!v.is_array()) return WrongType(path, v, "an array");
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(const Json& v, absl::string_view path) {
  if (!v.is_string()) return WrongType(path, v, "a string");
  return v.get<std::string>();
}

// A string without NUL bytes (argv, environment, options: C strings further down).
absl::StatusOr<std::string> GetText(const Json& v, absl::string_view path) {
  ASSIGN_OR_RETURN(std::string s, GetString(v, path));
  if (s.find('\0') != std::string::npos) {
    return Bad(path, absl::StrCat(Quote(s, 64), " contains a NUL byte"));
  }
  return s;
}

absl::StatusOr<bool> GetBool(const Json& v, absl::string_view path) {
  if (!v.is_boolean()) return WrongType(path, v, "true or false");
  return v.get<bool>();
}

// An integer in [lo, hi]; "N is not WHAT" otherwise. Floats ("1.0") are refused, as Go does.
absl::StatusOr<int64_t> GetInt(const Json& v, absl::string_view path, int64_t lo, int64_t hi,
                               absl::string_view what) {
  int64_t n = 0;
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > kMaxInt64) return Bad(path, absl::StrCat(ShowJsonValue(v), " is not ", what));
    n = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    n = v.get<int64_t>();
  } else if (v.is_number_float()) {
    return Bad(path, absl::StrCat(ShowJsonValue(v), " is not ", what));
  } else {
    return WrongType(path, v, "an integer");
  }
  if (n < lo || n > hi) return Bad(path, absl::StrCat(ShowJsonValue(v), " is not ", what));
  return n;
}

absl::StatusOr<uint64_t> GetUint(const Json& v, absl::string_view path, uint64_t hi,
                                 absl::string_view what) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > hi) return Bad(path, absl::StrCat(ShowJsonValue(v), " is not ", what));
    return u;
  }
  if (v.is_number()) return Bad(path, absl::StrCat(ShowJsonValue(v), " is not ", what));
  return WrongType(path, v, "an integer");
}

absl::StatusOr<uint32_t> GetId(const Json& v, absl::string_view path, absl::string_view kind) {
  ASSIGN_OR_RETURN(uint64_t id, GetUint(v, path, kMaxId, absl::StrCat(kind, " (0..", kMaxId, ")")));
  return static_cast<uint32_t>(id);
}

absl::StatusOr<std::vector<std::string>> GetTextArray(const Json& v, absl::string_view path) {
  RETURN_IF_ERROR(CheckArray(v, path));
  std::vector<std::string> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    ASSIGN_OR_RETURN(std::string s, GetText(v[i], At(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

// "KEY=VALUE" with a non-empty KEY (process.env, hooks[].env).
absl::StatusOr<std::vector<std::string>> GetEnv(const Json& v, absl::string_view path) {
  ASSIGN_OR_RETURN(std::vector<std::string> env, GetTextArray(v, path));
  for (size_t i = 0; i < env.size(); ++i) {
    size_t eq = env[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      return Bad(At(path, i), absl::StrCat(Quote(env[i], 64), " is not KEY=VALUE"));
    }
  }
  return env;
}

// nlohmann's parser is iterative, but dump() (used for the seccomp section) recurses: refuse
// deep documents before parsing. Counts brackets outside strings.
absl::Status CheckDepth(absl::string_view text) {
  if (JsonDeeperThan(text, kMaxOciConfigDepth)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kPrefix, "nested deeper than ", kMaxOciConfigDepth, " levels"));
  }
  return absl::OkStatus();
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the tag,
// on one line.
std::string JsonErrorText(const std::exception& e) {
  absl::string_view what = e.what();
  if (size_t close = what.find("] "); close != absl::string_view::npos) {
    what.remove_prefix(close + 2);
  }
  std::string msg(what);
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  return msg;
}

// ---- tables ----

struct NsType {
  const char* name;
  bool NamespaceSpec::*flag;
  std::string NamespaceSpec::*path;
};
const NsType kNamespaces[] = {
    {"pid", &NamespaceSpec::pid, &NamespaceSpec::pid_path},
    {"network", &NamespaceSpec::net, &NamespaceSpec::net_path},
    {"ipc", &NamespaceSpec::ipc, &NamespaceSpec::ipc_path},
    {"uts", &NamespaceSpec::uts, &NamespaceSpec::uts_path},
    {"mount", &NamespaceSpec::mount, &NamespaceSpec::mount_path},
    {"user", &NamespaceSpec::user, &NamespaceSpec::user_path},
    {"cgroup", &NamespaceSpec::cgroup, &NamespaceSpec::cgroup_path},
    {"time", &NamespaceSpec::time, &NamespaceSpec::time_path},
};

struct MountTypeName {
  const char* name;
  MountSpec::Type type;
};
const MountTypeName kMountTypes[] = {
    {"tmpfs", MountSpec::Type::kTmpfs},    {"proc", MountSpec::Type::kProc},
    {"sysfs", MountSpec::Type::kSysfs},    {"devpts", MountSpec::Type::kDevpts},
    {"mqueue", MountSpec::Type::kMqueue},  {"cgroup", MountSpec::Type::kCgroup},
    {"cgroup2", MountSpec::Type::kCgroup},
};

// Accepted on any mount and ignored: propagation (nucleus makes every mount private), atime
// and the flags that change nothing a container could rely on for isolation.
const char* const kIgnoredMountOptions[] = {
    "private",       "rprivate",    "shared",      "rshared",    "slave",    "rslave",
    "unbindable",    "runbindable", "relatime",    "norelatime", "noatime",  "strictatime",
    "nostrictatime", "nodiratime",  "atime",       "diratime",   "defaults", "sync",
    "async",         "dirsync",     "lazytime",    "nolazytime", "iversion", "noiversion",
    "silent",        "loud",        "nosymfollow",
};

const char* const kIpcSysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

// The spec's four (shared, slave, private, unbindable) and their recursive forms; the native
// backend applies each after pivot_root (backends/native/mounts.cc PlanPropagation).
const char* const kPropagations[] = {"",       "private", "rprivate",   "slave",      "rslave",
                                     "shared", "rshared", "unbindable", "runbindable"};

template <size_t N>
bool In(const char* const (&list)[N], absl::string_view s) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

// ---- capabilities ----

absl::StatusOr<int> CapabilityByName(const std::string& name, absl::string_view path) {
  std::string lower = absl::AsciiStrToLower(name);
  bool word = lower.size() > 4 && absl::StartsWith(lower, "cap_") &&
              std::all_of(lower.begin(), lower.end(),
                          [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
  // libcap also takes "cap_5"-style numbers; OCI spells names.
  bool digits = word && std::all_of(lower.begin() + 4, lower.end(), absl::ascii_isdigit);
  cap_value_t cap = -1;
  if (!word || digits || cap_from_name(lower.c_str(), &cap) != 0 || cap < 0 || cap > CAP_LAST_CAP) {
    return Bad(path, absl::StrCat(Quote(name, 64), " is not a capability (e.g. CAP_NET_ADMIN)"));
  }
  return static_cast<int>(cap);
}

std::string CapabilityName(int cap) {
  char* name = cap_to_name(static_cast<cap_value_t>(cap));
  if (name == nullptr) return absl::StrCat(cap);
  std::string out = absl::AsciiStrToUpper(name);
  cap_free(name);
  return out;
}

// ---- rlimits ----

std::optional<std::string> RlimitNameOf(int resource) {
  for (const std::string& name : RlimitNames()) {
    if (RlimitResourceByName(name) == resource) return name;
  }
  return std::nullopt;
}

// ---- mounts ----

// Kernel memparse: N with an optional k/m/g/t/p/e suffix. "%" is refused (see the header).
absl::StatusOr<uint64_t> ParseTmpfsSize(absl::string_view text, absl::string_view path,
                                        absl::string_view option) {
  auto bad = [&] {
    return Bad(path, absl::StrCat(Quote(option, 64),
                                  " is not a tmpfs size (size=N[k|m|g|t|p|e], more than 0)"));
  };
  size_t i = 0;
  while (i < text.size() && absl::ascii_isdigit(text[i])) ++i;
  if (i == 0 || i > 19) return bad();
  int shift = 0;
  if (i < text.size()) {
    if (i + 1 != text.size()) return bad();
    switch (absl::ascii_tolower(text[i])) {
      case 'k':
        shift = 10;
        break;
      case 'm':
        shift = 20;
        break;
      case 'g':
        shift = 30;
        break;
      case 't':
        shift = 40;
        break;
      case 'p':
        shift = 50;
        break;
      case 'e':
        shift = 60;
        break;
      default:
        return bad();
    }
  }
  uint64_t n = 0;
  for (size_t j = 0; j < i; ++j) n = n * 10 + static_cast<uint64_t>(text[j] - '0');
  if (n == 0 || n > (kMaxInt64 >> shift)) return bad();
  return n << shift;
}

absl::StatusOr<uint32_t> ParseOctalMode(absl::string_view text, absl::string_view path,
                                        absl::string_view option) {
  uint32_t mode = 0;
  bool ok = !text.empty() && text.size() <= 5 &&
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
  for (char c : text) mode = ok ? mode * 8 + static_cast<uint32_t>(c - '0') : 0;
  if (!ok || mode > 07777) {
    return Bad(path, absl::StrCat(Quote(option, 64), " is not a mode (mode=OCTAL, up to 7777)"));
  }
  return mode;
}

std::string FormatOctal(uint32_t mode) {
  char buf[16];
  snprintf(buf, sizeof(buf), "%o", mode);
  return buf;
}

// tmpfs sizes as written: "65536k" when whole KiB (podman's spelling), else bytes.
std::string FormatTmpfsSize(uint64_t bytes) {
  if (bytes % 1024 == 0) return absl::StrCat(bytes / 1024, "k");
  return absl::StrCat(bytes);
}

// ---- cgroups ----

// systemd's unit name -> path rule: "a-b.slice" -> "a.slice/a-b.slice". nullopt: not a slice.
std::optional<std::string> ExpandSlice(absl::string_view slice) {
  if (!absl::ConsumeSuffix(&slice, ".slice") || slice.empty()) return std::nullopt;
  if (slice.find('/') != absl::string_view::npos) return std::nullopt;
  std::string path, prefix;
  for (absl::string_view part : absl::StrSplit(slice, '-')) {
    if (part.empty()) return std::nullopt;
    absl::StrAppend(&path, path.empty() ? "" : "/", prefix, part, ".slice");
    absl::StrAppend(&prefix, part, "-");
  }
  return path;
}

// ---- Landlock policy (runtime/landlock/policy.h's format) ----

const char* LandlockModeName(LandlockSpec::Mode mode) {
  switch (mode) {
    case LandlockSpec::Mode::kOff:
      return "off";
    case LandlockSpec::Mode::kBestEffort:
      return "best-effort";
    case LandlockSpec::Mode::kStrict:
      return "strict";
  }
  return "off";
}

bool HasLandlockPolicy(const LandlockSpec& ll) {
  return ll.custom_policy || ll.restrict_tcp_connect || ll.restrict_tcp_bind ||
         !ll.scope_abstract_unix_socket || !ll.scope_signal || !ll.unix_sockets.empty();
}

OJson AccessJson(uint64_t bits) {
  if (bits == landlock::kFsAll) return "rwx";
  if (bits == (landlock::kFsRead | landlock::kFsWrite)) return "rw";
  if (bits == landlock::kFsReadExec) return "rx";
  if (bits == landlock::kFsRead) return "ro";
  OJson names = OJson::array();
  for (absl::string_view name : absl::StrSplit(landlock::FsAccessNames(bits), ',')) {
    names.push_back(std::string(name));
  }
  return names;
}

OJson PortsJson(const std::vector<uint16_t>& ports) {
  std::set<uint16_t> sorted(ports.begin(), ports.end());
  sorted.erase(0);
  OJson out = OJson::array();
  for (uint16_t p : sorted) out.push_back(p);
  return out;
}

std::string LandlockPolicyJson(const LandlockSpec& ll) {
  OJson j = OJson::object();
  if (ll.custom_policy) {
    OJson paths = OJson::array();
    for (const LandlockPathRule& r : ll.paths) {
      uint64_t bits = r.access & landlock::kFsKnown;
      if (bits == 0) continue;  // no right: nothing the policy format can say
      paths.push_back(OJson{{"path", r.path}, {"access", AccessJson(bits)}});
    }
    j["paths"] = std::move(paths);
  }
  if (ll.restrict_tcp_connect) j["tcp_connect"] = PortsJson(ll.tcp_connect);
  if (ll.restrict_tcp_bind) j["tcp_bind"] = PortsJson(ll.tcp_bind);
  if (!ll.scope_abstract_unix_socket || !ll.scope_signal) {
    OJson scope = OJson::array();
    if (ll.scope_abstract_unix_socket) scope.push_back("abstract_unix_socket");
    if (ll.scope_signal) scope.push_back("signal");
    j["scope"] = std::move(scope);
  }
  if (!ll.unix_sockets.empty()) j["unix_sockets"] = ll.unix_sockets;
  return j.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

// ---- seccomp, written back in OCI form ----

bool TakesErrno(SeccompAction a) {
  return a == SeccompAction::kErrno || a == SeccompAction::kTrace;
}

// Every field at the value the profile parser defaults to is left out, and KILL_THREAD is
// spelled "SCMP_ACT_KILL", so the section is never longer than the input it came from (its
// size limit holds on the way back in).
const char* ActionJsonName(SeccompAction a) {
  return a == SeccompAction::kKillThread ? "SCMP_ACT_KILL" : SeccompActionName(a);
}

const char* OpName(SeccompArg::Op op) {
  switch (op) {
    case SeccompArg::Op::kNotEqual:
      return "SCMP_CMP_NE";
    case SeccompArg::Op::kLessThan:
      return "SCMP_CMP_LT";
    case SeccompArg::Op::kLessEqual:
      return "SCMP_CMP_LE";
    case SeccompArg::Op::kEqualTo:
      return "SCMP_CMP_EQ";
    case SeccompArg::Op::kGreaterEqual:
      return "SCMP_CMP_GE";
    case SeccompArg::Op::kGreaterThan:
      return "SCMP_CMP_GT";
    case SeccompArg::Op::kMaskedEqual:
      return "SCMP_CMP_MASKED_EQ";
  }
  return "SCMP_CMP_EQ";
}

OJson SeccompJson(const SeccompSpec& s) {
  // --seccomp-log: what would deny is logged instead; OCI has no flag for it.
  auto effective = [&](SeccompAction a) {
    bool denies = a == SeccompAction::kErrno || a == SeccompAction::kKillThread ||
                  a == SeccompAction::kKillProcess || a == SeccompAction::kTrap;
    return s.log_only && denies ? SeccompAction::kLog : a;
  };
  OJson j = OJson::object();
  SeccompAction def = effective(s.default_action);
  j["defaultAction"] = ActionJsonName(def);
  if (TakesErrno(def) && s.default_errno_ret != EPERM) j["defaultErrnoRet"] = s.default_errno_ret;
  if (!s.architectures.empty()) j["architectures"] = s.architectures;
  OJson syscalls = OJson::array();
  for (const SeccompRule& r : s.syscalls) {
    if (r.names.empty()) continue;
    OJson rule = OJson::object();
    rule["names"] = r.names;
    SeccompAction a = effective(r.action);
    rule["action"] = ActionJsonName(a);
    if (TakesErrno(a) && r.errno_ret != EPERM) rule["errnoRet"] = r.errno_ret;
    if (!r.args.empty()) {
      OJson args = OJson::array();
      for (const SeccompArg& arg : r.args) {
        OJson x = OJson::object();
        x["index"] = arg.index;
        x["value"] = arg.value;
        if (arg.value_two != 0) x["valueTwo"] = arg.value_two;
        x["op"] = OpName(arg.op);
        args.push_back(std::move(x));
      }
      rule["args"] = std::move(args);
    }
    syscalls.push_back(std::move(rule));
  }
  if (!syscalls.empty()) j["syscalls"] = std::move(syscalls);
  return j;
}

// ---- the parser ----

class Parser {
 public:
  Parser(std::string bundle, OciConfig* out) : bundle_(std::move(bundle)), out_(*out) {}

  absl::Status Parse(const Json& root) {
    if (!root.is_object())
      return absl::InvalidArgumentError(
          absl::StrCat(kPrefix, "expected an object at the top level, got ", ShowJsonValue(root)));
    ContainerSpec& spec = out_.spec;
    spec.bundle = bundle_;
    spec.default_filesystems = false;
    spec.init = false;
    spec.landlock = LandlockSpec();
    spec.landlock.mode = LandlockSpec::Mode::kOff;
    spec.process.no_new_privileges = false;
    spec.readonly_rootfs = false;
    spec.namespaces = NamespaceSpec();
    for (const NsType& t : kNamespaces) spec.namespaces.*t.flag = false;

    const Json* version = Field(root, "ociVersion");
    if (version == nullptr) return Bad("ociVersion", "is missing");
    ASSIGN_OR_RETURN(std::string v, GetString(*version, "ociVersion"));
    if (!absl::StartsWith(v, "1.")) {
      return Bad("ociVersion", absl::StrCat(Quote(v, 64), " is not a 1.x runtime-spec version"));
    }

    const Json* linux = Field(root, "linux");
    if (linux != nullptr) RETURN_IF_ERROR(CheckObject(*linux, "linux"));
    static const Json kEmpty = Json::object();
    if (linux == nullptr) linux = &kEmpty;

    RETURN_IF_ERROR(ParseRoot(root));
    RETURN_IF_ERROR(ParseNamespaces(*linux));  // before what depends on them
    RETURN_IF_ERROR(ParseProcess(root));
    RETURN_IF_ERROR(ParseIdMappings(*linux));
    RETURN_IF_ERROR(ParseHostname(root));
    RETURN_IF_ERROR(ParseMounts(root));
    RETURN_IF_ERROR(ParseLinux(*linux));
    RETURN_IF_ERROR(ParseHooks(root));
    RETURN_IF_ERROR(ParseAnnotations(root));
    return absl::OkStatus();
  }

  // `update --resources`: just a linux.resources object, onto out_.spec.resources.
  absl::Status ParseResourcesOnly(const Json& resources) {
    Json linux = Json::object();
    linux["resources"] = resources;
    return ParseResources(linux);
  }

 private:
  void Warn(std::string w) { out_.warnings.push_back(std::move(w)); }

  absl::Status ParseRoot(const Json& root) {
    const Json* r = Field(root, "root");
    if (r == nullptr) return Bad("root", "is missing");
    RETURN_IF_ERROR(CheckObject(*r, "root"));
    const Json* path = Field(*r, "path");
    if (path == nullptr) return Bad("root.path", "is missing");
    ASSIGN_OR_RETURN(std::string p, GetString(*path, "root.path"));
    ASSIGN_OR_RETURN(out_.spec.rootfs, ValidateHostPath(p, bundle_, Label("root.path")));
    if (const Json* ro = Field(*r, "readonly")) {
      ASSIGN_OR_RETURN(out_.spec.readonly_rootfs, GetBool(*ro, "root.readonly"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseNamespaces(const Json& linux) {
    NamespaceSpec& ns = out_.spec.namespaces;
    if (const Json* list = Field(linux, "namespaces")) {
      RETURN_IF_ERROR(CheckArray(*list, "linux.namespaces"));
      for (size_t i = 0; i < list->size(); ++i) {
        const std::string path = At("linux.namespaces", i);
        const Json& e = (*list)[i];
        RETURN_IF_ERROR(CheckObject(e, path));
        const Json* type = Field(e, "type");
        if (type == nullptr) return Bad(At(path, "type"), "is missing");
        ASSIGN_OR_RETURN(std::string t, GetString(*type, At(path, "type")));
        const NsType* found = nullptr;
        for (const NsType& n : kNamespaces) {
          if (t == n.name) found = &n;
        }
        if (found == nullptr) {
          return Bad(At(path, "type"),
                     absl::StrCat(Quote(t, 64),
                                  " is not a namespace type (pid, network, mount, "
                                  "ipc, uts, user, cgroup, time)"));
        }
        if (ns.*found->flag) {
          return Bad(At(path, "type"), absl::StrCat(Quote(t, 64), " is listed twice"));
        }
        ns.*found->flag = true;
        if (const Json* p = Field(e, "path")) {
          ASSIGN_OR_RETURN(std::string text, GetString(*p, At(path, "path")));
          if (!text.empty()) {
            ASSIGN_OR_RETURN(ns.*found->path, ValidateContainerPath(text, Label(At(path, "path"))));
          }
        }
      }
    }
    if (!ns.mount) return Bad("linux.namespaces", "nucleus needs a mount namespace");
    return absl::OkStatus();
  }

  absl::Status ParseProcess(const Json& root) {
    const Json* p = Field(root, "process");
    if (p == nullptr) return Bad("process", "is missing");
    RETURN_IF_ERROR(CheckObject(*p, "process"));
    ProcessSpec& proc = out_.spec.process;

    if (const Json* t = Field(*p, "terminal")) {
      ASSIGN_OR_RETURN(proc.terminal, GetBool(*t, "process.terminal"));
    }
    if (const Json* user = Field(*p, "user")) {
      RETURN_IF_ERROR(CheckObject(*user, "process.user"));
      if (const Json* uid = Field(*user, "uid")) {
        ASSIGN_OR_RETURN(proc.uid, GetId(*uid, "process.user.uid", "a uid"));
      }
      if (const Json* gid = Field(*user, "gid")) {
        ASSIGN_OR_RETURN(proc.gid, GetId(*gid, "process.user.gid", "a gid"));
      }
      if (const Json* groups = Field(*user, "additionalGids")) {
        RETURN_IF_ERROR(CheckArray(*groups, "process.user.additionalGids"));
        for (size_t i = 0; i < groups->size(); ++i) {
          ASSIGN_OR_RETURN(uint32_t g,
                           GetId((*groups)[i], At("process.user.additionalGids", i), "a gid"));
          proc.additional_gids.push_back(g);
        }
      }
    }
    const Json* args = Field(*p, "args");
    if (args == nullptr) return Bad("process.args", "is missing");
    ASSIGN_OR_RETURN(proc.args, GetTextArray(*args, "process.args"));
    if (proc.args.empty()) return Bad("process.args", "is empty (the command to run)");
    if (proc.args[0].empty()) return Bad("process.args[0]", "is empty (the command to run)");
    if (const Json* env = Field(*p, "env")) {
      ASSIGN_OR_RETURN(proc.env, GetEnv(*env, "process.env"));
    }
    const Json* cwd = Field(*p, "cwd");
    if (cwd == nullptr) return Bad("process.cwd", "is missing");
    ASSIGN_OR_RETURN(std::string cwd_text, GetString(*cwd, "process.cwd"));
    ASSIGN_OR_RETURN(proc.cwd, ValidateContainerPath(cwd_text, Label("process.cwd")));

    RETURN_IF_ERROR(ParseCapabilities(*p));
    RETURN_IF_ERROR(ParseRlimits(*p));
    if (const Json* nnp = Field(*p, "noNewPrivileges")) {
      ASSIGN_OR_RETURN(proc.no_new_privileges, GetBool(*nnp, "process.noNewPrivileges"));
    }
    if (const Json* oom = Field(*p, "oomScoreAdj")) {
      ASSIGN_OR_RETURN(int64_t adj, GetInt(*oom, "process.oomScoreAdj", -1000, 1000,
                                           "an OOM score adjustment (-1000..1000)"));
      proc.oom_score_adj = static_cast<int>(adj);
    }
    if (const Json* a = Field(*p, "apparmorProfile")) {
      ASSIGN_OR_RETURN(std::string profile, GetString(*a, "process.apparmorProfile"));
      if (!profile.empty()) Warn("process.apparmorProfile: AppArmor is not supported; ignored");
    }
    if (const Json* s = Field(*p, "selinuxLabel")) {
      ASSIGN_OR_RETURN(std::string label, GetString(*s, "process.selinuxLabel"));
      if (!label.empty()) Warn("process.selinuxLabel: SELinux is not supported; ignored");
    }
    for (const char* key : {"ioPriority", "scheduler", "execCPUAffinity"}) {
      if (Field(*p, key) != nullptr)
        Warn(absl::StrCat("process.", key, ": not supported; ignored"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseCapabilities(const Json& p) {
    const Json* caps = Field(p, "capabilities");
    if (caps == nullptr) {
      Warn("process.capabilities: absent; nucleus keeps no capabilities (runc would keep its own)");
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(CheckObject(*caps, "process.capabilities"));
    static const char* const kSets[] = {"bounding", "effective", "permitted", "inheritable",
                                        "ambient"};
    std::map<std::string, std::set<int>> given;  // only the sets present
    for (const char* set : kSets) {
      const Json* list = Field(*caps, set);
      if (list == nullptr) continue;
      const std::string path = At("process.capabilities", set);
      ASSIGN_OR_RETURN(std::vector<std::string> names, GetTextArray(*list, path));
      std::set<int>& s = given[set];
      for (size_t i = 0; i < names.size(); ++i) {
        ASSIGN_OR_RETURN(int cap, CapabilityByName(names[i], At(path, i)));
        s.insert(cap);
      }
    }
    auto get = [&](const char* set) {
      auto it = given.find(set);
      return it == given.end() ? std::set<int>() : it->second;
    };
    std::set<int> bounding = get("bounding"), either = get("effective");
    for (int c : get("permitted")) either.insert(c);
    std::vector<int> kept;
    for (int c : bounding) {
      if (either.count(c) > 0) kept.push_back(c);
    }
    const std::set<int> kept_set(kept.begin(), kept.end());
    for (const char* set : kSets) {
      auto it = given.find(set);
      if (it == given.end() || it->second == kept_set) continue;
      // An empty inheritable / ambient list (what engines send) grants nothing more when
      // nucleus fills it: only a non-root ambient set matters, handled below.
      const bool optional_set = set[0] == 'i' || set[0] == 'a';
      if (optional_set && it->second.empty()) continue;
      Warn(absl::StrCat("process.capabilities.", set,
                        ": differs from the one set nucleus keeps in every set, bounding & "
                        "(effective | permitted) (",
                        kept.size(), " capabilities)"));
    }
    // The kernel drops a non-root process's capabilities at execve unless they are ambient;
    // nucleus raises the kept set in the ambient set too, so such a process keeps them.
    const uid_t uid = out_.spec.process.uid;
    auto ambient = given.find("ambient");
    if (uid != 0 && !kept.empty() && (ambient == given.end() || ambient->second.empty())) {
      Warn(
          absl::StrCat("process.capabilities.ambient: empty, but nucleus raises the kept "
                       "capabilities in the ambient set too, so uid ",
                       uid, " keeps them"));
    }
    out_.spec.process.capabilities = std::move(kept);
    return absl::OkStatus();
  }

  absl::Status ParseRlimits(const Json& p) {
    const Json* list = Field(p, "rlimits");
    if (list == nullptr) return absl::OkStatus();
    RETURN_IF_ERROR(CheckArray(*list, "process.rlimits"));
    std::set<int> seen;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string path = At("process.rlimits", i);
      const Json& e = (*list)[i];
      RETURN_IF_ERROR(CheckObject(e, path));
      const Json* type = Field(e, "type");
      if (type == nullptr) return Bad(At(path, "type"), "is missing");
      ASSIGN_OR_RETURN(std::string t, GetString(*type, At(path, "type")));
      absl::string_view rest = t;
      std::optional<int> resource;
      if (absl::ConsumePrefix(&rest, "RLIMIT_") && !rest.empty() &&
          std::all_of(rest.begin(), rest.end(), [](char c) { return absl::ascii_isupper(c); })) {
        resource = RlimitResourceByName(rest);
      }
      if (!resource) {
        return Bad(At(path, "type"), absl::StrCat(Quote(t, 64),
                                                  " is not an rlimit type (RLIMIT_"
                                                  "NOFILE, RLIMIT_NPROC, ...)"));
      }
      if (!seen.insert(*resource).second) {
        return Bad(At(path, "type"), absl::StrCat(Quote(t, 64), " is listed twice"));
      }
      Rlimit r;
      r.resource = *resource;
      r.name = absl::AsciiStrToLower(rest);
      for (const char* key : {"soft", "hard"}) {
        const Json* v = Field(e, key);
        if (v == nullptr) return Bad(At(path, key), "is missing");
        ASSIGN_OR_RETURN(uint64_t n, GetUint(*v, At(path, key),
                                             std::numeric_limits<uint64_t>::max(), "a limit"));
        (key[0] == 's' ? r.soft : r.hard) = n;
      }
      if (r.soft > r.hard) {
        return Bad(path, absl::StrCat("soft limit ", r.soft, " is above hard limit ", r.hard));
      }
      out_.spec.process.rlimits.push_back(std::move(r));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<IdMapping>> ParseMapList(const Json& list, const std::string& path) {
    RETURN_IF_ERROR(CheckArray(list, path));
    std::vector<IdMapping> maps;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = At(path, i);
      const Json& e = list[i];
      RETURN_IF_ERROR(CheckObject(e, at));
      IdMapping m;
      const std::pair<const char*, uint32_t*> fields[] = {
          {"containerID", &m.container_id}, {"hostID", &m.host_id}, {"size", &m.size}};
      for (const auto& [key, dst] : fields) {
        const Json* v = Field(e, key);
        if (v == nullptr) return Bad(At(at, key), "is missing");
        ASSIGN_OR_RETURN(*dst, GetId(*v, At(at, key), "an id"));
      }
      if (m.size == 0) return Bad(At(at, "size"), "0 is not a mapping size (at least 1)");
      maps.push_back(m);
    }
    RETURN_IF_ERROR(ValidateIdMappings(maps, Label(path)));
    return maps;
  }

  absl::Status CheckMapped(const std::vector<IdMapping>& maps, uint32_t id, absl::string_view path,
                           absl::string_view list) {
    if (IsIdMapped(maps, id)) return absl::OkStatus();
    return Bad(path, absl::StrCat(id, " is not mapped in ", list));
  }

  absl::Status ParseIdMappings(const Json& linux) {
    ContainerSpec& spec = out_.spec;
    const Json* uids = Field(linux, "uidMappings");
    const Json* gids = Field(linux, "gidMappings");
    if (uids != nullptr) {
      ASSIGN_OR_RETURN(spec.uid_mappings, ParseMapList(*uids, "linux.uidMappings"));
    }
    if (gids != nullptr) {
      ASSIGN_OR_RETURN(spec.gid_mappings, ParseMapList(*gids, "linux.gidMappings"));
    }
    const bool has_maps = !spec.uid_mappings.empty() || !spec.gid_mappings.empty();
    if (!spec.namespaces.user) {
      if (has_maps) {
        return Bad(spec.uid_mappings.empty() ? "linux.gidMappings" : "linux.uidMappings",
                   "needs a user namespace (linux.namespaces)");
      }
      return absl::OkStatus();
    }
    if (!spec.namespaces.user_path.empty() && !has_maps) return absl::OkStatus();
    if (spec.uid_mappings.empty()) {
      return Bad("linux.uidMappings", "a new user namespace needs uid mappings");
    }
    if (spec.gid_mappings.empty()) {
      return Bad("linux.gidMappings", "a new user namespace needs gid mappings");
    }
    const ProcessSpec& proc = spec.process;
    RETURN_IF_ERROR(
        CheckMapped(spec.uid_mappings, proc.uid, "process.user.uid", "linux.uidMappings"));
    RETURN_IF_ERROR(
        CheckMapped(spec.gid_mappings, proc.gid, "process.user.gid", "linux.gidMappings"));
    for (size_t i = 0; i < proc.additional_gids.size(); ++i) {
      RETURN_IF_ERROR(CheckMapped(spec.gid_mappings, proc.additional_gids[i],
                                  At("process.user.additionalGids", i), "linux.gidMappings"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseHostname(const Json& root) {
    if (const Json* h = Field(root, "hostname")) {
      ASSIGN_OR_RETURN(std::string name, GetString(*h, "hostname"));
      if (!name.empty()) {
        bool ok = name.size() <= 64 && name[0] != '-' &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
                  });
        if (!ok) {
          return Bad("hostname", absl::StrCat(Quote(name, 64),
                                              " is not a hostname (1-64 of A-Z a-z 0-9 . _ -)"));
        }
        if (!out_.spec.namespaces.uts) {
          return Bad("hostname",
                     absl::StrCat(Quote(name, 64), " needs a uts namespace (linux.namespaces)"));
        }
        out_.spec.hostname = std::move(name);
      }
    }
    if (const Json* d = Field(root, "domainname")) {
      ASSIGN_OR_RETURN(std::string name, GetString(*d, "domainname"));
      if (!name.empty()) Warn("domainname: not supported; ignored");
    }
    return absl::OkStatus();
  }

  absl::Status ParseMounts(const Json& root) {
    const Json* list = Field(root, "mounts");
    if (list == nullptr) return absl::OkStatus();
    RETURN_IF_ERROR(CheckArray(*list, "mounts"));
    for (size_t i = 0; i < list->size(); ++i) {
      ASSIGN_OR_RETURN(MountSpec m, ParseMount((*list)[i], At("mounts", i)));
      out_.spec.mounts.push_back(std::move(m));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<MountSpec> ParseMount(const Json& e, const std::string& path) {
    RETURN_IF_ERROR(CheckObject(e, path));
    MountSpec m;
    m.read_only = false;  // OCI's defaults: rw, suid, dev, exec
    m.nosuid = false;
    m.nodev = false;
    m.noexec = false;
    const Json* dst = Field(e, "destination");
    if (dst == nullptr) return Bad(At(path, "destination"), "is missing");
    ASSIGN_OR_RETURN(std::string dst_text, GetString(*dst, At(path, "destination")));
    ASSIGN_OR_RETURN(m.destination,
                     ValidateContainerPath(dst_text, Label(At(path, "destination"))));
    if (m.destination == "/") {
      return Bad(At(path, "destination"), "'/' would cover the container's root (root.path)");
    }
    std::string type, source;
    if (const Json* t = Field(e, "type")) {
      ASSIGN_OR_RETURN(type, GetString(*t, At(path, "type")));
    }
    if (const Json* s = Field(e, "source")) {
      ASSIGN_OR_RETURN(source, GetString(*s, At(path, "source")));
    }
    for (const char* key : {"uidMappings", "gidMappings"}) {
      const Json* maps = Field(e, key);
      if (maps != nullptr && !(maps->is_array() && maps->empty())) {
        return Bad(At(path, key), "idmapped mounts are not supported");
      }
    }
    std::vector<std::string> options;
    if (const Json* o = Field(e, "options")) {
      ASSIGN_OR_RETURN(options, GetTextArray(*o, At(path, "options")));
    }
    bool bind = type == "bind", rbind = false;
    for (const std::string& o : options) {
      bind = bind || o == "bind" || o == "rbind";
      rbind = rbind || o == "rbind";
    }
    if (bind) {
      m.type = MountSpec::Type::kBind;
      m.recursive = rbind;
      if (source.empty()) return Bad(At(path, "source"), "is missing (a bind mount's host path)");
      ASSIGN_OR_RETURN(m.source, ValidateHostPath(source, bundle_, Label(At(path, "source"))));
    } else {
      const MountTypeName* found = nullptr;
      for (const MountTypeName& t : kMountTypes) {
        if (type == t.name) found = &t;
      }
      if (found == nullptr) {
        return Bad(At(path, "type"),
                   absl::StrCat(Quote(type, 64),
                                " is not a supported mount type (bind, tmpfs, proc, sysfs, "
                                "devpts, mqueue, cgroup, cgroup2)"));
      }
      m.type = found->type;
      // The source of a new filesystem is only a label (the kernel shows it in
      // /proc/mounts; engines and tools look for "proc", "tmpfs", ...). fsconfig takes it as
      // one string: refuse what could not be a mount table field.
      if (source.size() > 256 || std::any_of(source.begin(), source.end(), [](char c) {
            return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
          })) {
        return Bad(At(path, "source"),
                   absl::StrCat(Quote(source, 64),
                                " is not a filesystem source (at most 256 characters, no "
                                "spaces or control characters)"));
      }
      m.source = source;
    }
    for (size_t j = 0; j < options.size(); ++j) {
      const std::string& o = options[j];
      const std::string opath = At(At(path, "options"), j);
      if (o == "ro" || o == "rw") {
        m.read_only = o == "ro";
      } else if (o == "nosuid" || o == "suid") {
        m.nosuid = o == "nosuid";
      } else if (o == "nodev" || o == "dev") {
        m.nodev = o == "nodev";
      } else if (o == "noexec" || o == "exec") {
        m.noexec = o == "noexec";
      } else if (o == "bind" || o == "rbind" || In(kIgnoredMountOptions, o)) {
        // handled above / no effect here
      } else if (o == "tmpcopyup") {
        Warn(absl::StrCat(opath,
                          ": 'tmpcopyup' is not supported; ignored (the tmpfs starts "
                          "empty)"));
      } else if (bind) {
        // A filesystem's own option (tmpfs "size=", "mode=") means nothing to a bind: the
        // kernel takes no data for MS_BIND, and runc drops it too. Ignoring it grants nothing.
        Warn(absl::StrCat(opath, ": ", Quote(o, 64), " means nothing for a bind mount; ignored"));
      } else if (o.empty() || o[0] == '=' || std::any_of(o.begin(), o.end(), [](char c) {
                   return c == ',' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
                 })) {
        // fsconfig(2) takes one key[=value] per call: a ',' would smuggle in another option.
        return Bad(opath, absl::StrCat(Quote(o, 64), " is not a mount option"));
      } else if (m.type == MountSpec::Type::kTmpfs && absl::StartsWith(o, "size=")) {
        ASSIGN_OR_RETURN(m.tmpfs_size, ParseTmpfsSize(absl::string_view(o).substr(5), opath, o));
      } else if (m.type == MountSpec::Type::kTmpfs && absl::StartsWith(o, "mode=")) {
        ASSIGN_OR_RETURN(m.tmpfs_mode, ParseOctalMode(absl::string_view(o).substr(5), opath, o));
      } else {
        m.fs_options.push_back(o);
      }
    }
    return m;
  }

  absl::Status ParseLinux(const Json& linux) {
    RETURN_IF_ERROR(ParseResources(linux));
    RETURN_IF_ERROR(ParseCgroupsPath(linux));
    RETURN_IF_ERROR(ParseSeccomp(linux));
    ContainerSpec& spec = out_.spec;
    for (const auto& [key, dst] : {std::make_pair("maskedPaths", &spec.masked_paths),
                                   std::make_pair("readonlyPaths", &spec.readonly_paths)}) {
      const Json* list = Field(linux, key);
      if (list == nullptr) continue;
      const std::string path = At("linux", key);
      ASSIGN_OR_RETURN(std::vector<std::string> paths, GetTextArray(*list, path));
      for (size_t i = 0; i < paths.size(); ++i) {
        ASSIGN_OR_RETURN(std::string clean, ValidateContainerPath(paths[i], Label(At(path, i))));
        dst->push_back(std::move(clean));
      }
    }
    RETURN_IF_ERROR(ParseSysctl(linux));
    if (const Json* prop = Field(linux, "rootfsPropagation")) {
      ASSIGN_OR_RETURN(std::string p, GetString(*prop, "linux.rootfsPropagation"));
      if (!In(kPropagations, p)) {
        return Bad("linux.rootfsPropagation",
                   absl::StrCat(Quote(p, 64),
                                " is not a propagation (private, rprivate, slave, "
                                "rslave, shared, rshared, unbindable, "
                                "runbindable)"));
      }
      spec.rootfs_propagation = p;
    }
    RETURN_IF_ERROR(ParseDevices(linux));
    if (const Json* label = Field(linux, "mountLabel")) {
      ASSIGN_OR_RETURN(std::string l, GetString(*label, "linux.mountLabel"));
      if (!l.empty()) Warn("linux.mountLabel: SELinux is not supported; ignored");
    }
    for (const char* key : {"intelRdt", "personality", "memoryPolicy", "netDevices"}) {
      if (Field(linux, key) != nullptr)
        Warn(absl::StrCat("linux.", key, ": not supported; ignored"));
    }
    return absl::OkStatus();
  }

  // Warns about a member that nucleus does not enforce, when it says something.
  void WarnIfSet(const Json& obj, const char* key, absl::string_view path) {
    const Json* v = Field(obj, key);
    if (v == nullptr || (v->is_boolean() && !v->get<bool>()) ||
        ((v->is_array() || v->is_object()) && v->empty()) ||
        (v->is_string() && v->get_ref<const std::string&>().empty())) {
      return;
    }
    Warn(absl::StrCat(path, ".", key, ": not supported; ignored"));
  }

  absl::Status ParseResources(const Json& linux) {
    const Json* res = Field(linux, "resources");
    if (res == nullptr) return absl::OkStatus();
    const std::string base = "linux.resources";
    RETURN_IF_ERROR(CheckObject(*res, base));
    ResourcesSpec& r = out_.spec.resources;
    r.naming = ResourcesSpec::Naming::kOci;
    if (const Json* mem = Field(*res, "memory")) RETURN_IF_ERROR(ParseMemory(*mem, base, r));
    if (const Json* cpu = Field(*res, "cpu")) RETURN_IF_ERROR(ParseCpu(*cpu, base, r));
    if (const Json* pids = Field(*res, "pids")) RETURN_IF_ERROR(ParsePids(*pids, base, r));
    if (const Json* blkio = Field(*res, "blockIO")) RETURN_IF_ERROR(ParseBlockIo(*blkio, base, r));
    if (const Json* devices = Field(*res, "devices")) {
      RETURN_IF_ERROR(ParseDeviceRules(*devices, At(base, "devices")));
    }
    for (const char* key : {"hugepageLimits", "network", "rdma", "unified"}) {
      WarnIfSet(*res, key, base);
    }
    // The rules across fields, as `run` has them (spec/resources.h).
    if (absl::Status v = ValidateResources(r); !v.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(kPrefix, v.message()));
    }
    return absl::OkStatus();
  }

  // linux.resources.memory.
  absl::Status ParseMemory(const Json& mem, const std::string& base, ResourcesSpec& r) {
    const std::string path = At(base, "memory");
    RETURN_IF_ERROR(CheckObject(mem, path));
    // runc: 0 is "not set"; -1 is unlimited.
    if (const Json* v = Field(mem, "limit")) {
      ASSIGN_OR_RETURN(int64_t n, GetInt(*v, At(path, "limit"), -1, kMax,
                                         "a memory limit (bytes; -1: unlimited)"));
      if (n > 0) r.memory = static_cast<uint64_t>(n);
    }
    if (const Json* v = Field(mem, "reservation")) {
      ASSIGN_OR_RETURN(int64_t n, GetInt(*v, At(path, "reservation"), -1, kMax,
                                         "a memory reservation (bytes; -1: none)"));
      if (n > 0) r.memory_reservation = static_cast<uint64_t>(n);
    }
    if (const Json* v = Field(mem, "swap")) {
      ASSIGN_OR_RETURN(int64_t n, GetInt(*v, At(path, "swap"), -1, kMax,
                                         "a memory+swap limit (bytes; -1: unlimited)"));
      if (n != 0) r.memory_swap = n;
    }
    for (const char* key : {"kernel", "kernelTCP", "swappiness", "disableOOMKiller"}) {
      WarnIfSet(mem, key, path);
    }
    return absl::OkStatus();
  }

  // linux.resources.cpu.
  absl::Status ParseCpu(const Json& cpu, const std::string& base, ResourcesSpec& r) {
    const std::string path = At(base, "cpu");
    RETURN_IF_ERROR(CheckObject(cpu, path));
    if (const Json* v = Field(cpu, "shares")) {
      ASSIGN_OR_RETURN(uint64_t n, GetUint(*v, At(path, "shares"), 262144,
                                           "a CPU share count (2..262144; 0: unset)"));
      if (n == 1)
        return Bad(At(path, "shares"), "1 is not a CPU share count (2..262144; 0: unset)");
      if (n > 0) r.cpu_shares = n;
    }
    if (const Json* v = Field(cpu, "period")) {
      ASSIGN_OR_RETURN(uint64_t n,
                       GetUint(*v, At(path, "period"), 1000000, "a CFS period (1000..1000000 us)"));
      if (n != 0 && n < 1000) {
        return Bad(At(path, "period"), absl::StrCat(n, " is not a CFS period (1000..1000000 us)"));
      }
      r.cpu_period_us = n == 0 ? kDefaultCpuPeriod : n;
    }
    if (const Json* v = Field(cpu, "quota")) {
      ASSIGN_OR_RETURN(int64_t n, GetInt(*v, At(path, "quota"), -1, kMax,
                                         "a CFS quota (at least 1000 us; -1: none)"));
      if (n > 0 && n < 1000) {
        return Bad(At(path, "quota"), absl::StrCat(n,
                                                   " is not a CFS quota (at least 1000 us; "
                                                   "-1: none)"));
      }
      if (n > 0) r.cpu_quota_us = static_cast<uint64_t>(n);
    }
    for (const auto& [key, dst] :
         {std::make_pair("cpus", &r.cpuset_cpus), std::make_pair("mems", &r.cpuset_mems)}) {
      const Json* v = Field(cpu, key);
      if (v == nullptr) continue;
      ASSIGN_OR_RETURN(std::string list, GetString(*v, At(path, key)));
      if (list.empty()) continue;
      RETURN_IF_ERROR(ValidateCpuList(list, Label(At(path, key))));
      *dst = std::move(list);
    }
    for (const char* key : {"realtimeRuntime", "realtimePeriod", "idle", "burst"}) {
      WarnIfSet(cpu, key, path);
    }
    return absl::OkStatus();
  }

  // linux.resources.pids.
  absl::Status ParsePids(const Json& pids, const std::string& base, ResourcesSpec& r) {
    const std::string path = At(base, "pids");
    RETURN_IF_ERROR(CheckObject(pids, path));
    if (const Json* v = Field(pids, "limit")) {
      ASSIGN_OR_RETURN(int64_t n,
                       GetInt(*v, At(path, "limit"), std::numeric_limits<int64_t>::min(), kMaxPids,
                              "a process limit (at most 4194304; <= 0: unlimited)"));
      if (n > 0) r.pids_limit = n;
    }
    return absl::OkStatus();
  }

  // linux.resources.blockIO.
  absl::Status ParseBlockIo(const Json& blkio, const std::string& base, ResourcesSpec& r) {
    const std::string path = At(base, "blockIO");
    RETURN_IF_ERROR(CheckObject(blkio, path));
    if (const Json* v = Field(blkio, "weight")) {
      ASSIGN_OR_RETURN(uint64_t n,
                       GetUint(*v, At(path, "weight"), 1000, "an I/O weight (10..1000; 0: unset)"));
      if (n != 0 && n < 10) {
        return Bad(At(path, "weight"),
                   absl::StrCat(n, " is not an I/O weight (10..1000; 0: unset)"));
      }
      if (n > 0) r.blkio_weight = static_cast<uint16_t>(n);
    }
    for (const char* key :
         {"leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
          "throttleReadIOPSDevice", "throttleWriteIOPSDevice"}) {
      WarnIfSet(blkio, key, path);
    }
    return absl::OkStatus();
  }

  absl::Status ParseDeviceRules(const Json& list, const std::string& base) {
    RETURN_IF_ERROR(CheckArray(list, base));
    std::vector<ResourcesSpec::DeviceAllow>& allow = out_.spec.resources.device_allow;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = At(base, i);
      const Json& e = list[i];
      RETURN_IF_ERROR(CheckObject(e, path));
      const Json* a = Field(e, "allow");
      if (a == nullptr) return Bad(At(path, "allow"), "is missing");
      ASSIGN_OR_RETURN(bool is_allow, GetBool(*a, At(path, "allow")));
      ResourcesSpec::DeviceAllow rule;
      if (const Json* t = Field(e, "type")) {
        ASSIGN_OR_RETURN(std::string type, GetString(*t, At(path, "type")));
        if (type != "a" && type != "c" && type != "b") {
          return Bad(At(path, "type"),
                     absl::StrCat(Quote(type, 64), " is not a device type (a, c, b)"));
        }
        rule.type = type[0];
      }
      bool any_number = false;
      for (const auto& [key, dst] :
           {std::make_pair("major", &rule.major), std::make_pair("minor", &rule.minor)}) {
        const Json* v = Field(e, key);
        if (v == nullptr) continue;
        ASSIGN_OR_RETURN(*dst, GetInt(*v, At(path, key), -1, 4294967295LL,
                                      "a device number (0..4294967295; -1: any)"));
        any_number = any_number || *dst != -1;
      }
      bool has_access = false;
      if (const Json* acc = Field(e, "access")) {
        ASSIGN_OR_RETURN(rule.access, GetString(*acc, At(path, "access")));
        has_access = true;
      }
      bool valid_access = !rule.access.empty() && rule.access.size() <= 3;
      for (size_t k = 0; k < rule.access.size(); ++k) {
        char c = rule.access[k];
        valid_access =
            valid_access && (c == 'r' || c == 'w' || c == 'm') && rule.access.find(c) == k;
      }
      if (has_access && !valid_access && (is_allow || !rule.access.empty())) {
        return Bad(At(path, "access"),
                   absl::StrCat(Quote(rule.access, 64), " is not a device access (r, w, m)"));
      }
      if (!is_allow) {
        bool all_access = !has_access || rule.access.empty() || rule.access.size() == 3;
        if (rule.type != 'a' || any_number || !all_access) {
          return Bad(path, "only a deny-all rule is supported among deny rules");
        }
        allow.clear();  // everything is denied from here on (the default anyway)
        continue;
      }
      if (!has_access) return Bad(At(path, "access"), "is missing (a subset of rwm)");
      allow.push_back(std::move(rule));
    }
    return absl::OkStatus();
  }

  absl::Status CheckCgroupName(const std::string& name, const std::string& text, const char* path) {
    absl::Status name_ok = ValidateCgroupName(name);
    if (!name_ok.ok()) {
      return Bad(path, absl::StrCat(Quote(text, 64), ": the group name ", name_ok.message()));
    }
    return absl::OkStatus();
  }

  absl::Status ParseCgroupsPath(const Json& linux) {
    const Json* v = Field(linux, "cgroupsPath");
    if (v == nullptr) return absl::OkStatus();
    const char* kPath = "linux.cgroupsPath";
    ASSIGN_OR_RETURN(std::string text, GetString(*v, kPath));
    if (text.empty()) return absl::OkStatus();
    std::string parent, name;
    if (std::count(text.begin(), text.end(), ':') == 2 && text.find('/') == std::string::npos) {
      std::vector<std::string> parts = absl::StrSplit(text, ':');
      const std::string& slice = parts[0];
      if (slice.empty() || slice == "-.slice") {
        if (!slice.empty()) {
          Warn("linux.cgroupsPath: the root slice '-.slice' is not supported; using system.slice");
        }
        parent = "system.slice";
      } else if (std::optional<std::string> p = ExpandSlice(slice)) {
        parent = *p;
      } else {
        return Bad(kPath, absl::StrCat(Quote(text, 64),
                                       " does not start with a systemd slice "
                                       "(SLICE:PREFIX:NAME, e.g. "
                                       "system.slice:docker:ID)"));
      }
      if (parts[2].empty()) {
        return Bad(kPath, absl::StrCat(Quote(text, 64), " has an empty NAME (SLICE:PREFIX:NAME)"));
      }
      name = parts[1].empty() ? absl::StrCat(parts[2], ".scope")
                              : absl::StrCat(parts[1], "-", parts[2], ".scope");
    } else {
      std::vector<std::string> parts;
      for (absl::string_view part : absl::StrSplit(text, '/', absl::SkipEmpty())) {
        if (part == "..") {
          return Bad(kPath, absl::StrCat(Quote(text, 64), " contains a '..' component"));
        }
        if (part != ".") parts.emplace_back(part);
      }
      if (parts.empty()) return Bad(kPath, absl::StrCat(Quote(text, 64), " names no cgroup"));
      name = parts.back();
      parts.pop_back();
      // The spec: an absolute path is relative to the cgroup mount point, so "/NAME" is a
      // group directly below each hierarchy's root. A relative "NAME" goes below nucleus's
      // own parent (the spec leaves relative paths to the runtime).
      if (parts.empty()) {
        if (absl::StartsWith(text, "/")) {
          RETURN_IF_ERROR(CheckCgroupName(name, text, kPath));
          out_.spec.cgroup_parent = kCgroupRootParent;
          out_.spec.cgroup_name = std::move(name);
          return absl::OkStatus();
        }
        parent = "nucleus";
      } else {
        parent = absl::StrJoin(parts, "/");
      }
    }
    RETURN_IF_ERROR(CheckCgroupName(name, text, kPath));
    ASSIGN_OR_RETURN(out_.spec.cgroup_parent, ValidateCgroupParent(parent, Label(kPath)));
    out_.spec.cgroup_name = std::move(name);
    return absl::OkStatus();
  }

  absl::Status ParseSeccomp(const Json& linux) {
    const Json* v = Field(linux, "seccomp");
    if (v == nullptr) return absl::OkStatus();
    RETURN_IF_ERROR(CheckObject(*v, "linux.seccomp"));
    const std::string text = v->dump(-1, ' ', false, Json::error_handler_t::replace);
    absl::StatusOr<ParsedSeccompProfile> parsed =
        ParseSeccompProfile(text, SeccompProfileContext::ForHost(out_.spec.process.capabilities));
    if (!parsed.ok()) return Bad("linux.seccomp", parsed.status().message());
    for (const std::string& w : parsed->warnings) Warn(absl::StrCat("linux.seccomp: ", w));
    // Engines' profiles overlap in ways libseccomp resolves silently (podman's lists setns
    // both allowed and denied): resolve them the same way, visibly (profile.h).
    for (const std::string& w : ResolveOverlapsAsLibseccomp(&parsed->spec)) {
      Warn(absl::StrCat("linux.", w));
    }
    out_.spec.seccomp = std::move(parsed->spec);
    return absl::OkStatus();
  }

  absl::Status ParseSysctl(const Json& linux) {
    const Json* obj = Field(linux, "sysctl");
    if (obj == nullptr) return absl::OkStatus();
    RETURN_IF_ERROR(CheckObject(*obj, "linux.sysctl"));
    const NamespaceSpec& ns = out_.spec.namespaces;
    for (auto it = obj->begin(); it != obj->end(); ++it) {  // sorted by key
      const std::string& key = it.key();
      const std::string path = AtKey("linux.sysctl", key);
      bool chars =
          !key.empty() && key.size() <= 256 && std::all_of(key.begin(), key.end(), [](char c) {
            return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-' || c == '/';
          });
      std::string dotted = key;
      std::replace(dotted.begin(), dotted.end(), '/', '.');
      bool parts_ok = chars;
      for (absl::string_view part : absl::StrSplit(dotted, '.')) {
        parts_ok = parts_ok && !part.empty();
      }
      if (!parts_ok)
        return Bad(path, "is not a sysctl name ([A-Za-z0-9_.-/], e.g. net.ipv4.ip_forward)");
      ASSIGN_OR_RETURN(std::string value, GetString(it.value(), path));
      if (value.size() > 4096 || value.find_first_of(std::string("\0\n", 2)) != std::string::npos) {
        return Bad(path, absl::StrCat(Quote(value, 64), " is not a sysctl value (one line)"));
      }
      const char* needs = nullptr;
      bool have = false;
      if (In(kIpcSysctls, dotted) || absl::StartsWith(dotted, "fs.mqueue.")) {
        needs = "an ipc";
        have = ns.ipc;
      } else if (absl::StartsWith(dotted, "net.")) {
        needs = "a network";
        have = ns.net;
      } else if (dotted == "kernel.hostname" || dotted == "kernel.domainname") {
        needs = "a uts";
        have = ns.uts;
      } else {
        return Bad(path, "not a namespaced sysctl");
      }
      if (!have) return Bad(path, absl::StrCat("needs ", needs, " namespace (linux.namespaces)"));
      out_.spec.sysctl.emplace_back(key, std::move(value));
    }
    return absl::OkStatus();
  }

  absl::Status ParseDevices(const Json& linux) {
    const Json* list = Field(linux, "devices");
    if (list == nullptr) return absl::OkStatus();
    RETURN_IF_ERROR(CheckArray(*list, "linux.devices"));
    std::set<std::string> seen;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string path = At("linux.devices", i);
      const Json& e = (*list)[i];
      RETURN_IF_ERROR(CheckObject(e, path));
      DeviceSpec d;
      const Json* p = Field(e, "path");
      if (p == nullptr) return Bad(At(path, "path"), "is missing");
      ASSIGN_OR_RETURN(std::string text, GetString(*p, At(path, "path")));
      ASSIGN_OR_RETURN(d.path, ValidateContainerPath(text, Label(At(path, "path"))));
      if (!absl::StartsWith(d.path, "/dev/")) {
        return Bad(At(path, "path"), absl::StrCat(Quote(text, 64), " is not under /dev"));
      }
      if (!seen.insert(d.path).second) {
        return Bad(At(path, "path"), absl::StrCat(Quote(text, 64), " is listed twice"));
      }
      const Json* t = Field(e, "type");
      if (t == nullptr) return Bad(At(path, "type"), "is missing");
      ASSIGN_OR_RETURN(std::string type, GetString(*t, At(path, "type")));
      if (type != "c" && type != "b" && type != "u" && type != "p") {
        return Bad(At(path, "type"),
                   absl::StrCat(Quote(type, 64), " is not a device type (c, b, u, p)"));
      }
      d.type = type == "b" ? 'b' : type == "p" ? 'p' : 'c';
      for (const auto& [key, dst] :
           {std::make_pair("major", &d.major), std::make_pair("minor", &d.minor)}) {
        const Json* v = Field(e, key);
        // A FIFO has no device number (the spec's major/minor are for c, b, u only).
        if (v == nullptr && d.type == 'p') continue;
        if (v == nullptr) return Bad(At(path, key), "is missing");
        ASSIGN_OR_RETURN(
            *dst, GetInt(*v, At(path, key), 0, 4294967295LL, "a device number (0..4294967295)"));
      }
      if (d.type == 'p') d.major = d.minor = 0;
      if (const Json* v = Field(e, "fileMode")) {
        ASSIGN_OR_RETURN(uint64_t mode,
                         GetUint(*v, At(path, "fileMode"), 07777, "a permission mode (0..07777)"));
        d.file_mode = static_cast<uint32_t>(mode);
      }
      if (const Json* v = Field(e, "uid")) {
        ASSIGN_OR_RETURN(d.uid, GetId(*v, At(path, "uid"), "a uid"));
      }
      if (const Json* v = Field(e, "gid")) {
        ASSIGN_OR_RETURN(d.gid, GetId(*v, At(path, "gid"), "a gid"));
      }
      out_.spec.devices.push_back(std::move(d));
    }
    return absl::OkStatus();
  }

  absl::Status ParseHooks(const Json& root) {
    const Json* hooks = Field(root, "hooks");
    if (hooks == nullptr) return absl::OkStatus();
    RETURN_IF_ERROR(CheckObject(*hooks, "hooks"));
    HooksSpec& h = out_.spec.hooks;
    const std::pair<const char*, std::vector<HookSpec>*> kinds[] = {
        {"prestart", &h.prestart},
        {"createRuntime", &h.create_runtime},
        {"createContainer", &h.create_container},
        {"startContainer", &h.start_container},
        {"poststart", &h.poststart},
        {"poststop", &h.poststop},
    };
    for (const auto& [key, dst] : kinds) {
      const Json* list = Field(*hooks, key);
      if (list == nullptr) continue;
      const std::string base = At("hooks", key);
      RETURN_IF_ERROR(CheckArray(*list, base));
      for (size_t i = 0; i < list->size(); ++i) {
        const std::string path = At(base, i);
        const Json& e = (*list)[i];
        RETURN_IF_ERROR(CheckObject(e, path));
        HookSpec hook;
        const Json* p = Field(e, "path");
        if (p == nullptr) return Bad(At(path, "path"), "is missing");
        ASSIGN_OR_RETURN(std::string text, GetString(*p, At(path, "path")));
        ASSIGN_OR_RETURN(hook.path, ValidateContainerPath(text, Label(At(path, "path"))));
        if (const Json* args = Field(e, "args")) {
          ASSIGN_OR_RETURN(hook.args, GetTextArray(*args, At(path, "args")));
        }
        if (const Json* env = Field(e, "env")) {
          ASSIGN_OR_RETURN(hook.env, GetEnv(*env, At(path, "env")));
        }
        if (const Json* t = Field(e, "timeout")) {
          ASSIGN_OR_RETURN(int64_t s,
                           GetInt(*t, At(path, "timeout"), 1, std::numeric_limits<int>::max(),
                                  "a timeout (seconds, more than 0)"));
          hook.timeout_seconds = static_cast<int>(s);
        }
        dst->push_back(std::move(hook));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseAnnotations(const Json& root) {
    const Json* obj = Field(root, "annotations");
    std::optional<LandlockSpec> policy;
    LandlockSpec::Mode mode = LandlockSpec::Mode::kOff;
    bool mode_given = false;
    std::string gvisor_key;  // the last gVisor-only annotation given
    ContainerSpec& spec = out_.spec;
    if (obj != nullptr) {
      RETURN_IF_ERROR(CheckObject(*obj, "annotations"));
      for (auto it = obj->begin(); it != obj->end(); ++it) {  // sorted by key
        const std::string& key = it.key();
        const std::string path = AtKey("annotations", key);
        if (key.empty()) return Bad(path, "an annotation key is empty");
        ASSIGN_OR_RETURN(std::string value, GetString(it.value(), path));
        if (!absl::StartsWith(key, kAnnPrefix)) {
          spec.annotations.emplace_back(key, std::move(value));
          continue;
        }
        if (key == kAnnInit) {
          if (value != "true" && value != "false") {
            return Bad(path, absl::StrCat(Quote(value, 64), " is not true or false"));
          }
          spec.init = value == "true";
        } else if (key == kAnnLandlock) {
          if (value == "off") {
            mode = LandlockSpec::Mode::kOff;
          } else if (value == "best-effort") {
            mode = LandlockSpec::Mode::kBestEffort;
          } else if (value == "strict") {
            mode = LandlockSpec::Mode::kStrict;
          } else {
            return Bad(path, absl::StrCat(Quote(value, 64), " is not off, best-effort or strict"));
          }
          mode_given = true;
        } else if (key == kAnnPolicy) {
          absl::StatusOr<LandlockSpec> parsed = ParseLandlockPolicy(value);
          if (!parsed.ok()) return Bad(path, parsed.status().message());
          policy = std::move(*parsed);
        } else if (key == kAnnBackend) {
          std::optional<ContainerSpec::BackendKind> kind = ParseBackendKind(value);
          if (!kind) {
            return Bad(path, absl::StrCat(Quote(value, 64), " is not native, gvisor or auto"));
          }
          spec.backend = *kind;
        } else if (key == kAnnGvisorPlatform) {
          if (value != "auto" && value != "kvm" && value != "systrap" && value != "ptrace") {
            return Bad(path,
                       absl::StrCat(Quote(value, 64), " is not auto, kvm, systrap or ptrace"));
          }
          spec.gvisor_platform = value;
          gvisor_key = key;
        } else if (key == kAnnGvisorNetwork) {
          if (value != "none" && value != "sandbox" && value != "host") {
            return Bad(path, absl::StrCat(Quote(value, 64), " is not none, sandbox or host"));
          }
          spec.gvisor_network = value;
          gvisor_key = key;
        } else {
          return Bad(path,
                     "is not a nucleus annotation (run.nucleus.init, run.nucleus.landlock, "
                     "run.nucleus.landlock.policy, run.nucleus.backend, "
                     "run.nucleus.gvisor.platform, run.nucleus.gvisor.network)");
        }
      }
    }
    if (!gvisor_key.empty() && spec.backend == ContainerSpec::BackendKind::kNative) {
      Warn(absl::StrCat("annotations['", gvisor_key, "']: has no effect with the native backend (",
                        kAnnBackend, ")"));
    }
    if (policy) spec.landlock = std::move(*policy);
    spec.landlock.mode = mode;
    if (policy && mode == LandlockSpec::Mode::kOff) {
      Warn(absl::StrCat("annotations['", kAnnPolicy, "']: has no effect with ", kAnnLandlock,
                        mode_given ? "=off" : " off (the default for config.json)"));
    }
    return absl::OkStatus();
  }

  const std::string bundle_;
  OciConfig& out_;
};

// ---- the writer ----

OJson MountJson(const MountSpec& m) {
  OJson j = OJson::object();
  j["destination"] = m.destination;
  OJson options = OJson::array();
  auto flags = [&] {
    if (m.read_only) options.push_back("ro");
    if (m.nosuid) options.push_back("nosuid");
    if (m.nodev) options.push_back("nodev");
    if (m.noexec) options.push_back("noexec");
  };
  if (m.type == MountSpec::Type::kBind) {
    j["type"] = "bind";
    j["source"] = m.source;
    options.push_back(m.recursive ? "rbind" : "bind");
    flags();
  } else {
    const char* type = "tmpfs";
    for (const MountTypeName& t : kMountTypes) {
      if (t.type == m.type) {
        type = t.name;
        break;
      }
    }
    j["type"] = type;
    j["source"] = m.source.empty() ? type : m.source;
    flags();
    if (m.type == MountSpec::Type::kTmpfs) {
      options.push_back(absl::StrCat("mode=", FormatOctal(m.tmpfs_mode & 07777)));
      if (m.tmpfs_size > 0) options.push_back(absl::StrCat("size=", FormatTmpfsSize(m.tmpfs_size)));
    }
    for (const std::string& o : m.fs_options) options.push_back(o);
  }
  j["options"] = std::move(options);
  return j;
}

OJson FixedMount(const char* dst, const char* type, const char* source,
                 const std::vector<std::string>& options) {
  OJson j = OJson::object();
  j["destination"] = dst;
  j["type"] = type;
  j["source"] = source;
  OJson o = OJson::array();
  for (const std::string& x : options) o.push_back(x);
  j["options"] = std::move(o);
  return j;
}

OJson ProcessJson(const ProcessSpec& p) {
  OJson j = OJson::object();
  j["terminal"] = p.terminal;
  OJson user = OJson::object();
  user["uid"] = p.uid;
  user["gid"] = p.gid;
  if (!p.additional_gids.empty()) user["additionalGids"] = p.additional_gids;
  j["user"] = std::move(user);
  j["args"] = p.args;
  j["env"] = p.env;
  j["cwd"] = p.cwd;
  OJson names = OJson::array();
  for (int cap : p.capabilities) names.push_back(CapabilityName(cap));
  OJson caps = OJson::object();
  for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
    caps[set] = names;
  }
  j["capabilities"] = std::move(caps);
  if (!p.rlimits.empty()) {
    OJson rlimits = OJson::array();
    for (const Rlimit& r : p.rlimits) {
      std::optional<std::string> name = RlimitNameOf(r.resource);
      OJson x = OJson::object();
      x["type"] = absl::StrCat("RLIMIT_", absl::AsciiStrToUpper(name ? *name : r.name));
      x["hard"] = r.hard;
      x["soft"] = r.soft;
      rlimits.push_back(std::move(x));
    }
    j["rlimits"] = std::move(rlimits);
  }
  j["noNewPrivileges"] = p.no_new_privileges;
  if (p.oom_score_adj) j["oomScoreAdj"] = *p.oom_score_adj;
  return j;
}

OJson ResourcesJson(const ResourcesSpec& r) {
  OJson j = OJson::object();
  OJson devices = OJson::array();
  devices.push_back(OJson{{"allow", false}, {"access", "rwm"}});
  for (const ResourcesSpec::DeviceAllow& d : r.device_allow) {
    OJson x = OJson::object();
    x["allow"] = true;
    x["type"] = std::string(1, d.type);
    if (d.major != -1) x["major"] = d.major;
    if (d.minor != -1) x["minor"] = d.minor;
    x["access"] = d.access;
    devices.push_back(std::move(x));
  }
  j["devices"] = std::move(devices);
  OJson memory = OJson::object();
  if (r.memory) memory["limit"] = *r.memory;
  if (r.memory_reservation) memory["reservation"] = *r.memory_reservation;
  if (r.memory_swap) memory["swap"] = *r.memory_swap;
  if (!memory.empty()) j["memory"] = std::move(memory);
  OJson cpu = OJson::object();
  if (r.cpu_shares) {
    cpu["shares"] = *r.cpu_shares;
  } else if (r.cpu_weight) {
    cpu["shares"] = CpuWeightToShares(*r.cpu_weight);  // OCI 1.0 has only the v1 scale
  }
  if (r.cpu_quota_us) cpu["quota"] = *r.cpu_quota_us;
  if (r.cpu_quota_us || r.cpu_period_us != kDefaultCpuPeriod) cpu["period"] = r.cpu_period_us;
  if (!r.cpuset_cpus.empty()) cpu["cpus"] = r.cpuset_cpus;
  if (!r.cpuset_mems.empty()) cpu["mems"] = r.cpuset_mems;
  if (!cpu.empty()) j["cpu"] = std::move(cpu);
  if (r.pids_limit) j["pids"] = OJson{{"limit", *r.pids_limit}};
  if (r.blkio_weight) j["blockIO"] = OJson{{"weight", *r.blkio_weight}};
  return j;
}

OJson HookJson(const HookSpec& h) {
  OJson j = OJson::object();
  j["path"] = h.path;
  if (!h.args.empty()) j["args"] = h.args;
  if (!h.env.empty()) j["env"] = h.env;
  if (h.timeout_seconds > 0) j["timeout"] = h.timeout_seconds;
  return j;
}

OJson LinuxJson(const ContainerSpec& spec) {
  OJson j = OJson::object();
  auto maps = [](const std::vector<IdMapping>& list) {
    OJson out = OJson::array();
    for (const IdMapping& m : list) {
      out.push_back(
          OJson{{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
    }
    return out;
  };
  if (!spec.uid_mappings.empty()) j["uidMappings"] = maps(spec.uid_mappings);
  if (!spec.gid_mappings.empty()) j["gidMappings"] = maps(spec.gid_mappings);
  if (!spec.sysctl.empty()) {
    OJson sysctl = OJson::object();
    for (const auto& [k, v] : spec.sysctl) sysctl[k] = v;
    j["sysctl"] = std::move(sysctl);
  }
  j["resources"] = ResourcesJson(spec.resources);
  const std::string name = CgroupNameOf(spec);
  if (spec.cgroup_parent == kCgroupRootParent && !name.empty()) {
    j["cgroupsPath"] = absl::StrCat("/", name);
  } else if (!spec.cgroup_parent.empty() && !name.empty()) {
    j["cgroupsPath"] = absl::StrCat("/", spec.cgroup_parent, "/", name);
  }
  OJson namespaces = OJson::array();
  for (const NsType& t : kNamespaces) {
    const std::string& path = spec.namespaces.*t.path;
    if (!(spec.namespaces.*t.flag) && path.empty()) continue;
    OJson ns = OJson::object();
    ns["type"] = t.name;
    if (!path.empty()) ns["path"] = path;
    namespaces.push_back(std::move(ns));
  }
  j["namespaces"] = std::move(namespaces);
  if (!spec.devices.empty()) {
    OJson devices = OJson::array();
    for (const DeviceSpec& d : spec.devices) {
      OJson x = OJson::object();
      x["path"] = d.path;
      x["type"] = std::string(1, d.type == 'b' || d.type == 'p' ? d.type : 'c');
      if (d.type != 'p') {
        x["major"] = d.major;
        x["minor"] = d.minor;
      }
      x["fileMode"] = d.file_mode;
      x["uid"] = d.uid;
      x["gid"] = d.gid;
      devices.push_back(std::move(x));
    }
    j["devices"] = std::move(devices);
  }
  if (spec.seccomp) j["seccomp"] = SeccompJson(*spec.seccomp);
  if (!spec.rootfs_propagation.empty()) j["rootfsPropagation"] = spec.rootfs_propagation;
  j["maskedPaths"] = spec.masked_paths;
  j["readonlyPaths"] = spec.readonly_paths;
  return j;
}

}  // namespace

std::string ToOciConfigJson(const ContainerSpec& spec) {
  OJson j = OJson::object();
  j["ociVersion"] = "1.0.2";
  j["process"] = ProcessJson(spec.process);
  j["root"] = OJson{{"path", spec.rootfs.empty() ? std::string("/") : spec.rootfs},
                    {"readonly", spec.readonly_rootfs}};
  if (!spec.hostname.empty()) j["hostname"] = spec.hostname;
  OJson mounts = OJson::array();
  if (spec.default_filesystems) {
    mounts.push_back(FixedMount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(FixedMount("/sys", "sysfs", "sysfs", {"ro", "nosuid", "noexec", "nodev"}));
    mounts.push_back(
        FixedMount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    mounts.push_back(FixedMount("/dev/pts", "devpts", "devpts",
                                {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}));
    mounts.push_back(FixedMount("/dev/shm", "tmpfs", "shm",
                                {"nosuid", "nodev", "noexec", "mode=1777", "size=65536k"}));
    std::vector<std::string> tmp = {"nosuid", "nodev", "mode=1777"};
    if (!spec.tmp_exec) tmp.push_back("noexec");
    mounts.push_back(FixedMount("/tmp", "tmpfs", "tmpfs", tmp));
  }
  for (const MountSpec& m : spec.mounts) mounts.push_back(MountJson(m));
  j["mounts"] = std::move(mounts);
  j["linux"] = LinuxJson(spec);
  if (!spec.hooks.empty()) {
    OJson hooks = OJson::object();
    const std::pair<const char*, const std::vector<HookSpec>*> kinds[] = {
        {"prestart", &spec.hooks.prestart},
        {"createRuntime", &spec.hooks.create_runtime},
        {"createContainer", &spec.hooks.create_container},
        {"startContainer", &spec.hooks.start_container},
        {"poststart", &spec.hooks.poststart},
        {"poststop", &spec.hooks.poststop},
    };
    for (const auto& [key, list] : kinds) {
      if (list->empty()) continue;
      OJson arr = OJson::array();
      for (const HookSpec& h : *list) arr.push_back(HookJson(h));
      hooks[key] = std::move(arr);
    }
    j["hooks"] = std::move(hooks);
  }
  // nucleus's own annotations are computed from the spec; a stale copy in the list loses.
  std::map<std::string, std::string> annotations;
  for (const auto& [k, v] : spec.annotations) {
    if (!absl::StartsWith(k, kAnnPrefix) && !k.empty()) annotations[k] = v;
  }
  annotations[kAnnInit] = spec.init ? "true" : "false";
  annotations[kAnnLandlock] = LandlockModeName(spec.landlock.mode);
  if (HasLandlockPolicy(spec.landlock)) annotations[kAnnPolicy] = LandlockPolicyJson(spec.landlock);
  // The backend and its settings only when not the defaults (config.json stays runc's).
  if (spec.backend != ContainerSpec::BackendKind::kNative) {
    annotations[kAnnBackend] = BackendKindName(spec.backend);
  }
  if (spec.gvisor_platform != "auto") annotations[kAnnGvisorPlatform] = spec.gvisor_platform;
  if (spec.gvisor_network != "none") annotations[kAnnGvisorNetwork] = spec.gvisor_network;
  OJson ann = OJson::object();
  for (const auto& [k, v] : annotations) ann[k] = v;
  j["annotations"] = std::move(ann);
  return j.dump(2, ' ', false, OJson::error_handler_t::replace);
}

absl::StatusOr<OciConfig> ParseOciConfig(absl::string_view text, const std::string& bundle_dir) {
  if (text.size() > kMaxOciConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(kPrefix, text.size(), " bytes, more than ", kMaxOciConfigBytes));
  }
  PathRules rules;
  rules.allow_dotdot = true;
  absl::StatusOr<std::string> bundle = ValidatePath(bundle_dir, rules, "config.json: bundle");
  if (!bundle.ok()) return bundle.status();
  RETURN_IF_ERROR(CheckDepth(text));
  OciConfig out;
  try {
    Json root;
    try {
      root = Json::parse(text.begin(), text.end());
    } catch (const Json::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(kPrefix, "not JSON: ", JsonErrorText(e)));
    }
    RETURN_IF_ERROR(Parser(*bundle, &out).Parse(root));
  } catch (const Json::exception& e) {
    // Every access is type-checked first; this is the belt to those braces.
    return absl::InvalidArgumentError(absl::StrCat(kPrefix, JsonErrorText(e)));
  }
  // What nucleus writes back (state directory, gVisor bundle) must load again.
  if (out.spec.seccomp) {
    size_t size = SeccompJson(*out.spec.seccomp).dump().size();
    if (size > kMaxSeccompProfileBytes) {
      return Bad("linux.seccomp",
                 absl::StrCat("normalized, ", size, " bytes, more than ", kMaxSeccompProfileBytes));
    }
  }
  if (HasLandlockPolicy(out.spec.landlock)) {
    size_t size = LandlockPolicyJson(out.spec.landlock).size();
    if (size > kMaxPolicyBytes) {
      return Bad(AtKey("annotations", kAnnPolicy),
                 absl::StrCat("normalized, ", size, " bytes, more than ", kMaxPolicyBytes));
    }
  }
  size_t size = ToOciConfigJson(out.spec).size();
  if (size > kMaxOciConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(kPrefix, "normalized, ", size, " bytes, more than ", kMaxOciConfigBytes));
  }
  return out;
}

absl::StatusOr<ResourcesSpec> ParseOciResources(absl::string_view text, const ResourcesSpec& base,
                                                std::vector<std::string>* warnings) {
  if (text.size() > kMaxOciConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(text.size(), " bytes, more than ", kMaxOciConfigBytes));
  }
  RETURN_IF_ERROR(CheckDepth(text));
  OciConfig out;
  out.spec.resources = base;
  absl::Status st;
  try {
    Json root;
    try {
      root = Json::parse(text.begin(), text.end());
    } catch (const Json::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("not JSON: ", JsonErrorText(e)));
    }
    st = Parser("/", &out).ParseResourcesOnly(root);
  } catch (const Json::exception& e) {
    st = absl::InvalidArgumentError(JsonErrorText(e));
  }
  // The parser names paths from config.json's top; here the object itself is the top.
  auto strip = [](std::string m) {
    for (const char* from : {"config.json: linux.resources.", "config.json: linux.resources",
                             "config.json: ", "linux.resources."}) {
      m = absl::StrReplaceAll(m, {{from, ""}});
    }
    return m.empty() || m[0] != ':' ? m : m.substr(2);
  };
  if (!st.ok()) return absl::Status(st.code(), strip(std::string(st.message())));
  if (warnings) {
    for (const std::string& w : out.warnings) warnings->push_back(strip(w));
  }
  return out.spec.resources;
}

absl::StatusOr<OciConfig> LoadOciBundle(const std::string& bundle_dir) {
  ASSIGN_OR_RETURN(std::string bundle, ValidateHostPath(bundle_dir, "bundle"));
  const std::string path = bundle == "/" ? "/config.json" : absl::StrCat(bundle, "/config.json");
  // O_NOFOLLOW: a bundle's config.json pointing elsewhere is refused, not followed.
  // O_NONBLOCK: a FIFO must not hang the runtime; only regular files are read.
  UniqueFd fd(RetryEintr([&] {
    return ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  }));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ELOOP) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": is a symbolic link (refused)"));
    }
    return absl::Status(absl::ErrnoToStatusCode(err), absl::StrCat(path, ": ", strerror(err)));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxOciConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", st.st_size, " bytes, more than ", kMaxOciConfigBytes));
  }
  absl::StatusOr<std::string> text = ReadFdToString(fd.get(), kMaxOciConfigBytes);
  if (!text.ok()) return Annotate(text.status(), path);
  absl::StatusOr<OciConfig> config = ParseOciConfig(*text, bundle);
  if (!config.ok()) {
    absl::string_view msg = config.status().message();
    absl::ConsumePrefix(&msg, kPrefix);
    return absl::Status(config.status().code(), absl::StrCat(path, ": ", msg));
  }
  return config;
}

}  // namespace nucleus
