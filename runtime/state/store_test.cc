#include "runtime/state/store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;

std::string NewRoot(absl::string_view name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  static int n = 0;
  return absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, "-", getpid(), "-", n++);
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

ContainerState StateFor(const std::string& id, int restarts = 0) {
  ContainerState s;
  s.id = id;
  s.status = ContainerStatus::kCreated;
  s.pid = 1234;
  s.bundle = "/bundle";
  s.restart_count = restarts;
  return s;
}

TEST(StateStoreTest, OpenCreatesMissingParents) {
  // containerd hands runc (and nucleus) --root /run/containerd/runc/NAMESPACE, whose
  // parents may not exist yet.
  std::string base = NewRoot("parents");
  std::string root = base + "/a/b/c";
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(root));
  EXPECT_EQ(store.root(), root);
  struct stat st;
  ASSERT_EQ(stat((base + "/a/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(stat(root.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  // A parent that is a file: an error naming it.
  WriteFile(base + "/file", "x");
  absl::Status bad = StateStore::Open(base + "/file/x/y").status();
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.message()), HasSubstr(base + "/file/x"));
}

TEST(StateStoreTest, OpenCreatesPrivateRoot) {
  std::string root = NewRoot("open");
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(root + "/"));
  EXPECT_EQ(store.root(), root);
  struct stat st;
  ASSERT_EQ(stat(root.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700);
  // Reopening an existing root is fine.
  EXPECT_OK(StateStore::Open(root).status());
}

TEST(StateStoreTest, RefusesSymlinkedOrSharedRoot) {
  std::string real = NewRoot("real");
  ASSERT_OK(StateStore::Open(real).status());
  std::string link = NewRoot("link");
  ASSERT_EQ(symlink(real.c_str(), link.c_str()), 0);
  EXPECT_THAT(StateStore::Open(link).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("a symlink")));
  // A trailing slash must not sneak through O_NOFOLLOW.
  EXPECT_THAT(StateStore::Open(link + "/").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("a symlink")));
  ASSERT_EQ(chmod(real.c_str(), 0777), 0);
  EXPECT_THAT(StateStore::Open(real).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("mode 0777")));
  std::string file = NewRoot("file");
  WriteFile(file, "x");
  EXPECT_FALSE(StateStore::Open(file).ok());
  if (geteuid() != 0) {
    // Not owned by us: "/" is root's.
    EXPECT_THAT(StateStore::Open("/").status(),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("owned by uid 0")));
  }
}

TEST(StateStoreTest, CreateSaveLoad) {
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(NewRoot("csl")));
  {
    ASSERT_OK_AND_ASSIGN(ContainerLock lock, store.Create("web"));
    EXPECT_EQ(lock.id(), "web");
    // Before the first Save the container exists but has no state.
    EXPECT_THAT(store.Load("web"),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("no state.json")));
    ASSERT_OK(store.Save(lock, StateFor("web", 1)));
    EXPECT_THAT(store.Save(lock, StateFor("other")),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("under the lock of web")));
  }
  ASSERT_OK_AND_ASSIGN(ContainerState got, store.Load("web"));
  EXPECT_EQ(got, StateFor("web", 1));
  struct stat st;
  ASSERT_EQ(stat((store.root() + "/web").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700);
  ASSERT_EQ(stat((store.root() + "/web/state.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600);

  EXPECT_THAT(store.Create("web").status(),
              StatusIs(absl::StatusCode::kAlreadyExists, "container ID already exists: web"));
  EXPECT_THAT(store.Create("../web").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("container ID")));
  EXPECT_THAT(store.Load("nope"),
              StatusIs(absl::StatusCode::kNotFound, "container ID does not exist: nope"));
  EXPECT_THAT(store.Lock("nope", absl::ZeroDuration()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("does not exist")));
  EXPECT_THAT(store.Load("a/../web"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("container ID")));
  // A failed Create leaves no scratch directory behind.
  ASSERT_OK_AND_ASSIGN(StateList list, store.List());
  EXPECT_EQ(list.states.size(), 1u);
  EXPECT_TRUE(list.broken.empty());
}

// An owned entry is abandoned once its owner has died (its flock is gone), and only then; an
// entry without an owner file never is. The owner here is a child that dies by SIGKILL.
TEST(StateStoreTest, AbandonedIdsAreOwnedEntriesWhoseOwnerDied) {
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(NewRoot("own")));
  {
    ASSERT_OK_AND_ASSIGN(ContainerLock plain, store.Create("plain"));
    ASSERT_OK(store.Save(plain, StateFor("plain")));
  }
  ASSERT_OK_AND_ASSIGN(ContainerLock mine, store.Create("mine"));
  ASSERT_OK(store.Save(mine, StateFor("mine")));
  ASSERT_OK_AND_ASSIGN(UniqueFd held, store.HoldOwner(mine));
  EXPECT_THAT(store.HoldOwner(mine).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("owner")));

  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<ContainerLock> lock = store.Create("theirs");
    absl::StatusOr<UniqueFd> owner =
        lock.ok() ? store.HoldOwner(*lock) : absl::StatusOr<UniqueFd>(lock.status());
    (void)!write(ready[1], owner.ok() ? "y" : "n", 1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char answer = 0;
  ASSERT_EQ(read(ready[0], &answer, 1), 1);
  close(ready[0]);
  ASSERT_EQ(answer, 'y');
  // Alive: nothing abandoned (ours held too, and the lock being free does not matter).
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> ids, store.AbandonedIds());
  EXPECT_TRUE(ids.empty());
  kill(child, SIGKILL);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  ASSERT_OK_AND_ASSIGN(ids, store.AbandonedIds());
  EXPECT_EQ(ids, std::vector<std::string>{"theirs"});
  // Ours, once let go.
  held.Reset();
  ASSERT_OK_AND_ASSIGN(ids, store.AbandonedIds());
  EXPECT_EQ(ids, (std::vector<std::string>{"mine", "theirs"}));
}

TEST(StateStoreTest, InterruptedSaveIsIgnoredAndCleaned) {
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(NewRoot("crash")));
  ASSERT_OK_AND_ASSIGN(ContainerLock lock, store.Create("c1"));
  ASSERT_OK(store.Save(lock, StateFor("c1", 1)));
  // A crash between write and rename: a half-written temp file.
  const std::string tmp = store.root() + "/c1/state.json.tmp";
  WriteFile(tmp, "{\"ociVersion\": \"1.0.2\", \"id\": \"c1\", \"sta");
  ASSERT_OK_AND_ASSIGN(ContainerState got, store.Load("c1"));
  EXPECT_EQ(got.restart_count, 1);
  // Even a symlink planted as the temp name is replaced, not followed.
  std::string target = NewRoot("target");
  WriteFile(target, "keep");
  ASSERT_EQ(unlink(tmp.c_str()), 0);
  ASSERT_EQ(symlink(target.c_str(), tmp.c_str()), 0);
  ASSERT_OK(store.Save(lock, StateFor("c1", 2)));
  EXPECT_FALSE(Exists(tmp));
  std::ifstream in(target);
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, "keep");
  ASSERT_OK_AND_ASSIGN(got, store.Load("c1"));
  EXPECT_EQ(got.restart_count, 2);
}

TEST(StateStoreTest, LockContentionBetweenProcessesSerializes) {
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(NewRoot("lock")));
  ASSERT_OK_AND_ASSIGN(ContainerLock held, store.Create("c1"));
  ASSERT_OK(store.Save(held, StateFor("c1", 0)));
  // Another lock in this process conflicts too (flock is per open file description).
  EXPECT_THAT(store.Lock("c1", absl::ZeroDuration()).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked by another")));
  EXPECT_THAT(store.Lock("c1", absl::Milliseconds(50)).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("still locked")));

  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    // Child: no gtest assertions; the exit status is the verdict.
    auto store2 = StateStore::Open(store.root());
    if (!store2.ok()) _exit(10);
    if (store2->Lock("c1", absl::ZeroDuration()).status().code() !=
        absl::StatusCode::kUnavailable) {
      _exit(11);
    }
    (void)!write(ready[1], "x", 1);
    // Blocks until the parent has saved and released.
    auto lock = store2->Lock("c1", absl::Seconds(30));
    if (!lock.ok()) _exit(12);
    auto st = store2->Load("c1");
    if (!st.ok()) _exit(13);
    if (st->restart_count != 1) _exit(14);  // saw the state from before the parent's Save
    if (!store2->Save(*lock, StateFor("c1", 2)).ok()) _exit(15);
    _exit(0);
  }
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  absl::SleepFor(absl::Milliseconds(200));  // the child is now waiting for the lock
  ASSERT_OK(store.Save(held, StateFor("c1", 1)));
  { ContainerLock release = std::move(held); }  // unlock (LOCK_UN: the child shares the fd)
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_OK_AND_ASSIGN(ContainerState got, store.Load("c1"));
  EXPECT_EQ(got.restart_count, 2);
}

TEST(StateStoreTest, ListReportsBrokenEntries) {
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(NewRoot("list")));
  for (const char* id : {"b", "a"}) {
    ASSERT_OK_AND_ASSIGN(ContainerLock lock, store.Create(id));
    ASSERT_OK(store.Save(lock, StateFor(id)));
  }
  ASSERT_OK_AND_ASSIGN(ContainerLock nostate, store.Create("nostate"));
  { ASSERT_OK_AND_ASSIGN(ContainerLock lock, store.Create("garbled")); }
  WriteFile(store.root() + "/garbled/state.json", "{\"id\": 3");
  {
    ASSERT_OK_AND_ASSIGN(ContainerLock lock, store.Create("wrongid"));
    ASSERT_OK(store.Save(lock, StateFor("wrongid")));
  }
  WriteFile(store.root() + "/wrongid/state.json", ToJson(StateFor("a")));
  ASSERT_EQ(mkdir((store.root() + "/bad name").c_str(), 0700), 0);
  WriteFile(store.root() + "/plainfile", "x");
  ASSERT_EQ(mkdir((store.root() + "/.new-x-123").c_str(), 0700), 0);  // scratch: skipped

  ASSERT_OK_AND_ASSIGN(StateList list, store.List());
  ASSERT_EQ(list.states.size(), 2u);
  EXPECT_EQ(list.states[0].id, "a");
  EXPECT_EQ(list.states[1].id, "b");
  ASSERT_EQ(list.broken.size(), 5u);
  EXPECT_EQ(list.broken[0].name, "bad name");
  EXPECT_THAT(list.broken[0].error,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("' ' is not allowed")));
  EXPECT_EQ(list.broken[1].name, "garbled");
  EXPECT_THAT(list.broken[1].error, StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("container garbled: state.json: not JSON")));
  EXPECT_EQ(list.broken[2].name, "nostate");
  EXPECT_THAT(list.broken[2].error,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no state.json")));
  EXPECT_EQ(list.broken[3].name, "plainfile");
  EXPECT_THAT(list.broken[3].error,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a directory")));
  EXPECT_EQ(list.broken[4].name, "wrongid");
  EXPECT_THAT(list.broken[4].error, StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("does not match its directory")));
}

TEST(StateStoreTest, RefusesSymlinkedContainerDirAndStateFile) {
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(NewRoot("symdir")));
  std::string elsewhere = NewRoot("elsewhere");
  ASSERT_EQ(mkdir(elsewhere.c_str(), 0700), 0);
  WriteFile(elsewhere + "/lock", "");
  WriteFile(elsewhere + "/state.json", ToJson(StateFor("evil")));
  ASSERT_EQ(symlink(elsewhere.c_str(), (store.root() + "/evil").c_str()), 0);
  EXPECT_THAT(store.Load("evil"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                           HasSubstr("is a symlink or not a directory")));
  EXPECT_THAT(store.Lock("evil", absl::ZeroDuration()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("symlink")));
  EXPECT_THAT(store.Create("evil").status(),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));

  ASSERT_OK_AND_ASSIGN(ContainerLock lock, store.Create("c"));
  ASSERT_EQ(symlink((elsewhere + "/state.json").c_str(), (store.root() + "/c/state.json").c_str()),
            0);
  EXPECT_THAT(store.Load("c"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("state.json: a symlink")));
}

TEST(StateStoreTest, RemoveDeletesEverythingWithoutFollowingSymlinks) {
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(NewRoot("rm")));
  std::string outside = NewRoot("outside");
  ASSERT_EQ(mkdir(outside.c_str(), 0700), 0);
  WriteFile(outside + "/precious", "x");
  {
    ASSERT_OK_AND_ASSIGN(ContainerLock lock, store.Create("c"));
    ASSERT_OK(store.Save(lock, StateFor("c")));
    const std::string dir = store.root() + "/c";
    WriteFile(dir + "/log", "hello");
    ASSERT_EQ(mkdir((dir + "/sub").c_str(), 0700), 0);
    ASSERT_EQ(mkdir((dir + "/sub/deeper").c_str(), 0700), 0);
    WriteFile(dir + "/sub/deeper/f", "f");
    ASSERT_EQ(symlink(outside.c_str(), (dir + "/sub/link").c_str()), 0);
    ASSERT_EQ(symlink(outside.c_str(), (dir + "/toplink").c_str()), 0);
    ASSERT_OK(store.Remove(std::move(lock)));
  }
  EXPECT_FALSE(Exists(store.root() + "/c"));
  EXPECT_TRUE(Exists(outside + "/precious"));
  EXPECT_THAT(store.Load("c"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  // The id is free again.
  ASSERT_OK_AND_ASSIGN(ContainerLock again, store.Create("c"));
}

TEST(StateStoreTest, WaiterSeesRemovalAsNotFound) {
  ASSERT_OK_AND_ASSIGN(StateStore store, StateStore::Open(NewRoot("rmwait")));
  ASSERT_OK_AND_ASSIGN(ContainerLock lock, store.Create("c"));
  ASSERT_OK(store.Save(lock, StateFor("c")));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store2 = StateStore::Open(store.root());
    if (!store2.ok()) _exit(10);
    auto waited = store2->Lock("c", absl::Seconds(30));
    _exit(absl::IsNotFound(waited.status()) ? 0 : 11);
  }
  absl::SleepFor(absl::Milliseconds(200));
  ASSERT_OK(store.Remove(std::move(lock)));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace nucleus
