#include "tools/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace tnps::tools {
namespace {

using ::testing::ElementsAre;

TEST(CsvReader, ReadsQuotedFieldsWithCommasQuotesAndLineBreaks) {
  std::istringstream in("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",,end\nlast,x,y\n");
  CsvReader reader(in);
  std::vector<std::string> fields;
  std::string error;
  ASSERT_TRUE(reader.Next(fields, error));
  EXPECT_EQ(error, "");
  EXPECT_THAT(fields, ElementsAre("a", "b,c", "say \"hi\""));
  EXPECT_EQ(reader.record_line(), 1);
  ASSERT_TRUE(reader.Next(fields, error));
  EXPECT_THAT(fields, ElementsAre("two\nlines", "", "end"));
  EXPECT_EQ(reader.record_line(), 2);
  ASSERT_TRUE(reader.Next(fields, error));
  EXPECT_EQ(reader.record_line(), 4);
  EXPECT_FALSE(reader.Next(fields, error));
}

TEST(CsvReader, ReportsTextAfterAClosingQuoteAndGoesOn) {
  std::istringstream in("\"a\"b,c\nnext,row\n");
  CsvReader reader(in);
  std::vector<std::string> fields;
  std::string error;
  ASSERT_TRUE(reader.Next(fields, error));
  EXPECT_EQ(error, "unexpected text after a closing quote");
  ASSERT_TRUE(reader.Next(fields, error));
  EXPECT_EQ(error, "");
  EXPECT_THAT(fields, ElementsAre("next", "row"));
}

TEST(CsvReader, ReportsAnUnterminatedQuote) {
  std::istringstream in("a,\"never closed\n");
  CsvReader reader(in);
  std::vector<std::string> fields;
  std::string error;
  ASSERT_TRUE(reader.Next(fields, error));
  EXPECT_EQ(error, "unterminated quoted field");
}

TEST(CsvReader, SkipsAByteOrderMarkAtTheStartOnly) {
  std::istringstream in(
      "\xEF\xBB\xBF"
      "external_id,score\n"
      "\xEF\xBB\xBF"
      "x,1\n");
  CsvReader reader(in);
  std::vector<std::string> fields;
  std::string error;
  ASSERT_TRUE(reader.Next(fields, error));
  EXPECT_THAT(fields, ElementsAre("external_id", "score"));
  ASSERT_TRUE(reader.Next(fields, error));
  EXPECT_THAT(fields, ElementsAre("\xEF\xBB\xBF"
                                  "x",
                                  "1"));
}

TEST(CsvReader, ReadsSemicolonSeparatedFieldsWithCommasInside) {
  std::istringstream in("a;\"b;c\";1,5\n");
  CsvReader reader(in, ';');
  std::vector<std::string> fields;
  std::string error;
  ASSERT_TRUE(reader.Next(fields, error));
  EXPECT_EQ(error, "");
  EXPECT_THAT(fields, ElementsAre("a", "b;c", "1,5"));
}

TEST(DetectDelimiter, TakesTheSeparatorTheHeaderUsesMost) {
  EXPECT_EQ(DetectDelimiter("external_id,score,comment"), ',');
  EXPECT_EQ(DetectDelimiter("\xEF\xBB\xBF"
                            "external_id;score;comment"),
            ';');
  EXPECT_EQ(DetectDelimiter("external_id\tscore\tcomment"), '\t');
  // Separators inside quotes do not count.
  EXPECT_EQ(DetectDelimiter("\"a;b;c;d\",score,comment"), ',');
  EXPECT_EQ(DetectDelimiter("external_id"), ',');
}

}  // namespace
}  // namespace tnps::tools
