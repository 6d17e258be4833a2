#include "tests/integration/harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

extern char** environ;

namespace nucleus {
namespace testing {
namespace {

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return path;
  return buf;
}

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "E" + std::to_string(err);
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Collects directories (not following symlinks) below root, up to max_depth levels deep,
// whose path relative to root contains `needle` (every directory when needle is empty).
// Also records which of them are empty.
void Walk(const std::string& root, const std::string& rel, int depth, int max_depth,
          const std::string& needle, std::set<std::string>* found,
          std::set<std::string>* empty_dirs) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  bool empty = true;
  std::vector<std::pair<std::string, bool>> entries;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    empty = false;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = lstat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    entries.emplace_back(name, is_dir);
  }
  closedir(d);
  if (empty && empty_dirs != nullptr && !rel.empty()) empty_dirs->insert(root + "/" + rel);
  for (const auto& [name, is_dir] : entries) {
    std::string child_rel = rel.empty() ? name : rel + "/" + name;
    if (!is_dir && !needle.empty()) continue;  // cgroups: directories only
    if (needle.empty() || child_rel.find(needle) != std::string::npos) {
      found->insert(root + "/" + child_rel);
    }
    if (is_dir && depth + 1 < max_depth) {
      Walk(root, child_rel, depth + 1, max_depth, needle, found, empty_dirs);
    }
  }
}

std::string FindTool(const std::vector<std::string>& candidates) {
  for (const std::string& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return candidates.front();
}

// Runs fn in a forked child; returns 0 or the errno the child reported.
template <typename Fn>
int InChild(Fn fn) {
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) _exit(fn());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

}  // namespace

// ---- runfiles ----

std::string Runfile(const std::string& rel) {
  const char* srcdir = getenv("TEST_SRCDIR");
  if (srcdir == nullptr || *srcdir == '\0') srcdir = getenv("RUNFILES_DIR");
  std::string base = srcdir != nullptr ? srcdir : ".";
  return base + "/nucleus/" + rel;
}

std::string NucleusPath() { return Canonical(Runfile("runtime/nucleus")); }
std::string ProbePath() { return Canonical(Runfile("tests/testcases/probe")); }
std::string RootfsTarPath() { return Canonical(Runfile("tests/rootfs.tar")); }

std::string TestTmpDir() {
  const char* tmp = getenv("TEST_TMPDIR");
  return Canonical(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
}

int HostLandlockAbi() {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U /* VERSION */);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

std::string UniqueName(const std::string& prefix) {
  static int counter = 0;
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

std::string MakeHostDir(const std::string& prefix, uid_t owner) {
  std::string dir = TestTmpDir() + "/" + UniqueName(prefix);
  EXPECT_EQ(mkdir(dir.c_str(), 0755), 0) << dir << ": " << strerror(errno);
  if (owner != 0) {
    EXPECT_EQ(chown(dir.c_str(), owner, owner), 0) << dir << ": " << strerror(errno);
  }
  return dir;
}

// ---- key=value output ----

KeyValues ParseKeyValues(const std::string& text) {
  KeyValues kv;
  for (const std::string& line : SplitLines(text)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> parts;
  if (s.empty()) return parts;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    parts.push_back(
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::optional<unsigned long long> ParseHex(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s.c_str(), &end, 16);
  if (errno != 0 || end == nullptr || *end != '\0') return std::nullopt;
  return v;
}

// ---- subprocesses ----

std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  os << "\n$";
  for (const std::string& a : r.argv) os << " " << a;
  os << "\n";
  if (r.timed_out) os << "TIMED OUT (killed)\n";
  if (r.exit_code >= 0) {
    os << "exit code " << r.exit_code << "\n";
  } else {
    os << "killed by signal " << r.term_signal << "\n";
  }
  if (r.pipes_held_open) os << "stdout/stderr held open after exit (leaked process?)\n";
  os << "--- stdout ---\n" << r.out << (r.out.empty() || r.out.back() == '\n' ? "" : "\n");
  os << "--- stderr ---\n" << r.err << (r.err.empty() || r.err.back() == '\n' ? "" : "\n");
  return os;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    ReapIfExited(/*block=*/true);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

std::vector<std::string> ChildEnvironment(const RunOptions& options) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string var = *e;
    std::string key = var.substr(0, var.find('='));
    bool drop = false;
    for (const std::string& u : options.unset_env) drop |= (u == key);
    for (const std::string& s : options.set_env) drop |= (s.substr(0, s.find('=')) == key);
    if (!drop) env.push_back(var);
  }
  for (const std::string& s : options.set_env) env.push_back(s);
  return env;
}

std::vector<std::string> WithTestProgramBound(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] != NucleusPath()) return argv;
  size_t run = 1;
  while (run < argv.size() && argv[run] != "run") ++run;
  if (run == argv.size()) return argv;
  size_t i = run + 1;
  for (; i < argv.size() && argv[i] != "--"; ++i) {
    if (argv[i] == "--rootfs" || argv[i] == "--host-root") return argv;
  }
  if (i + 1 >= argv.size()) return argv;
  const std::string& cmd = argv[i + 1];
  if (cmd.empty() || cmd[0] != '/' || access(cmd.c_str(), F_OK) != 0) return argv;
  for (const char* in_default_root : {"/usr/", "/bin/", "/sbin/", "/lib", "/etc/"}) {
    if (cmd.rfind(in_default_root, 0) == 0) return argv;
  }
  std::string dir = cmd.substr(0, cmd.rfind('/'));
  if (dir.empty()) return argv;
  std::vector<std::string> out(argv.begin(), argv.begin() + run + 1);
  out.push_back("--ro");
  out.push_back(dir);
  out.insert(out.end(), argv.begin() + run + 1, argv.end());
  return out;
}

bool Subprocess::Start(const std::vector<std::string>& argv_in, const RunOptions& options,
                       std::string* error) {
  const std::vector<std::string> argv = WithTestProgramBound(argv_in);
  argv_ = argv;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
    *error = "pipe2: " + ErrnoName(errno);
    return false;
  }

  // Everything the child needs is prepared before fork: the child only calls async-signal-
  // safe functions.
  std::vector<std::string> env_strings = ChildEnvironment(options);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  std::vector<char*> argvp;
  for (std::string& s : argv_copy) argvp.push_back(s.data());
  argvp.push_back(nullptr);
  std::vector<gid_t> groups;
  if (options.supplementary_groups) groups = *options.supplementary_groups;
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

  pid_t pid = fork();
  if (pid < 0) {
    *error = "fork: " + ErrnoName(errno);
    return false;
  }
  if (pid == 0) {
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    if (options.supplementary_groups && setgroups(groups.size(), groups.data()) < 0) {
      static const char kMsg[] = "harness: setgroups failed\n";
      (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
      _exit(124);
    }
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
    execve(argvp[0], argvp.data(), envp.data());
    static const char kMsg[] = "harness: execve failed\n";
    (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    _exit(124);
  }
  if (devnull >= 0) close(devnull);
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  fcntl(err_fd_, F_SETFL, O_NONBLOCK);
  pid_ = pid;
  return true;
}

bool Subprocess::Pump(int timeout_ms) {
  struct pollfd fds[2];
  int n = 0;
  if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
  if (n == 0) return false;
  if (poll(fds, n, timeout_ms) < 0 && errno != EINTR) return true;
  for (int i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    int* fd = fds[i].fd == out_fd_ ? &out_fd_ : &err_fd_;
    std::string* buf = fd == &out_fd_ ? &out_ : &err_;
    char chunk[8192];
    while (true) {
      ssize_t r = read(*fd, chunk, sizeof(chunk));
      if (r > 0) {
        buf->append(chunk, r);
        continue;
      }
      if (r < 0 && (errno == EINTR)) continue;
      if (r < 0 && errno == EAGAIN) break;
      close(*fd);  // EOF or error
      *fd = -1;
      break;
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

void Subprocess::ReapIfExited(bool block) {
  if (pid_ <= 0 || exited_) return;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exited_ = true;
    wstatus_ = status;
  }
}

bool Subprocess::WaitForStdout(const std::string& needle, double timeout_s) {
  double deadline = Now() + timeout_s;
  while (out_.find(needle) == std::string::npos && Now() < deadline) {
    if (!Pump(50)) break;  // both pipes closed: nothing more will come
  }
  return out_.find(needle) != std::string::npos;
}

RunResult Subprocess::Finish(double timeout_s) {
  RunResult result;
  result.argv = argv_;
  double deadline = Now() + timeout_s;
  double exited_at = -1;
  while (true) {
    ReapIfExited(false);
    bool open = out_fd_ >= 0 || err_fd_ >= 0;
    if (exited_ && !open) break;
    if (exited_) {
      if (exited_at < 0) exited_at = Now();
      if (Now() - exited_at > 2.0) {
        // Some other process still holds the pipes: stop reading, report it.
        result.pipes_held_open = true;
        if (out_fd_ >= 0) close(out_fd_);
        if (err_fd_ >= 0) close(err_fd_);
        out_fd_ = err_fd_ = -1;
        break;
      }
    } else if (Now() > deadline) {
      result.timed_out = true;
      kill(pid_, SIGKILL);
      ReapIfExited(true);
      continue;
    }
    if (open) {
      Pump(50);
    } else {
      usleep(10000);
    }
  }
  if (WIFEXITED(wstatus_)) {
    result.exit_code = WEXITSTATUS(wstatus_);
  } else if (WIFSIGNALED(wstatus_)) {
    result.term_signal = WTERMSIG(wstatus_);
  }
  result.out = out_;
  result.err = err_;
  return result;
}

RunResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  Subprocess p;
  std::string error;
  if (!p.Start(argv, options, &error)) {
    RunResult r;
    r.argv = argv;
    r.err = "harness: cannot start: " + error;
    return r;
  }
  return p.Finish(options.timeout_s);
}

RunResult RunNucleus(const std::vector<std::string>& run_args, const RunOptions& options) {
  std::vector<std::string> argv = {NucleusPath(), "run"};
  argv.insert(argv.end(), run_args.begin(), run_args.end());
  return RunCommand(argv, options);
}

RunResult Nucleus(std::vector<std::string> args, const RunOptions& options) {
  args.insert(args.begin(), NucleusPath());
  return RunCommand(args, options);
}

nlohmann::json InspectContainer(const std::string& ref) {
  RunResult r = Nucleus({"inspect", ref});
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_array() && !j.empty() ? j[0] : nlohmann::json();
}

std::string GvisorSkipReason() {
  RunResult r = Nucleus({"check"});
  for (const std::string& line : SplitLines(r.out)) {
    if (line.rfind("backend.gvisor", 0) == 0) {
      return line.find(" ok ") != std::string::npos ? "" : line;
    }
  }
  return "`nucleus check` reports no backend.gvisor line";
}

// ---- host state ----

HostSnapshot HostSnapshot::Take() {
  HostSnapshot s;
  if (std::optional<std::string> mi = ReadFile("/proc/self/mountinfo")) {
    for (const std::string& line : SplitLines(*mi)) s.mounts.insert(line);
  }
  Walk("/sys/fs/cgroup", "", 0, 4, "nucleus", &s.cgroups, nullptr);
  Walk("/run/nucleus", "", 0, 4, "", &s.run_state, &s.empty_dirs);
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  s.hostname = host;
  return s;
}

std::string DescribeLeftovers(const HostSnapshot& before, const HostSnapshot& after) {
  std::ostringstream out;
  for (const std::string& m : after.mounts) {
    if (!before.mounts.count(m)) out << "host mount added: " << m << "\n";
  }
  for (const std::string& m : before.mounts) {
    if (!after.mounts.count(m)) out << "host mount removed or changed: " << m << "\n";
  }
  for (const std::string& c : after.cgroups) {
    if (before.cgroups.count(c)) continue;
    std::string base = Basename(c);
    if (base == "nucleus" || base == "nucleus.slice") continue;  // the shared parent
    out << "cgroup left behind: " << c << "\n";
  }
  for (const std::string& e : after.run_state) {
    if (before.run_state.count(e) || after.empty_dirs.count(e)) continue;
    out << "state left behind: " << e << "\n";
  }
  if (before.hostname != after.hostname) {
    out << "host hostname changed: '" << before.hostname << "' -> '" << after.hostname << "'\n";
  }
  return out.str();
}

std::vector<std::string> ChildProcesses() {
  std::vector<std::string> children;
  pid_t self = getpid();
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (struct dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::optional<std::string> stat = ReadFile(std::string("/proc/") + e->d_name + "/stat");
    if (!stat) continue;
    size_t paren = stat->rfind(')');
    size_t open_paren = stat->find('(');
    if (paren == std::string::npos || open_paren == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (sscanf(stat->c_str() + paren + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid != self) continue;
    // Threads of this process are not in /proc's top level, so every hit is a real child.
    children.push_back(std::string(e->d_name) + " " +
                       stat->substr(open_paren + 1, paren - open_paren - 1) + " " + state);
  }
  closedir(proc);
  return children;
}

void KillAndReapChildren() {
  for (const std::string& line : ChildProcesses()) {
    pid_t pid = atoi(line.c_str());
    if (pid <= 1) continue;
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

// ---- environment checks ----

const std::string& ContainerSkipReason() {
  static const std::string* reason = [] {
    if (geteuid() != 0) {
      return new std::string(
          "integration tests need root: nucleus creates namespaces, "
          "mounts and cgroups (euid=" +
          std::to_string(geteuid()) + ")");
    }
    int err = InChild([] {
      return unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) < 0
                 ? errno
                 : 0;
    });
    if (err != 0) {
      return new std::string("unshare(mount|pid|uts|ipc|net) fails here (" + ErrnoName(err) +
                             "): no namespaces for containers (a restricted sandbox?)");
    }
    err = InChild([] { return unshare(CLONE_NEWUSER) < 0 ? errno : 0; });
    if (err != 0) {
      return new std::string("unshare(CLONE_NEWUSER) fails here (" + ErrnoName(err) +
                             "): user namespaces are unavailable");
    }
    return new std::string();
  }();
  return *reason;
}

std::string UnpackRootfs(const std::string& name) {
  std::string dir = TestTmpDir() + "/" + name;
  RunResult rm = RunCommand({FindTool({"/bin/rm", "/usr/bin/rm"}), "-rf", dir});
  EXPECT_EQ(rm.exit_code, 0) << rm;
  if (mkdir(dir.c_str(), 0755) < 0) {
    ADD_FAILURE() << "mkdir " << dir << ": " << ErrnoName(errno);
    return dir;
  }
  RunResult tar =
      RunCommand({FindTool({"/bin/tar", "/usr/bin/tar"}), "--extract", "--same-permissions",
                  "--numeric-owner", "--file", RootfsTarPath(), "--directory", dir});
  EXPECT_EQ(tar.exit_code, 0) << tar;
  return dir;
}

void WriteFile(const std::string& path, const std::string& content) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    RunResult mk =
        RunCommand({FindTool({"/bin/mkdir", "/usr/bin/mkdir"}), "-p", path.substr(0, slash)});
    ASSERT_EQ(mk.exit_code, 0) << mk;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(f.good()) << "cannot write " << path;
  f << content;
  f.close();
  ASSERT_TRUE(f.good()) << "cannot write " << path;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f.is_open()) return std::nullopt;
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

long ReadNumber(const std::string& path) {
  std::optional<std::string> s = ReadFile(path);
  if (!s || s->empty()) return -1;
  char* end = nullptr;
  long v = strtol(s->c_str(), &end, 10);
  return end == s->c_str() ? -1 : v;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// ---- fixture ----

void ContainerTest::SetUpTestSuite() {
  // Leaked descendants (a container init that outlives nucleus, say) are reparented to us
  // instead of the host's PID 1, so ChildProcesses() sees them.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void ContainerTest::SetUp() {
  const std::string& reason = ContainerSkipReason();
  if (!reason.empty()) GTEST_SKIP() << reason;
  ASSERT_EQ(access(NucleusPath().c_str(), X_OK), 0) << "nucleus binary missing: " << NucleusPath();
  ASSERT_EQ(access(ProbePath().c_str(), X_OK), 0) << "probe missing: " << ProbePath();
  std::vector<std::string> children = ChildProcesses();
  if (!children.empty()) KillAndReapChildren();  // reported by the test that leaked them
  before_ = HostSnapshot::Take();
  checking_ = true;
}

void ContainerTest::TearDown() {
  if (!checking_) return;
  HostSnapshot after = HostSnapshot::Take();
  std::string leftovers = DescribeLeftovers(before_, after);
  std::vector<std::string> children = ChildProcesses();
  for (const std::string& c : children)
    leftovers += "process left behind (pid comm state): " + c + "\n";
  EXPECT_EQ(leftovers, "") << "the test's containers left things behind on the host";
  if (!children.empty()) KillAndReapChildren();
}

void ReapChildren(double timeout_s) {
  for (double waited = 0;; waited += 0.05) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD) return;
    if (waited >= timeout_s) return;
    usleep(50 * 1000);
  }
}

}  // namespace testing
}  // namespace nucleus
