#pragma once
// What every rejected input file (topology, job, scenario) throws: the file, the JSON pointer
// into it and what was expected instead, so each names the place to fix the same way.
#include <stdexcept>
#include <string>

namespace scalelab::model {

// what() == "<source>: <json_pointer>: <message>"
class InputError : public std::runtime_error {
 public:
  InputError(std::string source, std::string json_pointer, std::string message);
  const std::string& source() const { return source_; }              // the file, or "<inline>"
  const std::string& json_pointer() const { return pointer_; }       // "/cluster/scale_out/nic_bandwidth"; "" for the whole file
  const std::string& message() const { return message_; }            // what was expected, and the fix

 protected:
  // For a derived error that words what() its own way.
  InputError(std::string source, std::string json_pointer, std::string message, const std::string& what);

 private:
  std::string source_, pointer_, message_;
};

}  // namespace scalelab::model
