#!/bin/sh
# Run every fuzz target for a while, each seeded from tests/data/fuzz-<name>.
# Usage: tests/fuzz/run.sh BUILDDIR [SECONDS] [TARGET...]
# BUILDDIR must be configured with CC=clang --enable-fuzzing.
set -eu
build=${1:?usage: run.sh BUILDDIR [SECONDS] [TARGET...]}
secs=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
src=$(cd "$(dirname "$0")/../.." && pwd)
targets=${*:-"packet secure body irc"}
for t in $targets; do
	make -C "$build" "tests/fuzz/fuzz-$t" >/dev/null
	corpus="$build/tests/fuzz/corpus-$t"
	mkdir -p "$corpus"
	echo "fuzz-$t: ${secs}s"
	"$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -max_len=65536 \
	    -print_final_stats=1 -artifact_prefix="$build/tests/fuzz/crash-$t-" \
	    "$corpus" "$src/tests/data/fuzz-$t" 2>&1 | \
	    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==.*ERROR|SUMMARY)' || true
done
