#include "emulator/netlink/qdiscs.h"

#include <gtest/gtest.h>
#include <linux/pkt_sched.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "emulator/netlink/capabilities.h"
#include "emulator/netlink/error.h"
#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

constexpr std::uint32_t kRoot = 0x10000;      // 1:
constexpr std::uint32_t kClass = 0x10001;     // 1:1
constexpr std::uint32_t kNetem = 0x100000;    // 10:

struct HtbClassReading {
  std::uint64_t rate_bytes_per_second = 0, ceil_bytes_per_second = 0;
  std::uint32_t quantum = 0;
};

// Reads class 1:1 back from the kernel through libnl (the library has no reader of its own).
std::optional<HtbClassReading> read_htb_class(RouteSocket& sock, int ifindex) {
  nl_cache* raw = nullptr;
  if (rtnl_class_alloc_cache(sock.get(), ifindex, &raw) < 0) return std::nullopt;
  std::unique_ptr<nl_cache, void (*)(nl_cache*)> cache(raw, nl_cache_free);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* cls = reinterpret_cast<rtnl_class*>(o);
    if (rtnl_tc_get_handle(TC_CAST(cls)) != kClass) continue;
    HtbClassReading r;
    rtnl_htb_get_rate64(cls, &r.rate_bytes_per_second);
    rtnl_htb_get_ceil64(cls, &r.ceil_bytes_per_second);
    r.quantum = rtnl_htb_get_quantum(cls);
    return r;
  }
  return std::nullopt;
}

std::optional<QdiscInfo> find_qdisc(const std::vector<QdiscInfo>& list, std::uint32_t handle) {
  for (const auto& q : list)
    if (q.handle == handle) return q;
  return std::nullopt;
}

class QdiscsTest : public test::VethPairTest {
 protected:
  static HtbParams htb(std::uint64_t rate_bps) {
    HtbParams p;
    p.rate_bps = rate_bps;
    p.burst_bytes = static_cast<std::uint32_t>(std::max<std::uint64_t>(rate_bps / 8 / 1000, 4 * 1514));
    p.quantum_bytes = 1514;
    p.mtu = 1500;
    return p;
  }
};

TEST_F(QdiscsTest, SetHtbInstallsRootQdiscAndRateClass) {
  set_htb(*sa_, kA0, htb(100'000'000));
  auto list = list_qdiscs(*sa_, kA0);
  auto root = find_qdisc(list, kRoot);
  ASSERT_TRUE(root) << "no qdisc with handle 1: on va0";
  EXPECT_EQ(root->kind, "htb");
  EXPECT_EQ(root->parent, TC_H_ROOT);
  auto cls = read_htb_class(*sa_, kA0);
  ASSERT_TRUE(cls) << "no htb class 1:1";
  EXPECT_EQ(cls->rate_bytes_per_second, 100'000'000u / 8);
  EXPECT_EQ(cls->ceil_bytes_per_second, 100'000'000u / 8);
  EXPECT_EQ(cls->quantum, 1514u);
  // Only va0 is shaped: vb0 in B has no htb.
  EXPECT_FALSE(find_qdisc(list_qdiscs(*sb_, kB0), kRoot));
}

TEST_F(QdiscsTest, ListQdiscsFiltersByInterface) {
  create_bridge(*sa_, "br0", 50, 1500);
  set_htb(*sa_, kA0, htb(100'000'000));
  for (const auto& q : list_qdiscs(*sa_, 50)) EXPECT_NE(q.handle, kRoot) << "va0's htb listed under the bridge";
  EXPECT_TRUE(list_qdiscs(*sa_, 12345).empty());
}

TEST_F(QdiscsTest, SetHtbTwiceReplaces) {
  set_htb(*sa_, kA0, htb(100'000'000));
  set_htb(*sa_, kA0, htb(40'000'000));  // htb has no in-place change: set_htb must replace the root
  auto list = list_qdiscs(*sa_, kA0);
  EXPECT_EQ(std::count_if(list.begin(), list.end(), [](const QdiscInfo& q) { return q.kind == "htb"; }), 1);
  auto cls = read_htb_class(*sa_, kA0);
  ASSERT_TRUE(cls);
  EXPECT_EQ(cls->rate_bytes_per_second, 40'000'000u / 8);
}

TEST_F(QdiscsTest, HighRatesAbove32BitsOfBytesPerSecond) {
  // 400 Gbit/s = 50 GB/s does not fit the 32-bit rate field: needs the 64-bit attributes.
  set_htb(*sa_, kA0, htb(400'000'000'000ull));
  auto cls = read_htb_class(*sa_, kA0);
  ASSERT_TRUE(cls);
  EXPECT_EQ(cls->rate_bytes_per_second, 400'000'000'000ull / 8);
}

TEST_F(QdiscsTest, ChangeHtbRateChangesOnlyTheClass) {
  set_htb(*sa_, kA0, htb(100'000'000));
  auto before = list_qdiscs(*sa_, kA0);
  change_htb_rate(*sa_, kA0, htb(25'000'000));
  auto cls = read_htb_class(*sa_, kA0);
  ASSERT_TRUE(cls);
  EXPECT_EQ(cls->rate_bytes_per_second, 25'000'000u / 8);
  EXPECT_EQ(cls->ceil_bytes_per_second, 25'000'000u / 8);
  auto after = list_qdiscs(*sa_, kA0);
  ASSERT_EQ(after.size(), before.size());
  auto root = find_qdisc(after, kRoot);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->kind, "htb");
}

TEST_F(QdiscsTest, ChangeHtbRateWithoutHtbThrows) {
  try {
    change_htb_rate(*sa_, kA0, htb(25'000'000));
    FAIL() << "change_htb_rate without an htb root succeeded";
  } catch (const NetlinkError& e) {
    EXPECT_NE(std::string(e.what()).find("ifindex " + std::to_string(kA0)), std::string::npos) << e.what();
  }
}

TEST_F(QdiscsTest, SetHtbOnAMissingInterfaceThrows) {
  EXPECT_THROW(set_htb(*sa_, 99, htb(100'000'000)), NetlinkError);
}

TEST_F(QdiscsTest, SetNetemMatchesWhatTheKernelCanDo) {
  set_htb(*sa_, kA0, htb(100'000'000));
  const bool netem = probe_kernel_capabilities().has("netem");
  NetemParams p;
  p.delay_ns = 2'000'000;
  p.jitter_ns = 100'000;
  p.loss = 0.01;
  if (!netem) {
    try {
      set_netem(*sa_, kA0, p);
      FAIL() << "set_netem succeeded although the probe says sch_netem is missing";
    } catch (const NetlinkError& e) {
      EXPECT_NE(std::string(e.what()).find("netem"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(find_qdisc(list_qdiscs(*sa_, kA0), kNetem));
    EXPECT_THROW(delete_netem(*sa_, kA0), NetlinkError);  // nothing to delete
    return;
  }
  set_netem(*sa_, kA0, p);
  auto q = find_qdisc(list_qdiscs(*sa_, kA0), kNetem);
  ASSERT_TRUE(q) << "netem 10: missing";
  EXPECT_EQ(q->kind, "netem");
  EXPECT_EQ(q->parent, kClass);
  p.delay_ns = 5'000'000;
  EXPECT_NO_THROW(set_netem(*sa_, kA0, p)) << "replacing netem must work";
  delete_netem(*sa_, kA0);
  EXPECT_FALSE(find_qdisc(list_qdiscs(*sa_, kA0), kNetem));
  EXPECT_THROW(delete_netem(*sa_, kA0), NetlinkError);
}

}  // namespace
}  // namespace scalelab::nl
