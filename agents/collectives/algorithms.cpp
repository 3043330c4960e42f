#include "collectives/algorithms.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "collectives/nccl_conventions.h"
#include "collectives/tree.h"

namespace scalelab::agent {

std::optional<Algo> parse_algo(std::string_view s) {
  if (s == "auto") return Algo::automatic;
  if (s == "ring") return Algo::ring;
  if (s == "hier" || s == "hierarchical") return Algo::hier;
  if (s == "tree") return Algo::tree;
  return std::nullopt;
}

std::string_view algo_name(Algo a) {
  switch (a) {
    case Algo::automatic: return "auto";
    case Algo::ring: return "ring";
    case Algo::hier: return "hier";
    case Algo::tree: return "tree";
  }
  return "?";
}

namespace {

int index_of(const std::vector<int>& g, int rank) {
  auto it = std::find(g.begin(), g.end(), rank);
  if (it == g.end()) throw std::logic_error(fmt::format("rank {} not in its ring group", rank));
  return static_cast<int>(it - g.begin());
}

std::vector<int> world(const Comm& c) {
  std::vector<int> g(c.size());
  for (int i = 0; i < c.size(); ++i) g[i] = i;
  return g;
}

std::size_t chunk_elems(const Comm& c, std::size_t es) { return std::max<std::size_t>(1, c.options().chunk_bytes / es); }

void copy_if_distinct(void* dst, const void* src, std::size_t bytes) {
  if (dst != src && bytes) std::memmove(dst, src, bytes);
}

// Post the chunks of [off, off+count) of `data` to `peer`.
void post_chunks(Comm& c, int peer, std::byte* data, Segment s, std::size_t es, std::size_t chunk,
                 std::vector<Request>& out) {
  for (std::size_t o = 0; o < s.count; o += chunk)
    out.push_back(c.isend(peer, data + (s.offset + o) * es, std::min(chunk, s.count - o) * es));
}

}  // namespace

namespace {

Algo resolve_algo_given(bool ok, Algo requested) {
  if (requested == Algo::ring || requested == Algo::tree) return requested;
  if (requested == Algo::hier) {
    if (!ok)
      throw std::invalid_argument(
          "--algo hier needs more than one scale-up domain, every rank in a domain and equal domain sizes > 1");
    return Algo::hier;
  }
  return ok ? Algo::hier : Algo::ring;
}

}  // namespace

Algo resolve_algo(const std::vector<int>& domains, Algo requested) {
  return resolve_algo_given(requested == Algo::automatic || requested == Algo::hier ? hier_applicable(domains) : false,
                            requested);
}

bool uses_domain_stages(const std::vector<int>& domains, Algo resolved) {
  return resolved == Algo::hier || (resolved == Algo::tree && hier_applicable(domains));
}

std::vector<Segment> split_even(std::size_t count, int parts) {
  std::vector<Segment> s(parts);
  const std::size_t base = count / parts, rem = count % parts;
  std::size_t off = 0;
  for (int i = 0; i < parts; ++i) {
    s[i].offset = off;
    s[i].count = base + (static_cast<std::size_t>(i) < rem ? 1 : 0);
    off += s[i].count;
  }
  return s;
}

void ring_reduce_scatter(Comm& c, const std::vector<int>& g, std::byte* data, const std::vector<Segment>& segs,
                         DType t, Op op, const std::byte* src) {
  const int p = static_cast<int>(g.size());
  if (p <= 1) return;
  if (src == data) src = nullptr;
  const int pos = index_of(g, c.rank());
  const int next = g[(pos + 1) % p], prev = g[(pos + p - 1) % p];
  const std::size_t es = dtype_size(t), chunk = chunk_elems(c, es);
  auto seg = [&](int k) { return segs[static_cast<std::size_t>(((k % p) + p) % p)]; };
  std::size_t maxseg = 0;
  for (auto& s : segs) maxseg = std::max(maxseg, s.count);
  // In place, a received chunk lands in scratch and is reduced into data. Out of place (src), it
  // lands straight in data and src is reduced into it (sum/max/min commute), so the input is never
  // copied: every segment of data is written before it is read or sent.
  std::byte* tmp = src ? nullptr : c.scratch(maxseg * es, 0);
  auto post_recvs = [&](const Segment& r) {
    std::vector<Request> recvs;
    for (std::size_t o = 0; o < r.count; o += chunk) {
      std::byte* into = src ? data + (r.offset + o) * es : tmp + o * es;
      recvs.push_back(c.irecv(prev, into, std::min(chunk, r.count - o) * es));
    }
    return recvs;
  };

  // Step s sends segment pos-s-1 and receives segment pos-s-2, reducing it into data. The segment
  // received at step s is the one sent at step s+1, so each reduced chunk is forwarded at once:
  // the reduce of chunk k overlaps the transfer of chunk k+1, and steps overlap too. The receives
  // of step s+1 are posted before waiting for the sends of step s, so nothing arrives unposted.
  std::vector<Request> sends;
  {
    const Segment first = seg(pos - 1);
    for (std::size_t o = 0; o < first.count; o += chunk)
      sends.push_back(c.isend(next, (src ? src : data) + (first.offset + o) * es, std::min(chunk, first.count - o) * es));
  }
  std::vector<Request> recvs = post_recvs(seg(pos - 2));
  for (int s = 0; s < p - 1; ++s) {
    const Segment r = seg(pos - s - 2);
    std::vector<Request> next_sends;
    std::size_t o = 0;
    for (auto& rq : recvs) {
      c.wait(rq);
      const std::size_t n = std::min(chunk, r.count - o);
      std::byte* dst = data + (r.offset + o) * es;
      if (src)
        reduce_into(t, op, dst, src + (r.offset + o) * es, n);
      else
        reduce_into(t, op, dst, tmp + o * es, n);
      if (s < p - 2) next_sends.push_back(c.isend(next, dst, n * es));
      o += n;
    }
    // tmp is free again (every chunk of this step was reduced): post the next step's receives.
    recvs = s < p - 2 ? post_recvs(seg(pos - s - 3)) : std::vector<Request>{};
    c.wait_all(sends);
    sends = std::move(next_sends);
  }
  c.wait_all(sends);
}

void ring_all_gather(Comm& c, const std::vector<int>& g, std::byte* data, const std::vector<Segment>& segs,
                     std::size_t es) {
  const int p = static_cast<int>(g.size());
  if (p <= 1) return;
  const int pos = index_of(g, c.rank());
  const int next = g[(pos + 1) % p], prev = g[(pos + p - 1) % p];
  const std::size_t chunk = chunk_elems(c, es);
  auto seg = [&](int k) { return segs[static_cast<std::size_t>(((k % p) + p) % p)]; };

  // Step s sends segment pos-s and receives segment pos-s-1 (forwarded at step s+1, chunk by chunk).
  // Every segment has its own place in data, so all receives are posted at once.
  std::vector<Request> sends;
  post_chunks(c, next, data, seg(pos), es, chunk, sends);
  std::vector<std::vector<Request>> recvs(p - 1);
  for (int s = 0; s < p - 1; ++s) {
    const Segment r = seg(pos - s - 1);
    for (std::size_t o = 0; o < r.count; o += chunk)
      recvs[s].push_back(c.irecv(prev, data + (r.offset + o) * es, std::min(chunk, r.count - o) * es));
  }
  for (int s = 0; s < p - 1; ++s) {
    const Segment r = seg(pos - s - 1);
    std::vector<Request> next_sends;
    std::size_t o = 0;
    for (auto& rq : recvs[s]) {
      c.wait(rq);
      const std::size_t n = std::min(chunk, r.count - o);
      if (s < p - 2) next_sends.push_back(c.isend(next, data + (r.offset + o) * es, n * es));
      o += n;
    }
    c.wait_all(sends);
    sends = std::move(next_sends);
  }
  c.wait_all(sends);
}

void ring_all_reduce(Comm& c, const std::vector<int>& g, std::byte* data, std::size_t count, DType t, Op op,
                     const std::byte* src) {
  if (g.size() <= 1 || count == 0) {
    if (src && src != data) copy_if_distinct(data, src, count * dtype_size(t));
    return;
  }
  const auto segs = split_even(count, static_cast<int>(g.size()));
  ring_reduce_scatter(c, g, data, segs, t, op, src);
  ring_all_gather(c, g, data, segs, dtype_size(t));
}

void tree_all_reduce(Comm& c, const std::vector<int>& g, std::byte* data, std::size_t count, DType t, Op op,
                     const std::byte* src) {
  const std::size_t es = dtype_size(t);
  if (src && src != data) copy_if_distinct(data, src, count * es);
  const int p = static_cast<int>(g.size());
  if (p <= 1 || count == 0) return;
  const int pos = index_of(g, c.rank());
  const int parent = pos > 0 ? g[(pos - 1) / 2] : -1;
  std::vector<int> children;
  for (int k : {2 * pos + 1, 2 * pos + 2})
    if (k < p) children.push_back(g[k]);
  const std::size_t chunk = chunk_elems(c, es);
  std::byte* from = c.scratch(children.size() * chunk * es, 0);
  // Up: each chunk is reduced from the children's into data and passed on at once, so the levels
  // work on successive chunks together.
  std::vector<Request> ups;
  for (std::size_t o = 0; o < count; o += chunk) {
    const std::size_t n = std::min(chunk, count - o);
    std::vector<Request> rs;
    for (std::size_t i = 0; i < children.size(); ++i) rs.push_back(c.irecv(children[i], from + i * chunk * es, n * es));
    c.wait_all(rs);
    for (std::size_t i = 0; i < children.size(); ++i) reduce_into(t, op, data + o * es, from + i * chunk * es, n);
    if (parent >= 0) ups.push_back(c.isend(parent, data + o * es, n * es));
  }
  c.wait_all(ups);  // the down phase overwrites what went up
  // Down: the root's total, chunk by chunk, to every leaf.
  std::vector<Request> downs;
  for (std::size_t o = 0; o < count; o += chunk) {
    const std::size_t n = std::min(chunk, count - o);
    if (parent >= 0) {
      Request r = c.irecv(parent, data + o * es, n * es);
      c.wait(r);
    }
    for (int child : children) downs.push_back(c.isend(child, data + o * es, n * es));
  }
  c.wait_all(downs);
}

std::vector<int> rail_of(const std::vector<int>& domains, int rank) { return make_hierarchy(domains, rank).rail; }

void hier_all_reduce(Comm& c, std::byte* data, std::size_t count, DType t, Op op, const std::byte* src, bool tree) {
  const Hierarchy& h = c.hierarchy();
  const std::vector<int>& local = h.local;  // ring order: by rank
  const int l = index_of(local, c.rank());
  const std::vector<int>& rail = h.rail;
  const auto segs = split_even(count, static_cast<int>(local.size()));
  const std::size_t es = dtype_size(t);
  {
    StageTimer st(c, "domain reduce-scatter");
    ring_reduce_scatter(c, local, data, segs, t, op, src);
  }
  if (tree) {
    StageTimer st(c, "rail tree all-reduce");
    tree_all_reduce(c, rail, data + segs[l].offset * es, segs[l].count, t, op);
  } else {
    StageTimer st(c, "rail all-reduce");
    ring_all_reduce(c, rail, data + segs[l].offset * es, segs[l].count, t, op);
  }
  StageTimer st(c, "domain all-gather");
  ring_all_gather(c, local, data, segs, es);
}

void all_reduce(Comm& c, const void* send, void* recv, std::size_t count, DType t, Op op, Algo algo) {
  c.begin_op();
  const std::size_t bytes = count * dtype_size(t);
  auto* data = static_cast<std::byte*>(recv);
  const auto* src = static_cast<const std::byte*>(send);
  // Out of place, the input is read where it is (no up-front copy); buffers that overlap without
  // being equal are copied first, as before.
  const bool overlap = src != data && src < data + bytes && data < src + bytes;
  if (c.size() == 1 || count == 0 || overlap) {
    copy_if_distinct(recv, send, bytes);
    src = data;
  }
  if (c.size() == 1 || count == 0) return;
  const bool hier_ok = c.hierarchy().hier_applicable;
  const Algo a = resolve_algo_given(hier_ok, algo);
  if (a == Algo::hier || (a == Algo::tree && hier_ok))  // uses_domain_stages
    hier_all_reduce(c, data, count, t, op, src, a == Algo::tree);
  else if (a == Algo::tree) {
    StageTimer st(c, "tree all-reduce");
    tree_all_reduce(c, world(c), data, count, t, op, src);
  } else {
    StageTimer st(c, "ring all-reduce");
    ring_all_reduce(c, world(c), data, count, t, op, src);
  }
}

void all_gather(Comm& c, const void* send, void* recv, std::size_t sendcount, DType t) {
  c.begin_op();
  const std::size_t es = dtype_size(t);
  auto* data = static_cast<std::byte*>(recv);
  copy_if_distinct(data + static_cast<std::size_t>(c.rank()) * sendcount * es, send, sendcount * es);
  if (c.size() == 1 || sendcount == 0) return;
  std::vector<Segment> segs(c.size());
  for (int i = 0; i < c.size(); ++i) segs[i] = {static_cast<std::size_t>(i) * sendcount, sendcount};
  ring_all_gather(c, world(c), data, segs, es);
}

void reduce_scatter(Comm& c, const void* send, void* recv, std::size_t recvcount, DType t, Op op) {
  c.begin_op();
  const std::size_t es = dtype_size(t), n = static_cast<std::size_t>(c.size());
  const std::size_t mine = static_cast<std::size_t>(c.rank()) * recvcount * es;
  const auto* in = static_cast<const std::byte*>(send);
  auto* out = static_cast<std::byte*>(recv);
  if (c.size() == 1 || recvcount == 0) {
    copy_if_distinct(out, in + mine, recvcount * es);
    return;
  }
  // In place (recv == send + rank*recvcount) the send buffer is the work area; else a copy of it.
  std::byte* work = const_cast<std::byte*>(in);
  if (out != in + mine) {
    work = c.scratch(n * recvcount * es, 1);
    std::memcpy(work, in, n * recvcount * es);
  }
  std::vector<Segment> segs(n);
  for (std::size_t i = 0; i < n; ++i) segs[i] = {i * recvcount, recvcount};
  ring_reduce_scatter(c, world(c), work, segs, t, op);
  copy_if_distinct(out, work + mine, recvcount * es);
}

void broadcast(Comm& c, const void* send, void* recv, std::size_t count, DType t, int root) {
  c.begin_op();
  const int n = c.size();
  if (root < 0 || root >= n) throw std::invalid_argument(fmt::format("broadcast root {} out of range", root));
  const std::size_t es = dtype_size(t);
  auto* data = static_cast<std::byte*>(recv);
  if (c.rank() == root) copy_if_distinct(data, send, count * es);
  if (n == 1 || count == 0) return;
  // Pipelined chain root -> root+1 -> ... -> root-1: each chunk is forwarded as soon as it lands.
  const int pos = (c.rank() - root + n) % n;
  const int next = (c.rank() + 1) % n, prev = (c.rank() + n - 1) % n;
  const std::size_t chunk = chunk_elems(c, es);
  std::vector<Request> sends;
  if (pos == 0) {
    post_chunks(c, next, data, {0, count}, es, chunk, sends);
  } else {
    std::vector<Request> recvs;
    for (std::size_t o = 0; o < count; o += chunk)
      recvs.push_back(c.irecv(prev, data + o * es, std::min(chunk, count - o) * es));
    std::size_t o = 0;
    for (auto& rq : recvs) {
      c.wait(rq);
      const std::size_t m = std::min(chunk, count - o);
      if (pos < n - 1) sends.push_back(c.isend(next, data + o * es, m * es));
      o += m;
    }
  }
  c.wait_all(sends);
}

void alltoall(Comm& c, const void* send, void* recv, std::size_t count, DType t) {
  c.begin_op();
  const int n = c.size(), r = c.rank();
  const std::size_t bb = count * dtype_size(t);
  const auto* src = static_cast<const std::byte*>(send);
  auto* dst = static_cast<std::byte*>(recv);
  if (src == dst && n > 1 && bb) {
    std::byte* copy = c.scratch(bb * n, 2);
    std::memcpy(copy, src, bb * n);
    src = copy;
  }
  copy_if_distinct(dst + r * bb, src + r * bb, bb);
  if (bb == 0) return;
  // Pairwise exchange: at step s send to r+s and receive from r-s, both at once.
  for (int s = 1; s < n; ++s) {
    const int to = (r + s) % n, from = (r - s + n) % n;
    Request rr = c.irecv(from, dst + from * bb, bb);
    Request rs = c.isend(to, src + to * bb, bb);
    c.wait(rr);
    c.wait(rs);
  }
}

void alltoallv(Comm& c, const void* send, const std::vector<std::size_t>& send_bytes, void* recv,
               const std::vector<std::size_t>& recv_bytes) {
  c.begin_op();
  const int n = c.size(), r = c.rank();
  if (send_bytes.size() != static_cast<std::size_t>(n) || recv_bytes.size() != static_cast<std::size_t>(n))
    throw std::invalid_argument(fmt::format("alltoallv: {} send and {} receive sizes for {} ranks", send_bytes.size(),
                                            recv_bytes.size(), n));
  if (send_bytes[r] != recv_bytes[r])
    throw std::invalid_argument(fmt::format("alltoallv: rank {} sends itself {} bytes but expects {}", r, send_bytes[r],
                                            recv_bytes[r]));
  std::vector<std::size_t> sdispl(n + 1, 0), rdispl(n + 1, 0);
  for (int j = 0; j < n; ++j) sdispl[j + 1] = sdispl[j] + send_bytes[j], rdispl[j + 1] = rdispl[j] + recv_bytes[j];
  const auto* src = static_cast<const std::byte*>(send);
  auto* dst = static_cast<std::byte*>(recv);
  copy_if_distinct(dst + rdispl[r], src + sdispl[r], send_bytes[r]);
  // Every exchange at once: a skewed hot rank receives from all peers in parallel, as the
  // fabric would carry it, and zero-sized blocks cost nothing.
  std::vector<Request> reqs;
  for (int s = 1; s < n; ++s) {
    const int from = (r - s + n) % n;
    if (recv_bytes[from]) reqs.push_back(c.irecv(from, dst + rdispl[from], recv_bytes[from]));
  }
  for (int s = 1; s < n; ++s) {
    const int to = (r + s) % n;
    if (send_bytes[to]) reqs.push_back(c.isend(to, src + sdispl[to], send_bytes[to]));
  }
  c.wait_all(reqs);
}

void send_to(Comm& c, int peer, const void* buf, std::size_t bytes) {
  c.begin_op();
  if (bytes == 0) return;
  Request rq = c.isend(peer, buf, bytes);
  c.wait(rq);
}

void recv_from(Comm& c, int peer, void* buf, std::size_t bytes) {
  c.begin_op();
  if (bytes == 0) return;
  Request rq = c.irecv(peer, buf, bytes);
  c.wait(rq);
}

void sendrecv(Comm& c, const void* send, void* recv, std::size_t count, DType t) {
  c.begin_op();
  const int n = c.size();
  const std::size_t bytes = count * dtype_size(t);
  if (n == 1 || bytes == 0) {
    copy_if_distinct(recv, send, bytes);
    return;
  }
  const void* src = send;
  if (src == recv) {
    std::byte* copy = c.scratch(bytes, 2);
    std::memcpy(copy, send, bytes);
    src = copy;
  }
  Request rr = c.irecv((c.rank() + n - 1) % n, recv, bytes);
  Request rs = c.isend((c.rank() + 1) % n, src, bytes);
  c.wait(rr);
  c.wait(rs);
}

std::vector<std::byte> all_gather_bytes(Comm& c, const void* mine, std::size_t bytes) {
  std::vector<std::byte> out(bytes * c.size());
  std::memcpy(out.data() + static_cast<std::size_t>(c.rank()) * bytes, mine, bytes);
  std::vector<Segment> segs(c.size());
  for (int i = 0; i < c.size(); ++i) segs[i] = {static_cast<std::size_t>(i) * bytes, bytes};
  ring_all_gather(c, world(c), out.data(), segs, 1);
  return out;
}

// Up the hierarchy's tree (collectives/tree.h) and back down: 2(n-1) messages like a ring's pass,
// but only 2 + 2·log2(domains) of them one after another. The ring took about 0.1 s at 1024 ranks
// on 2 cores for each barrier.
std::vector<std::byte> tree_combine(Comm& c, const void* mine, std::size_t bytes,
                                    const std::function<void(std::byte* acc, const std::byte* other)>& combine) {
  std::vector<std::byte> acc(bytes);
  std::memcpy(acc.data(), mine, bytes);
  if (c.size() == 1) return acc;
  const TreeLinks& t = c.hierarchy().tree;
  std::vector<std::byte> from(bytes * t.children.size());
  std::vector<Request> rs;
  for (std::size_t i = 0; i < t.children.size(); ++i) rs.push_back(c.irecv(t.children[i], from.data() + i * bytes, bytes));
  c.wait_all(rs);
  for (std::size_t i = 0; i < t.children.size(); ++i) combine(acc.data(), from.data() + i * bytes);
  if (t.parent >= 0) {
    Request up = c.isend(t.parent, acc.data(), bytes);
    c.wait(up);
    Request down = c.irecv(t.parent, acc.data(), bytes);
    c.wait(down);
  }
  rs.clear();
  for (int child : t.children) rs.push_back(c.isend(child, acc.data(), bytes));
  c.wait_all(rs);
  return acc;
}

std::vector<std::byte> gather_to_root(Comm& c, const void* mine, std::size_t bytes) {
  const Hierarchy& h = c.hierarchy();
  const TreeLinks& t = h.tree;
  std::vector<std::byte> blocks(h.subtree_size * bytes);  // in tree_subtree order: this rank's, then each child's subtree
  std::memcpy(blocks.data(), mine, bytes);
  std::vector<Request> rs;
  std::size_t at = 1;
  for (std::size_t i = 0; i < t.children.size(); ++i) {
    const std::size_t k = h.child_subtree[i];
    rs.push_back(c.irecv(t.children[i], blocks.data() + at * bytes, k * bytes));
    at += k;
  }
  c.wait_all(rs);
  if (t.parent >= 0) {
    Request up = c.isend(t.parent, blocks.data(), blocks.size());
    c.wait(up);
    return {};
  }
  const std::vector<int> order = c.size() == 1 ? std::vector<int>{0} : tree_subtree(c.domains(), c.rank());
  std::vector<std::byte> by_rank(blocks.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    std::memcpy(by_rank.data() + static_cast<std::size_t>(order[i]) * bytes, blocks.data() + i * bytes, bytes);
  return by_rank;
}

void barrier(Comm& c) {
  const std::byte b{1};
  tree_combine(c, &b, 1, [](std::byte*, const std::byte*) {});
}

double max_across(Comm& c, double v) { return max_across(c, std::vector<double>{v}).at(0); }

std::vector<double> max_across(Comm& c, const std::vector<double>& v) {
  const std::size_t k = v.size();
  const auto all = tree_combine(c, v.data(), k * sizeof(double), [k](std::byte* acc, const std::byte* other) {
    for (std::size_t i = 0; i < k; ++i) {
      double a, b;
      std::memcpy(&a, acc + i * sizeof a, sizeof a);
      std::memcpy(&b, other + i * sizeof b, sizeof b);
      a = std::max(a, b);
      std::memcpy(acc + i * sizeof a, &a, sizeof a);
    }
  });
  std::vector<double> m(k);
  std::memcpy(m.data(), all.data(), k * sizeof(double));
  return m;
}

int64_t sum_across(Comm& c, int64_t v) {
  const auto all = tree_combine(c, &v, sizeof v, [](std::byte* acc, const std::byte* other) {
    int64_t a, b;
    std::memcpy(&a, acc, sizeof a);
    std::memcpy(&b, other, sizeof b);
    a += b;
    std::memcpy(acc, &a, sizeof a);
  });
  int64_t s;
  std::memcpy(&s, all.data(), sizeof s);
  return s;
}

}  // namespace scalelab::agent
