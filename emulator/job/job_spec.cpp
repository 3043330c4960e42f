// parse_job / load_job: strict, so a typo ("tp_byte", "4MB/s") is an error naming the file, the
// JSON pointer and the fix, never a silently different job.
#include "emulator/job/job_spec.h"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator/model/units.h"

namespace scalelab::job {
namespace {

using nlohmann::json;

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}
  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const {
    throw JobError(source_, pointer.empty() ? "/" : pointer, message);
  }
  // Every key of `obj` must be in `allowed`: a misspelt key is an error, not ignored.
  void only_keys(const json& obj, const std::string& pointer, const std::set<std::string>& allowed) const {
    if (!obj.is_object()) fail(pointer, fmt::format("expected an object, got {}", obj.type_name()));
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (!allowed.count(it.key())) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(pointer + "/" + it.key(), fmt::format("unknown key \"{}\"; expected one of: {}", it.key(), list));
      }
  }
  int positive_int(const json& v, const std::string& pointer, int max = 1 << 20) const {
    if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > max)
      fail(pointer, fmt::format("expected an integer from 1 to {}, got {}", max, v.dump()));
    return v.get<int>();
  }
  std::uint64_t bytes(const json& v, const std::string& pointer, bool allow_zero = true) const {
    if (v.is_number_unsigned() || (v.is_number_integer() && v.get<long long>() >= 0)) {
      auto b = v.get<std::uint64_t>();
      if (b == 0 && !allow_zero) fail(pointer, "expected a size > 0");
      return b;
    }
    if (!v.is_string()) fail(pointer, fmt::format("expected a size like \"4MiB\", \"512KiB\" or 4096, got {}", v.dump()));
    const std::string s = v.get<std::string>();
    std::size_t pos = 0;
    double x = 0;
    try {
      x = std::stod(s, &pos);
    } catch (...) {
      fail(pointer, fmt::format("expected a size like \"4MiB\", \"512KiB\" or 4096, got \"{}\"", s));
    }
    const std::string unit = s.substr(pos);
    double scale = 0;
    if (unit == "" || unit == "B") scale = 1;
    else if (unit == "K" || unit == "KiB" || unit == "KB") scale = 1024.0;
    else if (unit == "M" || unit == "MiB" || unit == "MB") scale = 1024.0 * 1024;
    else if (unit == "G" || unit == "GiB" || unit == "GB") scale = 1024.0 * 1024 * 1024;
    if (scale == 0 || !(x >= 0) || !std::isfinite(x))
      fail(pointer, fmt::format("expected a size like \"4MiB\", \"512KiB\" or 4096 (K/M/G are powers of 1024), got \"{}\"", s));
    const double b = std::round(x * scale);
    if (b > 64.0 * 1024 * 1024 * 1024) fail(pointer, fmt::format("{} is more than 64GiB; sizes here are per message", s));
    if (b == 0 && !allow_zero) fail(pointer, "expected a size > 0");
    return static_cast<std::uint64_t>(b);
  }
  std::uint64_t duration(const json& v, const std::string& pointer) const {
    if (!v.is_string()) fail(pointer, fmt::format("expected a duration like \"200us\" or \"1.5ms\", got {}", v.dump()));
    try {
      return model::parse_duration_ns(v.get<std::string>());
    } catch (const model::UnitError& e) {
      fail(pointer, e.what());
    }
  }

 private:
  std::string source_;
};

std::vector<GroupKind> parse_order(const Reader& r, const json& v, const std::string& pointer) {
  const std::string text = v.is_string() ? v.get<std::string>() : "";
  std::vector<GroupKind> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, '-')) {
    if (part == "tp") out.push_back(GroupKind::tp);
    else if (part == "dp") out.push_back(GroupKind::dp);
    else if (part == "pp") out.push_back(GroupKind::pp);
    else out.clear(), part = "?";
    if (part == "?") break;
  }
  std::set<GroupKind> seen(out.begin(), out.end());
  if (out.size() != 3 || seen.size() != 3)
    r.fail(pointer, fmt::format("expected a permutation of tp, dp and pp innermost first, like \"tp-dp-pp\" (Megatron-LM's "
                                "default), got {}", v.dump()));
  return out;
}

Parallel parse_parallel(const Reader& r, const json& p, const std::string& ptr) {
  r.only_keys(p, ptr, {"tp", "pp", "dp", "ep", "order"});
  Parallel out;
  if (p.contains("tp")) out.tp = r.positive_int(p["tp"], ptr + "/tp", 4096);
  if (p.contains("pp")) out.pp = r.positive_int(p["pp"], ptr + "/pp", 4096);
  if (p.contains("ep")) out.ep = r.positive_int(p["ep"], ptr + "/ep", 4096);
  if (p.contains("dp")) {
    if (p["dp"].is_string() && p["dp"] == "auto") out.dp = 0;
    else if (p["dp"].is_string()) r.fail(ptr + "/dp", fmt::format("expected an integer or \"auto\", got {}", p["dp"].dump()));
    else out.dp = r.positive_int(p["dp"], ptr + "/dp", 1 << 16);
  }
  if (p.contains("order")) out.order = parse_order(r, p["order"], ptr + "/order");
  if (out.dp > 0 && out.dp % out.ep != 0)
    r.fail(ptr + "/ep", fmt::format("ep {} must divide dp {}: expert parallelism splits the data-parallel ranks "
                                    "(as in Megatron-LM); pick an ep that divides dp", out.ep, out.dp));
  return out;
}

MoeSpec parse_moe(const Reader& r, const json& m, const std::string& ptr) {
  r.only_keys(m, ptr, {"experts_per_rank", "tokens", "token_bytes", "top_k", "skew", "seed", "compute"});
  MoeSpec out;
  for (const char* required : {"tokens", "token_bytes"})
    if (!m.contains(required)) r.fail(ptr, fmt::format("missing \"{}\" (tokens per rank per micro-batch, and one token's hidden state in bytes)", required));
  if (m.contains("experts_per_rank")) out.experts_per_rank = r.positive_int(m["experts_per_rank"], ptr + "/experts_per_rank", 1024);
  out.tokens = r.positive_int(m["tokens"], ptr + "/tokens", 1 << 24);
  out.token_bytes = r.bytes(m["token_bytes"], ptr + "/token_bytes", false);
  if (m.contains("top_k")) out.top_k = r.positive_int(m["top_k"], ptr + "/top_k", 64);
  if (m.contains("skew")) {
    if (!m["skew"].is_number() || m["skew"].get<double>() < 0 || m["skew"].get<double>() > 8)
      r.fail(ptr + "/skew", fmt::format("expected the Zipf exponent of expert popularity, a number from 0 (uniform) to 8, got {}", m["skew"].dump()));
    out.skew = m["skew"].get<double>();
  }
  if (m.contains("seed")) {
    if (!m["seed"].is_number_unsigned()) r.fail(ptr + "/seed", fmt::format("expected a non-negative integer, got {}", m["seed"].dump()));
    out.seed = m["seed"].get<std::uint64_t>();
  }
  if (m.contains("compute")) out.expert_ns = r.duration(m["compute"], ptr + "/compute");
  return out;
}

InferenceSpec parse_inference(const Reader& r, const json& j, const std::string& ptr) {
  r.only_keys(j, ptr, {"requests", "rate", "prefill", "kv_bytes", "block_bytes", "decode"});
  InferenceSpec out;
  if (j.contains("requests")) out.requests = r.positive_int(j["requests"], ptr + "/requests", 1 << 20);
  if (j.contains("rate")) {
    if (!j["rate"].is_number() || j["rate"].get<double>() < 0)
      r.fail(ptr + "/rate", fmt::format("expected requests per second (a number >= 0; 0 = back to back), got {}", j["rate"].dump()));
    out.rate = j["rate"].get<double>();
  }
  if (!j.contains("kv_bytes")) r.fail(ptr, "missing \"kv_bytes\": one request's KV cache per rank, sent from prefill to decode");
  out.kv_bytes = r.bytes(j["kv_bytes"], ptr + "/kv_bytes", false);
  if (j.contains("block_bytes")) out.block_bytes = r.bytes(j["block_bytes"], ptr + "/block_bytes");
  if (j.contains("prefill")) {
    const auto& p = j["prefill"];
    r.only_keys(p, ptr + "/prefill", {"compute", "tp_bytes"});
    if (p.contains("compute")) out.prefill_ns = r.duration(p["compute"], ptr + "/prefill/compute");
    if (p.contains("tp_bytes")) out.prefill_tp_bytes = r.bytes(p["tp_bytes"], ptr + "/prefill/tp_bytes");
  }
  if (j.contains("decode")) {
    const auto& d = j["decode"];
    r.only_keys(d, ptr + "/decode", {"tokens", "compute", "tp_bytes"});
    if (d.contains("tokens")) out.tokens = r.positive_int(d["tokens"], ptr + "/decode/tokens", 1 << 16);
    if (d.contains("compute")) out.token_ns = r.duration(d["compute"], ptr + "/decode/compute");
    if (d.contains("tp_bytes")) out.token_tp_bytes = r.bytes(d["tp_bytes"], ptr + "/decode/tp_bytes");
  }
  return out;
}

}  // namespace

const char* group_kind_name(GroupKind k) {
  switch (k) {
    case GroupKind::tp: return "tp";
    case GroupKind::pp: return "pp";
    case GroupKind::dp: return "dp";
    case GroupKind::ep: return "ep";
  }
  return "?";
}

JobSpec parse_job(const std::string& text, const std::string& source) {
  const Reader r(source);
  json j;
  try {
    j = json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number too large (found by fuzz/)
    r.fail("", fmt::format("not valid JSON ({}); a job file is one JSON object, // comments allowed", e.what()));
  }
  r.only_keys(j, "", {"name", "parallel", "dtype", "layers_per_stage", "micro_batches", "layer", "pipeline", "gradients",
                      "optimizer", "moe", "inference"});
  JobSpec s;
  s.source = source;
  if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
    r.fail("/name", "missing: give the job a name, e.g. \"name\": \"llama-3d\"");
  s.name = j["name"];
  if (!j.contains("parallel")) r.fail("/parallel", "missing: say how the ranks split, e.g. {\"tp\": 4, \"pp\": 2, \"dp\": \"auto\"}");
  s.parallel = parse_parallel(r, j["parallel"], "/parallel");
  if (j.contains("dtype")) {
    static const std::set<std::string> dtypes = {"float32", "float16", "bfloat16"};
    if (!j["dtype"].is_string() || !dtypes.count(j["dtype"].get<std::string>()))
      r.fail("/dtype", fmt::format("expected \"float32\", \"float16\" or \"bfloat16\", got {}", j["dtype"].dump()));
    s.dtype = j["dtype"];
  }
  if (j.contains("layers_per_stage")) s.layers_per_stage = r.positive_int(j["layers_per_stage"], "/layers_per_stage", 1024);
  if (j.contains("micro_batches")) s.micro_batches = r.positive_int(j["micro_batches"], "/micro_batches", 4096);
  if (j.contains("layer")) {
    const auto& l = j["layer"];
    r.only_keys(l, "/layer", {"tp_bytes", "tp_mode", "forward", "backward"});
    if (l.contains("tp_bytes")) s.layer.tp_bytes = r.bytes(l["tp_bytes"], "/layer/tp_bytes");
    if (l.contains("tp_mode")) {
      if (l["tp_mode"] == "all_reduce") s.layer.tp_mode = TpMode::all_reduce;
      else if (l["tp_mode"] == "sequence") s.layer.tp_mode = TpMode::sequence;
      else r.fail("/layer/tp_mode", fmt::format("expected \"all_reduce\" (Megatron's TP) or \"sequence\" (sequence parallel: "
                                                "all_gather + reduce_scatter), got {}", l["tp_mode"].dump()));
    }
    if (l.contains("forward")) s.layer.forward_ns = r.duration(l["forward"], "/layer/forward");
    if (l.contains("backward")) s.layer.backward_ns = r.duration(l["backward"], "/layer/backward");
  }
  if (j.contains("pipeline")) {
    r.only_keys(j["pipeline"], "/pipeline", {"activation_bytes"});
    if (j["pipeline"].contains("activation_bytes")) s.activation_bytes = r.bytes(j["pipeline"]["activation_bytes"], "/pipeline/activation_bytes");
  }
  if (j.contains("gradients")) {
    const auto& g = j["gradients"];
    r.only_keys(g, "/gradients", {"bytes", "buckets", "overlap"});
    if (g.contains("bytes")) s.gradient_bytes = r.bytes(g["bytes"], "/gradients/bytes");
    if (g.contains("buckets")) s.buckets = r.positive_int(g["buckets"], "/gradients/buckets", 1024);
    if (g.contains("overlap")) {
      if (!g["overlap"].is_boolean()) r.fail("/gradients/overlap", fmt::format("expected true or false, got {}", g["overlap"].dump()));
      s.overlap = g["overlap"];
    }
  }
  if (j.contains("optimizer")) s.optimizer_ns = r.duration(j["optimizer"], "/optimizer");
  if (j.contains("moe")) s.moe = parse_moe(r, j["moe"], "/moe");
  if (j.contains("inference")) {
    s.inference = parse_inference(r, j["inference"], "/inference");
    if (s.parallel.pp != 2)
      r.fail("/parallel/pp", "an inference job needs \"pp\": 2: stage 0 serves prefill, stage 1 decode");
    if (s.moe) r.fail("/moe", "an inference job here has no MoE layers; drop \"moe\" or \"inference\"");
    for (const char* training : {"micro_batches", "pipeline", "gradients", "layer", "optimizer"})
      if (j.contains(training))
        r.fail(std::string("/") + training, fmt::format("\"{}\" describes training; an inference job takes its work from \"inference\"", training));
    return s;
  }
  if (s.moe && s.parallel.ep == 1)
    r.fail("/parallel/ep", "a job with \"moe\" needs \"ep\" > 1 in \"parallel\" (the ranks its experts are spread over)");
  if (s.parallel.pp > 1 && s.activation_bytes == 0)
    r.fail("/pipeline/activation_bytes", "pp > 1 needs the activation each stage sends on per micro-batch, e.g. \"pipeline\": {\"activation_bytes\": \"4MiB\"}");
  return s;
}

JobSpec load_job(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw JobError(path, "/", "cannot read the file (does it exist? jobs/ has llama-3d.json and moe-ep.json)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_job(ss.str(), path);
}

}  // namespace scalelab::job
