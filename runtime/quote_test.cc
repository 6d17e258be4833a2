#include "runtime/quote.h"

#include <string>

#include "gtest/gtest.h"

namespace nucleus {
namespace {

TEST(QuoteTest, PlainValue) { EXPECT_EQ(Quote("abc"), "'abc'"); }

TEST(QuoteTest, EmptyValue) { EXPECT_EQ(Quote(""), "''"); }

TEST(QuoteTest, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(Quote("a\nb"), "'a\\nb'");
  EXPECT_EQ(Quote(std::string("a\0b", 3)), "'a\\000b'");
  EXPECT_EQ(Quote("it's"), "'it\\'s'");
}

TEST(QuoteTest, TruncatesLongValues) {
  std::string q = Quote(std::string(1000, 'x'), 10);
  EXPECT_EQ(q, "'xxxxxxxxxx...'");
  EXPECT_EQ(Quote("0123456789", 10), "'0123456789'");
}

}  // namespace
}  // namespace nucleus
