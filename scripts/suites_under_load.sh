#!/usr/bin/env bash
# The suite under load (issue 13): ROUNDS rounds of two test suites at once, in a
# fresh clone of HEAD with its own virtual environment, each suite's exit code and
# last line appended to SUMMARY. Run from the project root:
#
#     scripts/suites_under_load.sh [ROUNDS] [WORKDIR]      # 5 rounds = ten suites
#
# Add more load (a training, say) beside it if you like; the suites must still pass.
set -euo pipefail
rounds=${1:-5}
work=${2:-/tmp/mlpkit-suites}
project=$(pwd)
rm -rf "$work" && mkdir -p "$work"
git clone -q "$project" "$work/main"
if [ -d "$project/../shared" ]; then ln -s "$(cd "$project/../shared" && pwd)" "$work/shared"; fi
cd "$work/main"
python3 -m venv .venv
.venv/bin/pip install --quiet -e ".[dev]"
.venv/bin/pip install --quiet torch==2.13.0
if [ -d ../shared/datasets ]; then export MLPKIT_DATA="$work/shared/datasets"; fi
summary="$work/summary.txt"
echo "commit $(git rev-parse --short HEAD)" > "$summary"
for round in $(seq 1 "$rounds"); do
  for lane in a b; do
    (
      start=$(date +%s)
      set +e
      .venv/bin/python -m pytest -q > "$work/round$round$lane.log" 2>&1
      status=$?
      echo "round $round lane $lane exit $status $(( $(date +%s) - start ))s" \
        "$(tail -1 "$work/round$round$lane.log") load $(cut -d' ' -f1 /proc/loadavg)" >> "$summary"
    ) &
  done
  wait
done
cat "$summary"
! grep -q "exit [1-9]" "$summary"
