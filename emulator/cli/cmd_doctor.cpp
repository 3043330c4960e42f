#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/cli/rootless_mode.h"
#include "emulator/locations/locations.h"
#include "emulator/model/units.h"
#include "emulator/netlink/capabilities.h"
#include "emulator/runtime/capacity.h"
#include "emulator/scenario/straggler.h"
#include "emulator/vm/vm_probe.h"

namespace scalelab::cli {
namespace {

// cgroup layout decides how a straggler's CPU quota is set.
nl::Capability probe_cgroups() {
  struct stat st;
  if (locations::rootless()) {
    if (auto delegated = scenario::delegated_cgroup(); !delegated.empty())
      return {"cgroup-cpu", true, "delegated cgroup " + delegated + " (SCALELAB_CGROUP)", false};
    return {"cgroup-cpu", false, "rootless: no cgroup delegated to you (SCALELAB_CGROUP): straggler actions unavailable", false};
  }
  if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) return {"cgroup-cpu", true, "cgroup v2 (cpu.max)", false};
  if (stat("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", &st) == 0) return {"cgroup-cpu", true, "cgroup v1 cpu controller (cpu.cfs_quota_us)", false};
  return {"cgroup-cpu", false, "no cgroup cpu controller found: straggler actions unavailable", false};
}

const char* remedy(const std::string& name) {
  if (name == "netem") return "link latency/jitter/loss: use a kernel with CONFIG_NET_SCH_NETEM, or `scalelab vm -- …`";
  if (name == "cgroup-cpu" && locations::rootless())
    return "set SCALELAB_CGROUP to a cgroup delegated to you (a v1 cpu directory chown'd to you, or a v2 subtree from systemd-run --user --scope -p Delegate=yes), run as root, or `scalelab vm -- …`";
  if (name == "vm") return "install qemu-system-x86 (make deps) for `scalelab vm`";
  if (name == "rps") return "in-order delivery on multi-core machines: Linux >= 6.5 with CONFIG_RPS, or `scalelab vm -- …` (verbs over rxe may retry or fail without it)";
  if (name == "vxlan") return "a cluster across machines (up --machines): a kernel with CONFIG_VXLAN (module vxlan); one machine needs none";
  if (name == "rxe-in-netns") return "verbs transport: Linux >= 7.1 with rdma_rxe, or `scalelab vm -- …` (falls back to tcp, and says so)";
  return "required: scalelab cannot build clusters without it";
}

}  // namespace

void add_doctor_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto capacity = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("doctor", "Check what this kernel and machine can emulate, and how to get what is missing");
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->add_flag("--capacity", *capacity, "also measure (about 3 s) what this machine pushes through veth, and store it for --dilation auto");
  cmd->callback([json, capacity] {
    require_root("doctor", "probes the kernel by creating a scratch namespace");
    auto caps = nl::probe_kernel_capabilities();
    caps.items.push_back(probe_cgroups());
    auto vm = vm::probe_vm();
    caps.items.push_back({"vm", vm.qemu_present, vm.qemu_present ? "`scalelab vm` can boot a kernel with netem and rxe-in-netns under " + vm.accel +
                                                                       (vm.reason.empty() ? "" : " (" + vm.reason + ")")
                                                                 : vm.reason,
                          false});
    bool required_missing = false;
    nlohmann::json out = {{"kernel", caps.kernel_release}, {"features", nlohmann::json::array()}};
    for (const auto& c : caps.items) {
      out["features"].push_back({{"name", c.name}, {"available", c.available}, {"required", c.required}, {"detail", c.detail}});
      required_missing |= c.required && !c.available;
    }
    if (*capacity) {
      auto measured = runtime::measure_capacity(2.0, 2);
      runtime::store_capacity(measured);
      out["capacity"] = {{"veth_bps", measured.veth_bps}, {"streams", measured.streams}, {"seconds", measured.seconds},
                         {"stored_in", locations::capacity_file()}};
      if (!*json)
        fmt::print("capacity: {} aggregate over {} veth TCP streams ({:.1f} s), stored in {} for `up --dilation auto`\n",
                   model::format_bandwidth(measured.veth_bps), measured.streams, measured.seconds, locations::capacity_file());
    } else if (auto stored = runtime::load_capacity(); stored) {
      out["capacity"] = {{"veth_bps", stored->veth_bps}, {"measured_at", stored->measured_at}};
    }
    if (*json) {
      fmt::print("{}\n", out.dump(2));
    } else {
      fmt::print("kernel {}\n", caps.kernel_release);
      if (auto* rootless = RootlessMode::current(); rootless && rootless->holder())
        fmt::print("rootless: user namespace held by pid {}, state in {}\n", rootless->holder()->pid, rootless->session().base());
      for (const auto& c : caps.items) {
        fmt::print("  {:<3} {:<13} {}\n", c.available ? "ok" : "NO", c.name, c.detail);
        if (!c.available) fmt::print("      → {}\n", remedy(c.name));
      }
    }
    if (required_missing) fail("a required kernel feature is missing", 2);
  });
}

}  // namespace scalelab::cli
