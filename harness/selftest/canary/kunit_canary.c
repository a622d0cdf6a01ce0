// SPDX-License-Identifier: GPL-2.0
/*
 * A KUnit suite that fails on purpose. Only the harness's self-test loads
 * it, to prove that a failing KUnit case fails "make check".
 */
#include <kunit/test.h>
#include <linux/module.h>

static void harness_canary_fails(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1, 2, "deliberate failure (harness self-test)");
}

static struct kunit_case harness_canary_cases[] = {
	KUNIT_CASE(harness_canary_fails),
	{}
};

static struct kunit_suite harness_canary_suite = {
	.name = "harness_canary",
	.test_cases = harness_canary_cases,
};

kunit_test_suite(harness_canary_suite);

MODULE_DESCRIPTION("Deliberately failing KUnit suite for the harness self-test");
MODULE_LICENSE("GPL");
