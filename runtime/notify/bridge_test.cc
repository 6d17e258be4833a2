#include "runtime/notify/bridge.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr uid_t kUid = 12345;
constexpr gid_t kGid = 23456;

sockaddr_un Address(const std::string& path, socklen_t* len) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  bool abstract = path[0] == '@';
  std::memcpy(sa.sun_path + (abstract ? 1 : 0), path.data() + (abstract ? 1 : 0),
              path.size() - (abstract ? 1 : 0));
  *len = offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1);
  return sa;
}

// A datagram socket bound at path ("@name": abstract), as the service manager's would be.
UniqueFd Bind(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  socklen_t len;
  sockaddr_un sa = Address(path, &len);
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len), 0)
      << path << ": " << strerror(errno);
  return fd;
}

// Every datagram waiting on fd, in order.
std::vector<std::string> ReceiveAll(int fd) {
  std::vector<std::string> out;
  char buf[8192];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0;) out.emplace_back(buf, n);
  EXPECT_EQ(errno, EAGAIN);
  return out;
}

// Sends one datagram to path as the workload would, with fds attached if any; -1 and errno
// on failure.
int SendTo(const std::string& path, const std::string& data, const std::vector<int>& fds = {}) {
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  socklen_t len;
  sockaddr_un sa = Address(path, &len);
  iovec iov{const_cast<char*>(data.data()), data.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  msghdr mh{};
  mh.msg_name = &sa;
  mh.msg_namelen = len;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (!fds.empty()) {
    mh.msg_control = control.data();
    mh.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  return sendmsg(fd.get(), &mh, MSG_DONTWAIT) < 0 ? -1 : 0;
}

size_t OpenFdCount() {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

// Each test gets its own directory under /run, as a real $NOTIFY_SOCKET lives there;
// TearDown removes it however the test ended.
class NotifyBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates sockets under /run and chowns";
    char tmpl[] = "/run/nucleus-notify-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) GTEST_SKIP() << "mkdtemp(" << tmpl << "): " << strerror(errno);
    dir_ = tmpl;
    up_path_ = dir_ + "/up.sock";
    bridge_path_ = dir_ + "/bridge.sock";
    up_ = Bind(up_path_);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<NotifyBridge> MakeBridge(const std::string& upstream) {
    auto bridge = NotifyBridge::Create(bridge_path_, 0, 0, upstream);
    EXPECT_OK(bridge);
    return bridge.ok() ? std::move(*bridge) : nullptr;
  }

  std::string dir_, up_path_, bridge_path_;
  UniqueFd up_;
};

TEST_F(NotifyBridgeTest, RelaysReadyStatusStoppingWatchdog) {
  auto bridge = MakeBridge(up_path_);
  ASSERT_NE(bridge, nullptr);
  EXPECT_TRUE(bridge->has_upstream());
  EXPECT_EQ(bridge->socket_path(), bridge_path_);

  ASSERT_EQ(SendTo(bridge_path_, "READY=1\nSTATUS=serving\n"), 0);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(/*relay_ready=*/true));
  EXPECT_TRUE(ev.ready);
  EXPECT_EQ(ev.status, "serving");
  EXPECT_FALSE(ev.stopping);
  EXPECT_FALSE(ev.watchdog);
  EXPECT_THAT(ev.refused, IsEmpty());
  EXPECT_OK(ev.relay);
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("READY=1\nSTATUS=serving"));

  ASSERT_EQ(SendTo(bridge_path_, "WATCHDOG=1"), 0);
  ASSERT_OK_AND_ASSIGN(ev, bridge->Drain(true));
  EXPECT_TRUE(ev.watchdog);
  EXPECT_FALSE(ev.watchdog_trigger);
  EXPECT_FALSE(ev.ready);
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("WATCHDOG=1"));

  ASSERT_EQ(SendTo(bridge_path_, "STOPPING=1\nSTATUS=bye"), 0);
  ASSERT_OK_AND_ASSIGN(ev, bridge->Drain(true));
  EXPECT_TRUE(ev.stopping);
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("STOPPING=1\nSTATUS=bye"));

  ASSERT_EQ(SendTo(bridge_path_, "WATCHDOG=trigger"), 0);
  ASSERT_OK_AND_ASSIGN(ev, bridge->Drain(true));
  EXPECT_TRUE(ev.watchdog);
  EXPECT_TRUE(ev.watchdog_trigger);
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("WATCHDOG=trigger"));

  // Nothing pending: nothing reported, nothing sent.
  ASSERT_OK_AND_ASSIGN(ev, bridge->Drain(true));
  EXPECT_FALSE(ev.ready || ev.stopping || ev.watchdog || ev.status);
  EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());
}

TEST_F(NotifyBridgeTest, MergesOneDrainIntoOneDatagram) {
  auto bridge = MakeBridge(up_path_);
  ASSERT_NE(bridge, nullptr);
  for (const char* d : {"STATUS=a", "WATCHDOG=1", "STATUS=b", "READY=1", "WATCHDOG=trigger"}) {
    ASSERT_EQ(SendTo(bridge_path_, d), 0);
  }
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(true));
  EXPECT_TRUE(ev.ready);
  EXPECT_EQ(ev.status, "b");
  EXPECT_TRUE(ev.watchdog_trigger);
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("READY=1\nSTATUS=b\nWATCHDOG=trigger"));
}

TEST_F(NotifyBridgeTest, HoldsBackReadyUnlessRelayReady) {
  auto bridge = MakeBridge(up_path_);
  ASSERT_NE(bridge, nullptr);
  ASSERT_EQ(SendTo(bridge_path_, "READY=1\nSTATUS=up"), 0);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(/*relay_ready=*/false));
  EXPECT_TRUE(ev.ready);  // reported, not relayed
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("STATUS=up"));

  ASSERT_EQ(SendTo(bridge_path_, "READY=1"), 0);
  ASSERT_OK_AND_ASSIGN(ev, bridge->Drain(false));
  EXPECT_TRUE(ev.ready);
  EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());

  // nucleus says it itself, when its own probe passes.
  EXPECT_OK(bridge->Notify("READY=1"));
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("READY=1"));
}

TEST_F(NotifyBridgeTest, NeverRelaysMainPidOrOtherKeys) {
  auto bridge = MakeBridge(up_path_);
  ASSERT_NE(bridge, nullptr);
  ASSERT_EQ(SendTo(bridge_path_,
                   "MAINPID=1\nSTATUS=x\nEXTEND_TIMEOUT_USEC=5\nX_CUSTOM=1\nRELOADING=1\n"
                   "WATCHDOG_USEC=10\nERRNO=2\nFDSTORE=1\nNOTIFYACCESS=all"),
            0);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(true));
  EXPECT_THAT(ev.refused, IsEmpty());
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("STATUS=x"));

  ASSERT_EQ(SendTo(bridge_path_, "MAINPID=4242"), 0);
  ASSERT_EQ(SendTo(bridge_path_, "X_UNKNOWN=1"), 0);
  ASSERT_OK_AND_ASSIGN(ev, bridge->Drain(true));
  EXPECT_THAT(ev.refused, IsEmpty());
  EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());
}

TEST_F(NotifyBridgeTest, RefusesMalformedAndKeepsWorking) {
  auto bridge = MakeBridge(up_path_);
  ASSERT_NE(bridge, nullptr);
  ASSERT_EQ(SendTo(bridge_path_, "READY=1\nREADY"), 0);  // one bad line refuses it all
  ASSERT_EQ(SendTo(bridge_path_, "MAINPID=abc"), 0);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(true));
  EXPECT_FALSE(ev.ready);
  const std::string pid = absl::StrCat("pid ", getpid(), ": ");
  EXPECT_THAT(ev.refused,
              ElementsAre(pid + "sd_notify line 2: 'READY' is not KEY=VALUE",
                          pid + "sd_notify line 1: MAINPID: 'abc' is not a pid (1..4194304)"));
  EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());

  ASSERT_EQ(SendTo(bridge_path_, std::string("STATUS=a\0b", 10)), 0);
  ASSERT_EQ(SendTo(bridge_path_, "READY=1"), 0);
  ASSERT_OK_AND_ASSIGN(ev, bridge->Drain(true));
  EXPECT_THAT(ev.refused, ElementsAre(HasSubstr("contains a NUL byte")));
  EXPECT_TRUE(ev.ready);
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("READY=1"));
}

TEST_F(NotifyBridgeTest, RefusesOverLongDatagram) {
  auto bridge = MakeBridge(up_path_);
  ASSERT_NE(bridge, nullptr);
  std::string big = "STATUS=" + std::string(5000 - 7, 'x');
  ASSERT_EQ(SendTo(bridge_path_, big), 0);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(true));
  EXPECT_THAT(ev.refused,
              ElementsAre(HasSubstr("sd_notify: message is 5000 bytes, more than 4096")));
  EXPECT_FALSE(ev.status);
  EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());

  // 4096 bytes exactly is accepted.
  ASSERT_EQ(SendTo(bridge_path_, "STATUS=" + std::string(4096 - 7, 'y')), 0);
  ASSERT_OK_AND_ASSIGN(ev, bridge->Drain(true));
  EXPECT_THAT(ev.refused, IsEmpty());
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("STATUS=" + std::string(4096 - 7, 'y')));
}

TEST_F(NotifyBridgeTest, RefusesPassedFdsAndClosesThem) {
  auto bridge = MakeBridge(up_path_);
  ASSERT_NE(bridge, nullptr);
  for (size_t count : {1, 200}) {
    const size_t before = OpenFdCount();
    {
      UniqueFd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
      ASSERT_EQ(SendTo(bridge_path_, "READY=1", std::vector<int>(count, devnull.get())), 0);
    }
    ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(true));
    EXPECT_FALSE(ev.ready);
    EXPECT_THAT(ev.refused, ElementsAre(HasSubstr("carries file descriptors")));
    EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());
    EXPECT_EQ(OpenFdCount(), before) << count << " fds passed";
  }
  ASSERT_EQ(SendTo(bridge_path_, "READY=1"), 0);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(true));
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("READY=1"));
}

// net.unix.max_dgram_qlen (10 by default) caps how many datagrams can wait on the bridge;
// the cap is per network namespace, taken when the socket is made. So the bridge is made
// in a child with its own network namespace and a longer queue; the child's exit code says
// which check failed.
TEST_F(NotifyBridgeTest, ReadsAtMostAFixedNumberPerDrain) {
  constexpr size_t kSent = kMaxNotifyDatagramsPerDrain + 1;
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) != 0) _exit(10);
    if (!(std::ofstream("/proc/sys/net/unix/max_dgram_qlen") << 2 * kSent)) _exit(11);
    auto bridge = NotifyBridge::Create(bridge_path_, 0, 0, up_path_);
    if (!bridge.ok()) _exit(1);
    for (size_t i = 0; i < kSent; ++i) {
      if (SendTo(bridge_path_, absl::StrCat("STATUS=", i)) != 0) _exit(2);
    }
    auto first = (*bridge)->Drain(true);
    if (!first.ok() || first->status != absl::StrCat(kSent - 2)) _exit(3);
    auto second = (*bridge)->Drain(true);
    if (!second.ok() || second->status != absl::StrCat(kSent - 1)) _exit(4);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  if (WEXITSTATUS(status) >= 10) {
    GTEST_SKIP() << "cannot make a network namespace with a longer datagram queue";
  }
  ASSERT_EQ(WEXITSTATUS(status), 0) << "failed check, see the test";
  EXPECT_THAT(ReceiveAll(up_.get()),
              ElementsAre(absl::StrCat("STATUS=", kSent - 2), absl::StrCat("STATUS=", kSent - 1)));
}

TEST_F(NotifyBridgeTest, RefusesHostileUpstreamValues) {
  for (const char* v : {"/tmp/x", "/run/../etc/x", "relative", "vsock:1:2", "/run//x", "/run/x/",
                        "@", "/run/a\nb"}) {
    EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, v),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(StartsWith("NOTIFY_SOCKET"), HasSubstr("not relaying sd_notify"))))
        << v;
    EXPECT_THAT(SendNotify(v, "READY=1"),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("NOTIFY_SOCKET")));
    struct stat st;
    EXPECT_NE(lstat(bridge_path_.c_str(), &st), 0) << "left a socket behind for " << v;
  }
  EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, "/tmp/x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "NOTIFY_SOCKET: '/tmp/x' is not under /run/ or /var/run/; not relaying "
                       "sd_notify"));
}

TEST_F(NotifyBridgeTest, WithoutUpstreamReportsOnly) {
  auto bridge = MakeBridge("");
  ASSERT_NE(bridge, nullptr);
  EXPECT_FALSE(bridge->has_upstream());
  ASSERT_EQ(SendTo(bridge_path_, "READY=1\nSTATUS=s"), 0);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(true));
  EXPECT_TRUE(ev.ready);
  EXPECT_EQ(ev.status, "s");
  EXPECT_OK(ev.relay);
  EXPECT_OK(bridge->Notify("READY=1"));
  EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());
}

TEST_F(NotifyBridgeTest, DoesNotFollowSymlinks) {
  const std::string elsewhere = dir_ + "/elsewhere";
  ASSERT_EQ(mkdir(elsewhere.c_str(), 0700), 0);
  UniqueFd real = Bind(elsewhere + "/real.sock");
  ASSERT_EQ(symlink((elsewhere + "/real.sock").c_str(), (dir_ + "/link.sock").c_str()), 0);
  ASSERT_EQ(symlink("elsewhere", (dir_ + "/linkdir").c_str()), 0);

  EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, dir_ + "/link.sock"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(StartsWith("NOTIFY_SOCKET"),
                             HasSubstr("passes through a symlink, '" + dir_ + "/link.sock'"))));
  EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, dir_ + "/linkdir/real.sock"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("passes through a symlink, '" + dir_ + "/linkdir'")));
  EXPECT_THAT(SendNotify(dir_ + "/link.sock", "READY=1"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("symlink")));
  EXPECT_THAT(ReceiveAll(real.get()), IsEmpty());
  // The real path works.
  EXPECT_OK(SendNotify(elsewhere + "/real.sock", "READY=1"));
  EXPECT_THAT(ReceiveAll(real.get()), ElementsAre("READY=1"));
}

TEST_F(NotifyBridgeTest, RefusesNonSocketsForeignOwnersAndMissingSockets) {
  const std::string file = dir_ + "/file";
  std::ofstream(file) << "x";
  EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, file),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is not a socket")));
  EXPECT_THAT(SendNotify(file + "/x", "READY=1"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("Not a directory")));

  ASSERT_EQ(chown(up_path_.c_str(), 4242, 4242), 0);
  EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, up_path_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is owned by uid 4242")));
  EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());

  EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, dir_ + "/missing.sock"),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(StartsWith("NOTIFY_SOCKET: open(" + dir_ + "/missing.sock)"),
                             HasSubstr("not relaying sd_notify"))));
  // A socket file nobody is bound to any more.
  const std::string stale = dir_ + "/stale.sock";
  Bind(stale);  // closed at once
  EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, stale),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("connect(" + stale + "): Connection refused")));
}

TEST_F(NotifyBridgeTest, AbstractAndVarRunUpstreams) {
  const std::string abstract = absl::StrCat("@nucleus-notify-test-", getpid());
  UniqueFd up = Bind(abstract);
  auto bridge = MakeBridge(abstract);
  ASSERT_NE(bridge, nullptr);
  ASSERT_EQ(SendTo(bridge_path_, "READY=1"), 0);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(true));
  EXPECT_THAT(ReceiveAll(up.get()), ElementsAre("READY=1"));

  std::error_code ec;
  if (std::filesystem::read_symlink("/var/run", ec) != "/run") {
    GTEST_SKIP() << "/var/run is not a symlink to /run here";
  }
  EXPECT_OK(SendNotify("/var" + up_path_, "STATUS=via /var/run"));
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("STATUS=via /var/run"));
}

TEST_F(NotifyBridgeTest, SocketOwnedByUserAndRemovedByDestructor) {
  auto bridge = NotifyBridge::Create(bridge_path_, kUid, kGid, up_path_);
  ASSERT_OK(bridge);
  struct stat st;
  ASSERT_EQ(lstat(bridge_path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_uid, kUid);
  EXPECT_EQ(st.st_gid, kGid);
  EXPECT_EQ(st.st_mode & 07777, 0600);
  bridge->reset();
  EXPECT_NE(lstat(bridge_path_.c_str(), &st), 0);
  EXPECT_EQ(errno, ENOENT);

  // uid 0: stays root's.
  auto root = MakeBridge("");
  ASSERT_NE(root, nullptr);
  ASSERT_EQ(lstat(bridge_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, 0u);
}

// Sends data to path as uid:gid from a child; returns the errno of sendmsg (0: sent) and
// sets *pid to the child's pid.
int SendAs(uid_t uid, gid_t gid, const std::string& path, const std::string& data, pid_t* pid) {
  *pid = fork();
  if (*pid == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(uid, uid, uid) != 0) {
      _exit(255);
    }
    _exit(SendTo(path, data) == 0 ? 0 : errno);
  }
  int status = 0;
  waitpid(*pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 254;
}

TEST_F(NotifyBridgeTest, OnlyTheContainerUserCanSend) {
  ASSERT_EQ(chmod(dir_.c_str(), 0711), 0);  // let the users reach the socket
  auto bridge = NotifyBridge::Create(bridge_path_, kUid, kGid, up_path_);
  ASSERT_OK(bridge);
  pid_t pid = 0, other = 0;
  EXPECT_EQ(SendAs(kUid, kGid, bridge_path_, "READY", &pid), 0);
  EXPECT_EQ(SendAs(kUid + 1, kGid, bridge_path_, "READY=1", &other), EACCES);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, (*bridge)->Drain(true));
  EXPECT_THAT(ev.refused, ElementsAre(StartsWith(absl::StrCat("pid ", pid, ": sd_notify"))))
      << "the sender's pid comes from SCM_CREDENTIALS";
  EXPECT_FALSE(ev.ready);
  EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());
}

TEST_F(NotifyBridgeTest, ExistingFileIsNotReplaced) {
  std::ofstream(bridge_path_) << "keep";
  EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, up_path_),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(bridge_path_)));
  std::ifstream in(bridge_path_);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "keep");

  // A dangling symlink there is not followed either.
  ASSERT_EQ(unlink(bridge_path_.c_str()), 0);
  ASSERT_EQ(symlink((dir_ + "/target.sock").c_str(), bridge_path_.c_str()), 0);
  EXPECT_THAT(NotifyBridge::Create(bridge_path_, 0, 0, ""),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(bridge_path_)));
  struct stat st;
  EXPECT_NE(lstat((dir_ + "/target.sock").c_str(), &st), 0);
}

TEST_F(NotifyBridgeTest, RefusesBadSocketPaths) {
  for (const char* p : {"", "relative.sock", "/run/"}) {
    EXPECT_THAT(NotifyBridge::Create(p, 0, 0, ""), StatusIs(absl::StatusCode::kInvalidArgument,
                                                            HasSubstr("not an absolute file path")))
        << p;
  }
  EXPECT_THAT(NotifyBridge::Create(dir_ + "/" + std::string(100, 'n'), 0, 0, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too long for sun_path")));
  EXPECT_THAT(NotifyBridge::Create(dir_ + "/no/such.sock", 0, 0, ""),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir_ + "/no")));
  // A long directory is fine: the socket is bound through the directory's fd.
  std::string deep = dir_;
  while (deep.size() < 120) {
    deep += "/" + std::string(20, 'd');
    ASSERT_EQ(mkdir(deep.c_str(), 0700), 0);
  }
  ASSERT_OK_AND_ASSIGN(auto bridge, NotifyBridge::Create(deep + "/b.sock", 0, 0, up_path_));
  UniqueFd deep_fd(open(deep.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(SendTo(absl::StrCat("/proc/self/fd/", deep_fd.get(), "/b.sock"), "READY=1"), 0);
  ASSERT_OK_AND_ASSIGN(NotifyEvents ev, bridge->Drain(true));
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("READY=1"));
  bridge.reset();
  struct stat st;
  EXPECT_NE(lstat((deep + "/b.sock").c_str(), &st), 0);
}

TEST_F(NotifyBridgeTest, OwnDatagramsAreChecked) {
  auto bridge = MakeBridge(up_path_);
  ASSERT_NE(bridge, nullptr);
  EXPECT_THAT(bridge->Notify("STATUS=ok\nMAINPID"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sd_notify line 2")));
  EXPECT_THAT(SendNotify(up_path_, "STATUS=a\nb"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sd_notify line 2")));
  EXPECT_THAT(ReceiveAll(up_.get()), IsEmpty());
  EXPECT_OK(bridge->Notify("STATUS=ok"));
  EXPECT_OK(SendNotify(up_path_, "STOPPING=1"));
  EXPECT_THAT(ReceiveAll(up_.get()), ElementsAre("STATUS=ok", "STOPPING=1"));
}

}  // namespace
}  // namespace nucleus
