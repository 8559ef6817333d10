#!/usr/bin/env bash
# demo.sh is the main job until `vigil demo` exists: normalize the example logs of every
# source and format, load them into the embedded store (twice, to show nothing is stored
# twice), and summarise what Vigil saw.
set -euo pipefail
out=${DEMO_DIR:-/tmp/vigil-demo}
rm -rf "$out" && mkdir -p "$out"
go build -o bin/vigil ./cmd/vigil

echo "== vigil parse examples/logs"
./bin/vigil parse examples/logs > "$out/events.jsonl"
echo
echo "== events by source and category"
grep -o '"vigil":{"category":"[^"]*","source":"[^"]*"' "$out/events.jsonl" |
  sed 's/"vigil":{"category":"\([^"]*\)","source":"\([^"]*\)"/\2 \1/' | sort | uniq -c | sort -rn
echo
echo "== vigil ingest (first run, then again: the second stores nothing new)"
./bin/vigil ingest --data "$out/data" examples/logs
./bin/vigil ingest --data "$out/data" examples/logs
echo
echo "== vigil hunt examples/logs (built-in rule pack)"
./bin/vigil hunt --format table examples/logs
if [ -d ../shared/samples ]; then
  echo
  echo "== third-party samples (../shared/samples)"
  ./bin/vigil parse ../shared/samples/{cloudtrail,graph-signins,graph-audits,graph-risk,graph-alerts,activitylog,diag-eventhub,sentinel-tables} > "$out/samples.jsonl"
fi
echo
echo "events: $out/events.jsonl   store: $out/data/vigil.db"
