#include "runtime/backends.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "backends/gvisor/gvisor_backend.h"
#include "backends/gvisor/runsc.h"
#include "backends/native/native_backend.h"
#include "runtime/util/status.h"

namespace nucleus {

absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(ContainerSpec::BackendKind kind) {
  switch (kind) {
    case ContainerSpec::BackendKind::kNative:
      return std::unique_ptr<Backend>(std::make_unique<NativeBackend>());
    case ContainerSpec::BackendKind::kGvisor:
      return std::unique_ptr<Backend>(std::make_unique<GvisorBackend>());
    case ContainerSpec::BackendKind::kAuto:
      break;
  }
  return absl::InvalidArgumentError("backend auto: resolve it first (ResolveBackend)");
}

absl::StatusOr<std::string> CheckGvisorUsable() {
  if (::geteuid() != 0) {
    return absl::FailedPreconditionError(
        "gVisor: nucleus runs runsc as root only so far (runsc --rootless is untested)");
  }
  absl::StatusOr<RunscInfo> info = ProbeRunsc();
  if (!info.ok()) return info.status();
  absl::StatusOr<PlatformChoice> platform = SelectPlatform(*info, "auto");
  if (!platform.ok()) return platform.status();
  std::string detail = absl::StrCat("platform auto = ", platform->platform);
  absl::string_view passed_over = platform->warning;
  if (absl::ConsumePrefix(&passed_over, "gvisor platform auto: ")) {
    absl::ConsumeSuffix(&passed_over, absl::StrCat("; using ", platform->platform));
    absl::StrAppend(&detail, " (", passed_over, ")");
  }
  return detail;
}

absl::StatusOr<std::string> DescribeRunsc() {
  ASSIGN_OR_RETURN(RunscInfo info, ProbeRunsc());
  std::string detail = absl::StrCat(info.path, "; platforms: ", absl::StrJoin(info.platforms, " "),
                                    info.oci_seccomp ? "; --oci-seccomp" : "; no --oci-seccomp");
  if (info.Has("kvm")) {
    absl::StrAppend(&detail, KvmUsable() ? " (kvm: /dev/kvm opens; only a proof says it runs)"
                                         : " (kvm: /dev/kvm not usable)");
  }
  return detail;
}

ContainerSpec::BackendKind ResolveBackend(ContainerSpec::BackendKind requested,
                                          std::vector<std::string>* warnings) {
  if (requested != ContainerSpec::BackendKind::kAuto) return requested;
  absl::StatusOr<std::string> usable = CheckGvisorUsable();
  if (usable.ok()) return ContainerSpec::BackendKind::kGvisor;
  if (warnings) {
    warnings->push_back(absl::StrCat("--backend auto: gVisor unavailable (",
                                     usable.status().message(), "); using the native backend"));
  }
  return ContainerSpec::BackendKind::kNative;
}

}  // namespace nucleus
