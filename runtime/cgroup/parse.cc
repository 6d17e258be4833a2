#include "runtime/cgroup/parse.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/quote.h"

namespace nucleus {
namespace {

// absl::SimpleAtoi takes a leading '+' and surrounding whitespace; the kernel writes neither.
bool ParseU64(absl::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return absl::SimpleAtoi(s, out);
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

std::vector<absl::string_view> Fields(absl::string_view line) {
  return absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

absl::Status LineError(size_t line_no, absl::string_view line, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", line_no, ": ", Quote(line.substr(0, 80)), " ", why));
}

bool IsDeviceNumber(absl::string_view s) {
  std::pair<absl::string_view, absl::string_view> mm = absl::StrSplit(s, absl::MaxSplits(':', 1));
  uint64_t v;
  return s.find(':') != absl::string_view::npos && ParseU64(mm.first, &v) &&
         ParseU64(mm.second, &v);
}

}  // namespace

absl::StatusOr<KeyedValues> ParseKeyedFile(absl::string_view text) {
  KeyedValues out;
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<absl::string_view> f = Fields(line);
    uint64_t v = 0;
    if (f.size() != 2) return LineError(line_no, line, "is not 'KEY VALUE'");
    if (!ParseU64(f[1], &v)) return LineError(line_no, line, "has a value that is not a number");
    if (!out.emplace(std::string(f[0]), v).second) {
      return LineError(line_no, line, "repeats a key");
    }
  }
  return out;
}

absl::StatusOr<uint64_t> ParseSingleValue(absl::string_view text) {
  uint64_t v = 0;
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (!ParseU64(s, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(s.substr(0, 80)), " is not a number"));
  }
  return v;
}

absl::StatusOr<std::optional<uint64_t>> ParseMaxValue(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (s == "max") return std::optional<uint64_t>();
  uint64_t v = 0;
  if (!ParseU64(s, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(s.substr(0, 80)), " is not a number or 'max'"));
  }
  return std::optional<uint64_t>(v);
}

absl::StatusOr<IoTotals> ParseIoStat(absl::string_view text) {
  IoTotals t;
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<absl::string_view> f = Fields(line);
    if (!IsDeviceNumber(f[0])) return LineError(line_no, line, "does not start with MAJ:MIN");
    for (size_t i = 1; i < f.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(f[i], absl::MaxSplits('=', 1));
      uint64_t v = 0;
      if (f[i].find('=') == absl::string_view::npos || !ParseU64(kv.second, &v)) {
        return LineError(line_no, line, "has a field that is not key=number");
      }
      if (kv.first == "rbytes") t.read_bytes = SaturatingAdd(t.read_bytes, v);
      if (kv.first == "wbytes") t.write_bytes = SaturatingAdd(t.write_bytes, v);
      if (kv.first == "rios") t.read_ios = SaturatingAdd(t.read_ios, v);
      if (kv.first == "wios") t.write_ios = SaturatingAdd(t.write_ios, v);
    }
  }
  return t;
}

absl::StatusOr<IoTotals> ParseBlkioBytes(absl::string_view text) {
  IoTotals t;
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<absl::string_view> f = Fields(line);
    uint64_t v = 0;
    if (f.size() == 2 && f[0] == "Total") {
      if (!ParseU64(f[1], &v)) return LineError(line_no, line, "has a total that is not a number");
      continue;
    }
    if (f.size() != 3 || !IsDeviceNumber(f[0]) || !ParseU64(f[2], &v)) {
      return LineError(line_no, line, "is not 'MAJ:MIN OP N'");
    }
    if (f[1] == "Read") {
      t.read_bytes = SaturatingAdd(t.read_bytes, v);
    } else if (f[1] == "Write") {
      t.write_bytes = SaturatingAdd(t.write_bytes, v);
    } else if (f[1] != "Sync" && f[1] != "Async" && f[1] != "Discard" && f[1] != "Total") {
      return LineError(line_no, line, "has an unknown operation");
    }
  }
  return t;
}

absl::StatusOr<std::vector<pid_t>> ParsePidList(absl::string_view text) {
  std::vector<pid_t> pids;
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    uint64_t v = 0;
    if (!ParseU64(line, &v) || v == 0 ||
        v > static_cast<uint64_t>(std::numeric_limits<pid_t>::max())) {
      return LineError(line_no, line, "is not a pid");
    }
    pids.push_back(static_cast<pid_t>(v));
  }
  return pids;
}

absl::StatusOr<std::vector<ProcCgroupEntry>> ParseProcCgroup(absl::string_view text) {
  std::vector<ProcCgroupEntry> entries;
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    uint64_t id = 0;
    if (f.size() != 3 || !ParseU64(f[0], &id) || id > std::numeric_limits<uint32_t>::max()) {
      return LineError(line_no, line, "is not 'ID:CONTROLLERS:PATH'");
    }
    if (!absl::StartsWith(f[2], "/")) return LineError(line_no, line, "has a relative path");
    ProcCgroupEntry e;
    e.hierarchy_id = static_cast<uint32_t>(id);
    for (absl::string_view c : absl::StrSplit(f[1], ',', absl::SkipEmpty())) {
      e.controllers.emplace_back(c);
    }
    e.path = std::string(f[2]);
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace nucleus
