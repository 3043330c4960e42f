#pragma once
#include <functional>
#include <string_view>

namespace scalelab::vm {
// Progress lines for the user ("scalelab vm: …" on stderr); may be empty.
using Log = std::function<void(std::string_view)>;
}  // namespace scalelab::vm
