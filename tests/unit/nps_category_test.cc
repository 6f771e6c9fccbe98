#include "core/nps_category.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

TEST(NpsCategory, ZeroToSixAreDetractors) {
  for (int score = 0; score <= 6; ++score) {
    EXPECT_EQ(CategoryOf(score), NpsCategory::kDetractor) << score;
  }
}

TEST(NpsCategory, SevenAndEightArePassives) {
  EXPECT_EQ(CategoryOf(7), NpsCategory::kPassive);
  EXPECT_EQ(CategoryOf(8), NpsCategory::kPassive);
}

TEST(NpsCategory, NineAndTenArePromoters) {
  EXPECT_EQ(CategoryOf(9), NpsCategory::kPromoter);
  EXPECT_EQ(CategoryOf(10), NpsCategory::kPromoter);
}

TEST(NpsCategory, PointsArePlusHundredZeroMinusHundred) {
  EXPECT_EQ(NpsPoints(NpsCategory::kPromoter), 100);
  EXPECT_EQ(NpsPoints(NpsCategory::kPassive), 0);
  EXPECT_EQ(NpsPoints(NpsCategory::kDetractor), -100);
}

}  // namespace
}  // namespace tnps::core
