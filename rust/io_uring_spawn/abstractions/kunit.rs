// SPDX-License-Identifier: GPL-2.0

//! KUnit cases written in Rust, listed in one place.
//!
//! 6.12 has no `#[kunit_tests]` (it came in 6.15, in `kernel::kunit`, which
//! is where this would live upstream): [`kunit_cases!`] turns a list of
//! Rust functions into the `struct kunit_case` array a C suite points at.

/// Declares `$table`, the NULL-terminated `struct kunit_case` array of the
/// functions listed, each run as a case named after it.
macro_rules! kunit_cases {
    ($table:ident: $($case:ident),* $(,)?) => {
        /// The KUnit cases, for the C suite that lists them.
        #[no_mangle]
        static mut $table: [kernel::bindings::kunit_case; [$(stringify!($case)),*].len() + 1] = [
            $(kernel::bindings::kunit_case {
                run_case: Some({
                    extern "C" fn run(_test: *mut kernel::bindings::kunit) {
                        $case()
                    }
                    run
                }),
                name: concat!(stringify!($case), "\0").as_ptr(),
                // SAFETY: the other fields of `struct kunit_case` are a
                // parameter generator, attributes, and KUnit's own state,
                // for all of which zero is "none" or the initial value.
                ..unsafe { core::mem::zeroed() }
            },)*
            // SAFETY: an all-zero `struct kunit_case` ends the array.
            unsafe { core::mem::zeroed() },
        ];
    };
}
pub(crate) use kunit_cases;
