// The agent workspace: which entries of a --context directory the container gets, walked
// once on the host, and the integrity manifest of what it got.
//
// Contract of WalkContext(spec, dest_dirfd, uid, gid):
//  - Walks spec.source through file descriptors: every directory is opened beneath its
//    parent with O_NOFOLLOW, every entry is lstat'ed (fstatat AT_SYMLINK_NOFOLLOW), so no
//    symlink is ever followed, in or out of the tree, and a directory swapped for a symlink
//    during the walk is refused, not followed. Names are visited sorted (bytewise).
//  - Leaves out every entry ContextExcluded() says is excluded (a directory with everything
//    below it), and sockets, FIFOs and device nodes (listed in `special`).
//  - Limits: more than spec.max_depth directory levels, spec.max_files entries or
//    spec.max_bytes bytes of regular files is an error naming the limit and its flag
//    (--context-limit), not a truncated copy.
//  - dest_dirfd >= 0 (copy mode): makes each entry beneath dest_dirfd: directories and
//    regular files with their permission bits (mode & 0777: never setuid, setgid or sticky),
//    symlinks as symlinks (their text unchanged), all owned by uid:gid (host ids). The
//    destination must be empty; nothing there is ever followed either.
//  - dest_dirfd < 0 (bind mode): only walks.
//  - hash: the sha256 of every regular file, of the bytes read (and, in copy mode, written).
//  Errors are one line and name --context and the entry ("--context '/src': 'a/b': ...").
//
// Manifests are sha256sum's text format: "HEX  ./PATH\n" per regular file, sorted by path;
// PATH is relative to the context's root. ParseManifest reads exactly that (it is fuzzed);
// CheckManifest compares what a walk found with one: every listed file present with the same
// hash, nothing unlisted.
#ifndef NUCLEUS_RUNTIME_WORKSPACE_CONTEXT_H_
#define NUCLEUS_RUNTIME_WORKSPACE_CONTEXT_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// What --context leaves out unless --context-include brings it back: version control,
// environment files, credentials and keys, dependency trees.
inline constexpr const char* kDefaultContextExcludes[] = {
    ".git", ".env*", ".ssh", ".aws", ".gnupg", "*.pem", "*.key", "node_modules"};

// Whether the entry at `rel` (relative, "a/b/.env") is left out: some exclude pattern
// matches it and no include pattern does. A pattern without '/' matches the entry's own
// name; one with '/' matches the whole relative path (fnmatch FNM_PATHNAME).
bool ContextExcluded(const ContextSpec& spec, absl::string_view rel);

struct ContextWalk {
  uint64_t files = 0, dirs = 0, symlinks = 0, bytes = 0;
  std::vector<std::string> excluded;          // relative paths, as met (a directory: not descended)
  std::vector<std::string> special;           // sockets, FIFOs, devices: left out
  std::map<std::string, std::string> sha256;  // relative path -> hex, regular files (hash)
};

absl::StatusOr<ContextWalk> WalkContext(const ContextSpec& spec, int dest_dirfd, uid_t uid,
                                        gid_t gid, bool hash);

// The walk's hashes as a manifest, and back.
std::string FormatManifest(const std::map<std::string, std::string>& sha256);
absl::StatusOr<std::map<std::string, std::string>> ParseManifest(absl::string_view text);

// The walk against the manifest text: OK, or the first difference ("'src/a.py': sha256
// differs", "'new.txt': not in the manifest", "'gone.txt': missing").
absl::Status CheckManifest(const std::map<std::string, std::string>& found,
                           absl::string_view manifest_text);

// After a walk: writes spec.manifest, checks spec.verify (errors name the flag and file).
absl::Status FinishContext(const ContextSpec& spec, const ContextWalk& walk);

// --context-mode bind: walks spec->context.source (limits, manifest, verify as for a copy)
// and adds every excluded entry below /workspace to spec->masked_paths (an empty read-only
// tmpfs over a directory, /dev/null over a file). A no-op for copy mode or no --context.
absl::Status MaskBoundContext(ContainerSpec* spec);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_WORKSPACE_CONTEXT_H_
