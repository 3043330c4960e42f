#include "emulator/cli/cmd_vm.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

#include "emulator/vm/kernel_cache.h"
#include "emulator/vm/vm_probe.h"
#include "emulator/vm/vm_run.h"

namespace scalelab::cli {

void add_vm_command(CLI::App& app) {
  auto o = std::make_shared<vm::VmOptions>();
  auto check = std::make_shared<bool>(false);
  auto no_project = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "vm",
      "Boot a capable Debian kernel (>= 7.1: netem, rxe in namespaces) under qemu and run CMD inside as root, "
      "in the same directory, with the host's files visible; returns CMD's exit status");
  cmd->add_option("--kernel", o->kernel, "auto (newest >= 7.1 from trixie-backports, forky, sid), a version "
                                         "(7.2.13 or 7.2.13+deb14-amd64), or a linux-image/linux-binary .deb")
      ->default_val("auto");
  cmd->add_option("--cpus", o->cpus, "virtual CPUs (default: 2, or fewer host CPUs)")->check(CLI::Range(1, 64));
  cmd->add_option("--mem", o->mem_mb, "memory in MB")->default_val(2048)->check(CLI::Range(256, 262144));
  cmd->add_option("--share", o->shares, "host directory shared writable at the same path (repeatable); "
                                        "the project tree is shared by default")
      ->allow_extra_args(false);
  cmd->add_flag("--no-project-share", *no_project, "do not share the project tree writable (it stays visible read-only)");
  cmd->add_option("--accel", o->accel, "auto (KVM when it boots Linux here, else TCG), kvm or tcg")
      ->default_val("auto")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  cmd->add_option("--module", o->modules, "kernel module to load besides veth, bridge, sch_htb, sch_netem, sch_tbf, "
                                          "ib_uverbs, rdma_ucm, rdma_rxe (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--timeout", o->timeout_s, "stop the VM after this many seconds (exit status 124)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--refresh", o->refresh, "refresh the package indexes and re-resolve `auto` now (else once a day)");
  cmd->add_flag("--fetch", o->fetch_only, "only resolve, fetch and cache the kernel; print its manifest");
  cmd->add_flag("--check", *check, "print whether and how VMs can run here (qemu, KVM or TCG, cached kernels)");
  cmd->add_flag("--keep", o->keep, "keep the run directory (generated scripts, console log)");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress lines on stderr");
  cmd->add_option("--cache", o->cache_root, "kernel cache directory (default $SCALELAB_VM_CACHE or /var/cache/scalelab/vm)");
  cmd->add_option("command", o->command, "CMD and its arguments, after --");
  cmd->callback([o, check, no_project] {
    if (*check) {
      auto a = vm::probe_vm();
      fmt::print("qemu: {}\naccel: {}\nreason: {}\n", a.qemu_present ? "present" : "missing", a.accel, a.reason);
      auto root = o->cache_root.empty() ? vm::default_cache_root() : o->cache_root;
      auto cached = vm::list_cached_kernels(root);
      fmt::print("cache: {}\n", root.string());
      for (const auto& m : cached) fmt::print("  {} ({} {}, {})\n", m.abi, m.source, m.suite, m.debian_version);
      auto missing = vm::missing_vm_tools();
      for (const auto& t : missing) fmt::print("missing: {}\n", t);
      if (!a.qemu_present || !missing.empty()) throw CLI::RuntimeError(1);
      return;
    }
    o->share_project = !*no_project;
    int status = vm::run_vm(*o);
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace scalelab::cli
