// Status helpers shared by every parent-side module.
//
// Contract:
//  - ErrnoStatus(call, arg, err) turns a failing syscall into an absl::Status whose message
//    names the call and its key argument: "mount(proc, /rootfs/proc): Permission denied".
//  - RETURN_IF_ERROR / ASSIGN_OR_RETURN: Abseil 20220623 has no status macros; these are ours.
//  - Annotate(status, context) prefixes context on the way up, keeping the code.
// Not for the child between clone() and execve(): it must not allocate (see sync_channel.h).
#ifndef NUCLEUS_RUNTIME_UTIL_STATUS_H_
#define NUCLEUS_RUNTIME_UTIL_STATUS_H_

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

// "CALL(ARG): strerror(err)" with the code absl maps errno to. ARG may be empty: "CALL: ...".
absl::Status ErrnoStatus(absl::string_view call, absl::string_view arg, int err);
// Same, taking errno at the point of the call.
inline absl::Status ErrnoStatus(absl::string_view call, absl::string_view arg = "") {
  return ErrnoStatus(call, arg, errno);
}

// "CONTEXT: original message", same code. OK stays OK.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace nucleus

#define NUCLEUS_STATUS_CONCAT_INNER_(a, b) a##b
#define NUCLEUS_STATUS_CONCAT_(a, b) NUCLEUS_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status nucleus_status_ = (expr);           \
    if (!nucleus_status_.ok()) return nucleus_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  NUCLEUS_ASSIGN_OR_RETURN_IMPL_(NUCLEUS_STATUS_CONCAT_(nucleus_statusor_, __LINE__), lhs, expr)

#define NUCLEUS_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                   \
  if (!var.ok()) return std::move(var).status();       \
  lhs = std::move(var).value()

#endif  // NUCLEUS_RUNTIME_UTIL_STATUS_H_
