#include "runtime/env.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/quote.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

constexpr size_t kMaxEnvFileBytes = 1 << 20;

// The loader's variables (glibc's elf/rtld.c and musl's ldso) and glibc's secure-mode list
// (sysdeps/generic/unsecvars.h, sysdeps/x86 adds LD_PREFER_MAP_32BIT_EXEC). Each one either
// loads code into the workload's processes or points glibc at attacker-chosen files.
constexpr const char* kRefusedKeys[] = {
    "GCONV_PATH",
    "GETCONF_DIR",
    "GLIBC_TUNABLES",
    "HOSTALIASES",
    "LD_ASSUME_KERNEL",
    "LD_AUDIT",
    "LD_BIND_NOT",
    "LD_BIND_NOW",
    "LD_DEBUG",
    "LD_DEBUG_OUTPUT",
    "LD_DYNAMIC_WEAK",
    "LD_HWCAP_MASK",
    "LD_LIBRARY_PATH",
    "LD_NOWARN",
    "LD_ORIGIN_PATH",
    "LD_POINTER_GUARD",
    "LD_PREFER_MAP_32BIT_EXEC",
    "LD_PRELOAD",
    "LD_PROFILE",
    "LD_PROFILE_OUTPUT",
    "LD_SHOW_AUXV",
    "LD_TRACE_LOADED_OBJECTS",
    "LD_TRACE_PRELINKING",
    "LD_USE_LOAD_BIAS",
    "LD_VERBOSE",
    "LD_WARN",
    "LOCALDOMAIN",
    "LOCPATH",
    "MALLOC_TRACE",
    "NIS_PATH",
    "NLSPATH",
    "RESOLV_HOST_CONF",
    "RES_OPTIONS",
    "TZDIR",
};

bool IsBadKeyChar(unsigned char c) {
  return c == '=' || c == '\0' || absl::ascii_isspace(c) || absl::ascii_iscntrl(c);
}

}  // namespace

bool IsRefusedEnvKey(absl::string_view key) {
  for (const char* refused : kRefusedKeys) {
    if (key == refused) return true;
  }
  return false;
}

std::vector<std::string> RefusedEnvKeys() {
  std::vector<std::string> keys(std::begin(kRefusedKeys), std::end(kRefusedKeys));
  std::sort(keys.begin(), keys.end());
  return keys;
}

absl::Status ValidateEnvKey(absl::string_view key, absl::string_view where) {
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": empty variable name"));
  }
  if (std::any_of(key.begin(), key.end(), [](char c) { return IsBadKeyChar(c); })) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", Quote(key),
                     " is not a valid variable name (no '=', whitespace or control "
                     "characters)"));
  }
  return absl::OkStatus();
}

std::optional<std::string> LookupProcessEnv(const std::string& key) {
  const char* v = std::getenv(key.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

EnvBuilder::EnvBuilder(EnvLookup lookup) : lookup_(std::move(lookup)) {}

absl::Status EnvBuilder::Set(absl::string_view key, std::optional<std::string> value,
                             absl::string_view where) {
  RETURN_IF_ERROR(ValidateEnvKey(key, where));
  if (IsRefusedEnvKey(key)) {
    warnings_.push_back(absl::StrCat(
        where, ": ", key, " refused: dynamic-loader variables never reach the workload"));
    return absl::OkStatus();
  }
  if (value && value->find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the value of ", Quote(key), " contains a NUL byte"));
  }
  std::string k(key);
  auto [it, inserted] = values_.try_emplace(k, std::nullopt);
  if (inserted) order_.push_back(k);
  it->second = std::move(value);
  return absl::OkStatus();
}

absl::Status EnvBuilder::AddAssignment(absl::string_view text, absl::string_view where) {
  size_t eq = text.find('=');
  if (eq != absl::string_view::npos) {
    return Set(text.substr(0, eq), std::string(text.substr(eq + 1)), where);
  }
  // Bare KEY: validate before asking the environment, so junk never reaches getenv().
  RETURN_IF_ERROR(ValidateEnvKey(text, where));
  return Set(text, lookup_ ? lookup_(std::string(text)) : std::nullopt, where);
}

absl::Status EnvBuilder::AddFlag(absl::string_view arg) { return AddAssignment(arg, "--env"); }

absl::Status EnvBuilder::AddFileText(absl::string_view text, absl::string_view file_name) {
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = absl::StripLeadingAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    RETURN_IF_ERROR(
        AddAssignment(line, absl::StrCat("--env-file ", absl::CEscape(file_name), ":", line_no)));
  }
  return absl::OkStatus();
}

absl::Status EnvBuilder::AddFile(const std::string& path) {
  auto text = ReadFileToString(path, kMaxEnvFileBytes);
  if (!text.ok()) return Annotate(text.status(), "--env-file");
  return AddFileText(*text, path);
}

std::vector<std::string> EnvBuilder::Build(uid_t uid, absl::string_view home) const {
  std::vector<std::string> out;
  std::string default_home = !home.empty() ? std::string(home) : uid == 0 ? "/root" : "/";
  const std::pair<const char*, std::string> defaults[] = {{"PATH", kDefaultPath},
                                                          {"HOME", default_home}};
  for (const auto& [key, value] : defaults) {
    if (!values_.contains(key)) out.push_back(absl::StrCat(key, "=", value));
  }
  for (const std::string& key : order_) {
    const std::optional<std::string>& value = values_.at(key);
    if (value) out.push_back(absl::StrCat(key, "=", *value));
  }
  return out;
}

}  // namespace nucleus
