#include "torch_support.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cluster_fixture.h"

namespace scalelab::torch_tests {

std::string torch_missing_reason() {
  static const std::string reason = [] {
    const std::string command = std::string(kPython) + " -c 'import torch.distributed as d; assert d.is_gloo_available(), \"no gloo\"' 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string output;
    std::array<char, 4096> buf;
    while (auto n = fread(buf.data(), 1, buf.size(), pipe.get())) output.append(buf.data(), n);
    const int status = pclose(pipe.release());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::string();
    return std::string(kPython) + " cannot import torch with gloo (" + output.substr(0, 300) +
           "); install Debian's python3-torch: sudo scripts/install-deps.sh";
  }();
  return reason;
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

model::Topology tiny() {
  auto t = fixtures::shipped_topology("tiny.json");
  t.name = "qtiny";
  return t;
}

std::string example(const std::string& file) { return std::string(SCALELAB_SOURCE_DIR) + "/examples/torch/" + file; }

}  // namespace scalelab::torch_tests
