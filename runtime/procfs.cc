#include "runtime/procfs.h"

#include <sched.h>
#include <sys/stat.h>

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/quote.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

constexpr size_t kMaxProcFileBytes = 1 << 20;

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), absl::ascii_isdigit);
}

// A decimal number as the kernel prints it: digits, with a leading '-' for signed types only.
// (absl::SimpleAtoi alone would also take "+1" and surrounding whitespace.)
template <typename T>
bool ParseDecimal(absl::string_view s, T* out) {
  absl::string_view digits = s;
  if (std::is_signed<T>::value && !digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  return AllDigits(digits) && absl::SimpleAtoi(s, out);
}

bool ParseHex64(absl::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 16 || !std::all_of(s.begin(), s.end(), absl::ascii_isxdigit)) {
    return false;
  }
  return absl::SimpleHexAtoi(s, out);
}

absl::Status FieldError(absl::string_view file, absl::string_view field, absl::string_view value,
                        absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": ", field, " ", Quote(value), " ", why));
}

std::string ProcPath(pid_t pid, const std::string& proc_root, absl::string_view file) {
  return absl::StrCat(proc_root, "/", pid == 0 ? std::string("self") : absl::StrCat(pid), "/",
                      file);
}

absl::StatusOr<std::string> ReadProcFile(pid_t pid, const std::string& proc_root,
                                         absl::string_view file, size_t max_bytes) {
  if (pid < 0) {
    return absl::InvalidArgumentError(absl::StrCat("procfs: pid ", pid, " is negative"));
  }
  return ReadFileToString(ProcPath(pid, proc_root, file), max_bytes);
}

// ---- stat ----

// Stat fields after comm, by proc(5) number (3 = state).
class StatFields {
 public:
  explicit StatFields(std::vector<absl::string_view> f) : f_(std::move(f)) {}
  size_t count() const { return f_.size() + 2; }  // fields 1 and 2 precede
  absl::string_view at(int n) const { return f_[n - 3]; }

  template <typename T>
  absl::Status Get(int n, const char* name, T* out) const {
    if (!ParseDecimal(at(n), out)) {
      return FieldError("stat", absl::StrCat("field ", n, " (", name, ")"), at(n),
                        "is not a number");
    }
    return absl::OkStatus();
  }

 private:
  std::vector<absl::string_view> f_;
};

// ---- status ----

template <typename T>
absl::Status ParseIdList(absl::string_view key, absl::string_view value, std::vector<T>* out) {
  out->clear();
  for (absl::string_view part : absl::StrSplit(value, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    T v;
    if (!ParseDecimal(part, &v)) return FieldError("status", key, value, "is not a list of ids");
    out->push_back(v);
  }
  return absl::OkStatus();
}

absl::Status ParseFour(absl::string_view key, absl::string_view value,
                       std::array<uint32_t, 4>* out) {
  std::vector<uint32_t> ids;
  RETURN_IF_ERROR(ParseIdList(key, value, &ids));
  if (ids.size() != 4) return FieldError("status", key, value, "does not hold 4 ids");
  std::copy(ids.begin(), ids.end(), out->begin());
  return absl::OkStatus();
}

template <typename T>
absl::Status ParseStatusNumber(absl::string_view key, absl::string_view value, T* out) {
  if (!ParseDecimal(value, out)) return FieldError("status", key, value, "is not a number");
  return absl::OkStatus();
}

absl::Status ParseCap(absl::string_view key, absl::string_view value, uint64_t* out) {
  if (!ParseHex64(value, out)) return FieldError("status", key, value, "is not a capability mask");
  return absl::OkStatus();
}

// ---- mountinfo ----

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

std::vector<std::string> SplitOptions(absl::string_view s) {
  return absl::StrSplit(s, ',', absl::SkipEmpty());
}

absl::Status MountError(absl::string_view line, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("mountinfo: ", Quote(line), " ", why));
}

}  // namespace

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text) {
  size_t lparen = text.find('(');
  size_t rparen = text.rfind(')');  // comm may itself hold ')': the last one closes it
  if (lparen == absl::string_view::npos || rparen == absl::string_view::npos || rparen < lparen ||
      lparen < 2 || text[lparen - 1] != ' ') {
    return absl::InvalidArgumentError(
        absl::StrCat("stat: ", Quote(text), " is not 'PID (COMM) STATE ...'"));
  }
  ProcStat st;
  absl::string_view pid = text.substr(0, lparen - 1);
  if (!ParseDecimal(pid, &st.pid)) return FieldError("stat", "pid", pid, "is not a number");
  st.comm = std::string(text.substr(lparen + 1, rparen - lparen - 1));
  absl::string_view rest = absl::StripTrailingAsciiWhitespace(text.substr(rparen + 1));
  if (!absl::ConsumePrefix(&rest, " ")) {
    return absl::InvalidArgumentError(absl::StrCat("stat: no space after comm in ", Quote(text)));
  }
  StatFields f(absl::StrSplit(rest, ' ', absl::SkipEmpty()));
  if (f.count() < 24) {
    return absl::InvalidArgumentError(
        absl::StrCat("stat: ", f.count(), " fields, at least 24 expected"));
  }
  if (f.at(3).size() != 1) return FieldError("stat", "field 3 (state)", f.at(3), "is not a letter");
  st.state = f.at(3)[0];
  RETURN_IF_ERROR(f.Get(4, "ppid", &st.ppid));
  RETURN_IF_ERROR(f.Get(5, "pgrp", &st.pgrp));
  RETURN_IF_ERROR(f.Get(6, "session", &st.session));
  RETURN_IF_ERROR(f.Get(7, "tty_nr", &st.tty_nr));
  RETURN_IF_ERROR(f.Get(8, "tpgid", &st.tpgid));
  RETURN_IF_ERROR(f.Get(9, "flags", &st.flags));
  RETURN_IF_ERROR(f.Get(10, "minflt", &st.minflt));
  RETURN_IF_ERROR(f.Get(12, "majflt", &st.majflt));
  RETURN_IF_ERROR(f.Get(14, "utime", &st.utime));
  RETURN_IF_ERROR(f.Get(15, "stime", &st.stime));
  RETURN_IF_ERROR(f.Get(18, "priority", &st.priority));
  RETURN_IF_ERROR(f.Get(19, "nice", &st.nice));
  RETURN_IF_ERROR(f.Get(20, "num_threads", &st.num_threads));
  RETURN_IF_ERROR(f.Get(22, "starttime", &st.starttime));
  RETURN_IF_ERROR(f.Get(23, "vsize", &st.vsize));
  RETURN_IF_ERROR(f.Get(24, "rss", &st.rss));
  return st;
}

absl::StatusOr<ProcStatus> ParseProcStatus(absl::string_view text) {
  ProcStatus s;
  std::vector<std::pair<std::string, std::string>> lines;  // in file order, for stable errors
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("status: line ", line_no, " ", Quote(line), " is not 'Key: value'"));
    }
    std::string key(line.substr(0, colon));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    if (!s.fields.try_emplace(key, value).second) {
      return absl::InvalidArgumentError(absl::StrCat("status: key ", Quote(key), " repeated"));
    }
    lines.emplace_back(std::move(key), std::move(value));
  }
  for (const char* required :
       {"Name", "State", "Pid", "PPid", "Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd"}) {
    if (!s.fields.contains(required)) {
      return absl::InvalidArgumentError(absl::StrCat("status: no ", required, " line"));
    }
  }
  for (const auto& [key, value] : lines) {
    if (key == "Name") {
      s.name = value;
    } else if (key == "State") {
      if (value.empty()) return FieldError("status", key, value, "is empty");
      s.state = value[0];
    } else if (key == "Tgid") {
      RETURN_IF_ERROR(ParseStatusNumber(key, value, &s.tgid));
    } else if (key == "Pid") {
      RETURN_IF_ERROR(ParseStatusNumber(key, value, &s.pid));
    } else if (key == "PPid") {
      RETURN_IF_ERROR(ParseStatusNumber(key, value, &s.ppid));
    } else if (key == "TracerPid") {
      RETURN_IF_ERROR(ParseStatusNumber(key, value, &s.tracer_pid));
    } else if (key == "Uid") {
      RETURN_IF_ERROR(ParseFour(key, value, &s.uid));
    } else if (key == "Gid") {
      RETURN_IF_ERROR(ParseFour(key, value, &s.gid));
    } else if (key == "Groups") {
      RETURN_IF_ERROR(ParseIdList(key, value, &s.groups));
    } else if (key == "NSpid") {
      RETURN_IF_ERROR(ParseIdList(key, value, &s.ns_pid));
    } else if (key == "CapInh") {
      RETURN_IF_ERROR(ParseCap(key, value, &s.cap_inh));
    } else if (key == "CapPrm") {
      RETURN_IF_ERROR(ParseCap(key, value, &s.cap_prm));
    } else if (key == "CapEff") {
      RETURN_IF_ERROR(ParseCap(key, value, &s.cap_eff));
    } else if (key == "CapBnd") {
      RETURN_IF_ERROR(ParseCap(key, value, &s.cap_bnd));
    } else if (key == "CapAmb") {
      uint64_t amb = 0;
      RETURN_IF_ERROR(ParseCap(key, value, &amb));
      s.cap_amb = amb;
    } else if (key == "NoNewPrivs") {
      if (value != "0" && value != "1") return FieldError("status", key, value, "is not 0 or 1");
      s.no_new_privs = value == "1";
    } else if (key == "Seccomp") {
      int mode = 0;
      RETURN_IF_ERROR(ParseStatusNumber(key, value, &mode));
      s.seccomp = mode;
    }
  }
  return s;
}

std::string UnescapeMountField(absl::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    // \ooo with ooo <= 0377: one byte. Anything else is kept as it stands.
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] <= '3' && IsOctal(field[i + 1]) &&
        IsOctal(field[i + 2]) && IsOctal(field[i + 3])) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

absl::StatusOr<MountInfo> ParseMountInfoLine(absl::string_view line) {
  // Split on single spaces, keeping empty fields: an empty source prints as nothing between
  // two spaces. Spaces inside paths are escaped, so they never split a field.
  if (line.find('\n') != absl::string_view::npos) return MountError(line, "holds a newline");
  std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
  auto sep = std::find(f.begin() + std::min<size_t>(f.size(), 6), f.end(), "-");
  if (f.size() < 10 || sep == f.end()) return MountError(line, "has too few fields");
  if (f.end() - sep != 4) return MountError(line, "does not end in '- FSTYPE SOURCE OPTIONS'");
  MountInfo m;
  if (!ParseDecimal(f[0], &m.mount_id) || !ParseDecimal(f[1], &m.parent_id)) {
    return MountError(line, "has a bad mount id");
  }
  std::pair<absl::string_view, absl::string_view> dev = absl::StrSplit(f[2], ':');
  if (!AllDigits(dev.first) || !AllDigits(dev.second) || !absl::SimpleAtoi(dev.first, &m.major) ||
      !absl::SimpleAtoi(dev.second, &m.minor) || f[2].find(':') != f[2].rfind(':')) {
    return MountError(line, "has a bad MAJOR:MINOR");
  }
  m.root = UnescapeMountField(f[3]);
  m.mount_point = UnescapeMountField(f[4]);
  if (m.root.empty() || m.mount_point.empty()) return MountError(line, "has an empty path");
  m.mount_options = SplitOptions(f[5]);
  for (auto it = f.begin() + 6; it != sep; ++it) {
    if (!it->empty()) m.optional_fields.emplace_back(*it);
  }
  m.fstype = UnescapeMountField(sep[1]);
  if (m.fstype.empty()) return MountError(line, "has an empty fstype");
  m.source = UnescapeMountField(sep[2]);
  m.super_options = SplitOptions(sep[3]);
  return m;
}

absl::StatusOr<std::vector<MountInfo>> ParseMountInfo(absl::string_view text) {
  std::vector<MountInfo> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    auto m = ParseMountInfoLine(line);
    if (!m.ok()) return Annotate(m.status(), absl::StrCat("line ", line_no));
    out.push_back(std::move(*m));
  }
  return out;
}

absl::StatusOr<ProcStat> ReadProcStat(pid_t pid, const std::string& proc_root) {
  ASSIGN_OR_RETURN(std::string text, ReadProcFile(pid, proc_root, "stat", kMaxProcFileBytes));
  auto st = ParseProcStat(text);
  if (!st.ok()) return Annotate(st.status(), ProcPath(pid, proc_root, "stat"));
  return st;
}

absl::StatusOr<ProcStatus> ReadProcStatus(pid_t pid, const std::string& proc_root) {
  ASSIGN_OR_RETURN(std::string text, ReadProcFile(pid, proc_root, "status", kMaxProcFileBytes));
  auto s = ParseProcStatus(text);
  if (!s.ok()) return Annotate(s.status(), ProcPath(pid, proc_root, "status"));
  return s;
}

absl::StatusOr<std::vector<MountInfo>> ReadMountInfo(pid_t pid, const std::string& proc_root) {
  // A host with thousands of mounts (kubelet nodes) has a mountinfo of several MiB.
  ASSIGN_OR_RETURN(std::string text, ReadProcFile(pid, proc_root, "mountinfo", 64 << 20));
  auto m = ParseMountInfo(text);
  if (!m.ok()) return Annotate(m.status(), ProcPath(pid, proc_root, "mountinfo"));
  return m;
}

absl::StatusOr<int> NamespacesDifferingFrom(pid_t pid, int candidates) {
  static constexpr struct {
    const char* name;
    int flag;
  } kTypes[] = {{"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},   {"uts", CLONE_NEWUTS},
                {"ipc", CLONE_NEWIPC},   {"net", CLONE_NEWNET},  {"cgroup", CLONE_NEWCGROUP},
                {"pid", CLONE_NEWPID},   {"time", CLONE_NEWTIME}};
  int flags = 0;
  for (const auto& t : kTypes) {
    if (!(candidates & t.flag)) continue;
    struct stat mine, theirs;
    std::string self = absl::StrCat("/proc/self/ns/", t.name);
    std::string other = absl::StrCat("/proc/", pid, "/ns/", t.name);
    if (::stat(self.c_str(), &mine) != 0) return ErrnoStatus("stat", self);
    if (::stat(other.c_str(), &theirs) != 0) return ErrnoStatus("stat", other);
    if (mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev) flags |= t.flag;
  }
  return flags;
}

}  // namespace nucleus
