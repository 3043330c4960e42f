#include "emulator/job/schedule.h"

#include <algorithm>

#include "emulator/job/routing.h"

namespace scalelab::job {

const char* coll_name(Coll c) {
  switch (c) {
    case Coll::all_reduce: return "all_reduce";
    case Coll::all_gather: return "all_gather";
    case Coll::reduce_scatter: return "reduce_scatter";
    case Coll::alltoallv: return "alltoallv";
  }
  return "?";
}

agent::Collective nccl_collective(Coll c) {
  switch (c) {
    case Coll::all_reduce: return agent::Collective::all_reduce;
    case Coll::all_gather: return agent::Collective::all_gather;
    case Coll::reduce_scatter: return agent::Collective::reduce_scatter;
    case Coll::alltoallv: return agent::Collective::alltoall;
  }
  return agent::Collective::all_reduce;
}

namespace {

class Builder {
 public:
  Builder(const JobSpec& job, const Layout& layout, int rank, int step)
      : job_(job), layout_(layout), rank_(rank), stage_(layout.group_rank(GroupKind::pp, rank)) {
    if (job.moe && layout.size(GroupKind::ep) > 1) {
      const auto& g = layout.group_of(GroupKind::ep, rank);
      tokens_ = route_tokens(*job.moe, layout.size(GroupKind::ep), g.index, step);
    }
  }

  StepProgram build() {
    if (job_.inference) return build_inference();
    const int stages = layout_.size(GroupKind::pp), m = job_.micro_batches;
    const int warmup = std::min(stages - 1 - stage_, m);
    for (int i = 0; i < warmup; ++i) forward(i);
    for (int j = 0; j < m - warmup; ++j) {
      forward(warmup + j);
      backward(j);
    }
    for (int j = m - warmup; j < m; ++j) backward(j);
    if (!job_.overlap) issue_buckets(job_.buckets);
    out_.ops.push_back(wait_all());
    if (job_.optimizer_ns > 0) compute(job_.optimizer_ns);
    return std::move(out_);
  }

 private:
  static Op wait_all() {
    Op op;
    op.kind = OpKind::wait_all;
    op.phase = "wait";
    return op;
  }
  void compute(std::uint64_t ns) {
    if (ns == 0) return;
    Op op;
    op.kind = OpKind::compute;
    op.ns = ns;
    op.phase = "compute";
    out_.ops.push_back(op);
  }
  void collective(GroupKind g, Coll c, std::uint64_t bytes, const std::string& phase, bool async = false) {
    if (layout_.size(g) < 2 || bytes == 0) return;
    Op op;
    op.kind = OpKind::collective;
    op.group = g;
    op.coll = c;
    op.bytes = bytes;
    op.phase = phase;
    op.async = async;
    out_.ops.push_back(op);
  }
  // Megatron's two TP exchanges per layer (after attention, after the MLP), in either mode.
  void tp_exchange() {
    if (job_.layer.tp_mode == TpMode::all_reduce) {
      collective(GroupKind::tp, Coll::all_reduce, job_.layer.tp_bytes, "tp");
    } else {
      collective(GroupKind::tp, Coll::all_gather, job_.layer.tp_bytes, "tp");
      collective(GroupKind::tp, Coll::reduce_scatter, job_.layer.tp_bytes, "tp");
    }
  }
  // to_experts: tokens travel to their experts (forward dispatch, backward combine-gradient).
  void ep_exchange(bool to_experts, const std::string& phase) {
    if (tokens_.empty()) return;
    const int me = layout_.group_rank(GroupKind::ep, rank_), n = static_cast<int>(tokens_.size());
    Op op;
    op.kind = OpKind::collective;
    op.group = GroupKind::ep;
    op.coll = Coll::alltoallv;
    op.phase = phase;
    op.send_counts.resize(n);
    op.recv_counts.resize(n);
    for (int j = 0; j < n; ++j) {
      const auto out = tokens_[me][j] * job_.moe->token_bytes, in = tokens_[j][me] * job_.moe->token_bytes;
      op.send_counts[j] = to_experts ? out : in;
      op.recv_counts[j] = to_experts ? in : out;
      op.bytes += op.send_counts[j];
    }
    out_.ops.push_back(op);
  }
  void pp_op(OpKind kind, int peer) {
    Op op;
    op.kind = kind;
    op.group = GroupKind::pp;
    op.peer = peer;
    op.bytes = job_.activation_bytes;
    op.phase = "pp";
    op.async = kind == OpKind::send;  // as Megatron's isend; the receive is what the stage waits on
    out_.ops.push_back(op);
  }

  void forward(int /*micro_batch*/) {
    const int stages = layout_.size(GroupKind::pp);
    if (stage_ > 0) pp_op(OpKind::recv, stage_ - 1);
    for (int l = 0; l < job_.layers_per_stage; ++l) {
      compute(job_.layer.forward_ns / 2);
      tp_exchange();
      if (job_.moe) {
        ep_exchange(true, "ep dispatch");
        compute(job_.moe->expert_ns);
        ep_exchange(false, "ep combine");
      }
      compute(job_.layer.forward_ns - job_.layer.forward_ns / 2);
      tp_exchange();
    }
    if (stage_ < stages - 1) pp_op(OpKind::send, stage_ + 1);
  }

  void backward(int micro_batch) {
    const int stages = layout_.size(GroupKind::pp), layers = job_.layers_per_stage;
    const bool last = micro_batch == job_.micro_batches - 1;
    if (stage_ < stages - 1) pp_op(OpKind::recv, stage_ + 1);
    for (int done = 1; done <= layers; ++done) {
      tp_exchange();
      compute(job_.layer.backward_ns / 2);
      if (job_.moe) {
        ep_exchange(true, "ep combine");
        compute(2 * job_.moe->expert_ns);
        ep_exchange(false, "ep dispatch");
      }
      tp_exchange();
      compute(job_.layer.backward_ns - job_.layer.backward_ns / 2);
      // DDP's buckets: each starts as soon as backward has produced its gradients.
      if (last && job_.overlap) issue_buckets(static_cast<int>(static_cast<long>(done) * job_.buckets / layers));
    }
    if (stage_ > 0) pp_op(OpKind::send, stage_ - 1);
  }

  // Prefill (stage 0) and decode (stage 1) instances; requests arrive at `rate`, each prefill
  // rank sends its shard of the request's KV cache to the decode rank at its place, which then
  // decodes the request's tokens (a TP all_reduce per layer and token).
  StepProgram build_inference() {
    const auto& inf = *job_.inference;
    const int layers = job_.layers_per_stage;
    const std::uint64_t block = inf.block_bytes ? std::min(inf.block_bytes, inf.kv_bytes) : inf.kv_bytes;
    const int blocks = static_cast<int>((inf.kv_bytes + block - 1) / block);
    auto block_size = [&](int b) { return b == blocks - 1 ? inf.kv_bytes - block * static_cast<std::uint64_t>(blocks - 1) : block; };
    for (int i = 0; i < inf.requests; ++i) {
      if (stage_ == 0) {
        if (inf.rate > 0) {
          // The gap between arrivals that prefill does not fill is idle time, not compute.
          const double gap_ns = 1e9 / inf.rate;
          if (gap_ns > static_cast<double>(inf.prefill_ns)) {
            Op idle;
            idle.kind = OpKind::compute;
            idle.ns = static_cast<std::uint64_t>(gap_ns) - inf.prefill_ns;
            idle.phase = "idle";
            out_.ops.push_back(idle);
          }
        }
        for (int l = 0; l < layers; ++l) {
          compute(inf.prefill_ns / layers);
          collective(GroupKind::tp, Coll::all_reduce, inf.prefill_tp_bytes, "tp");
        }
        for (int b = 0; b < blocks; ++b) kv_op(OpKind::send, block_size(b));
      } else {
        for (int b = 0; b < blocks; ++b) kv_op(OpKind::recv, block_size(b));
        for (int t = 0; t < inf.tokens; ++t)
          for (int l = 0; l < layers; ++l) {
            compute(inf.token_ns / layers);
            collective(GroupKind::tp, Coll::all_reduce, inf.token_tp_bytes, "tp");
          }
      }
    }
    out_.ops.push_back(wait_all());
    return std::move(out_);
  }
  void kv_op(OpKind kind, std::uint64_t bytes) {
    Op op;
    op.kind = kind;
    op.group = GroupKind::pp;
    op.peer = 1 - stage_;
    op.bytes = bytes;
    op.phase = "kv transfer";
    op.async = kind == OpKind::send;
    out_.ops.push_back(op);
  }

  // Issues DP buckets up to (not including) index `upto`.
  void issue_buckets(int upto) {
    for (; issued_ < upto; ++issued_) {
      const std::uint64_t base = job_.gradient_bytes / job_.buckets;
      const std::uint64_t bytes = issued_ == job_.buckets - 1 ? job_.gradient_bytes - base * (job_.buckets - 1) : base;
      collective(GroupKind::dp, Coll::all_reduce, bytes, "dp", /*async=*/true);
    }
  }

  const JobSpec& job_;
  const Layout& layout_;
  int rank_, stage_;
  int issued_ = 0;
  std::vector<std::vector<std::uint64_t>> tokens_;
  StepProgram out_;
};

}  // namespace

StepProgram compile_step(const JobSpec& job, const Layout& layout, int rank, int step) {
  return Builder(job, layout, rank, step).build();
}

std::vector<std::string> phase_names(const JobSpec& job, const Layout& layout) {
  std::vector<std::string> out = {"compute"};
  if (job.inference) {
    if (layout.size(GroupKind::tp) > 1 && (job.inference->prefill_tp_bytes > 0 || job.inference->token_tp_bytes > 0)) out.push_back("tp");
    out.push_back("kv transfer");
    return out;
  }
  if (layout.size(GroupKind::tp) > 1 && job.layer.tp_bytes > 0) out.push_back("tp");
  if (layout.size(GroupKind::pp) > 1) out.push_back("pp");
  if (layout.size(GroupKind::dp) > 1 && job.gradient_bytes > 0) out.push_back("dp");
  if (job.moe && layout.size(GroupKind::ep) > 1) {
    out.push_back("ep dispatch");
    out.push_back("ep combine");
  }
  return out;
}

}  // namespace scalelab::job
