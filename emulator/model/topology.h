#pragma once
// The resolved topology: every node and link spelled out, units already parsed.
// Pure data; no kernel calls. Both JSON forms (compact "cluster" and explicit "nodes"/"links")
// end up here.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "emulator/model/input_error.h"

namespace scalelab::model {

enum class NodeKind { gpu, switch_, router };
enum class Tier { scale_up, scale_out };

const char* to_string(NodeKind kind);  // "gpu" "switch" "router"
const char* to_string(Tier tier);      // "scale_up" "scale_out"

// Real-hardware figures as the file states them; the plan applies dilation.
struct LinkParams {
  std::uint64_t bandwidth_bps = 0;
  std::uint64_t latency_ns = 0;  // one way, per link
  std::uint64_t jitter_ns = 0;
  double loss = 0.0;             // fraction, 0.001 = 0.1%
  std::uint32_t mtu = 1500;
};

struct Node {
  std::string name;      // unique, [A-Za-z0-9_.-], 1..15 chars (it names the peer's port)
  NodeKind kind = NodeKind::gpu;
  int host = -1;         // gpus: which server they sit in (>= 0); others -1
  int local_rank = -1;   // gpus: index within the host
  int domain = -1;       // gpus: scale-up domain id, -1 when the gpu has no scale-up link
  std::string json_pointer;  // where it came from, for errors ("/nodes/3" or "/cluster")
};

struct Link {
  std::string a, b;      // node names
  Tier tier = Tier::scale_out;
  LinkParams params;
  std::string json_pointer;  // "/links/7" or "/cluster/scale_out"
};

struct Topology {
  std::string name;         // cluster name, [a-z0-9][a-z0-9-]{0,23}
  std::string source;       // file path (or "<inline>") the errors name
  bool dilation_auto = false;
  double dilation = 1.0;    // >= 1; real time / emulated time
  // net.ipv4.fib_multipath_hash_seed of every namespace (Linux >= 6.11): which equal-cost next
  // hop each flow takes is then the same on every bring-up. 0 = the kernel's own random seed.
  std::uint32_t ecmp_seed = 0;
  std::vector<Node> nodes;  // gpus first, in rank order; then switches and routers
  std::vector<Link> links;

  const Node* find(const std::string& name) const;
  std::size_t gpu_count() const;
};

// Every rejection of a topology: names the file, the JSON pointer and what is expected.
// what() == "<source>: <json_pointer>: <message>"
class TopologyError : public InputError {
 public:
  using InputError::InputError;
};

// Parses JSON with // and /* */ comments. Accepts the compact form (a "cluster" object)
// or the explicit form ("nodes" and "links"), never both. Validates everything
// (see topology_validation.h) before returning.
Topology parse_topology(const std::string& text, const std::string& source);
Topology load_topology(const std::string& path);  // reads the file; missing file → TopologyError

}  // namespace scalelab::model
