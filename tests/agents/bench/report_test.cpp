#include <gtest/gtest.h>

#include <sstream>

#include "bench/report.h"

using namespace scalelab::agent;

TEST(Report, BusBandwidthFactorsAsNcclTests) {
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_reduce, 8), 2.0 * 7 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_gather, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::reduce_scatter, 4), 3.0 / 4);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::alltoall, 2), 0.5);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::broadcast, 16), 1.0);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::sendrecv, 16), 1.0);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_reduce, 1), 0.0);
}

TEST(Report, AlgbwUsesNcclTestsByteCounts) {
  double alg = 0, bus = 0;
  // all_reduce 1 GB in 1 s on 4 ranks: algbw 1, busbw 1.5
  get_bw(Collective::all_reduce, 250'000'000, 4, 1.0, 4, alg, bus);
  EXPECT_DOUBLE_EQ(alg, 1.0);
  EXPECT_DOUBLE_EQ(bus, 1.5);
  // all_gather: param is the per-rank count; algbw counts the whole gathered buffer.
  get_bw(Collective::all_gather, 62'500'000, 4, 1.0, 4, alg, bus);
  EXPECT_DOUBLE_EQ(alg, 1.0);
  EXPECT_DOUBLE_EQ(bus, 0.75);
  get_bw(Collective::alltoall, 62'500'000, 4, 0.5, 4, alg, bus);
  EXPECT_DOUBLE_EQ(alg, 2.0);
  EXPECT_DOUBLE_EQ(bus, 1.5);
}

TEST(Report, CollCounts) {
  auto k = coll_counts(Collective::all_gather, 1000, 3);
  EXPECT_EQ(k.send, 333u);
  EXPECT_EQ(k.recv, 999u);
  EXPECT_EQ(k.param, 333u);
  EXPECT_EQ(k.send_inplace_offset, 333u);
  k = coll_counts(Collective::reduce_scatter, 1000, 3);
  EXPECT_EQ(k.send, 999u);
  EXPECT_EQ(k.recv, 333u);
  EXPECT_EQ(k.recv_inplace_offset, 333u);
  k = coll_counts(Collective::alltoall, 10, 4);
  EXPECT_EQ(k.send, 8u);
  EXPECT_EQ(k.param, 2u);
  k = coll_counts(Collective::all_reduce, 7, 4);
  EXPECT_EQ(k.param, 7u);
}

TEST(Report, ParseSize) {
  EXPECT_EQ(parse_size("32M"), 32u << 20);
  EXPECT_EQ(parse_size("1K"), 1024u);
  EXPECT_EQ(parse_size("1k"), 1024u);
  EXPECT_EQ(parse_size("2G"), 2ull << 30);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("1.5K"), 1536u);
  EXPECT_EQ(parse_size("8MB"), 8u << 20);
  EXPECT_FALSE(parse_size("abc"));
  EXPECT_FALSE(parse_size("1X"));
  EXPECT_FALSE(parse_size("-1"));
}

TEST(Report, SizeSweepFactorAndStep) {
  EXPECT_EQ(size_sweep(1024, 1 << 20, 4, 0),
            (std::vector<std::size_t>{1024, 4096, 16384, 65536, 262144, 1048576}));
  EXPECT_EQ(size_sweep(8, 100, 2, 0), (std::vector<std::size_t>{8, 16, 32, 64}));
  // -f 1 (nccl-tests' default) steps by -i bytes
  EXPECT_EQ(size_sweep(1000, 4000, 1, 1000), (std::vector<std::size_t>{1000, 2000, 3000, 4000}));
  EXPECT_EQ(size_sweep(32 << 20, 32 << 20, 1, 1 << 20), (std::vector<std::size_t>{32u << 20}));
  EXPECT_EQ(size_sweep(0, 100, 2, 0), (std::vector<std::size_t>{0}));  // no infinite loop
  EXPECT_EQ(size_sweep(5, 4, 2, 0), (std::vector<std::size_t>{}));
}

TEST(Report, TimeFormatting) {
  EXPECT_EQ(format_time_us(12.345), "  12.35");
  EXPECT_EQ(format_time_us(123.45), "  123.5");
  EXPECT_EQ(format_time_us(12345.6), "  12346");
}

TEST(Report, HeaderIsNcclTests) {
  const auto h = table_header();
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[1],
            "#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   "
            "busbw #wrong");
  EXPECT_EQ(h[2],
            "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)            (us)  (GB/s)  "
            "(GB/s)       ");
}

TEST(Report, RowAlignsWithHeaderAndParsesBack) {
  Row r;
  r.bytes = 33554432;
  r.count = 8388608;
  r.type = "bfloat16";
  r.redop = "sum";
  r.root = -1;
  r.oop = {1234.5, 27.18, 47.57, 0};
  r.ip = {98765.4, 0.34, 0.6, 3};
  const std::string line = format_row(r);
  // Right edges of the header names and the values line up (nccl-tests right-aligns everything).
  auto right_edges = [](const std::string& s) {
    std::vector<std::size_t> e;
    for (std::size_t i = 0; i < s.size(); ++i)
      if (s[i] != ' ' && (i + 1 == s.size() || s[i + 1] == ' ')) e.push_back(i);
    return e;
  };
  auto he = right_edges(table_header()[1]);
  he.erase(he.begin());  // the leading '#'
  EXPECT_EQ(right_edges(line), he) << line;
  auto back = parse_row(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->bytes, r.bytes);
  EXPECT_EQ(back->count, r.count);
  EXPECT_EQ(back->type, "bfloat16");
  EXPECT_EQ(back->root, -1);
  EXPECT_DOUBLE_EQ(back->oop.time_us, 1234.5);
  EXPECT_DOUBLE_EQ(back->oop.busbw, 47.57);
  EXPECT_DOUBLE_EQ(back->ip.time_us, 98765);
  EXPECT_EQ(back->ip.wrong, 3);
  r.oop.wrong = -1;  // unchecked
  back = parse_row(format_row(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->oop.wrong, -1);
  EXPECT_FALSE(parse_row(table_header()[1]));
}

TEST(Report, FooterAndJson) {
  EXPECT_EQ(table_footer(0, 1.5), "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : 1.5 \n#\n");
  EXPECT_NE(table_footer(2, 0).find("2 FAILED"), std::string::npos);
  Row r;
  r.bytes = 1024;
  r.oop.busbw = 0.25;
  r.ip.busbw = 0.5;
  r.oop.wrong = 0;
  auto j = row_json(r, 1000);
  EXPECT_DOUBLE_EQ(j["projected_busbw_GBps"].get<double>(), 250.0);
  EXPECT_DOUBLE_EQ(j["inplace_projected_busbw_GBps"].get<double>(), 500.0);
  EXPECT_TRUE(j["inplace_wrong"].is_null());
}

TEST(Report, CollectiveNames) {
  EXPECT_EQ(parse_collective("all_reduce"), Collective::all_reduce);
  EXPECT_EQ(parse_collective("all_reduce_perf"), Collective::all_reduce);
  EXPECT_EQ(parse_collective("sendrecv"), Collective::sendrecv);
  EXPECT_FALSE(parse_collective("reduce"));
}
