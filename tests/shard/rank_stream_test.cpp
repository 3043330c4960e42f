// The lines a machine sends its operator while its ranks run: what goes out comes back the same,
// and anything else on the channel (ssh's warnings, an error message) is told apart as text.
#include "emulator/shard/rank_stream.h"

#include <gtest/gtest.h>

#include "emulator/shard/launch_across.h"

namespace scalelab::shard {
namespace {

TEST(RankStream, ARankLineComesBackWithItsRankLabelAndText) {
  auto back = decode(encode(RankLine{3, "rank 3 gpu3", "#  size  count  type"}));
  ASSERT_TRUE(back);
  const auto* l = std::get_if<RankLine>(&*back);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->rank, 3);
  EXPECT_EQ(l->label, "rank 3 gpu3");
  EXPECT_EQ(l->line, "#  size  count  type");
}

TEST(RankStream, InvalidUtf8FromAWorkloadIsReplacedNotFatal) {
  const auto line = encode(RankLine{0, "rank 0 gpu0", std::string("bad \xff byte")});
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one message is one line";
  auto back = decode(line);
  ASSERT_TRUE(back && std::holds_alternative<RankLine>(*back));
  EXPECT_NE(std::get<RankLine>(*back).line.find("bad "), std::string::npos);
}

TEST(RankStream, TheSummaryCarriesEveryRankTheResultsAndTheFaults) {
  MachineDone d;
  d.ranks = {{2, "gpu2", "rank 2 gpu2", 0, false}, {3, "gpu3", "rank 3 gpu3", 143, true}};
  d.timed_out = true;
  d.netem = true;
  d.collected = nlohmann::json{{"rows", nlohmann::json::array({{{"size", 1024}}})}};
  d.faults_in_force = {"link_down leaf0-spine0"};
  auto back = decode(encode(d));
  ASSERT_TRUE(back && std::holds_alternative<MachineDone>(*back));
  const auto& b = std::get<MachineDone>(*back);
  ASSERT_EQ(b.ranks.size(), 2u);
  EXPECT_EQ(b.ranks[1].status, 143);
  EXPECT_TRUE(b.ranks[1].stopped);
  EXPECT_EQ(b.ranks[0].node, "gpu2");
  EXPECT_TRUE(b.timed_out);
  EXPECT_TRUE(b.netem);
  EXPECT_FALSE(b.operator_gone);
  ASSERT_TRUE(b.collected);
  EXPECT_EQ((*b.collected)["rows"][0]["size"], 1024);
  EXPECT_EQ(b.faults_in_force, std::vector<std::string>{"link_down leaf0-spine0"});
}

TEST(RankStream, OtherTextOnTheChannelIsNotAMessage) {
  EXPECT_FALSE(decode("Warning: Permanently added '198.19.254.2' (ED25519) to the list of known hosts."));
  EXPECT_FALSE(decode("{not json"));
  EXPECT_FALSE(decode(R"({"error": "no cluster named \"x\" is up"})"));
  EXPECT_FALSE(decode(R"({"rank": "zero", "line": 5})")) << "ours in shape, wrong in type: text";
  EXPECT_FALSE(decode(""));
  auto beat = decode(encode(Heartbeat{}));
  ASSERT_TRUE(beat);
  EXPECT_TRUE(std::holds_alternative<Heartbeat>(*beat));
}

TEST(AcrossRun, OkOnlyWhenEveryRankExitedZeroAndNoMachineWasLost) {
  AcrossRun run;
  run.ranks = {{0, "gpu0", "rank 0 gpu0", 0, false}, {1, "gpu1", "rank 1 gpu1", 0, false}};
  EXPECT_TRUE(run.ok());
  run.lost_machines = {"machine m2 (root@198.19.254.2) is unreachable over ssh: Connection refused"};
  EXPECT_FALSE(run.ok());
  EXPECT_EQ(run.first_failure(), nullptr) << "a lost machine is not a rank's failure";
}

TEST(AcrossRun, TheFirstFailureIsOnTheFirstMachineToFailNotTheLowestRank) {
  AcrossRun run;
  run.ranks = {{0, "gpu0", "rank 0 gpu0", 1, false}, {2, "gpu2", "rank 2 gpu2", 3, false}, {3, "gpu3", "rank 3 gpu3", 143, true}};
  run.first_failed_machine = "m2 (root@198.19.254.2)";
  run.failed_on_first_machine = {2};
  ASSERT_NE(run.first_failure(), nullptr);
  EXPECT_EQ(run.first_failure()->rank, 2);
  EXPECT_FALSE(run.ok());
  run.failed_on_first_machine.clear();
  EXPECT_EQ(run.first_failure()->rank, 0) << "without a first machine's own failure: the lowest failed rank";
}

}  // namespace
}  // namespace scalelab::shard
