// nucleus: a hardened, lightweight container runtime. See README.md.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/cli/commands.h"

namespace nucleus {

int Fail(const std::string& message) {
  std::string line = absl::StrCat("nucleus: ", message, "\n");
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  return kExitNucleusError;
}

namespace {

constexpr char kUsage[] =
    "usage: nucleus COMMAND [ARGS...]\n"
    "\n"
    "Commands:\n"
    "  run [FLAGS] -- CMD [ARGS...]   run a command in a new sandbox and return its status\n"
    "  check [--json]                 report what this host supports\n"
    "  stats NAME [--json]            memory, CPU, pids and I/O of a running container\n"
    "  gc                             remove cgroups left by containers whose nucleus is gone\n"
    "  version                        print the version\n"
    "\n"
    "`nucleus run --help` lists the run flags.\n";

int Main(int argc, char** argv) {
  if (argc < 2) {
    fputs(kUsage, stderr);
    return kExitNucleusError;
  }
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "run") return RunMain(args);
  if (cmd == "check") return CheckMain(args);
  if (cmd == "stats") return StatsMain(args);
  if (cmd == "gc") return GcMain(args);
  if (cmd == "version" || cmd == "--version") {
    fputs("nucleus 0.1.0\n", stdout);
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    fputs(kUsage, stdout);
    return 0;
  }
  return Fail(absl::StrCat("unknown command '", cmd, "' (see 'nucleus --help')"));
}

}  // namespace
}  // namespace nucleus

int main(int argc, char** argv) { return nucleus::Main(argc, argv); }
