"""Compiles an area's assertion catalog into a library, so a test binary carries its catalog."""

def assertion_catalog(name, src, visibility = None):
    """A cc_library registering the assertions of `src` (a .catalog file) at start-up."""
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = [name + "_catalog.cc"],
        cmd = " ".join([
            "(echo '#include \"harness/catalog.h\"';",
            "echo 'static const char kText[] =';",
            "sed -e 's/\\\\/\\\\\\\\/g' -e 's/\"/\\\\\"/g' -e 's/^/\"/' -e 's/$$/\\\\n\"/' $<;",
            "echo ';';",
            "echo 'static const bool kRegistered = ::ipcconf::RegisterCatalogText(\"$<\", kText);')",
            "> $@",
        ]),
    )
    native.cc_library(
        name = name,
        srcs = [name + "_catalog.cc"],
        deps = ["//harness:catalog"],
        alwayslink = 1,
        visibility = visibility,
    )
