#include "runtime/audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "runtime/util/status.h"

namespace nucleus {
namespace {

constexpr char kRedacted[] = "<redacted>";
constexpr const char* kSecretWords[] = {"PASS", "SECRET",  "TOKEN",   "KEY",    "CREDENTIAL",
                                        "AUTH", "PRIVATE", "SESSION", "COOKIE", "CERT"};

// "scheme://user:password@host..." -> "scheme://user:<redacted>@host...".
std::string RedactUrlPassword(absl::string_view arg) {
  size_t scheme = arg.find("://");
  if (scheme == absl::string_view::npos) return std::string(arg);
  size_t start = scheme + 3;
  size_t end = arg.find_first_of("/?#", start);
  absl::string_view authority =
      arg.substr(start, end == absl::string_view::npos ? absl::string_view::npos : end - start);
  size_t at = authority.rfind('@');
  if (at == absl::string_view::npos) return std::string(arg);
  size_t colon = authority.find(':');
  if (colon == absl::string_view::npos || colon > at) return std::string(arg);
  return absl::StrCat(arg.substr(0, start + colon + 1), kRedacted, arg.substr(start + at));
}

}  // namespace

bool IsSecretName(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(name);
  for (const char* w : kSecretWords) {
    if (absl::StrContains(upper, w)) return true;
  }
  return false;
}

std::string RedactEnv(absl::string_view key_value) {
  size_t eq = key_value.find('=');
  if (eq == absl::string_view::npos) return std::string(key_value);
  absl::string_view key = key_value.substr(0, eq);
  if (IsSecretName(key)) return absl::StrCat(key, "=", kRedacted);
  return RedactUrlPassword(key_value);
}

std::vector<std::string> RedactArgs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool redact_next = false;
  for (const std::string& a : args) {
    if (redact_next) {
      out.push_back(kRedacted);
      redact_next = false;
      continue;
    }
    absl::string_view v = a;
    if (absl::StartsWith(v, "-")) {
      absl::string_view name = v;
      while (absl::ConsumePrefix(&name, "-")) {
      }
      size_t eq = name.find('=');
      if (eq != absl::string_view::npos) {
        if (IsSecretName(name.substr(0, eq))) {
          out.push_back(absl::StrCat(v.substr(0, v.size() - name.size() + eq + 1), kRedacted));
          continue;
        }
      } else if (!name.empty() && IsSecretName(name)) {
        out.push_back(a);
        redact_next = true;
        continue;
      }
      out.push_back(RedactUrlPassword(a));
      continue;
    }
    size_t eq = v.find('=');
    if (eq != absl::string_view::npos && eq > 0) {
      out.push_back(RedactEnv(a));
      continue;
    }
    out.push_back(RedactUrlPassword(a));
  }
  return out;
}

std::string RedactedCommandLine(const std::vector<std::string>& args) {
  return absl::StrJoin(RedactArgs(args), " ");
}

AuditLog& AuditLog::Global() {
  static AuditLog* log = new AuditLog();
  return *log;
}

absl::Status AuditLog::Open(const std::string& where) {
  if (owned_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  owned_ = false;
  if (where.empty()) return absl::OkStatus();
  if (where == "-") {
    fd_ = STDERR_FILENO;
    return absl::OkStatus();
  }
  fd_ = ::open(where.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd_ < 0) return ErrnoStatus("--audit-log: open", where);
  owned_ = true;
  return absl::OkStatus();
}

std::string AuditLog::Format(absl::string_view time, absl::string_view event, absl::string_view id,
                             absl::string_view name, const AuditDetail& detail) {
  nlohmann::ordered_json j;
  j["time"] = std::string(time);
  j["id"] = std::string(id);
  j["name"] = std::string(name);
  j["event"] = std::string(event);
  nlohmann::ordered_json d = nlohmann::ordered_json::object();
  for (const auto& [k, v] : detail) d[k] = v;
  j["detail"] = d;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

void AuditLog::Emit(absl::string_view event, absl::string_view id, absl::string_view name,
                    const AuditDetail& detail) {
  if (fd_ < 0) return;
  std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", absl::Now(), absl::UTCTimeZone());
  std::string line = Format(time, event, id, name, detail);
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(line.size()) && !warned_) {
    warned_ = true;
    fprintf(stderr, "nucleus: warning: --audit-log: write failed: %s\n", strerror(errno));
  }
}

}  // namespace nucleus
