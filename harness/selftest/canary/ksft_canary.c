// SPDX-License-Identifier: GPL-2.0
/* A kselftest that fails on purpose, for the harness's self-test. */
#include "kselftest_harness.h"

TEST(passes)
{
	ASSERT_EQ(0, 0);
}

TEST(fails_on_purpose)
{
	ASSERT_EQ(1, 2) TH_LOG("deliberate failure (harness self-test)");
}

TEST_HARNESS_MAIN
