// InputError: what every rejected input file throws, whichever layer read it.
#include <gtest/gtest.h>

#include "emulator/model/input_error.h"
#include "emulator/model/topology.h"

using namespace scalelab::model;

TEST(InputError, NamesFilePointerAndMessage) {
  const InputError e("jobs/x.json", "/parallel/tp", "must divide the world size");
  EXPECT_STREQ(e.what(), "jobs/x.json: /parallel/tp: must divide the world size");
  EXPECT_EQ(e.source(), "jobs/x.json");
  EXPECT_EQ(e.json_pointer(), "/parallel/tp");
  EXPECT_EQ(e.message(), "must divide the world size");
}

TEST(InputError, ATopologyErrorIsOneAndKeepsItsText) {
  try {
    parse_topology("{", "t.json");
    FAIL() << "broken JSON was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(dynamic_cast<const TopologyError*>(&e), nullptr);
    EXPECT_EQ(e.source(), "t.json");
    EXPECT_EQ(std::string(e.what()), "t.json: " + e.json_pointer() + ": " + e.message());
  }
}
