#include <gtest/gtest.h>

#include "launcher/control/connection_gate.h"

namespace tf::control {
namespace {

using Clock = ConnectionGate::Clock;
using std::chrono::seconds;

GateLimits limits(size_t total, size_t per_client) {
  GateLimits l;
  l.total = total;
  l.per_client = per_client;
  l.first_bytes = seconds(5);
  l.evict_idle_after = seconds(10);
  return l;
}

TEST(ConnectionGate, AdmitsWithinTheBounds) {
  ConnectionGate gate(limits(3, 2));
  const auto t = Clock::now();
  for (int i = 0; i < 2; ++i) {
    const auto decision = gate.admit("a", t);
    EXPECT_TRUE(decision.admit);
    EXPECT_FALSE(decision.evict);
    gate.add("a", t);
  }
  EXPECT_EQ(gate.open_from("a"), 2u);
  EXPECT_TRUE(gate.admit("b", t).admit);
}

TEST(ConnectionGate, ANewcomerPushesOutTheOldestSilentConnection) {
  ConnectionGate gate(limits(3, 3));
  const auto t = Clock::now();
  const uint64_t first = gate.add("a", t);
  const uint64_t second = gate.add("b", t + seconds(1));
  const uint64_t third = gate.add("c", t + seconds(2));
  gate.established(first);
  const auto decision = gate.admit("d", t + seconds(3));
  EXPECT_TRUE(decision.admit);
  ASSERT_TRUE(decision.evict);
  EXPECT_EQ(*decision.evict, second);  // the oldest that never spoke, not the established one
  gate.remove(second);
  gate.established(gate.add("d", t + seconds(3)));
  gate.established(third);
  // All established and active: refused, with the figures.
  const auto refused = gate.admit("e", t + seconds(4));
  EXPECT_FALSE(refused.admit);
  EXPECT_EQ(refused.refusal, "3 connections are open and active (limit 3)") << refused.refusal;
}

TEST(ConnectionGate, AnIdleEstablishedConnectionGoesWhenNoneIsSilent) {
  ConnectionGate gate(limits(2, 2));
  const auto t = Clock::now();
  const uint64_t first = gate.add("a", t);
  const uint64_t second = gate.add("a", t);
  gate.established(first);
  gate.established(second);
  gate.activity(first, t + seconds(2));
  EXPECT_FALSE(gate.admit("b", t + seconds(9)).admit);  // neither idle for 10 s yet
  const auto decision = gate.admit("b", t + seconds(11));
  ASSERT_TRUE(decision.evict);
  EXPECT_EQ(*decision.evict, second);  // the least recently active
}

TEST(ConnectionGate, ThePerClientBoundPushesOutOnlyThatClientsConnections) {
  ConnectionGate gate(limits(10, 2));
  const auto t = Clock::now();
  const uint64_t other = gate.add("b", t);
  const uint64_t mine = gate.add("a", t + seconds(1));
  gate.add("a", t + seconds(2));
  const auto decision = gate.admit("a", t + seconds(3));
  ASSERT_TRUE(decision.evict);
  EXPECT_EQ(*decision.evict, mine);
  EXPECT_NE(*decision.evict, other);
}

TEST(ConnectionGate, SilentConnectionsAreOverdueAfterFirstBytes) {
  ConnectionGate gate(limits(10, 10));
  const auto t = Clock::now();
  const uint64_t silent = gate.add("a", t);
  const uint64_t spoke = gate.add("a", t);
  gate.established(spoke);
  EXPECT_TRUE(gate.overdue(t + seconds(4)).empty());
  EXPECT_EQ(gate.overdue(t + seconds(5)), std::vector<uint64_t>{silent});
}

}  // namespace
}  // namespace tf::control
