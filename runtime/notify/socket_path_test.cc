#include "runtime/notify/socket_path.h"

#include <cstddef>
#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr size_t kPathOffset = offsetof(sockaddr_un, sun_path);

TEST(NotifySocketTest, AcceptsSystemdPaths) {
  for (const char* v :
       {"/run/systemd/notify", "/var/run/x.sock", "/run/x", "/run/user/1000/systemd/notify",
        "/run/.hidden/..sock/...", "/run/caf\xc3\xa9 socket"}) {
    ASSERT_OK_AND_ASSIGN(NotifySocketAddress a, ParseNotifySocket(v));
    EXPECT_FALSE(a.abstract) << v;
    EXPECT_EQ(a.path_or_name, v);
    EXPECT_EQ(NotifySocketValue(a), v);
  }
}

TEST(NotifySocketTest, AcceptsAbstract) {
  ASSERT_OK_AND_ASSIGN(NotifySocketAddress a,
                       ParseNotifySocket("@/org/freedesktop/systemd1/notify"));
  EXPECT_TRUE(a.abstract);
  EXPECT_EQ(a.path_or_name, "/org/freedesktop/systemd1/notify");
  EXPECT_EQ(NotifySocketValue(a), "@/org/freedesktop/systemd1/notify");
  // Abstract names are arbitrary bytes, '@', '/', ".." and control characters included.
  ASSERT_OK_AND_ASSIGN(NotifySocketAddress odd, ParseNotifySocket("@@../\n\x7f"));
  EXPECT_TRUE(odd.abstract);
  EXPECT_EQ(odd.path_or_name, "@../\n\x7f");
}

TEST(NotifySocketTest, LengthBoundaries) {
  // A path of exactly 107 bytes fits sun_path with its NUL; 108 does not.
  std::string p107 = "/run/" + std::string(kMaxNotifySocketBytes - 5, 'p');
  ASSERT_EQ(p107.size(), 107u);
  EXPECT_OK(ParseNotifySocket(p107));
  EXPECT_THAT(ParseNotifySocket(p107 + "p"),
              StatusIs(kInvalid, HasSubstr("is 108 bytes, more than 107 (sun_path)")));
  // An abstract name of 107 bytes (108 with its leading NUL) fits; 108 does not.
  std::string n107(kMaxNotifySocketBytes, 'n');
  ASSERT_OK_AND_ASSIGN(NotifySocketAddress a, ParseNotifySocket("@" + n107));
  EXPECT_EQ(a.path_or_name, n107);
  EXPECT_THAT(ParseNotifySocket("@" + n107 + "n"),
              StatusIs(kInvalid, HasSubstr("has a 108-byte abstract socket name, more than 107")));
  EXPECT_OK(ParseNotifySocket("@x"));
}

TEST(NotifySocketTest, SockaddrForPath) {
  ASSERT_OK_AND_ASSIGN(NotifySocketAddress a, ParseNotifySocket("/run/systemd/notify"));
  sockaddr_un sa;
  std::memset(&sa, 0x55, sizeof(sa));
  socklen_t len = 0;
  ASSERT_OK(ToSockaddrUn(a, &sa, &len));
  EXPECT_EQ(sa.sun_family, AF_UNIX);
  EXPECT_STREQ(sa.sun_path, "/run/systemd/notify");
  EXPECT_EQ(len, kPathOffset + strlen("/run/systemd/notify") + 1);
  EXPECT_EQ(sa.sun_path[len - kPathOffset - 1], '\0');
}

TEST(NotifySocketTest, SockaddrForAbstract) {
  ASSERT_OK_AND_ASSIGN(NotifySocketAddress a, ParseNotifySocket("@sock"));
  sockaddr_un sa;
  socklen_t len = 0;
  ASSERT_OK(ToSockaddrUn(a, &sa, &len));
  EXPECT_EQ(sa.sun_family, AF_UNIX);
  EXPECT_EQ(len, kPathOffset + 1 + 4);
  EXPECT_EQ(std::string(sa.sun_path, len - kPathOffset), std::string("\0sock", 5));
}

TEST(NotifySocketTest, SockaddrAtTheLimits) {
  std::string p107 = "/run/" + std::string(kMaxNotifySocketBytes - 5, 'p');
  ASSERT_OK_AND_ASSIGN(NotifySocketAddress a, ParseNotifySocket(p107));
  sockaddr_un sa;
  socklen_t len = 0;
  ASSERT_OK(ToSockaddrUn(a, &sa, &len));
  EXPECT_EQ(len, sizeof(sockaddr_un));
  EXPECT_EQ(sa.sun_path[sizeof(sa.sun_path) - 1], '\0');

  ASSERT_OK_AND_ASSIGN(NotifySocketAddress n,
                       ParseNotifySocket("@" + std::string(kMaxNotifySocketBytes, 'n')));
  ASSERT_OK(ToSockaddrUn(n, &sa, &len));
  EXPECT_EQ(len, sizeof(sockaddr_un));
  EXPECT_EQ(sa.sun_path[0], '\0');
  EXPECT_EQ(sa.sun_path[sizeof(sa.sun_path) - 1], 'n');
}

TEST(NotifySocketTest, SockaddrRefusesHandBuiltOversize) {
  sockaddr_un sa;
  std::memset(&sa, 0x55, sizeof(sa));
  socklen_t len = 7;
  EXPECT_THAT(ToSockaddrUn({false, "/run/" + std::string(200, 'x')}, &sa, &len),
              StatusIs(kInvalid, HasSubstr("does not fit in sun_path")));
  EXPECT_THAT(ToSockaddrUn({true, ""}, &sa, &len),
              StatusIs(kInvalid, Eq("NOTIFY_SOCKET: '@' does not fit in sun_path")));
  EXPECT_EQ(len, 7u);
  EXPECT_EQ(sa.sun_family, 0x5555);
}

struct BadCase {
  std::string value;
  const char* message;  // the whole error message
};

TEST(NotifySocketTest, RejectsBadValues) {
  const BadCase cases[] = {
      {"", "NOTIFY_SOCKET is empty"},
      {"run/systemd/notify",
       "NOTIFY_SOCKET: 'run/systemd/notify' is not an absolute path or an @abstract name"},
      {"../etc", "NOTIFY_SOCKET: '../etc' is not an absolute path or an @abstract name"},
      {"./notify", "NOTIFY_SOCKET: './notify' is not an absolute path or an @abstract name"},
      {"/run/../etc/passwd", "NOTIFY_SOCKET: '/run/../etc/passwd' has a '..' component"},
      {"/run/systemd/..", "NOTIFY_SOCKET: '/run/systemd/..' has a '..' component"},
      {"/run/./notify", "NOTIFY_SOCKET: '/run/./notify' has a '.' component"},
      {"/run//notify", "NOTIFY_SOCKET: '/run//notify' has an empty component ('//')"},
      {"//run/notify", "NOTIFY_SOCKET: '//run/notify' has an empty component ('//')"},
      {"/run/notify/", "NOTIFY_SOCKET: '/run/notify/' ends in '/'"},
      {"/run/", "NOTIFY_SOCKET: '/run/' ends in '/'"},
      {"/run", "NOTIFY_SOCKET: '/run' is not under /run/ or /var/run/"},
      {"/", "NOTIFY_SOCKET: '/' ends in '/'"},
      {"/tmp/x", "NOTIFY_SOCKET: '/tmp/x' is not under /run/ or /var/run/"},
      {"/etc/systemd/notify",
       "NOTIFY_SOCKET: '/etc/systemd/notify' is not under /run/ or "
       "/var/run/"},
      {"/runx/notify", "NOTIFY_SOCKET: '/runx/notify' is not under /run/ or /var/run/"},
      {"/var/runx", "NOTIFY_SOCKET: '/var/runx' is not under /run/ or /var/run/"},
      {"/var/lib/run/x", "NOTIFY_SOCKET: '/var/lib/run/x' is not under /run/ or /var/run/"},
      {"/RUN/x", "NOTIFY_SOCKET: '/RUN/x' is not under /run/ or /var/run/"},
      {"/run/a\nb", "NOTIFY_SOCKET: '/run/a\\nb' contains a control character"},
      {"/run/a\x7f", "NOTIFY_SOCKET: '/run/a\\177' contains a control character"},
      {"/run/a\tb", "NOTIFY_SOCKET: '/run/a\\tb' contains a control character"},
      {std::string("/run/a\0b", 8), "NOTIFY_SOCKET: '/run/a\\000b' contains a NUL byte"},
      {std::string("@a\0b", 4), "NOTIFY_SOCKET: '@a\\000b' contains a NUL byte"},
      {"@", "NOTIFY_SOCKET: '@' has an empty abstract socket name"},
      {"vsock:2:1234",
       "NOTIFY_SOCKET: 'vsock:2:1234' is an AF_VSOCK address, which is not "
       "supported"},
      {"vsock-stream:2:1234",
       "NOTIFY_SOCKET: 'vsock-stream:2:1234' is an AF_VSOCK address, "
       "which is not supported"},
      {"vsock-dgram:2:1234",
       "NOTIFY_SOCKET: 'vsock-dgram:2:1234' is an AF_VSOCK address, "
       "which is not supported"},
      {" /run/x", "NOTIFY_SOCKET: ' /run/x' is not an absolute path or an @abstract name"},
      {"notify", "NOTIFY_SOCKET: 'notify' is not an absolute path or an @abstract name"},
  };
  for (const BadCase& c : cases) {
    EXPECT_THAT(ParseNotifySocket(c.value), StatusIs(kInvalid, Eq(c.message))) << c.value;
  }
}

TEST(NotifySocketTest, ErrorsAreOneShortLine) {
  std::string hostile = "/tmp/" + std::string(100000, '\n');
  absl::Status st = ParseNotifySocket(hostile).status();
  EXPECT_THAT(st, StatusIs(kInvalid, HasSubstr("is 100005 bytes, more than 107")));
  EXPECT_LT(st.message().size(), 700u);
  EXPECT_EQ(st.message().find('\n'), absl::string_view::npos);
}

}  // namespace
}  // namespace nucleus
