// Duration mode (--duration-s) and per-iteration events (--events): in-process runs of run_loop /
// run_benchmark, the event line format, and the CLI's contract (usage errors, output of every rank).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "bench/benchmark.h"
#include "collectives/algorithms.h"
#include "test_util.h"

using namespace scalelab::agent;
using scalelab::agent::testing::run_inprocess;

namespace {

BenchConfig loop_config(double seconds, std::size_t bytes) {
  BenchConfig cfg;
  cfg.coll = Collective::all_reduce;
  cfg.minbytes = cfg.maxbytes = bytes;
  cfg.warmup = 1;
  cfg.duration_s = seconds;
  return cfg;
}

// Events of every rank, in the order each rank reported them.
struct Collected {
  std::mutex mu;
  std::map<int, std::vector<IterationEvent>> by_rank;
  std::map<int, LoopReport> reports;
};

void expect_well_formed(const std::vector<IterationEvent>& evs, int rank, std::size_t bytes) {
  for (std::size_t i = 0; i < evs.size(); ++i) {
    const auto& e = evs[i];
    EXPECT_EQ(e.rank, rank);
    EXPECT_EQ(e.iter, static_cast<long>(i)) << "rank " << rank;
    EXPECT_LT(e.start_unix, e.end_unix) << "rank " << rank << " iter " << i;
    EXPECT_GT(e.start_unix, 1.6e9);  // CLOCK_REALTIME, not a steady clock
    if (i > 0) {
      EXPECT_GE(e.start_unix, evs[i - 1].end_unix - 1e-3) << "rank " << rank << " iter " << i;
    }
    EXPECT_EQ(e.bytes, bytes);
    EXPECT_GT(e.algbw, 0);
    EXPECT_GT(e.busbw, 0);
  }
}

}  // namespace

TEST(DurationLoop, EveryRankReportsTheSameIncreasingIterations) {
  for (auto [n, domain] : {std::pair{4, 2}, std::pair{3, 0}}) {
    Collected col;
    const std::size_t bytes = 256 << 10;
    const auto t0 = Clock::now();
    auto errors = run_inprocess(n, domain, CommOptions{}, [&](Comm& c) {
      std::vector<IterationEvent> mine;
      const auto rep = run_loop(c, loop_config(0.3, bytes), [&](const IterationEvent& e) { mine.push_back(e); });
      std::lock_guard lk(col.mu);
      col.by_rank[c.rank()] = std::move(mine);
      col.reports[c.rank()] = rep;
    });
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    ASSERT_TRUE(errors.empty()) << errors.front();
    ASSERT_EQ(col.by_rank.size(), static_cast<std::size_t>(n));
    const std::size_t iters = col.by_rank[0].size();
    EXPECT_GE(iters, 2u);  // 0.3 s of 256 KiB all_reduces in memory
    EXPECT_LT(wall, 5.0);  // stops near the duration
    for (auto& [r, evs] : col.by_rank) {
      EXPECT_EQ(evs.size(), iters) << "rank " << r << " stopped at a different iteration count";
      expect_well_formed(evs, r, bytes);
      const auto& rep = col.reports[r];
      EXPECT_EQ(rep.iterations, static_cast<long>(iters));
      EXPECT_EQ(rep.wrong, 0);  // the last iteration's output is checked
      EXPECT_EQ(rep.bytes, bytes);
      EXPECT_GT(rep.busbw, 0);
      if (r == 0) {
        EXPECT_GE(rep.seconds, 0.3);  // rank 0 keeps the clock
      }
    }
  }
}

TEST(DurationLoop, TinyDurationStillRunsOneIteration) {
  Collected col;
  auto errors = run_inprocess(2, 0, CommOptions{}, [&](Comm& c) {
    auto cfg = loop_config(1e-9, 64);
    cfg.warmup = 0;
    std::vector<IterationEvent> mine;
    run_loop(c, cfg, [&](const IterationEvent& e) { mine.push_back(e); });
    std::lock_guard lk(col.mu);
    col.by_rank[c.rank()] = std::move(mine);
  });
  ASSERT_TRUE(errors.empty()) << errors.front();
  for (auto& [r, evs] : col.by_rank) EXPECT_GE(evs.size(), 1u) << r;
  EXPECT_EQ(col.by_rank[0].size(), col.by_rank[1].size());
}

TEST(DurationLoop, SweepEmitsOneEventPerTimedIteration) {
  Collected col;
  auto errors = run_inprocess(3, 0, CommOptions{}, [&](Comm& c) {
    BenchConfig cfg;
    cfg.coll = Collective::all_gather;
    cfg.minbytes = 3 * 1024;
    cfg.maxbytes = 3 * 4096;
    cfg.stepfactor = 2;  // 3 sizes
    cfg.iters = 4;
    cfg.warmup = 1;
    std::vector<IterationEvent> mine;
    run_benchmark(c, cfg, {}, [&](const IterationEvent& e) { mine.push_back(e); });
    std::lock_guard lk(col.mu);
    col.by_rank[c.rank()] = std::move(mine);
  });
  ASSERT_TRUE(errors.empty()) << errors.front();
  for (auto& [r, evs] : col.by_rank) {
    ASSERT_EQ(evs.size(), 3u * 2 * 4) << r;  // sizes x (out-of-place, in-place) x iters
    for (std::size_t i = 0; i < evs.size(); ++i) {
      EXPECT_EQ(evs[i].iter, static_cast<long>(i));
      EXPECT_LT(evs[i].start_unix, evs[i].end_unix);
    }
    EXPECT_EQ(evs.front().bytes, 3u * 1024);
    EXPECT_EQ(evs.back().bytes, 3u * 4096);
  }
}

TEST(DurationLoop, StalledRankMidLoopFailsEveryoneWithinTheStepTimeout) {
  const int n = 4;
  CommOptions o;
  o.step_timeout = Millis(300);
  auto fabric = std::make_shared<InProcessFabric>(n);
  const ClusterInfo cl = make_inprocess_cluster(n, 0);
  struct Out {
    bool threw = false;
    ErrorInfo info;
    Clock::time_point at;
  };
  std::vector<Out> out(n);
  std::atomic<Clock::rep> stall_at{0};
  std::vector<std::thread> ts;
  for (int r = 0; r < n; ++r)
    ts.emplace_back([&, r] {
      auto c = connect_inprocess_comm(fabric, cl, r, o);
      try {
        run_loop(*c, loop_config(10.0, 64 << 10), [&](const IterationEvent& e) {
          if (r == 2 && e.iter == 3) {  // rank 2 stops taking part (e.g. its link went down)
            stall_at = Clock::now().time_since_epoch().count();
            std::this_thread::sleep_for(Millis(1500));
          }
        });
      } catch (const CollectiveError& e) {
        out[r].threw = true;
        out[r].info = e.info();
        fabric->fail(r, e.info().cause);
      }
      out[r].at = Clock::now();
    });
  for (auto& t : ts) t.join();
  const Clock::time_point stalled{Clock::duration(stall_at.load())};
  ASSERT_NE(stall_at.load(), 0);
  for (int r : {0, 1, 3}) {
    EXPECT_TRUE(out[r].threw) << "rank " << r << " did not report";
    const double after = std::chrono::duration<double>(out[r].at - stalled).count();
    EXPECT_LE(after, 0.3 + 0.25) << "rank " << r << " reported " << after << " s after the stall";
  }
  // Rank 3 waits on rank 2 (stop flag or data): it names rank 2 and a timeout.
  EXPECT_EQ(out[3].info.peer, 2);
  EXPECT_NE(out[3].info.cause.find("timeout after 300 ms"), std::string::npos) << out[3].info.cause;
  EXPECT_TRUE(out[2].threw);  // when it comes back, its peers are gone: it fails too, at once
}

TEST(DurationLoop, ConfigValidation) {
  BenchConfig cfg = loop_config(5, 4 << 20);
  EXPECT_NO_THROW(validate_config(cfg));
  cfg.maxbytes = 8 << 20;
  EXPECT_THROW(validate_config(cfg), std::invalid_argument);  // -b != -e
  cfg.duration_s = 0;
  EXPECT_NO_THROW(validate_config(cfg));  // a sweep may have -b < -e
  cfg.minbytes = 16 << 20;
  EXPECT_THROW(validate_config(cfg), std::invalid_argument);  // -b > -e
  cfg = loop_config(-1, 64);
  EXPECT_THROW(validate_config(cfg), std::invalid_argument);
  cfg = loop_config(std::numeric_limits<double>::infinity(), 64);
  EXPECT_THROW(validate_config(cfg), std::invalid_argument);
}

TEST(EventFormat, LineRoundTrips) {
  IterationEvent e;
  e.rank = 3;
  e.iter = 17;
  e.start_unix = 1764000000.1234564;
  e.end_unix = 1764000000.9876541;
  e.bytes = 4194304;
  e.busbw = 0.117;
  e.algbw = 0.078;
  const std::string line = format_event(e);
  EXPECT_EQ(line,
            "SCALELAB_EVENT {\"type\":\"iteration\",\"rank\":3,\"iter\":17,\"start_unix\":1764000000.123456,"
            "\"end_unix\":1764000000.987654,\"bytes\":4194304,\"busbw_GBps\":0.117,\"algbw_GBps\":0.078}");
  const auto p = parse_event(line);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rank, 3);
  EXPECT_EQ(p->iter, 17);
  EXPECT_NEAR(p->start_unix, e.start_unix, 1e-6);
  EXPECT_NEAR(p->end_unix, e.end_unix, 1e-6);
  EXPECT_EQ(p->bytes, e.bytes);
  EXPECT_DOUBLE_EQ(p->busbw, 0.117);
  EXPECT_EQ(p->wrong, -1);  // unchecked: no "wrong" on the line
  EXPECT_FALSE(parse_event("SCALELAB_ERROR {}"));
  EXPECT_FALSE(parse_event("SCALELAB_EVENT {\"type\":\"other\"}"));
  e.wrong = 5;
  const std::string checked = format_event(e);
  EXPECT_NE(checked.find(",\"algbw_GBps\":0.078,\"wrong\":5}"), std::string::npos) << checked;
  EXPECT_EQ(parse_event(checked)->wrong, 5);
}

// With -c every iteration of the loop is checked and says so in its event (a soak under faults
// counts #wrong over thousands of collectives); without it the events carry no verdict.
TEST(DurationLoop, CheckedLoopReportsWrongPerIteration) {
  for (int check : {1, 0}) {
    Collected col;
    auto errors = run_inprocess(4, 2, CommOptions{}, [&](Comm& c) {
      auto cfg = loop_config(0.2, 64 << 10);
      cfg.check = check;
      std::vector<IterationEvent> mine;
      const auto rep = run_loop(c, cfg, [&](const IterationEvent& e) { mine.push_back(e); });
      std::lock_guard lk(col.mu);
      col.by_rank[c.rank()] = std::move(mine);
      col.reports[c.rank()] = rep;
    });
    ASSERT_TRUE(errors.empty()) << errors.front();
    for (auto& [r, evs] : col.by_rank) {
      ASSERT_GE(evs.size(), 2u) << r;
      for (const auto& e : evs) EXPECT_EQ(e.wrong, check ? 0 : -1) << "rank " << r << " iter " << e.iter;
      EXPECT_EQ(col.reports[r].wrong, check ? 0 : -1);
    }
  }
}

// ---- the CLI (the real binary, --inprocess) ----

namespace {

struct Ran {
  int status = -1;
  std::string out, err;
};

Ran run_agent(const std::string& args) {
  const std::string errfile = ::testing::TempDir() + "agent_loop_test.err";
  const std::string cmd = std::string("timeout 30 ") + SCALELAB_AGENT_BIN + " " + args + " 2>" + errfile;
  Ran r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (FILE* f = std::fopen(errfile.c_str(), "r")) {
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) r.err.append(buf, n);
    std::fclose(f);
  }
  return r;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

}  // namespace

TEST(AgentCli, DurationNeedsOneSize) {
  const auto r = run_agent("--inprocess 2 all_reduce -b 1K -e 2K --duration-s 1");
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("must equal -e"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("SCALELAB_EVENT"), std::string::npos);
  // -b alone leaves -e at its default (32M): the same usage error.
  EXPECT_EQ(run_agent("--inprocess 2 all_reduce -b 1K --duration-s 1").status, 2);
}

TEST(AgentCli, DurationEventsFromEveryRank) {
  const auto r = run_agent("--inprocess 3 --domain-size 0 all_reduce -b 64K -e 64K -w 1 --duration-s 0.3 --events");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  std::map<int, std::vector<IterationEvent>> by_rank;
  int headers = 0;
  for (const auto& l : lines_of(r.out)) {
    if (l.starts_with("#")) {
      ++headers;
      EXPECT_NE(l.find("transport scale_up=inprocess"), std::string::npos) << l;
      continue;
    }
    const auto e = parse_event(l);
    ASSERT_TRUE(e) << "not an event line: " << l;
    by_rank[e->rank].push_back(*e);
  }
  EXPECT_EQ(headers, 1);  // no nccl table in --events mode
  ASSERT_EQ(by_rank.size(), 3u);
  for (auto& [rank, evs] : by_rank) {
    EXPECT_EQ(evs.size(), by_rank[0].size()) << rank;
    expect_well_formed(evs, rank, 64 << 10);
  }
}

TEST(AgentCli, SweepEventsReplaceTheTable) {
  const auto r = run_agent("--inprocess 2 all_reduce -b 1K -e 4K -f 2 -n 3 -w 1 --events");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  int events = 0, headers = 0;
  for (const auto& l : lines_of(r.out)) {
    if (l.starts_with("#")) ++headers;
    else if (parse_event(l)) ++events;
    else ADD_FAILURE() << "unexpected line: " << l;
  }
  EXPECT_EQ(headers, 1);
  EXPECT_EQ(events, 2 * 3 * 2 * 3);  // ranks x sizes x (oop, ip) x iters
}

TEST(AgentCli, DurationWithoutEventsPrintsASummary) {
  const auto r = run_agent("--inprocess 2 all_reduce -b 4K -e 4K -w 1 --duration-s 0.2");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("# Loop: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# Out of bounds values : 0 OK"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("SCALELAB_EVENT"), std::string::npos);
}

TEST(StopRequest, PendingWaitReportsWhatItWaitedFor) {
  clear_stop_request();
  CommOptions o;
  o.step_timeout = Millis(5000);
  struct Out {
    bool threw = false;
    ErrorInfo info;
    double seconds = 0;
  } out;
  auto errors = run_inprocess(2, 0, o, [&](Comm& c) {
    if (c.rank() == 1) {  // connected, never sends
      std::this_thread::sleep_for(Millis(400));
      return;
    }
    std::thread stopper([] {
      std::this_thread::sleep_for(Millis(100));
      request_stop(SIGTERM);  // what the agent's SIGTERM handler does
    });
    std::vector<float> v(1024, 1.0f);
    const auto t0 = Clock::now();
    try {
      all_reduce(c, v.data(), v.data(), v.size(), DType::float32, Op::sum, Algo::ring);
    } catch (const CollectiveError& e) {
      out.threw = true;
      out.info = e.info();
    }
    out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    stopper.join();
  });
  clear_stop_request();
  ASSERT_TRUE(out.threw);
  EXPECT_EQ(out.info.peer, 1);
  EXPECT_NE(out.info.cause.find("stopped by SIGTERM"), std::string::npos) << out.info.cause;
  EXPECT_NE(out.info.cause.find("from rank 1 incomplete"), std::string::npos) << out.info.cause;
  EXPECT_LT(out.seconds, 1.0);  // not the 5 s step timeout
}
