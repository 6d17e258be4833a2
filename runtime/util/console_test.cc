#include "runtime/util/console.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string TempDir(const char* base) {
  std::string dir = absl::StrCat(base, "/console_test_XXXXXX");
  if (mkdtemp(&dir[0]) == nullptr) return "";
  return dir;
}

std::string TestTmp() {
  const char* t = getenv("TEST_TMPDIR");
  return t != nullptr ? t : "/tmp";
}

// A listening unix socket at path; long paths are bound through /proc/self/fd/N/NAME.
UniqueFd Listen(const std::string& path) {
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return sock;
  size_t slash = path.rfind('/');
  UniqueFd dir(open(path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  std::string target = absl::StrCat("/proc/self/fd/", dir.get(), "/", path.substr(slash + 1));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (target.size() >= sizeof(addr.sun_path)) return UniqueFd();
  memcpy(addr.sun_path, target.data(), target.size());
  if (bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(sock.get(), 1) != 0) {
    return UniqueFd();
  }
  return sock;
}

std::string ReadSome(int fd) {
  char buf[256];
  ssize_t n = RetryEintr([&] { return read(fd, buf, sizeof(buf)); });
  return n > 0 ? std::string(buf, n) : "";
}

void MakeRaw(int fd) {
  termios t;
  ASSERT_EQ(tcgetattr(fd, &t), 0);
  cfmakeraw(&t);
  ASSERT_EQ(tcsetattr(fd, TCSANOW, &t), 0);
}

struct Pipe {
  UniqueFd r, w;
};
Pipe MakePipe() {
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool IsCloexec(int fd) { return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

TEST(OpenPtyTest, GivesAWorkingPair) {
  ASSERT_OK_AND_ASSIGN(Pty pty, OpenPty());
  EXPECT_TRUE(isatty(pty.master.get()));
  EXPECT_TRUE(isatty(pty.slave.get()));
  EXPECT_TRUE(IsCloexec(pty.master.get()));
  EXPECT_TRUE(IsCloexec(pty.slave.get()));
  EXPECT_EQ(fcntl(pty.master.get(), F_GETFL) & O_ACCMODE, O_RDWR);
  EXPECT_EQ(fcntl(pty.slave.get(), F_GETFL) & O_ACCMODE, O_RDWR);
  EXPECT_THAT(pty.slave_name, StartsWith("/dev/pts/"));

  ASSERT_EQ(write(pty.slave.get(), "hi\n", 3), 3);
  EXPECT_EQ(ReadSome(pty.master.get()), "hi\r\n");  // ONLCR: a terminal, not a pipe
  ASSERT_EQ(write(pty.master.get(), "yo\n", 3), 3);
  EXPECT_EQ(ReadSome(pty.slave.get()), "yo\n");
}

TEST(ConsoleSocketTest, SendsPtyFdAndName) {
  std::string dir = TempDir("/tmp");
  if (dir.empty()) dir = TempDir(TestTmp().c_str());
  ASSERT_FALSE(dir.empty());
  const std::string path = dir + "/console.sock";
  ASSERT_LT(path.size(), sizeof(sockaddr_un::sun_path));
  UniqueFd listener = Listen(path);
  ASSERT_TRUE(listener.valid()) << strerror(errno);

  ASSERT_OK_AND_ASSIGN(Pty pty, OpenPty());
  ASSERT_OK(SendConsoleFd(path, pty.master.get(), pty.slave_name));
  std::string name;
  ASSERT_OK_AND_ASSIGN(UniqueFd got, ReceiveConsoleFd(listener.get(), absl::Seconds(5), &name));
  EXPECT_EQ(name, pty.slave_name);
  EXPECT_TRUE(isatty(got.get()));
  EXPECT_TRUE(IsCloexec(got.get()));
  // It is the same master: what the slave writes arrives on it.
  ASSERT_EQ(write(pty.slave.get(), "x\n", 2), 2);
  EXPECT_EQ(ReadSome(got.get()), "x\r\n");
  unlink(path.c_str());
  rmdir(dir.c_str());
}

TEST(ConsoleSocketTest, PathLongerThanSunPath) {
  std::string dir = TempDir(TestTmp().c_str());
  ASSERT_FALSE(dir.empty());
  std::string deep = dir;
  while (deep.size() < 150) {
    deep += "/a-rather-long-directory-name";
    ASSERT_EQ(mkdir(deep.c_str(), 0700), 0) << deep;
  }
  const std::string path = deep + "/console.sock";
  ASSERT_GT(path.size(), 108u);
  UniqueFd listener = Listen(path);
  ASSERT_TRUE(listener.valid()) << strerror(errno);

  ASSERT_OK_AND_ASSIGN(Pty pty, OpenPty());
  ASSERT_OK(SendConsoleFd(path, pty.master.get(), ""));
  std::string name = "unchanged";
  ASSERT_OK_AND_ASSIGN(UniqueFd got, ReceiveConsoleFd(listener.get(), absl::Seconds(5), &name));
  EXPECT_EQ(name, "");  // the lone NUL that carried the fd is not part of the name
  EXPECT_TRUE(isatty(got.get()));
}

TEST(ConsoleSocketTest, ErrorsNameTheSocketPath) {
  const std::string path = TestTmp() + "/no-such-console.sock";
  EXPECT_THAT(SendConsoleFd(path, 0, "x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(absl::StrCat("connect(", path))));
  std::string long_missing = TestTmp() + "/" + std::string(120, 'd') + "/x.sock";
  EXPECT_THAT(SendConsoleFd(long_missing, 0, "x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(std::string(120, 'd'))));
}

TEST(ConsoleSocketTest, ReceiveTimesOut) {
  std::string dir = TempDir(TestTmp().c_str());
  UniqueFd listener = Listen(dir + "/s");
  ASSERT_TRUE(listener.valid());
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(ReceiveConsoleFd(listener.get(), absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("console socket")));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(190));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(ConsoleSocketTest, MessageWithoutFdIsAnError) {
  std::string dir = TempDir(TestTmp().c_str());
  const std::string path = dir + "/s";
  UniqueFd listener = Listen(path);
  ASSERT_TRUE(listener.valid());
  std::thread peer([&] {
    UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    size_t slash = path.rfind('/');
    UniqueFd d(open(path.substr(0, slash).c_str(), O_PATH | O_CLOEXEC));
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::string t = absl::StrCat("/proc/self/fd/", d.get(), "/s");
    memcpy(addr.sun_path, t.data(), t.size());
    if (connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      (void)!write(s.get(), "plain", 5);
    }
  });
  EXPECT_THAT(ReceiveConsoleFd(listener.get(), absl::Seconds(5)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("carried no fd")));
  peer.join();
}

// The slave side of a pty as a program would use it, in a thread.
TEST(RelayPtyTest, CopiesBothWaysUntilSlaveCloses) {
  ASSERT_OK_AND_ASSIGN(Pty pty, OpenPty());
  MakeRaw(pty.slave.get());  // no echo, no CRLF: bytes as they are
  Pipe in = MakePipe(), out = MakePipe();
  ASSERT_EQ(write(in.w.get(), "ping", 4), 4);

  std::string seen;
  std::thread program([&seen, slave = std::move(pty.slave)]() mutable {
    while (seen.size() < 4) {
      std::string s = ReadSome(slave.get());
      if (s.empty()) break;
      seen += s;
    }
    (void)!write(slave.get(), "pong", 4);
    slave.Reset();  // the last slave fd: the master reads EIO, the relay ends
  });
  EXPECT_OK(RelayPty(pty.master.get(), in.r.get(), out.w.get(), /*stop_fd=*/-1));
  program.join();
  EXPECT_EQ(seen, "ping");
  out.w.Reset();
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFdToString(out.r.get()));
  EXPECT_EQ(got, "pong");
  // The master's flags are back as they were (blocking).
  EXPECT_EQ(fcntl(pty.master.get(), F_GETFL) & O_NONBLOCK, 0);
}

TEST(RelayPtyTest, StopsWhenStopFdFiresAfterDrainingTheMaster) {
  ASSERT_OK_AND_ASSIGN(Pty pty, OpenPty());
  MakeRaw(pty.slave.get());
  Pipe in = MakePipe(), out = MakePipe();
  UniqueFd stop(eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(stop.valid());

  const std::string payload = [] {
    std::string s;
    for (int i = 0; s.size() < (300 << 10); ++i) absl::StrAppend(&s, i, ",");
    return s;
  }();
  std::thread program([&] {
    absl::string_view rest = payload;
    while (!rest.empty()) {
      ssize_t n = write(pty.slave.get(), rest.data(), rest.size());
      if (n <= 0) return;
      rest.remove_prefix(n);
    }
    // Exits (stop fires) with its output written but perhaps not yet relayed, and the slave
    // still open (as when a background child holds it): no EIO will come.
    uint64_t one = 1;
    (void)!write(stop.get(), &one, sizeof(one));
  });
  std::string got;
  std::thread reader([&] {
    std::string s;
    char buf[8192];
    for (;;) {
      ssize_t n = RetryEintr([&] { return read(out.r.get(), buf, sizeof(buf)); });
      if (n <= 0) break;
      s.append(buf, n);
    }
    got = std::move(s);
  });
  EXPECT_OK(RelayPty(pty.master.get(), in.r.get(), out.w.get(), stop.get()));
  program.join();
  out.w.Reset();
  reader.join();
  EXPECT_EQ(got.size(), payload.size());
  EXPECT_TRUE(got == payload);
}

TEST(RelayPtyTest, InputEofBecomesVeof) {
  ASSERT_OK_AND_ASSIGN(Pty pty, OpenPty());  // canonical mode, as a shell leaves it
  Pipe in = MakePipe(), out = MakePipe();
  ASSERT_EQ(write(in.w.get(), "abc\nde", 6), 6);
  in.w.Reset();
  std::string seen;
  bool saw_eof = false;
  std::thread program([&, slave = std::move(pty.slave)]() mutable {
    char buf[64];
    for (;;) {
      ssize_t n = RetryEintr([&] { return read(slave.get(), buf, sizeof(buf)); });
      if (n <= 0) {
        saw_eof = n == 0;
        break;
      }
      seen.append(buf, n);
    }
    slave.Reset();
  });
  // Output (the echo) goes to a pipe nobody reads until the end: small, it fits.
  EXPECT_OK(RelayPty(pty.master.get(), in.r.get(), out.w.get(), -1));
  program.join();
  EXPECT_EQ(seen, "abc\nde");  // the partial line was flushed by the first ^D
  EXPECT_TRUE(saw_eof);
}

TEST(RelayPtyTest, TerminalInputIsRawForTheDurationAndWindowSizeFollows) {
  // `user` plays the user's terminal; `inner` is the container's pty.
  ASSERT_OK_AND_ASSIGN(Pty user, OpenPty());
  ASSERT_OK_AND_ASSIGN(Pty inner, OpenPty());
  MakeRaw(inner.slave.get());
  winsize ws = {};
  ws.ws_row = 33;
  ws.ws_col = 101;
  ASSERT_EQ(ioctl(user.master.get(), TIOCSWINSZ, &ws), 0);
  termios before;
  ASSERT_EQ(tcgetattr(user.slave.get(), &before), 0);
  ASSERT_NE(before.c_lflag & ICANON, 0u);

  // SIGWINCH blocked before any thread starts, so every thread has it blocked.
  sigset_t winch, old;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &winch, &old), 0);
  UniqueFd winch_fd(signalfd(-1, &winch, SFD_CLOEXEC));
  ASSERT_TRUE(winch_fd.valid());
  UniqueFd stop(eventfd(0, EFD_CLOEXEC));

  absl::Status relay_status;
  std::thread relay([&] {
    relay_status = RelayPty(inner.master.get(), user.slave.get(), user.slave.get(), stop.get(),
                            winch_fd.get());
  });
  auto wait_size = [&](int rows, int cols) {
    for (int i = 0; i < 300; ++i) {
      winsize got = {};
      ioctl(inner.master.get(), TIOCGWINSZ, &got);
      if (got.ws_row == rows && got.ws_col == cols) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  EXPECT_TRUE(wait_size(33, 101));
  termios during;
  ASSERT_EQ(tcgetattr(user.slave.get(), &during), 0);
  EXPECT_EQ(during.c_lflag & (ICANON | ECHO), 0u);

  ws.ws_row = 50;
  ws.ws_col = 160;
  ASSERT_EQ(ioctl(user.master.get(), TIOCSWINSZ, &ws), 0);
  ASSERT_EQ(kill(getpid(), SIGWINCH), 0);
  EXPECT_TRUE(wait_size(50, 160));

  // Typed keys reach the container's pty, bytes as typed (raw: no line buffering).
  ASSERT_EQ(write(user.master.get(), "k", 1), 1);
  EXPECT_EQ(ReadSome(inner.slave.get()), "k");

  uint64_t one = 1;
  ASSERT_EQ(write(stop.get(), &one, sizeof(one)), 8);
  relay.join();
  EXPECT_OK(relay_status);
  termios after;
  ASSERT_EQ(tcgetattr(user.slave.get(), &after), 0);
  EXPECT_EQ(after.c_lflag, before.c_lflag);
  EXPECT_EQ(after.c_iflag, before.c_iflag);
  EXPECT_EQ(after.c_oflag, before.c_oflag);
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &old, nullptr), 0);
}

}  // namespace
}  // namespace nucleus
