"""The pool conformance tests, built against a chosen implementation of process_pool.h."""


def pool_conformance_test(name, impl, tags = [], **kwargs):
    """A cc_test of conformance/pool's *_test.cc linked with `impl` (a cc_library)."""
    native.cc_test(
        name = name,
        srcs = native.glob(
            ["*_test.cc"],
            exclude = ["student_libs_test.cc"],
        ) + [
            "pool_fixture.cc",
            "pool_fixture.h",
            "pool_master.cc",
            "pool_master.h",
        ],
        tags = tags,
        deps = [
            ":catalog",
            impl,
            "//harness:conformance_main",
            "//harness:harness",
            "//ipc",
            "//ipc/pool:process_pool_header",
            "@com_google_googletest//:gmock",
            "@com_google_googletest//:gtest",
        ],
        **kwargs
    )
