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

// As parallel_for, but each worker first makes a state of its own (make_state(), on its own
// thread) that fn(state, i) uses and that is destroyed on that thread once the worker stops
// taking items, also after a failure: e.g. a guard that returns the thread to its namespace.
template <class MakeState, class Fn>
void parallel_for_each_worker(std::size_t count, std::size_t workers, MakeState make_state, Fn fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first;
  std::mutex first_mutex;
  auto fail = [&] {
    std::lock_guard lock(first_mutex);
    if (!first) first = std::current_exception();
    failed = true;
  };
  auto work = [&] {
    try {
      auto state = make_state();
      for (std::size_t i; !failed && (i = next++) < count;) {
        try {
          fn(state, i);
        } catch (...) {
          fail();
        }
      }
    } catch (...) {
      fail();  // make_state or the state's destructor
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < std::min(workers, count); ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (first) std::rethrow_exception(first);
}

inline void parallel_for(std::size_t count, std::size_t workers, const std::function<void(std::size_t)>& fn) {
  parallel_for_each_worker(count, workers, [] { return 0; }, [&](int&, std::size_t i) { fn(i); });
}

}  // namespace scalelab::runtime
