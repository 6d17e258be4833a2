#include "backends/native/rlimits.h"

#include <sys/resource.h>

namespace nucleus {

StepError ApplyRlimitsInChild(const Rlimit* limits, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    struct rlimit rl = {static_cast<rlim_t>(limits[i].soft), static_cast<rlim_t>(limits[i].hard)};
    if (::setrlimit(static_cast<__rlimit_resource>(limits[i].resource), &rl) != 0) {
      return StepError::Errno("setrlimit", limits[i].name.c_str());
    }
  }
  return StepError::Ok();
}

}  // namespace nucleus
