#include "runtime/util/sync_channel.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/raw_log.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Eq;

// Forks a child that runs `body(child_fd)` and _exits; returns the parent's fd.
template <typename F>
pid_t ForkChild(SyncPair& pair, F body) {
  pid_t pid = fork();
  if (pid == 0) {
    pair.parent.Reset();
    body(pair.child.get());
    _exit(0);
  }
  pair.child.Reset();
  return pid;
}

TEST(SyncChannelTest, HandshakeThenExecLooksLikeEof) {
  ASSERT_OK_AND_ASSIGN(SyncPair pair, SyncPair::Create());
  pid_t pid = ForkChild(pair, [](int fd) {
    ChildSyncSend(fd, SyncKind::kNeedIdMaps);
    if (!ChildSyncWait(fd, SyncKind::kGo)) _exit(3);
    // The channel is O_CLOEXEC: a successful execve closes it.
    execl("/bin/true", "true", nullptr);
    _exit(4);
  });
  EXPECT_OK(SyncWaitFor(pair.parent.get(), SyncKind::kNeedIdMaps));
  EXPECT_OK(SyncSend(pair.parent.get(), SyncKind::kGo));
  int code = -1;
  EXPECT_OK(SyncWaitExec(pair.parent.get(), &code));
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(SyncChannelTest, ChildErrorBecomesStatusNamingStep) {
  ASSERT_OK_AND_ASSIGN(SyncPair pair, SyncPair::Create());
  pid_t pid = ForkChild(
      pair, [](int fd) { ChildReportError(fd, "mount", "proc, /rootfs/proc", EPERM, 125); });
  int code = 0;
  EXPECT_THAT(SyncWaitExec(pair.parent.get(), &code),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       Eq("mount(proc, /rootfs/proc): Operation not permitted")));
  EXPECT_EQ(code, 125);
  waitpid(pid, nullptr, 0);
}

TEST(SyncChannelTest, ErrorWhileWaitingForHandshake) {
  ASSERT_OK_AND_ASSIGN(SyncPair pair, SyncPair::Create());
  pid_t pid =
      ForkChild(pair, [](int fd) { ChildReportError(fd, "unshare", "CLONE_NEWUSER", EINVAL); });
  EXPECT_THAT(
      SyncWaitFor(pair.parent.get(), SyncKind::kNeedIdMaps),
      StatusIs(absl::StatusCode::kInvalidArgument, Eq("unshare(CLONE_NEWUSER): Invalid argument")));
  waitpid(pid, nullptr, 0);
}

TEST(SyncChannelTest, EarlyExitIsInternalError) {
  ASSERT_OK_AND_ASSIGN(SyncPair pair, SyncPair::Create());
  pid_t pid = ForkChild(pair, [](int) {});
  EXPECT_THAT(SyncWaitFor(pair.parent.get(), SyncKind::kReady),
              StatusIs(absl::StatusCode::kInternal, ::testing::HasSubstr("exited during setup")));
  waitpid(pid, nullptr, 0);
}

TEST(RawLogTest, FormatsWithoutAllocation) {
  RawBuf<64> b;
  b.Add("step ").AddInt(-42).Add(": ").AddErrno(ENOENT);
  EXPECT_STREQ(b.c_str(), "step -42: No such file or directory");
  RawBuf<8> small;
  small.Add("0123456789");
  EXPECT_STREQ(small.c_str(), "0123456");
}

}  // namespace
}  // namespace nucleus
