"""nucleus_fuzz_target: one libFuzzer target per untrusted input, replayed by `bazel test`.

nucleus_fuzz_target(name, srcs, deps, testonly = False) defines (both testonly when the
target depends on a testonly library, such as //backends/native:bpf_interpreter)

  <name>_replay_test  cc_test (small) that runs LLVMFuzzerTestOneInput on every file under
                      fuzz/corpus/<name>/ (fails when there is none), so plain `bazel test //...`
                      keeps every seed and past crash fixed;
  <name>              cc_binary: under --config=fuzz (--define=fuzz=1) linked with
                      -fsanitize=fuzzer (libFuzzer's main); otherwise with the replay main, so
                      `bazel run //fuzz:<name> -- FILE_OR_DIR...` reproduces a crash without clang.
"""

# Bazel links through the `clang` (C) driver, which leaves out UBSan's C++ runtime; code using
# std::function then misses __ubsan_handle_function_type_mismatch_v1 at link time.
_CXX_SANITIZER_RUNTIME = ["-fsanitize-link-c++-runtime"]

def nucleus_fuzz_target(name, srcs, deps = [], testonly = False):
    corpus = "corpus/%s" % name
    native.cc_test(
        name = name + "_replay_test",
        size = "small",
        testonly = testonly,
        srcs = srcs,
        deps = deps + [Label("//fuzz:replay_main")],
        data = native.glob([corpus + "/**"]),
        args = ["%s/%s" % (native.package_name(), corpus)],
        linkopts = select({
            "//fuzz:fuzzing": _CXX_SANITIZER_RUNTIME,
            "//conditions:default": [],
        }),
    )
    native.cc_binary(
        name = name,
        testonly = testonly,
        srcs = srcs,
        deps = deps + select({
            "//fuzz:fuzzing": [],
            "//conditions:default": [Label("//fuzz:replay_main")],
        }),
        linkopts = select({
            "//fuzz:fuzzing": ["-fsanitize=fuzzer"] + _CXX_SANITIZER_RUNTIME,
            "//conditions:default": [],
        }),
    )
