#pragma once
// Ranks on every machine of a cluster across machines: one ssh session per machine runs
// `scalelab shard run|bench` there, which starts the ranks that machine holds; their lines come
// back as they are printed, and each machine ends with a summary. The first machine to fail (a
// rank's exit, or a lost machine) ends every other session, whose machines then stop their ranks.
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emulator/shard/rank_stream.h"

namespace scalelab::shard {

struct AcrossRun {
  std::vector<RankEnd> ranks;  // every machine's, in rank order
  // "machine m2 (root@…) is unreachable over ssh: …": a machine that sent no summary.
  std::vector<std::string> lost_machines;
  std::string first_failed_machine;  // the machine whose session ended first in failure ("" when none)
  bool timed_out = false;
  std::optional<nlohmann::json> collected;  // the first machine's that sent one
  std::vector<std::string> faults_in_force;
  bool netem = false;  // every machine's shard has netem
  std::set<int> failed_on_first_machine;  // ranks that failed on their own there
  bool ok() const;
  // The rank that failed on its own on the first machine to fail; null when a machine was lost
  // or nothing failed.
  const RankEnd* first_failure() const;
};

using RankLineSink = std::function<void(const RankLine&)>;

// `args`: the shard verb and its arguments ({"shard", "run", CLUSTER, "--", …}); every machine of
// the record runs it. `deadline`: past it every session is ended and timed_out set.
AcrossRun run_across(const std::string& cluster, const std::vector<std::string>& args, const RankLineSink& on_line,
                     std::optional<std::chrono::seconds> deadline);

// After a machine was lost mid-run the cluster is no longer whole: every shard that still answers
// is taken down, and what to do about the rest is returned as a sentence for the error.
std::string take_down_after_loss(const std::string& cluster);

}  // namespace scalelab::shard
