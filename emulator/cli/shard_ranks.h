#pragma once
// A machine's side of `run` and `bench` across machines: start the ranks this machine holds,
// stream their lines and one summary to the operator (shard/rank_stream.h), and stop them
// when the operator's ssh channel closes, a signal comes, or the deadline passes.
#include <string>
#include <vector>

namespace scalelab::cli {

// Returns the exit status for `scalelab shard run|bench`: 0 when every local rank exited 0.
// `collect`: a file a rank writes (rank 0's bench JSON), sent back in the summary and removed.
int stream_shard_ranks(const std::string& cluster, const std::vector<std::string>& argv, double timeout_s, const std::string& collect);

}  // namespace scalelab::cli
