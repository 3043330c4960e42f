#include "emulator/runtime/targets.h"

#include <algorithm>
#include <regex>
#include <set>

namespace scalelab::runtime {
namespace {

const char* kHelp =
    "; selectors are link:A-B, GPU:IFNAME, rail:R, railR:hostH, host:H, rank:N, spine:S, tier:scale_up|scale_out, "
    "switch:NAME, node:NAME, NAME or all";

std::vector<int> links_of_node(const plan::Plan& plan, const std::string& node) {
  const auto* ns = plan.find(node);
  if (!ns) throw TargetError("no node named \"" + node + "\" in cluster " + plan.cluster + kHelp);
  std::vector<int> out;
  for (const auto& i : ns->interfaces) out.push_back(i.link);
  return out;
}

int parse_index(const std::string& text, const std::string& selector) {
  try {
    std::size_t used = 0;
    int v = std::stoi(text, &used);
    if (used == text.size() && v >= 0) return v;
  } catch (...) {
  }
  throw TargetError("\"" + selector + "\": expected a non-negative number after the colon");
}

std::string leaf_of_rail(int rail) { return "leaf" + std::to_string(rail); }

void sort_unique(std::vector<int>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

std::vector<std::string> resolve_gpus(const plan::Plan& plan, const std::string& selector) {
  std::vector<std::string> out;
  auto kind_value = [&](const std::string& prefix) { return selector.rfind(prefix, 0) == 0 ? selector.substr(prefix.size()) : std::string(); };
  for (const auto& ns : plan.namespaces) {
    if (ns.kind != model::NodeKind::gpu) continue;
    bool match = false;
    if (selector == "all") match = true;
    else if (auto v = kind_value("rank:"); !v.empty()) match = ns.rank == parse_index(v, selector);
    else if (auto v = kind_value("host:"); !v.empty()) match = ns.host == parse_index(v, selector);
    else if (auto v = kind_value("rail:"); !v.empty())
      match = std::any_of(ns.interfaces.begin(), ns.interfaces.end(), [&](const auto& i) { return i.peer_node == leaf_of_rail(parse_index(v, selector)); });
    else if (auto v = kind_value("node:"); !v.empty()) match = ns.node == v;
    else match = ns.node == selector;
    if (match) out.push_back(ns.node);
  }
  if (out.empty()) throw TargetError("\"" + selector + "\" names no GPU of cluster " + plan.cluster + kHelp);
  return out;
}

std::vector<int> resolve_links(const plan::Plan& plan, const std::string& selector) {
  std::vector<int> out;
  const auto& links = plan.topology.links;
  std::smatch m;
  if (selector == "all") {
    for (std::size_t i = 0; i < links.size(); ++i) out.push_back(static_cast<int>(i));
  } else if (selector.rfind("link:", 0) == 0) {
    std::string pair = selector.substr(5);
    // Node names may contain '-': try every split.
    for (std::size_t dash = pair.find('-'); dash != std::string::npos; dash = pair.find('-', dash + 1)) {
      std::string a = pair.substr(0, dash), b = pair.substr(dash + 1);
      for (std::size_t i = 0; i < links.size(); ++i)
        if ((links[i].a == a && links[i].b == b) || (links[i].a == b && links[i].b == a)) out.push_back(static_cast<int>(i));
    }
    if (out.empty()) throw TargetError("\"" + selector + "\": no link between those nodes in cluster " + plan.cluster + kHelp);
  } else if (std::regex_match(selector, m, std::regex(R"(rail(\d+):host(\d+))"))) {
    std::string leaf = leaf_of_rail(std::stoi(m[1]));
    int host = std::stoi(m[2]);
    for (const auto& ns : plan.namespaces)
      if (ns.kind == model::NodeKind::gpu && ns.host == host)
        for (const auto& i : ns.interfaces)
          if (i.peer_node == leaf) out.push_back(i.link);
    if (out.empty()) throw TargetError("\"" + selector + "\": host " + std::string(m[2]) + " has no GPU on " + leaf + kHelp);
  } else if (selector.rfind("rail:", 0) == 0) {
    out = links_of_node(plan, leaf_of_rail(parse_index(selector.substr(5), selector)));
  } else if (selector.rfind("spine:", 0) == 0) {
    // Spines are numbered as the compact form names them (spine<s>), as rails are.
    out = links_of_node(plan, "spine" + std::to_string(parse_index(selector.substr(6), selector)));
  } else if (selector.rfind("tier:", 0) == 0) {
    std::string tier = selector.substr(5);
    if (tier != "scale_up" && tier != "scale_out") throw TargetError("\"" + selector + "\": the tiers are scale_up and scale_out");
    for (std::size_t i = 0; i < links.size(); ++i)
      if (model::to_string(links[i].tier) == tier) out.push_back(static_cast<int>(i));
  } else if (selector.rfind("host:", 0) == 0 || selector.rfind("rank:", 0) == 0) {
    for (const auto& gpu : resolve_gpus(plan, selector)) {
      auto l = links_of_node(plan, gpu);
      out.insert(out.end(), l.begin(), l.end());
    }
  } else if (selector.rfind("switch:", 0) == 0 || selector.rfind("node:", 0) == 0) {
    out = links_of_node(plan, selector.substr(selector.find(':') + 1));
  } else if (auto colon = selector.find(':'); colon != std::string::npos) {
    for (auto [gpu, ifname] : resolve_nics(plan, selector)) {
      for (const auto& i : plan.find(gpu)->interfaces)
        if (i.ifname == ifname) out.push_back(i.link);
    }
  } else {
    out = links_of_node(plan, selector);
  }
  sort_unique(out);
  if (out.empty()) throw TargetError("\"" + selector + "\" names no link of cluster " + plan.cluster + kHelp);
  return out;
}

std::vector<std::pair<std::string, std::string>> resolve_nics(const plan::Plan& plan, const std::string& selector) {
  std::vector<std::pair<std::string, std::string>> out;
  auto colon = selector.find(':');
  if (colon != std::string::npos && plan.find(selector.substr(0, colon))) {
    std::string gpu = selector.substr(0, colon), ifname = selector.substr(colon + 1);
    const auto* ns = plan.find(gpu);
    if (ns->kind != model::NodeKind::gpu) throw TargetError("\"" + selector + "\": " + gpu + " is not a GPU");
    bool found = std::any_of(ns->interfaces.begin(), ns->interfaces.end(), [&](const auto& i) { return i.ifname == ifname; });
    if (!found) throw TargetError("\"" + selector + "\": " + gpu + " has no interface " + ifname);
    out.push_back({gpu, ifname});
    return out;
  }
  for (const auto& gpu : resolve_gpus(plan, selector))
    for (const auto& i : plan.find(gpu)->interfaces)
      if (i.tier == model::Tier::scale_out) out.push_back({gpu, i.ifname});
  return out;
}

}  // namespace scalelab::runtime
