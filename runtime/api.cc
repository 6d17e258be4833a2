#include "runtime/api.h"

#include <string.h>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"

namespace nucleus {

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
  std::string sig = absl::StrCat("signal ", signal, abbrev ? absl::StrCat(" (SIG", abbrev, ")") : "");
  switch (kind) {
    case Kind::kExited:
      return absl::StrCat("exited ", code);
    case Kind::kSignaled:
      return absl::StrCat("killed by ", sig);
    case Kind::kOom:
      return "killed: out of memory";
    case Kind::kSeccompKill:
      return absl::StrCat("killed by seccomp (", sig, ")");
    case Kind::kTimeout:
      return absl::StrCat("killed: timeout (", sig, ")");
  }
  return "unknown";
}

}  // namespace nucleus
