#!/usr/bin/env bash
# Prints one table for a ladder of generated estates: subnets, ordered
# pairs, file size, the floor (typed borrowing parse of the planned
# resources, examples/floor.rs), tfreach's whole analysis
# (`analyze --format json --pairs none`), their ratio, and peak RSS.
#
#   benches/scale.sh                 # the default ladder
#   LADDER="200x8 2000x10" MODE=greenfield benches/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
LADDER=${LADDER:-"50x4 200x8 1000x10 2000x10"}
MODE=${MODE:-steady}
TOPOLOGY=${TOPOLOGY:-hub}
WORK=${WORK:-$(mktemp -d)}
cargo build --release --quiet --example gen_estate --example floor --bin tfreach
bin=target/release
printf '%-10s %8s %12s %8s %9s %10s %7s %10s %10s\n' estate subnets pairs "file MB" "floor s" "tfreach s" ratio "floor MB" "RSS MB"
for e in $LADDER; do
  v=${e%x*}; s=${e#*x}
  f="$WORK/estate-$e-$MODE.json"
  [ -f "$f" ] || "$bin/examples/gen_estate" --vpcs "$v" --subnets "$s" --topology "$TOPOLOGY" --mode "$MODE" --quiet --out "$f"
  mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN{printf "%.1f", b/1e6}')
  # best of three for both, measured side by side
  best() { local t m bt=999999 bm=0; for _ in 1 2 3; do
      local o s e; o=$(mktemp)
      s=$EPOCHREALTIME
      /usr/bin/time -o "$o" -f "%M" "$@" >/dev/null 2>/dev/null
      e=$EPOCHREALTIME
      t=$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.3f", e-s}'); m=$(tail -1 "$o"); rm -f "$o"
      if awk -v a="$t" -v b="$bt" 'BEGIN{exit !(a<b)}'; then bt=$t; bm=$m; fi; done; echo "$bt $bm"; }
  read -r ft fm < <(best "$bin/examples/floor" "$f")
  read -r tt tm < <(best "$bin/tfreach" analyze "$f" --format json --pairs none)
  pairs=$(( v*s*(v*s-1) ))
  ratio=$(awk -v a="$tt" -v b="$ft" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
  printf '%-10s %8d %12d %8s %9s %10s %7s %10.0f %10.0f\n' "$e" $((v*s)) $pairs "$mb" "$ft" "$tt" "$ratio" "$(echo "$fm/1024" | bc -l)" "$(echo "$tm/1024" | bc -l)"
done
