// Resource limits (`--ulimit`), applied in the child before the identity switch (raising a
// hard limit needs CAP_SYS_RESOURCE, which is dropped afterwards).
#ifndef NUCLEUS_BACKENDS_NATIVE_RLIMITS_H_
#define NUCLEUS_BACKENDS_NATIVE_RLIMITS_H_

#include <cstddef>

#include "backends/native/step.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// setrlimit(2) for each entry; the step detail names the limit ("nofile").
StepError ApplyRlimitsInChild(const Rlimit* limits, size_t n);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_RLIMITS_H_
