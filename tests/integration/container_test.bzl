"""container_test: a cc_test that starts real containers through tests/integration:harness.

Root, namespaces and mounts, so outside Bazel's sandbox ("local"); "exclusive": the leftover
checks compare host-wide state (mounts, cgroups, /run/nucleus) before and after each test, so
no other test may start containers meanwhile. Data: nucleus, the static probe, the busybox
rootfs tarball (plus `data`).
"""

def container_test(name, srcs, deps = [], data = [], tags = []):
    native.cc_test(
        name = name,
        size = "medium",
        srcs = srcs,
        data = [
            Label("//runtime:nucleus"),
            Label("//tests/testcases:probe"),
            Label("//tests:rootfs_tar"),
        ] + data,
        tags = [
            "local",
            "requires-root",
            "exclusive",
        ] + tags,
        deps = [
            Label("//tests/integration:harness"),
            Label("//third_party:gtest_main"),
        ] + deps,
    )
