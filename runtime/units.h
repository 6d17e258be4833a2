// Sizes ("--memory 512m", "--tmpfs /t:size=64m") and rlimits ("--ulimit nofile=1024:4096").
//
// ParseSize follows docker's RAMInBytes (github.com/docker/go-units), binary units:
//   NUMBER [' '] [UNIT] ['i'] ['b']     UNIT: k, m, g, t, p (case-insensitive; 1k = 1024)
// so "512", "512b", "64k", "32m", "32MB", "32MiB", "1g", "1.5g", "32 m" are sizes. A fraction is
// exact and rounds toward zero to whole bytes ("1.5k" = 1536, "0.3" = 0). Refused, unlike
// docker: 'i' without a unit ("512i"), and inputs longer than 64 bytes. The result is at most
// INT64_MAX (what cgroup files and docker accept); more is an error, never a wrap-around.
//
// ParseUlimit follows docker's --ulimit: NAME=SOFT[:HARD], HARD defaulting to SOFT, NAME one of
// core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime,
// sigpending, stack, as (case-insensitive). A value is a decimal number, "-1" or "unlimited"
// (both RLIM_INFINITY); SOFT <= HARD is required (unlimited is the largest).
//
// Pure functions. Errors are InvalidArgument, one line, naming the flag and the value:
//   "--memory: '12xb' is not a size".
//
//   ASSIGN_OR_RETURN(uint64_t bytes, ParseSize("1.5g", "--memory"));   // 1610612736
//   ASSIGN_OR_RETURN(Rlimit lim, ParseUlimit("nofile=1024:4096", "--ulimit"));
#ifndef NUCLEUS_RUNTIME_UNITS_H_
#define NUCLEUS_RUNTIME_UNITS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// Bytes in `text`, docker's rules above. `flag` starts the error message.
absl::StatusOr<uint64_t> ParseSize(absl::string_view text, absl::string_view flag);

// The RLIMIT_* number for a docker ulimit name ("nofile" -> RLIMIT_NOFILE), case-insensitive.
std::optional<int> RlimitResourceByName(absl::string_view name);
// The docker ulimit names, sorted.
std::vector<std::string> RlimitNames();

// One --ulimit value. Rlimit::name is the lower-case docker name.
absl::StatusOr<Rlimit> ParseUlimit(absl::string_view text, absl::string_view flag);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UNITS_H_
