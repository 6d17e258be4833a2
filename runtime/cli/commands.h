// One function per subcommand. Each takes the arguments after the subcommand name and
// returns the process exit status: the workload's for `run`, 0/125 for nucleus's own
// (125: nucleus failed, with a one-line "nucleus: ..." error on stderr, as docker does).
#ifndef NUCLEUS_RUNTIME_CLI_COMMANDS_H_
#define NUCLEUS_RUNTIME_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace nucleus {

inline constexpr int kExitNucleusError = 125;  // docker: the runtime itself failed
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

int RunMain(const std::vector<std::string>& args);    // cli/run.cc
int CheckMain(const std::vector<std::string>& args);  // cli/check.cc
int StatsMain(const std::vector<std::string>& args);  // cli/stats.cc
int GcMain(const std::vector<std::string>& args);     // cli/gc.cc
// The PID 1 init when re-executed as `nucleus init` is not used: the init runs in the
// forked container process itself (backends/native/init.h).

// Prints "nucleus: MESSAGE" on one line to stderr and returns kExitNucleusError.
int Fail(const std::string& message);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_CLI_COMMANDS_H_
