#include "runtime/api.h"

#include <string.h>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"

namespace nucleus {
namespace {

// "32 MiB", "1.5 GiB", "512 KiB", "100 B": binary units, at most one decimal.
std::string FormatBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  uint64_t whole = bytes, rem = 0;
  while (whole >= 1024 && unit < 6) {
    rem = whole % 1024;
    whole /= 1024;
    ++unit;
  }
  uint64_t tenth = rem * 10 / 1024;
  if (tenth == 0) return absl::StrCat(whole, " ", kUnits[unit]);
  return absl::StrCat(whole, ".", tenth, " ", kUnits[unit]);
}

}  // namespace

ExitInfo ExitInfo::FromWaitStatus(int wstatus) {
  ExitInfo info;
  if (WIFSIGNALED(wstatus)) {
    info.kind = Kind::kSignaled;
    info.signal = WTERMSIG(wstatus);
  } else {
    info.kind = Kind::kExited;
    info.code = WEXITSTATUS(wstatus);
  }
  return info;
}

std::string ExitInfo::Describe() const {
  const char* abbrev = sigabbrev_np(signal);
  std::string sig =
      absl::StrCat("signal ", signal, abbrev ? absl::StrCat(" (SIG", abbrev, ")") : "");
  switch (kind) {
    case Kind::kExited:
      return absl::StrCat("exited ", code);
    case Kind::kSignaled:
      return absl::StrCat("killed by ", sig);
    case Kind::kOom:
      return memory_limit == 0
                 ? "killed: out of memory"
                 : absl::StrCat("killed: out of memory (limit ", FormatBytes(memory_limit), ")");
    case Kind::kSeccompKill:
      return absl::StrCat("killed by seccomp (", sig, ")");
    case Kind::kTimeout:
      return absl::StrCat("killed: timeout (", sig, ")");
  }
  return "unknown";
}

}  // namespace nucleus
