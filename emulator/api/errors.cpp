#include "scalelab/errors.h"

#include <unistd.h>

#include "emulator/api/translate.h"

namespace scalelab {

TopologyError::TopologyError(std::string source, std::string json_pointer, std::string message)
    : Error(source + ": " + json_pointer + ": " + message),
      source_(std::move(source)),
      json_pointer_(std::move(json_pointer)),
      message_(std::move(message)) {}

namespace api {

void require_root(const std::string& verb, const std::string& why) {
  if (geteuid() != 0) throw NotPermitted("`" + verb + "` " + why + " and needs root: run it with sudo, or add --rootless (a user namespace of your own)");
}

}  // namespace api
}  // namespace scalelab
