// Collective algorithms over a Comm. They only post isend/irecv on peer channels and wait; they know
// nothing about sockets or queue pairs. Every function is correct for any world size >= 1 and any
// element count (including counts not divisible by, or smaller than, the world size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <functional>
#include <string_view>
#include <vector>

#include "collectives/communicator.h"
#include "collectives/dtype.h"

namespace scalelab::agent {

// all_reduce: ring (one ring over the world), hier (reduce-scatter in each scale-up domain, a ring
// all-reduce across domains per rail, all-gather in each domain) or tree (hier with a binary tree
// across domains per rail, as NCCL's tree: 2·log2(domains) message latencies instead of
// 2(domains-1); one tree over the world where hier does not apply).
enum class Algo { automatic, ring, hier, tree };
std::optional<Algo> parse_algo(std::string_view s);  // "auto" | "ring" | "hier" | "tree"
std::string_view algo_name(Algo a);
// auto: hier where hier_applicable (collectives/nccl_conventions.h), else ring. Requesting hier
// where it does not apply throws std::invalid_argument; tree always applies.
Algo resolve_algo(const std::vector<int>& domains, Algo requested);
// Whether a resolved algorithm runs the domain stages (reduce-scatter, then the stage across
// domains per rail, then all-gather): hier, and tree where hier applies.
bool uses_domain_stages(const std::vector<int>& domains, Algo resolved);

// Buffers follow NCCL: send/recv may be equal (in-place) where NCCL allows it:
//   all_reduce: count in, count out;            all_gather: sendcount in, n*sendcount out (in-place: send == recv + rank*sendcount)
//   reduce_scatter: n*recvcount in, recvcount out (in-place: recv == send + rank*recvcount)
//   broadcast: count from root;                  alltoall: n*count in/out (block j to/from rank j)
//   sendrecv: count to rank+1, count from rank-1 (as nccl-tests' sendrecv_perf)
void all_reduce(Comm& c, const void* send, void* recv, std::size_t count, DType t, Op op, Algo algo = Algo::ring);
void all_gather(Comm& c, const void* send, void* recv, std::size_t sendcount, DType t);
void reduce_scatter(Comm& c, const void* send, void* recv, std::size_t recvcount, DType t, Op op);
void broadcast(Comm& c, const void* send, void* recv, std::size_t count, DType t, int root);
void alltoall(Comm& c, const void* send, void* recv, std::size_t count, DType t);
void sendrecv(Comm& c, const void* send, void* recv, std::size_t count, DType t);
// Uneven all-to-all (MoE dispatch/combine): send_bytes[j] bytes to rank j, recv_bytes[j] from it;
// blocks are packed in rank order in both buffers (displacements are the prefix sums). The sizes
// must agree pairwise (rank i's send_bytes[j] == rank j's recv_bytes[i]), as in MPI_Alltoallv.
void alltoallv(Comm& c, const void* send, const std::vector<std::size_t>& send_bytes, void* recv,
               const std::vector<std::size_t>& recv_bytes);
// Point to point between any two ranks (pipeline stages): one message, bounded by the step timeout.
void send_to(Comm& c, int peer, const void* buf, std::size_t bytes);
void recv_from(Comm& c, int peer, void* buf, std::size_t bytes);

// Small world-wide helpers. all_gather_bytes is a ring all-gather: n(n-1) messages, for when every
// rank needs every value; the others run over the hierarchy's tree (collectives/tree.h).
std::vector<std::byte> all_gather_bytes(Comm& c, const void* mine, std::size_t bytes);
// Every rank's `bytes` to rank 0, by rank (n·bytes there; empty on the other ranks).
std::vector<std::byte> gather_to_root(Comm& c, const void* mine, std::size_t bytes);
// Combine one value per rank (`combine(acc, other)` folds another rank's into acc; it must be
// commutative and associative) and give every rank the result: up the tree and back down.
std::vector<std::byte> tree_combine(Comm& c, const void* mine, std::size_t bytes,
                                    const std::function<void(std::byte* acc, const std::byte* other)>& combine);
void barrier(Comm& c);
double max_across(Comm& c, double v);
// Element-wise maximum over all ranks, in one tree_combine; every rank passes as many values.
std::vector<double> max_across(Comm& c, const std::vector<double>& v);
int64_t sum_across(Comm& c, int64_t v);

// Building blocks, exposed for tests.
struct Segment {
  std::size_t offset, count;  // elements
};
std::vector<Segment> split_even(std::size_t count, int parts);
// Ring over `group` (ranks in ring order, must contain c.rank()); afterwards the member at position i
// holds the reduction of segs[i] (in place in `data`); other segments hold partial results.
// With `src` (out of place, not overlapping data) this rank's input is read from src and data need not
// be initialized; segments of data other than segs[i] are then partial results or unwritten.
void ring_reduce_scatter(Comm& c, const std::vector<int>& group, std::byte* data, const std::vector<Segment>& segs,
                         DType t, Op op, const std::byte* src = nullptr);
// Member at position i contributes segs[i]; afterwards every member holds all segments.
void ring_all_gather(Comm& c, const std::vector<int>& group, std::byte* data, const std::vector<Segment>& segs,
                     std::size_t elem_size);
// `src`: as ring_reduce_scatter (nullptr: the input is in data).
void ring_all_reduce(Comm& c, const std::vector<int>& group, std::byte* data, std::size_t count, DType t, Op op,
                     const std::byte* src = nullptr);
// Reduce up a binary tree over `group` (position i under (i-1)/2), pipelined in chunks, then the
// total back down; `src` as ring_reduce_scatter.
void tree_all_reduce(Comm& c, const std::vector<int>& group, std::byte* data, std::size_t count, DType t, Op op,
                     const std::byte* src = nullptr);
// The members of `rank`'s rail: the same local index in every domain, domains in id order (empty where
// hier_applicable is false).
std::vector<int> rail_of(const std::vector<int>& domains, int rank);
// `tree`: the stage across domains is tree_all_reduce instead of ring_all_reduce.
void hier_all_reduce(Comm& c, std::byte* data, std::size_t count, DType t, Op op, const std::byte* src = nullptr,
                     bool tree = false);

}  // namespace scalelab::agent
