// Choosing and making the Backend that runs a container (spec.backend, `--backend`).
//
//   std::vector<std::string> warnings;
//   spec.backend = ResolveBackend(spec.backend, &warnings);   // kAuto -> native or gvisor
//   ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, MakeBackend(spec.backend));
//
// Errors are one line. Not thread-safe only in the sense of ProbeRunsc's cache (guarded).
#ifndef NUCLEUS_RUNTIME_BACKENDS_H_
#define NUCLEUS_RUNTIME_BACKENDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/api.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// native -> NativeBackend, gvisor -> GvisorBackend. kAuto is InvalidArgument (resolve it
// first). Making a gvisor backend does not check runsc: Create() does, and says why.
absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(ContainerSpec::BackendKind kind);

// kAuto: kGvisor when a usable runsc is present (CheckGvisorUsable), else kNative with a
// warning saying why ("--backend auto: gVisor unavailable (runsc not found in PATH ...);
// using the native backend"). Other kinds are returned unchanged, without warnings.
ContainerSpec::BackendKind ResolveBackend(ContainerSpec::BackendKind requested,
                                          std::vector<std::string>* warnings);

// For `nucleus check` and auto: OK when runsc is found, answers its probe (cached, runsc.h),
// has a platform that proved it runs a sandbox here (auto's choice, proven once per runsc
// and kernel) and nucleus runs as root (runsc --rootless is not supported by nucleus's
// checks yet); otherwise why not, one line. On success: what `--gvisor-platform auto`
// means here, e.g. "platform auto = ptrace (kvm failed its proof (runsc do: did not finish
// within 10s (killed)))".
absl::StatusOr<std::string> CheckGvisorUsable();

// For `nucleus check`'s runsc line: what the gvisor backend's own probe found (runsc.h, the
// same cached answer Create uses): "PATH; platforms: systrap ptrace; --oci-seccomp". NotFound
// when there is no runsc; another error when it does not answer its probe.
absl::StatusOr<std::string> DescribeRunsc();

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_BACKENDS_H_
