#pragma once
#include <cstddef>
#include <string>
#include <vector>
// Each verb registers itself on the root app; main() only wires them together.
namespace CLI {
class App;
}

namespace scalelab::cli {

void add_up_command(CLI::App& app);
void add_down_command(CLI::App& app);
void add_clean_command(CLI::App& app);
void add_status_command(CLI::App& app);
void add_exec_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_doctor_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_inject_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_run_scenario_command(CLI::App& app);
void add_model_command(CLI::App& app);
void add_graph_command(CLI::App& app);
void add_job_command(CLI::App& app);
void add_shard_command(CLI::App& app);
// `down --json`'s line for one cluster (cmd_down.cpp), which `shard down` prints too.
std::string down_json_line(const std::string& cluster, bool found, std::size_t namespaces_removed, std::size_t processes_stopped);
// `exec` within this machine only (cmd_exec.cpp), for `shard exec`.
[[noreturn]] void exec_here(const std::string& cluster, const std::string& node, const std::vector<std::string>& command);

}  // namespace scalelab::cli
