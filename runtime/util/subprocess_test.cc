#include "runtime/util/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::StartsWith;

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST(SubprocessTest, CapturesOutputAndExitStatus) {
  absl::StatusOr<Finished> f =
      RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {}, {});
  ASSERT_OK(f.status());
  EXPECT_FALSE(f->timed_out);
  EXPECT_TRUE(WIFEXITED(f->wstatus));
  EXPECT_EQ(WEXITSTATUS(f->wstatus), 3);
  EXPECT_EQ(f->out, "out\n");
  EXPECT_EQ(f->err, "err\n");
  EXPECT_FALSE(f->Succeeded());
  EXPECT_EQ(DescribeWaitStatus(f->wstatus), "exited 3");
}

TEST(SubprocessTest, FeedsStdinAndKeepsOnlyTheFirstBytes) {
  const std::string input(300 << 10, 'x');  // more than a pipe holds
  RunOptions o;
  o.stdin_data = input;
  o.keep = 1000;
  absl::StatusOr<Finished> f = RunCommand({"/bin/cat"}, {}, o);
  ASSERT_OK(f.status());
  EXPECT_TRUE(f->Succeeded());
  EXPECT_EQ(f->out, std::string(1000, 'x'));
}

TEST(SubprocessTest, AChildThatDoesNotReadItsInputIsNoError) {
  RunOptions o;
  const std::string input(1 << 20, 'y');
  o.stdin_data = input;
  absl::StatusOr<Finished> f = RunCommand({"/bin/true"}, {}, o);
  ASSERT_OK(f.status());
  EXPECT_TRUE(f->Succeeded());
}

TEST(SubprocessTest, KillsTheWholeGroupAtTheDeadline) {
  char dir[] = "/tmp/subprocess-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string pid_file = absl::StrCat(dir, "/pid");
  SpawnOptions s;
  s.new_process_group = true;
  RunOptions o;
  o.timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  // The grandchild holds stdout open: the wait must not hang on its EOF either.
  absl::StatusOr<Finished> f = RunCommand(
      {"/bin/sh", "-c", absl::StrCat("sleep 60 & echo $! > ", pid_file, "; wait")}, s, o);
  ASSERT_OK(f.status());
  EXPECT_TRUE(f->timed_out);
  EXPECT_FALSE(f->Succeeded());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  std::string text;
  {
    FILE* p = ::fopen(pid_file.c_str(), "r");
    ASSERT_NE(p, nullptr);
    int pid = 0;
    ASSERT_EQ(::fscanf(p, "%d", &pid), 1);
    ::fclose(p);
    // Killed with the group; reparented to init (or a subreaper), gone within a moment.
    const absl::Time until = absl::Now() + absl::Seconds(5);
    while (Alive(pid) && absl::Now() < until) absl::SleepFor(absl::Milliseconds(10));
    EXPECT_FALSE(Alive(pid)) << "the grandchild " << pid << " outlived the deadline";
  }
  ::unlink(pid_file.c_str());
  ::rmdir(dir);
}

TEST(SubprocessTest, ReturnsOnceTheChildExitsEvenIfAGrandchildHoldsThePipes) {
  SpawnOptions s;
  s.new_process_group = true;
  const absl::Time start = absl::Now();
  absl::StatusOr<Finished> f =
      RunCommand({"/bin/sh", "-c", "echo hi; sleep 30 & echo $! >&2"}, s, {});
  ASSERT_OK(f.status());
  EXPECT_TRUE(f->Succeeded());
  EXPECT_EQ(f->out, "hi\n");
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  int sleeper = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(f->err), &sleeper)) << f->err;
  EXPECT_EQ(::kill(sleeper, SIGKILL), 0);
}

TEST(SubprocessTest, AnExecFailureIsTheErrnoStatusNamingTheStep) {
  EXPECT_THAT(RunCommand({"/nonexistent/program"}, {}, {}),
              StatusIs(absl::StatusCode::kNotFound, Eq("exec: No such file or directory")));
  SpawnOptions s;
  s.cwd = "/nonexistent";
  EXPECT_THAT(RunCommand({"/bin/true"}, s, {}),
              StatusIs(absl::StatusCode::kNotFound, StartsWith("chdir: ")));
}

TEST(SubprocessTest, RefusesARelativeProgram) {
  EXPECT_THAT(Spawn({"sh"}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absolute")));
  SpawnOptions s;
  s.program = "/bin/sh";
  absl::StatusOr<Finished> f = RunCommand({"not-a-path", "-c", "echo $0"}, s, {});
  ASSERT_OK(f.status());
  EXPECT_EQ(f->out, "not-a-path\n");
}

TEST(SubprocessTest, GivesTheChildOnlyItsStdioAndTheEnvironmentAsked) {
  int leak = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC: must not reach the child
  ASSERT_GE(leak, 0);
  std::vector<std::string> env = {"ONLY=this"};
  SpawnOptions s;
  s.env = &env;
  absl::StatusOr<Finished> f = RunCommand(
      {"/bin/sh", "-c",
       absl::StrCat("env; ls /proc/self/fd; [ -e /proc/self/fd/", leak, " ] && echo LEAK")},
      s, {});
  ::close(leak);
  ASSERT_OK(f.status());
  EXPECT_THAT(f->out, HasSubstr("ONLY=this"));
  EXPECT_THAT(f->out, ::testing::Not(HasSubstr("LEAK")));
  EXPECT_THAT(f->out, ::testing::Not(HasSubstr("PATH=")));
}

TEST(SubprocessTest, ResetsIgnoredSignalsIncludingGlibcsOwn) {
  struct sigaction ign = {};
  ign.sa_handler = SIG_IGN;
  struct sigaction old_term;
  ASSERT_EQ(::sigaction(SIGTERM, &ign, &old_term), 0);
  absl::StatusOr<Finished> f =
      RunCommand({"/bin/sh", "-c", "grep SigIgn /proc/self/status"}, {}, {});
  ::sigaction(SIGTERM, &old_term, nullptr);
  ASSERT_OK(f.status());
  // sh itself ignores nothing by default when non-interactive.
  EXPECT_THAT(f->out, HasSubstr("0000000000000000"));
}

TEST(SubprocessTest, AdmitRunsBeforeTheChildAndItsErrorStopsIt) {
  bool admitted = false;
  SpawnOptions s;
  s.admit = [&](pid_t pid, bool cloned) {
    admitted = pid > 0 && !cloned;
    return absl::OkStatus();
  };
  absl::StatusOr<Finished> f = RunCommand({"/bin/true"}, s, {});
  ASSERT_OK(f.status());
  EXPECT_TRUE(admitted);
  EXPECT_TRUE(f->Succeeded());

  char dir[] = "/tmp/subprocess-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string marker = absl::StrCat(dir, "/ran");
  s.admit = [](pid_t, bool) { return absl::PermissionDeniedError("no room"); };
  EXPECT_THAT(RunCommand({"/bin/touch", marker}, s, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, "no room"));
  struct stat st;
  EXPECT_NE(::stat(marker.c_str(), &st), 0) << "the refused child ran";
  ::rmdir(dir);
}

TEST(SubprocessTest, TheGateHoldsTheChildUntilAByteOrEofStopsIt) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  SpawnOptions s;
  s.gate_fd = p[0];
  absl::StatusOr<Spawned> child = Spawn({"/bin/sh", "-c", "exit 4"}, s);
  ::close(p[0]);
  ASSERT_OK(child.status());
  EXPECT_FALSE(WaitExited(child->pidfd.get(), absl::Milliseconds(100)));
  ASSERT_EQ(::write(p[1], "g", 1), 1);
  ::close(p[1]);
  absl::StatusOr<int> st = WaitPidfd(child->pidfd.get(), "sh");
  ASSERT_OK(st.status());
  EXPECT_EQ(WEXITSTATUS(*st), 4);
}

TEST(SubprocessTest, GateEofMeansTheProgramNeverRuns) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  const std::string marker = ::testing::TempDir() + "/gate-marker";
  SpawnOptions s;
  s.gate_fd = p[0];
  absl::StatusOr<Spawned> child = Spawn({"/bin/sh", "-c", "touch " + marker}, s);
  ::close(p[0]);
  ::close(p[1]);
  ASSERT_OK(child.status());
  absl::StatusOr<int> st = WaitPidfd(child->pidfd.get(), "sh");
  ASSERT_OK(st.status());
  EXPECT_EQ(WEXITSTATUS(*st), 127);
  EXPECT_NE(::access(marker.c_str(), F_OK), 0);
}

TEST(SubprocessTest, RunFunctionRunsTheFunctionInAChild) {
  const pid_t self = ::getpid();
  absl::StatusOr<Finished> f = RunFunction(
      [&] {
        dprintf(STDOUT_FILENO, "%s", ::getpid() != self ? "child" : "parent");
        return 5;
      },
      {}, {});
  ASSERT_OK(f.status());
  EXPECT_EQ(f->out, "child");
  EXPECT_EQ(WEXITSTATUS(f->wstatus), 5);
  // A function keeps the caller's descriptors (a probe setns()es with the container's pidfd).
  int mine = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(mine, 0);
  f = RunFunction([&] { return ::fcntl(mine, F_GETFD) >= 0 ? 0 : 1; }, {}, {});
  ::close(mine);
  ASSERT_OK(f.status());
  EXPECT_TRUE(f->Succeeded());
  RunOptions o;
  o.timeout = absl::Milliseconds(100);
  f = RunFunction(
      []() -> int {
        for (;;) ::pause();
      },
      {}, o);
  ASSERT_OK(f.status());
  EXPECT_TRUE(f->timed_out);
  EXPECT_THAT(DescribeWaitStatus(f->wstatus), Eq("killed by signal 9 (SIGKILL)"));
}

}  // namespace
}  // namespace nucleus
