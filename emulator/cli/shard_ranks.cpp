#include "emulator/cli/shard_ranks.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "emulator/runtime/live_cluster.h"
#include "emulator/shard/rank_stream.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {
namespace {

std::atomic<bool> g_signalled{false};
extern "C" void on_shard_signal(int) { g_signalled = true; }

// Every line goes out whole under one lock; a failed write means the channel is closed.
class Channel {
 public:
  void send(const shard::StreamMessage& message) {
    const auto text = shard::encode(message) + "\n";
    std::lock_guard lock(mutex_);
    if (closed_) return;
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        closed_ = true;
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  mutable std::mutex mutex_;
  bool closed_ = false;
};

}  // namespace

int stream_shard_ranks(const std::string& cluster, const std::vector<std::string>& argv, double timeout_s, const std::string& collect) {
  // The operator's end going away must reach us as a failed write, not kill us with ranks left.
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_shard_signal;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);

  Channel channel;
  RunOptions options;
  options.keep_output = false;
  options.on_line = [&](int rank, const std::string& label, const std::string& line) { channel.send(shard::RankLine{rank, label, line}); };
  Job job = Cluster::attach(cluster).run(argv, std::move(options));

  std::mutex mutex;
  std::condition_variable wake;
  bool finished = false;
  std::atomic<bool> operator_gone{false};
  std::thread watcher([&] {
    std::unique_lock lock(mutex);
    auto next_beat = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> terminated_at;
    while (!finished) {
      wake.wait_for(lock, std::chrono::milliseconds(100));
      if (finished) break;
      if (std::chrono::steady_clock::now() >= next_beat) {
        channel.send(shard::Heartbeat{});
        next_beat += std::chrono::seconds(1);
      }
      if ((channel.closed() || g_signalled) && !terminated_at) {
        operator_gone = channel.closed();
        job.signal(SIGTERM);
        terminated_at = std::chrono::steady_clock::now();
      } else if (terminated_at && std::chrono::steady_clock::now() - *terminated_at > std::chrono::seconds(2)) {
        job.signal(SIGKILL);
      }
    }
  });
  std::optional<std::chrono::milliseconds> timeout;
  if (timeout_s > 0) timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
  const JobResult result = job.wait(timeout);
  {
    std::lock_guard lock(mutex);
    finished = true;
  }
  wake.notify_all();
  watcher.join();

  shard::MachineDone done;
  done.timed_out = result.timed_out;
  done.operator_gone = operator_gone;
  for (const auto& r : result.ranks)
    done.ranks.push_back({r.rank, r.node, r.label, r.status, r.stopped || (operator_gone && r.status != 0)});
  if (!collect.empty() && std::filesystem::exists(collect)) {
    std::ifstream in(collect);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded()) done.collected = std::move(j);
    std::filesystem::remove(collect);
  }
  try {
    auto live = runtime::LiveCluster::open(cluster);
    done.netem = live.netem_available();
    if (!result.ok()) done.faults_in_force = live.faults_in_force();
  } catch (const std::exception&) {
    // the shard went away meanwhile: the ranks' own failure is what there is to say
  }
  channel.send(done);
  return result.ok() && !operator_gone ? 0 : 1;
}

}  // namespace scalelab::cli
