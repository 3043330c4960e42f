#pragma once
// Runs fn(i) for i in [0, count) on `workers` threads; rethrows the first failure after all
// workers have stopped taking new items.
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scalelab::runtime {

inline void parallel_for(std::size_t count, std::size_t workers, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first;
  std::mutex first_mutex;
  auto work = [&] {
    for (std::size_t i; !failed && (i = next++) < count;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(first_mutex);
        if (!first) first = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < std::min(workers, count); ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace scalelab::runtime
