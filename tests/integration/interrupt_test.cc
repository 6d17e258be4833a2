// A foreground `nucleus run` that is interrupted: SIGTERM, SIGINT and SIGHUP reach the
// container, and the run removes its entry and cgroup before it exits; a run killed by
// SIGKILL leaves a ghost entry that the next nucleus command reaps (issue 14, part 5).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class InterruptTest : public ContainerTest {
 protected:
  // Starts `nucleus run --name NAME --memory 32m -- sh -c 'echo started; exec sleep 100'` and
  // waits until the workload runs (the memory limit gives it a cgroup to clean up). `exec`:
  // a shell waiting for a child would outlive a SIGINT that reached it alone (the shell's
  // "wait and cooperative exit"), as in docker, where only the container's first process
  // gets the signal.
  void StartSleeper(Subprocess* p, const std::string& name) {
    std::string error;
    ASSERT_TRUE(p->Start({NucleusPath(), "run", "--name", name, "--memory", "32m", "--", "/bin/sh",
                          "-c", "echo started; exec sleep 100"},
                         {}, &error))
        << error;
    ASSERT_TRUE(p->WaitForStdout("started", 20)) << "the container did not start";
  }
};

TEST_F(InterruptTest, ForwardedSignalsEndTheRunAndRemoveItsEntry) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    SCOPED_TRACE(sig);
    const std::string name = "interrupted-" + std::to_string(sig);
    Subprocess p;
    ASSERT_NO_FATAL_FAILURE(StartSleeper(&p, name));
    ASSERT_EQ(::kill(p.pid(), sig), 0);
    RunResult r = p.Finish(20);
    // The shell (the workload) dies of the forwarded signal: the run exits 128 + sig.
    EXPECT_EQ(r.exit_code, 128 + sig) << r;
    EXPECT_FALSE(r.timed_out) << r;
    RunResult ps = Nucleus({"ps", "-a"});
    EXPECT_THAT(ps.out, Not(HasSubstr(name))) << ps;
  }
  // The fixture's leftover check: no entry, cgroup or process is left either.
}

TEST_F(InterruptTest, ARunKilledBySigkillIsReapedByTheNextCommand) {
  Subprocess p;
  ASSERT_NO_FATAL_FAILURE(StartSleeper(&p, "ghost"));
  ASSERT_EQ(::kill(p.pid(), SIGKILL), 0);
  RunResult r = p.Finish(20);
  EXPECT_EQ(r.term_signal, SIGKILL) << r;
  // Its entry outlived it (nothing could remove it)...
  RunResult inspect = Nucleus({"inspect", "ghost"});
  // ...until the first command that opens the store, inspect itself included: it is gone
  // then, with its cgroup and the workload.
  EXPECT_NE(inspect.exit_code, 0) << inspect;
  EXPECT_THAT(inspect.err, HasSubstr("ghost")) << inspect;
  RunResult ps = Nucleus({"ps", "-a"});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  EXPECT_THAT(ps.out, Not(HasSubstr("ghost"))) << ps;
  EXPECT_FALSE(PathExists("/run/nucleus/ghost"));
  ReapChildren(5);  // the workload's init, reparented to this subreaper, once killed
}

// A detached container's entry is not a ghost when its caller is gone: `run -d` returns at
// once, and the container goes on; the next command leaves it alone.
TEST_F(InterruptTest, DetachedContainersAreNotReaped) {
  RunResult d = Nucleus({"run", "-d", "--name", "kept", "--", "/bin/sleep", "100"});
  ASSERT_EQ(d.exit_code, 0) << d;
  RunResult ps = Nucleus({"ps"});
  EXPECT_THAT(ps.out, HasSubstr("kept")) << ps;
  RunResult rm = Nucleus({"rm", "-f", "kept"});
  EXPECT_EQ(rm.exit_code, 0) << rm;
  ReapChildren(5);
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
