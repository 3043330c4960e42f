#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <stdexcept>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/job_prediction.h"
#include "emulator/job/job_spec.h"
#include "emulator/costmodel/costmodel.h"
#include "emulator/costmodel/report.h"
#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::cli {

void add_model_command(CLI::App& app) {
  struct Options {
    std::string file, collective, algo = "auto", minbytes = "1K", maxbytes = "1G", stepbytes = "1M", chunk = "1M";
    std::string transport = "ideal", ecmp = "spread", dtype = "float", job;
    std::uint64_t factor = 4;
    int root = 0;
    double dilation = 0;
    bool emulated = false, json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "model", "Predict what a collective takes on a topology (alpha-beta model of the agents' algorithms), for the "
               "real cluster and its emulation; touches nothing");
  cmd->add_option("topology", opts->file, "topology JSON")->required()->check(CLI::ExistingFile);
  cmd->add_option("collective", opts->collective, "all_reduce all_gather reduce_scatter broadcast alltoall sendrecv");
  cmd->add_option("--job", opts->job, "predict a job's step instead (jobs/*.json): step time, exposed communication, per phase")
      ->check(CLI::ExistingFile);
  cmd->add_option("-b,--minbytes", opts->minbytes, "smallest size (nccl-tests -b)")->capture_default_str();
  cmd->add_option("-e,--maxbytes", opts->maxbytes, "largest size (nccl-tests -e)")->capture_default_str();
  cmd->add_option("-f,--stepfactor", opts->factor, "multiply the size by this (nccl-tests -f; 1 = use -i)")
      ->capture_default_str();
  cmd->add_option("-i,--stepbytes", opts->stepbytes, "add this to the size when -f is 1 (nccl-tests -i)")
      ->capture_default_str();
  cmd->add_option("--algo", opts->algo, "all_reduce algorithm: ring | hier | tree | auto (as the agents choose)")
      ->check(CLI::IsMember({"ring", "hier", "tree", "auto"}))
      ->capture_default_str();
  cmd->add_option("-d,--datatype", opts->dtype, "float | half | bfloat16 | int32 (element size)")
      ->check(CLI::IsMember({"float", "half", "bfloat16", "int32"}))
      ->capture_default_str();
  cmd->add_option("-r,--root", opts->root, "broadcast root")->capture_default_str();
  cmd->add_option("--chunk", opts->chunk, "the agents' pipeline chunk (--chunk of scalelab-agent); 0 = none")
      ->capture_default_str();
  cmd->add_option("--transport", opts->transport,
                  "ideal: links carry payload at their rate; tcp: payload = rate × (mtu-52)/(mtu+14)")
      ->check(CLI::IsMember({"ideal", "tcp"}))
      ->capture_default_str();
  cmd->add_option("--ecmp", opts->ecmp,
                  "spread: flows split evenly over equal-cost spines; collide: all take the first (worst hashing)")
      ->check(CLI::IsMember({"spread", "collide"}))
      ->capture_default_str();
  cmd->add_option("--dilation", opts->dilation, "override the file's dilation")->check(CLI::Range(1.0, 1e12));
  cmd->add_flag("--emulated", opts->emulated,
                "only the emulated columns, laid out as `bench` prints a live run (compare line by line)");
  cmd->add_flag("--json", opts->json, "everything as JSON: both unit systems, stages and bottlenecks per size");
  cmd->callback([opts] {
    if (!opts->job.empty()) {
      const auto spec = job::load_job(opts->job);
      const auto plan = plan::build_plan(model::load_topology(opts->file), opts->dilation);
      costmodel::Options mo;
      mo.transport = *costmodel::parse_transport(opts->transport);
      mo.ecmp = *costmodel::parse_ecmp(opts->ecmp);
      print_job_prediction(plan, spec, job::make_layout(spec.parallel, plan::gpu_domains(plan), spec.source), mo);
      return;
    }
    if (opts->collective.empty()) fail("name a collective (all_reduce …) or give --job FILE");
    const auto collective = costmodel::parse_collective(opts->collective);
    if (!collective)
      fail(fmt::format("unknown collective \"{}\" (all_reduce all_gather reduce_scatter broadcast alltoall sendrecv)",
                       opts->collective));
    auto size = [](const std::string& text, const char* flag) {
      auto v = costmodel::parse_size(text);
      if (!v) fail(fmt::format("{}: expected a size like 1K, 32M, 1G or 4096, got \"{}\"", flag, text));
      return *v;
    };
    costmodel::Options mo;
    mo.transport = *costmodel::parse_transport(opts->transport);
    mo.ecmp = *costmodel::parse_ecmp(opts->ecmp);
    mo.chunk_bytes = size(opts->chunk, "--chunk");
    mo.dtype_bytes = opts->dtype == "float" || opts->dtype == "int32" ? 4 : 2;
    mo.root = opts->root;
    const std::uint64_t minbytes = size(opts->minbytes, "-b"), maxbytes = size(opts->maxbytes, "-e");
    const std::uint64_t stepbytes = size(opts->stepbytes, "-i");
    if (minbytes > maxbytes) fail(fmt::format("-b ({} bytes) is larger than -e ({} bytes)", minbytes, maxbytes));
    if (opts->factor <= 1 && stepbytes == 0) fail("-f 1 needs -i > 0");
    const auto sizes = costmodel::size_sweep(minbytes, maxbytes, opts->factor, stepbytes);
    if (sizes.size() > 10000) fail(fmt::format("{} sizes; narrow -b/-e or raise -f/-i", sizes.size()));

    const auto topology = model::load_topology(opts->file);
    const auto plan = plan::build_plan(topology, opts->dilation);
    const costmodel::CostModel model(plan, mo);
    if (mo.root < 0 || mo.root >= model.nranks()) fail(fmt::format("root {} out of range 0..{}", mo.root, model.nranks() - 1));
    costmodel::Report report;
    try {
      report = costmodel::make_report(plan, model, *collective, *costmodel::parse_algorithm(opts->algo), sizes);
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    }
    if (opts->json)
      fmt::print("{}\n", costmodel::report_json(report).dump(2));
    else
      fmt::print("{}", costmodel::report_text(report, opts->emulated));
  });
}

}  // namespace scalelab::cli
