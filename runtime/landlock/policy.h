// `--landlock-policy FILE`: a JSON Landlock policy -> LandlockSpec (runtime/spec/container_spec.h).
//
// Format (every key optional; unknown keys are errors, so a typo never weakens a policy):
//
//   {
//     "paths": [                                   // present: REPLACES the default rules
//       {"path": "/usr", "access": "rx"},
//       {"path": "/data", "access": ["ro", "write_file", "make_reg"]},
//       {"path": "/dev/null", "access": ["read_file", "write_file", "truncate", "ioctl_dev"]}
//     ],
//     "tcp_connect": [443],     // present: TCP connect is handled; only these ports (ABI 4)
//     "tcp_bind": [8080],       // present: TCP bind is handled; only these ports (ABI 4)
//     "scope": ["abstract_unix_socket", "signal"], // present: exactly these scopes (ABI 6);
//                                                  // absent: both; [] turns scoping off
//     "unix_sockets": ["/run/app.sock"]  // pathname sockets made outside the container that
//   }                                    // it may connect to (ABI 9; what --socket adds)
//
//  - "path": an absolute, lexically clean path inside the container ("/a/b", not "/a/b/",
//    "/a/./b" or "/a/../b"); a rule covers the whole hierarchy beneath it. Listing a path
//    more than once grants the union.
//  - "access": one name or a non-empty array of names: the rights of access.h (read_file,
//    read_dir, execute, write_file, truncate, remove_dir, remove_file, make_char, make_dir,
//    make_reg, make_sock, make_fifo, make_block, make_sym, refer, ioctl_dev, resolve_unix) or
//    the shorthands "ro", "rx", "rw", "rwx" (none of which holds resolve_unix). Rights that only
//    apply to directories are dropped by the backend when the path turns out to be a file.
//  - Ports: integers 1-65535; duplicates are merged.
//  - Without "paths" the backend's default rules stay (read+execute everywhere, write to /tmp,
//    the writable mounts and the device nodes), so a policy may only restrict the network.
//
// Limits: at most kMaxPolicyBytes of text, kMaxPolicyDepth levels of nesting, kMaxPolicyPaths
// rules. Errors are InvalidArgument, one line, naming the JSON path and the bad value:
//   "paths[2].access[0]: 'wrte' is not a Landlock access right (read_file, ...)"
// LoadLandlockPolicy prefixes "--landlock-policy FILE: ".
//
//   ASSIGN_OR_RETURN(LandlockSpec ll, LoadLandlockPolicy("/etc/nucleus/web.json"));
#ifndef NUCLEUS_RUNTIME_LANDLOCK_POLICY_H_
#define NUCLEUS_RUNTIME_LANDLOCK_POLICY_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

inline constexpr size_t kMaxPolicyBytes = 1 << 20;
inline constexpr size_t kMaxPolicyDepth = 16;
inline constexpr size_t kMaxPolicyPaths = 4096;

// Pure: parses policy text. The result has mode kBestEffort (the flag sets the mode),
// custom_policy = "paths" present, restrict_tcp_* = the key present, tcp ports sorted and
// unique, scope_* from "scope" (both true when absent).
absl::StatusOr<LandlockSpec> ParseLandlockPolicy(absl::string_view text);

// Reads a regular file of at most kMaxPolicyBytes (a FIFO or a device is refused before it
// is opened for reading) and parses it. `path` is named in errors as given.
absl::StatusOr<LandlockSpec> LoadLandlockPolicy(const std::string& path);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_LANDLOCK_POLICY_H_
