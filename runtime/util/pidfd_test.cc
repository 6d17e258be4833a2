#include "runtime/util/pidfd.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "gtest/gtest.h"

namespace nucleus {
namespace {

TEST(Pidfd, OpenSignalAndAGoneProcess) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  absl::StatusOr<UniqueFd> fd = PidfdOpen(child);
  if (absl::IsUnimplemented(fd.status())) GTEST_SKIP() << fd.status();
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(PidfdSendSignal(fd->get(), SIGKILL, child).ok());
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  // Reaped: the pidfd still names it, and a signal to it is no error (nothing to signal).
  EXPECT_TRUE(PidfdSendSignal(fd->get(), SIGTERM, child).ok());
  EXPECT_NE(PidfdSendSignalRaw(fd->get(), SIGTERM), 0);
  absl::StatusOr<UniqueFd> gone = PidfdOpen(child);
  EXPECT_TRUE(absl::IsNotFound(gone.status())) << gone.status();
  EXPECT_NE(gone.status().message().find("does not exist"), absl::string_view::npos);
  EXPECT_FALSE(PidfdOpen(-1).ok());
  // A bad fd is an error that names the pid.
  absl::Status bad = PidfdSendSignal(-1, SIGTERM, 4242);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("4242"), absl::string_view::npos) << bad;
}

}  // namespace
}  // namespace nucleus
