#pragma once
// A TCP socket listening on a rank's agent port inside the rank's namespace, made by the launcher
// before the first rank starts and handed to that rank alone (LaunchSpec::keep_fd). Every port of the
// cluster then listens from the start, so no agent's connect is ever refused while a peer is still
// starting: at 1024 ranks on 2 cores the last rank starts seconds after the first, and refused
// connects retried with pauses cost the start-up most of those seconds again.
#include <cstdint>
#include <string>

namespace scalelab::process {

// The variable that names the descriptor in the rank's environment (agents/transport/tcp).
inline constexpr const char* kListenFdVariable = "SCALELAB_TCP_LISTEN_FD";

class ListeningPort {
 public:
  // Binds 0.0.0.0:port in the namespace at `netns_path` and listens; throws std::runtime_error
  // naming the namespace and port. The descriptor is close-on-exec: only the launch that keeps it
  // passes it on.
  ListeningPort(const std::string& netns_path, uint16_t port);
  ~ListeningPort();
  ListeningPort(ListeningPort&& other) noexcept;
  ListeningPort& operator=(ListeningPort&& other) noexcept;
  ListeningPort(const ListeningPort&) = delete;
  ListeningPort& operator=(const ListeningPort&) = delete;

  int fd() const { return fd_; }
  uint16_t port() const { return port_; }
  void close() noexcept;  // once its rank has it

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace scalelab::process
