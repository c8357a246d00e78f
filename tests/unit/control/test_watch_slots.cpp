#include <gtest/gtest.h>

#include "launcher/control/watch_slots.h"

namespace tf::control {
namespace {

TEST(WatchSlots, BoundsStrangersPerClientAndInTotal) {
  WatchSlots slots(3, 2);
  EXPECT_FALSE(slots.take("1.2.3.4", false));
  EXPECT_FALSE(slots.take("1.2.3.4", false));
  const auto per_client = slots.take("1.2.3.4", false);
  ASSERT_TRUE(per_client);
  EXPECT_NE(per_client->find("2 watch streams from 1.2.3.4 without the token are open (limit 2 "
                             "per client"),
            std::string::npos)
      << *per_client;
  EXPECT_FALSE(slots.take("5.6.7.8", false));
  const auto total = slots.take("9.9.9.9", false);
  ASSERT_TRUE(total);
  EXPECT_NE(total->find("3 watch streams without the token are open (limit 3"), std::string::npos)
      << *total;
  slots.give_back("1.2.3.4", false);
  EXPECT_FALSE(slots.take("9.9.9.9", false));
}

TEST(WatchSlots, TokenHoldersHaveTheirOwnPool) {
  WatchSlots slots(2, 1);
  EXPECT_FALSE(slots.take("a", false));
  EXPECT_FALSE(slots.take("b", false));
  EXPECT_TRUE(slots.take("c", false));
  // Strangers hold every slot of theirs; an operator still watches, from the same address too.
  EXPECT_FALSE(slots.take("a", true));
  EXPECT_FALSE(slots.take("a", true));
  EXPECT_TRUE(slots.take("a", true));
  EXPECT_EQ(slots.held(true), 2u);
  EXPECT_EQ(slots.held(false), 2u);
}

TEST(WatchSlots, AScopedSlotIsGivenBack) {
  WatchSlots slots(1, 1);
  {
    ASSERT_FALSE(slots.take("a", false));
    const WatchSlot held(slots, "a", false);
    EXPECT_TRUE(slots.take("a", false));
  }
  EXPECT_FALSE(slots.take("a", false));
}

}  // namespace
}  // namespace tf::control
