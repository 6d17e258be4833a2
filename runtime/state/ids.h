// Container ids and names: validation, generation, and docker-style lookup by prefix.
//
// Contract:
//  - ValidateContainerId / ValidateContainerName apply docker's rule
//    [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most kMaxContainerIdLength bytes. The rule is what makes an
//    id safe as ONE directory name under the state root: no '/', no NUL, never "." or ".."
//    (the first byte is alphanumeric), never a hidden name (the store keeps its own scratch
//    entries under names starting with '.'). "a..b" is a valid name, as in docker: it is a
//    single path component and cannot climb.
//  - GenerateContainerId(n) returns n (12..64) lowercase hex digits from getrandom(2), never
//    all digits in its first 12 (docker's rule: a numeric short id reads as a number).
//  - ResolveContainerRef(ref, known) finds the one container a user means, as docker does:
//    an exact id, else an exact name, else a unique id prefix. No match is NotFound; an
//    ambiguous prefix is FailedPrecondition naming the candidates. Names are not
//    prefix-matched.
//
//   RETURN_IF_ERROR(ValidateContainerId(id));
//   ASSIGN_OR_RETURN(std::string id, GenerateContainerId());
//   ASSIGN_OR_RETURN(std::string id, ResolveContainerRef("3f2a", refs));
#ifndef NUCLEUS_RUNTIME_STATE_IDS_H_
#define NUCLEUS_RUNTIME_STATE_IDS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

inline constexpr size_t kMaxContainerIdLength = 128;

// InvalidArgument "container ID 'x/y': ..." naming the offending byte or the length.
absl::Status ValidateContainerId(absl::string_view id);
// Same rule, "container name '...': ...".
absl::Status ValidateContainerName(absl::string_view name);

// hex_len in [12, 64]; InvalidArgument otherwise; getrandom failure as ErrnoStatus.
absl::StatusOr<std::string> GenerateContainerId(size_t hex_len = 64);

struct KnownContainer {
  std::string id;
  std::string name;  // may be empty
};

// Returns the id of the container `ref` names among `known` (see the contract above).
absl::StatusOr<std::string> ResolveContainerRef(absl::string_view ref,
                                                const std::vector<KnownContainer>& known);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_STATE_IDS_H_
