#!/bin/sh
echo "coverage is not available in the offline build (no remote_coverage_tools)" >&2
exit 1
