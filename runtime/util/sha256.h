// SHA-256 (FIPS 180-4), for integrity manifests (--context-manifest, --verify-context).
// Incremental: Update any number of times, then Final once; Hex gives the 64 lower-case hex
// digits sha256sum prints.
#ifndef NUCLEUS_RUNTIME_UTIL_SHA256_H_
#define NUCLEUS_RUNTIME_UTIL_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace nucleus {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }
  // The digest; the object is spent afterwards.
  std::array<uint8_t, 32> Final();
  // Final() as 64 lower-case hex digits.
  std::string Hex();

 private:
  void Block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t used_ = 0;
  uint64_t total_ = 0;
};

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_SHA256_H_
