// The lifecycle against a fake backend: what it records in the state store, in which order it
// drives the container, and what it leaves behind when a step fails. The fake's "container"
// is a forked child of this test that waits at a gate (util/subprocess), so pids, start
// times and pidfds are real; no namespace, cgroup or mount is made.
#include "runtime/lifecycle/lifecycle.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/pidfd.h"
#include "runtime/util/status.h"
#include "runtime/util/status_matchers.h"
#include "runtime/util/subprocess.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// What the fake backend was asked to do, in order.
std::vector<std::string>* Calls() {
  static auto* calls = new std::vector<std::string>();
  return calls;
}

// Exits with spec.process.args[1] (a number) once started.
class FakeContainer : public Container {
 public:
  FakeContainer(Spawned child, UniqueFd gate) : child_(std::move(child)), gate_(std::move(gate)) {}
  ~FakeContainer() override { (void)Destroy(); }  // as the real ones: callers Destroy first
  pid_t pid() const override { return child_.pid; }
  int wait_fd() const override { return child_.pidfd.get(); }
  absl::Status Start() override {
    Calls()->push_back("start");
    if (::write(gate_.get(), "g", 1) != 1) return ErrnoStatus("write", "gate");
    gate_.Reset();
    return absl::OkStatus();
  }
  absl::StatusOr<ExitInfo> Wait() override {
    Calls()->push_back("wait");
    if (reaped_) return absl::FailedPreconditionError("reaped already");
    ASSIGN_OR_RETURN(int wstatus, WaitPidfd(child_.pidfd.get(), "fake"));
    reaped_ = true;
    return ExitInfo::FromWaitStatus(wstatus);
  }
  absl::Status Kill(int sig) override { return PidfdSendSignal(child_.pidfd.get(), sig, pid()); }
  absl::Status Destroy() override {
    if (reaped_ || detached_) return absl::OkStatus();
    Calls()->push_back("destroy");
    gate_.Reset();  // EOF: a child that never started exits 127
    (void)PidfdSendSignalRaw(child_.pidfd.get(), SIGKILL);  // gone, or going
    reaped_ = WaitPidfd(child_.pidfd.get(), "fake").ok();
    return absl::OkStatus();
  }
  absl::Status Detach() override {
    detached_ = true;
    return absl::OkStatus();
  }

 private:
  Spawned child_;
  UniqueFd gate_;
  bool reaped_ = false;
  bool detached_ = false;
};

class FakeBackend : public Backend {
 public:
  std::string name() const override { return "fake"; }
  absl::StatusOr<std::unique_ptr<Container>> Create(const ContainerSpec& spec,
                                                    const CreateOptions& options) override {
    Calls()->push_back(options.detached ? "create detached" : "create");
    if (spec.process.args[0] == "fail-create") return absl::UnavailableError("fake: no");
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "gate");
    UniqueFd gate_r(p[0]), gate_w(p[1]);
    int code = atoi(spec.process.args.size() > 1 ? spec.process.args[1].c_str() : "0");
    SpawnOptions o;
    o.gate_fd = gate_r.get();
    ASSIGN_OR_RETURN(Spawned child, SpawnFunction([code] { return code; }, o));
    return std::unique_ptr<Container>(
        std::make_unique<FakeContainer>(std::move(child), std::move(gate_w)));
  }
  absl::StatusOr<std::unique_ptr<Container>> Exec(const ContainerSpec&, const ContainerRef&,
                                                  bool) override {
    return absl::UnimplementedError("fake: exec");
  }
  absl::Status StartCreated(const ContainerRef&, int*) override {
    return absl::UnimplementedError("fake: start");
  }
  absl::Status Signal(const ContainerRef& ref, int sig, bool) override {
    Calls()->push_back(absl::StrCat("signal ", sig));
    return ::kill(ref.pid, sig) == 0 ? absl::OkStatus() : ErrnoStatus("kill", "fake");
  }
  absl::Status Remove(const ContainerRef&) override {
    Calls()->push_back("remove");
    return absl::OkStatus();
  }
};

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Calls()->clear();
    SetBackendFactoryForTesting(
        [](const ContainerSpec&) { return std::make_unique<FakeBackend>(); });
    root_ = ::testing::TempDir() + "/lifecycle-" + std::to_string(::getpid());
    (void)RemoveTree(root_);  // a previous run's, if any
    absl::StatusOr<StateStore> store = StateStore::Open(root_);
    ASSERT_OK(store.status());
    store_ = std::make_unique<StateStore>(*std::move(store));
  }
  void TearDown() override {
    SetBackendFactoryForTesting(nullptr);
    store_.reset();
    (void)RemoveTree(root_);
  }
  static ContainerSpec Spec(const std::string& id, std::vector<std::string> args) {
    ContainerSpec spec;
    spec.id = id;
    spec.rootfs = "/nonexistent-rootfs";  // the fake never looks; no default root is laid out
    spec.process.args = std::move(args);
    return spec;
  }
  bool Exists(const std::string& id) { return store_->Load(id).ok(); }

  std::string root_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(LifecycleTest, AnAttachedRunDrivesCreateStartWaitAndLeavesNoEntry) {
  std::vector<std::string> seen;
  AttachedCallbacks cb;
  cb.on_registered = [&](int dir_fd) {
    seen.push_back(dir_fd >= 0 ? "registered" : "no dir");
    return absl::OkStatus();
  };
  cb.on_created = [&](Container&) { seen.push_back("created"); };
  cb.on_started = [&](const ContainerState& st) {
    seen.push_back(absl::StrCat("started ", ContainerStatusName(st.status)));
  };
  int exec_code = -1;
  absl::StatusOr<ExitInfo> info = RunAttached(*store_, Spec("web", {"exit", "3"}), "web",
                                              /*remove_when_done=*/true, cb, &exec_code);
  ASSERT_OK(info.status());
  EXPECT_EQ(info->ExitStatus(), 3);
  EXPECT_EQ(exec_code, 0);
  EXPECT_THAT(seen, ElementsAre("registered", "created", "started running"));
  EXPECT_THAT(*Calls(), ElementsAre("create", "start", "wait"));
  EXPECT_FALSE(Exists("web")) << "a foreground run's entry goes with it";
}

TEST_F(LifecycleTest, AKeptRunIsRecordedStoppedWithItsExit) {
  absl::StatusOr<ExitInfo> info = RunAttached(*store_, Spec("job", {"exit", "0"}), "job",
                                              /*remove_when_done=*/false, {}, nullptr);
  ASSERT_OK(info.status());
  absl::StatusOr<ContainerState> st = store_->Load("job");
  ASSERT_OK(st.status());
  EXPECT_EQ(st->status, ContainerStatus::kStopped);
  ASSERT_TRUE(st->exit.has_value());
  EXPECT_EQ(st->exit->code, 0);
  // Its restart takes the same entry and counts.
  info = RunAttached(*store_, Spec("job", {"exit", "1"}), "job", false, {}, nullptr, 1);
  ASSERT_OK(info.status());
  st = store_->Load("job");
  ASSERT_OK(st.status());
  EXPECT_EQ(st->restart_count, 1);
  EXPECT_EQ(st->exit->code, 1);
}

TEST_F(LifecycleTest, AFailedCreateLeavesNothingAndSaysWhy) {
  EXPECT_THAT(RunAttached(*store_, Spec("bad", {"fail-create"}), "bad", true, {}, nullptr),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("fake: no")));
  EXPECT_THAT(*Calls(), ElementsAre("create", "remove"));
  EXPECT_FALSE(Exists("bad"));
}

TEST_F(LifecycleTest, AFailedRegisteredCallbackDestroysNothingItDidNotMake) {
  AttachedCallbacks cb;
  cb.on_registered = [](int) { return absl::PermissionDeniedError("log: no"); };
  EXPECT_THAT(RunAttached(*store_, Spec("log", {"exit", "0"}), "log", true, cb, nullptr),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("log: no")));
  EXPECT_TRUE(Calls()->empty()) << "no container was made";
  EXPECT_FALSE(Exists("log"));
}

TEST_F(LifecycleTest, TakenIdsAreRefusedAndTheFirstEntryStays) {
  ASSERT_OK(RunAttached(*store_, Spec("one", {"exit", "0"}), "one", false, {}, nullptr).status());
  EXPECT_THAT(RunAttached(*store_, Spec("one", {"exit", "0"}), "one", false, {}, nullptr),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("one")));
  EXPECT_TRUE(Exists("one"));
}

TEST_F(LifecycleTest, CreateDetachedRecordsACreatedContainerAndDeleteForceRemovesIt) {
  CreateRequest req;
  absl::StatusOr<ContainerState> st =
      CreateDetached(*store_, Spec("oci", {"exit", "0"}), req, nullptr);
  ASSERT_OK(st.status());
  EXPECT_EQ(st->status, ContainerStatus::kCreated);
  EXPECT_GT(st->pid, 0);
  EXPECT_THAT(*Calls(), ElementsAre("create detached"));
  ASSERT_TRUE(Exists("oci"));
  EXPECT_EQ(CurrentStatus(*store_, *store_->Load("oci")), ContainerStatus::kCreated);
  const pid_t pid = st->pid;
  ASSERT_OK(DeleteContainer(*store_, "oci", /*force=*/true, nullptr));
  EXPECT_FALSE(Exists("oci"));
  EXPECT_THAT(*Calls(), ::testing::Contains("remove"));
  // The detached child was ours (the fake forks it): reap it whatever state it is in.
  (void)::kill(pid, SIGKILL);  // may be gone already
  (void)::waitpid(pid, nullptr, 0);
}

}  // namespace
}  // namespace nucleus
