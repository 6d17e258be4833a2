// The workload's environment: a clean default plus --env and --env-file, filtered.
//
// Contract:
//  - Nothing is inherited from nucleus's own environment except by name (`--env KEY`).
//  - Defaults: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin and HOME (the
//    user's home from the container's etc/passwd when the caller knows it, else "/root" for
//    uid 0 and "/" for anyone else). TERM and everything else only when the caller sets them.
//  - `--env KEY=VALUE` sets; `--env KEY` copies KEY from nucleus's environment, and when KEY
//    is not set there it unsets KEY (defaults included), as docker does. Later settings of a
//    key override earlier ones; a key keeps the position of its first setting.
//  - `--env-file FILE`, docker's format: one KEY=VALUE (or bare KEY, as above) per line,
//    leading whitespace ignored, blank lines and lines starting with '#' skipped, a trailing
//    '\r' dropped, no quote or escape processing (VALUE is taken verbatim). Errors name
//    FILE:LINE.
//  - Keys must be non-empty and contain no '=', NUL, whitespace or control character; values
//    no NUL. Such input is an error (InvalidArgument, one line).
//  - Refused keys never reach the workload: the dynamic loader's LD_* variables and glibc's
//    secure-mode list (sysdeps/generic/unsecvars.h: GCONV_PATH, GLIBC_TUNABLES, HOSTALIASES,
//    LOCALDOMAIN, LOCPATH, MALLOC_TRACE, NIS_PATH, NLSPATH, RESOLV_HOST_CONF, RES_OPTIONS,
//    TZDIR, GETCONF_DIR; TMPDIR is on glibc's list but passes: it loads no code and workloads
//    set it routinely). A refused key is not an error: it is dropped and a warning is recorded
//    for the CLI to print.
// Not thread-safe; one builder per parse.
//
//   EnvBuilder env;
//   RETURN_IF_ERROR(env.AddFlag("DEBUG=1"));
//   RETURN_IF_ERROR(env.AddFile("vars.env"));
//   spec.process.env = env.Build(/*uid=*/1000);  // {"PATH=...", "HOME=/", "DEBUG=1", ...}
//   for (const std::string& w : env.warnings()) PrintWarning(w);
#ifndef NUCLEUS_RUNTIME_ENV_H_
#define NUCLEUS_RUNTIME_ENV_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace nucleus {

inline constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// True for the loader / glibc secure-mode variables listed above (exact, case-sensitive).
bool IsRefusedEnvKey(absl::string_view key);
// The refused keys, sorted.
std::vector<std::string> RefusedEnvKeys();

// OK when `key` may name an environment variable; else "WHERE: 'A B' is not a valid variable
// name (...)".
absl::Status ValidateEnvKey(absl::string_view key, absl::string_view where);

// Looks a key up in nucleus's own environment; tests inject their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string& key)>;
std::optional<std::string> LookupProcessEnv(const std::string& key);

class EnvBuilder {
 public:
  explicit EnvBuilder(EnvLookup lookup = LookupProcessEnv);

  // One --env value: "KEY=VALUE" or "KEY".
  absl::Status AddFlag(absl::string_view arg);
  // The text of an --env-file; `file_name` appears in errors and warnings.
  absl::Status AddFileText(absl::string_view text, absl::string_view file_name);
  // Reads an --env-file (at most 1 MiB; a pipe such as <(...) works) and adds its text.
  absl::Status AddFile(const std::string& path);

  // "KEY=VALUE" strings: the defaults not overridden, then the caller's keys in order.
  // `home` (from passwd) replaces the uid-based HOME default when non-empty.
  std::vector<std::string> Build(uid_t uid, absl::string_view home = "") const;

  // One line per refused key, e.g. "--env: LD_PRELOAD refused: ...".
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // value nullopt: unset. `where` prefixes errors and warnings ("--env", "--env-file f:3").
  absl::Status Set(absl::string_view key, std::optional<std::string> value,
                   absl::string_view where);
  // "KEY=VALUE" or "KEY" from --env or one env-file line.
  absl::Status AddAssignment(absl::string_view text, absl::string_view where);

  EnvLookup lookup_;
  std::vector<std::string> order_;  // keys in order of first setting
  absl::flat_hash_map<std::string, std::optional<std::string>> values_;
  std::vector<std::string> warnings_;
};

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_ENV_H_
