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

}  // namespace
