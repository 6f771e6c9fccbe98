#include "core/time_zone_name.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

TEST(TimeZoneName, AcceptsIanaNames) {
  EXPECT_TRUE(ValidateTimeZoneName("Europe/Zurich").ok());
  EXPECT_TRUE(ValidateTimeZoneName("America/New_York").ok());
  EXPECT_TRUE(ValidateTimeZoneName("UTC").ok());
}

TEST(TimeZoneName, RejectsUnknownNamesAndFixedOffsets) {
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTimeZoneName("Mars/Olympus")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTimeZoneName("+02:00")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTimeZoneName("")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTimeZoneName("Europe/Zurich; DROP")));
}

}  // namespace
}  // namespace tnps::core
