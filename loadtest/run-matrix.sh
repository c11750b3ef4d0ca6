#!/usr/bin/env bash
# Reproduces the tables of loadtest/RESULTS.md: the calls scenario at rising
# load with 1 and 2 media workers, on the current tree ("after") and, when
# BEFORE_TREE points at a checkout of an older commit with its npm install
# done, on that tree's server with the same bots ("before"). JS_RUNS runs the
# current tree's server on its JavaScript packet path (MUSTER_NATIVE=0), still
# with the same (native) bots, for the native path's A/B.
#
#   loadtest/run-matrix.sh                 # after only
#   BEFORE_TREE=/tmp/before JS_RUNS="1 50 50;1 75 75" loadtest/run-matrix.sh
#
# Reports (JSON, Markdown, SVG) go to loadtest/reports/matrix-<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="loadtest/reports/matrix-$(date -u +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
DURATION="${DURATION:-20}"
RAMP="${RAMP:-40}"

run() { # name workers video voice [extra args...]
  local name=$1 workers=$2 video=$3 voice=$4; shift 4
  echo "== $name: $video video + $voice voice calls, $workers worker(s)"
  npm run -s loadtest -- --scenario calls --video-calls "$video" --voice-calls "$voice" --duration "$DURATION" \
    --ramp "$RAMP" --workers "$workers" --json "$OUT/$name.json" --md "$OUT/$name.md" "$@" | tail -n 1
}

external() { # label tree "workers video voice" [env...]: a server of `tree` outside the harness, driven by this tree's bots
  local label=$1 tree=$2 spec=$3 port=18091 workers video voice; shift 3
  read -r workers video voice <<<"$spec"
  ( cd "$tree" && exec env "$@" MEDIA_WORKERS="$workers" PORT=$port MUSTER_DATA_DIR="$(mktemp -d)" MUSTER_WEB_DIST=/nonexistent \
      node --import tsx signaling/src/main.ts ) >"$OUT/$label-server.log" 2>&1 &
  local server=$!
  for _ in $(seq 60); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
  run "$label-w$workers-$video+$voice" "$workers" "$video" "$voice" --url "http://127.0.0.1:$port" || true
  kill "$server"; wait "$server" 2>/dev/null || true
}

if [[ -n "${BEFORE_TREE:-}" ]]; then
  for spec in "1 10 10" "1 25 25"; do external before "$BEFORE_TREE" "$spec"; done
fi
if [[ -n "${JS_RUNS:-}" ]]; then
  IFS=';' read -r -a js_specs <<<"$JS_RUNS"
  for spec in "${js_specs[@]}"; do external js "$PWD" "$spec" MUSTER_NATIVE=0; done
fi

# "workers video voice" per run; AFTER_RUNS="1 10 10;2 50 50" overrides.
IFS=';' read -r -a specs <<<"${AFTER_RUNS:-1 10 10;1 25 25;1 50 50;1 75 75;1 100 100;2 50 50;2 100 100;2 125 125}"
for spec in "${specs[@]}"; do
  read -r workers video voice <<<"$spec"
  run "after-w$workers-$video+$voice" "$workers" "$video" "$voice" || true
done
node --import tsx loadtest/src/matrixTable.ts "$OUT"
