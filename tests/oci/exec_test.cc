// `exec` into a running OCI container, and process.terminal with --console-socket (the pty
// master handed to the engine over SCM_RIGHTS, as runc does).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/oci/oci_harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string NsLink(pid_t pid, const char* ns) {
  char buf[128] = {0};
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, n) : "";
}

class ExecTest : public OciTest {
 protected:
  // A started `sleep 100` container; returns its pid (0 on failure).
  pid_t StartSleeper(const std::string& id) {
    Bundle b = MakeBundle({"sleep", "100"});
    RunResult r = Oci({"create", "--bundle", b.dir, id});
    EXPECT_EQ(r.exit_code, 0) << r;
    r = Oci({"start", id});
    EXPECT_EQ(r.exit_code, 0) << r;
    Json st = StateOf(id);
    if (!st.is_object() || st["status"] != "running") {
      ADD_FAILURE() << "not running: " << st;
      return 0;
    }
    return st["pid"].get<pid_t>();
  }
  void ForceDelete(const std::string& id) {
    RunResult r = Oci({"delete", "--force", id});
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_THAT(RootEntries(), IsEmpty());
  }
};

TEST_F(ExecTest, OutputAndExitStatus) {
  const std::string id = Id("exec");
  ASSERT_GT(StartSleeper(id), 0);
  RunResult r = Oci({"exec", id, "/bin/sh", "-c", "echo hi; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.out, "hi\n") << r;
  EXPECT_THAT(r.err, HasSubstr("err")) << r;
  r = Oci({"exec", id, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 0) << r;
  r = Oci({"exec", id, "/no/such/command"});
  EXPECT_EQ(r.exit_code, 127) << r;
  EXPECT_EQ(StatusOf(id), "running");
  ForceDelete(id);
}

// The exec'd process joins the container's namespaces: its hostname, its PID namespace
// (PID 1 is the container's first process), its mount namespace (the busybox root).
TEST_F(ExecTest, SeesTheContainersNamespaces) {
  const std::string id = Id("execns");
  pid_t pid = StartSleeper(id);
  ASSERT_GT(pid, 0);
  RunResult r = Oci({"exec", id, "/bin/sh", "-c",
                     "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; "
                     "for n in pid net ipc uts mnt; do readlink /proc/self/ns/$n; done; "
                     "ls /proc | grep '^[0-9]' | sort -n | head -1; ls /bin/busybox"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = SplitLines(r.out);
  ASSERT_EQ(lines.size(), 9u) << r;
  EXPECT_EQ(lines[0], "oci-box");
  EXPECT_EQ(lines[1], "sleep 100 ");
  const char* ns[] = {"pid", "net", "ipc", "uts", "mnt"};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(lines[2 + i], NsLink(pid, ns[i])) << ns[i];
    EXPECT_NE(lines[2 + i], NsLink(getpid(), ns[i])) << ns[i] << " is the host's";
  }
  EXPECT_EQ(lines[7], "1") << "the lowest pid in the exec's /proc is not 1";
  EXPECT_EQ(lines[8], "/bin/busybox");

  // `ps` inside lists the container's processes only: sleep as PID 1, the exec'd shell.
  r = Oci({"exec", id, "ps", "-o", "pid,args"});
  ASSERT_EQ(r.exit_code, 0) << r;
  lines = SplitLines(r.out);
  ASSERT_GE(lines.size(), 3u) << r;
  EXPECT_THAT(lines[1], HasSubstr("1 sleep 100")) << r;
  EXPECT_LE(lines.size(), 4u) << "host processes visible? " << r;
  ForceDelete(id);
}

TEST_F(ExecTest, EnvCwdUser) {
  const std::string id = Id("execenv");
  ASSERT_GT(StartSleeper(id), 0);
  RunResult r = Oci({"exec", "--env", "FOO=bar", "--env", "PATH=/bin", "--cwd", "/etc", "--user",
                     "1000:1000", id, "/bin/sh", "-c", "echo $FOO; echo $PATH; pwd; id -u; id -g"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = SplitLines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r;
  EXPECT_EQ(lines[0], "bar");
  EXPECT_EQ(lines[1], "/bin") << "--env replaces the config's PATH";
  EXPECT_EQ(lines[2], "/etc");
  EXPECT_EQ(lines[3], "1000");
  EXPECT_EQ(lines[4], "1000");
  // Without flags: the config's process (env, cwd /, uid 0).
  r = Oci({"exec", id, "/bin/sh", "-c", "echo $PATH; pwd; id -u"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/\n0\n") << r;
  // By name from the rootfs's /etc/passwd (uid 1000 is "app" in the busybox rootfs).
  r = Oci({"exec", "--user", "app", id, "id", "-un"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "app\n") << r;
  ForceDelete(id);
}

// runc's `exec --process FILE`: a runtime-spec process object.
TEST_F(ExecTest, ProcessFile) {
  const std::string id = Id("execproc");
  ASSERT_GT(StartSleeper(id), 0);
  std::string file = dir() + "/process.json";
  Json process = {{"terminal", false},
                  {"user", {{"uid", 1000}, {"gid", 1000}}},
                  {"args", {"/bin/sh", "-c", "echo $X; pwd; id -u"}},
                  {"env", {"PATH=/bin", "X=from-file"}},
                  {"cwd", "/tmp"}};
  WriteFile(file, process.dump());
  RunResult r = Oci({"exec", "--process", file, id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "from-file\n/tmp\n1000\n") << r;
  ForceDelete(id);
}

TEST_F(ExecTest, DetachWithPidFile) {
  const std::string id = Id("execd");
  pid_t pid = StartSleeper(id);
  ASSERT_GT(pid, 0);
  std::string pid_file = dir() + "/exec.pid";
  double t0 = MonotonicNow();
  RunResult r = Oci({"exec", "--detach", "--pid-file", pid_file, id, "sleep", "50"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_LT(MonotonicNow() - t0, 5) << "--detach waited for the process";
  std::optional<std::string> text = ReadFile(pid_file);
  ASSERT_TRUE(text.has_value()) << "no --pid-file";
  pid_t epid = atoi(text->c_str());
  ASSERT_GT(epid, 0) << *text;
  EXPECT_TRUE(ProcAlive(epid));
  EXPECT_EQ(ProcParent(epid), getpid())
      << "the detached process must be reparented to the caller's subreaper (the shim waits "
         "for it)";
  EXPECT_EQ(NsLink(epid, "pid"), NsLink(pid, "pid"));
  EXPECT_EQ(NsLink(epid, "mnt"), NsLink(pid, "mnt"));
  RunResult ps = Oci({"ps", "--format", "json", id});
  ASSERT_EQ(ps.exit_code, 0) << ps;
  Json pids = Json::parse(ps.out, nullptr, false);
  ASSERT_TRUE(pids.is_array()) << ps;
  EXPECT_THAT(pids.get<std::vector<pid_t>>(), Contains(epid)) << ps;
  EXPECT_THAT(pids.get<std::vector<pid_t>>(), Contains(pid)) << ps;
  // delete --force ends the exec'd process with the container.
  ForceDelete(id);
  EXPECT_TRUE(WaitUntil([&] { return !ProcAlive(epid); }, 5));
}

TEST_F(ExecTest, IntoStoppedContainerFails) {
  const std::string id = Id("execstopped");
  Bundle b = MakeBundle({"/bin/true"});
  ASSERT_EQ(Oci({"create", "--bundle", b.dir, id}).exit_code, 0);
  // Not started yet: created is not running either.
  RunResult r = Oci({"exec", id, "/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r;
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  ASSERT_TRUE(WaitForStatus(id, "stopped"));
  r = Oci({"exec", id, "/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.err, HasSubstr("not running")) << r;
  r = Oci({"exec", Id("unknown"), "/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.err, HasSubstr("does not exist")) << r;
  r = Oci({"delete", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// ---- --console-socket ----

// A listening unix socket at a short path (sun_path has 108 bytes; $TEST_TMPDIR can be long).
class ConsoleSocket {
 public:
  ConsoleSocket() {
    char tmpl[] = "/tmp/nucleus-oci-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    path_ = dir_ + "/console.sock";
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 4) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~ConsoleSocket() {
    if (fd_ >= 0) close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  bool ok() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  // Accepts one connection and receives one fd over SCM_RIGHTS; -1 on failure.
  int ReceiveFd(std::string* name) {
    struct pollfd p = {fd_, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) return -1;
    int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return -1;
    char data[256];
    struct iovec iov = {data, sizeof(data)};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    close(conn);
    if (n < 0) return -1;
    *name = std::string(data, n);
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof(fd));
        return fd;
      }
    }
    return -1;
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
};

// Reads from fd into *buf until it contains needle or timeout_s passes.
bool ReadUntil(int fd, const std::string& needle, double timeout_s, std::string* buf) {
  double deadline = MonotonicNow() + timeout_s;
  while (buf->find(needle) == std::string::npos) {
    double left = deadline - MonotonicNow();
    if (left <= 0) return false;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left * 1000) + 1) <= 0) continue;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) return buf->find(needle) != std::string::npos;
    buf->append(chunk, n);
  }
  return true;
}

TEST_F(ExecTest, ConsoleSocketGetsThePtyMaster) {
  const std::string id = Id("console");
  ConsoleSocket sock;
  ASSERT_TRUE(sock.ok()) << "cannot listen on a unix socket under /tmp";
  Bundle b = MakeBundle({"/bin/sh"});
  b.config["process"]["terminal"] = true;
  b.Write();
  RunResult r = Oci({"create", "--bundle", b.dir, "--console-socket", sock.path(), id});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string name;
  int master = sock.ReceiveFd(&name);
  ASSERT_GE(master, 0) << "no fd received on the console socket";
  struct stat st;
  ASSERT_EQ(fstat(master, &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "not a character device";
  int ptn = -1;
  EXPECT_EQ(ioctl(master, TIOCGPTN, &ptn), 0) << "not a pty master: " << strerror(errno);

  r = Oci({"start", id});
  ASSERT_EQ(r.exit_code, 0) << r;
  // The quotes keep the echoed input from matching the output.
  const char kInput[] = "tty; echo mark''er-$((6*7))\n";
  ASSERT_EQ(write(master, kInput, sizeof(kInput) - 1), static_cast<ssize_t>(sizeof(kInput) - 1));
  std::string out;
  EXPECT_TRUE(ReadUntil(master, "marker-42", 10, &out)) << "read from the pty: " << out;
  EXPECT_THAT(out, HasSubstr("/dev/pts/0")) << out;
  const char kExit[] = "exit 0\n";
  ASSERT_EQ(write(master, kExit, sizeof(kExit) - 1), static_cast<ssize_t>(sizeof(kExit) - 1));
  EXPECT_TRUE(WaitForStatus(id, "stopped")) << "the shell did not exit";
  close(master);
  r = Oci({"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// process.terminal without --console-socket is an error that leaves nothing behind.
TEST_F(ExecTest, TerminalWithoutConsoleSocketFails) {
  const std::string id = Id("noconsole");
  Bundle b = MakeBundle({"/bin/sh"});
  b.config["process"]["terminal"] = true;
  b.Write();
  RunResult r = Oci({"create", "--bundle", b.dir, id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("console")) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
