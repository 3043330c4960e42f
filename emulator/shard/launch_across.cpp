#include "emulator/shard/launch_across.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "emulator/process/process_group.h"
#include "emulator/shard/operator.h"

namespace scalelab::shard {

bool AcrossRun::ok() const {
  if (timed_out || !lost_machines.empty() || !first_failed_machine.empty()) return false;
  return std::all_of(ranks.begin(), ranks.end(), [](const RankEnd& r) { return r.status == 0; });
}

const RankEnd* AcrossRun::first_failure() const {
  for (const auto& r : ranks)
    if (r.status != 0 && !r.stopped && failed_on_first_machine.count(r.rank)) return &r;
  for (const auto& r : ranks)
    if (r.status != 0 && !r.stopped) return &r;
  return nullptr;
}

AcrossRun run_across(const std::string& cluster, const std::vector<std::string>& args, const RankLineSink& on_line,
                     std::optional<std::chrono::seconds> deadline) {
  auto record = across_record(cluster);
  if (!record) throw std::runtime_error("cluster " + cluster + " is not up across machines");
  const auto labels = machine_labels(*record);

  struct PerMachine {
    std::optional<MachineDone> done;
    std::deque<std::string> other_lines;  // ssh's or scalelab's own words, for the error
  };
  std::vector<PerMachine> machines(labels.size());
  std::mutex mutex;
  std::filesystem::remove(sessions_file(cluster));
  process::ProcessGroup sessions(sessions_file(cluster), [&](std::size_t m, const std::string&, const std::string& line) {
    auto message = decode(line);
    if (!message) {
      std::lock_guard lock(mutex);
      auto& lines = machines[m].other_lines;
      lines.push_back(line);
      if (lines.size() > 20) lines.pop_front();
      return;
    }
    if (auto* l = std::get_if<RankLine>(&*message)) {
      if (on_line) on_line(*l);
    } else if (auto* d = std::get_if<MachineDone>(&*message)) {
      std::lock_guard lock(mutex);
      machines[m].done = std::move(*d);
    }
  });
  for (std::size_t m = 0; m < labels.size(); ++m) sessions.launch({labels[m], "", ssh_command(*record, m, args), {}, {}});
  std::optional<std::chrono::steady_clock::time_point> until;
  // The machines apply the run's own deadline; this one catches a machine that stops answering.
  if (deadline) until = std::chrono::steady_clock::now() + *deadline + std::chrono::seconds(15);
  const auto group = sessions.wait(until, /*stop_on_failure=*/true, std::chrono::milliseconds(3000));

  AcrossRun run;
  run.timed_out = group.timed_out;
  run.netem = true;
  const auto* first = group.first_failure();
  for (std::size_t m = 0; m < machines.size(); ++m) {
    auto& pm = machines[m];
    const auto& member = group.members[m];
    if (!pm.done) {
      if (member.killed_by_us) continue;  // ended because another machine failed first
      std::string said;
      for (const auto& l : pm.other_lines) said += (said.empty() ? "" : " | ") + l;
      run.lost_machines.push_back(member.status == 255
                                      ? fmt::format("machine {} is unreachable over ssh: {}", labels[m], said.empty() ? "no answer to ssh's keepalives" : said)
                                      : fmt::format("machine {} ended (exit {}) without a summary: {}", labels[m], member.status, said));
      continue;
    }
    run.timed_out |= pm.done->timed_out;
    run.netem &= pm.done->netem;
    for (auto& r : pm.done->ranks) run.ranks.push_back(r);
    if (!run.collected && pm.done->collected) run.collected = pm.done->collected;
    if (run.faults_in_force.empty()) run.faults_in_force = pm.done->faults_in_force;
    if (first == &member) {
      run.first_failed_machine = labels[m];
      for (const auto& r : pm.done->ranks)
        if (r.status != 0 && !r.stopped) run.failed_on_first_machine.insert(r.rank);
    }
  }
  if (first && run.first_failed_machine.empty()) run.first_failed_machine = first->label;
  std::sort(run.ranks.begin(), run.ranks.end(), [](const RankEnd& a, const RankEnd& b) { return a.rank < b.rank; });
  std::filesystem::remove(sessions_file(cluster));
  return run;
}

std::string take_down_after_loss(const std::string& cluster) {
  const auto down = down_across(cluster);
  if (down.complete()) return "every shard was taken down";
  std::string unreachable;
  for (const auto& m : down.machines)
    if (!m.ok()) unreachable += (unreachable.empty() ? "" : ", ") + m.machine;
  return fmt::format("the shards that answered were taken down; run `scalelab down {}` again once {} answers, or `scalelab clean` there", cluster,
                     unreachable);
}

}  // namespace scalelab::shard
