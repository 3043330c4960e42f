// ListeningPort against the real kernel (root): the socket listens inside the rank's namespace, not
// in the launcher's, and a namespace that is not there is named.
#include "emulator/process/listening_port.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink_test_support.h"

using namespace scalelab;

namespace {

// 0 when a TCP connect to 127.0.0.1:port from the calling thread's namespace succeeds, else errno.
int connect_error(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

}  // namespace

TEST(ListeningPort, ListensInsideTheNamespaceOnly) {
  SL_REQUIRE_ROOT();
  auto ns = nl::NamedNetns::create(test::unique_netns_name("lp"));
  {
    nl::ThreadNetnsGuard inside(ns.fd());
    nl::RouteSocket rs(-1);
    nl::set_link_up(rs, 1, true);  // lo is ifindex 1 in every namespace
  }
  const uint16_t port = static_cast<uint16_t>(31000 + ::getpid() % 2000);
  process::ListeningPort lp(locations::netns_dir() + "/" + ns.name(), port);
  EXPECT_EQ(lp.port(), port);
  EXPECT_EQ(::fcntl(lp.fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC) << "only the launch that keeps it passes it on";
  {
    nl::ThreadNetnsGuard inside(ns.fd());
    EXPECT_EQ(connect_error(port), 0) << "the rank's own namespace reaches its port before the rank runs";
  }
  EXPECT_EQ(connect_error(port), ECONNREFUSED) << "the launcher's namespace has no such port";
  lp.close();
  {
    nl::ThreadNetnsGuard inside(ns.fd());
    EXPECT_EQ(connect_error(port), ECONNREFUSED);
  }
}

TEST(ListeningPort, AMissingNamespaceIsNamed) {
  SL_REQUIRE_ROOT();
  try {
    process::ListeningPort lp("/run/netns/sl-no-such-namespace", 29500);
    ADD_FAILURE() << "listened in a namespace that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "cannot listen on the agent port 29500 in /run/netns/sl-no-such-namespace: open: No such file or "
                 "directory");
  }
}
