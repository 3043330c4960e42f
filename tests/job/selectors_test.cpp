#include "emulator/job/selectors.h"

#include <gtest/gtest.h>

#include "test_domains.h"

namespace scalelab::job {
namespace {

using testing::domains;

JobSpec moe_job() {
  return parse_job(R"({"name": "m", "parallel": {"tp": 2, "pp": 2, "ep": 2},
                       "pipeline": {"activation_bytes": 8}, "moe": {"experts_per_rank": 2, "tokens": 4, "token_bytes": 8}})", "m.json");
}

TEST(JobSelectors, GroupStageAndExpertName) {
  const auto spec = moe_job();
  const auto l = make_layout(spec.parallel, domains(16, 4), "m.json");  // tp 2, dp 4, pp 2
  EXPECT_EQ(*job_ranks(spec, l, "group:dp:0"), (std::vector<int>{0, 2, 4, 6}));
  EXPECT_EQ(*job_ranks(spec, l, "group:tp:1"), (std::vector<int>{2, 3}));
  EXPECT_EQ(*job_ranks(spec, l, "stage:1"), (std::vector<int>{8, 9, 10, 11, 12, 13, 14, 15}));
  // Expert 3 lives on EP rank 1 (2 experts per rank) of every EP group: dp coordinate odd.
  EXPECT_EQ(*job_ranks(spec, l, "expert:3"), (std::vector<int>{2, 3, 6, 7, 10, 11, 14, 15}));
  EXPECT_FALSE(job_ranks(spec, l, "rank:3").has_value());
  EXPECT_FALSE(job_ranks(spec, l, "host:1").has_value());
}

TEST(JobSelectors, MistakesNameWhatExists) {
  const auto spec = moe_job();
  const auto l = make_layout(spec.parallel, domains(16, 4), "m.json");
  EXPECT_THROW(job_ranks(spec, l, "group:xp:0"), SelectorError);
  EXPECT_THROW(job_ranks(spec, l, "group:dp:9"), SelectorError);
  EXPECT_THROW(job_ranks(spec, l, "stage:2"), SelectorError);
  EXPECT_THROW(job_ranks(spec, l, "expert:8"), SelectorError);
  try {
    job_ranks(spec, l, "stage:x");
  } catch (const SelectorError& e) {
    EXPECT_NE(std::string(e.what()).find("0..1"), std::string::npos) << e.what();
  }
  const auto dense = parse_job(R"({"name": "d", "parallel": {"tp": 2}})", "d.json");
  EXPECT_THROW(job_ranks(dense, make_layout(dense.parallel, domains(4, 2), "d"), "expert:0"), SelectorError);
}

}  // namespace
}  // namespace scalelab::job
