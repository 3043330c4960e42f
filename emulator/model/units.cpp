#include "emulator/model/units.h"

#include <array>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace scalelab::model {
namespace {

using u128 = unsigned __int128;

constexpr std::uint64_t kU64Max = ~std::uint64_t{0};

// An exact decimal "123.456": mantissa 123456, 3 fraction digits.
struct Decimal {
  u128 mantissa = 0;
  int fraction_digits = 0;
};

enum class DecimalStatus { ok, malformed, too_many_digits };

// Strict decimal grammar: digits+ ('.' digits+)?. No sign, no exponent, no spaces.
// Consumes the number at the start of `text`; `rest` receives what follows it (the unit).
// At most 30 significant digits (18 after the point) are represented exactly.
DecimalStatus parse_decimal(std::string_view text, Decimal& out, std::string_view& rest) {
  constexpr int kMaxDigits = 30;  // 10^30 < 2^100: leaves room for the unit multiplier
  constexpr int kMaxFractionDigits = 18;
  std::size_t i = 0;
  int digits = 0;
  bool too_many = false;
  out = {};
  auto take_digits = [&](bool fraction) {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (out.mantissa != 0 || text[i] != '0' || fraction) ++digits;
      if (digits > kMaxDigits || (fraction && out.fraction_digits >= kMaxFractionDigits)) {
        too_many = true;
      } else {
        out.mantissa = out.mantissa * 10 + static_cast<unsigned>(text[i] - '0');
        if (fraction) ++out.fraction_digits;
      }
      ++i;
    }
    return i > start;
  };
  if (!take_digits(false)) return DecimalStatus::malformed;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!take_digits(true)) return DecimalStatus::malformed;
  }
  rest = text.substr(i);
  return too_many ? DecimalStatus::too_many_digits : DecimalStatus::ok;
}

// Parses the number, throwing `malformed` when there is none; too many digits is its own error.
template <typename Malformed>
void parse_number(std::string_view text, Decimal& out, std::string_view& rest,
                  Malformed malformed) {
  switch (parse_decimal(text, out, rest)) {
    case DecimalStatus::ok: return;
    case DecimalStatus::malformed: throw malformed();
    case DecimalStatus::too_many_digits:
      throw UnitError(fmt::format("\"{}\" has too many digits (at most 30, 18 after the point)",
                                  text));
  }
}

u128 pow10(int n) {
  u128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

// round(d * multiplier), or false when it overflows 64 bits.
bool scale(const Decimal& d, std::uint64_t multiplier, std::uint64_t& out) {
  u128 product = 0;
  if (__builtin_mul_overflow(d.mantissa, static_cast<u128>(multiplier), &product)) return false;
  const u128 divisor = pow10(d.fraction_digits);
  const u128 rounded = product / divisor + ((product % divisor) * 2 >= divisor ? 1 : 0);
  if (rounded > kU64Max) return false;
  out = static_cast<std::uint64_t>(rounded);
  return true;
}

std::string quoted(std::string_view text) { return fmt::format("\"{}\"", text); }

// value / unit as a decimal with at most 3 fraction digits, trailing zeros dropped.
std::string format_scaled(std::uint64_t value, std::uint64_t unit) {
  const u128 thousandths = (static_cast<u128>(value) * 1000 + unit / 2) / unit;
  const auto whole = static_cast<std::uint64_t>(thousandths / 1000);
  auto rem = static_cast<unsigned>(thousandths % 1000);
  if (rem == 0) return fmt::format("{}", whole);
  std::string frac = fmt::format("{:03}", rem);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return fmt::format("{}.{}", whole, frac);
}

struct Scale {
  std::uint64_t unit;
  const char* suffix;
};

// Picks the largest unit the value reaches (after rounding to 3 decimals) and formats it.
template <std::size_t N>
std::string format_with(std::uint64_t value, const std::array<Scale, N>& scales) {
  // scales are ordered from the largest unit down to the base unit.
  for (const Scale& s : scales) {
    if (s.unit == 1) break;
    // Reaches this unit once value / unit rounds to >= 1.000 (e.g. 999999999 → "1Gb/s").
    const u128 thousandths = (static_cast<u128>(value) * 1000 + s.unit / 2) / s.unit;
    if (thousandths >= 1000) return format_scaled(value, s.unit) + s.suffix;
  }
  return fmt::format("{}{}", value, scales.back().suffix);
}

}  // namespace

std::uint64_t parse_bandwidth_bps(std::string_view text) {
  const auto bad = [&] {
    return UnitError(fmt::format(
        "expected a bandwidth like \"400Gb/s\" or \"900GB/s\", got {}",
        quoted(text)));
  };
  Decimal number;
  std::string_view rest;
  parse_number(text, number, rest, bad);

  std::uint64_t prefix = 1;
  if (!rest.empty()) {
    switch (rest.front()) {
      case 'K': case 'k': prefix = 1'000; break;
      case 'M': prefix = 1'000'000; break;
      case 'G': prefix = 1'000'000'000; break;
      case 'T': prefix = 1'000'000'000'000; break;
      default: prefix = 0; break;
    }
    if (prefix != 0) rest.remove_prefix(1); else prefix = 1;
  }
  std::uint64_t per_unit = 0;
  if (rest == "b/s" || rest == "bps" || rest == "bit/s") {
    per_unit = 1;
  } else if (rest == "B/s" || rest == "Bps") {
    per_unit = 8;
  } else {
    throw bad();
  }
  std::uint64_t bps = 0;
  if (!scale(number, prefix * per_unit, bps)) {
    throw UnitError(fmt::format("bandwidth {} is too large (must fit in 64 bits of bits/s)",
                                quoted(text)));
  }
  if (bps == 0) throw UnitError(fmt::format("bandwidth must be > 0, got {}", quoted(text)));
  return bps;
}

std::uint64_t parse_duration_ns(std::string_view text) {
  const auto bad = [&] {
    return UnitError(fmt::format(
        "expected a duration like \"2us\", \"1.5ms\" or \"100ns\", got {}",
        quoted(text)));
  };
  Decimal number;
  std::string_view rest;
  parse_number(text, number, rest, bad);
  std::uint64_t multiplier = 0;
  if (rest == "ns") {
    multiplier = 1;
  } else if (rest == "us" || rest == "\xC2\xB5s" /* µ U+00B5 */ || rest == "\xCE\xBCs" /* μ U+03BC */) {
    multiplier = 1'000;
  } else if (rest == "ms") {
    multiplier = 1'000'000;
  } else if (rest == "s") {
    multiplier = 1'000'000'000;
  } else {
    throw bad();
  }
  std::uint64_t ns = 0;
  if (!scale(number, multiplier, ns)) {
    throw UnitError(fmt::format("duration {} is too large (must fit in 64 bits of nanoseconds)",
                                quoted(text)));
  }
  return ns;
}

double parse_percent(std::string_view text) {
  Decimal number;
  std::string_view rest;
  const auto bad = [&] {
    return UnitError(
        fmt::format("expected a percentage like \"0.1%\" or \"0%\", got {}", quoted(text)));
  };
  parse_number(text, number, rest, bad);
  if (rest != "%") throw bad();
  // Exact comparison against 100: mantissa <= 100 * 10^fraction_digits.
  if (number.mantissa > 100 * pow10(number.fraction_digits)) {
    throw UnitError(fmt::format("percentage must be within 0%..100%, got {}", quoted(text)));
  }
  return static_cast<double>(number.mantissa) / static_cast<double>(pow10(number.fraction_digits)) /
         100.0;
}

std::string format_bandwidth(std::uint64_t bits_per_second) {
  static constexpr std::array<Scale, 5> kScales{{{1'000'000'000'000, "Tb/s"},
                                                 {1'000'000'000, "Gb/s"},
                                                 {1'000'000, "Mb/s"},
                                                 {1'000, "Kb/s"},
                                                 {1, "b/s"}}};
  return format_with(bits_per_second, kScales);
}

std::string format_duration(std::uint64_t nanoseconds) {
  if (nanoseconds == 0) return "0us";
  static constexpr std::array<Scale, 4> kScales{
      {{1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "us"}, {1, "ns"}}};
  return format_with(nanoseconds, kScales);
}

}  // namespace scalelab::model
