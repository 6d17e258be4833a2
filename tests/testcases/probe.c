// probe: a static test program put into containers to report what it sees.
//
// Every subcommand prints `key=value` lines on stdout (one fact a line, values never contain
// a newline) so the integration tests can parse them. Errors are reported as values, never
// as a crash: an errno becomes its name ("EROFS"), a missing file "missing".
//
//   probe facts               identity, capabilities, namespaces, filesystem and network view
//   probe env                 the environment, one VAR=VALUE a line
//   probe exit N              exit with status N
//   probe kill-self SIG       raise SIG (number or name) with the default disposition
//   probe sleep SECS          sleep (fractions allowed)
//   probe orphans N           make N orphaned zombies for PID 1 to reap; print zombies=K
//   probe wait-signal         print "ready", wait for a signal, print got=SIGNAME, exit 100+sig
//   probe write PATH [BYTES]  create PATH and write BYTES (default 6) bytes: write=ok|ERRNO
//   probe read PATH           read=ok|ERRNO, data=<first line>
//   probe loopback            TCP connect over 127.0.0.1: loopback=ok|fail:STEP:ERRNO
//   probe tcp-bind PORT       bind 127.0.0.1:PORT: tcp_bind=ok|ERRNO
//   probe serve PORT DELAY_MS sleep DELAY_MS, then accept (and close) connections on
//                             127.0.0.1:PORT forever, printing "listening" once
//   probe tcp-connect PORT    connect 127.0.0.1:PORT (nothing listens): tcp_connect=ERRNO
//                             (ECONNREFUSED: the connect was allowed to reach the stack)
//   probe unix-connect PATH   connect to the pathname unix socket PATH: connect=ok|ERRNO
//   probe signal-scope        Landlock signal scoping from inside: kill_init=ok|ERRNO (the
//                             init shares our domain), kill_sibling=ok|ERRNO, and from a
//                             child in a nested domain with LANDLOCK_SCOPE_SIGNAL:
//                             nested_kill_outer=ok|ERRNO, nested_kill_self=ok|ERRNO
//
// Plain C, no dependencies, linked statically: it must run in a rootfs with nothing in it.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

extern char** environ;

static const char* errname(int err) {
  const char* name = strerrorname_np(err);
  if (name != NULL) return name;
  static char buf[32];
  snprintf(buf, sizeof(buf), "E%d", err);
  return buf;
}

static int is_numeric(const char* s) {
  if (*s == '\0') return 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return 0;
  }
  return 1;
}

// Reads up to size-1 bytes of a small file; returns -errno on failure.
static ssize_t read_small_file(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t total = 0;
  while (total + 1 < size) {
    ssize_t n = read(fd, buf + total, size - 1 - total);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    total += (size_t)n;
  }
  buf[total] = '\0';
  close(fd);
  return (ssize_t)total;
}

static void chomp(char* s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
}

// Prints selected "Key:\tvalue" lines of /proc/self/status as key=value.
static void print_status_fields(void) {
  static const char* const kKeys[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
                                      "NoNewPrivs", "Seccomp", "Seccomp_filters"};
  const size_t nkeys = sizeof(kKeys) / sizeof(kKeys[0]);
  int found[sizeof(kKeys) / sizeof(kKeys[0])] = {0};
  FILE* f = fopen("/proc/self/status", "re");
  if (f != NULL) {
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
      char* colon = strchr(line, ':');
      if (colon == NULL) continue;
      *colon = '\0';
      for (size_t i = 0; i < nkeys; ++i) {
        if (strcmp(line, kKeys[i]) == 0) {
          char* value = colon + 1;
          while (*value == ' ' || *value == '\t') ++value;
          chomp(value);
          printf("%s=%s\n", kKeys[i], value);
          found[i] = 1;
        }
      }
    }
    fclose(f);
  }
  for (size_t i = 0; i < nkeys; ++i) {
    if (!found[i]) printf("%s=missing\n", kKeys[i]);
  }
}

// "yes", or "no" plus KEY_err=ERRNO: can a file be created in dir?
static void print_dir_writable(const char* key, const char* dir) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/.probe-write-test-%d", strcmp(dir, "/") == 0 ? "" : dir,
           (int)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    unlink(path);
    printf("%s=yes\n", key);
  } else {
    printf("%s=no\n%s_err=%s\n", key, key, errname(errno));
  }
}

// Can path be opened for writing? Opens only: nothing is ever written.
static void print_open_writable(const char* key, const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    printf("%s=yes\n", key);
  } else {
    printf("%s=no\n%s_err=%s\n", key, key, errname(errno));
  }
}

static int cmp_str(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

// key=comma-separated sorted names in dir (without . and ..), or key=missing:ERRNO.
static void print_dir_list(const char* key, const char* dir) {
  DIR* d = opendir(dir);
  if (d == NULL) {
    printf("%s=missing:%s\n", key, errname(errno));
    return;
  }
  char* names[1024];
  size_t n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL && n < 1024) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof(names[0]), cmp_str);
  printf("%s=", key);
  for (size_t i = 0; i < n; ++i) {
    printf("%s%s", i ? "," : "", names[i]);
    free(names[i]);
  }
  printf("\n");
}

static void print_netdevs(void) {
  FILE* f = fopen("/proc/net/dev", "re");
  if (f == NULL) {
    printf("netdevs=missing:%s\n", errname(errno));
    return;
  }
  char line[512];
  int first = 1;
  printf("netdevs=");
  while (fgets(line, sizeof(line), f) != NULL) {
    char* colon = strchr(line, ':');
    if (colon == NULL) continue;  // the two header lines have '|', not ':'
    *colon = '\0';
    char* name = line;
    while (*name == ' ') ++name;
    printf("%s%s", first ? "" : ",", name);
    first = 0;
  }
  printf("\n");
  fclose(f);
}

static void print_lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    printf("lo_up=unknown:%s\n", errname(errno));
    return;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
    printf("lo_up=unknown:%s\n", errname(errno));
  } else {
    printf("lo_up=%s\n", (ifr.ifr_flags & IFF_UP) ? "yes" : "no");
  }
  close(s);
}

static int count_lines(const char* path) {
  FILE* f = fopen(path, "re");
  if (f == NULL) return -1;
  int n = 0;
  int c, last = '\n';
  while ((c = fgetc(f)) != EOF) {
    if (c == '\n') ++n;
    last = c;
  }
  if (last != '\n') ++n;
  fclose(f);
  return n;
}

static int cmd_facts(void) {
  printf("pid=%d\n", (int)getpid());
  printf("ppid=%d\n", (int)getppid());
  printf("uid=%d\neuid=%d\ngid=%d\negid=%d\n", (int)getuid(), (int)geteuid(), (int)getgid(),
         (int)getegid());
  gid_t groups[256];
  int ngroups = getgroups(256, groups);
  printf("groups=");
  for (int i = 0; i < ngroups; ++i) printf("%s%d", i ? "," : "", (int)groups[i]);
  printf("\n");
  print_status_fields();

  struct utsname uts;
  if (uname(&uts) == 0) printf("hostname=%s\n", uts.nodename);

  int nprocs = 0;
  DIR* proc = opendir("/proc");
  if (proc != NULL) {
    struct dirent* e;
    while ((e = readdir(proc)) != NULL) {
      if (is_numeric(e->d_name)) ++nprocs;
    }
    closedir(proc);
    printf("nprocs_visible=%d\n", nprocs);
  } else {
    printf("nprocs_visible=missing:%s\n", errname(errno));
  }

  char buf[4096];
  ssize_t n = read_small_file("/proc/1/comm", buf, sizeof(buf));
  if (n >= 0) {
    chomp(buf);
    printf("pid1_comm=%s\n", buf);
  } else {
    printf("pid1_comm=missing:%s\n", errname((int)-n));
  }
  n = read_small_file("/proc/self/comm", buf, sizeof(buf));
  if (n >= 0) {
    chomp(buf);
    printf("comm=%s\n", buf);
  }

  if (getcwd(buf, sizeof(buf)) != NULL) {
    printf("cwd=%s\n", buf);
  } else {
    printf("cwd=missing:%s\n", errname(errno));
  }

  print_dir_writable("root_writable", "/");
  print_dir_writable("tmp_writable", "/tmp");

  int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("kcore_readable=no\nkcore_readable_err=%s\n", errname(errno));
  } else {
    char byte;
    ssize_t r = read(fd, &byte, 1);
    if (r == 1) {
      printf("kcore_readable=yes\n");
    } else {
      printf("kcore_readable=no\nkcore_readable_err=%s\n", r == 0 ? "EOF" : errname(errno));
    }
    close(fd);
  }
  struct stat st;
  if (stat("/proc/kcore", &st) == 0) {
    printf("kcore_size=%lld\n", (long long)st.st_size);
  } else {
    printf("kcore_size=missing\n");
  }

  print_open_writable("proc_sys_writable", "/proc/sys/kernel/hostname");
  print_open_writable("sysrq_writable", "/proc/sysrq-trigger");

  printf("env_LD_PRELOAD=%s\n", getenv("LD_PRELOAD") != NULL ? "present" : "absent");
  int env_count = 0;
  for (char** e = environ; *e != NULL; ++e) ++env_count;
  printf("env_count=%d\n", env_count);

  print_dir_list("dev", "/dev");
  print_netdevs();
  print_lo_up();
  int mounts = count_lines("/proc/self/mountinfo");
  if (mounts >= 0) {
    printf("mountinfo_count=%d\n", mounts);
  } else {
    printf("mountinfo_count=missing\n");
  }
  return 0;
}

static int cmd_env(void) {
  for (char** e = environ; *e != NULL; ++e) printf("%s\n", *e);
  return 0;
}

static int parse_signal(const char* s) {
  if (is_numeric(s)) return atoi(s);
  if (strncmp(s, "SIG", 3) == 0) s += 3;
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != NULL && strcmp(abbrev, s) == 0) return sig;
  }
  return -1;
}

static int cmd_kill_self(const char* arg) {
  int sig = parse_signal(arg);
  if (sig <= 0 || sig >= NSIG) {
    fprintf(stderr, "probe: bad signal '%s'\n", arg);
    return 2;
  }
  fflush(stdout);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  // As PID 1 of a namespace (--no-init) the kernel drops signals without a handler.
  printf("survived=%d\n", sig);
  return 99;
}

static void sleep_seconds(double secs) {
  struct timespec ts;
  ts.tv_sec = (time_t)secs;
  ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int count_zombies(void) {
  int zombies = 0;
  DIR* proc = opendir("/proc");
  if (proc == NULL) return -1;
  struct dirent* e;
  while ((e = readdir(proc)) != NULL) {
    if (!is_numeric(e->d_name)) continue;
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
    if (read_small_file(path, buf, sizeof(buf)) <= 0) continue;
    char* paren = strrchr(buf, ')');
    if (paren != NULL && paren[1] == ' ' && paren[2] == 'Z') ++zombies;
  }
  closedir(proc);
  return zombies;
}

static int cmd_orphans(const char* arg) {
  int n = atoi(arg);
  for (int i = 0; i < n; ++i) {
    pid_t child = fork();
    if (child < 0) {
      printf("fork=%s\n", errname(errno));
      return 1;
    }
    if (child == 0) {
      pid_t grandchild = fork();
      if (grandchild == 0) {
        // Outlive the parent briefly so the reparenting to PID 1 happens first.
        sleep_seconds(0.05);
        _exit(0);
      }
      _exit(0);
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }
  sleep_seconds(0.3);
  int zombies = count_zombies();
  printf("zombies_after_300ms=%d\n", zombies);
  for (int waited = 0; zombies > 0 && waited < 20; ++waited) {
    sleep_seconds(0.1);
    zombies = count_zombies();
  }
  printf("zombies=%d\n", zombies);
  return 0;
}

static volatile sig_atomic_t g_got_signal = 0;
static void on_signal(int sig) { g_got_signal = sig; }

static int cmd_wait_signal(void) {
  static const int kSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  sigset_t block, old;
  sigemptyset(&block);
  for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(kSignals[i], &sa, NULL);
    sigaddset(&block, kSignals[i]);
  }
  // Block first, then wait with sigsuspend: a signal arriving right after "ready" is not lost.
  sigprocmask(SIG_BLOCK, &block, &old);
  sigset_t wait_mask = old;
  for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i) {
    sigdelset(&wait_mask, kSignals[i]);
  }
  printf("ready\n");
  fflush(stdout);
  while (g_got_signal == 0) sigsuspend(&wait_mask);
  const char* abbrev = sigabbrev_np(g_got_signal);
  printf("got=SIG%s\n", abbrev != NULL ? abbrev : "UNKNOWN");
  fflush(stdout);
  return 100 + g_got_signal;
}

// connect(2) to the pathname unix socket PATH: "connect=ok" or "connect=ERRNO".
static int cmd_unix_connect(const char* path) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(addr.sun_path)) {
    printf("connect=ENAMETOOLONG\n");
    return 1;
  }
  strcpy(addr.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    printf("connect=socket:%s\n", errname(errno));
    return 1;
  }
  int rc = connect(s, (struct sockaddr*)&addr, sizeof(addr));
  printf("connect=%s\n", rc == 0 ? "ok" : errname(errno));
  close(s);
  return rc == 0 ? 0 : 1;
}

static int cmd_write(const char* path, const char* bytes_arg) {
  long long want = bytes_arg != NULL ? atoll(bytes_arg) : 6;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    printf("write=%s\n", errname(errno));
    return 1;
  }
  char chunk[65536];
  memset(chunk, 'x', sizeof(chunk));
  if (bytes_arg == NULL) memcpy(chunk, "probe\n", 6);
  long long written = 0;
  int err = 0;
  while (written < want) {
    size_t len = (size_t)(want - written < (long long)sizeof(chunk) ? want - written
                                                                     : (long long)sizeof(chunk));
    ssize_t n = write(fd, chunk, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    written += n;
  }
  if (err == 0 && fsync(fd) < 0 && errno != EINVAL && errno != EROFS) err = errno;
  if (close(fd) < 0 && err == 0) err = errno;
  printf("written=%lld\n", written);
  printf("write=%s\n", err == 0 ? "ok" : errname(err));
  return err == 0 ? 0 : 1;
}

static int cmd_read(const char* path) {
  char buf[4096];
  ssize_t n = read_small_file(path, buf, sizeof(buf));
  if (n < 0) {
    printf("read=%s\n", errname((int)-n));
    return 1;
  }
  char* nl = strchr(buf, '\n');
  if (nl != NULL) *nl = '\0';
  printf("read=ok\ndata=%s\n", buf);
  return 0;
}

static int loopback_fail(const char* step) {
  printf("loopback=fail:%s:%s\n", step, errname(errno));
  return 1;
}

static int cmd_loopback(void) {
  int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server < 0) return loopback_fail("socket");
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(server, (struct sockaddr*)&addr, sizeof(addr)) < 0) return loopback_fail("bind");
  if (listen(server, 1) < 0) return loopback_fail("listen");
  socklen_t len = sizeof(addr);
  if (getsockname(server, (struct sockaddr*)&addr, &len) < 0) return loopback_fail("getsockname");
  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client < 0) return loopback_fail("socket");
  if (connect(client, (struct sockaddr*)&addr, sizeof(addr)) < 0) return loopback_fail("connect");
  int conn = accept(server, NULL, NULL);
  if (conn < 0) return loopback_fail("accept");
  if (write(client, "ping", 4) != 4) return loopback_fail("write");
  char buf[4];
  size_t got = 0;
  while (got < 4) {
    ssize_t n = read(conn, buf + got, 4 - got);
    if (n <= 0) return loopback_fail("read");
    got += (size_t)n;
  }
  if (memcmp(buf, "ping", 4) != 0) {
    printf("loopback=fail:data:corrupt\n");
    return 1;
  }
  printf("loopback=ok\n");
  close(conn);
  close(client);
  close(server);
  return 0;
}

static int cmd_tcp(int do_bind, const char* port_arg) {
  const char* key = do_bind ? "tcp_bind" : "tcp_connect";
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    printf("%s=socket:%s\n", key, errname(errno));
    return 1;
  }
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((uint16_t)atoi(port_arg));
  int rc = do_bind ? bind(fd, (struct sockaddr*)&addr, sizeof(addr))
                   : connect(fd, (struct sockaddr*)&addr, sizeof(addr));
  printf("%s=%s\n", key, rc == 0 ? "ok" : errname(errno));
  close(fd);
  return 0;
}

// Landlock ABI 6 (values from the kernel UAPI; the build host's header may predate them).
struct probe_ruleset_attr {
  unsigned long long handled_access_fs, handled_access_net, scoped;
};
#define PROBE_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

static int cmd_signal_scope(void) {
  printf("kill_init=%s\n", kill(1, 0) == 0 ? "ok" : errname(errno));
  pid_t sibling = fork();
  if (sibling == 0) {
    pause();
    _exit(0);
  }
  printf("kill_sibling=%s\n", kill(sibling, 0) == 0 ? "ok" : errname(errno));
  fflush(stdout);
  pid_t nested = fork();
  if (nested == 0) {
    struct probe_ruleset_attr attr = {0, 0, PROBE_LANDLOCK_SCOPE_SIGNAL};
    long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
    if (fd < 0 || syscall(SYS_landlock_restrict_self, fd, 0) != 0) {
      printf("nested_kill_outer=setup:%s\n", errname(errno));
      fflush(stdout);
      _exit(1);
    }
    printf("nested_kill_outer=%s\n", kill(sibling, 0) == 0 ? "ok" : errname(errno));
    printf("nested_kill_self=%s\n", kill(getpid(), 0) == 0 ? "ok" : errname(errno));
    fflush(stdout);
    _exit(0);
  }
  int status;
  waitpid(nested, &status, 0);
  kill(sibling, SIGKILL);
  waitpid(sibling, &status, 0);
  return 0;
}

// ---- cgroup probes ----

// Allocates and touches memory 1 MiB at a time until the OOM killer ends it (or 4 GiB).
static int cmd_hog(void) {
  printf("hogging\n");
  fflush(stdout);
  for (int i = 0; i < 4096; ++i) {
    char* p = malloc(1 << 20);
    if (p == NULL) {
      printf("hog=malloc_failed\nmib=%d\n", i);
      return 1;
    }
    memset(p, 0x5a, 1 << 20);
  }
  printf("hog=survived\n");
  return 1;
}

// Forks children that wait, until fork fails or `max` children exist; reports how many and
// the error, then kills and reaps them all.
static int cmd_forkbomb(const char* arg) {
  int max = atoi(arg);
  pid_t* kids = calloc((size_t)max, sizeof(pid_t));
  int n = 0, err = 0;
  while (n < max) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      pause();
      _exit(0);
    }
    kids[n++] = pid;
  }
  for (int i = 0; i < n; ++i) kill(kids[i], SIGKILL);
  for (int i = 0; i < n; ++i) waitpid(kids[i], NULL, 0);
  printf("forks=%d\nfork_error=%s\n", n, err ? errname(err) : "none");
  return 0;
}

// Burns CPU in one thread for `secs` of wall time; says "spinning" first.
static int cmd_spin(const char* arg) {
  double secs = atof(arg);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  printf("spinning\n");
  fflush(stdout);
  volatile unsigned long x = 0;
  do {
    for (int i = 0; i < 100000; ++i) x += (unsigned long)i;
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < secs);
  printf("spun=%.2f\n", secs);
  return 0;
}

// mknod PATH (TYPE c|b, MAJOR, MINOR), then open it read-only: mknod=..., open=...
static int cmd_mknod_open(const char* path, const char* type, const char* maj, const char* min) {
  mode_t mode = (type[0] == 'b' ? S_IFBLK : S_IFCHR) | 0600;
  if (mknod(path, mode, makedev((unsigned)atoi(maj), (unsigned)atoi(min))) != 0) {
    printf("mknod=%s\n", errname(errno));
    return 1;
  }
  printf("mknod=ok\n");
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  printf("open=%s\n", fd >= 0 ? "ok" : errname(errno));
  if (fd >= 0) close(fd);
  unlink(path);
  return 0;
}

// Every line of /proc/self/cgroup as cgroup_<hierarchy id>=<path>.
static int cmd_cgroup(void) {
  FILE* f = fopen("/proc/self/cgroup", "re");
  if (f == NULL) {
    printf("cgroup=%s\n", errname(errno));
    return 1;
  }
  char line[4096];
  while (fgets(line, sizeof(line), f) != NULL) {
    chomp(line);
    char* c1 = strchr(line, ':');
    char* c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL) continue;
    *c1 = '\0';
    printf("cgroup_%s=%s\n", line, c2 + 1);
  }
  fclose(f);
  return 0;
}

static int usage(void) {
  fprintf(stderr,
          "usage: probe facts | env | exit N | kill-self SIG | sleep SECS | orphans N |\n"
          "             wait-signal | write PATH [BYTES] | read PATH | loopback |\n"
          "             tcp-bind PORT | tcp-connect PORT | unix-connect PATH |\n"
          "             serve PORT DELAY_MS | signal-scope | hog | forkbomb MAX | spin SECS |\n"
          "             mknod-open PATH c|b MAJ MIN | cgroup\n");
  return 2;
}

static int cmd_serve(int port, int delay_ms) {
  struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof(a)) != 0 || listen(s, 16) != 0) {
    printf("serve=%s\n", strerror(errno));
    return 1;
  }
  printf("listening\n");
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c >= 0) close(c);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const char* cmd = argv[1];
  int rc;
  if (strcmp(cmd, "facts") == 0) {
    rc = cmd_facts();
  } else if (strcmp(cmd, "env") == 0) {
    rc = cmd_env();
  } else if (strcmp(cmd, "exit") == 0 && argc == 3) {
    fflush(stdout);
    return atoi(argv[2]) & 0xff;
  } else if (strcmp(cmd, "kill-self") == 0 && argc == 3) {
    rc = cmd_kill_self(argv[2]);
  } else if (strcmp(cmd, "sleep") == 0 && argc == 3) {
    sleep_seconds(atof(argv[2]));
    rc = 0;
  } else if (strcmp(cmd, "orphans") == 0 && argc == 3) {
    rc = cmd_orphans(argv[2]);
  } else if (strcmp(cmd, "wait-signal") == 0) {
    rc = cmd_wait_signal();
  } else if (strcmp(cmd, "write") == 0 && (argc == 3 || argc == 4)) {
    rc = cmd_write(argv[2], argc == 4 ? argv[3] : NULL);
  } else if (strcmp(cmd, "read") == 0 && argc == 3) {
    rc = cmd_read(argv[2]);
  } else if (strcmp(cmd, "loopback") == 0) {
    rc = cmd_loopback();
  } else if (strcmp(cmd, "serve") == 0 && argc == 4) {
    rc = cmd_serve(atoi(argv[2]), atoi(argv[3]));
  } else if (strcmp(cmd, "tcp-bind") == 0 && argc == 3) {
    rc = cmd_tcp(1, argv[2]);
  } else if (strcmp(cmd, "unix-connect") == 0 && argc == 3) {
    return cmd_unix_connect(argv[2]);
  } else if (strcmp(cmd, "tcp-connect") == 0 && argc == 3) {
    rc = cmd_tcp(0, argv[2]);
  } else if (strcmp(cmd, "signal-scope") == 0) {
    rc = cmd_signal_scope();
  } else if (strcmp(cmd, "hog") == 0) {
    rc = cmd_hog();
  } else if (strcmp(cmd, "forkbomb") == 0 && argc == 3) {
    rc = cmd_forkbomb(argv[2]);
  } else if (strcmp(cmd, "spin") == 0 && argc == 3) {
    rc = cmd_spin(argv[2]);
  } else if (strcmp(cmd, "mknod-open") == 0 && argc == 6) {
    rc = cmd_mknod_open(argv[2], argv[3], argv[4], argv[5]);
  } else if (strcmp(cmd, "cgroup") == 0) {
    rc = cmd_cgroup();
  } else {
    return usage();
  }
  fflush(stdout);
  return rc;
}
