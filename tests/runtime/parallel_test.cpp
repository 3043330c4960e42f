#include "emulator/runtime/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace scalelab::runtime {
namespace {

TEST(ParallelFor, RunsEachIndexExactlyOnce) {
  constexpr std::size_t kCount = 1000;
  std::vector<std::atomic<int>> hits(kCount);
  parallel_for(kCount, 4, [&](std::size_t i) { hits[i]++; });
  for (std::size_t i = 0; i < kCount; ++i) EXPECT_EQ(hits[i].load(), 1) << "index " << i;
}

TEST(ParallelFor, UsesUpToWorkersThreadsIncludingTheCaller) {
  std::mutex m;
  std::set<std::thread::id> ids;
  parallel_for(64, 4, [&](std::size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard lock(m);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_GT(ids.size(), 1u) << "no parallelism";
  EXPECT_LE(ids.size(), 4u);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 1u) << "the calling thread should take part";
}

TEST(ParallelFor, NeverMoreThreadsThanItems) {
  std::mutex m;
  std::set<std::thread::id> ids;
  std::atomic<int> calls{0};
  parallel_for(3, 16, [&](std::size_t) {
    calls++;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::lock_guard lock(m);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(calls.load(), 3);
  EXPECT_LE(ids.size(), 3u);
}

TEST(ParallelFor, OneWorkerRunsInOrderOnTheCaller) {
  std::vector<std::size_t> order;
  std::set<std::thread::id> ids;
  parallel_for(10, 1, [&](std::size_t i) {
    order.push_back(i);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(ids, std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST(ParallelFor, CountZeroCallsNothing) {
  std::atomic<int> calls{0};
  EXPECT_NO_THROW(parallel_for(0, 4, [&](std::size_t) { calls++; }));
  EXPECT_NO_THROW(parallel_for(0, 1, [&](std::size_t) { calls++; }));
  EXPECT_NO_THROW(parallel_for(0, 0, [&](std::size_t) { calls++; }));
  EXPECT_EQ(calls.load(), 0);
}

TEST(ParallelFor, RethrowsTheFirstExceptionAndStopsTakingItems) {
  std::atomic<int> calls{0};
  try {
    parallel_for(100, 1, [&](std::size_t i) {
      calls++;
      if (i == 5) throw std::runtime_error("item 5 failed");
      if (i == 7) throw std::runtime_error("item 7 failed");
    });
    FAIL() << "nothing was rethrown";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "item 5 failed");
  }
  EXPECT_EQ(calls.load(), 6) << "items after the failure were still taken";
}

TEST(ParallelFor, RethrowsFromAWorkerThreadAndStopsEarly) {
  std::atomic<int> calls{0};
  try {
    parallel_for(10000, 4, [&](std::size_t i) {
      calls++;
      if (i == 10) throw std::invalid_argument("item 10");
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    });
    FAIL() << "nothing was rethrown";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "item 10");
  }
  EXPECT_LT(calls.load(), 100) << "workers kept taking items after the failure";
}

TEST(ParallelFor, OnlyOneOfSeveralFailuresIsRethrown) {
  std::atomic<int> thrown{0};
  try {
    parallel_for(200, 4, [&](std::size_t i) {
      if (i % 3 == 0) {
        thrown++;
        throw std::runtime_error("item " + std::to_string(i));
      }
    });
    FAIL() << "nothing was rethrown";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    ASSERT_EQ(what.rfind("item ", 0), 0u) << what;
    EXPECT_EQ(std::stoi(what.substr(5)) % 3, 0) << what;
  }
  EXPECT_GE(thrown.load(), 1);
}

TEST(ParallelFor, RethrowsNonStandardExceptions) {
  EXPECT_THROW(parallel_for(4, 2, [](std::size_t i) {
                 if (i == 2) throw 42;
               }),
               int);
}

TEST(ParallelFor, AllWorkersHaveStoppedWhenItRethrows) {
  std::atomic<int> started{0}, finished{0};
  try {
    parallel_for(8, 4, [&](std::size_t i) {
      started++;
      if (i == 0) throw std::runtime_error("first");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished++;
    });
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(finished.load(), started.load() - 1) << "a worker was still running after the rethrow";
}

}  // namespace
}  // namespace scalelab::runtime
