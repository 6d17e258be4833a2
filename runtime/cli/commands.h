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

// Global flags, given before the command (runc's): --root, --log, --log-format, --debug,
// --systemd-cgroup. Parsed by main.cc; read by every command.
struct GlobalOptions {
  std::string root;       // the state store (default /run/nucleus; rootless:
                          // $XDG_RUNTIME_DIR/nucleus)
  std::string log_path;   // --log: errors (and --debug lines) are appended here too
  bool log_json = false;  // --log-format json: one JSON object per line (runc's)
  bool debug = false;
  bool systemd_cgroup = false;  // accepted; nucleus drives cgroupfs itself (README)
};
GlobalOptions& Globals();
// A --debug line to stderr (and --log).
void Debug(const std::string& message);

int RunMain(const std::vector<std::string>& args);    // cli/run.cc
int CheckMain(const std::vector<std::string>& args);  // cli/check.cc
int StatsMain(const std::vector<std::string>& args);  // cli/stats.cc
int GcMain(const std::vector<std::string>& args);     // cli/gc.cc
// The PID 1 init when re-executed as `nucleus init` is not used: the init runs in the
// forked container process itself (backends/native/init.h).

// The OCI verbs (cli/oci.cc): errors exit 1, as runc's do.
int CreateMain(const std::vector<std::string>& args);
int StartMain(const std::vector<std::string>& args);
int StateMain(const std::vector<std::string>& args);
int DeleteMain(const std::vector<std::string>& args);
int ListMain(const std::vector<std::string>& args);
int FeaturesMain(const std::vector<std::string>& args);
int PauseMain(const std::vector<std::string>& args);  // cli/update.cc
int ResumeMain(const std::vector<std::string>& args);
int UpdateMain(const std::vector<std::string>& args);  // update [--resources F|-] [FLAGS] ID
int EventsMain(const std::vector<std::string>& args);  // cli/stats.cc: events [--stats] ID
// Shared by engines and people (cli/oci.cc, cli/containers.cc): errors exit 125.
int KillMain(const std::vector<std::string>& args);
int ExecMain(const std::vector<std::string>& args);
int PsMain(const std::vector<std::string>& args);  // no ID: containers; ID: its processes
int LogsMain(const std::vector<std::string>& args);
int StopMain(const std::vector<std::string>& args);
int RmMain(const std::vector<std::string>& args);
int InspectMain(const std::vector<std::string>& args);
int WaitMain(const std::vector<std::string>& args);  // wait [--ready] [--timeout DUR] ID

inline constexpr int kExitOciError = 1;  // runc's status for every error

// Prints "nucleus: MESSAGE" on one line to stderr (and to --log) and returns
// kExitNucleusError.
int Fail(const std::string& message);
// Same, returning kExitOciError.
int OciFail(const std::string& message);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_CLI_COMMANDS_H_
