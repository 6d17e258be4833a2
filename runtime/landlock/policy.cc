#include "runtime/landlock/policy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/landlock/access.h"
#include "runtime/paths.h"
#include "runtime/quote.h"
#include "runtime/util/json_input.h"
#include "runtime/util/status.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

using Json = nlohmann::ordered_json;  // ordered: the first bad key in file order is reported

absl::Status Bad(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(where.empty() ? std::string(what)
                                                  : absl::StrCat(where, ": ", what));
}

absl::Status WrongType(absl::string_view where, const Json& v, absl::string_view want) {
  return Bad(where, absl::StrCat("expected ", want, ", got ", ShowJsonValue(v)));
}

// nlohmann's own parser is iterative, but a deep document still costs; refuse it before
// parsing. Counts brackets outside strings.
absl::Status CheckDepth(absl::string_view text) {
  if (JsonDeeperThan(text, kMaxPolicyDepth)) {
    return Bad("", absl::StrCat("nested deeper than ", kMaxPolicyDepth, " levels"));
  }
  return absl::OkStatus();
}

absl::Status CheckKeys(const Json& obj, absl::string_view where,
                       std::initializer_list<const char*> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    std::string list;
    for (const char* a : allowed) {
      ok = ok || it.key() == a;
      absl::StrAppend(&list, list.empty() ? "" : ", ", a);
    }
    if (!ok) {
      return Bad(where,
                 absl::StrCat("unknown key ", Quote(it.key(), 64), " (expected ", list, ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ParseAccessWord(const Json& v, const std::string& where) {
  if (!v.is_string()) return WrongType(where, v, "an access right name");
  std::optional<uint64_t> bits = landlock::FsAccessFromName(v.get_ref<const std::string&>());
  if (!bits) {
    return Bad(where, absl::StrCat(ShowJsonValue(v), " is not a Landlock access right (",
                                   landlock::FsAccessNameList(), ")"));
  }
  return *bits;
}

absl::StatusOr<uint64_t> ParseAccess(const Json& v, const std::string& where) {
  if (v.is_string()) return ParseAccessWord(v, where);
  if (!v.is_array()) return WrongType(where, v, "a right name or an array of them");
  if (v.empty()) return Bad(where, "is empty (grant at least one right, e.g. \"ro\")");
  uint64_t bits = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    ASSIGN_OR_RETURN(uint64_t b, ParseAccessWord(v[i], absl::StrCat(where, "[", i, "]")));
    bits |= b;
  }
  return bits;
}

absl::StatusOr<LandlockPathRule> ParsePathRule(const Json& v, const std::string& where) {
  if (!v.is_object()) return WrongType(where, v, "an object {\"path\": ..., \"access\": ...}");
  RETURN_IF_ERROR(CheckKeys(v, where, {"path", "access"}));
  auto path = v.find("path");
  if (path == v.end()) return Bad(where, "missing \"path\"");
  auto access = v.find("access");
  if (access == v.end()) return Bad(where, "missing \"access\"");
  const std::string path_where = where + ".path";
  if (!path->is_string()) return WrongType(path_where, *path, "a string");
  const std::string& text = path->get_ref<const std::string&>();
  LandlockPathRule rule;
  ASSIGN_OR_RETURN(rule.path, ValidateContainerPath(text, path_where));
  if (rule.path != text) {
    return Bad(path_where, absl::StrCat(Quote(text, 64), " is not a clean path (write ",
                                        Quote(rule.path, 64), ")"));
  }
  ASSIGN_OR_RETURN(rule.access, ParseAccess(*access, where + ".access"));
  return rule;
}

absl::StatusOr<std::vector<uint16_t>> ParsePorts(const Json& v, const std::string& where) {
  if (!v.is_array()) return WrongType(where, v, "an array of TCP ports");
  std::set<uint16_t> ports;
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& p = v[i];
    const std::string at = absl::StrCat(where, "[", i, "]");
    bool ok = false;
    if (p.is_number_unsigned()) {
      ok = p.get<uint64_t>() >= 1 && p.get<uint64_t>() <= 65535;
    } else if (p.is_number_integer()) {
      ok = false;  // negative
    } else {
      return WrongType(at, p, "a TCP port number");
    }
    if (!ok) return Bad(at, absl::StrCat(ShowJsonValue(p), " is not a TCP port (1-65535)"));
    ports.insert(static_cast<uint16_t>(p.get<uint64_t>()));
  }
  return std::vector<uint16_t>(ports.begin(), ports.end());
}

}  // namespace

absl::StatusOr<LandlockSpec> ParseLandlockPolicy(absl::string_view text) {
  if (text.size() > kMaxPolicyBytes) {
    return Bad("", absl::StrCat("larger than ", kMaxPolicyBytes, " bytes"));
  }
  RETURN_IF_ERROR(CheckDepth(text));
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the tag.
    absl::string_view msg = e.what();
    size_t tag_end = msg.find("] ");
    if (tag_end != absl::string_view::npos) msg.remove_prefix(tag_end + 2);
    std::string line(msg);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return Bad("", absl::StrCat("invalid JSON: ", line));
  }
  if (!doc.is_object()) return WrongType("", doc, "a JSON object at the top level");
  RETURN_IF_ERROR(
      CheckKeys(doc, "", {"paths", "tcp_connect", "tcp_bind", "scope", "unix_sockets"}));

  LandlockSpec spec;
  if (auto paths = doc.find("paths"); paths != doc.end()) {
    if (!paths->is_array()) return WrongType("paths", *paths, "an array");
    if (paths->size() > kMaxPolicyPaths) {
      return Bad("paths",
                 absl::StrCat("has ", paths->size(), " rules, more than ", kMaxPolicyPaths));
    }
    spec.custom_policy = true;
    for (size_t i = 0; i < paths->size(); ++i) {
      ASSIGN_OR_RETURN(LandlockPathRule rule,
                       ParsePathRule((*paths)[i], absl::StrCat("paths[", i, "]")));
      spec.paths.push_back(std::move(rule));
    }
  }
  if (auto socks = doc.find("unix_sockets"); socks != doc.end()) {
    if (!socks->is_array()) return WrongType("unix_sockets", *socks, "an array of paths");
    if (socks->size() > kMaxPolicyPaths) {
      return Bad("unix_sockets",
                 absl::StrCat("has ", socks->size(), " paths, more than ", kMaxPolicyPaths));
    }
    for (size_t i = 0; i < socks->size(); ++i) {
      const Json& v = (*socks)[i];
      const std::string at = absl::StrCat("unix_sockets[", i, "]");
      if (!v.is_string()) return WrongType(at, v, "a string");
      const std::string& text = v.get_ref<const std::string&>();
      ASSIGN_OR_RETURN(std::string clean, ValidateContainerPath(text, at));
      if (clean != text) {
        return Bad(at, absl::StrCat(Quote(text, 64), " is not a clean path (write ",
                                    Quote(clean, 64), ")"));
      }
      spec.unix_sockets.push_back(std::move(clean));
    }
  }
  if (auto ports = doc.find("tcp_connect"); ports != doc.end()) {
    spec.restrict_tcp_connect = true;
    ASSIGN_OR_RETURN(spec.tcp_connect, ParsePorts(*ports, "tcp_connect"));
  }
  if (auto ports = doc.find("tcp_bind"); ports != doc.end()) {
    spec.restrict_tcp_bind = true;
    ASSIGN_OR_RETURN(spec.tcp_bind, ParsePorts(*ports, "tcp_bind"));
  }
  if (auto scope = doc.find("scope"); scope != doc.end()) {
    if (!scope->is_array()) return WrongType("scope", *scope, "an array of scope names");
    spec.scope_abstract_unix_socket = false;
    spec.scope_signal = false;
    for (size_t i = 0; i < scope->size(); ++i) {
      const Json& s = (*scope)[i];
      const std::string at = absl::StrCat("scope[", i, "]");
      if (!s.is_string()) return WrongType(at, s, "a scope name");
      std::optional<uint64_t> bit = landlock::ScopeFromName(s.get_ref<const std::string&>());
      if (!bit) {
        return Bad(at, absl::StrCat(ShowJsonValue(s),
                                    " is not a Landlock scope (abstract_unix_socket, signal)"));
      }
      if (*bit == landlock::kScopeAbstractUnixSocket) spec.scope_abstract_unix_socket = true;
      if (*bit == landlock::kScopeSignal) spec.scope_signal = true;
    }
  }
  return spec;
}

absl::StatusOr<LandlockSpec> LoadLandlockPolicy(const std::string& path) {
  const std::string flag = absl::StrCat("--landlock-policy ", path);
  // stat first: opening a FIFO or a device (a watchdog, a tape) can block or act.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Annotate(ErrnoStatus("stat", path), flag);
  if (!S_ISREG(st.st_mode)) return Bad(flag, "not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxPolicyBytes) {
    return Bad(flag, absl::StrCat("larger than ", kMaxPolicyBytes, " bytes"));
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) return Annotate(ErrnoStatus("open", path), flag);
  struct stat again;
  if (::fstat(fd.get(), &again) != 0) return Annotate(ErrnoStatus("fstat", path), flag);
  if (!S_ISREG(again.st_mode) || again.st_ino != st.st_ino || again.st_dev != st.st_dev) {
    return Bad(flag, "changed while it was opened");
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Annotate(ErrnoStatus("read", path), flag);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxPolicyBytes) {
      return Bad(flag, absl::StrCat("larger than ", kMaxPolicyBytes, " bytes"));
    }
  }
  absl::StatusOr<LandlockSpec> spec = ParseLandlockPolicy(text);
  if (!spec.ok()) return Annotate(spec.status(), flag);
  return spec;
}

}  // namespace nucleus
