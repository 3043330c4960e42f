#include <gtest/gtest.h>

#include "emulator/vm/version.h"

using namespace scalelab::vm;

TEST(Version, ComparesNumericallyNotLexically) {
  EXPECT_LT(compare_versions("7.2.13", "7.10.1"), 0);
  EXPECT_GT(compare_versions("7.10.1", "7.2.13"), 0);
  EXPECT_LT(compare_versions("7.2.9", "7.2.13"), 0);
  EXPECT_EQ(compare_versions("7.1", "7.1.0"), 0);
  EXPECT_GT(compare_versions("7.1.3", "7.1"), 0);
  EXPECT_LT(compare_versions("6.12.57", "7.1"), 0);
}

TEST(Version, ParsesLeadingNumbersOfAbiAndDebianVersions) {
  EXPECT_EQ(KernelVersion::parse("7.3.4+deb13-amd64")->str(), "7.3.4");
  EXPECT_EQ(KernelVersion::parse("6.1.0-49-amd64")->str(), "6.1.0");
  EXPECT_EQ(KernelVersion::parse("7.2.13")->parts, (std::vector<int>{7, 2, 13}));
  EXPECT_FALSE(KernelVersion::parse("auto"));
  EXPECT_FALSE(KernelVersion::parse(""));
  EXPECT_LT(compare_versions("garbage", "1.0"), 0);
}

TEST(Version, UpstreamOfDebianVersion) {
  EXPECT_EQ(upstream_version("7.3.4-1~bpo13+1"), "7.3.4");
  EXPECT_EQ(upstream_version("7.2.13-1"), "7.2.13");
  EXPECT_EQ(upstream_version("6.1.174-1"), "6.1.174");
  EXPECT_EQ(upstream_version("1:2.3-4"), "2.3");
  EXPECT_EQ(upstream_version("7.2.13"), "7.2.13");
}
