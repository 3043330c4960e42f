#include "emulator/model/input_error.h"

namespace scalelab::model {

InputError::InputError(std::string source, std::string json_pointer, std::string message)
    : InputError(source, json_pointer, message, source + ": " + json_pointer + ": " + message) {}

InputError::InputError(std::string source, std::string json_pointer, std::string message, const std::string& what)
    : std::runtime_error(what), source_(std::move(source)), pointer_(std::move(json_pointer)), message_(std::move(message)) {}

}  // namespace scalelab::model
