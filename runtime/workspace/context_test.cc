#include "runtime/workspace/context.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/sha256.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string Fresh(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/" + name;
  std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "'";
  EXPECT_EQ(system(cmd.c_str()), 0);
  return dir;
}

void Write(const std::string& path, const std::string& data, mode_t mode = 0644) {
  std::ofstream(path) << data;
  chmod(path.c_str(), mode);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ContextSpec Spec(const std::string& source) {
  ContextSpec s;
  s.source = source;
  for (const char* p : kDefaultContextExcludes) s.exclude.push_back(p);
  return s;
}

std::string HashOf(const std::string& data) {
  Sha256 h;
  h.Update(data);
  return h.Hex();
}

// A project with what an agent must not get (.git, .env, keys, node_modules), a setuid
// file, symlinks pointing out of the tree and a FIFO.
std::string Project(const std::string& name) {
  std::string src = Fresh(name);
  mkdir((src + "/src").c_str(), 0755);
  mkdir((src + "/src/deep").c_str(), 0555);
  Write(src + "/README", "hello\n");
  Write(src + "/src/main.py", "print(1)\n", 04755);
  mkdir((src + "/.git").c_str(), 0755);
  Write(src + "/.git/config", "[core]\n");
  Write(src + "/.env", "TOKEN=x\n");
  Write(src + "/.env.local", "TOKEN=y\n");
  Write(src + "/src/server.key", "KEY\n");
  Write(src + "/src/cert.pem", "PEM\n");
  mkdir((src + "/node_modules").c_str(), 0755);
  Write(src + "/node_modules/x.js", "1\n");
  symlink("/etc/shadow", (src + "/shadow-link").c_str());
  symlink("../../..", (src + "/src/up").c_str());
  mkfifo((src + "/pipe").c_str(), 0600);
  chmod((src + "/src/deep").c_str(), 0755);
  Write(src + "/src/deep/x.txt", "x\n");
  chmod((src + "/src/deep").c_str(), 0555);
  return src;
}

TEST(ContextTest, CopiesWhatIsNotExcludedAndFollowsNoSymlink) {
  std::string src = Project("proj-copy");
  std::string dst = Fresh("proj-copy-dst");
  int fd = open(dst.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_OK_AND_ASSIGN(ContextWalk w, WalkContext(Spec(src), fd, getuid(), getgid(), true));
  close(fd);
  EXPECT_EQ(Read(dst + "/README"), "hello\n");
  EXPECT_EQ(Read(dst + "/src/main.py"), "print(1)\n");
  EXPECT_EQ(Read(dst + "/src/deep/x.txt"), "x\n");
  struct stat st;
  ASSERT_EQ(stat((dst + "/src/main.py").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "no setuid bit in the copy";
  ASSERT_EQ(stat((dst + "/src/deep").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0555u);
  for (const char* gone : {"/.git", "/.env", "/.env.local", "/src/server.key", "/src/cert.pem",
                           "/node_modules", "/pipe"}) {
    EXPECT_NE(lstat((dst + gone).c_str(), &st), 0) << gone;
  }
  char target[64] = {0};
  ASSERT_GT(readlink((dst + "/shadow-link").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "/etc/shadow") << "copied as a link, never followed";
  EXPECT_THAT(w.excluded, UnorderedElementsAre(".env", ".env.local", ".git", "node_modules",
                                               "src/cert.pem", "src/server.key"));
  EXPECT_THAT(w.special, ElementsAre("pipe"));
  EXPECT_EQ(w.files, 3u);
  EXPECT_EQ(w.symlinks, 2u);
  EXPECT_EQ(w.sha256.at("src/main.py"), HashOf("print(1)\n"));
  EXPECT_EQ(w.sha256.size(), 3u);
}

TEST(ContextTest, IncludeBringsBackAnExcludedEntryAndPathPatterns) {
  std::string src = Project("proj-include");
  ContextSpec s = Spec(src);
  s.include = {".env.local"};
  s.exclude.push_back("src/deep");
  ASSERT_OK_AND_ASSIGN(ContextWalk w, WalkContext(s, -1, 0, 0, false));
  EXPECT_THAT(w.excluded, UnorderedElementsAre(".env", ".git", "node_modules", "src/cert.pem",
                                               "src/deep", "src/server.key"));
  EXPECT_TRUE(w.sha256.empty()) << "no hashing unless asked";
  EXPECT_TRUE(ContextExcluded(s, "a/b/.git"));
  EXPECT_FALSE(ContextExcluded(s, "a/src/deep")) << "a path pattern matches from the root";
}

TEST(ContextTest, LimitsAreErrorsNamingTheFlag) {
  std::string src = Project("proj-limits");
  ContextSpec files = Spec(src);
  files.max_files = 3;
  EXPECT_THAT(WalkContext(files, -1, 0, 0, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("files=N")));
  ContextSpec depth = Spec(src);
  depth.max_depth = 1;
  EXPECT_THAT(WalkContext(depth, -1, 0, 0, false),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'src/deep': more than 1 directory levels")));
  ContextSpec bytes = Spec(src);
  bytes.max_bytes = 10;
  EXPECT_THAT(WalkContext(bytes, -1, 0, 0, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("size=SIZE")));
  EXPECT_THAT(WalkContext(Spec(src + "/README"), -1, 0, 0, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--context")));
}

TEST(ContextTest, ManifestRoundTripAndCheck) {
  std::map<std::string, std::string> m = {{"a", HashOf("a")}, {"d/b", HashOf("b")}};
  std::string text = FormatManifest(m);
  EXPECT_EQ(text, HashOf("a") + "  ./a\n" + HashOf("b") + "  ./d/b\n");
  ASSERT_OK_AND_ASSIGN(auto back, ParseManifest(text));
  EXPECT_EQ(back, m);
  EXPECT_OK(CheckManifest(m, text));
  auto changed = m;
  changed["d/b"] = HashOf("evil");
  EXPECT_THAT(CheckManifest(changed, text),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("'d/b': sha256 differs")));
  auto extra = m;
  extra["new"] = HashOf("n");
  EXPECT_THAT(CheckManifest(extra, text), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                   HasSubstr("'new': not in the manifest")));
  m.erase("a");
  EXPECT_THAT(CheckManifest(m, text),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("'a': missing")));
  for (const std::string& bad :
       {std::string("xyz  ./a\n"), HashOf("a") + " ./a\n", HashOf("a") + "  a\n",
        HashOf("a") + "  ./../a\n", HashOf("a") + "  ./a//b\n",
        HashOf("a") + "  ./a\n" + HashOf("b") + "  ./a\n"}) {
    EXPECT_THAT(ParseManifest(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line ")))
        << bad;
  }
}

}  // namespace
}  // namespace nucleus
