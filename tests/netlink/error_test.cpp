#include "emulator/netlink/error.h"

#include <gtest/gtest.h>
#include <netlink/errno.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace scalelab::nl {
namespace {

TEST(NetlinkError, CarriesCodeAndJoinsAttemptWithReason) {
  NetlinkError e("create veth a <-> b", 17, "File exists");
  EXPECT_EQ(e.code(), 17);
  EXPECT_STREQ(e.what(), "create veth a <-> b: File exists");
  const std::runtime_error& base = e;  // catchable as a runtime_error
  EXPECT_STREQ(base.what(), "create veth a <-> b: File exists");
}

TEST(CheckNl, ZeroAndPositiveResultsPass) {
  EXPECT_NO_THROW(check_nl(0, "anything"));
  EXPECT_NO_THROW(check_nl(42, "anything"));
}

TEST(CheckNl, NegativeResultThrowsWithLibnlCodeAndMessage) {
  try {
    check_nl(-NLE_EXIST, "add address 198.18.0.1/30");
    FAIL() << "check_nl did not throw";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.code(), NLE_EXIST);
    std::string expected = std::string("add address 198.18.0.1/30: ") + nl_geterror(-NLE_EXIST);
    EXPECT_EQ(e.what(), expected);
    EXPECT_NE(std::string(e.what()).find("exists"), std::string::npos) << e.what();
  }
}

TEST(CheckSys, NonNegativeResultsPass) {
  errno = EPERM;
  EXPECT_NO_THROW(check_sys(0, "anything"));
  EXPECT_NO_THROW(check_sys(3, "anything"));
}

TEST(CheckSys, NegativeResultThrowsWithErrnoAndStrerror) {
  try {
    errno = ENOENT;
    check_sys(-1, "open /run/netns/nowhere");
    FAIL() << "check_sys did not throw";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_EQ(e.what(), std::string("open /run/netns/nowhere: ") + std::strerror(ENOENT));
  }
}

TEST(CheckSys, ReportsTheErrnoOfTheFailedCall) {
  int r = ::close(-1);  // EBADF
  try {
    check_sys(r, "close fd -1");
    FAIL() << "check_sys did not throw";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.code(), EBADF);
    EXPECT_EQ(e.what(), std::string("close fd -1: ") + std::strerror(EBADF));
  }
}

}  // namespace
}  // namespace scalelab::nl
