#include "transport/verbs/verbs_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <netinet/in.h>
#include <poll.h>
#include <rdma/rdma_cma.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "transport/cluster_hash.h"

namespace scalelab::agent {

namespace {

constexpr uint32_t kMagic = 0x32564c53;  // "SLV2": a hello that carries the cluster

// Private data of REQ (and REP), 48 of the 56 bytes a REQ may carry. `attempt` numbers the active
// side's attempts to this peer, so the passive side can tell a newer attempt from a stale one; the
// cluster's hash and the start of its name tell a rank of another cluster from this one's.
struct ConnHello {
  uint32_t magic;
  uint32_t rank;
  uint32_t world;
  uint32_t attempt;
  uint64_t cluster_hash;
  char cluster[24];  // zero-padded, cut at 24 (the hash covers all of it)
};
static_assert(sizeof(ConnHello) == 48);

ConnHello make_hello(const std::string& cluster, int rank, int world, uint32_t attempt) {
  ConnHello h{kMagic, static_cast<uint32_t>(rank), static_cast<uint32_t>(world), attempt, cluster_hash(cluster), {}};
  std::memcpy(h.cluster, cluster.data(), std::min(cluster.size(), sizeof h.cluster));
  return h;
}

VerbsCmEvent cm_event_of(rdma_cm_event_type t) {
  switch (t) {
    case RDMA_CM_EVENT_ADDR_RESOLVED: return VerbsCmEvent::addr_resolved;
    case RDMA_CM_EVENT_ROUTE_RESOLVED: return VerbsCmEvent::route_resolved;
    case RDMA_CM_EVENT_ESTABLISHED: return VerbsCmEvent::established;
    case RDMA_CM_EVENT_DISCONNECTED: return VerbsCmEvent::disconnected;
    case RDMA_CM_EVENT_DEVICE_REMOVAL: return VerbsCmEvent::device_removal;
    case RDMA_CM_EVENT_ADDR_ERROR: return VerbsCmEvent::addr_error;
    case RDMA_CM_EVENT_ROUTE_ERROR: return VerbsCmEvent::route_error;
    case RDMA_CM_EVENT_UNREACHABLE: return VerbsCmEvent::unreachable;
    case RDMA_CM_EVENT_REJECTED: return VerbsCmEvent::rejected;
    case RDMA_CM_EVENT_CONNECT_ERROR: return VerbsCmEvent::connect_error;
    default: return VerbsCmEvent::other;
  }
}

std::string wc_status_name(ibv_wc_status s) {
  switch (s) {
    case IBV_WC_SUCCESS: return "IBV_WC_SUCCESS";
    case IBV_WC_LOC_LEN_ERR: return "IBV_WC_LOC_LEN_ERR";
    case IBV_WC_LOC_QP_OP_ERR: return "IBV_WC_LOC_QP_OP_ERR";
    case IBV_WC_LOC_EEC_OP_ERR: return "IBV_WC_LOC_EEC_OP_ERR";
    case IBV_WC_LOC_PROT_ERR: return "IBV_WC_LOC_PROT_ERR";
    case IBV_WC_WR_FLUSH_ERR: return "IBV_WC_WR_FLUSH_ERR";
    case IBV_WC_MW_BIND_ERR: return "IBV_WC_MW_BIND_ERR";
    case IBV_WC_BAD_RESP_ERR: return "IBV_WC_BAD_RESP_ERR";
    case IBV_WC_LOC_ACCESS_ERR: return "IBV_WC_LOC_ACCESS_ERR";
    case IBV_WC_REM_INV_REQ_ERR: return "IBV_WC_REM_INV_REQ_ERR";
    case IBV_WC_REM_ACCESS_ERR: return "IBV_WC_REM_ACCESS_ERR";
    case IBV_WC_REM_OP_ERR: return "IBV_WC_REM_OP_ERR";
    case IBV_WC_RETRY_EXC_ERR: return "IBV_WC_RETRY_EXC_ERR";
    case IBV_WC_RNR_RETRY_EXC_ERR: return "IBV_WC_RNR_RETRY_EXC_ERR";
    case IBV_WC_REM_ABORT_ERR: return "IBV_WC_REM_ABORT_ERR";
    case IBV_WC_FATAL_ERR: return "IBV_WC_FATAL_ERR";
    case IBV_WC_RESP_TIMEOUT_ERR: return "IBV_WC_RESP_TIMEOUT_ERR";
    case IBV_WC_GENERAL_ERR: return "IBV_WC_GENERAL_ERR";
    default: return fmt::format("IBV_WC status {}", static_cast<int>(s));
  }
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

class VerbsTransport final : public Transport {
 public:
  VerbsTransport(int rank, int world, VerbsOptions opts) : rank_(rank), world_(world), o_(opts), conns_(world) {
    if (world_ <= 1) return;
    PeerRoute self{rank_, -1, Tier::scale_out, "*", "0.0.0.0", "", 0};
    ec_ = rdma_create_event_channel();
    if (!ec_) throw CollectiveError(self, name(), "rdma_create_event_channel: " + errno_cause(errno));
    set_nonblocking(ec_->fd);
    if (rdma_create_id(ec_, &listen_id_, nullptr, RDMA_PS_TCP) != 0)
      throw CollectiveError(self, name(), "rdma_create_id: " + errno_cause(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(static_cast<uint16_t>(o_.base_port + rank_));
    if (rdma_bind_addr(listen_id_, reinterpret_cast<sockaddr*>(&a)) != 0 || rdma_listen(listen_id_, 256) != 0) {
      const int e = errno;
      close();
      throw CollectiveError(self, name(),
                            fmt::format("cannot listen on rdma_cm port {}: {}", o_.base_port + rank_, errno_cause(e)));
    }
  }
  ~VerbsTransport() override { close(); }

  std::string name() const override { return "verbs"; }

  // Every channel is established when this returns, and both of its QPs can receive: the passive side
  // posts its receives and librdmacm's rdma_accept moves its QP to RTR/RTS before the REP goes out; the
  // active side posts its receives before the REQ and reaches RTS before it sends the RTU. So ESTABLISHED
  // on either side means the other side can take a SEND (and rnr_retry covers a receive not yet reposted).
  // Failed attempts are retried (active side) or awaited again (passive side) until the deadline.
  void connect(const std::vector<PeerRoute>& peers, Deadline deadline) override {
    for (const auto& r : peers) {
      auto c = std::make_unique<Conn>();
      c->route = r;
      c->active = r.peer < rank_;
      conns_[r.peer] = std::move(c);
    }
    for (auto& c : conns_)
      if (c && c->active) start_connect(*c, deadline);
    while (true) {
      bool all = true;
      for (auto& c : conns_)
        if (c && c->st != St::established) all = false;
      if (all) return;
      if (deadline.expired()) break;
      for (auto& c : conns_) {
        if (c && c->active && c->st == St::idle && Clock::now() >= c->retry_at) start_connect(*c, deadline);
      }
      pollfd pfd{ec_->fd, POLLIN, 0};
      ::poll(&pfd, 1, deadline.poll_ms(50));
      pump_cm_events(deadline);
      if (!fatal_.empty()) throw CollectiveError(fatal_route_, name(), fatal_);
    }
    for (auto& c : conns_) {
      if (!c || c->st == St::established) continue;
      const auto& r = c->route;
      if (c->active)
        throw CollectiveError(r, name(),
                              fmt::format("timeout after {} ms connecting to rank {} at {}:{} (last: {})",
                                          deadline.budget().count(), r.peer, r.peer_address, r.peer_port,
                                          c->last_error.empty() ? "no answer" : c->last_error));
      throw CollectiveError(r, name(),
                            fmt::format("timeout after {} ms waiting for rank {} to connect to rdma_cm port {}",
                                        deadline.budget().count(), r.peer, o_.base_port + rank_));
    }
  }

  Request isend(int peer, const void* buf, std::size_t len) override {
    auto op = make_op(OpState::Kind::send, peer, buf, len);
    if (len == 0) return Request(op);
    Conn& c = conn(peer);
    c.sends.push_back(op);
    post_sends(c);
    return Request(op);
  }

  Request irecv(int peer, void* buf, std::size_t len) override {
    auto op = make_op(OpState::Kind::recv, peer, buf, len);
    if (len == 0) return Request(op);
    Conn& c = conn(peer);
    c.recvs.push_back(op);
    deliver(c);
    return Request(op);
  }

  void progress(Millis max_block) override {
    if (step()) {
      check_failures();
      return;
    }
    check_failures();
    // Nothing moved: arm every CQ, look once more (an event may have raced the arming), then block.
    for (auto& c : conns_)
      if (c && c->cq) ibv_req_notify_cq(c->cq, 0);
    if (step()) {
      check_failures();
      return;
    }
    std::vector<pollfd> pfds;
    if (ec_) pfds.push_back({ec_->fd, POLLIN, 0});
    for (auto& [ctx, d] : devs_)
      if (d.cc) pfds.push_back({d.cc->fd, POLLIN, 0});
    ::poll(pfds.data(), pfds.size(), static_cast<int>(max_block.count()));
    for (auto& [ctx, d] : devs_) {
      if (!d.cc) continue;
      ibv_cq* cq = nullptr;
      void* cq_ctx = nullptr;
      while (ibv_get_cq_event(d.cc, &cq, &cq_ctx) == 0) ibv_ack_cq_events(cq, 1);
    }
    step();
    check_failures();
  }

  void close() noexcept override {
    for (auto& c : conns_) {
      if (!c) continue;
      if (c->id && c->st == St::established) rdma_disconnect(c->id);
      teardown(*c);
    }
    if (listen_id_) {
      rdma_destroy_id(listen_id_);
      listen_id_ = nullptr;
    }
    for (auto& [ctx, d] : devs_) {
      if (d.pd) ibv_dealloc_pd(d.pd);
      if (d.cc) ibv_destroy_comp_channel(d.cc);
    }
    devs_.clear();
    if (ec_) {
      rdma_destroy_event_channel(ec_);
      ec_ = nullptr;
    }
  }

 private:
  using St = VerbsConnState;
  struct Arrived {
    int slot;
    std::size_t len, off;
  };
  struct Conn {
    PeerRoute route;
    bool active = false;
    St st = St::idle;
    uint32_t attempt = 0;  // active: attempts made so far; passive: the attempt being accepted or established
    Clock::time_point retry_at{};
    std::string last_error;  // why the last connection attempt failed
    rdma_cm_id* id = nullptr;
    ibv_cq* cq = nullptr;
    ibv_mr* mr = nullptr;
    std::byte* mem = nullptr;
    std::vector<int> free_send;
    std::vector<std::shared_ptr<OpState>> slot_op;
    std::vector<std::size_t> slot_len;
    std::deque<std::shared_ptr<OpState>> sends, recvs;
    std::deque<Arrived> arrived;
    std::vector<std::byte> staging;
    std::size_t staging_head = 0;
    bool disconnected = false;
    std::string wc_error;    // first non-flush work-completion error
    std::string flush_error;  // IBV_WC_WR_FLUSH_ERR seen
    std::string fatal;        // post failure, device removal
  };
  struct Dev {
    ibv_pd* pd = nullptr;
    ibv_comp_channel* cc = nullptr;
  };

  Conn& conn(int peer) {
    auto& c = conns_.at(peer);
    if (!c) throw std::logic_error(fmt::format("verbs: no channel to rank {}", peer));
    return *c;
  }
  std::byte* send_slot(Conn& c, int s) { return c.mem + static_cast<std::size_t>(s) * o_.slot_bytes; }
  std::byte* recv_slot(Conn& c, int s) { return c.mem + static_cast<std::size_t>(o_.slots + s) * o_.slot_bytes; }

  // A new attempt starts from a clean channel (nothing was ever sent on a channel that is not established).
  static void fresh_channel(Conn& c) {
    c.disconnected = false;
    c.wc_error.clear();
    c.flush_error.clear();
    c.fatal.clear();
    c.arrived.clear();
    c.staging.clear();
    c.staging_head = 0;
  }

  void start_connect(Conn& c, Deadline dl) {
    c.last_error.clear();
    fresh_channel(c);
    ++c.attempt;
    sockaddr_in src{}, dst{};
    src.sin_family = dst.sin_family = AF_INET;
    if (::inet_pton(AF_INET, c.route.peer_address.c_str(), &dst.sin_addr) != 1)
      throw CollectiveError(c.route, name(), "bad peer address '" + c.route.peer_address + "'");
    dst.sin_port = htons(c.route.peer_port);
    const bool have_src = ::inet_pton(AF_INET, c.route.local_address.c_str(), &src.sin_addr) == 1;
    if (rdma_create_id(ec_, &c.id, &c, RDMA_PS_TCP) != 0) {
      retry_later(c, "rdma_create_id: " + errno_cause(errno));
      return;
    }
    set_ack_timeout(c.id);
    const int tmo = std::max(1, std::min(o_.resolve_timeout_ms, dl.poll_ms()));
    if (rdma_resolve_addr(c.id, have_src ? reinterpret_cast<sockaddr*>(&src) : nullptr,
                          reinterpret_cast<sockaddr*>(&dst), tmo) != 0) {
      retry_later(c, "rdma_resolve_addr: " + errno_cause(errno));
      return;
    }
    c.st = St::resolving_addr;
  }

  // The QP's local ACK timeout, 4.096 us × 2^18 ≈ 1.07 s. rdma_cm's default (~67 ms here) is
  // shorter than an emulated fabric's round trip once dilation stretches link latencies to
  // milliseconds and a TCG guest adds its own; retries then run out on a healthy link.
  static void set_ack_timeout(rdma_cm_id* id) {
    std::uint8_t timeout = 18;
    rdma_set_option(id, RDMA_OPTION_ID, RDMA_OPTION_ID_ACK_TIMEOUT, &timeout, sizeof timeout);
  }

  void retry_later(Conn& c, std::string why) {
    c.last_error = std::move(why);
    teardown(c);
    c.st = St::idle;
    c.retry_at = Clock::now() + Millis(100);
  }

  Dev& dev_for(ibv_context* ctx) {
    Dev& d = devs_[ctx];
    if (!d.pd) {
      d.pd = ibv_alloc_pd(ctx);
      if (!d.pd) throw std::runtime_error("ibv_alloc_pd: " + errno_cause(errno));
    }
    if (!d.cc) {
      d.cc = ibv_create_comp_channel(ctx);
      if (!d.cc) throw std::runtime_error("ibv_create_comp_channel: " + errno_cause(errno));
      set_nonblocking(d.cc->fd);
    }
    return d;
  }

  // CQ, registered slots, QP on c.id, all receive slots posted. Throws std::runtime_error.
  void setup_resources(Conn& c) {
    if (!c.id->verbs) throw std::runtime_error("rdma_cm id has no device (no RDMA device on this route)");
    Dev& d = dev_for(c.id->verbs);
    const int S = o_.slots;
    c.cq = ibv_create_cq(c.id->verbs, 2 * S + 8, &c, d.cc, 0);
    if (!c.cq) throw std::runtime_error("ibv_create_cq: " + errno_cause(errno));
    const std::size_t bytes = 2 * static_cast<std::size_t>(S) * o_.slot_bytes;
    c.mem = static_cast<std::byte*>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
    if (!c.mem) throw std::runtime_error("out of memory for verbs slots");
    c.mr = ibv_reg_mr(d.pd, c.mem, bytes, IBV_ACCESS_LOCAL_WRITE);
    if (!c.mr) throw std::runtime_error("ibv_reg_mr: " + errno_cause(errno));
    ibv_qp_init_attr qa{};
    qa.send_cq = c.cq;
    qa.recv_cq = c.cq;
    qa.qp_type = IBV_QPT_RC;
    qa.cap.max_send_wr = static_cast<uint32_t>(S);
    qa.cap.max_recv_wr = static_cast<uint32_t>(S);
    qa.cap.max_send_sge = 1;
    qa.cap.max_recv_sge = 1;
    qa.sq_sig_all = 0;
    if (rdma_create_qp(c.id, d.pd, &qa) != 0) throw std::runtime_error("rdma_create_qp: " + errno_cause(errno));
    c.free_send.clear();
    for (int s = S - 1; s >= 0; --s) c.free_send.push_back(s);
    c.slot_op.assign(S, nullptr);
    c.slot_len.assign(S, 0);
    for (int s = 0; s < S; ++s)
      if (!post_recv(c, s)) throw std::runtime_error("ibv_post_recv: " + errno_cause(errno));
  }

  bool post_recv(Conn& c, int s) {
    ibv_sge sge{};
    sge.addr = reinterpret_cast<uintptr_t>(recv_slot(c, s));
    sge.length = static_cast<uint32_t>(o_.slot_bytes);
    sge.lkey = c.mr->lkey;
    ibv_recv_wr wr{};
    wr.wr_id = (static_cast<uint64_t>(s) << 1) | 1u;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    ibv_recv_wr* bad = nullptr;
    return ibv_post_recv(c.id->qp, &wr, &bad) == 0;
  }

  rdma_conn_param conn_param(ConnHello& hello, uint32_t attempt) const {
    rdma_conn_param p{};
    hello = make_hello(o_.cluster, rank_, world_, attempt);
    p.private_data = &hello;
    p.private_data_len = sizeof hello;
    p.responder_resources = 1;
    p.initiator_depth = 1;
    p.retry_count = o_.retry_count;
    p.rnr_retry_count = o_.rnr_retry_count;
    return p;
  }

  void teardown(Conn& c) noexcept {
    if (c.id && c.id->qp) rdma_destroy_qp(c.id);
    if (c.cq) ibv_destroy_cq(c.cq);
    if (c.mr) ibv_dereg_mr(c.mr);
    std::free(c.mem);
    if (c.id) rdma_destroy_id(c.id);
    c.id = nullptr;
    c.cq = nullptr;
    c.mr = nullptr;
    c.mem = nullptr;
  }

  void pump_cm_events(Deadline dl) {
    if (!ec_) return;
    rdma_cm_event* ev = nullptr;
    while (rdma_get_cm_event(ec_, &ev) == 0) {
      const rdma_cm_event_type type = ev->event;
      const int status = ev->status;
      rdma_cm_id* id = ev->id;
      if (type == RDMA_CM_EVENT_CONNECT_REQUEST) {
        ConnHello h{};
        const std::size_t len = ev->param.conn.private_data ? ev->param.conn.private_data_len : 0;
        if (len > 0) std::memcpy(&h, ev->param.conn.private_data, std::min(len, sizeof h));
        rdma_ack_cm_event(ev);
        accept_request(id, h, len);
        continue;
      }
      Conn* c = static_cast<Conn*>(id ? id->context : nullptr);
      rdma_ack_cm_event(ev);
      if (!c || c->id != id) continue;  // stale id or listener
      on_event(*c, type, status, dl);
    }
  }

  // A request that speaks for another cluster or world, or that is not a scalelab peer's, ends
  // this rank naming it (as the TCP transport's hello check does); a stale or repeated attempt of a
  // peer of this cluster is only refused.
  std::string foreign_request(const ConnHello& h, std::size_t len) const {
    if (len < sizeof h || h.magic != kMagic)
      return fmt::format("not a scalelab peer of this version: its request carries {} bytes starting with 0x{:08x}, "
                         "not the magic 0x{:08x} (\"SLV2\")",
                         len, len >= 4 ? h.magic : 0, kMagic);
    if (h.cluster_hash != cluster_hash(o_.cluster))
      return fmt::format("speaks for cluster '{}', not this rank's cluster '{}'",
                         printable_cluster_name(std::string(h.cluster, strnlen(h.cluster, sizeof h.cluster))),
                         printable_cluster_name(o_.cluster));
    if (static_cast<int>(h.world) != world_)
      return fmt::format("says the world has {} ranks; this cluster has {}", h.world, world_);
    return "";
  }

  void accept_request(rdma_cm_id* id, const ConnHello& h, std::size_t len) {
    if (const std::string why = foreign_request(h, len); !why.empty()) {
      const sockaddr* src = rdma_get_peer_addr(id);
      char ip[INET_ADDRSTRLEN] = "?";
      uint16_t port = 0;
      if (src && src->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(src);
        ::inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        port = ntohs(in->sin_port);
      }
      rdma_reject(id, nullptr, 0);
      rdma_destroy_id(id);
      if (fatal_.empty()) {
        const int claimed = len >= sizeof h && h.magic == kMagic ? static_cast<int>(h.rank) : -1;
        // The route to the rank it claims to be, when that is a peer: the tier it came in on.
        fatal_route_ = claimed >= 0 && claimed < world_ && conns_[claimed] ? conns_[claimed]->route : first_route();
        fatal_route_.peer = claimed;
        fatal_route_.peer_address = ip;
        fatal_route_.peer_port = port;
        fatal_ = fmt::format("rejected a connection request from {}:{}: {}", ip, port, why);
      }
      return;
    }
    const int peer = static_cast<int>(h.rank);
    const bool valid = h.magic == kMagic && static_cast<int>(h.world) == world_ && peer > rank_ && peer < world_ &&
                       conns_[peer] && !conns_[peer]->active;
    const VerbsRequestAction act =
        valid ? verbs_request_action(conns_[peer]->st, conns_[peer]->attempt, h.attempt) : VerbsRequestAction::reject;
    if (act == VerbsRequestAction::reject) {
      rdma_reject(id, nullptr, 0);
      rdma_destroy_id(id);
      return;
    }
    Conn& c = *conns_[peer];
    // Replace: the peer gave the attempt being accepted up (its REJ for it may still be on the way).
    if (act == VerbsRequestAction::replace) teardown(c);
    fresh_channel(c);
    c.id = id;
    c.attempt = h.attempt;
    id->context = &c;
    try {
      set_ack_timeout(id);
      setup_resources(c);
      ConnHello mine{};
      rdma_conn_param p = conn_param(mine, h.attempt);
      if (rdma_accept(id, &p) != 0) throw std::runtime_error("rdma_accept: " + errno_cause(errno));
      c.st = St::accepting;
    } catch (const std::exception& e) {
      c.last_error = e.what();
      rdma_reject(id, nullptr, 0);
      teardown(c);
      c.st = St::idle;
    }
  }

  void on_event(Conn& c, rdma_cm_event_type type, int status, Deadline dl) {
    const std::string what = fmt::format("{} (status {})", rdma_event_str(type), status);
    switch (verbs_cm_action(cm_event_of(type), c.st, c.active)) {
      case VerbsCmAction::ignore:
        // E.g. RDMA_CM_EVENT_UNREACHABLE (status -110) on an established channel: rdma_cm's netevent
        // notifier ("RDMA/core: Add a netevent notifier to cma") sends it to every RoCE id it finds by
        // (ifindex, destination IP) for a neighbour update whose MAC differs from the id's next hop. It
        // ignores network namespaces, so gpu2 resolving 198.19.0.2 on its nic0 (ifindex 3) hits gpu3's
        // routed id to 198.19.0.2 on its nic0 (also ifindex 3, next hop = the leaf's gateway MAC). The QP
        // is untouched, and a real path failure still surfaces as a work-completion error.
        if (c.st == St::established && type != RDMA_CM_EVENT_TIMEWAIT_EXIT)
          c.last_error = what + " on the established connection, ignored";
        return;
      case VerbsCmAction::resolve_route:
        if (rdma_resolve_route(c.id, std::max(1, std::min(o_.resolve_timeout_ms, dl.poll_ms()))) != 0)
          retry_later(c, "rdma_resolve_route: " + errno_cause(errno));
        else
          c.st = St::resolving_route;
        return;
      case VerbsCmAction::connect:
        try {
          setup_resources(c);
          ConnHello mine{};
          rdma_conn_param p = conn_param(mine, c.attempt);
          if (rdma_connect(c.id, &p) != 0) throw std::runtime_error("rdma_connect: " + errno_cause(errno));
          c.st = St::connecting;
        } catch (const std::exception& e) {
          retry_later(c, e.what());
        }
        return;
      case VerbsCmAction::mark_established:
        c.st = St::established;
        c.last_error.clear();
        return;
      case VerbsCmAction::retry:
        retry_later(c, what);  // typically: peer not listening yet (REJECTED, status 8)
        return;
      case VerbsCmAction::drop_attempt:
        c.last_error = what;
        teardown(c);
        c.st = St::idle;  // the peer dials again
        return;
      case VerbsCmAction::mark_disconnected:
        c.disconnected = true;
        return;
      case VerbsCmAction::fatal:
        c.fatal = what;
        return;
    }
  }

  // One pass over every established connection; true if anything moved.
  bool step() {
    pump_cm_events(Deadline::after(Millis(o_.resolve_timeout_ms)));
    bool moved = false;
    for (auto& cp : conns_) {
      if (!cp || !cp->cq) continue;
      moved |= poll_cq(*cp);
      moved |= deliver(*cp);
      moved |= post_sends(*cp);
    }
    return moved;
  }

  bool poll_cq(Conn& c) {
    ibv_wc wc[32];
    bool moved = false;
    while (true) {
      const int n = ibv_poll_cq(c.cq, 32, wc);
      if (n < 0) {
        c.fatal = "ibv_poll_cq failed";
        return moved;
      }
      if (n == 0) return moved;
      moved = true;
      for (int i = 0; i < n; ++i) {
        const int slot = static_cast<int>(wc[i].wr_id >> 1);
        const bool is_recv = wc[i].wr_id & 1u;
        if (wc[i].status != IBV_WC_SUCCESS) {
          const std::string e = fmt::format("{} (status {}: {}) on a {} work request", wc_status_name(wc[i].status),
                                            static_cast<int>(wc[i].status), ibv_wc_status_str(wc[i].status),
                                            is_recv ? "receive" : "send");
          if (wc[i].status == IBV_WC_WR_FLUSH_ERR) {
            if (c.flush_error.empty()) c.flush_error = e;
          } else if (c.wc_error.empty()) {
            c.wc_error = e;
          }
          if (!is_recv) {
            c.slot_op[slot].reset();
            c.free_send.push_back(slot);
          }
          continue;
        }
        if (is_recv) {
          c.arrived.push_back({slot, wc[i].byte_len, 0});
        } else {
          auto op = std::move(c.slot_op[slot]);
          c.free_send.push_back(slot);
          if (op) {
            op->done += c.slot_len[slot];
            if (op->done == op->len) op->complete = true;
          }
          while (!c.sends.empty() && c.sends.front()->complete) c.sends.pop_front();
        }
      }
    }
  }

  bool deliver(Conn& c) {
    // Staged bytes first (they arrived earlier), then receive slots in arrival order.
    bool moved = drain_staged(c.staging, c.staging_head, c.recvs);
    while (!c.arrived.empty()) {
      Arrived& a = c.arrived.front();
      if (!c.recvs.empty() && c.staging.empty()) {
        auto& op = *c.recvs.front();
        const std::size_t n = std::min(op.len - op.done, a.len - a.off);
        std::memcpy(op.buf + op.done, recv_slot(c, a.slot) + a.off, n);
        op.done += n;
        a.off += n;
        if (op.done == op.len) {
          op.complete = true;
          c.recvs.pop_front();
        }
      } else {  // nobody waits for it yet: stage it so the slot can be reposted and the sender never stalls
        c.staging.insert(c.staging.end(), recv_slot(c, a.slot) + a.off, recv_slot(c, a.slot) + a.len);
        a.off = a.len;
      }
      moved = true;
      if (a.off == a.len) {
        const int slot = a.slot;
        c.arrived.pop_front();
        if (!c.disconnected && c.fatal.empty() && !post_recv(c, slot)) c.fatal = "ibv_post_recv: " + errno_cause(errno);
      }
    }
    return moved;
  }

  bool post_sends(Conn& c) {
    if (c.st != St::established || !c.fatal.empty() || !c.wc_error.empty() || !c.flush_error.empty()) return false;
    bool moved = false;
    for (auto& opp : c.sends) {
      OpState& op = *opp;
      while (op.posted < op.len && !c.free_send.empty()) {
        const int slot = c.free_send.back();
        c.free_send.pop_back();
        const std::size_t n = std::min(o_.slot_bytes, op.len - op.posted);
        std::memcpy(send_slot(c, slot), op.buf + op.posted, n);
        ibv_sge sge{};
        sge.addr = reinterpret_cast<uintptr_t>(send_slot(c, slot));
        sge.length = static_cast<uint32_t>(n);
        sge.lkey = c.mr->lkey;
        ibv_send_wr wr{};
        wr.wr_id = static_cast<uint64_t>(slot) << 1;
        wr.sg_list = &sge;
        wr.num_sge = 1;
        wr.opcode = IBV_WR_SEND;
        wr.send_flags = IBV_SEND_SIGNALED;
        ibv_send_wr* bad = nullptr;
        if (ibv_post_send(c.id->qp, &wr, &bad) != 0) {
          c.fatal = "ibv_post_send: " + errno_cause(errno);
          c.free_send.push_back(slot);
          return moved;
        }
        c.slot_op[slot] = opp;
        c.slot_len[slot] = n;
        op.posted += n;
        moved = true;
      }
      if (op.posted < op.len) break;  // out of slots; keep order
    }
    return moved;
  }

  void check_failures() {
    if (!fatal_.empty()) throw CollectiveError(fatal_route_, name(), fatal_);
    for (auto& cp : conns_) {
      if (!cp) continue;
      Conn& c = *cp;
      const bool waiting_send = !c.sends.empty();
      const bool waiting_recv = !c.recvs.empty() && c.arrived.empty() && c.staging_head >= c.staging.size();
      if (!waiting_send && !waiting_recv) continue;
      if (!c.fatal.empty()) throw CollectiveError(c.route, name(), c.fatal);
      if (!c.wc_error.empty()) throw CollectiveError(c.route, name(), c.wc_error);
      if (c.disconnected)
        throw CollectiveError(c.route, name(),
                              fmt::format("peer rank {} disconnected (RDMA_CM_EVENT_DISCONNECTED) with {} pending",
                                          c.route.peer, waiting_send ? "a send" : "a receive"));
      if (!c.flush_error.empty()) throw CollectiveError(c.route, name(), c.flush_error);
    }
  }

  // The route named when a foreign request ends this rank: the tier requests arrive on.
  PeerRoute first_route() const {
    for (const auto& c : conns_)
      if (c) return c->route;
    return PeerRoute{rank_, -1, Tier::scale_out, "*", "0.0.0.0", "", 0};
  }

  int rank_, world_;
  std::string fatal_;       // a foreign connection request (foreign_request)
  PeerRoute fatal_route_;
  VerbsOptions o_;
  rdma_event_channel* ec_ = nullptr;
  rdma_cm_id* listen_id_ = nullptr;
  std::map<ibv_context*, Dev> devs_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

std::string read_line(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::string s;
  std::getline(f, s);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

std::unique_ptr<Transport> make_verbs_transport(int rank, int world_size, VerbsOptions opts) {
  return std::make_unique<VerbsTransport>(rank, world_size, opts);
}

VerbsCmAction verbs_cm_action(VerbsCmEvent event, VerbsConnState state, bool active) {
  using E = VerbsCmEvent;
  using S = VerbsConnState;
  using A = VerbsCmAction;
  const A give_up = active ? A::retry : A::drop_attempt;  // what a failed attempt leads to
  switch (event) {
    case E::addr_resolved: return state == S::resolving_addr ? A::resolve_route : A::ignore;
    case E::route_resolved: return state == S::resolving_route ? A::connect : A::ignore;
    case E::established:
      return state == (active ? S::connecting : S::accepting) ? A::mark_established : A::ignore;
    case E::disconnected:
      return state == S::established ? A::mark_disconnected : state == S::idle ? A::ignore : give_up;
    case E::device_removal: return state == S::established ? A::fatal : state == S::idle ? A::ignore : give_up;
    case E::addr_error:
    case E::route_error:
    case E::unreachable:
    case E::rejected:
    case E::connect_error:
      // An attempt's failure. On an established channel such an event is stale or spurious (see
      // on_event): never fatal there; a broken path shows as IBV_WC_RETRY_EXC_ERR / IBV_WC_WR_FLUSH_ERR.
      return state == S::established || state == S::idle ? A::ignore : give_up;
    case E::other: return A::ignore;
  }
  return A::ignore;
}

VerbsRequestAction verbs_request_action(VerbsConnState state, uint32_t accepting_attempt,
                                        uint32_t request_attempt) {
  switch (state) {
    case VerbsConnState::idle: return VerbsRequestAction::accept;
    case VerbsConnState::established: return VerbsRequestAction::reject;  // the active side never gives one up
    default: return request_attempt > accepting_attempt ? VerbsRequestAction::replace : VerbsRequestAction::reject;
  }
}

std::string rdma_device_for(const std::string& ifname, const std::string& ipv4_address, const std::string& sysfs_root) {
  namespace fs = std::filesystem;
  in_addr a{};
  if (::inet_pton(AF_INET, ipv4_address.c_str(), &a) != 1) return {};
  const auto* b = reinterpret_cast<const unsigned char*>(&a.s_addr);
  const std::string want = fmt::format("0000:0000:0000:0000:0000:ffff:{:02x}{:02x}:{:02x}{:02x}", b[0], b[1], b[2], b[3]);
  std::error_code ec;
  if (!fs::is_directory(sysfs_root, ec)) return {};
  for (const auto& dev : fs::directory_iterator(sysfs_root, ec)) {
    const fs::path gids = dev.path() / "ports" / "1" / "gids";
    if (!fs::is_directory(gids, ec)) continue;
    for (const auto& g : fs::directory_iterator(gids, ec)) {
      if (read_line(g.path()) != want) continue;
      // Same GID on the wanted interface (ndevs/<index> names the netdev; absent on old kernels).
      const fs::path ndev = dev.path() / "ports" / "1" / "gid_attrs" / "ndevs" / g.path().filename();
      const std::string nd = fs::exists(ndev, ec) ? read_line(ndev) : std::string();
      if (nd.empty() || ifname.empty() || nd == ifname) return dev.path().filename().string();
    }
  }
  return {};
}

}  // namespace scalelab::agent
