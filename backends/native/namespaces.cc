#include "backends/native/namespaces.h"

#include <linux/sched.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {

uint64_t CloneFlagsFor(const NamespaceSpec& ns) {
  uint64_t flags = 0;
  if (ns.pid) flags |= CLONE_NEWPID;
  if (ns.mount) flags |= CLONE_NEWNS;
  if (ns.uts) flags |= CLONE_NEWUTS;
  if (ns.ipc) flags |= CLONE_NEWIPC;
  if (ns.net) flags |= CLONE_NEWNET;
  if (ns.cgroup) flags |= CLONE_NEWCGROUP;
  if (ns.user) flags |= CLONE_NEWUSER;
  if (ns.time) flags |= CLONE_NEWTIME;
  return flags;
}

std::string FormatIdMap(const std::vector<IdMapping>& map) {
  std::string out;
  for (const IdMapping& m : map) absl::StrAppend(&out, m.container_id, " ", m.host_id, " ", m.size, "\n");
  return out;
}

absl::Status WriteIdMapsFromParent(pid_t pid, const std::vector<IdMapping>& uid_map,
                                   const std::vector<IdMapping>& gid_map, bool deny_setgroups) {
  const std::string dir = absl::StrCat("/proc/", pid, "/");
  RETURN_IF_ERROR(WriteStringToFile(dir + "uid_map", FormatIdMap(uid_map)));
  // An unprivileged writer may only map its own gid, and only after giving up setgroups(2):
  // otherwise the container could drop a supplementary group used as a negative ACL.
  if (deny_setgroups) RETURN_IF_ERROR(WriteStringToFile(dir + "setgroups", "deny"));
  return WriteStringToFile(dir + "gid_map", FormatIdMap(gid_map));
}

StepError BringUpLoopbackInChild() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return StepError::Errno("socket", "AF_INET for lo");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, "lo", 3);
  StepError e;
  if (::ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    e = StepError::Errno("ioctl SIOCGIFFLAGS", "lo");
  } else {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) e = StepError::Errno("ioctl SIOCSIFFLAGS", "lo");
  }
  ::close(fd);
  return e;
}

StepError SetHostnameInChild(const char* hostname) {
  if (::sethostname(hostname, strlen(hostname)) != 0) {
    return StepError::Errno("sethostname", hostname);
  }
  return StepError::Ok();
}

}  // namespace nucleus
