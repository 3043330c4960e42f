// Scenario JSON → Scenario, strictly: unknown keys, bad units, missing parameters and
// contradictory steps are errors that name the file and the JSON pointer.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "emulator/model/units.h"
#include "emulator/scenario/scenario.h"

namespace scalelab::scenario {
namespace {

const std::set<std::string> kActions = {"link_down", "link_up", "flap", "degrade", "restore", "partition", "heal",
                                        "nic_down", "nic_up", "kill", "stop", "cont", "straggler"};
const std::set<std::string> kExpectations = {"completes", "error_detected", "no_hang", "busbw_at_least", "busbw_at_most", "recovers"};

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}
  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const { throw ScenarioError(source_, pointer, message); }

  void only_keys(const nlohmann::json& object, const std::string& pointer, std::initializer_list<const char*> allowed) const {
    if (!object.is_object()) fail(pointer, "expected an object");
    for (const auto& item : object.items()) {  // no structured binding: clang 14 (fuzz/) cannot capture one
      const std::string& key = item.key();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }))
        fail(pointer + "/" + key, fmt::format("unknown key \"{}\"; allowed here: {}", key, fmt::join(allowed, ", ")));
    }
  }
  double seconds(const nlohmann::json& value, const std::string& pointer) const {
    if (!value.is_string()) fail(pointer, "expected a duration string like \"500ms\" or \"3s\"");
    try {
      return double(model::parse_duration_ns(value.get<std::string>())) / 1e9;
    } catch (const model::UnitError& e) {
      fail(pointer, e.what());
    }
  }
  std::string text(const nlohmann::json& value, const std::string& pointer) const {
    if (!value.is_string() || value.get<std::string>().empty()) fail(pointer, "expected a non-empty string");
    return value;
  }
  template <typename Check>
  std::string checked_unit(const nlohmann::json& value, const std::string& pointer, Check check) const {
    auto s = text(value, pointer);
    try {
      check(s);
    } catch (const model::UnitError& e) {
      fail(pointer, e.what());
    }
    return s;
  }
  double percent(const nlohmann::json& value, const std::string& pointer) const {
    if (value.is_number()) return value.get<double>();
    std::string s = checked_unit(value, pointer, [](const std::string& v) { model::parse_percent(v); });
    return model::parse_percent(s) * 100;
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

std::uint64_t parse_size(const Reader& r, const nlohmann::json& v, const std::string& pointer) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  std::string s = r.text(v, pointer);
  std::uint64_t mult = 1;
  char suffix = s.empty() ? 0 : s.back();
  if (suffix == 'K' || suffix == 'M' || suffix == 'G') {
    mult = suffix == 'K' ? 1ull << 10 : suffix == 'M' ? 1ull << 20 : 1ull << 30;
    s.pop_back();
  }
  try {
    std::size_t used = 0;
    auto n = std::stoull(s, &used);
    if (used == s.size() && n > 0) return n * mult;
  } catch (...) {
  }
  r.fail(pointer, "expected a size in bytes like 16M, 1G or 65536");
}

Workload parse_workload(const Reader& r, const nlohmann::json& j, const std::string& source) {
  const std::string p = "/workload";
  r.only_keys(j, p, {"collective", "size", "algo", "transport", "datatype", "timeout", "command", "job", "duration", "restart_on_failure",
                  "check"});
  Workload w;
  if (j.contains("job")) {
    if (j.contains("collective") || j.contains("command"))
      r.fail(p, "give one of \"collective\" (a bench loop), \"command\" (any program per rank) or \"job\" (a training job)");
    std::filesystem::path path = r.text(j["job"], p + "/job");
    if (path.is_relative()) path = std::filesystem::path(source).parent_path() / path;
    if (!std::filesystem::exists(path)) r.fail(p + "/job", "no job file at " + path.string() + " (jobs/ has llama-3d.json, moe-ep.json, tiny-3d.json)");
    w.job = path.lexically_normal().string();
    w.timeout_s = 10.0;  // a pipeline receive waits through the bubble
  }
  if (j.contains("command")) {
    if (j.contains("collective")) r.fail(p, "give either \"collective\" (a bench loop) or \"command\" (any program per rank), not both");
    if (!j["command"].is_array() || j["command"].empty()) r.fail(p + "/command", "expected a non-empty array of strings (argv)");
    for (std::size_t i = 0; i < j["command"].size(); ++i) w.command.push_back(r.text(j["command"][i], p + "/command/" + std::to_string(i)));
  }
  if (j.contains("collective")) {
    w.collective = r.text(j["collective"], p + "/collective");
    static const std::set<std::string> known = {"all_reduce", "all_gather", "reduce_scatter", "broadcast", "alltoall", "sendrecv"};
    if (!known.count(w.collective))
      r.fail(p + "/collective", "unknown collective \"" + w.collective + "\"; expected all_reduce, all_gather, reduce_scatter, broadcast, alltoall or sendrecv");
  }
  if (j.contains("size")) w.bytes = parse_size(r, j["size"], p + "/size");
  if (j.contains("algo")) w.algo = r.text(j["algo"], p + "/algo");
  if (j.contains("transport")) w.transport = r.text(j["transport"], p + "/transport");
  if (j.contains("datatype")) w.datatype = r.text(j["datatype"], p + "/datatype");
  if (j.contains("timeout")) w.timeout_s = r.seconds(j["timeout"], p + "/timeout");
  if (j.contains("duration")) w.duration_s = r.seconds(j["duration"], p + "/duration");
  if (j.contains("restart_on_failure")) {
    if (!j["restart_on_failure"].is_boolean()) r.fail(p + "/restart_on_failure", "expected true or false");
    w.restart_on_failure = j["restart_on_failure"];
  }
  if (j.contains("check")) {
    if (!j["check"].is_boolean()) r.fail(p + "/check", "expected true or false");
    if (!w.command.empty() || !w.job.empty()) r.fail(p + "/check", "checks a collective loop's output; a command or a job checks its own");
    w.check = j["check"];
  }
  if (w.duration_s <= 0) r.fail(p + "/duration", "must be > 0");
  if (!std::set<std::string>{"auto", "ring", "hier", "tree"}.count(w.algo))
    r.fail(p + "/algo", "expected auto, ring, hier or tree");
  if (!std::set<std::string>{"auto", "tcp", "verbs"}.count(w.transport)) r.fail(p + "/transport", "expected auto, tcp or verbs");
  return w;
}

std::vector<Step> parse_steps(const Reader& r, const nlohmann::json& steps) {
  if (!steps.is_array()) r.fail("/steps", "expected an array of steps");
  std::vector<Step> out;
  double previous = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& j = steps[i];
    const std::string p = "/steps/" + std::to_string(i);
    r.only_keys(j, p, {"at", "after", "action", "target", "sides", "rate", "delay", "jitter", "loss", "cpu", "period", "count",
                       "duration", "repeat", "comment"});
    Step s;
    s.json_pointer = p;
    s.index = static_cast<int>(i);
    if (j.contains("at") == j.contains("after")) r.fail(p, "give exactly one of \"at\" (from the start) or \"after\" (after the previous step)");
    s.at_s = j.contains("at") ? r.seconds(j["at"], p + "/at") : previous + r.seconds(j["after"], p + "/after");
    previous = s.at_s;
    if (!j.contains("action")) r.fail(p, "missing \"action\"");
    s.action = r.text(j["action"], p + "/action");
    if (!kActions.count(s.action))
      r.fail(p + "/action", fmt::format("unknown action \"{}\"; expected one of {}", s.action, fmt::join(kActions, ", ")));
    bool needs_target = s.action != "heal" && s.action != "partition";
    if (needs_target) {
      if (!j.contains("target")) r.fail(p, "action " + s.action + " needs a \"target\" (e.g. \"rail1:host0\", \"link:gpu0-leaf0\", \"rank:3\")");
      s.target = r.text(j["target"], p + "/target");
    } else if (j.contains("target")) {
      r.fail(p + "/target", s.action + " takes no target" + (s.action == "partition" ? "; name the two sides in \"sides\"" : ""));
    }
    if (s.action == "partition") {
      if (!j.contains("sides") || !j["sides"].is_array() || j["sides"].size() != 2)
        r.fail(p + "/sides", "partition needs \"sides\": two arrays of GPU selectors, e.g. [[\"host:0\"], [\"host:1\"]]");
      for (std::size_t k = 0; k < 2; ++k) {
        const auto& side = j["sides"][k];
        if (!side.is_array() || side.empty()) r.fail(p + "/sides/" + std::to_string(k), "expected a non-empty array of GPU selectors");
        std::vector<std::string> names;
        for (std::size_t m = 0; m < side.size(); ++m) names.push_back(r.text(side[m], p + "/sides/" + std::to_string(k) + "/" + std::to_string(m)));
        s.sides.push_back(names);
      }
    }
    auto bandwidth = [](const std::string& v) { model::parse_bandwidth_bps(v); };
    auto duration = [](const std::string& v) { model::parse_duration_ns(v); };
    auto ratio = [](const std::string& v) { model::parse_percent(v); };
    if (j.contains("rate")) s.rate = r.checked_unit(j["rate"], p + "/rate", bandwidth);
    if (j.contains("delay")) s.delay = r.checked_unit(j["delay"], p + "/delay", duration);
    if (j.contains("jitter")) s.jitter = r.checked_unit(j["jitter"], p + "/jitter", duration);
    if (j.contains("loss")) s.loss = r.checked_unit(j["loss"], p + "/loss", ratio);
    if (j.contains("cpu")) s.cpu_percent = r.percent(j["cpu"], p + "/cpu");
    if (j.contains("period")) s.period_s = r.seconds(j["period"], p + "/period");
    if (j.contains("count")) {
      if (!j["count"].is_number_integer() || j["count"].get<int>() < 1) r.fail(p + "/count", "expected an integer >= 1");
      s.count = j["count"];
    }
    if (j.contains("duration")) s.duration_s = r.seconds(j["duration"], p + "/duration");

    bool shaping = s.rate || s.delay || s.jitter || s.loss;
    if (s.action == "degrade" && !shaping) r.fail(p, "degrade needs at least one of \"rate\", \"delay\", \"jitter\", \"loss\"");
    if (s.action != "degrade" && shaping) r.fail(p, "rate/delay/jitter/loss belong to a degrade step, not " + s.action);
    if (s.action == "flap" && s.period_s <= 0) r.fail(p, "flap needs \"period\" (one down+up cycle, e.g. \"400ms\") and optionally \"count\"");
    if (s.action == "straggler" && (!s.cpu_percent || *s.cpu_percent <= 0 || *s.cpu_percent >= 100))
      r.fail(p + "/cpu", "straggler needs \"cpu\": the share of one core the rank keeps, between 0% and 100% exclusive, e.g. \"25%\"");

    std::vector<double> times = {s.at_s};
    if (j.contains("repeat")) {
      const auto& rep = j["repeat"];
      r.only_keys(rep, p + "/repeat", {"count", "every"});
      if (!rep.contains("count") || !rep["count"].is_number_integer() || rep["count"].get<int>() < 1)
        r.fail(p + "/repeat/count", "expected an integer >= 1");
      if (!rep.contains("every")) r.fail(p + "/repeat", "missing \"every\"");
      double every = r.seconds(rep["every"], p + "/repeat/every");
      if (every <= 0) r.fail(p + "/repeat/every", "must be > 0");
      for (int k = 1; k < rep["count"].get<int>(); ++k) times.push_back(s.at_s + k * every);
    }
    for (double t : times) {
      Step copy = s;
      copy.at_s = t;
      out.push_back(copy);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Step& a, const Step& b) { return a.at_s < b.at_s; });
  return out;
}

// Opposite actions on the same target at the same instant have no defined order.
void reject_contradictions(const Reader& r, const std::vector<Step>& steps) {
  static const std::map<std::string, std::string> opposite = {{"link_down", "link_up"}, {"nic_down", "nic_up"}, {"stop", "cont"},
                                                              {"partition", "heal"}, {"degrade", "restore"}};
  for (std::size_t i = 0; i < steps.size(); ++i)
    for (std::size_t k = i + 1; k < steps.size() && steps[k].at_s - steps[i].at_s < 1e-9; ++k)
      for (auto [a, b] : opposite)
        if (((steps[i].action == a && steps[k].action == b) || (steps[i].action == b && steps[k].action == a)) &&
            steps[i].target == steps[k].target)
          r.fail(steps[k].json_pointer, fmt::format("contradicts {}: {} and {} of \"{}\" at the same time ({:g} s)", steps[i].json_pointer,
                                                    steps[i].action, steps[k].action, steps[k].target, steps[k].at_s));
}

std::vector<Expectation> parse_expectations(const Reader& r, const nlohmann::json& expect, std::size_t step_count) {
  if (!expect.is_array() || expect.empty()) r.fail("/expect", "expected a non-empty array, e.g. [{\"completes\": {\"within\": \"60s\"}}]");
  std::vector<Expectation> out;
  for (std::size_t i = 0; i < expect.size(); ++i) {
    const std::string p = "/expect/" + std::to_string(i);
    if (!expect[i].is_object() || expect[i].size() != 1) r.fail(p, "expected an object with exactly one key: completes, error_detected, no_hang, busbw_at_least, busbw_at_most or recovers");
    auto [kind, params] = *expect[i].items().begin();
    Expectation e;
    e.kind = kind;
    e.json_pointer = p + "/" + kind;
    if (!kExpectations.count(kind)) r.fail(e.json_pointer, fmt::format("unknown expectation \"{}\"; expected one of {}", kind, fmt::join(kExpectations, ", ")));
    r.only_keys(params, e.json_pointer, {"within", "after_step", "by", "percent", "window"});
    if (params.contains("within")) e.within_s = r.seconds(params["within"], e.json_pointer + "/within");
    if (params.contains("window")) e.window_s = r.seconds(params["window"], e.json_pointer + "/window");
    if (params.contains("percent")) e.percent = r.percent(params["percent"], e.json_pointer + "/percent");
    if (params.contains("after_step")) {
      if (!params["after_step"].is_number_integer() || params["after_step"].get<int>() < 0 || params["after_step"].get<std::size_t>() >= step_count)
        r.fail(e.json_pointer + "/after_step", fmt::format("expected the index of a step in \"steps\" (0..{})", step_count == 0 ? 0 : step_count - 1));
      e.after_step = params["after_step"];
    }
    if (params.contains("by")) {
      if (params["by"].is_string()) e.by.push_back(params["by"]);
      else if (params["by"].is_array())
        for (std::size_t k = 0; k < params["by"].size(); ++k) e.by.push_back(r.text(params["by"][k], e.json_pointer + "/by/" + std::to_string(k)));
      else r.fail(e.json_pointer + "/by", "expected a rank selector or an array of them (\"all\", \"rank:3\", \"host:1\")");
    }
    if (e.by.empty()) e.by.push_back("all");
    bool needs_step = kind == "error_detected" || kind == "busbw_at_least" || kind == "busbw_at_most" || kind == "recovers";
    if (needs_step && !e.after_step) r.fail(e.json_pointer, kind + " needs \"after_step\": the index of the step it judges");
    if ((kind == "busbw_at_least" || kind == "busbw_at_most" || kind == "recovers") && !e.percent) r.fail(e.json_pointer, kind + " needs \"percent\" of the healthy baseline");
    if ((kind == "error_detected" || kind == "recovers") && !e.within_s) r.fail(e.json_pointer, kind + " needs \"within\"");
    out.push_back(e);
  }
  return out;
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& source) {
  Reader r(source);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number too large (found by fuzz/)
    r.fail("", std::string("not valid JSON: ") + e.what());
  }
  r.only_keys(j, "", {"name", "description", "topology", "seed", "convergence", "baseline", "workload", "steps", "expect"});
  Scenario s;
  s.source = source;
  s.name = j.contains("name") ? r.text(j["name"], "/name") : std::filesystem::path(source).stem().string();
  if (!j.contains("topology")) r.fail("", "missing \"topology\": a path to a topology file, or the topology itself inline");
  if (j["topology"].is_string()) {
    std::filesystem::path path = j["topology"].get<std::string>();
    if (path.is_relative()) path = std::filesystem::path(source).parent_path() / path;
    if (!std::filesystem::exists(path)) r.fail("/topology", "no topology file at " + path.string());
    s.topology_path = path.lexically_normal().string();
  } else if (j["topology"].is_object()) {
    s.topology_inline = j["topology"];
  } else {
    r.fail("/topology", "expected a path (string) or an inline topology (object)");
  }
  if (j.contains("seed")) {
    if (!j["seed"].is_number_unsigned()) r.fail("/seed", "expected a non-negative integer");
    s.seed = j["seed"];
  }
  if (j.contains("convergence")) s.convergence_s = r.seconds(j["convergence"], "/convergence");
  if (j.contains("baseline")) s.baseline_s = r.seconds(j["baseline"], "/baseline");
  s.workload = parse_workload(r, j.value("workload", nlohmann::json::object()), source);
  s.steps = parse_steps(r, j.value("steps", nlohmann::json::array()));
  reject_contradictions(r, s.steps);
  for (const auto& step : s.steps)
    if (step.at_s > s.workload.duration_s)
      r.fail(step.json_pointer, fmt::format("happens at {:g} s, after the workload ends ({:g} s); lengthen /workload/duration", step.at_s, s.workload.duration_s));
  if (!s.steps.empty() && s.steps.front().at_s < s.baseline_s && s.workload.command.empty())
    r.fail(s.steps.front().json_pointer, fmt::format("the first fault comes at {:g} s, inside the {:g} s healthy baseline; move it later or shorten \"baseline\"",
                                                     s.steps.front().at_s, s.baseline_s));
  std::size_t file_steps = j.value("steps", nlohmann::json::array()).size();
  s.expectations = parse_expectations(r, j.value("expect", nlohmann::json()), file_steps);
  return s;
}

Scenario load_scenario(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScenarioError(path, "", "cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path);
}

}  // namespace scalelab::scenario
