#pragma once
// What the torch tests share: whether Debian's torch can be imported, the examples' paths, and
// the topology under a name of this suite's own (prefix "tq").
#include <gtest/gtest.h>

#include <string>

#include "emulator/model/topology.h"

namespace scalelab::torch_tests {

// Debian's python3-torch lives in /usr/bin/python3's dist-packages; another python3 on PATH
// (pyenv, a venv) would not see it.
inline constexpr const char* kPython = "/usr/bin/python3";

// Empty when `import torch.distributed` with gloo works; otherwise why not.
std::string torch_missing_reason();
bool in_ci();

// tiny.json renamed so LiveCluster makes it "tqtiny-<pid>-<n>": this suite's clusters are told
// apart from everyone else's on a shared machine.
model::Topology tiny();
std::string example(const std::string& file);  // SOURCE/examples/torch/<file>

// Tests that need torch fail in CI when it is missing (never a silent pass), and skip with the
// reason on a developer's machine.
#define SCALELAB_REQUIRE_TORCH()                                                                       \
  if (auto why = ::scalelab::torch_tests::torch_missing_reason(); !why.empty()) {                       \
    if (::scalelab::torch_tests::in_ci()) FAIL() << "CI=true and torch is unusable: " << why;           \
    GTEST_SKIP() << why;                                                                                \
  }

}  // namespace scalelab::torch_tests
