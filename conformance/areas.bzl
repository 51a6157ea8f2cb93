"""The conformance areas, in ONE place, and the macro each area's BUILD calls.

Adding an area: a folder conformance/AREA with assertions.catalog, *_test.cc and a BUILD file
calling conformance_area(), a broken subject in subjects/AREA with its defects.txt, plus its name
in CONFORMANCE_AREAS, which the portable binary, `tools/ipcconf run`, benchmarks/areas.sh and
benchmarks/precision.py read (the Python and shell tools through tools/report/areas.py).
"""

load("//harness:catalog.bzl", "assertion_catalog")
load("//harness:meta_test.bzl", "defects_meta_test")

# Every area: conformance/AREA holds its catalog and tests, and //conformance/AREA:defects_test
# proves each of its assertions can fail, and only under its own defects.
CONFORMANCE_AREAS = [
    "pipe",
    "fifo",
    "sysv",
    "posix_mq",
    "posix_sem",
    "posix_shm",
    "pool",
]

# The areas whose subject is the machine itself: the portable binary carries them. The pool
# area's subject is a library picked at build time (--//ipc/pool:impl), so it is not among them.
PORTABLE_AREAS = [area for area in CONFORMANCE_AREAS if area != "pool"]

def conformance_area(
        area,
        srcs,
        deps = [],
        data = [],
        size = "medium",
        shard_count = 2,
        tags = [],
        min_control_cases = 1,
        control_skips_allowed = True):
    """An area's catalog, its tests as a library (for the portable binary), its cc_test
    (AREA_test, sharded over both cores), its catalog check, and its defects meta-test
    (defects_test) against the broken subject //subjects/AREA:libbroken_AREA.so and its table
    //subjects/AREA:defects.txt.

    Args:
      area: the area's name, as in its catalog and in CONFORMANCE_AREAS.
      srcs: the test sources (and helpers of only this area).
      deps: further libraries of the tests.
      data: programs the tests run under Bazel (the portable binary has no runfiles: tests that
        need them skip saying so).
      size: the cc_test's size.
      shard_count: the cc_test's shards.
      tags: the cc_test's tags (e.g. no-sandbox for an area whose children must drop privileges:
        Bazel's linux-sandbox maps only root into its user namespace); the meta-test's too.
      min_control_cases: how many results the meta-test's run without a defect must report.
      control_skips_allowed: whether that run may skip some (harness/meta_test.bzl).
    """
    assertion_catalog(
        name = "catalog",
        src = "assertions.catalog",
    )
    native.cc_library(
        name = "tests",
        testonly = True,
        srcs = srcs,
        deps = [
            ":catalog",
            "//harness:harness",
            "//ipc",
            "//harness:ipc_journal",
            "@com_google_googletest//:gmock",
            "@com_google_googletest//:gtest",
        ] + deps,
        alwayslink = 1,
    )
    native.cc_test(
        name = area + "_test",
        size = size,
        data = data,
        shard_count = shard_count,
        tags = tags,
        deps = [
            ":tests",
            "//harness:conformance_main",
        ],
    )

    # Every catalog id of the area has a test, and every test names known ids.
    native.sh_test(
        name = "catalog_check",
        size = "small",
        srcs = ["//harness:catalog_check.sh"],
        args = [
            "$(location :%s_test)" % area,
            area,
        ],
        data = [":%s_test" % area],
    )

    defects_meta_test(
        name = "defects_test",
        area = area,
        binary = ":%s_test" % area,
        subject = "libbroken_%s.so" % area,
        preload = "//subjects/%s:libbroken_%s.so" % (area, area),
        table = "//subjects/%s:defects.txt" % area,
        catalog = ":catalog",
        min_control_cases = min_control_cases,
        control_skips_allowed = control_skips_allowed,
        tags = tags,
    )
