#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/runtime/live_cluster.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {

namespace {

// "; faults in force: link_down gpu0-leaf0" when `scalelab inject` (or a drill) left any: a
// workload that knows nothing of scalelab fails with a timeout or a reset, not with the link.
std::string faults_in_force(const std::string& cluster) {
  try {
    auto faults = runtime::LiveCluster::open(cluster).faults_in_force();
    if (faults.empty()) return "";
    return "; faults in force: " + fmt::format("{}", fmt::join(faults, ", "));
  } catch (const std::exception&) {
    return "";  // the cluster went away meanwhile: nothing to add to the rank's own failure
  }
}

}  // namespace

void add_run_command(CLI::App& app) {
  struct Options {
    std::string cluster;
    std::vector<std::string> command;
    double timeout_s = 0;
    bool quiet = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("run", "Run a command once per GPU, inside each GPU's namespace, torchrun-style: "
                                        "scalelab run CLUSTER -- CMD ARGS… ($RANK etc. expanded)");
  cmd->add_option("cluster", opts->cluster, "cluster name")->required();
  cmd->add_option("command", opts->command, "the command (after --)")->required();
  cmd->add_option("--timeout", opts->timeout_s, "end every rank after this many seconds (0 = no limit)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--quiet,-q", opts->quiet, "do not stream the ranks' output");
  cmd->callback([opts] {
    if (geteuid() != 0) fail("`run` enters network namespaces and needs root: run it with sudo, or add --rootless (a user namespace of your own)");
    RunOptions options;
    options.keep_output = false;
    options.on_line = [quiet = opts->quiet](int, const std::string& label, const std::string& line) {
      if (!quiet) fmt::print("[{}] {}\n", label, line);
    };
    std::optional<Job> job;
    try {
      job.emplace(Cluster::attach(opts->cluster).run(opts->command, std::move(options)));
    } catch (const NotFound& e) {
      fail(e.what());
    }
    std::optional<std::chrono::milliseconds> timeout;
    if (opts->timeout_s > 0) timeout = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(opts->timeout_s));
    const auto& result = job->wait(timeout);
    if (result.ok()) return;
    const std::size_t stopped = result.stopped_ranks().size();
    if (result.timed_out) fail(fmt::format("timed out after {} s; {} ranks were stopped", opts->timeout_s, stopped));
    const auto* first = result.first_failure();
    fail(fmt::format("{} exited with status {}; the other {} running ranks were stopped{}", first ? first->label : "a rank",
                     first ? first->status : -1, stopped, faults_in_force(opts->cluster)),
         first && first->status > 0 && first->status < 126 ? first->status : 1);
  });
}

}  // namespace scalelab::cli
