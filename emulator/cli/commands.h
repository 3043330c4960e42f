#pragma once
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
// `exec` within this machine only (cmd_exec.cpp), for `shard exec`.
[[noreturn]] void exec_here(const std::string& cluster, const std::string& node, const std::vector<std::string>& command);

}  // namespace scalelab::cli
