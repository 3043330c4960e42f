#include "emulator/netlink/rps.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "emulator/netlink/netns.h"

namespace scalelab::nl {
namespace {

constexpr const char* kDefaultMaskKey = "net/core/rps_default_mask";

int parse_cpu(const std::string& text, const std::string& list) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 5)
    throw std::invalid_argument("bad CPU list '" + list + "': '" + text + "' is not a CPU number");
  return std::stoi(text);
}

}  // namespace

std::string cpu_mask_from_list(const std::string& cpu_list) {
  std::string list = cpu_list;
  while (!list.empty() && (list.back() == '\n' || list.back() == ' ')) list.pop_back();
  if (list.empty()) throw std::invalid_argument("empty CPU list");
  std::vector<std::uint32_t> words;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    const auto dash = item.find('-');
    const int first = parse_cpu(item.substr(0, dash), list);
    const int last = dash == std::string::npos ? first : parse_cpu(item.substr(dash + 1), list);
    if (last < first) throw std::invalid_argument("bad CPU list '" + list + "': range " + item + " runs backwards");
    for (int cpu = first; cpu <= last; ++cpu) {
      const auto word = static_cast<std::size_t>(cpu / 32);
      if (words.size() <= word) words.resize(word + 1, 0);
      words[word] |= 1u << (cpu % 32);
    }
  }
  // Highest word first; every word after the first is written in full (8 digits).
  std::string out;
  char buf[16];
  for (std::size_t i = words.size(); i-- > 0;) {
    std::snprintf(buf, sizeof buf, out.empty() ? "%x" : "%08x", words[i]);
    if (!out.empty()) out += ',';
    out += buf;
  }
  return out;
}

std::string online_cpu_mask() {
  std::ifstream f("/sys/devices/system/cpu/online");
  std::string list;
  std::getline(f, list);
  if (list.empty()) throw std::runtime_error("cannot read /sys/devices/system/cpu/online");
  return cpu_mask_from_list(list);
}

bool has_rps_default_mask(int netns_fd) {
  ThreadNetnsGuard inside(netns_fd);
  return ::access((std::string("/proc/sys/") + kDefaultMaskKey).c_str(), W_OK) == 0;
}

void set_rps_default_mask(int netns_fd, const std::string& mask) { write_sysctl(netns_fd, kDefaultMaskKey, mask); }

void set_rps_default_mask_here(const std::string& mask) { write_sysctl_here(kDefaultMaskKey, mask); }

}  // namespace scalelab::nl
