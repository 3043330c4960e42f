#include "emulator/netlink/route_socket.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <thread>
#include <utility>

#include "emulator/netlink/error.h"
#include "emulator/netlink/links.h"
#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

class RouteSocketTest : public test::NetnsTest {};

TEST_F(RouteSocketTest, OpenedInANamespaceSeesOnlyThatNamespacesLinks) {
  NamedNetns& ns = make_netns();
  RouteSocket sock(ns.fd());
  ASSERT_NE(sock.get(), nullptr);
  auto links = list_links(sock);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].ifname, "lo");
  EXPECT_EQ(links[0].ifindex, 1);
  EXPECT_EQ(links[0].kind, "");
  EXPECT_FALSE(links[0].admin_up) << "lo starts down in a new namespace";
}

TEST_F(RouteSocketTest, MinusOneMeansTheCallersNamespace) {
  RouteSocket host(-1);
  auto links = list_links(host);
  ASSERT_FALSE(links.empty());
  EXPECT_TRUE(std::any_of(links.begin(), links.end(), [](const LinkInfo& l) { return l.ifname == "lo"; }));

  // Opened while a thread was inside a namespace, -1 means that namespace.
  NamedNetns& ns = make_netns();
  std::size_t seen = 0;
  {
    ThreadNetnsGuard inside(ns.fd());
    RouteSocket here(-1);
    seen = list_links(here).size();
  }
  EXPECT_EQ(seen, 1u);
}

TEST_F(RouteSocketTest, StaysInItsNamespaceWhenUsedFromAnotherThread) {
  NamedNetns& a = make_netns();
  NamedNetns& b = make_netns();
  RouteSocket sock(a.fd());
  // A link made through the socket lands in A even when the calling thread is in B.
  std::thread worker([&] {
    ThreadNetnsGuard in_b(b.fd());
    create_bridge(sock, "brx", 7, 1500);
  });
  worker.join();
  RouteSocket sb(b.fd());
  EXPECT_NO_THROW(get_link(sock, "brx"));
  EXPECT_THROW(get_link(sb, "brx"), NetlinkError);
  auto host = test::host_link_names();
  EXPECT_EQ(host.count("brx#7"), 0u);
}

TEST_F(RouteSocketTest, ConstructorLeavesTheThreadInItsOwnNamespace) {
  NamedNetns& ns = make_netns();
  const ino_t before = test::thread_netns_inode();
  RouteSocket sock(ns.fd());
  EXPECT_EQ(test::thread_netns_inode(), before);
}

TEST_F(RouteSocketTest, BadNamespaceFdThrows) {
  EXPECT_THROW(RouteSocket sock(987654), NetlinkError);
}

TEST_F(RouteSocketTest, MoveTransfersTheSocket) {
  NamedNetns& ns = make_netns();
  RouteSocket first(ns.fd());
  nl_sock* raw = first.get();
  RouteSocket second(std::move(first));
  EXPECT_EQ(second.get(), raw);
  EXPECT_EQ(first.get(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(list_links(second).size(), 1u);
}

}  // namespace
}  // namespace scalelab::nl
