#include "backends/gvisor/stdio_relay.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

class StdioRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nucleus-relay-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)RemoveTree(dir_); }

  UniqueFd OpenFile(const std::string& name, int flags) {
    return UniqueFd(::open((dir_ + "/" + name).c_str(), flags | O_CLOEXEC, 0644));
  }
  std::string Contents(const std::string& name) {
    return ReadFileToString(dir_ + "/" + name).value_or("<unreadable>");
  }

  std::string dir_;
};

// The workload's output lands where the caller's file offset is, after what the caller wrote,
// and the caller's offset moves past it (what the caller writes next follows it).
TEST_F(StdioRelayTest, OutputGoesThroughTheCallersOffset) {
  UniqueFd out = OpenFile("out", O_WRONLY | O_CREAT | O_TRUNC);
  ASSERT_TRUE(out.valid());
  ASSERT_EQ(::write(out.get(), "before\n", 7), 7);
  absl::StatusOr<std::unique_ptr<StdioRelay>> relay = StdioRelay::Start({-1, out.get(), -1});
  ASSERT_TRUE(relay.ok()) << relay.status();
  ASSERT_GE((*relay)->child_fd(1), 0);
  EXPECT_EQ((*relay)->child_fd(0), -1);
  EXPECT_EQ((*relay)->child_fd(2), -1);
  // The "workload": a copy of the child's end, as runsc would hold it.
  UniqueFd workload(::fcntl((*relay)->child_fd(1), F_DUPFD_CLOEXEC, 0));
  (*relay)->CloseChildEnds();
  ASSERT_EQ(::write(workload.get(), "out\n", 4), 4);
  workload.Reset();
  (*relay)->Finish();
  ASSERT_EQ(::write(out.get(), "after\n", 6), 6);
  EXPECT_EQ(Contents("out"), "before\nout\nafter\n");
}

// Finish() while a writer still holds the pipe (a process runsc left behind): what was
// written is drained, and Finish returns.
TEST_F(StdioRelayTest, FinishDrainsWithoutWaitingForEof) {
  UniqueFd out = OpenFile("out", O_WRONLY | O_CREAT | O_APPEND);
  absl::StatusOr<std::unique_ptr<StdioRelay>> relay = StdioRelay::Start({-1, -1, out.get()});
  ASSERT_TRUE(relay.ok());
  UniqueFd workload(::fcntl((*relay)->child_fd(2), F_DUPFD_CLOEXEC, 0));
  (*relay)->CloseChildEnds();
  std::string big(200 << 10, 'x');
  // More than a pipe holds: written from a thread while the relay copies.
  std::thread writer([&] { (void)WriteAll(workload.get(), big, "test"); });
  writer.join();
  (*relay)->Finish();
  EXPECT_EQ(Contents("out").size(), big.size());
}

// Input is read from where the caller is in the file, not from its start.
TEST_F(StdioRelayTest, InputStartsAtTheCallersOffset) {
  {
    UniqueFd f = OpenFile("in", O_WRONLY | O_CREAT | O_TRUNC);
    ASSERT_EQ(::write(f.get(), "line1\nline2\n", 12), 12);
  }
  UniqueFd in = OpenFile("in", O_RDONLY);
  char first[6];
  ASSERT_EQ(::read(in.get(), first, 6), 6);  // the caller read "line1\n" itself
  absl::StatusOr<std::unique_ptr<StdioRelay>> relay = StdioRelay::Start({in.get(), -1, -1});
  ASSERT_TRUE(relay.ok());
  UniqueFd workload(::fcntl((*relay)->child_fd(0), F_DUPFD_CLOEXEC, 0));
  (*relay)->CloseChildEnds();
  absl::StatusOr<std::string> got = ReadFdToString(workload.get());  // until EOF
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "line2\n");
  (*relay)->Finish();
}

// A workload that never reads its stdin: Finish() still returns.
TEST_F(StdioRelayTest, UnreadInputDoesNotBlockFinish) {
  {
    UniqueFd f = OpenFile("in", O_WRONLY | O_CREAT | O_TRUNC);
    ASSERT_TRUE(WriteAll(f.get(), std::string(1 << 20, 'y'), "test").ok());
  }
  UniqueFd in = OpenFile("in", O_RDONLY);
  absl::StatusOr<std::unique_ptr<StdioRelay>> relay = StdioRelay::Start({in.get(), -1, -1});
  ASSERT_TRUE(relay.ok());
  UniqueFd workload(::fcntl((*relay)->child_fd(0), F_DUPFD_CLOEXEC, 0));
  (*relay)->CloseChildEnds();
  (*relay)->Finish();  // the reader is still open, and full
}

// Pipes and character devices are not relayed: the child inherits them as they are.
TEST_F(StdioRelayTest, PipesAndDevicesPassThrough) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd r(p[0]), w(p[1]);
  UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  absl::StatusOr<std::unique_ptr<StdioRelay>> relay =
      StdioRelay::Start({r.get(), w.get(), null.get()});
  ASSERT_TRUE(relay.ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*relay)->child_fd(i), -1) << i;
    EXPECT_FALSE((*relay)->relays(i)) << i;
  }
}

}  // namespace
}  // namespace nucleus
