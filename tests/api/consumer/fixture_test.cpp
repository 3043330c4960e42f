// The installed fixture: a cluster per test, up through the installed library, checked, and down.
#include <scalelab/testing.h>

#include <cstdlib>
#include <filesystem>

namespace {

using scalelab::ClusterTest;  // TEST_F takes the fixture's unqualified name

std::string topology() { return std::getenv("SCALELAB_CONSUMER_TOPOLOGY"); }

TEST_F(ClusterTest, InstalledFixtureBringsTinyUp) {
  auto& c = cluster(topology());
  auto s = c.status();
  EXPECT_EQ(s["cluster"], c.name());
  EXPECT_EQ(s["nodes"].size(), 9u);
  EXPECT_TRUE(std::filesystem::exists("/run/netns/sl-" + c.name() + "-gpu0"));
  EXPECT_EQ(c.exec("gpu0", {"true"}).status, 0);
}

// The installed library finds the installed agent (beside it, in <prefix>/bin).
TEST_F(ClusterTest, InstalledBenchFindsTheInstalledAgent) {
  auto& c = cluster(topology());
  auto r = c.bench({.args = {"-b", "64K", "-e", "64K", "-n", "2", "-w", "1"}});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_GT(r.rows[0].busbw_GBps, 0);
  EXPECT_EQ(r.rows[0].wrong, 0);
}

}  // namespace
