#include "runtime/hooks.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/quote.h"
#include "runtime/util/status.h"
#include "runtime/util/subprocess.h"

namespace nucleus {
namespace {

constexpr size_t kKeepBytes = 4096;  // of each of stdout and stderr
constexpr size_t kLineBytes = 200;   // of the line quoted in an error

// The first non-empty line, trimmed, at most kLineBytes, control bytes shown as '?'.
std::string FirstLine(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  text = text.substr(0, text.find('\n'));
  text = absl::StripAsciiWhitespace(text);
  std::string line(text.substr(0, kLineBytes));
  for (char& c : line) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return line;
}

}  // namespace

absl::Status RunHook(const HookSpec& hook, absl::string_view phase, size_t index,
                     absl::string_view state_json, const HookNamespaces* ns) {
  const std::string prefix = absl::StrCat("hook ", phase, "[", index, "] ", Quote(hook.path));
  if (hook.path.empty()) return absl::InvalidArgumentError(absl::StrCat(prefix, ": no path"));
  std::vector<std::string> args = hook.args;
  if (args.empty()) args.push_back(hook.path);
  SpawnOptions spawn;
  spawn.program = hook.path;
  spawn.env = &hook.env;  // the hook's own, none when it names none
  // The caller's group may be a terminal's foreground group; a hook must be killable as a
  // unit (with a `sleep` it started) without touching the caller.
  spawn.new_process_group = true;
  spawn.cwd = "/";
  if (ns != nullptr && ns->flags != 0) {
    spawn.setns_pidfd = ns->pidfd;
    spawn.setns_flags = ns->flags;
  }
  RunOptions run;
  run.stdin_data = state_json;
  run.keep = kKeepBytes;
  if (hook.timeout_seconds > 0) run.timeout = absl::Seconds(hook.timeout_seconds);
  absl::StatusOr<Finished> done = RunCommand(args, spawn, run);
  if (!done.ok()) return Annotate(done.status(), prefix);
  if (done->timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(prefix, ": timed out after ", hook.timeout_seconds, " s"));
  }
  if (done->Succeeded()) return absl::OkStatus();
  std::string line = FirstLine(done->err);
  if (line.empty()) line = FirstLine(done->out);
  return absl::FailedPreconditionError(absl::StrCat(prefix, ": ", DescribeWaitStatus(done->wstatus),
                                                    line.empty() ? "" : ": ", line));
}

absl::Status RunHooks(const std::vector<HookSpec>& hooks, absl::string_view phase,
                      absl::string_view state_json, const HookNamespaces* ns) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    RETURN_IF_ERROR(RunHook(hooks[i], phase, i, state_json, ns));
  }
  return absl::OkStatus();
}

std::vector<std::string> RunHooksBestEffort(const std::vector<HookSpec>& hooks,
                                            absl::string_view phase, absl::string_view state_json) {
  std::vector<std::string> warnings;
  for (size_t i = 0; i < hooks.size(); ++i) {
    absl::Status s = RunHook(hooks[i], phase, i, state_json);
    if (!s.ok()) warnings.emplace_back(s.message());
  }
  return warnings;
}

}  // namespace nucleus
