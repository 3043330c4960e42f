#pragma once
// What `scalelab shard run|bench` prints while a machine's ranks run, one JSON object a line, and
// how the operator reads it back: each rank's output as it comes, a heartbeat (a write to a
// closed ssh channel is how a machine learns its operator is gone), and one closing summary.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace scalelab::shard {

struct RankLine {
  int rank = -1;
  std::string label;  // "rank 3 gpu3"
  std::string line;
};

struct Heartbeat {};

struct RankEnd {
  int rank = -1;
  std::string node, label;
  int status = -1;       // as RankResult::status
  bool stopped = false;  // ended by the machine (another rank failed, deadline, operator gone)
};

struct MachineDone {
  std::vector<RankEnd> ranks;
  bool timed_out = false;
  bool operator_gone = false;              // the machine stopped its ranks because the channel closed
  bool netem = false;                      // the machine's shard has link delay/loss (for the model)
  std::optional<nlohmann::json> collected;  // e.g. rank 0's bench rows, when rank 0 ran here
  std::vector<std::string> faults_in_force;
};

using StreamMessage = std::variant<RankLine, Heartbeat, MachineDone>;

std::string encode(const StreamMessage& message);  // one line, no newline
// std::nullopt for a line that is not one of ours (ssh's own warnings, a remote error message).
std::optional<StreamMessage> decode(const std::string& line);

}  // namespace scalelab::shard
