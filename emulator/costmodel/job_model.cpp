#include "emulator/costmodel/job_model.h"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace scalelab::costmodel {
namespace {

using job::GroupKind;
using job::Op;
using job::OpKind;


// Prices operations on one group's ranks; a model per group, predictions cached by size.
class GroupPricer {
 public:
  GroupPricer(const plan::Plan& plan, const job::Group& g, const Options& o, bool emulated)
      : model_(group_plan(plan, g.members), o), emulated_(emulated) {}
  double seconds(Collective c, std::uint64_t bytes) {
    auto [it, fresh] = cache_.try_emplace({static_cast<int>(c), bytes}, 0.0);
    if (fresh) it->second = model_.predict(c, Algorithm::automatic, bytes, emulated_).time_us * 1e-6;
    return it->second;
  }
  int size() const { return model_.nranks(); }

 private:
  CostModel model_;
  bool emulated_;
  std::map<std::pair<int, std::uint64_t>, double> cache_;
};

struct RankState {
  std::size_t next = 0;
  double main = 0, compute = 0, idle = 0;
  std::map<GroupKind, double> stream;
  std::vector<double> pending;  // ends of asynchronous operations issued
  std::map<std::string, double> phase;
  std::map<GroupKind, int> coll_ordinal;
  std::map<std::pair<int, int>, int> p2p_ordinal;  // (from, to) group ranks in pp
  std::map<std::size_t, double> arrived_at;        // op index → when this rank reached it
};

struct CollInstance {
  int arrived = 0;
  double last_ready = 0;
  double duration = 0;
  bool priced = false;
  double a2a_seconds = 0;        // alltoallv: its slowest member's busiest interface
};

// A GPU's payload rate per tier (bytes/s) in the units asked for: its nvl0 / nic0 egress.
struct GpuRates {
  double up = 0, out = 0;
};

std::vector<GpuRates> gpu_rates(const plan::Plan& plan, bool emulated, Transport t) {
  std::vector<GpuRates> out;
  for (const auto& ns : plan.namespaces) {
    if (ns.kind != model::NodeKind::gpu) continue;
    GpuRates g;
    for (const auto& i : ns.interfaces) {
      const double bps = static_cast<double>(i.egress.rate_bps) * (emulated ? 1.0 : plan.dilation) *
                         transport_efficiency(t, i.mtu) / 8;
      double& slot = i.tier == model::Tier::scale_up ? g.up : g.out;
      if (slot == 0) slot = bps;
    }
    out.push_back(g);
  }
  return out;
}

// The agents post every block of an alltoallv at once, so a member's NVLink and NIC run side by
// side: its time is its busiest interface's bytes (in or out) at that interface's rate.
double alltoallv_member_seconds(const Op& op, const job::Group& g, int self, const std::vector<int>& domains,
                                const std::vector<GpuRates>& rates) {
  const int me = g.members[self];
  double up_out = 0, up_in = 0, out_out = 0, out_in = 0;
  for (std::size_t j = 0; j < g.members.size(); ++j) {
    if (static_cast<int>(j) == self) continue;
    const bool same = domains[me] >= 0 && domains[me] == domains[g.members[j]];
    (same ? up_out : out_out) += static_cast<double>(op.send_counts[j]);
    (same ? up_in : out_in) += static_cast<double>(op.recv_counts[j]);
  }
  const auto& r = rates[me];
  double t = 0;
  if (r.up > 0) t = std::max(t, std::max(up_out, up_in) / r.up);
  if (r.out > 0) t = std::max(t, std::max(out_out, out_in) / r.out);
  return t;
}

}  // namespace

plan::Plan group_plan(const plan::Plan& plan, const std::vector<int>& members) {
  plan::Plan p = plan;
  int rank = 0;
  std::size_t m = 0;
  for (auto& node : p.topology.nodes) {
    if (node.kind != model::NodeKind::gpu) continue;
    if (m < members.size() && members[m] == rank) ++m;
    else node.kind = model::NodeKind::switch_;  // one link per tier: a dead end no route crosses
    ++rank;
  }
  return p;
}

JobPrediction predict_job(const plan::Plan& plan, const job::JobSpec& spec, const job::Layout& layout, int step,
                          bool emulated, const Options& options) {
  const int n = layout.world;
  const double dilation = emulated ? plan.dilation : 1.0;
  std::vector<job::StepProgram> programs(n);
  for (int r = 0; r < n; ++r) programs[r] = job::compile_step(spec, layout, r, step);
  std::map<int, std::unique_ptr<GroupPricer>> pricers;  // by index into layout.groups
  auto pricer = [&](GroupKind k, int rank) -> GroupPricer& {
    const auto& g = layout.group_of(k, rank);
    const int id = static_cast<int>(&g - layout.groups.data());
    auto& slot = pricers[id];
    if (!slot) slot = std::make_unique<GroupPricer>(plan, g, options, emulated);
    return *slot;
  };
  std::vector<RankState> st(n);
  const auto rates = gpu_rates(plan, emulated, options.transport);
  const auto domains = plan::gpu_domains(plan);
  std::map<std::tuple<int, int, int>, CollInstance> colls;                 // (kind, group, ordinal)
  std::map<std::tuple<int, int, int, int>, double> arrivals;               // (group, from, to, ordinal) → arrival
  auto ready = [](RankState& s, GroupKind k) { return std::max(s.main, s.stream[k]); };

  // Advance every rank as far as it can; a collective waits for its last member, a receive for
  // its message. Each sweep must move someone, or the programs cannot complete.
  for (bool moved = true; moved;) {
    moved = false;
    for (int r = 0; r < n; ++r) {
      auto& s = st[r];
      while (s.next < programs[r].ops.size()) {
        const Op& op = programs[r].ops[s.next];
        if (op.kind == OpKind::compute) {
          const double t = static_cast<double>(op.ns) * 1e-9 * dilation;
          s.main += t;
          (op.phase == "idle" ? s.idle : s.compute) += t;
        } else if (op.kind == OpKind::wait_all) {
          for (double e : s.pending) s.main = std::max(s.main, e);
          s.pending.clear();
        } else if (op.kind == OpKind::collective) {
          const auto& g = layout.group_of(op.group, r);
          auto key = std::make_tuple(static_cast<int>(op.group), g.index, s.coll_ordinal[op.group]);
          auto& inst = colls[key];
          const double at = ready(s, op.group);
          // Arrive once (the first visit), then wait until every member has.
          if (!s.arrived_at.count(s.next)) {
            s.arrived_at[s.next] = at;
            ++inst.arrived;
            inst.last_ready = std::max(inst.last_ready, at);
            if (op.coll == job::Coll::alltoallv)
              inst.a2a_seconds = std::max(inst.a2a_seconds, alltoallv_member_seconds(op, g, layout.group_rank(op.group, r), domains, rates));
          }
          if (inst.arrived < static_cast<int>(g.members.size())) break;
          if (!inst.priced) {
            if (op.coll == job::Coll::alltoallv) {
              inst.duration = inst.a2a_seconds;
            } else {
              auto& p = pricer(op.group, r);
              inst.duration = p.seconds(job::nccl_collective(op.coll), std::max<std::uint64_t>(op.bytes, static_cast<std::uint64_t>(p.size())));
            }
            inst.priced = true;
          }
          const double end = inst.last_ready + inst.duration;
          s.phase[op.phase] += end - s.arrived_at[s.next];
          s.stream[op.group] = end;
          if (op.async) s.pending.push_back(end);
          else s.main = end;
          ++s.coll_ordinal[op.group];
        } else {  // pipeline send / receive
          const auto& g = layout.group_of(op.group, r);
          const int self = layout.group_rank(op.group, r);
          const int from = op.kind == OpKind::send ? self : op.peer, to = op.kind == OpKind::send ? op.peer : self;
          const int ordinal = s.p2p_ordinal[{from, to}];
          const auto key = std::make_tuple(g.index, from, to, ordinal);
          auto& p = pricer(op.group, r);
          const double transfer = p.seconds(Collective::sendrecv, std::max<std::uint64_t>(op.bytes, 1));
          const double at = ready(s, op.group);
          if (op.kind == OpKind::send) {
            arrivals[key] = at + transfer;  // eager: the receiver stages what arrives early
            s.stream[op.group] = at + transfer;
            s.pending.push_back(at + transfer);
            s.phase[op.phase] += transfer;
          } else {
            auto it = arrivals.find(key);
            if (it == arrivals.end()) break;  // not sent yet
            const double end = std::max(at, it->second);
            s.phase[op.phase] += end - at;
            s.stream[op.group] = end;
            s.main = end;
          }
          ++s.p2p_ordinal[{from, to}];
        }
        ++s.next;
        moved = true;
      }
    }
  }
  for (int r = 0; r < n; ++r)
    if (st[r].next < programs[r].ops.size())
      throw std::runtime_error(fmt::format("job model: rank {} cannot pass operation {} ({}) of its step", r, st[r].next,
                                           programs[r].ops[st[r].next].phase));
  JobPrediction out;
  out.emulated = emulated;
  const auto names = job::phase_names(spec, layout);
  out.phases.resize(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) out.phases[i].name = names[i];
  for (auto& s : st) {
    out.step_seconds = std::max(out.step_seconds, s.main);
    out.compute_seconds = std::max(out.compute_seconds, s.compute);
    out.exposed_seconds = std::max(out.exposed_seconds, s.main - s.compute - s.idle);
    for (std::size_t i = 0; i < names.size(); ++i)
      out.phases[i].seconds = std::max(out.phases[i].seconds, names[i] == "compute" ? s.compute : s.phase[names[i]]);
  }
  return out;
}

}  // namespace scalelab::costmodel
