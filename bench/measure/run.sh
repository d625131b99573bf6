#!/usr/bin/env bash
# The measurement benchmark on 2 cores: a million samples imported, compared and calibrated
# (bench/measure), with the peak resident set size measured from outside by GNU time as well.
#   bash bench/measure/run.sh [-samples N]
set -euo pipefail
cd "$(dirname "$0")/../.."
go build -o /tmp/phusong-bench-measure ./bench/measure
export GOMAXPROCS=2
if [ -x /usr/bin/time ]; then
	/usr/bin/time -v /tmp/phusong-bench-measure "$@" 2> >(grep -E "Maximum resident set size|Elapsed \(wall clock\)|Percent of CPU" >&2)
else
	/tmp/phusong-bench-measure "$@"
fi
