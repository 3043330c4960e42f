#include "emulator/netlink/error.h"

#include <netlink/errno.h>

#include <cerrno>
#include <cstring>

namespace scalelab::nl {

void check_nl(int result, const std::string& what_was_attempted) {
  if (result < 0) throw NetlinkError(what_was_attempted, -result, nl_geterror(result));
}

void check_sys(int result, const std::string& what_was_attempted) {
  if (result < 0) {
    int e = errno;
    throw NetlinkError(what_was_attempted, e, std::strerror(e));
  }
}

}  // namespace scalelab::nl
