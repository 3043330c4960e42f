#pragma once
// A stream: one thread that runs the operations of one communicator in the order they were
// submitted, as a CUDA stream does for NCCL. A rank has one per group, so its TP collective, its
// pipeline send and its DP bucket all progress at once, each on its own communicator.
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace scalelab::agent {

template <class Result>
class Stream {
 public:
  Stream() : thread_([this] { loop(); }) {}
  ~Stream() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
      queue_.clear();  // not started: their futures report broken_promise
    }
    cv_.notify_all();
    thread_.join();
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Runs `work` after everything submitted before it; its result or exception lands in the future.
  std::future<Result> submit(std::function<Result()> work) {
    std::packaged_task<Result()> task(std::move(work));
    auto f = task.get_future();
    {
      std::lock_guard lk(mu_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return f;
  }

 private:
  void loop() {
    for (;;) {
      std::packaged_task<Result()> task;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<Result()>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace scalelab::agent
