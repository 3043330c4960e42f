#include "emulator/job/job_spec.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace scalelab::job {
namespace {

JobError error_of(const std::string& text) {
  try {
    parse_job(text, "j.json");
  } catch (const JobError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << text;
  return JobError("", "", "");
}

TEST(JobSpec, ParsesEveryFieldWithUnits) {
  auto s = parse_job(R"({ "name": "x", // comment
    "parallel": {"tp": 2, "pp": 2, "dp": 3, "order": "tp-pp-dp"}, "dtype": "float16",
    "layers_per_stage": 3, "micro_batches": 5,
    "layer": {"tp_bytes": "1.5MiB", "tp_mode": "sequence", "forward": "20us", "backward": "1ms"},
    "pipeline": {"activation_bytes": 4096}, "gradients": {"bytes": "2G", "buckets": 7, "overlap": false},
    "optimizer": "3us"})", "j.json");
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.parallel.tp, 2);
  EXPECT_EQ(s.parallel.dp, 3);
  EXPECT_EQ(s.parallel.order, (std::vector<GroupKind>{GroupKind::tp, GroupKind::pp, GroupKind::dp}));
  EXPECT_EQ(s.dtype, "float16");
  EXPECT_EQ(s.layer.tp_bytes, 1572864u);
  EXPECT_EQ(s.layer.tp_mode, TpMode::sequence);
  EXPECT_EQ(s.layer.forward_ns, 20000u);
  EXPECT_EQ(s.layer.backward_ns, 1000000u);
  EXPECT_EQ(s.activation_bytes, 4096u);
  EXPECT_EQ(s.gradient_bytes, 2ull << 30);
  EXPECT_EQ(s.buckets, 7);
  EXPECT_FALSE(s.overlap);
  EXPECT_EQ(s.optimizer_ns, 3000u);
  EXPECT_FALSE(s.moe);
}

TEST(JobSpec, DpAutoAndDefaults) {
  auto s = parse_job(R"({"name": "x", "parallel": {"tp": 8, "dp": "auto"}})", "j.json");
  EXPECT_EQ(s.parallel.dp, 0);
  EXPECT_EQ(s.parallel.pp, 1);
  EXPECT_EQ(s.micro_batches, 1);
  EXPECT_TRUE(s.overlap);
}

TEST(JobSpec, ErrorsNameFilePointerAndFix) {
  auto e = error_of(R"({"name": "x", "parallel": {"tp": 2}, "layer": {"tp_byte": "1M"}})");
  EXPECT_EQ(e.source(), "j.json");
  EXPECT_EQ(e.json_pointer(), "/layer/tp_byte");
  EXPECT_NE(e.message().find("tp_bytes"), std::string::npos) << e.what();

  e = error_of(R"({"name": "x", "parallel": {"tp": 2}, "layer": {"tp_bytes": "1Mb/s"}})");
  EXPECT_EQ(e.json_pointer(), "/layer/tp_bytes");
  EXPECT_NE(e.message().find("4MiB"), std::string::npos);

  e = error_of(R"({"name": "x", "parallel": {"tp": 0}})");
  EXPECT_EQ(e.json_pointer(), "/parallel/tp");

  e = error_of(R"({"name": "x", "parallel": {"order": "tp-pp"}})");
  EXPECT_EQ(e.json_pointer(), "/parallel/order");

  e = error_of(R"({"name": "x", "parallel": {"dp": 6, "ep": 4}})");
  EXPECT_EQ(e.json_pointer(), "/parallel/ep");

  e = error_of(R"({"name": "x", "parallel": {"pp": 2}})");
  EXPECT_EQ(e.json_pointer(), "/pipeline/activation_bytes");

  e = error_of(R"({"name": "x", "parallel": {"dp": 2}, "moe": {"tokens": 4, "token_bytes": 8}})");
  EXPECT_EQ(e.json_pointer(), "/parallel/ep");

  e = error_of(R"({"name": "x", "parallel": {"ep": 2}, "moe": {"tokens": 4}})");
  EXPECT_EQ(e.json_pointer(), "/moe");

  e = error_of(R"({"name": "x", "parallel": {}, "layer": {"forward": "20 us"}})");
  EXPECT_EQ(e.json_pointer(), "/layer/forward");

  e = error_of(R"({"parallel": {}})");
  EXPECT_EQ(e.json_pointer(), "/name");

  e = error_of("{ nope");
  EXPECT_EQ(e.json_pointer(), "/");
  EXPECT_NE(std::string(e.what()).find("j.json: /: not valid JSON"), std::string::npos) << e.what();
}

TEST(JobSpec, MissingFileIsAJobError) {
  EXPECT_THROW(load_job("/nonexistent/job.json"), JobError);
  EXPECT_THROW(load_job("/nonexistent/job.json"), model::InputError);  // as every input file's error
}

TEST(JobSpec, ShippedJobsParse) {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(std::string(SCALELAB_SOURCE_DIR) + "/jobs")) {
    if (f.path().extension() != ".json") continue;
    EXPECT_NO_THROW(load_job(f.path().string())) << f.path();
    ++n;
  }
  EXPECT_GE(n, 2);
}

// Found by fuzz/job_fuzz: a number beyond a double's range is json's out_of_range, not a parse_error;
// it escaped parse_job as a bare exception instead of a JobError naming the file.
TEST(JobSpec, NumberTooLargeIsAJobError) {
  const JobError e = error_of(R"({ "name": "x", "parallel": { "tp": 67e751396 } })");
  EXPECT_EQ(e.source(), "j.json");
  EXPECT_NE(e.message().find("not valid JSON"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace scalelab::job
