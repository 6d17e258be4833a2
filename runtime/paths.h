// Lexical path cleaning and validation for paths named on the command line.
//
// One mechanism, two rule sets:
//  - container paths (mount destinations, --workdir): must be absolute, contain no NUL, no ".."
//    component, no component longer than NAME_MAX and at most PATH_MAX-1 bytes; the result is
//    lexically clean ("//a/./b/" -> "/a/b"). ".." is refused rather than resolved because what
//    it means inside the rootfs depends on symlinks there, which only the backend may follow
//    (with openat2(RESOLVE_IN_ROOT)).
//  - host paths (bind sources, --rootfs, --env-file): relative paths are made absolute against
//    the current directory, then cleaned; ".." is resolved lexically, as docker's filepath.Abs
//    does. Whether the path exists, and what symlinks in it point to, is the backend's business.
// Pure functions (ValidateHostPath reads the cwd only when the path is relative); no I/O here.
// Errors are InvalidArgument, one line, naming `what` (the flag) and the bad value:
//   "--workdir: 'a/b' is not an absolute path".
//
//   ASSIGN_OR_RETURN(std::string dst, ValidateContainerPath("/data/./x/", "--rw"));  // "/data/x"
//   ASSIGN_OR_RETURN(std::string src, ValidateHostPath("out", "--rw"));  // "<cwd>/out"
#ifndef NUCLEUS_RUNTIME_PATHS_H_
#define NUCLEUS_RUNTIME_PATHS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

// Lexically cleans a path, as Go's path.Clean: collapses "//" and "/./", resolves "x/.."
// pairs, drops a trailing '/'. "" -> ".", "/.." -> "/", "a/../.." -> "..". Never touches the
// file system.
std::string CleanPath(absl::string_view path);

// The rules ValidatePath applies, beyond the ones always enforced (non-empty, no NUL,
// at most PATH_MAX-1 bytes, components at most NAME_MAX bytes).
struct PathRules {
  bool require_absolute = true;  // false: a relative path is joined to `base` first
  std::string base;              // absolute directory for relative paths
  bool allow_dotdot = false;     // false: any ".." component is an error
};

// The general mechanism: checks `path` against `rules` and returns it cleaned.
absl::StatusOr<std::string> ValidatePath(absl::string_view path, const PathRules& rules,
                                         absl::string_view what);

// A path inside the container: absolute, no "..", cleaned.
absl::StatusOr<std::string> ValidateContainerPath(absl::string_view path, absl::string_view what);

// A host path, made absolute against `cwd` (itself absolute), ".." resolved lexically.
absl::StatusOr<std::string> ValidateHostPath(absl::string_view path, absl::string_view cwd,
                                             absl::string_view what);
// Same, against the process's current directory (getcwd; its failure is an error).
absl::StatusOr<std::string> ValidateHostPath(absl::string_view path, absl::string_view what);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_PATHS_H_
