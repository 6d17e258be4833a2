#include "runtime/util/sha256.h"

#include <string>

#include "gtest/gtest.h"

namespace nucleus {
namespace {

std::string Hash(const std::string& s) {
  Sha256 h;
  h.Update(s);
  return h.Hex();
}

// FIPS 180-4 / NIST CAVS examples.
TEST(Sha256Test, KnownAnswers) {
  EXPECT_EQ(Hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hash(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Any split of the input gives the same digest (the buffer's edges: 55, 56, 63, 64 bytes).
TEST(Sha256Test, IncrementalEqualsWhole) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 7));
  for (size_t len : {0, 1, 55, 56, 63, 64, 65, 127, 128, 300}) {
    std::string part = data.substr(0, len);
    for (size_t cut = 0; cut <= len; cut += 13) {
      Sha256 h;
      h.Update(part.substr(0, cut));
      h.Update(part.substr(cut));
      EXPECT_EQ(h.Hex(), Hash(part)) << len << " cut " << cut;
    }
  }
}

}  // namespace
}  // namespace nucleus
