#pragma once
// The machines a cluster is cut across: `--machines FILE` (JSON) or `--machines a,b,…` (ssh
// targets whose host part is the machine's underlay IPv4 address).
//   {"machines": [{"name": "m1", "ssh": "root@10.0.0.1", "underlay": "10.0.0.1",
//                  "underlay_dev": "eth0", "scalelab": "/usr/bin/scalelab"}, …],
//    "ssh_options": ["-i", "/root/.ssh/scalelab", "-o", "BatchMode=yes"]}
#include <string>
#include <vector>

#include "emulator/model/input_error.h"

namespace scalelab::shard {

class MachinesError : public model::InputError {
 public:
  using model::InputError::InputError;
};

struct Machine {
  std::string name;          // as the cut and every message call it
  std::string ssh;           // the ssh destination, user@host
  std::string underlay;      // this machine's IPv4 address on the underlay: VXLAN's outer source
  std::string underlay_dev;  // the device that address is on ("": the kernel's route decides)
  std::string scalelab = "scalelab";  // the installed binary on that machine
};

struct Machines {
  std::vector<Machine> list;
  std::vector<std::string> ssh_options;  // before the destination on every ssh command line
  std::string source;                    // the file, or "--machines"
};

Machines parse_machines(const std::string& text, const std::string& source);
// A file when `spec` names one, else the comma list.
Machines load_machines(const std::string& spec);

std::vector<std::string> machine_names(const Machines& machines);

}  // namespace scalelab::shard
