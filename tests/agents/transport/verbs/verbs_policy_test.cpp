// Verbs transport connection management, as pure decisions: which rdma_cm events end an attempt, which
// are ignored, and which connection requests the passive side takes. (The transport itself needs rxe:
// tests/kernel runs it inside `scalelab vm`.)
#include <gtest/gtest.h>

#include "transport/verbs/verbs_transport.h"

using namespace scalelab::agent;

namespace {
using E = VerbsCmEvent;
using S = VerbsConnState;
using A = VerbsCmAction;
using R = VerbsRequestAction;

constexpr E kAttemptFailures[] = {E::addr_error, E::route_error, E::unreachable, E::rejected, E::connect_error};
}  // namespace

TEST(VerbsPolicy, ActiveSideWalksAddrRouteConnectEstablished) {
  EXPECT_EQ(verbs_cm_action(E::addr_resolved, S::resolving_addr, true), A::resolve_route);
  EXPECT_EQ(verbs_cm_action(E::route_resolved, S::resolving_route, true), A::connect);
  EXPECT_EQ(verbs_cm_action(E::established, S::connecting, true), A::mark_established);
  EXPECT_EQ(verbs_cm_action(E::established, S::accepting, false), A::mark_established);
  // Out-of-order or repeated progress events do nothing.
  EXPECT_EQ(verbs_cm_action(E::addr_resolved, S::connecting, true), A::ignore);
  EXPECT_EQ(verbs_cm_action(E::route_resolved, S::established, true), A::ignore);
  EXPECT_EQ(verbs_cm_action(E::established, S::established, true), A::ignore);
}

TEST(VerbsPolicy, FailedAttemptIsRetriedByTheActiveSideAndAwaitedByThePassiveSide) {
  for (E e : kAttemptFailures) {
    for (S s : {S::resolving_addr, S::resolving_route, S::connecting})
      EXPECT_EQ(verbs_cm_action(e, s, true), A::retry) << static_cast<int>(e) << " in " << static_cast<int>(s);
    EXPECT_EQ(verbs_cm_action(e, S::accepting, false), A::drop_attempt) << static_cast<int>(e);
  }
  // A peer that goes away mid-handshake is another failed attempt, not a dead channel.
  EXPECT_EQ(verbs_cm_action(E::disconnected, S::connecting, true), A::retry);
  EXPECT_EQ(verbs_cm_action(E::disconnected, S::accepting, false), A::drop_attempt);
}

TEST(VerbsPolicy, StaleOrSpuriousEventsNeverBreakAnEstablishedChannel) {
  // The regression: rdma_cm's netevent notifier delivers UNREACHABLE (-ETIMEDOUT) to a routed RoCE id
  // whenever another namespace's neighbour entry for the same (ifindex, IP) changes.
  for (E e : kAttemptFailures) {
    EXPECT_EQ(verbs_cm_action(e, S::established, true), A::ignore) << static_cast<int>(e);
    EXPECT_EQ(verbs_cm_action(e, S::established, false), A::ignore) << static_cast<int>(e);
  }
  EXPECT_EQ(verbs_cm_action(E::other, S::established, true), A::ignore);
}

TEST(VerbsPolicy, RealFailuresOfAnEstablishedChannelStillSurface) {
  EXPECT_EQ(verbs_cm_action(E::disconnected, S::established, true), A::mark_disconnected);
  EXPECT_EQ(verbs_cm_action(E::disconnected, S::established, false), A::mark_disconnected);
  EXPECT_EQ(verbs_cm_action(E::device_removal, S::established, false), A::fatal);
}

TEST(VerbsPolicy, PassiveSideTakesTheNewestAttempt) {
  EXPECT_EQ(verbs_request_action(S::idle, 0, 1), R::accept);
  EXPECT_EQ(verbs_request_action(S::idle, 5, 2), R::accept);  // nothing in progress: take it
  // A newer attempt supersedes the one being accepted (the peer gave that one up)...
  EXPECT_EQ(verbs_request_action(S::accepting, 3, 4), R::replace);
  // ...but a stale one never replaces it.
  EXPECT_EQ(verbs_request_action(S::accepting, 4, 4), R::reject);
  EXPECT_EQ(verbs_request_action(S::accepting, 4, 3), R::reject);
  // An established channel is never torn down by a request.
  EXPECT_EQ(verbs_request_action(S::established, 1, 2), R::reject);
}
