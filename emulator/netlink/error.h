#pragma once
#include <stdexcept>
#include <string>

namespace scalelab::nl {

// A kernel refusal, with what was attempted on which object and the kernel's reason.
class NetlinkError : public std::runtime_error {
 public:
  NetlinkError(const std::string& what_was_attempted, int error_code, std::string reason)
      : std::runtime_error(what_was_attempted + ": " + reason), code_(error_code) {}
  int code() const { return code_; }  // libnl NLE_* for netlink calls, errno for syscalls

 private:
  int code_;
};

// Throws NetlinkError when a libnl call returned < 0.
void check_nl(int result, const std::string& what_was_attempted);
// Throws NetlinkError with strerror(errno) when a syscall returned < 0.
void check_sys(int result, const std::string& what_was_attempted);

}  // namespace scalelab::nl
