// gvisor_tool: the gVisor backend without the state store, for tools/bench.
//
//   gvisor_tool bundle DIR -- RUN_ARGS...   writes DIR/config.json, the bundle nucleus gives
//                                           runsc for `nucleus run --backend gvisor RUN_ARGS`
//                                           (without the start gate's hooks), and prints the
//                                           runsc flags it would use, one per line
//   gvisor_tool run -- RUN_ARGS...          runs it like `nucleus run --backend gvisor`:
//                                           Create, Start, Wait, Destroy; exits with its status
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "backends/gvisor/bundle.h"
#include "backends/gvisor/gvisor_backend.h"
#include "backends/gvisor/runsc.h"
#include "runtime/spec/flags.h"

namespace nucleus {
namespace {

int Fail(const absl::Status& st) {
  fprintf(stderr, "gvisor_tool: %s\n", std::string(st.message()).c_str());
  return 125;
}

int Main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: gvisor_tool bundle DIR -- RUN_ARGS... | run -- RUN_ARGS...\n");
    return 2;
  }
  const std::string mode = argv[1];
  int first = mode == "bundle" ? 3 : 2;
  if (first >= argc) return 2;
  std::vector<std::string> args(argv + first, argv + argc);
  if (!args.empty() && args[0] == "--") args.erase(args.begin());
  args.insert(args.begin(), {"--backend", "gvisor"});
  absl::StatusOr<RunRequest> req = ParseRunArgs(args, CurrentHostDefaults());
  if (!req.ok()) return Fail(req.status());
  ContainerSpec& spec = req->spec;
  if (mode == "bundle") {
    absl::StatusOr<RunscInfo> info = ProbeRunsc();
    if (!info.ok()) return Fail(info.status());
    GvisorConfigOptions o;
    o.oci_seccomp = info->oci_seccomp;
    absl::StatusOr<GvisorConfig> config = GvisorConfigJson(spec, o);
    if (!config.ok()) return Fail(config.status());
    UniqueFd dir(::open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) return Fail(absl::NotFoundError(std::string(argv[2]) + ": cannot open"));
    absl::Status written = WriteBundleFile(dir.get(), "config.json", config->json);
    if (!written.ok()) return Fail(written);
    absl::StatusOr<PlatformChoice> platform = SelectPlatform(*info, spec.gvisor_platform);
    if (!platform.ok()) return Fail(platform.status());
    if (!platform->warning.empty()) fprintf(stderr, "gvisor_tool: %s\n", platform->warning.c_str());
    RunscGlobals g;
    g.platform = platform->platform;
    g.network = spec.gvisor_network;
    g.oci_seccomp = info->oci_seccomp && spec.seccomp.has_value();
    std::vector<std::string> flags = RunscArgv(g, {});
    printf("%s\n", absl::StrJoin(flags.begin() + 1, flags.end(), "\n").c_str());
    return 0;
  }
  // For measurements: GVISOR_TOOL_NO_CGROUP=1 runs without the container's cgroup.
  if (getenv("GVISOR_TOOL_NO_CGROUP") != nullptr) spec.cgroup_parent.clear();
  const bool timing = getenv("GVISOR_TOOL_TIMING") != nullptr;
  absl::Time t0 = absl::Now();
  auto lap = [&](const char* what) {
    if (!timing) return;
    absl::Time now = absl::Now();
    fprintf(stderr, "gvisor_tool: %s %.1f ms\n", what, absl::ToDoubleMilliseconds(now - t0));
    t0 = now;
  };
  GvisorBackend backend;
  absl::StatusOr<std::unique_ptr<Container>> c = backend.Create(spec, CreateOptions());
  lap("create");
  if (!c.ok()) return Fail(c.status());
  for (const std::string& w : (*c)->warnings())
    fprintf(stderr, "gvisor_tool: warning: %s\n", w.c_str());
  absl::Status started = (*c)->Start();
  lap("start");
  absl::StatusOr<ExitInfo> info = (*c)->Wait();
  lap("wait");
  absl::Status destroyed = (*c)->Destroy();
  lap("destroy");
  if (!started.ok()) return Fail(started);
  if (!info.ok()) return Fail(info.status());
  if (!destroyed.ok()) return Fail(destroyed);
  return info->ExitStatus();
}

}  // namespace
}  // namespace nucleus

int main(int argc, char** argv) { return nucleus::Main(argc, argv); }
