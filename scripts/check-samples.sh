#!/usr/bin/env bash
# check-samples.sh runs `vigil parse` over the third-party samples in ../shared/samples with
# the steering team's checker, when they are present (they are never copied into this repo).
set -euo pipefail
samples=${SAMPLES:-../shared/samples}
checker=${CHECKER:-../shared/tools/check_parse.py}
if [ ! -d "$samples" ] || [ ! -f "$checker" ]; then
  echo "check-samples: $samples not present, skipped"
  exit 0
fi
go build -o bin/vigil ./cmd/vigil
python3 "$checker" bin/vigil "$samples"
