#include "backends/native/namespaces.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {

uint64_t CloneFlagsFor(const NamespaceSpec& ns) {
  uint64_t flags = 0;
  if (ns.pid && ns.pid_path.empty()) flags |= CLONE_NEWPID;
  if (ns.mount && ns.mount_path.empty()) flags |= CLONE_NEWNS;
  if (ns.uts && ns.uts_path.empty()) flags |= CLONE_NEWUTS;
  if (ns.ipc && ns.ipc_path.empty()) flags |= CLONE_NEWIPC;
  if (ns.net && ns.net_path.empty()) flags |= CLONE_NEWNET;
  if (ns.cgroup && ns.cgroup_path.empty()) flags |= CLONE_NEWCGROUP;
  if (ns.user && ns.user_path.empty()) flags |= CLONE_NEWUSER;
  if (ns.time && ns.time_path.empty()) flags |= CLONE_NEWTIME;
  return flags;
}

absl::StatusOr<std::vector<NamespaceToJoin>> OpenNamespacesToJoin(const NamespaceSpec& ns) {
  if (!ns.mount_path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "namespace path '", ns.mount_path,
        "': joining a mount namespace is not supported (nucleus builds the container's own)"));
  }
  const struct {
    const std::string* path;
    int type;
    const char* name;
  } kinds[] = {
      {&ns.user_path, CLONE_NEWUSER, "user"},  {&ns.pid_path, CLONE_NEWPID, "pid"},
      {&ns.uts_path, CLONE_NEWUTS, "uts"},     {&ns.ipc_path, CLONE_NEWIPC, "ipc"},
      {&ns.net_path, CLONE_NEWNET, "network"}, {&ns.cgroup_path, CLONE_NEWCGROUP, "cgroup"},
      {&ns.time_path, CLONE_NEWTIME, "time"}};
  std::vector<NamespaceToJoin> out;
  for (const auto& k : kinds) {
    if (k.path->empty()) continue;
    NamespaceToJoin j;
    j.path = *k.path;
    j.type = k.type;
    j.fd.Reset(::open(k.path->c_str(), O_RDONLY | O_CLOEXEC));
    if (!j.fd.valid()) {
      return ErrnoStatus(absl::StrCat(k.name, " namespace path '", *k.path, "'"), "");
    }
    int type = ::ioctl(j.fd.get(), NS_GET_NSTYPE);
    if (type != k.type) {
      return absl::InvalidArgumentError(
          absl::StrCat(k.name, " namespace path '", *k.path, "' is not a ", k.name, " namespace"));
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string FormatIdMap(const std::vector<IdMapping>& map) {
  std::string out;
  for (const IdMapping& m : map)
    absl::StrAppend(&out, m.container_id, " ", m.host_id, " ", m.size, "\n");
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
