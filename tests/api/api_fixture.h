#pragma once
// The project's own tests use the public fixture, with names prefixed "ap" (this suite's).
#include "scalelab/testing.h"

namespace scalelab::api_tests {

inline std::string tiny() { return std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json"; }

class ApiTest : public ClusterTest {
 protected:
  std::string name_prefix() const override { return "ap"; }
};

}  // namespace scalelab::api_tests
