#include "emulator/shard/rank_stream.h"

namespace scalelab::shard {
namespace {

// Rank output is whatever the workload printed: invalid UTF-8 is replaced, not fatal.
std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

struct Encoder {
  std::string operator()(const RankLine& l) const { return dump({{"rank", l.rank}, {"label", l.label}, {"line", l.line}}); }
  std::string operator()(const Heartbeat&) const { return R"({"alive":true})"; }
  std::string operator()(const MachineDone& d) const {
    nlohmann::json ranks = nlohmann::json::array();
    for (const auto& r : d.ranks)
      ranks.push_back({{"rank", r.rank}, {"node", r.node}, {"label", r.label}, {"status", r.status}, {"stopped", r.stopped}});
    return dump({{"done", {{"ranks", ranks}, {"timed_out", d.timed_out}, {"operator_gone", d.operator_gone}, {"netem", d.netem}}},
                 {"collected", d.collected ? *d.collected : nlohmann::json(nullptr)},
                 {"faults_in_force", d.faults_in_force}});
  }
};

}  // namespace

std::string encode(const StreamMessage& message) { return std::visit(Encoder{}, message); }

std::optional<StreamMessage> decode(const std::string& line) {
  if (line.empty() || line.front() != '{') return std::nullopt;
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    if (j.contains("alive")) return Heartbeat{};
    if (j.contains("rank") && j.contains("line"))
      return RankLine{j.at("rank").get<int>(), j.value("label", ""), j.at("line").get<std::string>()};
    if (j.contains("done")) {
      MachineDone d;
      const auto& done = j.at("done");
      for (const auto& r : done.at("ranks"))
        d.ranks.push_back({r.at("rank").get<int>(), r.value("node", ""), r.value("label", ""), r.value("status", -1), r.value("stopped", false)});
      d.timed_out = done.value("timed_out", false);
      d.operator_gone = done.value("operator_gone", false);
      d.netem = done.value("netem", false);
      if (j.contains("collected") && !j["collected"].is_null()) d.collected = j["collected"];
      for (const auto& f : j.value("faults_in_force", nlohmann::json::array())) d.faults_in_force.push_back(f.get<std::string>());
      return d;
    }
  } catch (const nlohmann::json::exception&) {
    // A line shaped like ours but not ours: pass it on as text.
  }
  return std::nullopt;
}

}  // namespace scalelab::shard
