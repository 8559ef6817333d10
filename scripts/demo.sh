#!/usr/bin/env bash
# demo.sh is the offline tour (make demo-offline; the main job is `vigil demo`): simulate a
# tenant with attacks and their look-alikes in it, hunt it and score the detections — it
# fails when recall or false pages fall short of the scoreboard's thresholds — then
# normalize the example logs of every source and format, load them into the embedded store
# (twice: nothing is stored twice) and hunt them.
set -euo pipefail
out=${DEMO_DIR:-/tmp/vigil-demo}
rm -rf "$out" && mkdir -p "$out"
echo "== building vigil (the first build compiles SQLite with cgo: about two minutes)"
go build -o bin/vigil ./cmd/vigil

echo "== vigil simulate (300 users, 14 days, every attack scenario and its look-alikes)"
./bin/vigil simulate --out "$out/tenant"
echo
echo "== vigil eval: the hunt over the simulated tenant, scored against its truth.jsonl"
./bin/vigil eval "$out/tenant"
echo
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
