#pragma once
// Receive packet steering for emulated namespaces. A veth hands each packet to the receive
// backlog of the CPU that happened to dequeue it; when two CPUs dequeue one flow's packets
// (an htb watchdog on one, a softirq on the other) the flow arrives reordered. TCP shrugs that
// off; an RC queue pair over rxe answers with sequence-error NAKs and go-back-N, and on a busy
// machine (a TCG guest) runs out of retries on a healthy link: IBV_WC_RETRY_EXC_ERR. RPS over
// every online CPU steers each flow to one CPU by its hash, so every flow stays in order.
#include <string>

namespace scalelab::nl {

// "0-1,4" (the format of /sys/devices/system/cpu/online) → "13"; more than 32 CPUs are
// grouped in 32-bit words separated by commas ("ffffffff,ffffffff"), as cpumask_parse reads.
// Throws std::invalid_argument on a malformed list.
std::string cpu_mask_from_list(const std::string& cpu_list);

// The mask of this machine's online CPUs.
std::string online_cpu_mask();

// True when the kernel has a per-namespace net.core.rps_default_mask (Linux >= 6.5 with CONFIG_RPS).
bool has_rps_default_mask(int netns_fd);

// Every interface created in the namespace after this call steers its receive flows over `mask`.
void set_rps_default_mask(int netns_fd, const std::string& mask);
// The same for the calling thread's own namespace.
void set_rps_default_mask_here(const std::string& mask);

}  // namespace scalelab::nl
