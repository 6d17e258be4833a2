#include "runtime/signals.h"

#include <signal.h>

#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/quote.h"

namespace nucleus {
namespace {

struct Named {
  const char* name;
  int sig;
};

constexpr Named kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},   {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

// The kernel's real-time range (glibc reserves the first two or three for itself; a
// container's programs see the kernel's numbering, so use it).
constexpr int kRtMin = 34;
constexpr int kRtMax = 64;

absl::Status Bad(absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("signal ", Quote(text), ": not a signal name or number (e.g. TERM, 15)"));
}

}  // namespace

absl::StatusOr<int> ParseSignal(absl::string_view text) {
  if (text.empty() || text.size() > 32) return Bad(text);
  int n;
  if (absl::ascii_isdigit(text[0])) {
    if (!absl::SimpleAtoi(text, &n) || n < 1 || n > kRtMax) return Bad(text);
    return n;
  }
  std::string upper = absl::AsciiStrToUpper(text);
  absl::string_view name = upper;
  absl::ConsumePrefix(&name, "SIG");
  for (const Named& s : kSignals) {
    if (name == s.name) return s.sig;
  }
  for (const auto& [prefix, base, dir] :
       {std::tuple<const char*, int, int>{"RTMIN", kRtMin, 1}, {"RTMAX", kRtMax, -1}}) {
    absl::string_view rest = name;
    if (!absl::ConsumePrefix(&rest, prefix)) continue;
    if (rest.empty()) return base;
    if (rest[0] != (dir > 0 ? '+' : '-')) return Bad(text);
    rest.remove_prefix(1);
    if (rest.empty() || !absl::ascii_isdigit(rest[0]) || !absl::SimpleAtoi(rest, &n) ||
        n > kRtMax - kRtMin) {
      return Bad(text);
    }
    return base + dir * n;
  }
  return Bad(text);
}

std::string SignalName(int sig) {
  for (const Named& s : kSignals) {
    if (s.sig == sig) return absl::StrCat("SIG", s.name);
  }
  if (sig == kRtMin) return "SIGRTMIN";
  if (sig == kRtMax) return "SIGRTMAX";
  if (sig > kRtMin && sig < kRtMax) return absl::StrCat("SIGRTMIN+", sig - kRtMin);
  return absl::StrCat("signal ", sig);
}

bool IsForwardedSignal(int sig) {
  switch (sig) {
    case SIGCHLD:
    case SIGKILL:
    case SIGSTOP:
    // Synchronous faults are about the init itself; job-control stops would freeze it.
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE:
    case SIGTRAP:
    case SIGABRT:
    case SIGSYS:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return false;
    default:
      return sig > 0 && sig < NSIG;
  }
}

}  // namespace nucleus
