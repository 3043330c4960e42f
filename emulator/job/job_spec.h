#pragma once
// A job file: the parallel layout of one training job (tp, pp, dp, ep as Megatron-LM lays them out)
// and what one step of it does on the fabric. Sizes and compute times are those of the real
// cluster; the agents divide rates and multiply times by the cluster's dilation, as the plan does.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "emulator/model/input_error.h"

namespace scalelab::job {

enum class GroupKind { tp, pp, dp, ep };
inline constexpr GroupKind kGroupKinds[] = {GroupKind::tp, GroupKind::pp, GroupKind::dp, GroupKind::ep};
const char* group_kind_name(GroupKind k);  // "tp" …

// file: /json/pointer: message (what was expected, and the fix), as topology errors are.
class JobError : public model::InputError {
 public:
  using InputError::InputError;
};

struct Parallel {
  int tp = 1, pp = 1, dp = 0, ep = 1;  // dp 0 = "auto": world / (tp × pp)
  // Dense dimensions, innermost (fastest-varying rank) first, as Megatron-LM's RankGenerator
  // order "tp-dp-pp". EP always splits the DP dimension (its innermost part), as Megatron does.
  std::vector<GroupKind> order = {GroupKind::tp, GroupKind::dp, GroupKind::pp};
};

// How tensor parallelism talks per layer: plain Megatron (an all_reduce after attention and one
// after the MLP, forward and backward) or sequence parallel (all_gather before, reduce_scatter
// after each of them).
enum class TpMode { all_reduce, sequence };

struct LayerSpec {
  std::uint64_t tp_bytes = 0;          // per TP collective (the activation of one micro-batch)
  TpMode tp_mode = TpMode::all_reduce;
  std::uint64_t forward_ns = 0;        // compute of one layer's forward for one micro-batch
  std::uint64_t backward_ns = 0;       // its backward
};

struct MoeSpec {
  int experts_per_rank = 1;
  std::uint64_t tokens = 0;       // tokens per rank per micro-batch
  std::uint64_t token_bytes = 0;  // one token's hidden state
  int top_k = 1;
  double skew = 0;                // Zipf exponent of the experts' popularity (0 = uniform)
  std::uint64_t seed = 1;
  std::uint64_t expert_ns = 0;    // compute of the experts per micro-batch, forward (backward: twice)
};

// Inference with prefill/decode disaggregation: stage 0 of the pipeline dimension serves prefill,
// stage 1 decode (parallel.pp must be 2); each prefill rank sends its TP shard of every request's
// KV cache, in blocks, to the decode rank at the same place in the decode instance.
struct InferenceSpec {
  int requests = 8;                   // per step: requests that go through prefill, transfer, decode
  double rate = 0;                    // requests per second arriving (real time); 0 = back to back
  std::uint64_t prefill_ns = 0;       // compute of one request's prefill (all layers)
  std::uint64_t prefill_tp_bytes = 0; // per layer, one TP all_reduce
  std::uint64_t kv_bytes = 0;         // one request's KV cache per rank (its TP shard)
  std::uint64_t block_bytes = 0;      // sent in blocks of this size (0: one message)
  int tokens = 1;                     // output tokens decoded per request
  std::uint64_t token_ns = 0;         // compute of one decode step (all layers)
  std::uint64_t token_tp_bytes = 0;   // per layer and token, one TP all_reduce
};

struct JobSpec {
  std::string name, source;
  Parallel parallel;
  std::string dtype = "bfloat16";
  int layers_per_stage = 1;
  int micro_batches = 1;
  LayerSpec layer;
  std::uint64_t activation_bytes = 0;  // PP: sent forward per micro-batch; the gradient as much back
  std::uint64_t gradient_bytes = 0;    // DP: gradients of this rank's parameters, all-reduced per step
  int buckets = 1;
  bool overlap = true;                 // buckets start as backward produces them (DDP) or after it
  std::uint64_t optimizer_ns = 0;
  std::optional<MoeSpec> moe;
  std::optional<InferenceSpec> inference;
};

// Parses and validates (comments allowed); `source` names the file in errors.
JobSpec parse_job(const std::string& text, const std::string& source);
JobSpec load_job(const std::string& path);

}  // namespace scalelab::job
