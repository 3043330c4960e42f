#include "emulator/costmodel/costmodel.h"


#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "emulator/costmodel/fabric.h"
#include "emulator/model/units.h"

namespace scalelab::costmodel {

using detail::kEmulated;
using detail::kReal;
using detail::Message;

// ---- names


std::optional<Algorithm> parse_algorithm(std::string_view s) {
  if (s == "auto") return Algorithm::automatic;
  if (s == "ring") return Algorithm::ring;
  if (s == "hier" || s == "hierarchical") return Algorithm::hier;
  if (s == "tree") return Algorithm::tree;
  return std::nullopt;
}

std::optional<Transport> parse_transport(std::string_view s) {
  if (s == "ideal") return Transport::ideal;
  if (s == "tcp") return Transport::tcp;
  return std::nullopt;
}

std::optional<Ecmp> parse_ecmp(std::string_view s) {
  if (s == "spread") return Ecmp::spread;
  if (s == "collide") return Ecmp::collide;
  return std::nullopt;
}

std::string_view to_string(Collective c) { return agent::collective_name(c); }

std::string_view to_string(Algorithm a) {
  switch (a) {
    case Algorithm::automatic: return "auto";
    case Algorithm::ring: return "ring";
    case Algorithm::hier: return "hier";
    case Algorithm::tree: return "tree";
  }
  return "?";
}

std::string_view to_string(Transport t) { return t == Transport::tcp ? "tcp" : "ideal"; }
std::string_view to_string(Ecmp e) { return e == Ecmp::collide ? "collide" : "spread"; }


double transport_efficiency(Transport t, std::uint32_t mtu) {
  if (t == Transport::ideal || mtu <= 52) return 1.0;
  // IPv4 20 + TCP 20 + timestamps 12 per segment; htb counts the 14-byte Ethernet header.
  return (static_cast<double>(mtu) - 52.0) / (static_cast<double>(mtu) + 14.0);
}

std::optional<std::uint64_t> parse_size(std::string_view s) { return agent::parse_size(s); }

std::vector<std::uint64_t> size_sweep(std::uint64_t min_bytes, std::uint64_t max_bytes, std::uint64_t factor,
                                      std::uint64_t step_bytes) {
  return agent::size_sweep(min_bytes, max_bytes, factor, step_bytes);
}

std::string Bottleneck::describe() const {
  if (from.empty()) return "none";
  std::string shared;
  if (messages > 1) {
    shared = std::abs(load - messages) < 1e-9 ? fmt::format(", shared by {} messages", messages)
                                               : fmt::format(", load {:.3g} from {} ECMP-split messages", load, messages);
  }
  return fmt::format("{}→{} {} ({}, {}{})", from, to, role, model::to_string(tier),
                     model::format_bandwidth(static_cast<std::uint64_t>(std::llround(capacity_bps))), shared);
}

std::string Prediction::bottleneck() const {
  if (bottleneck_stage < 0) return "none (nothing to send)";
  const Stage& s = stages[static_cast<std::size_t>(bottleneck_stage)];
  return fmt::format("{}: {}-bound, {}", s.name, s.latency_bound ? "latency" : "bandwidth", s.bottleneck.describe());
}

// ---- the model

namespace {

enum class Kind { ring, chain, exchange, tree };

// One stage of a collective as the agents run it, with its costs evaluated once (they do not
// depend on the message size); its time for a size is then a few arithmetic operations.
struct StagePlan {
  Kind kind = Kind::ring;
  std::string name;
  int group_size = 0, groups = 0, steps = 0;    // steps: per phase
  int phases = 1;  // ring all-reduce = reduce-scatter then all-gather: 2 phases of `steps` steps each
  std::vector<std::vector<int>> rings;          // ring: each ring (rank order); chain: the chain; tree: each tree's members (i under (i-1)/2)
  std::vector<std::vector<Message>> exchanges;  // exchange: the messages of each step
  std::function<std::uint64_t(std::uint64_t count)> message_elems;
  struct Costs {
    // ring/chain: per ring, per edge (edge i = ring[i] → ring[i+1]); exchange: per step, per message;
    // tree: per tree its up edges (edge i-1 = member i → its parent), then per tree its down edges
    std::vector<std::vector<double>> alpha, rate;
    Bottleneck bottleneck;
    double min_rate = std::numeric_limits<double>::infinity();
    int max_hops = 0;
  } costs[2];
};

// Sum of `k` consecutive entries of the circular array v, maximised over the starting point.
double max_circular_window(const std::vector<double>& v, int k) {
  const std::size_t p = v.size();
  if (p == 0 || k <= 0) return 0;
  double total = 0;
  for (double x : v) total += x;
  const std::size_t full = static_cast<std::size_t>(k) / p, rem = static_cast<std::size_t>(k) % p;
  double best = 0;
  if (rem > 0) {
    double window = 0;
    for (std::size_t j = 0; j < rem; ++j) window += v[j];
    best = window;
    for (std::size_t i = 1; i < p; ++i) {
      window += v[(i + rem - 1) % p] - v[i - 1];
      best = std::max(best, window);
    }
  }
  return static_cast<double>(full) * total + best;
}

struct StageTime {
  double time = 0, alpha = 0, beta = 0;
};

}  // namespace

struct CostModel::Impl {
  detail::Fabric fabric;
  Options options;
  double dilation = 1;
  std::map<std::pair<Collective, Algorithm>, std::vector<StagePlan>> schedules;

  Impl(const plan::Plan& plan, Options o) : fabric(plan, o.ecmp), options(o), dilation(plan.dilation) {}

  int n() const { return fabric.nranks(); }

  bool hier_applicable() const { return agent::hier_applicable(fabric.domains()); }

  Algorithm resolve(Collective c, Algorithm a) const {
    if (c != Collective::all_reduce) return Algorithm::ring;
    if (a == Algorithm::ring || a == Algorithm::tree) return a;
    const bool ok = hier_applicable();
    if (a == Algorithm::hier && !ok)
      throw std::invalid_argument(
          "--algo hier needs more than one scale-up domain, every rank in a domain and equal domain sizes > 1");
    return ok ? Algorithm::hier : Algorithm::ring;
  }

  std::vector<int> world() const {
    std::vector<int> w(static_cast<std::size_t>(n()));
    for (int i = 0; i < n(); ++i) w[static_cast<std::size_t>(i)] = i;
    return w;
  }

  StagePlan ring_stage(std::string name, std::vector<std::vector<int>> rings, int steps,
                       std::function<std::uint64_t(std::uint64_t)> elems, int phases = 1) const {
    StagePlan s;
    s.kind = Kind::ring;
    s.phases = phases;
    s.name = std::move(name);
    s.group_size = static_cast<int>(rings.front().size());
    s.groups = static_cast<int>(rings.size());
    s.steps = steps;
    s.rings = std::move(rings);
    s.message_elems = std::move(elems);
    return s;
  }

  StagePlan tree_stage(std::string name, std::vector<std::vector<int>> trees,
                       std::function<std::uint64_t(std::uint64_t)> elems) const {
    StagePlan s;
    s.kind = Kind::tree;
    s.name = std::move(name);
    s.group_size = static_cast<int>(trees.front().size());
    s.groups = static_cast<int>(trees.size());
    int depth = 0;
    for (int k = s.group_size - 1; k > 0; k = (k - 1) / 2) ++depth;
    s.steps = 2 * depth;  // up to the root and back down
    s.rings = std::move(trees);
    s.message_elems = std::move(elems);
    return s;
  }

  std::vector<StagePlan> build(Collective c, Algorithm a) const {
    const int n = this->n();
    std::vector<StagePlan> stages;
    if (n <= 1) return stages;
    const auto un = static_cast<std::uint64_t>(n);
    auto ceil_div = [](std::uint64_t x, std::uint64_t y) { return (x + y - 1) / y; };
    switch (c) {
      case Collective::all_reduce:
        if (a == Algorithm::hier || (a == Algorithm::tree && hier_applicable())) {
          std::map<int, std::vector<int>> members;
          for (int r = 0; r < n; ++r) members[fabric.domains()[static_cast<std::size_t>(r)]].push_back(r);
          std::vector<std::vector<int>> domains, rails;
          for (auto& [id, v] : members) domains.push_back(v);
          const std::size_t d = domains.front().size();
          for (std::size_t l = 0; l < d; ++l) {
            std::vector<int> rail;
            for (auto& v : domains) rail.push_back(v[l]);
            rails.push_back(std::move(rail));
          }
          const std::uint64_t ud = d, uD = domains.size();
          const int di = static_cast<int>(d), Di = static_cast<int>(domains.size());
          stages.push_back(ring_stage("domain reduce-scatter", domains, di - 1,
                                      [=](std::uint64_t count) { return ceil_div(count, ud); }));
          if (a == Algorithm::tree)  // the agents' tree_all_reduce on each rail's slice
            stages.push_back(tree_stage("rail tree all-reduce", rails, [=](std::uint64_t count) { return ceil_div(count, ud); }));
          else  // the agents' ring_all_reduce: a reduce-scatter, then an all-gather (each pipelined)
            stages.push_back(ring_stage("rail all-reduce", rails, Di - 1,
                                        [=](std::uint64_t count) { return ceil_div(ceil_div(count, ud), uD); }, 2));
          stages.push_back(ring_stage("domain all-gather", domains, di - 1,
                                      [=](std::uint64_t count) { return ceil_div(count, ud); }));
        } else if (a == Algorithm::tree) {
          stages.push_back(tree_stage("tree all-reduce", {world()}, [](std::uint64_t count) { return count; }));
        } else {
          stages.push_back(ring_stage("ring all-reduce", {world()}, n - 1,
                                      [=](std::uint64_t count) { return ceil_div(count, un); }, 2));
        }
        break;
      case Collective::all_gather:
        stages.push_back(ring_stage("ring all-gather", {world()}, n - 1, [=](std::uint64_t count) { return count / un; }));
        break;
      case Collective::reduce_scatter:
        stages.push_back(ring_stage("ring reduce-scatter", {world()}, n - 1, [=](std::uint64_t count) { return count / un; }));
        break;
      case Collective::broadcast: {
        const int root = ((options.root % n) + n) % n;
        std::vector<int> chain;
        for (int i = 0; i < n; ++i) chain.push_back((root + i) % n);
        StagePlan s;
        s.kind = Kind::chain;
        s.name = "chain broadcast";
        s.group_size = n;
        s.groups = 1;
        s.steps = n - 1;
        s.rings = {chain};
        s.message_elems = [](std::uint64_t count) { return count; };
        stages.push_back(std::move(s));
        break;
      }
      case Collective::alltoall:
      case Collective::sendrecv: {
        StagePlan s;
        s.kind = Kind::exchange;
        s.group_size = n;
        s.groups = 1;
        const int last = c == Collective::alltoall ? n - 1 : 1;
        for (int step = 1; step <= last; ++step) {
          std::vector<Message> m;
          for (int r = 0; r < n; ++r) m.push_back({r, (r + step) % n});
          s.exchanges.push_back(std::move(m));
        }
        s.steps = last;
        if (c == Collective::alltoall) {
          s.name = "pairwise exchange";
          s.message_elems = [=](std::uint64_t count) { return count / un; };
        } else {
          s.name = "send to rank+1";
          s.message_elems = [](std::uint64_t count) { return count; };
        }
        stages.push_back(std::move(s));
        break;
      }
    }
    for (auto& s : stages) evaluate(s);
    return stages;
  }

  void evaluate(StagePlan& s) const {
    for (int u : {kReal, kEmulated}) {
      auto& c = s.costs[u];
      std::vector<std::vector<Message>> sets;
      if (s.kind == Kind::exchange) {
        sets = s.exchanges;
      } else if (s.kind == Kind::tree) {  // every tree's up edges at once, then every tree's down edges
        for (bool up : {true, false}) {
          std::vector<Message> all;
          for (const auto& tree : s.rings)
            for (std::size_t i = 1; i < tree.size(); ++i)
              all.push_back(up ? Message{tree[i], tree[(i - 1) / 2]} : Message{tree[(i - 1) / 2], tree[i]});
          sets.push_back(std::move(all));
        }
      } else {  // all rings of a stage run at once: one set
        std::vector<Message> all;
        for (const auto& ring : s.rings) {
          const std::size_t p = ring.size();
          const std::size_t edges = s.kind == Kind::ring ? p : p - 1;
          for (std::size_t i = 0; i < edges; ++i) all.push_back({ring[i], ring[(i + 1) % p]});
        }
        sets.push_back(std::move(all));
      }
      for (const auto& set : sets) {
        const detail::MessageCosts mc = detail::evaluate(fabric, set, options.transport, u);
        if (s.kind == Kind::exchange) {
          c.alpha.push_back(mc.alpha_s);
          c.rate.push_back(mc.rate_Bps);
        } else if (s.kind == Kind::tree) {
          std::size_t at = 0;
          for (const auto& tree : s.rings) {
            const std::size_t edges = tree.size() - 1;
            c.alpha.emplace_back(mc.alpha_s.begin() + static_cast<long>(at), mc.alpha_s.begin() + static_cast<long>(at + edges));
            c.rate.emplace_back(mc.rate_Bps.begin() + static_cast<long>(at), mc.rate_Bps.begin() + static_cast<long>(at + edges));
            at += edges;
          }
        } else {
          std::size_t at = 0;
          for (const auto& ring : s.rings) {
            const std::size_t edges = s.kind == Kind::ring ? ring.size() : ring.size() - 1;
            c.alpha.emplace_back(mc.alpha_s.begin() + static_cast<long>(at), mc.alpha_s.begin() + static_cast<long>(at + edges));
            c.rate.emplace_back(mc.rate_Bps.begin() + static_cast<long>(at), mc.rate_Bps.begin() + static_cast<long>(at + edges));
            at += edges;
          }
        }
        for (int h : mc.hops) c.max_hops = std::max(c.max_hops, h);
        if (mc.bottleneck_message >= 0 && mc.rate_Bps[static_cast<std::size_t>(mc.bottleneck_message)] < c.min_rate) {
          c.min_rate = mc.rate_Bps[static_cast<std::size_t>(mc.bottleneck_message)];
          c.bottleneck = mc.bottleneck;
        }
      }
    }
  }

  const std::vector<StagePlan>& schedule(Collective c, Algorithm a) {
    auto key = std::pair{c, a};
    auto it = schedules.find(key);
    if (it == schedules.end()) it = schedules.emplace(key, build(c, a)).first;
    return it->second;
  }

  StageTime stage_time(const StagePlan& s, int u, std::uint64_t m) const {
    StageTime t;
    if (m == 0) return t;
    const auto& c = s.costs[u];
    const double bytes = static_cast<double>(m);
    if (s.kind == Kind::exchange) {
      for (std::size_t step = 0; step < c.alpha.size(); ++step) {
        double slowest = 0, alpha = 0, min_rate = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < c.alpha[step].size(); ++i) {
          slowest = std::max(slowest, c.alpha[step][i] + bytes / c.rate[step][i]);
          alpha = std::max(alpha, c.alpha[step][i]);
          min_rate = std::min(min_rate, c.rate[step][i]);
        }
        t.time += slowest;
        t.alpha += alpha;
        t.beta += bytes / min_rate;
      }
      return t;
    }
    // Ring, chain and tree: chunks of `chunk` bytes are forwarded as soon as they arrive.
    const std::uint64_t es = std::max<std::uint32_t>(options.dtype_bytes, 1);
    std::uint64_t chunk = options.chunk_bytes == 0 ? m : std::max<std::uint64_t>(options.chunk_bytes / es, 1) * es;
    chunk = std::min(chunk, m);
    const double cb = static_cast<double>(chunk);
    const double chunks = std::ceil(bytes / cb);
    if (s.kind == Kind::tree) return tree_time(s, c, bytes, cb, chunks);
    for (std::size_t g = 0; g < c.alpha.size(); ++g) {
      const auto& alpha = c.alpha[g];
      const auto& rate = c.rate[g];
      const double bmin = *std::min_element(rate.begin(), rate.end());
      std::vector<double> first_chunk(alpha.size());
      for (std::size_t i = 0; i < alpha.size(); ++i) first_chunk[i] = alpha[i] + cb / rate[i];
      StageTime gt;
      if (s.kind == Kind::ring) {
        // Every edge carries `steps` messages, the slowest paces the ring (beta); the first chunk
        // of the last step depends on `steps` consecutive edges (alpha + chunk ÷ rate each).
        gt.beta = s.steps * bytes / bmin;
        gt.alpha = max_circular_window(alpha, s.steps);
        gt.time = std::max(gt.beta, max_circular_window(first_chunk, s.steps) + (chunks - 1) * cb / bmin);
      } else {  // chain: the first chunk crosses every edge, the rest follow at the slowest rate
        double fill = 0;
        for (std::size_t i = 0; i < alpha.size(); ++i) {
          fill += first_chunk[i];
          gt.alpha += alpha[i];
        }
        gt.beta = bytes / bmin;
        gt.time = fill + (chunks - 1) * cb / bmin;
      }
      if (gt.time > t.time) t = gt;
    }
    // Phases run one after the other: an all-gather starts when the reduce-scatter has ended.
    t.time *= s.phases;
    t.alpha *= s.phases;
    t.beta *= s.phases;
    return t;
  }

  // Each phase (up, then down): the first chunk's slowest path between the root and a member, the
  // other chunks behind it at the rate of the slowest edge (an interior member's two children
  // share its link: the evaluation's rates already carry that).
  static StageTime tree_time(const StagePlan& s, const StagePlan::Costs& c, double bytes, double cb, double chunks) {
    StageTime t;
    const std::size_t trees = s.rings.size();
    for (std::size_t g = 0; g < trees; ++g) {
      StageTime gt;
      for (std::size_t phase = 0; phase < 2; ++phase) {
        const auto& alpha = c.alpha[phase * trees + g];
        const auto& rate = c.rate[phase * trees + g];
        if (alpha.empty()) continue;
        std::vector<double> path(alpha.size() + 1, 0), path_alpha(alpha.size() + 1, 0);
        double fill = 0, fill_alpha = 0;
        for (std::size_t i = 1; i <= alpha.size(); ++i) {
          path[i] = path[(i - 1) / 2] + alpha[i - 1] + cb / rate[i - 1];
          path_alpha[i] = path_alpha[(i - 1) / 2] + alpha[i - 1];
          fill = std::max(fill, path[i]);
          fill_alpha = std::max(fill_alpha, path_alpha[i]);
        }
        const double bmin = *std::min_element(rate.begin(), rate.end());
        gt.time += fill + (chunks - 1) * cb / bmin;
        gt.alpha += fill_alpha;
        gt.beta += bytes / bmin;
      }
      if (gt.time > t.time) t = gt;
    }
    return t;
  }

  Prediction predict(Collective c, Algorithm a, std::uint64_t bytes, bool emulated) {
    const Algorithm algo = resolve(c, a);
    const int u = emulated ? kEmulated : kReal;
    Prediction p;
    p.collective = c;
    p.emulated = emulated;
    p.dilation = dilation;
    p.nranks = n();
    switch (c) {
      case Collective::all_reduce: p.algorithm = std::string(to_string(algo)); break;
      case Collective::all_gather:
      case Collective::reduce_scatter: p.algorithm = "ring"; break;
      case Collective::broadcast: p.algorithm = "chain"; break;
      case Collective::alltoall: p.algorithm = "pairwise"; break;
      case Collective::sendrecv: p.algorithm = "neighbour"; break;
    }
    // nccl-tests' counts (getCollByteCount) for `bytes` of the datatype.
    const std::uint64_t es = std::max<std::uint32_t>(options.dtype_bytes, 1);
    const std::uint64_t count = bytes / es, un = static_cast<std::uint64_t>(n());
    std::uint64_t send = count, recv = count, param = count;
    switch (c) {
      case Collective::all_gather: send = param = count / un; recv = (count / un) * un; break;
      case Collective::reduce_scatter: send = (count / un) * un; recv = param = count / un; break;
      case Collective::alltoall: send = recv = (count / un) * un; param = count / un; break;
      default: break;
    }
    p.bytes = std::max(send, recv) * es;
    p.count = param;
    double algbytes = static_cast<double>(param * es);
    if (c == Collective::all_gather || c == Collective::reduce_scatter || c == Collective::alltoall)
      algbytes *= static_cast<double>(n());

    const auto& plan = schedule(c, algo);
    double worst = 0;
    for (const auto& sp : plan) {
      const std::uint64_t m = sp.message_elems(count) * es;
      const StageTime t = stage_time(sp, u, m);
      const auto& costs = sp.costs[u];
      Stage st;
      st.name = sp.name;
      st.group_size = sp.group_size;
      st.groups = sp.groups;
      st.steps = sp.steps * sp.phases;
      st.bytes_per_step = m;
      st.max_hops = costs.max_hops;
      st.latency_us = t.alpha * 1e6;
      st.bandwidth_us = t.beta * 1e6;
      st.time_us = t.time * 1e6;
      st.rate_GBps = std::isfinite(costs.min_rate) ? costs.min_rate / 1e9 : 0;
      st.latency_bound = t.alpha > t.beta;
      st.bottleneck = costs.bottleneck;
      p.time_us += st.time_us;
      if (st.time_us > worst) {
        worst = st.time_us;
        p.bottleneck_stage = static_cast<int>(p.stages.size());
      }
      p.stages.push_back(std::move(st));
    }
    if (p.time_us > 0) {
      p.algbw_GBps = algbytes / 1e9 / (p.time_us * 1e-6);
      p.busbw_GBps = p.algbw_GBps * bus_factor(c, n());
    }
    return p;
  }
};

CostModel::CostModel(const plan::Plan& plan, Options options) : impl_(std::make_unique<Impl>(plan, options)) {}
CostModel::~CostModel() = default;
CostModel::CostModel(CostModel&&) noexcept = default;
CostModel& CostModel::operator=(CostModel&&) noexcept = default;

Prediction CostModel::predict(Collective c, Algorithm a, std::uint64_t bytes, bool emulated) const {
  return impl_->predict(c, a, bytes, emulated);
}

std::vector<Prediction> CostModel::sweep(Collective c, Algorithm a, std::uint64_t min_bytes, std::uint64_t max_bytes,
                                         std::uint64_t factor, bool emulated, std::uint64_t step_bytes) const {
  std::vector<Prediction> out;
  for (std::uint64_t s : size_sweep(min_bytes, max_bytes, factor, step_bytes)) out.push_back(predict(c, a, s, emulated));
  return out;
}

Algorithm CostModel::resolve(Collective c, Algorithm a) const { return impl_->resolve(c, a); }
bool CostModel::hier_applicable() const { return impl_->hier_applicable(); }
int CostModel::nranks() const { return impl_->n(); }
double CostModel::dilation() const { return impl_->dilation; }
const Options& CostModel::options() const { return impl_->options; }

std::vector<PathSummary> CostModel::paths() const {
  const auto& f = impl_->fabric;
  std::vector<PathSummary> out;
  for (int b = 1; b < f.nranks(); ++b) {
    const detail::Route& r = f.route(0, b);
    const auto found = std::find_if(out.begin(), out.end(), [&](const PathSummary& p) {
      return p.tier == r.tier && p.hops == r.hops;
    });
    if (found != out.end()) continue;
    PathSummary p;
    p.tier = r.tier;
    p.hops = r.hops;
    if (r.tier == model::Tier::scale_up)
      p.kind = "same domain";
    else if (r.hops == 1)
      p.kind = "direct";
    else if (r.hops == 2)
      p.kind = "same leaf";
    else if (r.hops == 4)
      p.kind = "via spine";
    else
      p.kind = fmt::format("{} hops", r.hops);
    p.example_from = f.rank_name(0);
    p.example_to = f.rank_name(b);
    p.latency_real_us = r.latency_s[kReal] * 1e6;
    p.latency_emulated_us = r.latency_s[kEmulated] * 1e6;
    p.bandwidth_real_bps = p.bandwidth_emulated_bps = std::numeric_limits<double>::infinity();
    for (const auto& [id, frac] : r.links) {
      p.bandwidth_real_bps = std::min(p.bandwidth_real_bps, f.link(id).bps[kReal]);
      p.bandwidth_emulated_bps = std::min(p.bandwidth_emulated_bps, f.link(id).bps[kEmulated]);
    }
    out.push_back(std::move(p));
  }
  return out;
}

Prediction predict(const plan::Plan& plan, Collective c, Algorithm a, std::uint64_t bytes, bool emulated,
                   const Options& options) {
  return CostModel(plan, options).predict(c, a, bytes, emulated);
}

std::vector<Prediction> sweep(const plan::Plan& plan, Collective c, Algorithm a, std::uint64_t min_bytes,
                              std::uint64_t max_bytes, std::uint64_t factor, bool emulated, const Options& options,
                              std::uint64_t step_bytes) {
  return CostModel(plan, options).sweep(c, a, min_bytes, max_bytes, factor, emulated, step_bytes);
}

Prediction predict_emulated(const plan::Plan& plan, std::string_view collective, std::string_view algorithm,
                            std::uint64_t bytes, const Options& options) {
  const auto c = parse_collective(collective);
  if (!c) throw std::invalid_argument(fmt::format("unknown collective \"{}\"", collective));
  const auto a = parse_algorithm(algorithm.empty() ? std::string_view("auto") : algorithm);
  if (!a) throw std::invalid_argument(fmt::format("unknown algorithm \"{}\" (auto, ring, hier)", algorithm));
  return predict(plan, *c, *a, bytes, true, options);
}

double predicted_emulated_busbw(const plan::Plan& plan, std::string_view collective, std::string_view algorithm,
                                std::uint64_t bytes, const Options& options) {
  return predict_emulated(plan, collective, algorithm, bytes, options).busbw_GBps;
}

}  // namespace scalelab::costmodel
