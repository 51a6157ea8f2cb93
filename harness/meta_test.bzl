"""The defects meta-test of an area: harness/meta_test.cc with the area's configuration."""

def _c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

def defects_meta_test(
        name,
        area,
        binary,
        subject,
        table,
        catalog,
        preload = None,
        universe = "",
        min_control_cases = 1,
        control_skips_allowed = True,
        size = "large",
        tags = []):
    """A cc_test proving every assertion of `area` can fail, and only under its own defects.

    Args:
      name: the test's name.
      area: the area, as in its catalog ids.
      binary: label of the area's test binary (a cc_test in this package).
      subject: the broken subject's name in its own messages ("libbroken_pipe.so").
      table: label of the defect table (defects.txt).
      catalog: label of the area's catalog library (an assertion_catalog), linked in.
      preload: label of the LD_PRELOAD subject, or None when `binary` links the subject itself.
      universe: a --gtest_filter every run is limited to ("" for all).
      min_control_cases: how many results the run without a defect must report at least.
      control_skips_allowed: whether that run may skip some (tests that need runfiles or root).
      size: the cc_test's size.
      tags: the cc_test's tags.
    """
    paths = {
        "binary": "$(rootpath %s)" % binary,
        "table": "$(rootpath %s)" % table,
        "preload": "$(rootpath %s)" % preload if preload else "",
    }
    lines = [
        "#include \"harness/meta_test.h\"",
        "ipcconf::MetaTestConfig ipcconf::MetaTest() {",
        "  MetaTestConfig c;",
        "  c.area = %s;" % _c_string(area),
        "  c.binary = \"%s\";" % paths["binary"],
        "  c.preload = \"%s\";" % paths["preload"],
        "  c.subject = %s;" % _c_string(subject),
        "  c.table = \"%s\";" % paths["table"],
        "  c.universe = %s;" % _c_string(universe),
        "  c.min_control_cases = %d;" % min_control_cases,
        "  c.control_skips_allowed = %s;" % ("true" if control_skips_allowed else "false"),
        "  return c;",
        "}",
    ]
    data = [binary, table] + ([preload] if preload else [])
    native.genrule(
        name = name + "_config",
        srcs = data,
        outs = [name + "_config.cc"],
        cmd = "cat > $@ <<'EOF'\n" + "\n".join(lines) + "\nEOF",
        testonly = True,
    )
    native.cc_test(
        name = name,
        size = size,
        srcs = [name + "_config.cc"],
        data = data,
        tags = tags,
        deps = [
            catalog,
            "//harness:meta_test",
            "//harness:test_main",
        ],
    )
