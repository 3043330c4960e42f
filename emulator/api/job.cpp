#include "scalelab/job.h"

#include <csignal>

#include "emulator/api/job_impl.h"
#include "scalelab/errors.h"

namespace scalelab {

bool JobResult::ok() const {
  if (timed_out) return false;
  for (const auto& r : ranks)
    if (r.status != 0) return false;
  return true;
}

std::vector<int> JobResult::failed_ranks() const {
  std::vector<int> out;
  for (const auto& r : ranks)
    if (r.status != 0 && !r.stopped) out.push_back(r.rank);
  return out;
}

std::vector<int> JobResult::stopped_ranks() const {
  std::vector<int> out;
  for (const auto& r : ranks)
    if (r.stopped) out.push_back(r.rank);
  return out;
}

const RankResult* JobResult::first_failure() const {
  const RankResult* first = nullptr;
  for (const auto& r : ranks)
    if (r.status != 0 && !r.stopped && (!first || r.ended < first->ended)) first = &r;
  return first;
}

void Job::Impl::start(const std::string& pids_file) {
  group = std::make_unique<process::ProcessGroup>(pids_file, [this](std::size_t member, const std::string& label, const std::string& line) {
    if (options.keep_output && member < ranks.size()) {
      auto& out = ranks[member].output;
      // Drop the oldest half at once, so a chatty rank costs O(1) per line on average.
      if (out.size() >= 2 * RankResult::kMaxLines) out.erase(out.begin(), out.begin() + RankResult::kMaxLines);
      out.push_back(line);
    }
    if (options.on_line) options.on_line(member < ranks.size() ? ranks[member].rank : static_cast<int>(member), label, line);
  });
}

void Job::Impl::launch(const process::LaunchSpec& spec) {
  try {
    group->launch(spec);
  } catch (const std::exception& e) {
    throw LaunchError(e.what());
  }
}

Job::Job(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Job::Job(Job&&) noexcept = default;
Job& Job::operator=(Job&&) noexcept = default;
Job::~Job() = default;

std::vector<pid_t> Job::pids() const { return impl_->group->pids(); }

const JobResult& Job::wait(std::optional<std::chrono::milliseconds> timeout) {
  if (impl_->result) return *impl_->result;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout) deadline = std::chrono::steady_clock::now() + *timeout;
  auto group_result = impl_->group->wait(deadline, impl_->options.stop_on_failure);
  JobResult result;
  result.timed_out = group_result.timed_out;
  result.ranks = std::move(impl_->ranks);
  for (std::size_t i = 0; i < result.ranks.size() && i < group_result.members.size(); ++i) {
    const auto& m = group_result.members[i];
    auto& r = result.ranks[i];
    r.pid = m.pid;
    r.status = m.status;
    r.stopped = m.killed_by_us;
    r.ended = m.ended;
  }
  impl_->result = std::move(result);
  return *impl_->result;
}

void Job::signal(int sig) {
  for (std::size_t r = 0, n = impl_->group->pids().size(); r < n; ++r) impl_->group->signal(r, sig);
}

const JobResult& Job::kill() {
  if (impl_->result) return *impl_->result;
  // A deadline already passed: the group ends every member (TERM, then KILL) and reaps them.
  wait(std::chrono::milliseconds(0));
  impl_->result->timed_out = false;
  return *impl_->result;
}

}  // namespace scalelab
