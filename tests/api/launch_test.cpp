// Which commands get their rank's port made before the first rank starts (emulator/api/launch.h).
#include "emulator/api/launch.h"

#include <gtest/gtest.h>

using scalelab::api::listens_on_rank_port;

TEST(Launch, OnlyScalelabsAgentsGetTheirPortsMadeInAdvance) {
  EXPECT_TRUE(listens_on_rank_port({"/usr/lib/scalelab/scalelab-agent", "all_reduce"}));
  EXPECT_TRUE(listens_on_rank_port({"build/agents/scalelab-job-agent"}));
  EXPECT_TRUE(listens_on_rank_port({"scalelab-agent"}));
  // Anything else may use base_port + rank for its own ends (gloo, a user's server).
  EXPECT_FALSE(listens_on_rank_port({"/usr/bin/python3", "scalelab-agent"}));
  EXPECT_FALSE(listens_on_rank_port({"timeout", "10", "scalelab-agent"}));
  EXPECT_FALSE(listens_on_rank_port({"my-scalelab-agent"}));
  EXPECT_FALSE(listens_on_rank_port({}));
}
