#pragma once
#include <fstream>
#include <sstream>
#include <string>

inline std::string test_data(const std::string& name) {
  std::ifstream in(std::string(VM_TEST_DATA) + "/" + name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
