#include "emulator/scenario/report/event_fields.h"

#include <gtest/gtest.h>

#include <sstream>

namespace scalelab::report {
namespace {

TEST(EventLog, ParsesOneObjectPerLineAndSkipsBlankLines) {
  std::istringstream in("{\"t\":0.0,\"type\":\"scenario\"}\n\n  \n{\"t\":1.5,\"type\":\"fault\"}\n");
  auto events = parse_event_log(in);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(event_type(events[1]), "fault");
  EXPECT_EQ(number_field(events[1], "t"), 1.5);
}

TEST(EventLog, NamesTheBadLine) {
  std::istringstream in("{\"t\":0.0}\n{\"t\": oops}\n");
  try {
    parse_event_log(in, "drill/events.jsonl");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("drill/events.jsonl:2"), std::string::npos) << e.what();
  }
  std::istringstream array("[1,2]\n");
  EXPECT_THROW(parse_event_log(array), std::runtime_error);
  EXPECT_THROW(read_event_log("/nonexistent/events.jsonl"), std::runtime_error);
}

TEST(EventFields, ToleratesMissingAndMistypedFields) {
  auto e = nlohmann::json::parse(R"({"rank":"two","t":"late","n":3.0,"f":2.5,"s":"x","b":true,"o":{"k":1}})");
  EXPECT_FALSE(integer_field(e, "rank"));
  EXPECT_FALSE(number_field(e, "t"));
  EXPECT_EQ(integer_field(e, "n"), 3);
  EXPECT_FALSE(integer_field(e, "f"));
  EXPECT_EQ(string_field(e, "s"), "x");
  EXPECT_EQ(string_field(e, "n", "fallback"), "fallback");
  EXPECT_EQ(field_text(e, "b"), "true");
  EXPECT_EQ(field_text(e, "o"), R"({"k":1})");
  EXPECT_EQ(field_text(e, "missing"), "");
  EXPECT_EQ(event_type(nlohmann::json::array()), "");
}

}  // namespace
}  // namespace scalelab::report
