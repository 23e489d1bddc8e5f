#!/bin/sh
# Builds the libFuzzer executable (.build-fuzz) and fuzzes each target in turn for
# FUZZ_SECONDS (default 600), then prints runs and new findings per target.
#
#   make fuzz                                   every target, 10 minutes each
#   FUZZ_SECONDS=60 FUZZ_TARGETS="nrrd csv" make fuzz
#   FUZZ_BUILD=0 ...                            skip the build (already done)
#
# The fuzzer grows its working corpus in .build-fuzz/corpus/<target>, seeded from
# TestData/fuzz/<target> (seeds and stored reproducers). Inputs that crash, hang (-timeout)
# or exceed -rss_limit_mb are written to TestData/fuzz/<target>/crashes/, where the replay
# test (Tests/KiraFuzzReplayTests) picks them up: each needs a fix and a regression test.
# Reproduce one: KIRA_FUZZ_TARGET=<target> .build-fuzz/debug/kira-fuzz <file>
set -eu
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_TARGETS=${FUZZ_TARGETS:-"dicom nifti nrrd raster csv settings"}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
SCRATCH=.build-fuzz

if [ "${FUZZ_BUILD:-1}" != 0 ]; then
    # Kira's C and C++ shims (dcmtk, niftilib, libpng/libjpeg bridges) are instrumented too;
    # the Debian libraries behind them are not, so their crashes surface without coverage.
    KIRA_FUZZ=1 $SWIFT build --scratch-path $SCRATCH -c debug --product kira-fuzz \
        -Xswiftc -sanitize=fuzzer,address \
        -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address
fi
BIN=$SCRATCH/debug/kira-fuzz
mkdir -p $SCRATCH/logs

summary=""
for t in $FUZZ_TARGETS; do
    work=$SCRATCH/corpus/$t
    crashes=TestData/fuzz/$t/crashes
    mkdir -p "$work" "$crashes"
    find "TestData/fuzz/$t" -type f -exec cp {} "$work/" \;
    before=$(ls "$crashes" | wc -l)
    log=$SCRATCH/logs/$t.log
    echo "fuzz: $t for ${FUZZ_SECONDS}s (log: $log)"
    # KIRA_MAX_BYTES well under the RSS limit: a header asking for a huge volume must be
    # refused by Kira's budget check, which is what is being tested, not by libFuzzer. It is
    # also small enough that a well-formed large image (a 6-megapixel JPEG took 11 s of CPU
    # to decode twice in this sanitised debug build) is refused rather than reported as a hang.
    # The Swift backtracer would catch a trap before libFuzzer could save the input.
    SWIFT_BACKTRACE=enable=no KIRA_FUZZ_TARGET=$t KIRA_MAX_BYTES=${KIRA_MAX_BYTES:-8M} \
        "$BIN" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb="$FUZZ_RSS_MB" \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" "$work" >"$log" 2>&1 || true
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    after=$(ls "$crashes" | wc -l)
    summary="$summary$(printf '%-9s runs %-10s new findings %s' "$t" "${runs:-?}" "$((after - before))")\n"
done
printf "\nfuzz summary (%ss per target):\n$summary" "$FUZZ_SECONDS"
