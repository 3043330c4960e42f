#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collectives/cluster.h"
#include "collectives/setup.h"

namespace scalelab::agent::testing {

// Runs f(comm) on n in-process ranks (threads); returns the messages of everything that threw.
inline std::vector<std::string> run_inprocess(int n, int domain_size, CommOptions opts,
                                              const std::function<void(Comm&)>& f) {
  auto fabric = std::make_shared<InProcessFabric>(n);
  const ClusterInfo cluster = make_inprocess_cluster(n, domain_size);
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> ts;
  for (int r = 0; r < n; ++r) {
    ts.emplace_back([&, r] {
      try {
        auto comm = connect_inprocess_comm(fabric, cluster, r, opts, Millis(5000));
        f(*comm);
        comm->close();
      } catch (const std::exception& e) {
        fabric->fail(r, e.what());
        std::lock_guard lk(mu);
        errors.push_back("rank " + std::to_string(r) + ": " + e.what());
      }
    });
  }
  for (auto& t : ts) t.join();
  return errors;
}

}  // namespace scalelab::agent::testing
