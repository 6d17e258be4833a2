#include "runtime/hooks.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

class HooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string base = tmp != nullptr ? tmp : "/tmp";
    dir_ = absl::StrCat(base, "/hooks_test_XXXXXX");
    ASSERT_NE(mkdtemp(&dir_[0]), nullptr);
  }
  std::string Path(absl::string_view name) const { return absl::StrCat(dir_, "/", name); }

  // A /bin/sh -c SCRIPT hook. The environment is exactly `env`: no PATH, so scripts use
  // absolute paths.
  static HookSpec Sh(const std::string& script, std::vector<std::string> env = {},
                     int timeout = 0) {
    HookSpec h;
    h.path = "/bin/sh";
    h.args = {"sh", "-c", script};
    h.env = std::move(env);
    h.timeout_seconds = timeout;
    return h;
  }

  std::string dir_;
};

TEST_F(HooksTest, SuccessfulHook) {
  HookSpec h;
  h.path = "/bin/true";
  EXPECT_OK(RunHook(h, "createRuntime", 0, "{}"));
}

TEST_F(HooksTest, ArgvZeroIsArgsZero) {
  std::string out = Path("argv");
  // sh -c SCRIPT NAME ARG: $0 is NAME. argv reaches the hook as given.
  HookSpec h = Sh(absl::StrCat("echo \"$0|$1\" > ", out));
  h.args.push_back("zero");
  h.args.push_back("one");
  EXPECT_OK(RunHook(h, "prestart", 0, ""));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(out));
  EXPECT_EQ(got, "zero|one\n");
}

TEST_F(HooksTest, EmptyArgsMeansArgvIsPath) {
  // /bin/sh run with argv {"/bin/sh"} and stdin "exit 7": reads the script from stdin.
  HookSpec h;
  h.path = "/bin/sh";
  EXPECT_THAT(
      RunHook(h, "poststart", 2, "exit 7\n"),
      StatusIs(absl::StatusCode::kFailedPrecondition, Eq("hook poststart[2] '/bin/sh': exited 7")));
}

TEST_F(HooksTest, EnvironmentIsExactlyHookEnv) {
  std::string out = Path("env");
  EXPECT_OK(RunHook(Sh(absl::StrCat("/usr/bin/env > ", out), {"FOO=bar", "X=1 2"}), "createRuntime",
                    0, "{}"));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(out));
  std::vector<std::string> lines = absl::StrSplit(got, '\n', absl::SkipEmpty());
  // dash exports PWD (cwd is /); nothing of the test's own environment leaks in.
  lines.erase(
      std::remove_if(lines.begin(), lines.end(), [](const std::string& l) { return l == "PWD=/"; }),
      lines.end());
  EXPECT_THAT(lines, UnorderedElementsAre("FOO=bar", "X=1 2"));
}

TEST_F(HooksTest, CwdIsRootAndOnlyStdioIsOpen) {
  std::string out = Path("cwd");
  // A non-CLOEXEC fd of ours must not reach the hook.
  int leak = dup(STDERR_FILENO);
  ASSERT_GE(leak, 3);
  EXPECT_OK(RunHook(Sh(absl::StrCat("/bin/pwd > ", out, "; /bin/ls /proc/self/fd >> ", out)),
                    "createRuntime", 0, ""));
  close(leak);
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(out));
  std::vector<std::string> lines = absl::StrSplit(got, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "/");
  // ls's own directory fd shows up too (3); the shell's redirection holds 1. Nothing at
  // `leak` unless ls happened to get that number for its directory.
  for (size_t i = 1; i < lines.size(); ++i) {
    int fd;
    ASSERT_TRUE(absl::SimpleAtoi(lines[i], &fd)) << lines[i];
    EXPECT_LE(fd, 3) << "fd " << fd << " leaked into the hook";
  }
}

TEST_F(HooksTest, StateArrivesOnStdin) {
  std::string out = Path("state");
  const std::string state = R"({"ociVersion":"1.0.2","id":"c1","status":"creating","pid":42})";
  EXPECT_OK(RunHook(Sh(absl::StrCat("/bin/cat > ", out)), "createRuntime", 0, state));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(out));
  EXPECT_EQ(got, state);
}

TEST_F(HooksTest, LargeStateArrivesWhole) {
  std::string out = Path("big");
  const std::string state(1 << 20, 'x');
  EXPECT_OK(RunHook(Sh(absl::StrCat("/bin/cat > ", out)), "createRuntime", 0, state));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(out));
  EXPECT_EQ(got.size(), state.size());
  EXPECT_TRUE(got == state);
}

TEST_F(HooksTest, HookThatIgnoresStdinDoesNotHang) {
  const std::string state(1 << 20, 'x');
  auto start = std::chrono::steady_clock::now();
  EXPECT_OK(RunHook(Sh("exit 0"), "createRuntime", 0, state));
  // Early exit closes the pipe: EPIPE, not SIGPIPE (this process would die) and no hang.
  EXPECT_THAT(RunHook(Sh("exec 0<&-; /bin/sleep 0.2; exit 4"), "createRuntime", 1, state),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("exited 4")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(HooksTest, ExitCodeMessageQuotesStderr) {
  EXPECT_THAT(RunHook(Sh("echo 'to stdout'; echo '  \n  bad thing happened  \nmore' >&2; exit 3"),
                      "createRuntime", 1, "{}"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Eq("hook createRuntime[1] '/bin/sh': exited 3: bad thing happened")));
}

TEST_F(HooksTest, ExitCodeMessageFallsBackToStdout) {
  EXPECT_THAT(RunHook(Sh("echo 'only stdout'; exit 2"), "poststart", 0, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Eq("hook poststart[0] '/bin/sh': exited 2: only stdout")));
}

TEST_F(HooksTest, LongOutputIsCutTo200Bytes) {
  absl::Status s = RunHook(
      Sh("i=0; while [ $i -lt 2000 ]; do printf 'abcdefghij' >&2; i=$((i+1)); done; exit 1"),
      "createRuntime", 0, "");
  ASSERT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("exited 1: ")));
  std::string line(s.message().substr(s.message().find("exited 1: ") + 10));
  EXPECT_EQ(line.size(), 200u);
}

TEST_F(HooksTest, KilledBySignal) {
  EXPECT_THAT(RunHook(Sh("kill -9 $$"), "createContainer", 0, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Eq("hook createContainer[0] '/bin/sh': killed by signal 9 (SIGKILL)")));
}

TEST_F(HooksTest, ExecFailureIsReportedNotExit127) {
  HookSpec h;
  h.path = "/nonexistent/hook";
  EXPECT_THAT(RunHook(h, "createRuntime", 0, "{}"),
              StatusIs(absl::StatusCode::kNotFound,
                       Eq(absl::StrCat("hook createRuntime[0] '", h.path,
                                       "': exec: No such file or directory"))));
  // A directory is not executable.
  h.path = dir_;
  EXPECT_THAT(RunHook(h, "createRuntime", 0, "{}"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("exec: Permission denied")));
}

TEST_F(HooksTest, TimeoutKillsTheWholeProcessGroup) {
  std::string pidfile = Path("pid");
  auto start = std::chrono::steady_clock::now();
  absl::Status s =
      RunHook(Sh(absl::StrCat("/bin/sleep 100 & echo $! > ", pidfile, "; wait"), {}, /*timeout=*/1),
              "createRuntime", 3, "{}");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDeadlineExceeded,
                          Eq("hook createRuntime[3] '/bin/sh': timed out after 1 s")));
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));

  ASSERT_OK_AND_ASSIGN(std::string pid_text, ReadFileToString(pidfile));
  int sleep_pid;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(pid_text), &sleep_pid));
  // The orphaned sleep was SIGKILLed with the group; whoever adopted it reaps it. Until
  // then it may linger as a zombie, which counts as dead.
  bool dead = false;
  for (int i = 0; i < 100 && !dead; ++i) {
    absl::StatusOr<std::string> stat = ReadFileToString(absl::StrCat("/proc/", sleep_pid, "/stat"));
    if (!stat.ok()) {
      dead = true;
      break;
    }
    size_t paren = stat->rfind(')');
    if (paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z') {
      dead = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(dead) << "sleep " << sleep_pid << " survived the hook's timeout";
}

TEST_F(HooksTest, BackgroundChildHoldingStdoutDoesNotBlock) {
  // Only the hook is waited for, not a daemon it left with our pipe as its stdout.
  auto start = std::chrono::steady_clock::now();
  EXPECT_OK(RunHook(Sh("/bin/sleep 3 & exit 0"), "poststart", 0, ""));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
}

TEST_F(HooksTest, WorksWithSignalsBlockedAndIgnoredByTheCaller) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
  struct sigaction ign = {}, old_int;
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGINT, &ign, &old_int), 0);

  std::string out = Path("sig");
  absl::Status s = RunHook(Sh(absl::StrCat("/bin/grep -E '^Sig(Blk|Ign)' /proc/self/status > ", out,
                                           "; kill -TERM $$; exit 0")),
                           "createRuntime", 0, "");
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &old, nullptr), 0);
  ASSERT_EQ(sigaction(SIGINT, &old_int, nullptr), 0);

  // The hook could be killed by SIGTERM: its mask was reset.
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("killed by signal 15 (SIGTERM)")));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(out));
  EXPECT_THAT(got, HasSubstr("SigBlk:\t0000000000000000"));
  EXPECT_THAT(got, HasSubstr("SigIgn:\t0000000000000000"));
}

TEST_F(HooksTest, RunHooksRunsInOrderAndStopsAtFirstFailure) {
  std::string log = Path("log");
  std::vector<HookSpec> hooks = {
      Sh(absl::StrCat("echo a >> ", log)),
      Sh(absl::StrCat("echo b >> ", log)),
      Sh(absl::StrCat("echo c >> ", log, "; echo 'c failed' >&2; exit 5")),
      Sh(absl::StrCat("echo d >> ", log)),
  };
  EXPECT_THAT(RunHooks(hooks, "createRuntime", "{}"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Eq("hook createRuntime[2] '/bin/sh': exited 5: c failed")));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(log));
  EXPECT_EQ(got, "a\nb\nc\n");

  EXPECT_OK(RunHooks({}, "createRuntime", "{}"));
  hooks.erase(hooks.begin() + 2);
  EXPECT_OK(RunHooks(hooks, "createRuntime", "{}"));
}

TEST_F(HooksTest, BestEffortRunsAllAndCollectsWarnings) {
  std::string log = Path("log");
  HookSpec missing;
  missing.path = "/nonexistent/hook";
  std::vector<HookSpec> hooks = {
      Sh(absl::StrCat("echo a >> ", log, "; exit 1")),
      missing,
      Sh(absl::StrCat("echo c >> ", log)),
  };
  EXPECT_THAT(RunHooksBestEffort(hooks, "poststop", "{}"),
              ElementsAre(Eq("hook poststop[0] '/bin/sh': exited 1"),
                          Eq("hook poststop[1] '/nonexistent/hook': exec: No such file or "
                             "directory")));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(log));
  EXPECT_EQ(got, "a\nc\n");
  EXPECT_THAT(RunHooksBestEffort({}, "poststop", "{}"), ::testing::IsEmpty());
}

TEST_F(HooksTest, PathIsQuotedInErrors) {
  HookSpec h;
  h.path = "/no/such\nhook";
  EXPECT_THAT(RunHook(h, "createRuntime", 0, ""),
              StatusIs(absl::StatusCode::kNotFound,
                       StartsWith("hook createRuntime[0] '/no/such\\nhook': exec:")));
}

}  // namespace
}  // namespace nucleus
