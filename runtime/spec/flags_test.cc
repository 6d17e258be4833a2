#include "runtime/spec/flags.h"

#include <linux/capability.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
const HostDefaults kRoot{0, 0};
const HostDefaults kRootless{1000, 1001};

absl::StatusOr<RunRequest> Parse(const std::vector<std::string>& args,
                                 const HostDefaults& host = kRoot) {
  return ParseRunArgs(args, host);
}

std::string Cwd() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) ? buf : "";
}

bool SameIds(const IdMapping& a, const IdMapping& b) {
  return a.container_id == b.container_id && a.host_id == b.host_id && a.size == b.size;
}

TEST(ParseRunArgsTest, MinimalDefaults) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"echo", "hi"}));
  const ContainerSpec& s = req.spec;
  EXPECT_FALSE(req.help);
  EXPECT_THAT(req.warnings, IsEmpty());
  EXPECT_THAT(s.process.args, ElementsAre("echo", "hi"));
  EXPECT_TRUE(std::regex_match(s.id, std::regex("nucleus-[0-9a-f]{12}"))) << s.id;
  EXPECT_EQ(s.hostname, "");
  EXPECT_EQ(s.rootfs, "");
  EXPECT_TRUE(s.readonly_rootfs);
  EXPECT_THAT(s.mounts, IsEmpty());
  EXPECT_EQ(s.masked_paths, DefaultMaskedPaths());
  EXPECT_EQ(s.readonly_paths, DefaultReadonlyPaths());
  EXPECT_EQ(s.process.cwd, "/");
  EXPECT_EQ(s.process.uid, 0u);
  EXPECT_EQ(s.process.gid, 0u);
  EXPECT_THAT(s.process.additional_gids, IsEmpty());
  EXPECT_THAT(s.process.capabilities, IsEmpty());
  ASSERT_EQ(s.process.rlimits.size(), 1u);
  EXPECT_EQ(s.process.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_LE(s.process.rlimits[0].soft, kDefaultNofileSoft);
  EXPECT_LE(s.process.rlimits[0].hard, kDefaultNofileHard);
  EXPECT_EQ(s.resources.pids_limit, kDefaultPidsLimit);
  EXPECT_FALSE(s.host_root);
  EXPECT_FALSE(s.tmp_exec);
  EXPECT_TRUE(s.process.no_new_privileges);
  EXPECT_THAT(s.process.env,
              ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "HOME=/root"));
  EXPECT_TRUE(s.namespaces.pid && s.namespaces.mount && s.namespaces.uts && s.namespaces.ipc &&
              s.namespaces.net && s.namespaces.cgroup);
  // As root: a private id range, not the host's ids (--userns=host for those).
  EXPECT_TRUE(s.namespaces.user);
  ASSERT_THAT(s.uid_mappings, SizeIs(1));
  EXPECT_TRUE(SameIds(s.uid_mappings[0], IdMapping{0, 100000, 65536}));
  EXPECT_TRUE(req.default_user_namespace);
  EXPECT_FALSE(s.namespaces.time);
  EXPECT_TRUE(s.init);
}

TEST(ParseRunArgsTest, GeneratedIdsDiffer) {
  ASSERT_OK_AND_ASSIGN(RunRequest a, Parse({"true"}));
  ASSERT_OK_AND_ASSIGN(RunRequest b, Parse({"true"}));
  EXPECT_NE(a.spec.id, b.spec.id);
}

TEST(ParseRunArgsTest, CommandBoundaries) {
  ASSERT_OK_AND_ASSIGN(RunRequest a, Parse({"--read-only", "--", "-weird", "--rw", "x"}));
  EXPECT_THAT(a.spec.process.args, ElementsAre("-weird", "--rw", "x"));
  // Without "--" the first non-flag starts the command; what follows is the command's.
  ASSERT_OK_AND_ASSIGN(RunRequest b, Parse({"--no-init", "ls", "-l", "--user", "x", "--"}));
  EXPECT_THAT(b.spec.process.args, ElementsAre("ls", "-l", "--user", "x", "--"));
  EXPECT_FALSE(b.spec.init);
  ASSERT_OK_AND_ASSIGN(RunRequest c, Parse({"-", "x"}));
  EXPECT_THAT(c.spec.process.args, ElementsAre("-", "x"));
}

TEST(ParseRunArgsTest, MissingCommand) {
  const std::string msg = "run: missing command (usage: nucleus run [FLAGS] -- CMD [ARGS...])";
  EXPECT_THAT(Parse({}), StatusIs(kInvalid, Eq(msg)));
  EXPECT_THAT(Parse({"--read-only"}), StatusIs(kInvalid, Eq(msg)));
  EXPECT_THAT(Parse({"--name", "x", "--"}), StatusIs(kInvalid, Eq(msg)));
  EXPECT_THAT(Parse({"--", ""}), StatusIs(kInvalid, Eq("run: the command is empty")));
}

TEST(ParseRunArgsTest, Help) {
  for (const char* h : {"--help", "-h"}) {
    ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--read-only", h}));
    EXPECT_TRUE(req.help);
  }
  ASSERT_OK_AND_ASSIGN(RunRequest after_junk, Parse({"-h", "--bogus"}));
  EXPECT_TRUE(after_junk.help);
  EXPECT_THAT(Parse({"--bogus", "-h"}), StatusIs(kInvalid, HasSubstr("unknown flag")));
  // After the command starts, --help is the command's.
  ASSERT_OK_AND_ASSIGN(RunRequest cmd, Parse({"ls", "--help"}));
  EXPECT_FALSE(cmd.help);
}

TEST(ParseRunArgsTest, UnknownFlags) {
  EXPECT_THAT(Parse({"--foo", "ls"}), StatusIs(kInvalid, Eq("run: unknown flag '--foo'")));
  EXPECT_THAT(Parse({"--foo=bar", "ls"}), StatusIs(kInvalid, Eq("run: unknown flag '--foo'")));
  EXPECT_THAT(Parse({"-x", "ls"}), StatusIs(kInvalid, Eq("run: unknown flag '-x'")));
  EXPECT_THAT(Parse({"-hx", "ls"}), StatusIs(kInvalid, Eq("run: unknown flag '-hx'")));
  EXPECT_THAT(Parse({"--ENV", "A=1", "ls"}), StatusIs(kInvalid, HasSubstr("'--ENV'")));
  EXPECT_THAT(Parse({"--memory\n", "ls"}),
              StatusIs(kInvalid, Eq("run: unknown flag '--memory\\n'")));
}

TEST(ParseRunArgsTest, MissingValues) {
  EXPECT_THAT(Parse({"--user"}), StatusIs(kInvalid, Eq("--user: needs a value")));
  EXPECT_THAT(Parse({"--user", "--", "ls"}), StatusIs(kInvalid, Eq("--user: needs a value")));
  EXPECT_THAT(Parse({"--user=", "ls"}), StatusIs(kInvalid, Eq("--user: needs a value")));
  EXPECT_THAT(Parse({"-e"}), StatusIs(kInvalid, Eq("--env: needs a value")));
  EXPECT_THAT(Parse({"-w", "", "ls"}), StatusIs(kInvalid, Eq("--workdir: needs a value")));
}

TEST(ParseRunArgsTest, ValueSpellings) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--env=A=1", "-e", "B=2", "-eC=3", "-e=D=4",
                                              "--workdir=/w", "--hostname", "h", "ls"}));
  EXPECT_THAT(req.spec.process.env,
              ElementsAre(HasSubstr("PATH="), "HOME=/root", "A=1", "B=2", "C=3", "D=4"));
  EXPECT_EQ(req.spec.process.cwd, "/w");
  EXPECT_EQ(req.spec.hostname, "h");
  // A value may itself look like a flag: it is taken, then validated.
  EXPECT_THAT(Parse({"--hostname", "--read-only", "ls"}),
              StatusIs(kInvalid, HasSubstr("--hostname: '--read-only' is not a hostname")));
}

TEST(ParseRunArgsTest, BooleanValues) {
  ASSERT_OK_AND_ASSIGN(RunRequest a, Parse({"--rootfs", "/r", "--read-only=true", "ls"}));
  EXPECT_TRUE(a.spec.readonly_rootfs);
  ASSERT_OK_AND_ASSIGN(RunRequest b,
                       Parse({"--rootfs", "/r", "--read-only", "--read-only=false", "ls"}));
  EXPECT_FALSE(b.spec.readonly_rootfs);
  EXPECT_THAT(Parse({"--read-only=yes", "ls"}),
              StatusIs(kInvalid, Eq("--read-only: 'yes' is not true or false")));
  ASSERT_OK_AND_ASSIGN(RunRequest c, Parse({"--timens", "--no-init=1", "ls"}));
  EXPECT_TRUE(c.spec.namespaces.time);
  EXPECT_FALSE(c.spec.init);
}

TEST(ParseRunArgsTest, Rootfs) {
  ASSERT_OK_AND_ASSIGN(RunRequest a, Parse({"--rootfs", "/srv/root/./", "ls"}));
  EXPECT_EQ(a.spec.rootfs, "/srv/root");
  EXPECT_FALSE(a.spec.readonly_rootfs);
  ASSERT_OK_AND_ASSIGN(RunRequest b, Parse({"--rootfs", "img", "--read-only", "ls"}));
  EXPECT_EQ(b.spec.rootfs, Cwd() + "/img");
  EXPECT_TRUE(b.spec.readonly_rootfs);
  EXPECT_THAT(Parse({"--rootfs", std::string("a\0b", 3), "ls"}),
              StatusIs(kInvalid, HasSubstr("--rootfs: 'a\\000b' contains a NUL byte")));
}

TEST(ParseRunArgsTest, BindMountsInOrder) {
  ASSERT_OK_AND_ASSIGN(RunRequest req,
                       Parse({"--ro", "/etc/ssl", "--rw", "out:/work/out/", "--tmpfs",
                              "/scratch:size=64m,mode=700", "--ro", "/a/../b:/c", "ls"}));
  const std::vector<MountSpec>& m = req.spec.mounts;
  ASSERT_THAT(m, SizeIs(4));
  EXPECT_EQ(m[0].type, MountSpec::Type::kBind);
  EXPECT_EQ(m[0].source, "/etc/ssl");
  EXPECT_EQ(m[0].destination, "/etc/ssl");
  EXPECT_TRUE(m[0].read_only);
  EXPECT_EQ(m[1].source, Cwd() + "/out");
  EXPECT_EQ(m[1].destination, "/work/out");
  EXPECT_FALSE(m[1].read_only);
  EXPECT_EQ(m[2].type, MountSpec::Type::kTmpfs);
  EXPECT_EQ(m[2].destination, "/scratch");
  EXPECT_EQ(m[2].tmpfs_size, 64u << 20);
  EXPECT_EQ(m[2].tmpfs_mode, 0700u);
  EXPECT_FALSE(m[2].read_only);
  EXPECT_EQ(m[3].source, "/b");
  EXPECT_EQ(m[3].destination, "/c");
}

TEST(ParseRunArgsTest, RelativeSourceWithoutDestinationMountsAtItsAbsolutePath) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--rw", "../x", "ls"}));
  std::string parent = Cwd().substr(0, Cwd().rfind('/'));
  EXPECT_EQ(req.spec.mounts[0].source, (parent.empty() ? "" : parent) + "/x");
  EXPECT_EQ(req.spec.mounts[0].destination, req.spec.mounts[0].source);
}

TEST(ParseRunArgsTest, BindMountErrors) {
  EXPECT_THAT(Parse({"--rw", "a:b:c", "ls"}),
              StatusIs(kInvalid, Eq("--rw: 'a:b:c' is not SRC[:DST]")));
  EXPECT_THAT(Parse({"--ro", ":/x", "ls"}), StatusIs(kInvalid, HasSubstr("is not SRC[:DST]")));
  EXPECT_THAT(Parse({"--ro", "/x:", "ls"}), StatusIs(kInvalid, HasSubstr("is not SRC[:DST]")));
  EXPECT_THAT(Parse({"--ro", "/x:rel", "ls"}),
              StatusIs(kInvalid, Eq("--ro: 'rel' is not an absolute path")));
  EXPECT_THAT(Parse({"--ro", "/x:/a/../../etc", "ls"}),
              StatusIs(kInvalid, HasSubstr("contains a '..' component")));
  EXPECT_THAT(Parse({"--rw", "/:/", "ls"}),
              StatusIs(kInvalid, HasSubstr("would cover the container's root")));
  EXPECT_THAT(
      Parse({"--rw", "/x:/proc/sys", "ls"}),
      StatusIs(kInvalid, Eq("--rw: '/proc/sys' is inside /proc, which nucleus mounts itself")));
  EXPECT_THAT(Parse({"--rw", "/x:/proc", "ls"}), StatusIs(kInvalid, HasSubstr("inside /proc")));
  ASSERT_OK(Parse({"--rw", "/x:/processes", "ls"}));
  EXPECT_THAT(Parse({"--rw", "/x:/d", "--tmpfs", "/d/", "ls"}),
              StatusIs(kInvalid, Eq("--tmpfs: '/d' is already a mount destination")));
}

std::string WriteTemp(const std::string& name, const std::string& data) {
  std::string path = ::testing::TempDir() + "/" + name;
  FILE* f = fopen(path.c_str(), "w");
  if (f != nullptr) {
    fwrite(data.data(), 1, data.size(), f);
    fclose(f);
  }
  return path;
}

TEST(ParseRunArgsTest, SecretsAreReadOnceAndGoUnderRunSecrets) {
  std::string token = WriteTemp("token", "s3cret\n");
  ASSERT_OK_AND_ASSIGN(RunRequest a, Parse({"--secret", token, "--secret", token + ":db/pass",
                                            "--secret", token + ":/etc/app/key", "ls"}));
  ASSERT_THAT(a.spec.secrets, SizeIs(3));
  EXPECT_EQ(a.spec.secrets[0].destination, "/run/secrets/token");
  EXPECT_EQ(a.spec.secrets[0].data, "s3cret\n");
  EXPECT_EQ(a.spec.secrets[0].source, token);
  EXPECT_EQ(a.spec.secrets[1].destination, "/run/secrets/db/pass");
  EXPECT_EQ(a.spec.secrets[2].destination, "/etc/app/key");
  EXPECT_THAT(a.spec.mounts,
              Not(Contains(::testing::Field(&MountSpec::destination, "/run/secrets/token"))));
  // systemd credentials: $CREDENTIALS_DIRECTORY/NAME.
  setenv("CREDENTIALS_DIRECTORY", ::testing::TempDir().c_str(), 1);
  ASSERT_OK_AND_ASSIGN(RunRequest c,
                       Parse({"--secret", "cred:token", "--secret", "cred:token:/k", "ls"}));
  EXPECT_EQ(c.spec.secrets[0].destination, "/run/secrets/token");
  EXPECT_EQ(c.spec.secrets[0].data, "s3cret\n");
  EXPECT_EQ(c.spec.secrets[1].destination, "/k");
  EXPECT_THAT(Parse({"--secret", "cred:../token", "ls"}),
              StatusIs(kInvalid, HasSubstr("not a plain file name")));
  unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_THAT(Parse({"--secret", "cred:token", "ls"}),
              StatusIs(kInvalid, Eq("--secret: 'cred:token' needs $CREDENTIALS_DIRECTORY (systemd "
                                    "sets it for a unit with LoadCredential= or SetCredential=)")));
}

TEST(ParseRunArgsTest, BadSecretsNameTheFlag) {
  std::string token = WriteTemp("token2", "x");
  EXPECT_THAT(Parse({"--secret", "/nonexistent/key", "ls"}),
              StatusIs(kInvalid, HasSubstr("--secret: '/nonexistent/key' open")));
  EXPECT_THAT(Parse({"--secret", ::testing::TempDir(), "ls"}),
              StatusIs(kInvalid, HasSubstr("not a regular file")));
  EXPECT_THAT(Parse({"--secret", token + ":", "ls"}), StatusIs(kInvalid, HasSubstr("SRC[:DEST]")));
  EXPECT_THAT(Parse({"--secret", "cred:", "ls"}), StatusIs(kInvalid, HasSubstr("cred:NAME")));
  EXPECT_THAT(Parse({"--secret", token + ":/", "ls"}), StatusIs(kInvalid, HasSubstr("root")));
  EXPECT_THAT(Parse({"--secret", token + ":/proc/x", "ls"}),
              StatusIs(kInvalid, HasSubstr("/proc")));
  EXPECT_THAT(Parse({"--secret", token, "--secret", token, "ls"}),
              StatusIs(kInvalid, HasSubstr("where another --secret goes")));
  EXPECT_THAT(Parse({"--tmpfs", "/k", "--secret", token + ":/k", "ls"}),
              StatusIs(kInvalid, HasSubstr("a mount destination")));
  std::string big = WriteTemp("big", std::string(kMaxSecretBytes + 1, 'x'));
  EXPECT_THAT(Parse({"--secret", big, "ls"}), StatusIs(kInvalid, HasSubstr("at most 1024 KiB")));
}

TEST(ParseRunArgsTest, ContextIsAWorkspaceMountWithTheDefaultExcludes) {
  std::string dir = ::testing::TempDir() + "/ctx";
  mkdir(dir.c_str(), 0755);
  ASSERT_OK_AND_ASSIGN(
      RunRequest a, Parse({"--context", dir, "--context-exclude", "*.log", "--context-include",
                           ".env.example", "--context-limit", "files=10,depth=3,size=1m", "ls"}));
  const ContextSpec& c = a.spec.context;
  char* real = realpath(dir.c_str(), nullptr);
  EXPECT_EQ(c.source, real);
  free(real);
  EXPECT_EQ(c.mode, ContextSpec::Mode::kCopy);
  EXPECT_THAT(c.exclude, Contains(".git"));
  EXPECT_THAT(c.exclude, Contains("*.log"));
  EXPECT_THAT(c.include, ElementsAre(".env.example"));
  EXPECT_EQ(c.max_files, 10u);
  EXPECT_EQ(c.max_depth, 3);
  EXPECT_EQ(c.max_bytes, 1u << 20);
  EXPECT_EQ(a.spec.process.cwd, "/workspace");
  ASSERT_FALSE(a.spec.mounts.empty());
  const MountSpec& m = a.spec.mounts.back();
  EXPECT_EQ(m.destination, "/workspace");
  EXPECT_EQ(m.type, MountSpec::Type::kTmpfs);
  EXPECT_FALSE(m.read_only);
  EXPECT_TRUE(m.noexec);
  ASSERT_OK_AND_ASSIGN(RunRequest b, Parse({"--context", dir, "--context-mode", "bind",
                                            "--tmp-exec", "-w", "/tmp", "ls"}));
  EXPECT_EQ(b.spec.mounts.back().type, MountSpec::Type::kBind);
  EXPECT_FALSE(b.spec.mounts.back().noexec) << "--tmp-exec";
  EXPECT_EQ(b.spec.process.cwd, "/tmp");
}

TEST(ParseRunArgsTest, BadContextFlags) {
  std::string dir = ::testing::TempDir() + "/ctx2";
  mkdir(dir.c_str(), 0755);
  EXPECT_THAT(Parse({"--context-exclude", "x", "ls"}),
              StatusIs(kInvalid, Eq("--context-exclude: needs --context DIR")));
  EXPECT_THAT(Parse({"--context", dir, "--context-mode", "move", "ls"}),
              StatusIs(kInvalid, HasSubstr("is not copy or bind")));
  EXPECT_THAT(Parse({"--context", dir, "--context-limit", "files=0", "ls"}),
              StatusIs(kInvalid, HasSubstr("--context-limit")));
  EXPECT_THAT(Parse({"--context", dir, "--context-limit", "inodes=3", "ls"}),
              StatusIs(kInvalid, HasSubstr("depth=N,files=N,size=SIZE")));
  EXPECT_THAT(Parse({"--context", dir, "--context-exclude", "/abs", "ls"}),
              StatusIs(kInvalid, HasSubstr("relative")));
  EXPECT_THAT(Parse({"--context", "/nonexistent-ctx", "ls"}),
              StatusIs(kInvalid, HasSubstr("--context: '/nonexistent-ctx'")));
  EXPECT_THAT(Parse({"--context", "/etc", "ls"}),
              StatusIs(kInvalid, HasSubstr("--allow-sensitive-bind")));
  EXPECT_THAT(Parse({"--context", dir, "--tmpfs", "/workspace", "ls"}),
              StatusIs(kInvalid, HasSubstr("already a mount destination")));
}

TEST(ParseRunArgsTest, TmpfsOptions) {
  ASSERT_OK_AND_ASSIGN(RunRequest a, Parse({"--tmpfs", "/t", "ls"}));
  EXPECT_EQ(a.spec.mounts[0].tmpfs_size, 0u);
  EXPECT_EQ(a.spec.mounts[0].tmpfs_mode, 01777u);
  ASSERT_OK_AND_ASSIGN(RunRequest b, Parse({"--tmpfs", "/t:mode=1777,size=1.5g", "ls"}));
  EXPECT_EQ(b.spec.mounts[0].tmpfs_size, 1610612736u);
  EXPECT_THAT(Parse({"--tmpfs", "/t:size=12xb", "ls"}),
              StatusIs(kInvalid, Eq("--tmpfs: '12xb' is not a size")));
  EXPECT_THAT(Parse({"--tmpfs", "/t:noexec", "ls"}),
              StatusIs(kInvalid, HasSubstr("has unknown option 'noexec' (size=N, mode=OCTAL)")));
  EXPECT_THAT(Parse({"--tmpfs", "/t:", "ls"}),
              StatusIs(kInvalid, HasSubstr("is not DST[:size=N[,mode=OCTAL]]")));
  EXPECT_THAT(Parse({"--tmpfs", "/t:size=1m,,mode=1", "ls"}),
              StatusIs(kInvalid, HasSubstr("unknown option ''")));
  for (const char* mode :
       {"/t:mode=8", "/t:mode=17777", "/t:mode=", "/t:mode=-1", "/t:mode=077777"}) {
    EXPECT_THAT(Parse({"--tmpfs", mode, "ls"}), StatusIs(kInvalid, HasSubstr("not octal"))) << mode;
  }
  EXPECT_THAT(Parse({"--tmpfs", "t", "ls"}), StatusIs(kInvalid, HasSubstr("not an absolute path")));
}

TEST(ParseRunArgsTest, Workdir) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"-w", "//app/./src/", "ls"}));
  EXPECT_EQ(req.spec.process.cwd, "/app/src");
  EXPECT_THAT(Parse({"--workdir", "app", "ls"}),
              StatusIs(kInvalid, Eq("--workdir: 'app' is not an absolute path")));
  EXPECT_THAT(Parse({"--workdir", "/app/..", "ls"}), StatusIs(kInvalid, HasSubstr("'..'")));
}

class UserFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmp = ::testing::TempDir();
    while (tmp.size() > 1 && tmp.back() == '/') tmp.pop_back();
    std::string tmpl = tmp + "/flags_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    ASSERT_EQ(mkdir((root_ + "/etc").c_str(), 0755), 0);
    Write("/etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "app:x:1000:1000::/home/app:/bin/sh\n");
    Write("/etc/group", "root:x:0:\napp:x:1000:\nvideo:x:44:\n");
  }
  void TearDown() override { std::system(("rm -rf '" + root_ + "'").c_str()); }
  void Write(const std::string& rel, const std::string& text) {
    FILE* f = fopen((root_ + rel).c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(text.c_str(), f);
    fclose(f);
  }
  std::string root_;
};

TEST_F(UserFlagsTest, NameFromRootfsPasswd) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--user", "app", "--rootfs", root_, "id"}));
  EXPECT_EQ(req.spec.process.uid, 1000u);
  EXPECT_EQ(req.spec.process.gid, 1000u);
  EXPECT_THAT(req.spec.process.env, Contains("HOME=/home/app"));
}

TEST_F(UserFlagsTest, NumericUserAndGroups) {
  ASSERT_OK_AND_ASSIGN(RunRequest req,
                       Parse({"--rootfs", root_, "--user", "1000:44", "--group-add", "video",
                              "--group-add", "7", "--group-add", "44", "id"}));
  EXPECT_EQ(req.spec.process.uid, 1000u);
  EXPECT_EQ(req.spec.process.gid, 44u);
  EXPECT_THAT(req.spec.process.additional_gids, ElementsAre(44u, 7u));
  EXPECT_THAT(req.spec.process.env, Contains("HOME=/home/app"));
}

TEST_F(UserFlagsTest, UnlistedUidHasGroupZeroAndHomeSlash) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--rootfs", root_, "--user", "4242", "id"}));
  EXPECT_EQ(req.spec.process.gid, 0u);
  EXPECT_THAT(req.spec.process.env, Contains("HOME=/"));
}

TEST_F(UserFlagsTest, Errors) {
  EXPECT_THAT(Parse({"--rootfs", root_, "--user", "abc:", "id"}),
              StatusIs(kInvalid, Eq("--user: 'abc:' is not UID[:GID]")));
  EXPECT_THAT(Parse({"--rootfs", root_, "--user", "ghost", "id"}),
              StatusIs(absl::StatusCode::kNotFound,
                       Eq("--user: no user 'ghost' in " + root_ + "/etc/passwd")));
  EXPECT_THAT(Parse({"--rootfs", root_, "--group-add", "nogroup", "id"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("--group-add: no group 'nogroup'")));
  EXPECT_THAT(Parse({"--user", "4294967295", "id"}),
              StatusIs(kInvalid, HasSubstr("--user: uid '4294967295' is out of range")));
  EXPECT_THAT(Parse({"--user", "-1", "id"}),
              StatusIs(kInvalid, HasSubstr("is not a uid or user name")));
}

TEST_F(UserFlagsTest, MissingRootfsIsFineForNumericIdsOnly) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--rootfs", root_ + "/absent", "--user", "5:6",
                                              "--group-add", "7", "id"}));
  EXPECT_EQ(req.spec.process.uid, 5u);
  EXPECT_EQ(req.spec.process.gid, 6u);
  EXPECT_THAT(Parse({"--rootfs", root_ + "/absent", "--user", "app", "id"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("--user: open(")));
}

TEST(ParseRunArgsTest, Capabilities) {
  ASSERT_OK_AND_ASSIGN(RunRequest a, Parse({"--cap-add", "NET_ADMIN", "--cap-add", "cap_chown",
                                            "--cap-add", "Net_Bind_Service", "ls"}));
  EXPECT_THAT(a.spec.process.capabilities,
              ElementsAre(CAP_CHOWN, CAP_NET_BIND_SERVICE, CAP_NET_ADMIN));
  ASSERT_OK_AND_ASSIGN(RunRequest all, Parse({"--cap-add", "ALL", "ls"}));
  EXPECT_THAT(all.spec.process.capabilities, SizeIs(CAP_LAST_CAP + 1));
  ASSERT_OK_AND_ASSIGN(RunRequest most, Parse({"--cap-add", "all", "--cap-drop", "SYS_ADMIN",
                                               "--cap-drop", "CAP_SYS_MODULE", "ls"}));
  EXPECT_THAT(most.spec.process.capabilities, SizeIs(CAP_LAST_CAP - 1));
  EXPECT_THAT(most.spec.process.capabilities, Not(Contains(CAP_SYS_ADMIN)));
  ASSERT_OK_AND_ASSIGN(RunRequest idiom, Parse({"--cap-drop", "ALL", "--cap-add", "CHOWN", "ls"}));
  EXPECT_THAT(idiom.spec.process.capabilities, ElementsAre(CAP_CHOWN));
  ASSERT_OK_AND_ASSIGN(RunRequest both, Parse({"--cap-add", "CHOWN", "--cap-drop", "chown", "ls"}));
  EXPECT_THAT(both.spec.process.capabilities, IsEmpty());
  ASSERT_OK_AND_ASSIGN(RunRequest last, Parse({"--cap-add", "CHECKPOINT_RESTORE", "ls"}));
  EXPECT_THAT(last.spec.process.capabilities, ElementsAre(CAP_CHECKPOINT_RESTORE));
}

TEST(ParseRunArgsTest, CapabilityErrors) {
  EXPECT_THAT(Parse({"--cap-add", "FOO", "ls"}),
              StatusIs(kInvalid, Eq("--cap-add: 'FOO' is not a capability (e.g. NET_ADMIN, "
                                    "CAP_CHOWN, ALL)")));
  for (const char* bad : {"12", "CAP_12", "cap_", "NET ADMIN", "net-admin", "CAP_CAP_CHOWN"}) {
    EXPECT_THAT(Parse({"--cap-drop", bad, "ls"}),
                StatusIs(kInvalid, HasSubstr("is not a capability")))
        << bad;
  }
}

TEST(ParseRunArgsTest, Ulimits) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--ulimit", "nofile=1024:4096", "--ulimit", "core=0",
                                              "--ulimit", "nofile=10", "ls"}));
  const std::vector<Rlimit>& r = req.spec.process.rlimits;
  ASSERT_THAT(r, SizeIs(2));
  EXPECT_EQ(r[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(r[0].soft, 10u);
  EXPECT_EQ(r[0].hard, 10u);
  EXPECT_EQ(r[1].resource, RLIMIT_CORE);
  EXPECT_THAT(Parse({"--ulimit", "nofile=2:1", "ls"}),
              StatusIs(kInvalid, HasSubstr("soft limit above its hard limit")));
}

TEST(ParseRunArgsTest, HostnameAndName) {
  ASSERT_OK_AND_ASSIGN(RunRequest req,
                       Parse({"--name", "web-1.a_b", "--hostname", "web-1.example", "ls"}));
  EXPECT_EQ(req.spec.id, "web-1.a_b");
  EXPECT_EQ(req.spec.hostname, "web-1.example");
  EXPECT_OK(Parse({"--hostname", std::string(64, 'h'), "ls"}));
  EXPECT_OK(Parse({"--name", std::string(128, 'n'), "ls"}));
  for (const std::string& bad : {std::string(65, 'h'), std::string("-lead"), std::string("a_b"),
                                 std::string("a b"), std::string("h\n")}) {
    EXPECT_THAT(Parse({"--hostname", bad, "ls"}),
                StatusIs(kInvalid, HasSubstr("is not a hostname")))
        << bad;
  }
  for (const std::string& bad : {std::string(129, 'n'), std::string("-x"), std::string("_x"),
                                 std::string(".x"), std::string("a/b"), std::string("a:b")}) {
    EXPECT_THAT(Parse({"--name", bad, "ls"}), StatusIs(kInvalid, HasSubstr("is not a name")))
        << bad;
  }
}

TEST(ParseRunArgsTest, Network) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--network", "none", "ls"}));
  EXPECT_TRUE(req.spec.namespaces.net);
  EXPECT_THAT(Parse({"--network=host", "ls"}),
              StatusIs(kInvalid, Eq("--network: 'host' needs --backend gvisor (the native "
                                    "backend has loopback only so far)")));
  EXPECT_THAT(Parse({"--network=bridge", "ls"}),
              StatusIs(kInvalid, HasSubstr("'bridge' is not none, sandbox or host")));
  ASSERT_OK_AND_ASSIGN(req, Parse({"--backend", "gvisor", "--network", "sandbox", "ls"}));
  EXPECT_EQ(req.spec.gvisor_network, "sandbox");
}

TEST(ParseRunArgsTest, Backend) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"ls"}));
  EXPECT_EQ(req.spec.backend, ContainerSpec::BackendKind::kNative);
  ASSERT_OK_AND_ASSIGN(req, Parse({"--backend", "gvisor", "--gvisor-platform", "ptrace", "ls"}));
  EXPECT_EQ(req.spec.backend, ContainerSpec::BackendKind::kGvisor);
  EXPECT_EQ(req.spec.gvisor_platform, "ptrace");
  ASSERT_OK_AND_ASSIGN(req, Parse({"--backend=auto", "ls"}));
  EXPECT_EQ(req.spec.backend, ContainerSpec::BackendKind::kAuto);
  EXPECT_THAT(Parse({"--backend", "kata", "ls"}),
              StatusIs(kInvalid, Eq("--backend: 'kata' is not native, gvisor or auto")));
  EXPECT_THAT(Parse({"--gvisor-platform", "ptrace", "ls"}),
              StatusIs(kInvalid, HasSubstr("--gvisor-platform: needs --backend gvisor")));
  EXPECT_THAT(Parse({"--backend", "gvisor", "--gvisor-platform", "xen", "ls"}),
              StatusIs(kInvalid, HasSubstr("'xen' is not auto, kvm, systrap or ptrace")));
  EXPECT_THAT(Parse({"--backend", "gvisor", "--readiness-tcp", "80", "ls"}),
              StatusIs(kInvalid, HasSubstr("use --readiness-exec")));
  EXPECT_THAT(Parse({"--backend", "gvisor", "--readiness-sd-notify", "ls"}),
              StatusIs(kInvalid, HasSubstr("--readiness-sd-notify:")));
}

TEST(ParseRunArgsTest, RestartPolicy) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"-d", "--restart", "on-failure:3", "ls"}));
  EXPECT_EQ(req.restart.kind, RestartPolicy::Kind::kOnFailure);
  EXPECT_EQ(req.restart.max_restarts, 3);
  ASSERT_OK_AND_ASSIGN(req, Parse({"-d", "--restart=on-failure", "ls"}));
  EXPECT_EQ(req.restart.max_restarts, 0);
  ASSERT_OK_AND_ASSIGN(req, Parse({"-d", "--restart=always", "ls"}));
  EXPECT_EQ(req.restart.kind, RestartPolicy::Kind::kAlways);
  ASSERT_OK_AND_ASSIGN(req, Parse({"-d", "--restart=no", "ls"}));
  EXPECT_EQ(req.restart.kind, RestartPolicy::Kind::kNo);
  for (const char* bad : {"sometimes", "on-failure:", "on-failure:0", "on-failure:-1",
                          "on-failure:x", "on-failurex", "always:3"}) {
    EXPECT_THAT(Parse({"-d", "--restart", bad, "ls"}),
                StatusIs(kInvalid, HasSubstr("is not no, on-failure[:MAX] (MAX 1-1000000) or "
                                             "always")))
        << bad;
  }
  EXPECT_THAT(Parse({"--restart", "always", "ls"}),
              StatusIs(kInvalid, HasSubstr("--restart: restart policies need -d")));
  EXPECT_THAT(Parse({"-d", "--rm", "--restart", "always", "ls"}),
              StatusIs(kInvalid, HasSubstr("--restart and --rm")));
  ASSERT_OK_AND_ASSIGN(
      req, Parse({"-d", "--health-cmd", "true", "--health-on-failure", "restart", "ls"}));
  EXPECT_EQ(req.health.on_failure, HealthCheck::OnFailure::kRestart);
}

TEST(ParseRunArgsTest, RootlessForcesUserNamespace) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"ls"}, kRootless));
  EXPECT_TRUE(req.spec.namespaces.user);
  ASSERT_THAT(req.spec.uid_mappings, SizeIs(1));
  EXPECT_TRUE(SameIds(req.spec.uid_mappings[0], IdMapping{0, 1000, 1}));
  ASSERT_THAT(req.spec.gid_mappings, SizeIs(1));
  EXPECT_TRUE(SameIds(req.spec.gid_mappings[0], IdMapping{0, 1001, 1}));
  EXPECT_EQ(req.spec.process.uid, 0u);
  EXPECT_THAT(req.spec.process.env, Contains("HOME=/root"));
}

TEST(ParseRunArgsTest, RootlessLimits) {
  EXPECT_THAT(Parse({"--uidmap", "0:1000:1", "ls"}, kRootless),
              StatusIs(kInvalid, HasSubstr("--uidmap: needs root")));
  EXPECT_THAT(Parse({"--gidmap", "0:1000:1", "ls"}, kRootless),
              StatusIs(kInvalid, HasSubstr("--gidmap: needs root")));
  EXPECT_THAT(Parse({"--user", "5", "ls"}, kRootless),
              StatusIs(kInvalid, Eq("--user: uid 5 is not mapped in the user namespace "
                                    "(maps: 0:1000:1)")));
  EXPECT_THAT(Parse({"--group-add", "3", "ls"}, kRootless),
              StatusIs(kInvalid, HasSubstr("--group-add: gid 3 is not mapped")));
  EXPECT_OK(Parse({"--userns", "--user", "0:0", "ls"}, kRootless));
}

TEST(ParseRunArgsTest, RootUserNamespaceDefaults) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--userns", "--user", "1000", "ls"}));
  EXPECT_TRUE(req.spec.namespaces.user);
  ASSERT_THAT(req.spec.uid_mappings, SizeIs(1));
  EXPECT_TRUE(SameIds(req.spec.uid_mappings[0], IdMapping{0, 100000, 65536}));
  EXPECT_TRUE(SameIds(req.spec.gid_mappings[0], IdMapping{0, 100000, 65536}));
  EXPECT_THAT(Parse({"--userns", "--user", "65536", "ls"}),
              StatusIs(kInvalid, HasSubstr("uid 65536 is not mapped")));
}

TEST(ParseRunArgsTest, UserNamespaceModes) {
  ASSERT_OK_AND_ASSIGN(RunRequest host, Parse({"--userns=host", "ls"}));
  EXPECT_FALSE(host.spec.namespaces.user);
  EXPECT_THAT(host.spec.uid_mappings, IsEmpty());
  EXPECT_FALSE(host.default_user_namespace);
  ASSERT_OK_AND_ASSIGN(RunRequest priv, Parse({"--userns=private", "ls"}));
  EXPECT_TRUE(priv.spec.namespaces.user);
  EXPECT_FALSE(priv.default_user_namespace);  // asked for: gVisor warns that it drops it
  // The next argument is the command's, never the flag's value.
  ASSERT_OK_AND_ASSIGN(RunRequest bare, Parse({"--userns", "host"}));
  EXPECT_TRUE(bare.spec.namespaces.user);
  EXPECT_THAT(bare.spec.process.args, ElementsAre("host"));
  EXPECT_THAT(Parse({"--userns=yes", "ls"}),
              StatusIs(kInvalid, Eq("--userns: 'yes' is not private, host or keep-id")));
  EXPECT_THAT(Parse({"--userns=", "ls"}), StatusIs(kInvalid, Eq("--userns=: needs a value")));
  EXPECT_THAT(Parse({"--userns=host", "--uidmap", "0:5000:1", "ls"}),
              StatusIs(kInvalid, Eq("--uidmap and --userns=host: give one")));
  EXPECT_THAT(Parse({"--userns=host", "ls"}, kRootless),
              StatusIs(kInvalid, HasSubstr("--userns=host: needs root")));
  // Explicit gVisor: its kernel keeps the ids, so no default namespace and no warning.
  ASSERT_OK_AND_ASSIGN(RunRequest gv, Parse({"--backend", "gvisor", "--user", "70000", "ls"}));
  EXPECT_FALSE(gv.spec.namespaces.user);
  // --backend auto that turns out to be gVisor drops the default one.
  ASSERT_OK_AND_ASSIGN(RunRequest autob, Parse({"--backend", "auto", "ls"}));
  EXPECT_TRUE(autob.spec.namespaces.user);
  autob.spec.backend = ContainerSpec::BackendKind::kGvisor;
  DropDefaultUserNamespaceForGvisor(&autob);
  EXPECT_FALSE(autob.spec.namespaces.user);
  EXPECT_THAT(autob.spec.uid_mappings, IsEmpty());
  priv.spec.backend = ContainerSpec::BackendKind::kGvisor;
  DropDefaultUserNamespaceForGvisor(&priv);
  EXPECT_TRUE(priv.spec.namespaces.user);
}

TEST(ParseRunArgsTest, UserNamespacesUnavailableDegradeVisibly) {
  HostDefaults none = kRoot;
  none.user_namespaces = false;
  none.user_namespaces_detail = "user.max_user_namespaces=0";
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"ls"}, none));
  EXPECT_FALSE(req.spec.namespaces.user);
  EXPECT_THAT(req.warnings, ElementsAre(AllOf(HasSubstr("user.max_user_namespaces=0"),
                                              HasSubstr("the host's root"))));
  ASSERT_OK_AND_ASSIGN(RunRequest quiet, Parse({"--userns=host", "ls"}, none));
  EXPECT_THAT(quiet.warnings, IsEmpty());
  // Asked for: the kernel refuses it at clone(2) time; no silent fallback.
  ASSERT_OK_AND_ASSIGN(RunRequest asked, Parse({"--userns", "ls"}, none));
  EXPECT_TRUE(asked.spec.namespaces.user);
}

TEST(ParseRunArgsTest, KeepIdAsRootKeepsTheNamedUsersIds) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--userns=keep-id", "--user", "1000:1001", "ls"}));
  const ContainerSpec& s = req.spec;
  EXPECT_TRUE(s.namespaces.user);
  ASSERT_THAT(s.uid_mappings, SizeIs(3));
  EXPECT_TRUE(SameIds(s.uid_mappings[0], IdMapping{0, 100000, 1000}));
  EXPECT_TRUE(SameIds(s.uid_mappings[1], IdMapping{1000, 1000, 1}));
  EXPECT_TRUE(SameIds(s.uid_mappings[2], IdMapping{1001, 101001, 64535}));
  ASSERT_THAT(s.gid_mappings, SizeIs(3));
  EXPECT_TRUE(SameIds(s.gid_mappings[1], IdMapping{1001, 1001, 1}));
  EXPECT_EQ(s.process.uid, 1000u);
  // The edges: the last id of the range, one beyond it.
  ASSERT_OK_AND_ASSIGN(RunRequest last, Parse({"--userns=keep-id", "--user", "65535:65535", "ls"}));
  ASSERT_THAT(last.spec.uid_mappings, SizeIs(2));
  EXPECT_TRUE(SameIds(last.spec.uid_mappings[1], IdMapping{65535, 65535, 1}));
  ASSERT_OK_AND_ASSIGN(RunRequest big, Parse({"--userns=keep-id", "--user", "70000:70000", "ls"}));
  ASSERT_THAT(big.spec.uid_mappings, SizeIs(2));
  EXPECT_TRUE(SameIds(big.spec.uid_mappings[0], IdMapping{0, 100000, 65536}));
  EXPECT_TRUE(SameIds(big.spec.uid_mappings[1], IdMapping{70000, 70000, 1}));
  EXPECT_THAT(Parse({"--userns=keep-id", "ls"}),
              StatusIs(kInvalid, HasSubstr("--userns=keep-id: as root, name whose ids")));
  EXPECT_THAT(Parse({"--userns=keep-id", "--user", "0", "ls"}),
              StatusIs(kInvalid, HasSubstr("would keep the host's root user")));
  EXPECT_THAT(Parse({"--userns=keep-id", "--user", "1000:0", "ls"}),
              StatusIs(kInvalid, HasSubstr("would keep the host's root group")));
  EXPECT_THAT(Parse({"--userns=keep-id", "--uidmap", "0:5000:1", "--user", "5", "ls"}),
              StatusIs(kInvalid, Eq("--uidmap and --userns=keep-id: give one")));
}

TEST(ParseRunArgsTest, KeepIdRootlessRunsAsYourself) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--userns=keep-id", "ls"}, kRootless));
  ASSERT_THAT(req.spec.uid_mappings, SizeIs(1));
  EXPECT_TRUE(SameIds(req.spec.uid_mappings[0], IdMapping{1000, 1000, 1}));
  EXPECT_TRUE(SameIds(req.spec.gid_mappings[0], IdMapping{1001, 1001, 1}));
  EXPECT_EQ(req.spec.process.uid, 1000u);
  EXPECT_EQ(req.spec.process.gid, 1001u);
  EXPECT_THAT(Parse({"--userns=keep-id", "--user", "0", "ls"}, kRootless),
              StatusIs(kInvalid, HasSubstr("--user: uid 0 is not mapped")));
}

// A listening-capable unix socket at `path` (bound, mode `mode`); the fd stays open.
int BindSocket(const std::string& path, mode_t mode) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  unlink(path.c_str());
  EXPECT_EQ(bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0) << path;
  EXPECT_EQ(chmod(path.c_str(), mode), 0);
  return fd;
}

TEST(ParseRunArgsTest, SocketBindsOneSocketAndAllowsIt) {
  char dir_template[] = "/tmp/nucleus-flags-XXXXXX";  // short: sun_path has 108 bytes
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string sock = dir + "/s.sock";
  int fd = BindSocket(sock, 0666);
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--socket", sock + ":/run/app.sock", "ls"}));
  ASSERT_THAT(req.spec.mounts, SizeIs(1));
  EXPECT_EQ(req.spec.mounts[0].source, sock);
  EXPECT_EQ(req.spec.mounts[0].destination, "/run/app.sock");
  EXPECT_FALSE(req.spec.mounts[0].recursive);
  EXPECT_THAT(req.spec.landlock.unix_sockets, ElementsAre("/run/app.sock"));
  EXPECT_THAT(req.warnings, IsEmpty());
  // 0600 of the host's root: the default container's root (host uid 100000) may not connect.
  ASSERT_EQ(chmod(sock.c_str(), 0600), 0);
  ASSERT_OK_AND_ASSIGN(RunRequest denied, Parse({"--socket", sock, "ls"}));
  EXPECT_THAT(denied.warnings,
              ElementsAre(AllOf(HasSubstr("--socket " + sock + ": owned by 0:0, mode 0600"),
                                HasSubstr("(host uid 100000) may not connect"))));
  ASSERT_OK_AND_ASSIGN(RunRequest host, Parse({"--socket", sock, "--userns=host", "ls"}));
  EXPECT_THAT(host.warnings, IsEmpty());
  // Not a socket, not there, not under gVisor.
  EXPECT_THAT(Parse({"--socket", dir, "ls"}),
              StatusIs(kInvalid, Eq("--socket: '" + dir + "' is not a unix socket")));
  EXPECT_THAT(Parse({"--socket", dir + "/none.sock", "ls"}),
              StatusIs(kInvalid, HasSubstr("cannot be reached: No such file or directory")));
  EXPECT_THAT(Parse({"--socket", sock, "--backend", "gvisor", "ls"}),
              StatusIs(kInvalid, HasSubstr("cannot be passed into a gVisor sandbox")));
  EXPECT_THAT(Parse({"--socket", sock, "--ro", "/usr:" + sock, "ls"}),
              StatusIs(kInvalid, HasSubstr("is already a mount destination")));
  close(fd);
  unlink(sock.c_str());
  rmdir(dir.c_str());
}

TEST(ParseRunArgsTest, ExplicitMaps) {
  ASSERT_OK_AND_ASSIGN(RunRequest a,
                       Parse({"--uidmap", "0:5000:1", "--uidmap", "1:200000:1000", "ls"}));
  EXPECT_TRUE(a.spec.namespaces.user);
  ASSERT_THAT(a.spec.uid_mappings, SizeIs(2));
  ASSERT_THAT(a.spec.gid_mappings, SizeIs(2));  // copied from the uid maps
  EXPECT_TRUE(SameIds(a.spec.gid_mappings[1], IdMapping{1, 200000, 1000}));
  ASSERT_OK_AND_ASSIGN(RunRequest b,
                       Parse({"--uidmap", "0:5000:10", "--gidmap", "0:6000:20", "ls"}));
  EXPECT_TRUE(SameIds(b.spec.gid_mappings[0], IdMapping{0, 6000, 20}));
  ASSERT_OK_AND_ASSIGN(RunRequest c, Parse({"--gidmap", "0:6000:20", "ls"}));
  EXPECT_TRUE(SameIds(c.spec.uid_mappings[0], IdMapping{0, 6000, 20}));
  EXPECT_THAT(Parse({"--uidmap", "0:1000:10", "--uidmap", "5:3000:1", "ls"}),
              StatusIs(kInvalid, HasSubstr("--uidmap: '0:1000:10' and '5:3000:1' overlap")));
  EXPECT_THAT(Parse({"--gidmap", "0:1000", "ls"}),
              StatusIs(kInvalid, Eq("--gidmap: '0:1000' is not CONTAINER:HOST:SIZE")));
  EXPECT_THAT(Parse({"--uidmap", "1:1000:10", "ls"}),
              StatusIs(kInvalid, HasSubstr("--user: uid 0 is not mapped")));
}

TEST(ParseRunArgsTest, EnvironmentAndWarnings) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"-e", "LD_PRELOAD=/x.so", "-e", "A=1", "ls"}));
  EXPECT_THAT(req.warnings, ElementsAre(HasSubstr("LD_PRELOAD refused")));
  EXPECT_THAT(req.spec.process.env, ElementsAre(HasSubstr("PATH="), "HOME=/root", "A=1"));
  EXPECT_THAT(Parse({"-e", "A B=1", "ls"}),
              StatusIs(kInvalid, HasSubstr("--env: 'A B' is not a valid variable name")));
  setenv("NUCLEUS_FLAGS_TEST_VAR", "from-host", 1);
  ASSERT_OK_AND_ASSIGN(RunRequest bare, Parse({"-e", "NUCLEUS_FLAGS_TEST_VAR", "ls"}));
  EXPECT_THAT(bare.spec.process.env, Contains("NUCLEUS_FLAGS_TEST_VAR=from-host"));
}

TEST(ParseRunArgsTest, EnvFile) {
  std::string path = ::testing::TempDir() + "/flags_test.env";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("# x\nA=file\nLD_AUDIT=/a.so\n", f);
  fclose(f);
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--env-file", path, "-e", "B=2", "ls"}));
  EXPECT_THAT(req.spec.process.env, ElementsAre(HasSubstr("PATH="), "HOME=/root", "A=file", "B=2"));
  EXPECT_THAT(req.warnings, ElementsAre(HasSubstr(path + ":3: LD_AUDIT refused")));
  EXPECT_THAT(
      Parse({"--env-file", "/nonexistent.env", "ls"}),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("--env-file: open(/nonexistent.env)")));
  unlink(path.c_str());
}

TEST(ParseRunArgsTest, ErrorsAreOneLine) {
  const std::vector<std::vector<std::string>> bad = {
      {"--user", "a\nb", "ls"},   {"--rw", "/x:y\n", "ls"},
      {"--hostname", "\n", "ls"}, {"--tmpfs", "/t:size=\n", "ls"},
      {"--ulimit", "\n=1", "ls"}, {"--cap-add", "\n", "ls"},
      {"--uidmap", "\n", "ls"},   {"-e", "\n=1", "ls"},
      {"--name", "\n", "ls"},     {"--\n", "ls"},
  };
  for (const auto& args : bad) {
    absl::Status s = Parse(args).status();
    EXPECT_FALSE(s.ok()) << args[0];
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("\n"))) << s;
  }
}

TEST(RunUsageTest, ListsEveryFlagAndIsAligned) {
  const std::string usage = RunUsage();
  for (const char* flag : {"--rootfs",  "--read-only", "--ro",       "--rw",       "--tmpfs",
                           "--workdir", "-w,",         "--env",      "-e,",        "--env-file",
                           "--user",    "--group-add", "--cap-add",  "--cap-drop", "--ulimit",
                           "--no-init", "--name",      "--hostname", "--network",  "--userns",
                           "--uidmap",  "--gidmap",    "--timens",   "--help",     "-h,"}) {
    EXPECT_THAT(usage, HasSubstr(flag));
  }
  // Descriptions start in one column.
  for (absl::string_view line : absl::StrSplit(usage, '\n')) {
    EXPECT_LE(line.size(), 100u) << line;
    bool flag_line = absl::StartsWith(line, "      -") || absl::StartsWith(line, "  -");
    if (flag_line) {
      size_t desc = line.find_first_not_of(' ', line.find("  ", line.find_first_not_of(' ')));
      EXPECT_EQ(desc, 41u) << line;
    }
  }
}

// ---- seccomp ----

std::string WriteTempFile(const std::string& name, const std::string& content) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string path = std::string(tmp ? tmp : "/tmp") + "/" + name;
  FILE* f = fopen(path.c_str(), "w");
  EXPECT_NE(f, nullptr) << path;
  if (f != nullptr) {
    fputs(content.c_str(), f);
    fclose(f);
  }
  return path;
}

bool HasUnconditional(const SeccompSpec& spec, const std::string& name, SeccompAction action) {
  for (const SeccompRule& r : spec.syscalls) {
    if (r.action != action || !r.args.empty()) continue;
    for (const std::string& n : r.names) {
      if (n == name) return true;
    }
  }
  return false;
}

TEST(ParseRunArgsSeccompTest, DefaultProfileFollowsTheKeptCapabilities) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"ls"}));
  ASSERT_TRUE(req.spec.seccomp.has_value());
  EXPECT_FALSE(req.spec.seccomp->log_only);
  EXPECT_TRUE(HasUnconditional(*req.spec.seccomp, "mount", SeccompAction::kErrno));
  EXPECT_THAT(req.warnings, IsEmpty());
  // --cap-add after nothing else: the profile is built once every flag is known.
  ASSERT_OK_AND_ASSIGN(RunRequest admin, Parse({"--cap-add", "SYS_ADMIN", "ls"}));
  ASSERT_TRUE(admin.spec.seccomp.has_value());
  EXPECT_TRUE(HasUnconditional(*admin.spec.seccomp, "mount", SeccompAction::kAllow));
  ASSERT_OK_AND_ASSIGN(RunRequest dropped,
                       Parse({"--cap-add", "ALL", "--cap-drop", "SYS_ADMIN", "ls"}));
  EXPECT_TRUE(HasUnconditional(*dropped.spec.seccomp, "mount", SeccompAction::kErrno));
}

TEST(ParseRunArgsSeccompTest, UnconfinedIsWarned) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--seccomp=unconfined", "ls"}));
  EXPECT_FALSE(req.spec.seccomp.has_value());
  EXPECT_THAT(req.warnings, Contains("seccomp disabled (--seccomp=unconfined)"));
  ASSERT_OK_AND_ASSIGN(RunRequest dflt, Parse({"--seccomp", "default", "ls"}));
  EXPECT_TRUE(dflt.spec.seccomp.has_value());
  EXPECT_THAT(Parse({"--seccomp", "off", "ls"}),
              StatusIs(kInvalid, HasSubstr("--seccomp: 'off' is not 'unconfined'")));
  EXPECT_THAT(Parse({"--seccomp=unconfined", "--seccomp-log", "ls"}),
              StatusIs(kInvalid, HasSubstr("--seccomp-log")));
}

TEST(ParseRunArgsSeccompTest, LogOnly) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--seccomp-log", "ls"}));
  ASSERT_TRUE(req.spec.seccomp.has_value());
  EXPECT_TRUE(req.spec.seccomp->log_only);
  EXPECT_THAT(req.warnings, Contains(HasSubstr("log-only")));
}

TEST(ParseRunArgsSeccompTest, ProfileFile) {
  std::string good = WriteTempFile("flags-seccomp-good.json", R"({
      "defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir", "mkdirat", "not_a_syscall"], "action": "SCMP_ACT_ERRNO",
                    "errnoRet": 13},
                   {"names": ["mount"], "action": "SCMP_ACT_ERRNO",
                    "excludes": {"caps": ["CAP_SYS_ADMIN"]}}]})");
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--seccomp-profile", good, "--seccomp-log", "ls"}));
  ASSERT_TRUE(req.spec.seccomp.has_value());
  EXPECT_EQ(req.spec.seccomp->default_action, SeccompAction::kAllow);
  ASSERT_THAT(req.spec.seccomp->syscalls, SizeIs(2));
  EXPECT_THAT(req.spec.seccomp->syscalls[0].names, ElementsAre("mkdir", "mkdirat"));
  EXPECT_TRUE(req.spec.seccomp->log_only);
  EXPECT_THAT(req.warnings, Contains("--seccomp-profile " + good +
                                     ": syscalls[0].names[2]: 'not_a_syscall' is not a system call "
                                     "libseccomp knows; ignored"));
  // The capabilities count whatever the flag order.
  ASSERT_OK_AND_ASSIGN(RunRequest admin,
                       Parse({"--seccomp-profile", good, "--cap-add", "SYS_ADMIN", "ls"}));
  EXPECT_THAT(admin.spec.seccomp->syscalls, SizeIs(1));

  std::string bad = WriteTempFile("flags-seccomp-bad.json", R"({"defaultAction":
      "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO"},
      {"names": ["b"], "action": "SCMP_ACT_ERRNO"}, {"names": ["c"], "action": "SCMP_ACT_ERRNO"},
      {"names": ["mkdir"], "action": "SCMP_ACT_FOO"}]})");
  EXPECT_THAT(Parse({"--seccomp-profile", bad, "ls"}),
              StatusIs(kInvalid, "--seccomp-profile " + bad +
                                     ": syscalls[3].action: 'SCMP_ACT_FOO' is not a seccomp "
                                     "action"));
  EXPECT_THAT(Parse({"--seccomp-profile", "/nonexistent/p.json", "ls"}),
              StatusIs(absl::StatusCode::kNotFound,
                       "--seccomp-profile /nonexistent/p.json: No such file or directory"));
  EXPECT_THAT(Parse({"--seccomp-profile", good, "--seccomp-profile", good, "ls"}),
              StatusIs(kInvalid, HasSubstr("second profile")));
  EXPECT_THAT(Parse({"--seccomp-profile", good, "--seccomp=unconfined", "ls"}),
              StatusIs(kInvalid, HasSubstr("conflicts with --seccomp-profile")));
}

TEST(RunUsageTest, ListsSeccompFlags) {
  const std::string usage = RunUsage();
  for (const char* flag : {"--seccomp-profile FILE", "--seccomp unconfined", "--seccomp-log"}) {
    EXPECT_THAT(usage, HasSubstr(flag));
  }
}

// ---- Landlock ----

std::string WriteLandlockPolicy(const std::string& name, const std::string& content) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string path = std::string(tmp ? tmp : "/tmp") + "/" + name;
  FILE* f = fopen(path.c_str(), "w");
  EXPECT_NE(f, nullptr) << path;
  if (f != nullptr) {
    fputs(content.c_str(), f);
    fclose(f);
  }
  return path;
}

TEST(LandlockFlagsTest, DefaultsAreBestEffortWithDefaultRules) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"ls"}));
  const LandlockSpec& ll = req.spec.landlock;
  EXPECT_EQ(ll.mode, LandlockSpec::Mode::kBestEffort);
  EXPECT_FALSE(ll.custom_policy);
  EXPECT_FALSE(ll.restrict_tcp_connect);
  EXPECT_FALSE(ll.restrict_tcp_bind);
  EXPECT_TRUE(ll.scope_abstract_unix_socket);
  EXPECT_TRUE(ll.scope_signal);
}

TEST(LandlockFlagsTest, Modes) {
  ASSERT_OK_AND_ASSIGN(RunRequest strict, Parse({"--landlock=strict", "ls"}));
  EXPECT_EQ(strict.spec.landlock.mode, LandlockSpec::Mode::kStrict);
  ASSERT_OK_AND_ASSIGN(RunRequest off, Parse({"--landlock", "off", "ls"}));
  EXPECT_EQ(off.spec.landlock.mode, LandlockSpec::Mode::kOff);
  ASSERT_OK_AND_ASSIGN(RunRequest be, Parse({"--landlock=off", "--landlock=best-effort", "ls"}));
  EXPECT_EQ(be.spec.landlock.mode, LandlockSpec::Mode::kBestEffort);
  EXPECT_THAT(Parse({"--landlock=on", "ls"}),
              StatusIs(kInvalid, "--landlock: 'on' is not strict, best-effort or off"));
}

TEST(LandlockFlagsTest, TcpPorts) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--allow-tcp-connect", "443,80", "--allow-tcp-bind",
                                              "8080", "--allow-tcp-connect=443,8443", "ls"}));
  const LandlockSpec& ll = req.spec.landlock;
  EXPECT_TRUE(ll.restrict_tcp_connect);
  EXPECT_THAT(ll.tcp_connect, ElementsAre(80, 443, 8443));
  EXPECT_TRUE(ll.restrict_tcp_bind);
  EXPECT_THAT(ll.tcp_bind, ElementsAre(8080));
  EXPECT_THAT(Parse({"--allow-tcp-bind", "0", "ls"}),
              StatusIs(kInvalid, "--allow-tcp-bind: '0' is not a TCP port (1-65535)"));
  EXPECT_THAT(Parse({"--allow-tcp-bind", "80,65536", "ls"}),
              StatusIs(kInvalid, "--allow-tcp-bind: '65536' is not a TCP port (1-65535)"));
  EXPECT_THAT(Parse({"--allow-tcp-connect", "http", "ls"}),
              StatusIs(kInvalid, "--allow-tcp-connect: 'http' is not a TCP port (1-65535)"));
  EXPECT_THAT(Parse({"--allow-tcp-connect", "80,", "ls"}),
              StatusIs(kInvalid, "--allow-tcp-connect: '80,' is not PORT[,PORT...]"));
  EXPECT_THAT(Parse({"--allow-tcp-connect", "-1", "ls"}), StatusIs(kInvalid, HasSubstr("-1")));
}

TEST(LandlockFlagsTest, PolicyFileMergesWithFlagsInAnyOrder) {
  std::string policy = WriteLandlockPolicy("flags-landlock.json", R"({
      "paths": [{"path": "/", "access": "rx"}, {"path": "/tmp", "access": "rw"}],
      "tcp_connect": [9000], "scope": ["signal"]})");
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--landlock=strict", "--allow-tcp-connect", "443",
                                              "--landlock-policy", policy, "ls"}));
  const LandlockSpec& ll = req.spec.landlock;
  EXPECT_EQ(ll.mode, LandlockSpec::Mode::kStrict) << "the flag's mode survives the policy";
  EXPECT_TRUE(ll.custom_policy);
  ASSERT_EQ(ll.paths.size(), 2u);
  EXPECT_EQ(ll.paths[1].path, "/tmp");
  EXPECT_TRUE(ll.restrict_tcp_connect);
  EXPECT_THAT(ll.tcp_connect, ElementsAre(443, 9000));
  EXPECT_FALSE(ll.restrict_tcp_bind);
  EXPECT_FALSE(ll.scope_abstract_unix_socket);
  EXPECT_TRUE(ll.scope_signal);
  EXPECT_THAT(req.warnings, IsEmpty());
}

TEST(LandlockFlagsTest, PolicyErrorsNameFlagFileAndJsonPath) {
  std::string bad = WriteLandlockPolicy(
      "flags-landlock-bad.json",
      R"({"paths": [{"path": "/", "access": "rx"}, {"path": "/a", "access": "ro"},
                    {"path": "/b", "access": ["wrte"]}]})");
  EXPECT_THAT(
      Parse({"--landlock-policy", bad, "ls"}),
      StatusIs(kInvalid, ::testing::StartsWith(
                             "--landlock-policy " + bad +
                             ": paths[2].access[0]: 'wrte' is not a Landlock access right")));
  EXPECT_THAT(
      Parse({"--landlock-policy", "/nonexistent/p.json", "ls"}),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("--landlock-policy /nonexistent/p.json: ")));
  std::string good = WriteLandlockPolicy("flags-landlock-good.json", "{}");
  EXPECT_THAT(Parse({"--landlock-policy", good, "--landlock-policy", good, "ls"}),
              StatusIs(kInvalid, HasSubstr("second policy file")));
}

TEST(LandlockFlagsTest, OffWithPolicyWarns) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--landlock=off", "--allow-tcp-bind", "80", "ls"}));
  EXPECT_THAT(req.warnings, Contains(HasSubstr("--landlock=off")));
}

TEST(RunUsageTest, ListsLandlockFlags) {
  const std::string usage = RunUsage();
  for (const char* flag : {"--landlock strict|best-effort|off", "--landlock-policy FILE",
                           "--allow-tcp-connect PORT[,PORT]", "--allow-tcp-bind PORT[,PORT]"}) {
    EXPECT_THAT(usage, HasSubstr(flag));
  }
}

// ---- resources (cgroups) ----

TEST(ResourceFlagsTest, DefaultsCreateAGroupWithTheDefaultPidsLimitOnly) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"ls"}));
  ResourcesSpec only_pids;
  only_pids.pids_limit = kDefaultPidsLimit;
  EXPECT_EQ(req.spec.resources.pids_limit, kDefaultPidsLimit);
  req.spec.resources.pids_limit.reset();
  EXPECT_FALSE(req.spec.resources.HasLimits()) << "nothing else by default";
  EXPECT_EQ(req.spec.cgroup_parent, "nucleus");
  ASSERT_OK_AND_ASSIGN(RunRequest rootless, Parse({"ls"}, kRootless));
  EXPECT_EQ(rootless.spec.cgroup_parent, "") << "rootless: no cgroup";
  EXPECT_FALSE(rootless.spec.resources.pids_limit) << "rootless: no cgroup, no pids limit";
}

TEST(ResourceFlagsTest, DefaultPidsLimitLiftedOrReplacedOrMissing) {
  ASSERT_OK_AND_ASSIGN(RunRequest unlimited, Parse({"--pids-limit", "-1", "ls"}));
  EXPECT_FALSE(unlimited.spec.resources.pids_limit);
  ASSERT_OK_AND_ASSIGN(RunRequest more, Parse({"--pids-limit", "5000", "ls"}));
  EXPECT_EQ(more.spec.resources.pids_limit, 5000);
  HostDefaults no_pids;
  no_pids.pids_controller = false;
  ASSERT_OK_AND_ASSIGN(RunRequest missing, Parse({"ls"}, no_pids));
  EXPECT_FALSE(missing.spec.resources.pids_limit);
  EXPECT_THAT(missing.warnings, Contains(HasSubstr("no cgroup pids controller")));
}

TEST(ResourceFlagsTest, NofileDefaultGivesWayToUlimit) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--ulimit", "nofile=100:200", "ls"}));
  ASSERT_EQ(req.spec.process.rlimits.size(), 1u);
  EXPECT_EQ(req.spec.process.rlimits[0].soft, 100u);
  EXPECT_EQ(req.spec.process.rlimits[0].hard, 200u);
}

TEST(ResourceFlagsTest, EveryFlag) {
  ASSERT_OK_AND_ASSIGN(RunRequest req, Parse({"--memory",
                                              "32m",
                                              "--memory-swap=64m",
                                              "--memory-reservation",
                                              "16m",
                                              "--cpus",
                                              "0.5",
                                              "--cpu-shares",
                                              "512",
                                              "--cpuset-cpus",
                                              "0-1",
                                              "--cpuset-mems",
                                              "0",
                                              "--pids-limit",
                                              "32",
                                              "--blkio-weight",
                                              "300",
                                              "--cgroup-parent",
                                              "/a/b",
                                              "ls"}));
  const ResourcesSpec& r = req.spec.resources;
  EXPECT_EQ(r.memory, uint64_t{32} << 20);
  EXPECT_EQ(r.memory_swap, int64_t{64} << 20);
  EXPECT_EQ(r.memory_reservation, uint64_t{16} << 20);
  EXPECT_EQ(r.cpu_quota_us, 50000u);
  EXPECT_EQ(r.cpu_period_us, 100000u);
  EXPECT_EQ(r.cpu_shares, 512u);
  EXPECT_EQ(r.cpuset_cpus, "0-1");
  EXPECT_EQ(r.cpuset_mems, "0");
  EXPECT_EQ(r.pids_limit, 32);
  EXPECT_EQ(r.blkio_weight, 300);
  EXPECT_EQ(req.spec.cgroup_parent, "a/b");
  ASSERT_OK_AND_ASSIGN(RunRequest w, Parse({"-m", "1g", "--cpu-weight", "200", "--cpus", "2",
                                            "--memory-swap", "-1", "ls"}));
  EXPECT_EQ(w.spec.resources.memory, uint64_t{1} << 30);
  EXPECT_EQ(w.spec.resources.memory_swap, -1);
  EXPECT_EQ(w.spec.resources.cpu_weight, 200u);
  EXPECT_EQ(w.spec.resources.cpu_quota_us, 200000u);
  ASSERT_OK_AND_ASSIGN(RunRequest cpus, Parse({"--cpus", "1.25", "ls"}));
  EXPECT_EQ(cpus.spec.resources.cpu_quota_us, 125000u);
  ASSERT_OK_AND_ASSIGN(RunRequest unl, Parse({"--pids-limit", "-1", "--blkio-weight", "0", "ls"}));
  EXPECT_FALSE(unl.spec.resources.pids_limit.has_value());
  EXPECT_FALSE(unl.spec.resources.blkio_weight.has_value());
}

TEST(ResourceFlagsTest, OneLineErrors) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"--memory", "12xb"}, "--memory: '12xb' is not a size"},
      {{"--memory", "1m"}, "--memory: the minimum is 6 MiB (6m)"},
      {{"--memory-swap", "64m"}, "--memory-swap: needs --memory as well"},
      {{"--memory", "64m", "--memory-swap", "32m"}, "--memory-swap: is memory plus swap"},
      {{"--memory", "32m", "--memory-reservation", "64m"},
       "--memory-reservation: cannot be above --memory"},
      {{"--cpus", "abc"}, "--cpus: 'abc' is not a number of CPUs (e.g. 0.5, 2)"},
      {{"--cpus", "0"}, "--cpus: '0' is out of range (0.01 to 10000)"},
      {{"--cpus", "0.0001"}, "--cpus: '0.0001' is not a number of CPUs"},
      {{"--cpus", "1."}, "--cpus: '1.' is not a number of CPUs"},
      {{"--cpus", "-1"}, "--cpus: '-1' is not a number of CPUs"},
      {{"--cpu-shares", "1"}, "--cpu-shares: '1' is not a number from 2 to 262144"},
      {{"--cpu-weight", "0"}, "--cpu-weight: '0' is not a number from 1 to 10000"},
      {{"--cpu-shares", "2", "--cpu-weight", "2"}, "--cpu-weight: conflicts with --cpu-shares"},
      {{"--cpuset-cpus", "0-"}, "--cpuset-cpus: '0-' is not a CPU list (e.g. 0-3,5)"},
      {{"--cpuset-mems", "x"}, "--cpuset-mems: 'x' is not a CPU list"},
      {{"--pids-limit", "many"}, "--pids-limit: 'many' is not a number"},
      {{"--blkio-weight", "5"}, "--blkio-weight: '5' is not a number from 10 to 1000"},
      {{"--blkio-weight", "1001"}, "--blkio-weight: '1001' is not a number from 0 to 1000"},
      {{"--cgroup-parent", "../x"}, "--cgroup-parent: '../x' is not a clean relative path"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.push_back("ls");
    absl::StatusOr<RunRequest> r = Parse(args);
    EXPECT_THAT(r.status(), StatusIs(kInvalid, HasSubstr(c.message))) << args[0];
    EXPECT_EQ(r.status().message().find('\n'), absl::string_view::npos);
  }
  EXPECT_THAT(Parse({"--memory", "32m", "ls"}, kRootless),
              StatusIs(kInvalid, HasSubstr("need nucleus to run as root")));
}

TEST(RunUsageTest, ListsResourceFlags) {
  const std::string usage = RunUsage();
  for (const char* flag : {"--memory SIZE", "-m,", "--memory-swap", "--memory-reservation",
                           "--cpus N", "--cpu-shares", "-c,", "--cpu-weight", "--cpuset-cpus",
                           "--cpuset-mems", "--pids-limit", "--blkio-weight", "--cgroup-parent"}) {
    EXPECT_THAT(usage, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace nucleus
