// Deterministic per-rank input data and the independently computed expected results (data check).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "collectives/dtype.h"
#include "collectives/nccl_conventions.h"  // Collective

namespace scalelab::agent {

// Small integers in [-4, 4]: every partial reduction of up to 64 ranks is exact in every dtype, so
// the check can be (nearly) exact whatever order the algorithm reduces in. One pseudo-random
// sequence per seed, rank r reading it from position r on: element i of a reduction over all ranks
// is then a window of consecutive positions, which the reference computes in O(count + ranks).
double input_value(int rank, std::size_t index, uint64_t seed);
// buf[i] = input_value(rank, first_index + i, seed)
void fill_input(DType t, void* buf, std::size_t count, int rank, std::size_t first_index, uint64_t seed);
// A value no correct result contains (for worlds < 3000 ranks).
void fill_sentinel(DType t, void* buf, std::size_t count);

// What rank `rank` must hold in its receive buffer after collective `c` with parameter count
// `param` (nccl-tests' meaning: per-rank count for all_gather/reduce_scatter/alltoall).
std::vector<double> expected_output(Collective c, DType t, Op op, int rank, int nranks, int root, std::size_t param,
                                    uint64_t seed);
// Elements of `got` that differ from `expected` beyond the dtype's tolerance.
int64_t count_wrong(DType t, Op op, const void* got, const std::vector<double>& expected, int nranks);
// count_wrong against expected_output's reference, computed as it is compared where it can be (sums
// of all_reduce and reduce_scatter), so a one-off check builds no reference vector.
int64_t check_output(Collective c, DType t, Op op, int rank, int nranks, int root, std::size_t param, uint64_t seed,
                     const void* got);

}  // namespace scalelab::agent
