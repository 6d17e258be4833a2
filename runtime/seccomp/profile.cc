#include "runtime/seccomp/profile.h"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <utility>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "runtime/quote.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

using Json = nlohmann::json;

// errno values fit in SECCOMP_RET_DATA (16 bits), but the kernel only treats up to
// MAX_ERRNO (4095) as an error return, and libseccomp 2.5.4 refuses 4095 itself (EINVAL from
// seccomp_init / rule_add, found by //fuzz:seccomp_bpf_diff_fuzz): accept what compiles.
constexpr uint64_t kMaxErrno = 4094;

// The native architecture's names in includes/excludes.arches (docker uses Go's GOARCH).
bool IsNativeArchName(const std::string& name) {
#if defined(__x86_64__)
  return name == "amd64" || name == "x86_64";
#elif defined(__aarch64__)
  return name == "arm64" || name == "aarch64";
#else
  return false;
#endif
}

absl::Status Bad(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// A JSON value as it appears in messages: the scalar's text, or the compact dump, quoted and
// shortened.
std::string Show(const Json& v) {
  if (v.is_string()) return Quote(v.get_ref<const std::string&>());
  std::string dump = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return Quote(dump, 64);
}

const char* TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::binary:
      return "binary";
    case Json::value_t::discarded:
      return "invalid";
    default:
      return "a number";
  }
}

absl::Status WrongType(absl::string_view path, const Json& v, absl::string_view want) {
  return Bad(path, absl::StrCat(Show(v), " is ", TypeName(v), ", not ", want));
}

absl::StatusOr<std::string> GetString(const Json& v, absl::string_view path) {
  if (!v.is_string()) return WrongType(path, v, "a string");
  return v.get<std::string>();
}

absl::StatusOr<uint64_t> GetU64(const Json& v, absl::string_view path, uint64_t max) {
  if (!v.is_number_unsigned()) {
    if (v.is_number_integer() || v.is_number_float()) {
      return Bad(path, absl::StrCat(Show(v), " is not an integer 0..", max));
    }
    return WrongType(path, v, absl::StrCat("an integer 0..", max));
  }
  uint64_t n = v.get<uint64_t>();
  if (n > max) return Bad(path, absl::StrCat(Show(v), " is not an integer 0..", max));
  return n;
}

absl::StatusOr<SeccompAction> ParseAction(const Json& v, absl::string_view path) {
  ASSIGN_OR_RETURN(std::string name, GetString(v, path));
  static const std::pair<const char*, SeccompAction> kActions[] = {
      {"SCMP_ACT_ALLOW", SeccompAction::kAllow},
      {"SCMP_ACT_ERRNO", SeccompAction::kErrno},
      {"SCMP_ACT_KILL", SeccompAction::kKillThread},
      {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
      {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess},
      {"SCMP_ACT_TRAP", SeccompAction::kTrap},
      {"SCMP_ACT_TRACE", SeccompAction::kTrace},
      {"SCMP_ACT_LOG", SeccompAction::kLog},
  };
  for (const auto& [n, a] : kActions) {
    if (name == n) return a;
  }
  if (name == "SCMP_ACT_NOTIFY") {
    return Bad(path, absl::StrCat(Quote(name), " is not supported by nucleus (no seccomp agent)"));
  }
  return Bad(path, absl::StrCat(Quote(name), " is not a seccomp action"));
}

absl::StatusOr<SeccompArg::Op> ParseOp(const Json& v, absl::string_view path) {
  ASSIGN_OR_RETURN(std::string name, GetString(v, path));
  static const std::pair<const char*, SeccompArg::Op> kOps[] = {
      {"SCMP_CMP_NE", SeccompArg::Op::kNotEqual},
      {"SCMP_CMP_LT", SeccompArg::Op::kLessThan},
      {"SCMP_CMP_LE", SeccompArg::Op::kLessEqual},
      {"SCMP_CMP_EQ", SeccompArg::Op::kEqualTo},
      {"SCMP_CMP_GE", SeccompArg::Op::kGreaterEqual},
      {"SCMP_CMP_GT", SeccompArg::Op::kGreaterThan},
      {"SCMP_CMP_MASKED_EQ", SeccompArg::Op::kMaskedEqual},
  };
  for (const auto& [n, op] : kOps) {
    if (name == n) return op;
  }
  return Bad(path, absl::StrCat(Quote(name), " is not a comparison (SCMP_CMP_EQ, ...)"));
}

absl::StatusOr<std::vector<std::string>> GetStringArray(const Json& v, absl::string_view path) {
  if (!v.is_array()) return WrongType(path, v, "an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    ASSIGN_OR_RETURN(std::string s, GetString(v[i], absl::StrCat(path, "[", i, "]")));
    out.push_back(std::move(s));
  }
  return out;
}

// "6.1.0-18-amd64" / "4.8" -> {major, minor}.
bool ParseKernelVersion(absl::string_view text, std::pair<int, int>* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('.', 2));
  if (parts.size() < 2) return false;
  absl::string_view minor = parts[1];
  size_t end = 0;
  while (end < minor.size() && absl::ascii_isdigit(minor[end])) ++end;
  return absl::SimpleAtoi(parts[0], &out->first) && end > 0 &&
         absl::SimpleAtoi(minor.substr(0, end), &out->second);
}

class Parser {
 public:
  explicit Parser(const SeccompProfileContext& context) : context_(context) {}

  absl::StatusOr<ParsedSeccompProfile> Parse(const Json& root) {
    if (!root.is_object()) return WrongType("profile", root, "an object");
    SeccompSpec& spec = out_.spec;
    auto action = root.find("defaultAction");
    if (action == root.end()) return Bad("defaultAction", "is missing");
    ASSIGN_OR_RETURN(spec.default_action, ParseAction(*action, "defaultAction"));
    spec.default_errno_ret = EPERM;
    if (auto it = root.find("defaultErrnoRet"); it != root.end() && !it->is_null()) {
      ASSIGN_OR_RETURN(uint64_t e, GetU64(*it, "defaultErrnoRet", kMaxErrno));
      if (!TakesErrno(spec.default_action)) {
        return Bad("defaultErrnoRet", "is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
      }
      spec.default_errno_ret = static_cast<uint32_t>(e);
    }
    if (auto it = root.find("architectures"); it != root.end() && !it->is_null()) {
      ASSIGN_OR_RETURN(spec.architectures, GetStringArray(*it, "architectures"));
      for (size_t i = 0; i < spec.architectures.size(); ++i) {
        RETURN_IF_ERROR(CheckArch(spec.architectures[i], absl::StrCat("architectures[", i, "]")));
      }
    }
    if (auto it = root.find("syscalls"); it != root.end() && !it->is_null()) {
      if (!it->is_array()) return WrongType("syscalls", *it, "an array");
      for (size_t i = 0; i < it->size(); ++i) {
        RETURN_IF_ERROR(ParseSyscall((*it)[i], absl::StrCat("syscalls[", i, "]")));
      }
    }
    return std::move(out_);
  }

 private:
  static bool TakesErrno(SeccompAction a) {
    return a == SeccompAction::kErrno || a == SeccompAction::kTrace;
  }

  static absl::Status CheckArch(const std::string& name, const std::string& path) {
    absl::string_view rest = name;
    std::string lower;
    if (absl::ConsumePrefix(&rest, "SCMP_ARCH_")) lower = absl::AsciiStrToLower(rest);
    if (lower.empty() || seccomp_arch_resolve_name(lower.c_str()) == 0) {
      return Bad(path,
                 absl::StrCat(Quote(name), " is not an architecture (SCMP_ARCH_X86_64, ...)"));
    }
    return absl::OkStatus();
  }

  bool Kept(const std::string& cap_name, const std::string& path) {
    cap_value_t cap = -1;
    std::string lower = absl::AsciiStrToLower(cap_name);
    bool word = !lower.empty() && std::all_of(lower.begin(), lower.end(), [](char c) {
      return absl::ascii_isalnum(c) || c == '_';
    });
    if (!absl::StartsWith(lower, "cap_") || !word || cap_from_name(lower.c_str(), &cap) != 0 ||
        cap < 0) {
      out_.warnings.push_back(absl::StrCat(path, ": ", Quote(cap_name),
                                           " is not a capability libcap knows; taken as not kept"));
      return false;
    }
    return std::find(context_.capabilities.begin(), context_.capabilities.end(), cap) !=
           context_.capabilities.end();
  }

  // Whether includes/excludes let the entry apply here (moby's rules, see profile.h).
  absl::StatusOr<bool> Applies(const Json& entry, const std::string& path) {
    bool applies = true;
    for (const char* key : {"includes", "excludes"}) {
      auto it = entry.find(key);
      if (it == entry.end() || it->is_null()) continue;
      const std::string kpath = absl::StrCat(path, ".", key);
      if (!it->is_object()) return WrongType(kpath, *it, "an object");
      const bool include = key[0] == 'i';
      if (auto c = it->find("caps"); c != it->end() && !c->is_null()) {
        ASSIGN_OR_RETURN(std::vector<std::string> caps, GetStringArray(*c, kpath + ".caps"));
        for (size_t i = 0; i < caps.size(); ++i) {
          bool kept = Kept(caps[i], absl::StrCat(kpath, ".caps[", i, "]"));
          if (include ? !kept : kept) applies = false;
        }
      }
      if (auto a = it->find("arches"); a != it->end() && !a->is_null()) {
        ASSIGN_OR_RETURN(std::vector<std::string> arches, GetStringArray(*a, kpath + ".arches"));
        if (!arches.empty()) {
          bool native = std::any_of(arches.begin(), arches.end(), IsNativeArchName);
          if (include ? !native : native) applies = false;
        }
      }
      if (auto k = it->find("minKernel"); include && k != it->end() && !k->is_null()) {
        const std::string mpath = kpath + ".minKernel";
        ASSIGN_OR_RETURN(std::string text, GetString(*k, mpath));
        std::pair<int, int> want, have;
        if (!ParseKernelVersion(text, &want)) {
          return Bad(mpath, absl::StrCat(Quote(text), " is not a kernel version (MAJOR.MINOR)"));
        }
        if (ParseKernelVersion(context_.kernel_release, &have) && have < want) applies = false;
      }
    }
    return applies;
  }

  absl::Status ParseSyscall(const Json& entry, const std::string& path) {
    if (!entry.is_object()) return WrongType(path, entry, "an object");
    SeccompRule rule;
    // Names first, so that every error in the entry is reported even when it does not apply.
    std::vector<std::pair<std::string, std::string>> names;  // name, its JSON path
    auto n = entry.find("names");
    auto single = entry.find("name");
    if (n != entry.end() && !n->is_null()) {
      ASSIGN_OR_RETURN(std::vector<std::string> list, GetStringArray(*n, path + ".names"));
      for (size_t i = 0; i < list.size(); ++i) {
        names.emplace_back(std::move(list[i]), absl::StrCat(path, ".names[", i, "]"));
      }
    }
    if (single != entry.end() && !single->is_null()) {
      ASSIGN_OR_RETURN(std::string name, GetString(*single, path + ".name"));
      names.emplace_back(std::move(name), path + ".name");
    }
    if (names.empty()) return Bad(path, "has no syscall names (\"names\": [...])");
    auto action = entry.find("action");
    if (action == entry.end()) return Bad(path + ".action", "is missing");
    ASSIGN_OR_RETURN(rule.action, ParseAction(*action, path + ".action"));
    rule.errno_ret = EPERM;
    if (auto e = entry.find("errnoRet"); e != entry.end() && !e->is_null()) {
      ASSIGN_OR_RETURN(uint64_t value, GetU64(*e, path + ".errnoRet", kMaxErrno));
      if (!TakesErrno(rule.action)) {
        return Bad(path + ".errnoRet", "is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
      }
      rule.errno_ret = static_cast<uint32_t>(value);
    }
    if (auto a = entry.find("args"); a != entry.end() && !a->is_null()) {
      if (!a->is_array()) return WrongType(path + ".args", *a, "an array");
      if (a->size() > 6) {
        return Bad(path + ".args", absl::StrCat("has ", a->size(), " entries, more than 6"));
      }
      for (size_t i = 0; i < a->size(); ++i) {
        ASSIGN_OR_RETURN(SeccompArg arg, ParseArg((*a)[i], absl::StrCat(path, ".args[", i, "]")));
        rule.args.push_back(arg);
      }
    }
    ASSIGN_OR_RETURN(bool applies, Applies(entry, path));
    if (!applies) return absl::OkStatus();
    for (auto& [name, npath] : names) {
      if (seccomp_syscall_resolve_name(name.c_str()) == __NR_SCMP_ERROR) {
        out_.warnings.push_back(absl::StrCat(npath, ": ", Quote(name),
                                             " is not a system call libseccomp knows; ignored"));
        continue;
      }
      rule.names.push_back(std::move(name));
    }
    if (!rule.names.empty()) out_.spec.syscalls.push_back(std::move(rule));
    return absl::OkStatus();
  }

  absl::StatusOr<SeccompArg> ParseArg(const Json& v, const std::string& path) {
    if (!v.is_object()) return WrongType(path, v, "an object");
    SeccompArg arg;
    auto index = v.find("index");
    if (index == v.end()) return Bad(path + ".index", "is missing");
    ASSIGN_OR_RETURN(uint64_t i, GetU64(*index, path + ".index", 5));
    arg.index = static_cast<uint32_t>(i);
    auto value = v.find("value");
    if (value == v.end()) return Bad(path + ".value", "is missing");
    const uint64_t kMax = std::numeric_limits<uint64_t>::max();
    ASSIGN_OR_RETURN(arg.value, GetU64(*value, path + ".value", kMax));
    if (auto two = v.find("valueTwo"); two != v.end() && !two->is_null()) {
      ASSIGN_OR_RETURN(arg.value_two, GetU64(*two, path + ".valueTwo", kMax));
    }
    auto op = v.find("op");
    if (op == v.end()) return Bad(path + ".op", "is missing");
    ASSIGN_OR_RETURN(arg.op, ParseOp(*op, path + ".op"));
    return arg;
  }

  const SeccompProfileContext& context_;
  ParsedSeccompProfile out_;
};

}  // namespace

SeccompProfileContext SeccompProfileContext::ForHost(std::vector<int> capabilities) {
  SeccompProfileContext c;
  c.capabilities = std::move(capabilities);
  struct utsname u;
  if (::uname(&u) == 0) c.kernel_release = u.release;
  return c;
}

absl::StatusOr<ParsedSeccompProfile> ParseSeccompProfile(absl::string_view json,
                                                         const SeccompProfileContext& context) {
  if (json.size() > kMaxSeccompProfileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("profile: ", json.size(), " bytes, more than ", kMaxSeccompProfileBytes));
  }
  Json root;
  try {
    root = Json::parse(json.begin(), json.end());
  } catch (const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the tag.
    absl::string_view what = e.what();
    if (size_t close = what.find("] "); close != absl::string_view::npos) {
      what.remove_prefix(close + 2);
    }
    std::string msg(what);
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    return absl::InvalidArgumentError(absl::StrCat("not JSON: ", msg));
  }
  return Parser(context).Parse(root);
}

absl::StatusOr<ParsedSeccompProfile> LoadSeccompProfile(const std::string& path,
                                                        const SeccompProfileContext& context) {
  // O_NONBLOCK: a FIFO must not hang the run; only regular files are read.
  UniqueFd fd(RetryEintr(
      [&] { return ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC); }));
  if (!fd.valid()) {
    const int err = errno;  // "PATH: No such file or directory", like every other error here
    return absl::Status(absl::ErrnoToStatusCode(err), absl::StrCat(path, ": ", strerror(err)));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(path), " is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxSeccompProfileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", st.st_size, " bytes, more than the limit of ", kMaxSeccompProfileBytes));
  }
  absl::StatusOr<std::string> text = ReadFdToString(fd.get(), kMaxSeccompProfileBytes);
  if (!text.ok()) return Annotate(text.status(), path);
  absl::StatusOr<ParsedSeccompProfile> parsed = ParseSeccompProfile(*text, context);
  if (!parsed.ok()) return Annotate(parsed.status(), path);
  for (std::string& w : parsed->warnings) w = absl::StrCat(path, ": ", w);
  return parsed;
}

const char* SeccompActionName(SeccompAction action) {
  switch (action) {
    case SeccompAction::kAllow:
      return "SCMP_ACT_ALLOW";
    case SeccompAction::kErrno:
      return "SCMP_ACT_ERRNO";
    case SeccompAction::kKillThread:
      return "SCMP_ACT_KILL_THREAD";
    case SeccompAction::kKillProcess:
      return "SCMP_ACT_KILL_PROCESS";
    case SeccompAction::kTrap:
      return "SCMP_ACT_TRAP";
    case SeccompAction::kTrace:
      return "SCMP_ACT_TRACE";
    case SeccompAction::kLog:
      return "SCMP_ACT_LOG";
  }
  return "SCMP_ACT_?";
}

std::vector<std::string> ResolveOverlapsAsLibseccomp(SeccompSpec* spec) {
  using Key = std::pair<SeccompAction, uint32_t>;
  auto key = [](SeccompAction a, uint32_t ret) {
    bool has_ret = a == SeccompAction::kErrno || a == SeccompAction::kTrace;
    return Key(a, has_ret ? ret : 0);
  };
  const Key def = key(spec->default_action, spec->default_errno_ret);
  // The winning action of each syscall that has an unconditional (non-default) rule.
  std::map<std::string, std::pair<Key, size_t>> winner;
  for (size_t i = 0; i < spec->syscalls.size(); ++i) {
    const SeccompRule& r = spec->syscalls[i];
    Key k = key(r.action, r.errno_ret);
    if (!r.args.empty() || k == def) continue;
    for (const std::string& n : r.names) winner.emplace(n, std::make_pair(k, i));
  }
  std::vector<std::string> warnings;
  std::vector<SeccompRule> kept;
  for (size_t i = 0; i < spec->syscalls.size(); ++i) {
    SeccompRule r = spec->syscalls[i];
    Key k = key(r.action, r.errno_ret);
    std::vector<std::string> names;
    for (const std::string& n : r.names) {
      auto it = winner.find(n);
      if (k != def && it != winner.end() && it->second.first != k) {
        warnings.push_back(absl::StrCat("seccomp: syscalls[", i, "] '", n, "': overridden by the ",
                                        "unconditional rule syscalls[", it->second.second,
                                        "] (as libseccomp resolves it); dropped"));
        continue;
      }
      names.push_back(n);
    }
    if (names.empty()) continue;
    r.names = std::move(names);
    kept.push_back(std::move(r));
  }
  spec->syscalls = std::move(kept);
  return warnings;
}

}  // namespace nucleus
