#pragma once
// Helpers of the parser targets. A rejection must be the parser's own error type; any other exception
// escapes and libFuzzer reports it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// f()'s result, or nullopt when f throws `Error`.
template <typename Error, typename F>
auto unless_rejected(F f) -> std::optional<decltype(f())> {
  try {
    return f();
  } catch (const Error&) {
    return std::nullopt;
  }
}

// The input as text, parsed by `parse`; nullopt when rejected with `Error`, or when it is larger than
// any input file worth fuzzing.
template <typename Error, typename Parse>
auto parse_text(const uint8_t* data, size_t size, Parse parse) -> std::optional<decltype(parse(std::string()))> {
  if (size > (64 << 10)) return std::nullopt;
  return unless_rejected<Error>([&] { return parse(std::string(reinterpret_cast<const char*>(data), size)); });
}
