#include "emulator/model/units.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace scalelab::model {
namespace {

// Asserts that `statement` throws UnitError whose message contains `needle`.
#define EXPECT_UNIT_ERROR(statement, needle)                                          \
  do {                                                                                \
    try {                                                                             \
      statement;                                                                      \
      ADD_FAILURE() << "expected UnitError from " #statement;                         \
    } catch (const UnitError& e) {                                                    \
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();   \
    }                                                                                 \
  } while (0)

TEST(ParseBandwidth, BitsForms) {
  EXPECT_EQ(parse_bandwidth_bps("400Gb/s"), 400'000'000'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("400Gbps"), 400'000'000'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("400Gbit/s"), 400'000'000'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("100Mb/s"), 100'000'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("10Kb/s"), 10'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("10kb/s"), 10'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("1Tb/s"), 1'000'000'000'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("9600b/s"), 9600ULL);
}

TEST(ParseBandwidth, BytesForms) {
  EXPECT_EQ(parse_bandwidth_bps("900GB/s"), 7'200'000'000'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("900GBps"), 7'200'000'000'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("1MB/s"), 8'000'000ULL);
}

TEST(ParseBandwidth, FractionsAreExact) {
  EXPECT_EQ(parse_bandwidth_bps("2.5Gb/s"), 2'500'000'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("0.1Gb/s"), 100'000'000ULL);
  EXPECT_EQ(parse_bandwidth_bps("1.125GB/s"), 9'000'000'000ULL);
}

TEST(ParseBandwidth, RejectsSloppyForms) {
  for (const char* bad : {"400G", "400Gb", "400", "Gb/s", "400 Gb/s", " 400Gb/s", "400Gb/s ",
                          "400gb/s", "400Gb/S", "-1Gb/s", "+1Gb/s", "1e9b/s", "2.Gb/s", ".5Gb/s",
                          "400Pb/s", "400GiB/s", "", "1,5Gb/s"}) {
    EXPECT_UNIT_ERROR(parse_bandwidth_bps(bad),
                      "expected a bandwidth like \"400Gb/s\" or \"900GB/s\", got \"");
  }
  EXPECT_UNIT_ERROR(parse_bandwidth_bps("400G"),
                    "expected a bandwidth like \"400Gb/s\" or \"900GB/s\", got \"400G\"");
}

TEST(ParseBandwidth, MustBePositive) {
  EXPECT_UNIT_ERROR(parse_bandwidth_bps("0Gb/s"), "bandwidth must be > 0, got \"0Gb/s\"");
  EXPECT_UNIT_ERROR(parse_bandwidth_bps("0.0001b/s"), "must be > 0");
}

TEST(ParseBandwidth, MustFitIn64Bits) {
  EXPECT_EQ(parse_bandwidth_bps("18446744073709551615b/s"), 18446744073709551615ULL);
  EXPECT_UNIT_ERROR(parse_bandwidth_bps("18446744073709551616b/s"), "too large");
  EXPECT_UNIT_ERROR(parse_bandwidth_bps("3000000TB/s"), "too large");
  EXPECT_UNIT_ERROR(parse_bandwidth_bps("99999999999999999999999999999999999Tb/s"),
                    "has too many digits");
  EXPECT_UNIT_ERROR(parse_bandwidth_bps("1.0000000000000000001Gb/s"), "has too many digits");
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(parse_duration_ns("2us"), 2'000ULL);
  EXPECT_EQ(parse_duration_ns("1.5ms"), 1'500'000ULL);
  EXPECT_EQ(parse_duration_ns("100ns"), 100ULL);
  EXPECT_EQ(parse_duration_ns("1s"), 1'000'000'000ULL);
  EXPECT_EQ(parse_duration_ns("0us"), 0ULL);
  EXPECT_EQ(parse_duration_ns("0.25us"), 250ULL);
  EXPECT_EQ(parse_duration_ns("3\xC2\xB5s"), 3'000ULL);  // micro sign U+00B5
  EXPECT_EQ(parse_duration_ns("3\xCE\xBCs"), 3'000ULL);  // greek mu U+03BC
}

TEST(ParseDuration, RejectsSloppyForms) {
  for (const char* bad : {"2u", "2", "2 us", "us", "2sec", "2US", "-1us", "2.us", "1e3ns", ""}) {
    EXPECT_UNIT_ERROR(parse_duration_ns(bad),
                      "expected a duration like \"2us\", \"1.5ms\" or \"100ns\", got \"");
  }
  EXPECT_UNIT_ERROR(parse_duration_ns("99999999999s"), "too large");
}

TEST(ParsePercent, Values) {
  EXPECT_DOUBLE_EQ(parse_percent("0.5%"), 0.005);
  EXPECT_DOUBLE_EQ(parse_percent("0%"), 0.0);
  EXPECT_DOUBLE_EQ(parse_percent("100%"), 1.0);
  EXPECT_DOUBLE_EQ(parse_percent("0.01%"), 0.0001);
}

TEST(ParsePercent, RejectsOutOfRangeAndSloppy) {
  EXPECT_UNIT_ERROR(parse_percent("100.1%"), "must be within 0%..100%, got \"100.1%\"");
  EXPECT_UNIT_ERROR(parse_percent("150%"), "must be within 0%..100%");
  for (const char* bad : {"0.5", "-1%", "0.5 %", "%", "5%%", ""}) {
    EXPECT_UNIT_ERROR(parse_percent(bad), "expected a percentage like \"0.1%\"");
  }
}

TEST(FormatBandwidth, HumanForms) {
  EXPECT_EQ(format_bandwidth(400'000'000'000ULL), "400Gb/s");
  EXPECT_EQ(format_bandwidth(7'200'000'000ULL), "7.2Gb/s");
  EXPECT_EQ(format_bandwidth(950'000'000ULL), "950Mb/s");
  EXPECT_EQ(format_bandwidth(7'200'000'000'000ULL), "7.2Tb/s");
  EXPECT_EQ(format_bandwidth(1'500ULL), "1.5Kb/s");
  EXPECT_EQ(format_bandwidth(999ULL), "999b/s");
  EXPECT_EQ(format_bandwidth(0ULL), "0b/s");
  EXPECT_EQ(format_bandwidth(1'234'567ULL), "1.235Mb/s");
  EXPECT_EQ(format_bandwidth(999'999'999ULL), "1Gb/s");  // rounds up into the next unit
}

TEST(FormatDuration, HumanForms) {
  EXPECT_EQ(format_duration(2'000ULL), "2us");
  EXPECT_EQ(format_duration(1'500'000ULL), "1.5ms");
  EXPECT_EQ(format_duration(100ULL), "100ns");
  EXPECT_EQ(format_duration(1'000'000'000ULL), "1s");
  EXPECT_EQ(format_duration(120'000'000'000ULL), "120s");
  EXPECT_EQ(format_duration(0ULL), "0us");
}

TEST(Units, FormatThenParseRoundTrips) {
  for (std::uint64_t bps : {1ULL, 950'000'000ULL, 7'200'000'000ULL, 400'000'000'000ULL,
                            1'600'000'000'000ULL, 2'500'000ULL}) {
    EXPECT_EQ(parse_bandwidth_bps(format_bandwidth(bps)), bps) << format_bandwidth(bps);
  }
  for (std::uint64_t ns : {0ULL, 1ULL, 2'000ULL, 1'500'000ULL, 3'000'000'000ULL}) {
    EXPECT_EQ(parse_duration_ns(format_duration(ns)), ns) << format_duration(ns);
  }
}

}  // namespace
}  // namespace scalelab::model
