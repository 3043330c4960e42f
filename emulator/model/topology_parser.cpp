// parse_topology / load_topology: JSON (with comments) → resolved, validated Topology.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "emulator/model/compact_expansion.h"
#include "emulator/model/topology.h"
#include "emulator/model/topology_validation.h"
#include "emulator/model/units.h"

namespace scalelab::model {
namespace detail {

using nlohmann::json;

std::string pointer_append(const std::string& pointer, std::string_view key) {
  std::string out = pointer;
  out += '/';
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer_append(const std::string& pointer, std::size_t index) {
  return fmt::format("{}/{}", pointer, index);
}

std::string describe(const json& value) {
  constexpr std::size_t kMax = 40;
  std::string text;
  if (value.is_object()) {
    text = value.empty() ? "{}" : "{...}";
  } else if (value.is_array()) {
    text = value.empty() ? "[]" : "[...]";
  } else {
    text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (text.size() > kMax) text = text.substr(0, kMax) + "…";
  const char* type = value.type_name();
  if (value.is_number()) type = value.is_number_float() ? "a number" : "an integer";
  else if (value.is_string()) type = "a string";
  else if (value.is_boolean()) type = "a boolean";
  else if (value.is_object()) type = "an object";
  else if (value.is_array()) type = "an array";
  return fmt::format("{} ({})", text, type);
}

void JsonReader::fail(const std::string& pointer, const std::string& message) const {
  throw TopologyError(source_, pointer, message);
}

void JsonReader::require_object(const json& value, const std::string& pointer,
                                std::initializer_list<std::string_view> allowed) const {
  if (!value.is_object()) fail(pointer, fmt::format("expected an object, got {}", describe(value)));
  for (const auto& [key, member] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(pointer_append(pointer, key),
           fmt::format("unknown key \"{}\"; allowed keys are {}", key, fmt::join(allowed, ", ")));
    }
  }
}

const json& JsonReader::required(const json& object, const std::string& pointer,
                                 std::string_view key, std::string_view expected) const {
  const json* v = optional(object, key);
  if (v == nullptr) {
    fail(pointer_append(pointer, key),
         fmt::format("missing required key \"{}\" ({})", key, expected));
  }
  return *v;
}

const json* JsonReader::optional(const json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string JsonReader::string(const json& value, const std::string& pointer) const {
  if (!value.is_string()) fail(pointer, fmt::format("expected a string, got {}", describe(value)));
  return value.get<std::string>();
}

std::int64_t JsonReader::integer(const json& value, const std::string& pointer, std::int64_t min,
                                 std::int64_t max) const {
  const auto expected = [&] {
    return max == std::numeric_limits<std::int64_t>::max()
               ? fmt::format("an integer >= {}", min)
               : fmt::format("an integer within {}..{}", min, max);
  };
  bool ok = false;
  std::int64_t v = 0;
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    ok = u <= static_cast<std::uint64_t>(max);
    v = ok ? static_cast<std::int64_t>(u) : 0;
  } else if (value.is_number_integer()) {
    v = value.get<std::int64_t>();
    ok = v >= min && v <= max;
  }
  if (!ok || v < min) fail(pointer, fmt::format("expected {}, got {}", expected(), describe(value)));
  return v;
}

double JsonReader::number(const json& value, const std::string& pointer, double min) const {
  if (!value.is_number() || !(value.get<double>() >= min)) {
    fail(pointer, fmt::format("expected a number >= {}, got {}", min, describe(value)));
  }
  return value.get<double>();
}

bool JsonReader::boolean(const json& value, const std::string& pointer) const {
  if (!value.is_boolean()) {
    fail(pointer, fmt::format("expected true or false, got {}", describe(value)));
  }
  return value.get<bool>();
}

namespace {
template <typename Parse>
auto parse_unit(const JsonReader& r, const json& value, const std::string& pointer,
                std::string_view example, Parse parse) {
  if (!value.is_string()) {
    r.fail(pointer, fmt::format("expected a string like {}, got {}", example, describe(value)));
  }
  try {
    return parse(value.get_ref<const std::string&>());
  } catch (const UnitError& e) {
    r.fail(pointer, e.what());
  }
}
}  // namespace

std::uint64_t JsonReader::bandwidth(const json& value, const std::string& pointer) const {
  return parse_unit(*this, value, pointer, "\"400Gb/s\" or \"900GB/s\"",
                    [](const std::string& s) { return parse_bandwidth_bps(s); });
}

std::uint64_t JsonReader::duration(const json& value, const std::string& pointer) const {
  return parse_unit(*this, value, pointer, "\"2us\"",
                    [](const std::string& s) { return parse_duration_ns(s); });
}

double JsonReader::percent(const json& value, const std::string& pointer) const {
  return parse_unit(*this, value, pointer, "\"0.1%\"",
                    [](const std::string& s) { return parse_percent(s); });
}

std::uint32_t JsonReader::mtu(const json& value, const std::string& pointer) const {
  if (!value.is_number_integer()) {
    fail(pointer, fmt::format("expected an integer mtu within {}..{}, got {}", kMinMtu, kMaxMtu,
                              describe(value)));
  }
  // The range itself is a validation rule; here only reject what does not fit the field.
  if (value.is_number_unsigned() ? value.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()
                                 : value.get<std::int64_t>() < 0) {
    fail(pointer, mtu_range_message(value.dump()));
  }
  return static_cast<std::uint32_t>(value.get<std::int64_t>());
}

LinkParams JsonReader::link_params(const json& object, const std::string& pointer,
                                   std::string_view bandwidth_key) const {
  LinkParams p;
  p.bandwidth_bps =
      bandwidth(required(object, pointer, bandwidth_key, "a bandwidth like \"400Gb/s\""),
                pointer_append(pointer, bandwidth_key));
  if (const json* v = optional(object, "latency")) {
    p.latency_ns = duration(*v, pointer_append(pointer, "latency"));
  }
  if (const json* v = optional(object, "jitter")) {
    p.jitter_ns = duration(*v, pointer_append(pointer, "jitter"));
  }
  if (const json* v = optional(object, "loss")) p.loss = percent(*v, pointer_append(pointer, "loss"));
  p.mtu = kDefaultMtu;
  if (const json* v = optional(object, "mtu")) p.mtu = mtu(*v, pointer_append(pointer, "mtu"));
  return p;
}

}  // namespace detail

namespace {

using detail::JsonReader;
using detail::pointer_append;
using nlohmann::json;

// Tracks where the parser is, to reject duplicate object keys (JSON allows them and nlohmann keeps
// the last one, which would silently ignore the first "bandwidth" of a link).
class DuplicateKeyGuard {
 public:
  explicit DuplicateKeyGuard(const std::string& source) : source_(source) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        begin_element();
        frames_.push_back({event == json::parse_event_t::array_start, 0, {}, {}});
        break;
      case json::parse_event_t::key: {
        Frame& top = frames_.back();
        std::string key = parsed.get<std::string>();
        if (!top.keys.insert(key).second) {
          top.key = key;
          throw TopologyError(source_, pointer(),
                              fmt::format("duplicate key \"{}\" (the later one would silently "
                                          "replace the earlier)",
                                          key));
        }
        top.key = std::move(key);
        break;
      }
      case json::parse_event_t::value:
        begin_element();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::size_t count;  // arrays: elements begun so far
    std::string key;    // objects: current key
    std::set<std::string> keys;
  };
  void begin_element() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().count;
  }
  std::string pointer() const {
    std::string p;
    for (const Frame& f : frames_) {
      p = f.array ? pointer_append(p, f.count - 1) : pointer_append(p, f.key);
    }
    return p;
  }

  const std::string& source_;
  std::vector<Frame> frames_;
};

json parse_json(const std::string& text, const std::string& source) {
  DuplicateKeyGuard guard(source);
  try {
    return json::parse(
        text, [&guard](int depth, json::parse_event_t event, json& parsed) {
          return guard(depth, event, parsed);
        },
        /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number too large (found by fuzz/)
    // "[json.exception.parse_error.101] parse error at line 3, column 7: syntax error ..."
    std::string message = e.what();
    if (auto end = message.find("] "); message.rfind("[json.exception.", 0) == 0 &&
                                       end != std::string::npos) {
      message.erase(0, end + 2);
    }
    throw TopologyError(source, "", "invalid JSON: " + message);
  }
}

NodeKind parse_kind(const JsonReader& r, const json& value, const std::string& pointer) {
  const std::string kind = r.string(value, pointer);
  if (kind == "gpu") return NodeKind::gpu;
  if (kind == "switch") return NodeKind::switch_;
  if (kind == "router") return NodeKind::router;
  r.fail(pointer, fmt::format("expected one of gpu, switch, router, got \"{}\"", kind));
}

Tier parse_tier(const JsonReader& r, const json& value, const std::string& pointer) {
  const std::string tier = r.string(value, pointer);
  if (tier == "scale_up") return Tier::scale_up;
  if (tier == "scale_out") return Tier::scale_out;
  r.fail(pointer, fmt::format("expected one of scale_up, scale_out, got \"{}\"", tier));
}

void parse_explicit(const json& root, const JsonReader& r, Topology& t) {
  const json& nodes = root.at("nodes");
  if (!nodes.is_array()) {
    r.fail("/nodes", fmt::format("expected an array of nodes, got {}", detail::describe(nodes)));
  }
  std::vector<Node> gpus, others;
  // Whether gpus state "host": all of them or none (mixing would make the default numbering
  // collide with stated hosts). first_host_pointer remembers who decided.
  std::optional<bool> gpus_state_host;
  std::string first_gpu_pointer;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string ptr = pointer_append("/nodes", i);
    const json& n = nodes[i];
    r.require_object(n, ptr, {"name", "kind", "host"});
    Node node;
    node.json_pointer = ptr;
    node.name = r.string(r.required(n, ptr, "name", "a node name, [A-Za-z0-9_.-]{1,15}"),
                         ptr + "/name");
    node.kind = parse_kind(r, r.required(n, ptr, "kind", "gpu, switch or router"), ptr + "/kind");
    const json* host = JsonReader::optional(n, "host");
    if (node.kind != NodeKind::gpu) {
      if (host != nullptr) {
        r.fail(ptr + "/host", fmt::format("\"host\" is only allowed on gpus; this node is a {}",
                                          to_string(node.kind)));
      }
      others.push_back(std::move(node));
      continue;
    }
    if (!gpus_state_host.has_value()) {
      gpus_state_host = host != nullptr;
      first_gpu_pointer = ptr;
    } else if (*gpus_state_host != (host != nullptr)) {
      r.fail(host != nullptr ? ptr + "/host" : ptr,
             fmt::format("either every gpu states \"host\" or none does (then each gpu is its own "
                         "host); {} {}",
                         first_gpu_pointer,
                         *gpus_state_host ? "states one and this gpu does not"
                                          : "does not and this gpu does"));
    }
    node.host = host != nullptr ? static_cast<int>(r.integer(*host, ptr + "/host", 0,
                                                             std::numeric_limits<int>::max()))
                                : static_cast<int>(gpus.size());
    gpus.push_back(std::move(node));
  }
  std::map<int, int> per_host;
  for (Node& g : gpus) g.local_rank = per_host[g.host]++;
  t.nodes = std::move(gpus);
  t.nodes.insert(t.nodes.end(), std::make_move_iterator(others.begin()),
                 std::make_move_iterator(others.end()));

  const json& links = root.at("links");
  if (!links.is_array()) {
    r.fail("/links", fmt::format("expected an array of links, got {}", detail::describe(links)));
  }
  t.links.reserve(links.size());
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::string ptr = pointer_append("/links", i);
    const json& l = links[i];
    r.require_object(l, ptr, {"a", "b", "tier", "bandwidth", "latency", "jitter", "loss", "mtu"});
    Link link;
    link.json_pointer = ptr;
    link.a = r.string(r.required(l, ptr, "a", "the name of one end"), ptr + "/a");
    link.b = r.string(r.required(l, ptr, "b", "the name of the other end"), ptr + "/b");
    link.tier = parse_tier(r, r.required(l, ptr, "tier", "scale_up or scale_out"), ptr + "/tier");
    link.params = r.link_params(l, ptr, "bandwidth");
    t.links.push_back(std::move(link));
  }
}

// Explicit form: a gpu's domain is its connected component over scale_up links (through any
// nodes), numbered 0.. in order of each component's lowest gpu; -1 without scale_up links.
// Runs after the validation, so every link end exists.
void assign_explicit_domains(Topology& t) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < t.nodes.size(); ++i) index.emplace(t.nodes[i].name, i);
  std::vector<std::size_t> parent(t.nodes.size());
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::vector<bool> has_scale_up(t.nodes.size(), false);
  for (const Link& l : t.links) {
    if (l.tier != Tier::scale_up) continue;
    const std::size_t a = index.at(l.a), b = index.at(l.b);
    has_scale_up[a] = has_scale_up[b] = true;
    parent[find(a)] = find(b);
  }
  std::map<std::size_t, int> component_id;
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    Node& n = t.nodes[i];
    if (n.kind != NodeKind::gpu) continue;
    if (!has_scale_up[i]) {
      n.domain = -1;
      continue;
    }
    auto [it, inserted] =
        component_id.emplace(find(i), static_cast<int>(component_id.size()));
    n.domain = it->second;
  }
}

}  // namespace

Topology parse_topology(const std::string& text, const std::string& source) {
  const json root = parse_json(text, source);
  const JsonReader r(source);
  r.require_object(root, "", {"name", "dilation", "ecmp_seed", "cluster", "nodes", "links"});

  Topology t;
  t.source = source;
  t.name = r.string(r.required(root, "", "name",
                               "the cluster name, [a-z0-9][a-z0-9-]{0,23}"),
                    "/name");
  if (const json* d = JsonReader::optional(root, "dilation")) {
    if (d->is_string() && d->get_ref<const std::string&>() == "auto") {
      t.dilation_auto = true;
      t.dilation = 1.0;
    } else if (d->is_number()) {
      t.dilation = d->get<double>();  // the range is checked by the validation
    } else {
      r.fail("/dilation",
             fmt::format("expected a number >= 1 or \"auto\", got {}", detail::describe(*d)));
    }
  }

  if (const json* seed = JsonReader::optional(root, "ecmp_seed"))
    t.ecmp_seed = static_cast<std::uint32_t>(r.integer(*seed, "/ecmp_seed", 0, 4294967295LL));

  const bool has_cluster = root.contains("cluster");
  const bool has_nodes = root.contains("nodes");
  const bool has_links = root.contains("links");
  if (has_cluster && (has_nodes || has_links)) {
    r.fail("", fmt::format("use either the compact form (\"cluster\") or the explicit form "
                           "(\"nodes\" and \"links\"), not both; found \"cluster\" and \"{}\"",
                           has_nodes ? "nodes" : "links"));
  }
  if (!has_cluster && !has_nodes && !has_links) {
    r.fail("", "missing the cluster description: expected either \"cluster\" (compact form) or "
               "\"nodes\" and \"links\" (explicit form)");
  }
  if (has_nodes != has_links) {
    r.fail(has_nodes ? "/links" : "/nodes",
           fmt::format("missing required key \"{}\" (the explicit form needs both \"nodes\" and "
                       "\"links\")",
                       has_nodes ? "links" : "nodes"));
  }

  if (has_cluster) {
    detail::expand_compact(root.at("cluster"), r, t);
    validate_topology(t);
  } else {
    parse_explicit(root, r, t);
    validate_topology(t);
    assign_explicit_domains(t);
  }
  return t;
}

Topology load_topology(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw TopologyError(path, "", "cannot read the topology file: no such file");
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw TopologyError(path, "", "cannot read the topology file: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw TopologyError(path, "",
                        fmt::format("cannot read the topology file: {}", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw TopologyError(path, "",
                        fmt::format("cannot read the topology file: {}", std::strerror(errno)));
  }
  return parse_topology(text.str(), path);
}

}  // namespace scalelab::model
