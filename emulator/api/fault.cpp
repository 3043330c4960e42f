// The fault helpers, and applying a fault to a live cluster (what `scalelab inject` does).
#include "emulator/api/fault_apply.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "emulator/api/translate.h"
#include "emulator/model/units.h"
#include "emulator/plan/shaping.h"
#include "emulator/runtime/targets.h"

namespace scalelab {

Fault link_down(std::string target, std::string converge_after) { return {"link_down", std::move(target), {}, {}, {}, {}, std::move(converge_after)}; }
Fault link_up(std::string target, std::string converge_after) { return {"link_up", std::move(target), {}, {}, {}, {}, std::move(converge_after)}; }
Fault nic_down(std::string target, std::string converge_after) { return {"nic_down", std::move(target), {}, {}, {}, {}, std::move(converge_after)}; }
Fault nic_up(std::string target, std::string converge_after) { return {"nic_up", std::move(target), {}, {}, {}, {}, std::move(converge_after)}; }
Fault degrade(std::string target, Degradation change) {
  return {"degrade", std::move(target), std::move(change.rate), std::move(change.delay), std::move(change.jitter), std::move(change.loss)};
}
Fault restore(std::string target) { return {"restore", std::move(target)}; }
Fault partition(std::string side_a, std::string side_b) { return {"partition", side_a + "/" + side_b}; }
Fault heal() { return {"heal", {}}; }
Fault reconverge() { return {"reconverge", {}}; }

namespace api {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t pos; (pos = text.find(sep, start)) != std::string::npos; start = pos + 1) out.push_back(text.substr(start, pos - start));
  out.push_back(text.substr(start));
  return out;
}

std::vector<std::string> gpus_of(const plan::Plan& plan, const std::string& side) {
  std::vector<std::string> out;
  for (const auto& selector : split(side, ',')) {
    auto g = runtime::resolve_gpus(plan, selector);
    out.insert(out.end(), g.begin(), g.end());
  }
  return out;
}

const std::vector<std::string>& known_actions() {
  static const std::vector<std::string> actions = {"link_down", "link_up", "nic_down", "nic_up", "degrade",
                                                   "restore",   "partition", "heal",  "reconverge"};
  return actions;
}

}  // namespace

FaultReport apply_fault(runtime::LiveCluster& cluster, const Fault& fault) {
  return translated([&] {
    const auto& plan = cluster.plan();
    const std::string& action = fault.action;
    const auto& actions = known_actions();
    if (std::find(actions.begin(), actions.end(), action) == actions.end())
      throw FaultError("unknown fault action \"" + action + "\"; one of link_down link_up nic_down nic_up degrade restore partition heal reconverge");
    bool needs_target = action != "heal" && action != "reconverge";
    if (needs_target && fault.target.empty()) throw FaultError("`" + action + "` needs a target, e.g. rail3:host1 or link:gpu0-leaf0");
    // Parsed before anything changes, so a bad figure leaves the cluster as it was.
    const auto wait = std::chrono::nanoseconds(model::parse_duration_ns(fault.converge_after));
    FaultReport report;
    auto converge = [&] {
      std::this_thread::sleep_for(wait);
      report.rerouted = cluster.reconverge();
    };
    if (action == "link_down" || action == "link_up") {
      auto links = runtime::resolve_links(plan, fault.target);
      cluster.set_links(links, action == "link_up");
      for (int l : links) report.links.push_back(plan.topology.links[l].a + "-" + plan.topology.links[l].b);
      converge();
    } else if (action == "nic_down" || action == "nic_up") {
      for (auto [gpu, ifname] : runtime::resolve_nics(plan, fault.target)) {
        cluster.set_nic(gpu, ifname, action == "nic_up");
        report.nics.push_back(gpu + ":" + ifname);
      }
      report.rxe = cluster.rxe_enabled();
      converge();
    } else if (action == "degrade") {
      runtime::LinkDegradation change;
      if (!fault.rate.empty()) change.rate_bps = plan::dilate_rate(model::parse_bandwidth_bps(fault.rate), plan.dilation);
      if (!fault.delay.empty()) change.delay_ns = plan::dilate_time(model::parse_duration_ns(fault.delay), plan.dilation);
      if (!fault.jitter.empty()) change.jitter_ns = plan::dilate_time(model::parse_duration_ns(fault.jitter), plan.dilation);
      if (!fault.loss.empty()) change.loss = model::parse_percent(fault.loss);
      if (!change.rate_bps && !change.delay_ns && !change.jitter_ns && !change.loss) throw FaultError("degrade needs --rate, --delay, --jitter or --loss");
      auto links = runtime::resolve_links(plan, fault.target);
      cluster.degrade(links, change);
      for (int l : links) report.links.push_back(plan.topology.links[l].a + "-" + plan.topology.links[l].b);
      report.rate_bps = change.rate_bps;
    } else if (action == "restore") {
      auto links = runtime::resolve_links(plan, fault.target);
      cluster.restore(links);
      for (int l : links) report.links.push_back(plan.topology.links[l].a + "-" + plan.topology.links[l].b);
    } else if (action == "partition") {
      auto sides = split(fault.target, '/');
      if (sides.size() != 2) throw FaultError("partition takes SIDE_A/SIDE_B, e.g. host:0/host:1");
      auto a = gpus_of(plan, sides[0]), b = gpus_of(plan, sides[1]);
      cluster.partition(a, b);
      report.side_a = a.size();
      report.side_b = b.size();
    } else if (action == "heal") {
      cluster.heal();
    } else {
      converge();
    }
    return report;
  });
}

}  // namespace api
}  // namespace scalelab
