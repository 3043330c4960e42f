// Cluster::bench: scalelab-agent once per GPU, as `scalelab bench` runs it; rank 0's JSON rows
// come back as structs.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfcn.h>

#include <atomic>
#include <filesystem>
#include <cstdlib>
#include <fstream>

#include "emulator/api/job_impl.h"
#include "emulator/api/translate.h"
#include "emulator/process/agent_binary.h"
#include "scalelab/cluster.h"

namespace scalelab {
namespace {

// process::agent_binary() looks beside the running executable, which for a program using the
// library is that program. Next: the agent installed with this library, <libdir>/../bin, found
// from where the library itself was loaded (so any prefix and an unpacked .deb work); then PATH.
std::string agent_path() {
  auto found = process::agent_binary();
  if (found.find('/') != std::string::npos) return found;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&agent_path), &info) && info.dli_fname) {
    auto candidate = std::filesystem::path(info.dli_fname).parent_path().parent_path() / "bin" / "scalelab-agent";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return found;
}

BenchRow row_from(const nlohmann::json& j) {
  BenchRow r;
  r.size = j.value("size", std::uint64_t{0});
  r.count = j.value("count", std::uint64_t{0});
  r.type = j.value("type", "");
  r.redop = j.value("redop", "");
  r.time_us = j.value("time_us", 0.0);
  r.algbw_GBps = j.value("algbw_GBps", 0.0);
  r.busbw_GBps = j.value("busbw_GBps", 0.0);
  r.inplace_time_us = j.value("inplace_time_us", 0.0);
  r.inplace_busbw_GBps = j.value("inplace_busbw_GBps", 0.0);
  r.projected_busbw_GBps = j.value("projected_busbw_GBps", 0.0);
  if (j.contains("wrong") && j["wrong"].is_number()) r.wrong = j["wrong"].get<std::int64_t>();
  return r;
}

}  // namespace

BenchResult Cluster::bench(const BenchOptions& options) const {
  api::require_root("bench", "enters network namespaces");
  const auto cluster = api::open_cluster(name(), " (scalelab up FILE first)");

  static std::atomic<int> counter{0};
  const bool keep_json = !options.json_path.empty();
  const std::string json_path = keep_json ? options.json_path : cluster.dir.path(fmt::format("bench-api-{}-{}.json", getpid(), counter++));
  std::vector<std::string> agent_args = {agent_path(), options.collective};
  agent_args.insert(agent_args.end(), options.args.begin(), options.args.end());
  agent_args.insert(agent_args.end(), {"--json", json_path});

  RunOptions run_options;
  run_options.on_line = options.on_line;
  auto job = Job::Impl::launch_ranks(cluster, [&](const auto&) { return agent_args; }, std::move(run_options));
  const auto& result = job.wait(options.timeout);
  struct Remove {
    std::string path;
    ~Remove() {
      if (!path.empty()) std::remove(path.c_str());
    }
  } remove_json{keep_json ? "" : json_path};
  if (result.timed_out) throw BenchError(fmt::format("bench did not finish within {} s; every rank was stopped", options.timeout.count()), result);
  if (!result.ok()) {
    const auto* first = result.first_failure();
    throw BenchError(fmt::format("{} failed (exit {}); the other ranks were stopped", first ? first->label : "a rank", first ? first->status : -1), result);
  }
  std::ifstream in(json_path);
  if (!in) throw Error("rank 0 wrote no results to " + json_path);
  auto run = nlohmann::json::parse(in);
  BenchResult out;
  out.collective = options.collective;
  out.algo = run.value("algo", "");
  auto transport = run.value("transport", nlohmann::json::object());
  out.transport_scale_up = transport.value("scale_up", "");
  out.transport_scale_out = transport.value("scale_out", "");
  for (const auto& row : run.value("rows", nlohmann::json::array())) out.rows.push_back(row_from(row));
  out.avg_busbw_GBps = run.value("avg_busbw_GBps", 0.0);
  out.projected_avg_busbw_GBps = run.value("projected_avg_busbw_GBps", 0.0);
  out.output = result.ranks.at(0).output;
  return out;
}

}  // namespace scalelab
