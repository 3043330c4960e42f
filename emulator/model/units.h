#pragma once
// Strict parsing of the physical quantities a topology states: bandwidth, time, ratio.
// Strict because a typo like "400Gb" (no "/s") or "2u" must be an error, not a silently
// different fabric.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scalelab::model {

// Thrown with a message that says what was expected, e.g.
// "expected a bandwidth like \"400Gb/s\" or \"900GB/s\", got \"400G\"".
struct UnitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "400Gb/s" "400Gbps" "400Gbit/s" (bits) and "900GB/s" "900GBps" (bytes); prefixes K M G T
// (decimal, as link rates are quoted); fractional values allowed ("2.5Gb/s"). Returns bits/s.
// Must be > 0 and fit in 64 bits.
std::uint64_t parse_bandwidth_bps(std::string_view text);

// "2us" "1.5ms" "100ns" "1s" (also "µs"). Returns nanoseconds; 0 allowed ("0us").
std::uint64_t parse_duration_ns(std::string_view text);

// "0.5%" → 0.005. Must be within [0%, 100%].
double parse_percent(std::string_view text);

// Human forms used in plans and reports: "400Gb/s", "7.2Gb/s", "950Mb/s"; "2us", "1.5ms".
std::string format_bandwidth(std::uint64_t bits_per_second);
std::string format_duration(std::uint64_t nanoseconds);

}  // namespace scalelab::model
