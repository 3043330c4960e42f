#pragma once
// One training step of a job as the ordered operations of one rank: compute (a sleep of the real
// time × dilation), collectives on its groups, and pipeline sends/receives, in the 1F1B order of
// Megatron-LM's non-interleaved schedule. Every rank of a group issues that group's operations in
// the same order, as NCCL requires of a communicator.
#include <cstdint>
#include <string>
#include <vector>

#include "collectives/nccl_conventions.h"
#include "emulator/job/job_spec.h"
#include "emulator/job/layout.h"

namespace scalelab::job {

enum class OpKind {
  compute,     // sleep `ns` × dilation on the rank's main thread
  collective,  // `coll` on the rank's group of `group`
  send,        // `bytes` to group rank `peer` (pp)
  recv,        // `bytes` from group rank `peer` (pp)
  wait_all,    // every asynchronous operation issued so far has completed
};

// The collectives a job uses; alltoallv has per-peer sizes (`counts`, elements).
enum class Coll { all_reduce, all_gather, reduce_scatter, alltoallv };
const char* coll_name(Coll c);
// The nccl-tests collective whose busbw factor and data check a job collective takes
// (alltoallv: alltoall's).
agent::Collective nccl_collective(Coll c);

struct Op {
  OpKind kind = OpKind::compute;
  GroupKind group = GroupKind::tp;
  Coll coll = Coll::all_reduce;
  std::uint64_t bytes = 0;  // all_reduce: the buffer; all_gather: the output; reduce_scatter: the input;
                            // send/recv: the message; alltoallv: what this rank sends in all
  std::uint64_t ns = 0;     // compute, real time
  int peer = -1;
  bool async = false;       // issued and left running (its group's stream), waited by wait_all
  // alltoallv: send_counts[j] / recv_counts[j] = bytes to / from group rank j.
  std::vector<std::uint64_t> send_counts, recv_counts;
  // Reporting: the phase the op belongs to ("tp", "pp", "dp", "ep dispatch", "ep combine", "compute").
  std::string phase;
};

struct StepProgram {
  std::vector<Op> ops;
};

// The program of `rank` for step `step` (the MoE routing changes every step, seeded).
StepProgram compile_step(const JobSpec& job, const Layout& layout, int rank, int step);

// The phase names a job reports, in the order they appear in its tables.
std::vector<std::string> phase_names(const JobSpec& job, const Layout& layout);

}  // namespace scalelab::job
