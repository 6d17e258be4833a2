// StepError: how a child-side setup step reports failure without allocating.
//
// Every function named ...InChild returns a StepError by value; `failed()` tells. The
// strings are static or point into the ChildPlan the parent built before clone(), so they
// stay valid until the child sends them over the sync socket (runtime/util/sync_channel.h).
//
//   StepError e = MountProcInChild(plan);
//   if (e.failed()) { ChildReportError(fd, e.step, e.detail, e.err, e.exit_code); _exit(...); }
#ifndef NUCLEUS_BACKENDS_NATIVE_STEP_H_
#define NUCLEUS_BACKENDS_NATIVE_STEP_H_

#include <cerrno>

namespace nucleus {

struct StepError {
  const char* step = nullptr;  // "mount proc", "pivot_root", "execve": null when OK
  const char* detail = "";     // the path or value involved
  int err = 0;                 // errno
  int exit_code = 125;         // what `nucleus run` exits with: 125, or 126/127 for exec

  bool failed() const { return step != nullptr; }
  static StepError Ok() { return {}; }
  // Captures errno at the call site.
  static StepError Errno(const char* step, const char* detail = "") {
    return StepError{step, detail, errno, 125};
  }
};

#define RETURN_IF_STEP_FAILED(expr)        \
  do {                                     \
    ::nucleus::StepError step_e_ = (expr); \
    if (step_e_.failed()) return step_e_;  \
  } while (0)

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_STEP_H_
