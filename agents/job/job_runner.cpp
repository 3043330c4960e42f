#include "job/job_runner.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "bench/report.h"
#include "collectives/algorithms.h"
#include "collectives/pattern.h"
#include "job/stream.h"

namespace scalelab::agent {
namespace {

using job::GroupKind;
using job::Op;
using job::OpKind;

struct OpResult {
  GroupKind group = GroupKind::tp;
  std::string phase;
  double seconds = 0, bytes = 0, bus_bytes = 0;
  std::int64_t wrong = 0;
};

// Point-to-point and alltoallv data: byte k of a message from group rank s to d, so a block that
// went to the wrong rank, or arrived shifted, is caught.
std::uint8_t pattern_byte(int s, int d, std::size_t k, std::uint64_t seed) {
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(s) * 0xbf58476d1ce4e5b9ULL +
                    static_cast<std::uint64_t>(d) * 0x94d049bb133111ebULL + (k / 8);
  x ^= x >> 31;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return static_cast<std::uint8_t>(x >> ((k % 8) * 8));
}

void fill_bytes(std::byte* p, std::size_t n, int s, int d, std::uint64_t seed) {
  for (std::size_t k = 0; k < n; ++k) p[k] = static_cast<std::byte>(pattern_byte(s, d, k, seed));
}

std::int64_t wrong_bytes(const std::byte* p, std::size_t n, int s, int d, std::uint64_t seed) {
  std::int64_t wrong = 0;
  for (std::size_t k = 0; k < n; ++k) wrong += p[k] != static_cast<std::byte>(pattern_byte(s, d, k, seed));
  return wrong;
}


double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One group of this rank: its communicator, buffers, and the stream that runs its operations.
class Lane {
 public:
  Lane(const job::Group& group, std::unique_ptr<Comm> comm, int world_rank)
      : group_(group), comm_(std::move(comm)), world_rank_(world_rank) {}

  std::future<OpResult> submit(const Op& op, DType t, bool check, std::uint64_t seed) {
    return stream_.submit([this, op, t, check, seed] { return named(op, t, check, seed); });
  }

 private:
  // Errors name world ranks and the group, not the group's own numbering.
  OpResult named(const Op& op, DType t, bool check, std::uint64_t seed) {
    try {
      return execute(op, t, check, seed);
    } catch (const CollectiveError& e) {
      ErrorInfo info = e.info();
      info.rank = world_rank_;
      if (info.peer >= 0 && info.peer < static_cast<int>(group_.members.size())) info.peer = group_.members[info.peer];
      const char* what = op.kind == OpKind::send ? "send" : op.kind == OpKind::recv ? "recv" : job::coll_name(op.coll);
      info.cause = fmt::format("{} group {} {} ({}): {}", job::group_kind_name(group_.kind), group_.index, what, op.phase,
                               world_ranks_in(info.cause));
      throw CollectiveError(info);
    }
  }

  // The transports number peers within the group; a user reads world ranks everywhere else.
  std::string world_ranks_in(const std::string& text) const {
    static const std::regex rank_number(R"(\brank (\d+))");
    std::string out;
    auto last = text.cbegin();
    for (std::sregex_iterator it(text.begin(), text.end(), rank_number), end; it != end; ++it) {
      out.append(last, text.cbegin() + it->position());
      const auto n = std::stoul((*it)[1].str());
      out += n < group_.members.size() ? fmt::format("rank {}", group_.members[n]) : it->str();
      last = text.cbegin() + it->position() + it->length();
    }
    out.append(last, text.cend());
    return out;
  }

  OpResult execute(const Op& op, DType t, bool check, std::uint64_t seed) {
    Comm& c = *comm_;
    const int n = c.size(), me = c.rank();
    OpResult r{group_.kind, op.phase};
    Clock::time_point start;
    if (op.kind == OpKind::send || op.kind == OpKind::recv) {
      send_.resize(op.bytes);
      if (op.kind == OpKind::send && check) fill_bytes(send_.data(), op.bytes, me, op.peer, seed);
      start = Clock::now();
      if (op.kind == OpKind::send)
        send_to(c, op.peer, send_.data(), op.bytes);
      else
        recv_from(c, op.peer, send_.data(), op.bytes);
      r.seconds = seconds_since(start);
      if (op.kind == OpKind::recv && check) r.wrong = wrong_bytes(send_.data(), op.bytes, op.peer, me, seed);
      r.bytes = r.bus_bytes = static_cast<double>(op.bytes);
      return r;
    }
    if (op.coll == job::Coll::alltoallv) {
      std::vector<std::size_t> out(op.send_counts.begin(), op.send_counts.end()), in(op.recv_counts.begin(), op.recv_counts.end());
      std::size_t total_out = 0, total_in = 0;
      for (int j = 0; j < n; ++j) total_out += out[j], total_in += in[j];
      send_.resize(total_out);
      recv_.resize(total_in);
      if (check)
        for (int j = 0, off = 0; j < n; off += static_cast<int>(out[j]), ++j) fill_bytes(send_.data() + off, out[j], me, j, seed);
      start = Clock::now();
      alltoallv(c, send_.data(), out, recv_.data(), in);
      r.seconds = seconds_since(start);
      if (check) {
        std::size_t off = 0;
        for (int j = 0; j < n; off += in[j], ++j) r.wrong += wrong_bytes(recv_.data() + off, in[j], j, me, seed);
      }
      r.bytes = static_cast<double>(total_out);
      r.bus_bytes = static_cast<double>(total_out - out[me]);
      return r;
    }
    const Collective coll = job::nccl_collective(op.coll);
    const std::size_t es = dtype_size(t);
    const auto k = coll_counts(coll, std::max<std::size_t>(op.bytes / es, n), n);
    send_.resize(k.send * es);
    recv_.resize(k.recv * es);
    if (check) {
      fill_input(t, send_.data(), k.send, me, 0, seed);
      fill_sentinel(t, recv_.data(), k.recv);
    }
    start = Clock::now();
    switch (coll) {
      case Collective::all_reduce: all_reduce(c, send_.data(), recv_.data(), k.param, t, agent::Op::sum, Algo::automatic); break;
      case Collective::all_gather: all_gather(c, send_.data(), recv_.data(), k.param, t); break;
      default: reduce_scatter(c, send_.data(), recv_.data(), k.param, t, agent::Op::sum); break;
    }
    r.seconds = seconds_since(start);
    if (check) r.wrong = count_wrong(t, agent::Op::sum, recv_.data(), expected_output(coll, t, agent::Op::sum, me, n, 0, k.param, seed), n);
    const double bytes = static_cast<double>(std::max(k.send, k.recv) * es);
    r.bytes = bytes;
    r.bus_bytes = bytes * bus_factor(coll, n);
    return r;
  }

  const job::Group& group_;
  std::unique_ptr<Comm> comm_;
  int world_rank_;
  std::vector<std::byte> send_, recv_;
  Stream<OpResult> stream_;  // last: stopped (joined) before the communicator it uses goes
};

struct GroupTotals {
  double seconds = 0, bytes = 0, bus_bytes = 0;
  int ops = 0;
};

std::string group_tier(const job::Layout& layout, GroupKind k, const std::function<std::string(int, int)>& tier_of) {
  bool up = false, out = false;
  for (const auto& g : layout.groups)
    if (g.kind == k)
      for (std::size_t i = 1; i < g.members.size(); ++i) (tier_of(g.members[0], g.members[i]) == "scale_up" ? up : out) = true;
  return up && out ? "both" : up ? "scale_up" : "scale_out";
}

}  // namespace

JobReport run_job(Comm& world, const GroupConnector& connect, const job::JobSpec& spec, const job::Layout& layout,
                  DType dtype, const JobOptions& opts, const std::function<std::string(int, int)>& tier_of) {
  const int me = world.rank();
  const auto phases = job::phase_names(spec, layout);
  // Communicators for the groups this job uses, connected in one order on every rank.
  std::vector<bool> used(4, false);
  for (const auto& op : job::compile_step(spec, layout, me, 0).ops)
    if (op.kind == OpKind::collective || op.kind == OpKind::send || op.kind == OpKind::recv) used[static_cast<int>(op.group)] = true;
  std::map<GroupKind, std::unique_ptr<Lane>> lanes;
  for (GroupKind k : job::kGroupKinds) {
    const auto& g = layout.group_of(k, me);
    if (used[static_cast<int>(k)] && g.members.size() > 1) lanes[k] = std::make_unique<Lane>(g, connect(g), me);
  }
  barrier(world);

  JobReport report;
  std::map<GroupKind, GroupTotals> totals;
  const int all_steps = opts.warmup_steps + opts.steps;
  Clock::time_point timed_start{};
  // A step's period, for the drill's events: from the previous step's end, through the barrier
  // that waits for the slowest rank, to this step's end. The ranks run in lockstep, so this is
  // the job's pace; a rank's own step time is not (a prefill rank's KV sends complete into its
  // socket buffers, long before the decode rank has them).
  std::optional<Clock::time_point> previous_end;
  for (int step = 0;; ++step) {
    const auto period_start = previous_end.value_or(Clock::now());
    const bool warmup = step < opts.warmup_steps, check = warmup && opts.check;
    if (opts.duration_s > 0 && !warmup) {
      // Rank 0 decides, so every rank runs the same number of steps.
      if (step == opts.warmup_steps) timed_start = Clock::now();
      std::int32_t go = me != 0 || step == opts.warmup_steps || seconds_since(timed_start) < opts.duration_s;
      broadcast(world, &go, &go, 1, DType::int32, 0);
      if (!go) break;
    } else if (opts.duration_s <= 0 && step >= all_steps) {
      break;
    }
    const auto program = job::compile_step(spec, layout, me, step);
    std::map<std::pair<int, int>, std::uint64_t> p2p_count;  // (kind-peer, direction) → messages so far
    std::map<GroupKind, std::uint64_t> coll_count;
    std::vector<std::future<OpResult>> pending;
    std::vector<OpResult> done;
    double compute = 0, idle = 0;
    barrier(world);
    const auto start = Clock::now();
    for (const auto& op : program.ops) {
      if (op.kind == OpKind::compute) {
        const auto t = Clock::now();
        std::this_thread::sleep_for(std::chrono::duration<double, std::nano>(static_cast<double>(op.ns) * opts.dilation));
        (op.phase == "idle" ? idle : compute) += seconds_since(t);  // waiting for requests is not work
        continue;
      }
      if (op.kind == OpKind::wait_all) {
        for (auto& f : pending) done.push_back(f.get());
        pending.clear();
        continue;
      }
      // Every member derives the same seed for the same operation: collectives by their order
      // in the group, messages by their order between the pair.
      std::uint64_t seed = static_cast<std::uint64_t>(step) << 32;
      if (op.kind == OpKind::collective)
        seed += (static_cast<std::uint64_t>(op.group) << 24) + coll_count[op.group]++;
      else {
        const int self = layout.group_rank(op.group, me);
        const int from = op.kind == OpKind::send ? self : op.peer, to = op.kind == OpKind::send ? op.peer : self;
        seed += (static_cast<std::uint64_t>(from) << 20) + (static_cast<std::uint64_t>(to) << 8) + p2p_count[{from, to}]++;
      }
      auto f = lanes.at(op.group)->submit(op, dtype, check, seed);
      if (op.async)
        pending.push_back(std::move(f));
      else
        done.push_back(f.get());
    }
    for (auto& f : pending) done.push_back(f.get());
    const double step_seconds = seconds_since(start);
    const double period_seconds = seconds_since(period_start);
    previous_end = Clock::now();
    if (opts.on_step) {
      StepEvent e;
      e.rank = me, e.step = step, e.warmup = warmup;
      const double end_unix = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      e.end_unix = end_unix, e.start_unix = end_unix - period_seconds;
      for (const auto& r : done) e.bytes += r.bytes;
      e.throughput_GBps = period_seconds > 0 ? e.bytes / period_seconds / 1e9 : 0;
      opts.on_step(e);
    }

    std::vector<double> mine = {step_seconds, compute, std::max(0.0, step_seconds - compute - idle)};
    std::int64_t wrong = 0;
    for (const auto& name : phases) {
      double s = name == "compute" ? compute : 0;
      for (const auto& r : done)
        if (r.phase == name) s += r.seconds;
      mine.push_back(s);
    }
    double token = -1;
    if (spec.inference && layout.group_rank(GroupKind::pp, me) == 1) {
      double work = compute;
      for (const auto& r : done)
        if (r.group == GroupKind::tp) work += r.seconds;
      token = work / (static_cast<double>(spec.inference->requests) * spec.inference->tokens);
    }
    mine.push_back(token);
    for (const auto& r : done) {
      wrong += r.wrong;
      if (!warmup) {
        auto& t = totals[r.group];
        t.seconds += r.seconds, t.bytes += r.bytes, t.bus_bytes += r.bus_bytes, ++t.ops;
      }
    }
    const auto worst = max_across(world, mine);
    StepFigures fig;
    fig.step = step;
    fig.warmup = warmup;
    fig.seconds = worst[0], fig.compute_seconds = worst[1], fig.exposed_seconds = worst[2];
    for (std::size_t i = 0; i < phases.size(); ++i) fig.phases.push_back({phases[i], worst[3 + i]});
    fig.token_seconds = worst[3 + phases.size()];
    fig.wrong = check ? sum_across(world, wrong) : -1;
    if (fig.wrong >= 0) report.wrong = std::max<std::int64_t>(report.wrong, 0) + fig.wrong;
    report.steps.push_back(fig);
  }

  // Per group kind: busbw of the slowest rank (max of the negated figure), the most bytes and time.
  std::vector<double> mine;
  for (GroupKind k : job::kGroupKinds) {
    const auto& t = totals[k];
    int timed = 0;
    for (const auto& s : report.steps) timed += !s.warmup;
    const double steps = std::max(1, timed);
    mine.push_back(t.seconds > 0 ? -t.bus_bytes / t.seconds / 1e9 : 0);
    mine.push_back(t.bytes / steps);
    mine.push_back(t.seconds / steps);
    mine.push_back(t.ops / steps);
  }
  const auto worst = max_across(world, mine);
  for (GroupKind k : job::kGroupKinds) {
    const int i = 4 * static_cast<int>(k);
    if (worst[i + 3] <= 0) continue;
    GroupFigures g;
    g.kind = k;
    g.size = layout.size(k);
    for (const auto& grp : layout.groups) g.count += grp.kind == k;
    g.tier = group_tier(layout, k, tier_of);
    g.busbw_GBps = -worst[i];
    g.bytes_per_step = worst[i + 1];
    g.seconds_per_step = worst[i + 2];
    g.ops_per_step = static_cast<int>(worst[i + 3] + 0.5);
    report.groups.push_back(g);
  }
  double sum = 0, tokens = 0;
  int timed = 0;
  for (const auto& s : report.steps)
    if (!s.warmup) sum += s.seconds, tokens += s.token_seconds, ++timed;
  report.mean_step_seconds = timed ? sum / timed : 0;
  if (spec.inference && timed) report.mean_token_seconds = tokens / timed;
  return report;
}

nlohmann::json report_json(const JobReport& r, double dilation) {
  nlohmann::json steps = nlohmann::json::array(), groups = nlohmann::json::array();
  for (const auto& s : r.steps) {
    nlohmann::json phases = nlohmann::json::object();
    for (const auto& p : s.phases) phases[p.name] = p.seconds * 1e3;
    steps.push_back({{"step", s.step}, {"warmup", s.warmup}, {"time_ms", s.seconds * 1e3}, {"compute_ms", s.compute_seconds * 1e3},
                     {"exposed_ms", s.exposed_seconds * 1e3}, {"phases_ms", phases}, {"wrong", s.wrong},
                     {"projected_real_time_ms", s.seconds * 1e3 / dilation}});
    if (s.token_seconds >= 0) {
      steps.back()["token_latency_ms"] = s.token_seconds * 1e3;
      steps.back()["projected_real_token_latency_ms"] = s.token_seconds * 1e3 / dilation;
    }
  }
  for (const auto& g : r.groups)
    groups.push_back({{"group", job::group_kind_name(g.kind)}, {"size", g.size}, {"groups", g.count}, {"tier", g.tier},
                      {"ops_per_step", g.ops_per_step}, {"bytes_per_step", g.bytes_per_step},
                      {"time_ms_per_step", g.seconds_per_step * 1e3}, {"busbw_GBps", g.busbw_GBps},
                      {"projected_real_busbw_GBps", g.busbw_GBps * dilation}});
  nlohmann::json out = {{"steps", steps}, {"groups", groups}, {"wrong", r.wrong}, {"mean_step_ms", r.mean_step_seconds * 1e3},
                        {"projected_real_step_ms", r.mean_step_seconds * 1e3 / dilation}, {"dilation", dilation}};
  if (r.mean_token_seconds >= 0) {
    out["mean_token_latency_ms"] = r.mean_token_seconds * 1e3;
    out["projected_real_token_latency_ms"] = r.mean_token_seconds * 1e3 / dilation;
  }
  return out;
}

}  // namespace scalelab::agent
