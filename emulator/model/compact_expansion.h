#pragma once
// Internal to emulator/model: expansion of the compact form ({"cluster": {...}}) into nodes and
// links, and the strict JSON reading helpers it shares with the parser (topology_parser.cpp).
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "emulator/model/topology.h"

namespace scalelab::model::detail {

// RFC 6901: appends one reference token ("~" → "~0", "/" → "~1").
std::string pointer_append(const std::string& pointer, std::string_view key);
std::string pointer_append(const std::string& pointer, std::size_t index);

// A short rendering of a JSON value for messages: "\"400G\"", "12", "{...}".
std::string describe(const nlohmann::json& value);

// Type-checked reads. Every failure is a TopologyError naming `source` and the pointer of the
// offending value, with a message saying what was expected.
class JsonReader {
 public:
  explicit JsonReader(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }

  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const;

  // `value` must be an object whose keys are all in `allowed`; an unknown key is an error at its
  // own pointer, naming the allowed keys.
  void require_object(const nlohmann::json& value, const std::string& pointer,
                      std::initializer_list<std::string_view> allowed) const;
  // The member `key` of `object`; a missing key is an error at pointer/key.
  const nlohmann::json& required(const nlohmann::json& object, const std::string& pointer,
                                 std::string_view key, std::string_view expected) const;
  // nullptr when absent.
  static const nlohmann::json* optional(const nlohmann::json& object, std::string_view key);

  std::string string(const nlohmann::json& value, const std::string& pointer) const;
  std::int64_t integer(const nlohmann::json& value, const std::string& pointer, std::int64_t min,
                       std::int64_t max) const;
  double number(const nlohmann::json& value, const std::string& pointer, double min) const;
  bool boolean(const nlohmann::json& value, const std::string& pointer) const;
  std::uint64_t bandwidth(const nlohmann::json& value, const std::string& pointer) const;
  std::uint64_t duration(const nlohmann::json& value, const std::string& pointer) const;
  double percent(const nlohmann::json& value, const std::string& pointer) const;
  std::uint32_t mtu(const nlohmann::json& value, const std::string& pointer) const;

  // Reads `bandwidth_key` (required) and the optional latency, jitter, loss and mtu members of
  // `object` (defaults 0us, 0us, 0%, 1500). The object's keys must already have been checked.
  LinkParams link_params(const nlohmann::json& object, const std::string& pointer,
                         std::string_view bandwidth_key) const;

 private:
  std::string source_;
};

inline constexpr std::size_t kMaxCompactGpus = 4096;
// Guards against a compact file that would expand to millions of leaf–spine links.
inline constexpr std::size_t kMaxCompactLinks = 65536;

// Expands the "cluster" object (found at "/cluster") into topology.nodes and topology.links:
// gpus gpu<i> first in rank order, then nvsw<d>, leaf<r>, spine<s>. Does not run the validation.
void expand_compact(const nlohmann::json& cluster, const JsonReader& reader, Topology& topology);

}  // namespace scalelab::model::detail
