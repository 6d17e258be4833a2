// Fuzzes runtime/identity: input = PASSWD \0 GROUP \0 USER-SPEC \0 IDMAP \0 IDMAP ...
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "runtime/identity.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts = nucleus::fuzz::SplitNul(nucleus::fuzz::AsText(data, size));
  parts.resize(std::max<size_t>(parts.size(), 3));
  nucleus::UserDb db = nucleus::UserDb::FromText(parts[0], parts[1]);
  for (const nucleus::PasswdEntry& e : nucleus::ParsePasswd(parts[0])) {
    Check(e.uid <= nucleus::kMaxId && e.gid <= nucleus::kMaxId, "passwd ids in range");
    Check(!e.name.empty(), "passwd names non-empty");
    Check(e.home.empty() || e.home[0] == '/', "home is absolute or empty");
  }
  auto who = nucleus::ResolveUser(parts[2], db, "--user");
  if (who.ok()) {
    Check(who->uid <= nucleus::kMaxId && who->gid <= nucleus::kMaxId, "resolved ids in range");
  } else {
    Check(std::string(who.status().message()).find('\n') == std::string::npos,
          "errors are one line");
  }
  auto group = nucleus::ResolveGroup(parts[2], db, "--group-add");
  if (group.ok()) Check(*group <= nucleus::kMaxId, "group id in range");

  std::vector<nucleus::IdMapping> maps;
  for (size_t i = 3; i < parts.size(); ++i) {
    auto m = nucleus::ParseIdMapping(parts[i], "--uidmap");
    if (!m.ok()) continue;
    Check(m->size >= 1, "map size >= 1");
    Check(uint64_t{m->container_id} + m->size - 1 <= nucleus::kMaxId, "container range fits");
    Check(uint64_t{m->host_id} + m->size - 1 <= nucleus::kMaxId, "host range fits");
    Check(nucleus::IsIdMapped({*m}, m->container_id), "first id is mapped");
    maps.push_back(*m);
  }
  (void)nucleus::ValidateIdMappings(maps, "--uidmap");
  return 0;
}
