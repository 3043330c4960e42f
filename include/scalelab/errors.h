#pragma once
// Every failure of the scalelab API is one of these, so a caller can tell "my topology file is
// wrong" from "this machine will not let me" from "the cluster is gone". what() is the same text
// the CLI prints after "scalelab: ".
#include <stdexcept>
#include <string>

namespace scalelab {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A topology file rejected before anything was created. what() == "<file>: <pointer>: <message>".
class TopologyError : public Error {
 public:
  TopologyError(std::string source, std::string json_pointer, std::string message);
  const std::string& source() const { return source_; }              // the file, or "<inline>"
  const std::string& json_pointer() const { return json_pointer_; }  // "/cluster/scale_out/nic_bandwidth"
  const std::string& message() const { return message_; }            // what was expected, got what

 private:
  std::string source_, json_pointer_, message_;
};

// The name is taken by a cluster that is up (or was left by a crash: `scalelab down NAME`).
class ClusterExists : public Error {
 public:
  using Error::Error;
};

// This process lacks the privilege the operation needs (root for namespaces).
class NotPermitted : public Error {
 public:
  using Error::Error;
};

// No such cluster, or no such node in it.
class NotFound : public Error {
 public:
  using Error::Error;
};

// A fault that cannot be applied: an unknown target, a figure in the wrong unit, a missing
// parameter, or netem asked of a kernel without it.
class FaultError : public Error {
 public:
  using Error::Error;
};

// Bringing a cluster up failed after it started creating objects; they were all removed.
class BringUpError : public Error {
 public:
  using Error::Error;
};

// A command could not be started (fork failed, not found on PATH).
class LaunchError : public Error {
 public:
  using Error::Error;
};

}  // namespace scalelab
