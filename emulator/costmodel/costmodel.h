#pragma once
// An alpha-beta (latency–bandwidth, Hockney) model of the collectives `scalelab-agent` runs, on a
// Plan: what a collective should take on the cluster the topology file describes (real units) and
// on its emulation (emulated units: rates ÷ dilation, latencies × dilation, so every time is the
// real one × dilation). Pure: no kernel calls. The formulas are in docs/model.md.
//
// The model follows the agents' algorithms step by step (agents/collectives/algorithms.cpp):
//   all_reduce ring   one ring over all ranks in rank order: reduce-scatter then all-gather,
//                     2(n-1) steps of count/n elements, chunk-pipelined
//   all_reduce hier   reduce-scatter in each scale-up domain (ring), all-reduce across domains per
//                     "rail" (same index in every domain; ring), all-gather in each domain (ring)
//   all_reduce tree   hier with a binary tree per rail (member i under (i-1)/2): the chunks reduced
//                     up to the root and sent back down; one tree over the world without domains
//   all_gather, reduce_scatter   one ring over all ranks, n-1 steps of count/n elements
//   broadcast         pipelined chain root → root+1 → … → root-1
//   alltoall          pairwise exchange, n-1 steps: rank r sends block r+s, receives block r-s
//   sendrecv          every rank sends to rank+1 and receives from rank-1 at once
// Every message follows the path the emulated network gives it: the scale-up links inside a
// domain, otherwise the rail NICs, leaves and (across rails or leaves) the spines, with ECMP.
// Concurrent messages share the links they cross; a step runs at the rate of its most loaded link.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/model/topology.h"
#include "collectives/nccl_conventions.h"
#include "emulator/plan/plan.h"

namespace scalelab::costmodel {

using Collective = agent::Collective;  // the agents' collectives, as nccl-tests names them
enum class Algorithm { automatic, ring, hier, tree };  // all_reduce only; the others have one algorithm each
enum class Transport { ideal, tcp };             // tcp: payload per wire byte (mtu-52)/(mtu+14)
enum class Ecmp { spread, collide };             // spread: flows split evenly over equal-cost next hops;
                                                 // collide: every flow takes the first (worst hashing)

// Names as the agents and nccl-tests spell them ("all_reduce", "allreduce", "all_reduce_perf", …).
using agent::parse_collective;
std::optional<Algorithm> parse_algorithm(std::string_view text);  // "auto" | "ring" | "hier" | "tree"
std::optional<Transport> parse_transport(std::string_view text);  // "ideal" | "tcp"
std::optional<Ecmp> parse_ecmp(std::string_view text);            // "spread" | "collide"
std::string_view to_string(Collective c);
std::string_view to_string(Algorithm a);
std::string_view to_string(Transport t);
std::string_view to_string(Ecmp e);

using agent::bus_factor;  // nccl-tests' busbw factors

// The fraction of a link's rate that is TCP payload: (mtu-52)/(mtu+14) — 20 B IPv4, 20 B TCP and
// 12 B timestamp option per segment, 14 B Ethernet header counted by htb. 1 for Transport::ideal.
double transport_efficiency(Transport t, std::uint32_t mtu);

// "1M", "4K", "1.5G", "4096", "32MB" (K/M/G = powers of 1024, as nccl-tests' parsesize).
std::optional<std::uint64_t> parse_size(std::string_view text);
// nccl-tests -b/-e/-f/-i: min, then ×factor (factor > 1) or +step_bytes, while <= max.
std::vector<std::uint64_t> size_sweep(std::uint64_t min_bytes, std::uint64_t max_bytes, std::uint64_t factor,
                                      std::uint64_t step_bytes = 0);

struct Options {
  Transport transport = Transport::ideal;
  Ecmp ecmp = Ecmp::spread;
  std::uint64_t chunk_bytes = 1 << 20;  // the agents' pipeline chunk (--chunk); 0 = no pipelining
  std::uint32_t dtype_bytes = 4;        // float, the agents' default (-d)
  int root = 0;                         // broadcast root (-r)
};

// The most loaded link of a stage: where its rate comes from.
struct Bottleneck {
  std::string from, to;       // directed: "gpu7" → "leaf7"
  model::Tier tier = model::Tier::scale_out;
  std::string role;           // "nvlink", "nic", "uplink", "downlink", "fabric", "direct"
  double capacity_bps = 0;    // the link's rate (payload-equivalent is capacity × efficiency)
  double load = 0;            // messages crossing it at once (fractional under ECMP spread)
  int messages = 0;           // distinct messages crossing it
  std::string describe() const;  // "leaf7→spine0 uplink (scale_out, 800Gb/s shared by 2 messages)"
};

struct Stage {
  std::string name;             // "ring all-reduce", "domain reduce-scatter", "rail all-reduce", …
  int group_size = 0;           // ranks in each ring / chain / exchange
  int groups = 0;               // rings running at the same time
  int steps = 0;                // in all (a ring all-reduce: 2 phases of group_size-1 steps)
  std::uint64_t bytes_per_step = 0;  // per message
  int max_hops = 0;             // links on the longest path a step's message takes
  double latency_us = 0;        // alpha: the latency on the critical path (sum over dependent steps)
  double bandwidth_us = 0;      // beta: bytes through the bottleneck ÷ its share of the rate
  double time_us = 0;           // the stage's time (>= max(alpha-only, beta-only) terms)
  double rate_GBps = 0;         // per-message rate at the bottleneck (1e9 B/s)
  bool latency_bound = false;   // latency_us > bandwidth_us
  Bottleneck bottleneck;
};

struct Prediction {
  Collective collective = Collective::all_reduce;
  std::string algorithm;        // what runs: "ring", "hier", "chain", "pairwise", "direct"
  bool emulated = false;        // units: emulated (dilated) or real cluster
  double dilation = 1;
  int nranks = 0;
  std::uint64_t bytes = 0;      // nccl-tests' "size" column: max(send, recv) buffer bytes
  std::uint64_t count = 0;      // elements (nccl-tests' "count" column)
  double time_us = 0;
  double algbw_GBps = 0;        // nccl-tests algbw: bytes ÷ time, 1e9 B/s
  double busbw_GBps = 0;        // algbw × bus_factor
  std::vector<Stage> stages;    // in order; time_us is their sum
  int bottleneck_stage = -1;    // the stage taking the longest; -1 when nothing moves
  std::string bottleneck() const;  // "rail all-reduce: bandwidth-bound at gpu0→leaf0 nic (…)"
};

// Per tier: what one message between two GPUs sees, for the summary the CLI prints.
struct PathSummary {
  std::string kind;             // "same domain", "same leaf", "across leaves (spine)"
  std::string example_from, example_to;
  model::Tier tier = model::Tier::scale_up;
  int hops = 0;
  double latency_real_us = 0, latency_emulated_us = 0;
  double bandwidth_real_bps = 0, bandwidth_emulated_bps = 0;  // the slowest link of the path
};

// Routes and per-stage rates are computed once and cached, so a sweep costs little more than one
// size; the caches make a CostModel unsuitable for concurrent use from several threads.
// Throws std::invalid_argument when `algorithm` is hier but hierarchical all_reduce does not apply
// (the agents' rule: more than one domain, every rank in one, equal sizes > 1), and
// std::runtime_error when two ranks that must talk have no path on the tier they would use.
class CostModel {
 public:
  explicit CostModel(const plan::Plan& plan, Options options = {});
  ~CostModel();
  CostModel(CostModel&&) noexcept;
  CostModel& operator=(CostModel&&) noexcept;

  Prediction predict(Collective c, Algorithm a, std::uint64_t bytes, bool emulated) const;
  std::vector<Prediction> sweep(Collective c, Algorithm a, std::uint64_t min_bytes, std::uint64_t max_bytes,
                                std::uint64_t factor, bool emulated, std::uint64_t step_bytes = 0) const;
  // auto → hier or ring by the agents' rule; other collectives ignore the algorithm.
  Algorithm resolve(Collective c, Algorithm a) const;
  bool hier_applicable() const;
  std::vector<PathSummary> paths() const;  // from rank 0: one per kind of path (tier, hops) it has
  int nranks() const;
  double dilation() const;
  const Options& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot forms of CostModel::predict / sweep.
Prediction predict(const plan::Plan& plan, Collective c, Algorithm a, std::uint64_t bytes, bool emulated,
                   const Options& options = {});
std::vector<Prediction> sweep(const plan::Plan& plan, Collective c, Algorithm a, std::uint64_t min_bytes,
                              std::uint64_t max_bytes, std::uint64_t factor, bool emulated,
                              const Options& options = {}, std::uint64_t step_bytes = 0);

// For `bench --compare-model`: the busbw (GB/s, emulated units, as the agents measure it) the model
// predicts. `collective` and `algorithm` as the agents spell them ("all_reduce", "auto"); throws
// std::invalid_argument on an unknown name.
double predicted_emulated_busbw(const plan::Plan& plan, std::string_view collective, std::string_view algorithm,
                                std::uint64_t bytes, const Options& options = {});
// The whole prediction (its stages too), emulated units, names as above.
Prediction predict_emulated(const plan::Plan& plan, std::string_view collective, std::string_view algorithm,
                            std::uint64_t bytes, const Options& options = {});

}  // namespace scalelab::costmodel
