#include "tests/oci/oci_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>

extern char** environ;

namespace nucleus {
namespace testing {
namespace {

std::map<pid_t, int>& Reaped() {
  static auto* reaped = new std::map<pid_t, int>();
  return *reaped;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// /proc/PID/stat fields after the command: state, ppid.
bool ReadStat(pid_t pid, char* state, pid_t* ppid) {
  std::optional<std::string> stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  size_t paren = stat->rfind(')');
  if (paren == std::string::npos) return false;
  int parent = 0;
  if (sscanf(stat->c_str() + paren + 1, " %c %d", state, &parent) != 2) return false;
  *ppid = parent;
  return true;
}

}  // namespace

double MonotonicNow() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

std::set<pid_t>& Protected() {
  static auto* pids = new std::set<pid_t>();
  return *pids;
}

void Protect(pid_t pid) { Protected().insert(pid); }
void Unprotect(pid_t pid) { Protected().erase(pid); }

int ReapZombies() {
  int n = 0;
  for (const std::string& line : ChildProcesses()) {
    pid_t pid = atoi(line.c_str());
    if (pid <= 0 || Protected().count(pid)) continue;
    if (line.empty() || line.back() != 'Z') continue;
    int status = 0;
    pid_t r;
    do {
      r = waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid) {
      Reaped()[pid] = status;
      ++n;
    }
  }
  return n;
}

std::optional<int> ReapedStatus(pid_t pid) {
  auto it = Reaped().find(pid);
  if (it == Reaped().end()) return std::nullopt;
  return it->second;
}

std::optional<int> WaitReaped(pid_t pid, double timeout_s) {
  double deadline = MonotonicNow() + timeout_s;
  while (true) {
    if (std::optional<int> s = ReapedStatus(pid)) return s;
    if (ProcState(pid) == 'Z') {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        Reaped()[pid] = status;
        return status;
      }
    }
    ReapZombies();
    if (MonotonicNow() > deadline) return std::nullopt;
    usleep(10000);
  }
}

RunResult RunReaping(const std::vector<std::string>& argv, const RunOptions& options) {
  RunResult result;
  result.argv = argv;
  // stdout and stderr go to files, not pipes: a created container inherits `create`'s stdio
  // (as with runc), so pipes would stay open for the container's whole life.
  static int counter = 0;
  std::string base =
      TestTmpDir() + "/oci-io-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  std::string out_path = base + ".out", err_path = base + ".err";
  int out_fd = open(out_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = open(err_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out_fd < 0 || err_fd < 0 || null_fd < 0) {
    result.err = "harness: cannot open " + base + ".*: " + strerror(errno);
    return result;
  }
  std::vector<std::string> env_strings = ChildEnvironment(options);
  std::vector<char*> envp;
  for (std::string& v : env_strings) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  std::vector<char*> argvp;
  for (std::string& a : argv_copy) argvp.push_back(a.data());
  argvp.push_back(nullptr);

  pid_t pid = fork();
  if (pid == 0) {
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
    execve(argvp[0], argvp.data(), envp.data());
    static const char kMsg[] = "harness: execve failed\n";
    (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    _exit(124);
  }
  close(null_fd);
  if (pid < 0) {
    result.err = std::string("harness: fork: ") + strerror(errno);
  } else {
    Protect(pid);
    double deadline = MonotonicNow() + options.timeout_s;
    int status = 0;
    while (true) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) break;
      if (!result.timed_out && MonotonicNow() > deadline) {
        result.timed_out = true;
        kill(pid, SIGKILL);
      }
      ReapZombies();
      usleep(5000);
    }
    Unprotect(pid);
    if (WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result.term_signal = WTERMSIG(status);
    }
  }
  result.out = ReadFile(out_path).value_or("");
  result.err += ReadFile(err_path).value_or("");
  close(out_fd);
  close(err_fd);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return result;
}

bool WaitUntil(const std::function<bool()>& cond, double timeout_s) {
  double deadline = MonotonicNow() + timeout_s;
  while (true) {
    if (cond()) return true;
    if (MonotonicNow() > deadline) return false;
    ReapZombies();
    usleep(20000);
  }
}

char ProcState(pid_t pid) {
  char state = 0;
  pid_t ppid = 0;
  return ReadStat(pid, &state, &ppid) ? state : 0;
}

pid_t ProcParent(pid_t pid) {
  char state = 0;
  pid_t ppid = 0;
  return ReadStat(pid, &state, &ppid) ? ppid : 0;
}

bool ProcAlive(pid_t pid) {
  char s = ProcState(pid);
  return s != 0 && s != 'Z' && s != 'X';
}

std::vector<std::string> CgroupDirs(const std::string& parent, const std::string& name) {
  std::vector<std::string> dirs;
  for (const std::string& pattern :
       {"/sys/fs/cgroup/*/" + parent + "/" + name, "/sys/fs/cgroup/" + parent + "/" + name}) {
    glob_t g;
    if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        if (IsDir(g.gl_pathv[i])) dirs.push_back(g.gl_pathv[i]);
      }
    }
    globfree(&g);
  }
  return dirs;
}

bool CgroupsAvailable() {
  if (PathExists("/sys/fs/cgroup/cgroup.controllers")) return true;
  for (const char* c : {"memory", "pids", "cpu", "devices", "freezer", "unified"}) {
    if (IsDir(std::string("/sys/fs/cgroup/") + c)) return true;
  }
  return false;
}

bool HostHasController(const std::string& controller) {
  if (IsDir("/sys/fs/cgroup/" + controller)) return true;  // v1
  std::string path = PathExists("/sys/fs/cgroup/unified/cgroup.controllers")
                         ? "/sys/fs/cgroup/unified/cgroup.controllers"
                         : "/sys/fs/cgroup/cgroup.controllers";
  for (const std::string& line : SplitLines(ReadFile(path).value_or(""))) {
    size_t start = 0;
    while (start <= line.size()) {
      size_t end = line.find(' ', start);
      if (end == std::string::npos) end = line.size();
      if (line.substr(start, end - start) == controller) return true;
      start = end + 1;
    }
  }
  return false;
}

bool CgroupExistsOrNoCgroups(const std::string& parent, const std::string& name) {
  return !CgroupsAvailable() || !CgroupDirs(parent, name).empty();
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> entries;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return entries;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") entries.push_back(name);
  }
  closedir(d);
  return entries;
}

Json DefaultConfig(const std::string& rootfs, const std::vector<std::string>& args) {
  Json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  Json config = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env",
         {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities",
         {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", rootfs}, {"readonly", true}}},
      {"hostname", "oci-box"},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"},
         {"type", "devpts"},
         {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"},
         {"type", "sysfs"},
         {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/tmp"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "nodev", "mode=1777", "size=16m"}}}}},
      {"linux",
       {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
        {"namespaces",
         {{{"type", "pid"}},
          {{"type", "network"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
          "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
  };
  return config;
}

void Bundle::Write() const { WriteFile(dir + "/config.json", config.dump(2)); }

// ---- fixture ----

void OciTest::SetUp() {
  ContainerTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  active_ = true;
  // One unpacked rootfs per test binary, shared read-only by the tests' bundles (configs
  // mount it read-only; /out is the mount point for the tests' bind-mounted host dirs).
  static const std::string* rootfs = [] {
    std::string dir = UnpackRootfs("oci-rootfs");
    mkdir((dir + "/out").c_str(), 0755);
    return new std::string(dir);
  }();
  rootfs_ = *rootfs;
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = TestTmpDir() + "/" + info->test_suite_name() + "." + info->name();
  RunResult rm = RunCommand({"/bin/rm", "-rf", dir_});
  ASSERT_EQ(rm.exit_code, 0) << rm;
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0) << dir_ << ": " << strerror(errno);
  root_ = dir_ + "/state";
  ASSERT_EQ(mkdir(root_.c_str(), 0700), 0) << root_ << ": " << strerror(errno);
}

void OciTest::TearDown() {
  if (active_) {
    std::vector<std::string> left = RootEntries();
    if (!left.empty()) {
      std::string names;
      for (const std::string& e : left) names += " " + e;
      ADD_FAILURE() << "the test left entries in its state root " << root_ << ":" << names;
      for (const std::string& e : left) {
        RunResult r = Oci({"delete", "--force", e});
        if (r.exit_code != 0) ADD_FAILURE() << "cleanup failed:" << r;
      }
    }
    // Until no child of ours is left: a `run -d --rm` monitor removes its entry a moment
    // before it exits, so "no zombie right now" is not yet "nothing left".
    WaitUntil(
        [] {
          ReapZombies();
          for (const std::string& line : ChildProcesses()) {
            if (!Protected().count(atoi(line.c_str()))) return false;
          }
          return true;
        },
        2);
  }
  ContainerTest::TearDown();
}

std::vector<std::string> OciTest::OciArgv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {NucleusPath(), "--root", root_};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

RunResult OciTest::Oci(const std::vector<std::string>& args, const RunOptions& options) {
  return RunReaping(OciArgv(args), options);
}

std::string OciTest::Id(const std::string& prefix) const {
  return prefix + "-" + std::to_string(getpid());
}

std::string OciTest::MakeDir(const std::string& name) const {
  std::string d = dir_ + "/" + name;
  EXPECT_EQ(mkdir(d.c_str(), 0755), 0) << d << ": " << strerror(errno);
  return d;
}

Bundle OciTest::MakeBundle(const std::vector<std::string>& args, const std::string& name) {
  Bundle b;
  b.dir = MakeDir(name);
  b.config = DefaultConfig(rootfs_, args);
  b.Write();
  return b;
}

Json OciTest::StateOf(const std::string& id) {
  RunResult r = Oci({"state", id});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "state failed:" << r;
    return Json();
  }
  Json j = Json::parse(r.out, nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "state printed no JSON:" << r;
    return Json();
  }
  return j;
}

std::string OciTest::StatusOf(const std::string& id) {
  RunResult r = Oci({"state", id});
  if (r.exit_code != 0) return "";
  Json j = Json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("status") || !j["status"].is_string()) {
    return "";
  }
  return j["status"].get<std::string>();
}

bool OciTest::WaitForStatus(const std::string& id, const std::string& status, double timeout_s) {
  return WaitUntil([&] { return StatusOf(id) == status; }, timeout_s);
}

}  // namespace testing
}  // namespace nucleus
