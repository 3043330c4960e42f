#pragma once
// A GoogleTest fixture: clusters brought up per test under unique names (so `ctest -j` runs tests
// side by side), their status printed when the test failed, and always taken down in TearDown —
// after a failed assertion or an exception too.
//
//   using scalelab::ClusterTest;  // TEST_F takes an unqualified name
//   TEST_F(ClusterTest, RailFlap) {
//     auto& c = cluster("/usr/share/scalelab/topologies/tiny.json");
//     auto job = c.run({"./my_component", "--rank", "$RANK"});
//     c.inject(scalelab::link_down("rail:1"));
//     EXPECT_EQ(job.wait(std::chrono::seconds(10)).failed_ranks(), std::vector<int>{});
//   }
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <iostream>
#include <string>

#include "scalelab/cluster.h"
#include "scalelab/errors.h"
#include "scalelab/rootless.h"

namespace scalelab {

class ClusterTest : public ::testing::Test {
 protected:
  // Needs root (network namespaces), or SCALELAB_ROOTLESS=1 to work in the caller's rootless
  // session (scalelab/rootless.h); without either every test of the fixture is skipped, saying so.
  void SetUp() override {
    if (geteuid() == 0 || in_rootless_session()) return;
    const char* rootless = std::getenv("SCALELAB_ROOTLESS");
    if (!rootless || std::string(rootless) != "1")
      GTEST_SKIP() << "scalelab::ClusterTest needs root, or SCALELAB_ROOTLESS=1 (a user namespace of your own)";
    try {
      enter_rootless_session();
    } catch (const NotPermitted& e) {
      GTEST_SKIP() << "scalelab::ClusterTest: SCALELAB_ROOTLESS=1, but " << e.what();
    }
  }

  // Brings the topology up as "<prefix>-<pid>-<n>". The reference stays valid until TearDown.
  Cluster& cluster(const std::string& topology_file, UpOptions options = {}) {
    // A crashed earlier run may have left a cluster under the same pid and counter: try the next.
    for (int attempt = 0;; ++attempt) {
      options.name = unique_name();
      try {
        clusters_.push_back(Cluster::up(topology_file, options));
        return clusters_.back();
      } catch (const ClusterExists&) {
        if (attempt >= 8) throw;
      }
    }
  }

  // Stems the names: $SCALELAB_TEST_PREFIX, else "t"; cut to 8 characters so that any pid and
  // counter keep the name within the 24 the model allows (netns and interface name limits).
  virtual std::string name_prefix() const {
    const char* env = std::getenv("SCALELAB_TEST_PREFIX");
    std::string prefix = env && *env ? env : "t";
    return prefix.substr(0, 8);
  }

  void TearDown() override {
    if (HasFailure())
      for (const auto& c : clusters_) print_status(c);
    while (!clusters_.empty()) {
      try {
        clusters_.front().down();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "taking cluster " << clusters_.front().name() << " down failed: " << e.what();
      }
      clusters_.pop_front();
    }
  }

  const std::deque<Cluster>& clusters() const { return clusters_; }

 private:
  std::string unique_name() {
    static int counter = 0;
    return name_prefix() + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  }

  static void print_status(const Cluster& c) {
    std::cout << "[ scalelab ] cluster " << c.name() << " when the test failed:\n";
    try {
      std::cout << c.status_text() << std::flush;
    } catch (const std::exception& e) {
      std::cout << "  (status could not be read: " << e.what() << ")\n" << std::flush;
    }
  }

  // A deque: references handed out by cluster() survive later calls. Its destructor downs what
  // TearDown did not reach (when SetUp of a derived fixture threw, say).
  std::deque<Cluster> clusters_;
};

}  // namespace scalelab
