"""Compiles an area's assertion catalog into a library, so a test binary carries its catalog."""

def assertion_catalog(name, src, visibility = None):
    """A cc_library registering the assertions of `src` (a .catalog file) at start-up.

    The one catalog reader, tools/report/catalog.py, turns the file into a C++ table; a
    malformed catalog fails the build, naming its line.
    """
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = [name + "_catalog.cc"],
        cmd = "$(location //tools/report:catalog_tool) --cc $@ $<",
        tools = ["//tools/report:catalog_tool"],
    )
    native.cc_library(
        name = name,
        srcs = [name + "_catalog.cc"],
        deps = ["//harness:catalog"],
        alwayslink = 1,
        visibility = visibility,
    )
