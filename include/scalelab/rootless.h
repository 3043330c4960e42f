#pragma once
// Rootless clusters for a test suite that does not run as root: the calling process moves into
// the caller's rootless session (a user namespace of its own, started when there is none, with
// its state under $XDG_RUNTIME_DIR/scalelab), as `scalelab --rootless` commands do. After that,
// Cluster::up and the rest work without root; rxe, the host's neighbour-table limits and
// undelegated cgroups stay out of reach (use `scalelab vm`).
//
//   int main(int argc, char** argv) {
//     scalelab::enter_rootless_session();  // first, before any thread starts
//     ::testing::InitGoogleTest(&argc, argv);
//     return RUN_ALL_TESTS();
//   }
#include <string>

namespace scalelab {

struct RootlessSessionInfo {
  int holder_pid = 0;
  std::string state_dir;  // $XDG_RUNTIME_DIR/scalelab (or /tmp/scalelab-<uid>)
};

// Throws NotPermitted when the kernel refuses the user namespace, or when the process already
// runs threads (the kernel lets only a single-threaded process join one). Idempotent. When the
// process exits, the session ends if no cluster of it is left.
RootlessSessionInfo enter_rootless_session();
bool in_rootless_session();

}  // namespace scalelab
