#pragma once
// Internal: the layers' exceptions become the API's typed ones at the boundary, keeping what()
// word for word (the CLI prints it unchanged).
#include <exception>
#include <stdexcept>
#include <string>

#include "emulator/model/topology.h"
#include "emulator/model/units.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/targets.h"
#include "scalelab/errors.h"

namespace scalelab::api {

// Runs f; rethrows model/runtime errors as scalelab ones. Any other std::exception becomes a
// scalelab::Error with the same text, so callers need to catch one base only.
template <class F>
auto translated(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const scalelab::Error&) {
    throw;
  } catch (const model::TopologyError& e) {
    throw scalelab::TopologyError(e.source(), e.json_pointer(), e.message());
  } catch (const runtime::ClusterExists& e) {
    throw scalelab::ClusterExists(e.what());
  } catch (const runtime::TargetError& e) {
    throw scalelab::FaultError(e.what());
  } catch (const model::UnitError& e) {
    throw scalelab::FaultError(e.what());
  } catch (const std::exception& e) {
    throw scalelab::Error(e.what());
  }
}

// The message a verb gives when it needs root: the same one the CLI always gave.
void require_root(const std::string& verb, const std::string& why);

}  // namespace scalelab::api
