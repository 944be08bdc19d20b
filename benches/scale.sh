#!/usr/bin/env bash
# One table over generated estates of every topology, side by side in one
# run: file size, the floor (typed borrowing parse of the planned
# resources, examples/floor.rs), tfreach's whole analysis
# (`analyze --format json --pairs none`), their ratio, peak RSS of each (in
# MB of 10^6 bytes, the file's unit), tfreach's peak RSS over the file size,
# and whether tfreach's verdict counts are the ones the generator expects.
# Times are the best of three; every run is stopped after TIMEOUT seconds.
# A row whose generation or run fails says `error`, one that is stopped
# says `timeout`, and no number is printed for it.
#
#   benches/scale.sh                                   # every row at 2000x10
#   SIZE=200x8 benches/scale.sh                        # smaller
#   SIZE="200x8 2000x10" TOPOLOGIES="hub tgw" MODES=steady ROUTES=igw EXTRAS=plain benches/scale.sh
#   SIZE=100x4 WORKLOADS=20 TOPOLOGIES=hub MODES=steady ROUTES=igw EXTRAS=plain benches/scale.sh
#
# TOPOLOGIES: hub hub-chain chain mesh100 tgw tgw-inspection tgw-segments10
#   (meshN is a full mesh in groups of N VPCs, tgw-segmentsN a transit
#   gateway with N route tables, each joining every Nth VPC; none is also
#   known)
# ROUTES:     igw (internet gateway default routes) nat (NAT gateway default
#   routes for all subnets but the last, which holds the NAT gateway)
# EXTRAS:     plain, acl+gwe (a network ACL and an S3 gateway endpoint per VPC);
#   also known: shared (every VPC routes 192.0.2.0/24 to a transit gateway that
#   is not in the plan, `gen_estate --shared-tgw-route`)
# MODES:      steady greenfield
# SPLIT=1:    after each steady row, a row for the same estate split into one
#   state per group of GROUP VPCs (default 100) and a network state
#   (`gen_estate --split`), read as one estate (`tfreach analyze DIR/*.json`):
#   its file MB is the documents' total, its floor the one plan's
# WORKLOADS=N: after each steady row, a row for the same estate with N
#   workloads per VPC (instances in three security groups that reference
#   each other, `gen_estate --workloads N`): the time and peak RSS of
#   `tfreach workloads FILE --format json` (every ordered workload pair, with
#   the internet both ways); its pairs column counts workload pairs, its
#   floor is the one plan's, and counts says `-` (no expected counts)
# EACH_VPC=1: after each row, a row for the same estate analysed with
#   TFREACH_EACH_VPC=1, which evaluates every VPC's rows even where VPCs are
#   alike: what an estate of the same size and shape costs when no two of
#   its VPCs are alike (generated VPCs always are)
# WORK:       a directory that keeps the estates for the next run; without
#   it they go to a temporary directory, each removed after its row (the
#   whole default table at 2000x10 is tens of gigabytes)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-2000x10}
TOPOLOGIES=${TOPOLOGIES:-"hub hub-chain chain mesh100 tgw tgw-inspection tgw-segments10"}
ROUTES=${ROUTES:-"igw nat"}
EXTRAS=${EXTRAS:-"plain acl+gwe"}
MODES=${MODES:-"steady greenfield"}
TIMEOUT=${TIMEOUT:-300}
SPLIT=${SPLIT:-0}
GROUP=${GROUP:-100}
if [ -n "${WORK:-}" ]; then
  keep=1
else
  keep=0
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
cargo build --release --quiet --example gen_estate --example floor --bin tfreach
bin=target/release

# "seconds peak-KB" of the best of three runs of a command (wall time from
# bash's clock, peak RSS from /usr/bin/time, which counts the command under
# `timeout`), or "timeout -" / "error -" as soon as one run does not finish
# well. The command's standard output goes to $out.
best() {
  local out=$1; shift
  local bt="" bm=0 t m s e rc o
  for _ in 1 2 3; do
    o=$(mktemp)
    s=$EPOCHREALTIME
    rc=0
    /usr/bin/time -o "$o" -f "%M" timeout "$TIMEOUT" "$@" >"$out" 2>/dev/null || rc=$?
    e=$EPOCHREALTIME
    m=$(tail -1 "$o"); rm -f "$o"
    if [ "$rc" -eq 124 ]; then echo "timeout -"; return; fi
    if [ "$rc" -ne 0 ]; then echo "error -"; return; fi
    t=$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.3f", e-s}')
    if [ -z "$bt" ] || awk -v a="$t" -v b="$bt" 'BEGIN{exit !(a<b)}'; then bt=$t; bm=$m; fi
  done
  echo "$bt $bm"
}

# The six counts of a JSON object named $2 in file $1, in a fixed order.
counts() {
  local obj
  obj=$(grep -o "\"$2\":{[^}]*}" "$1" | head -1) || return 0
  for k in pairs reachable one_way blocked partial unknown; do
    printf '%s ' "$(echo "$obj" | grep -o "\"$k\":[0-9]*" | cut -d: -f2)"
  done
}

# Megabytes (10^6 bytes, the unit of the file column) of a peak RSS in KiB,
# and that peak over the file's size in MB ($2).
mb() { awk -v k="$1" 'BEGIN{ if (k ~ /^[0-9]+$/) printf "%.0f", k*1024/1e6; else print "-" }'; }
per_file() { awk -v k="$1" -v f="$2" 'BEGIN{ if (k ~ /^[0-9]+$/ && f > 0) printf "%.2f", k*1024/1e6/f; else print "-" }'; }

# The row of the estate of $1 split into documents (SPLIT=1): the floor
# ($2 s, $3 KB) is the one plan's; the rest of the row follows.
split_row() {
  local f=$1 ft=$2 fm=$3; shift 3
  local row=("$@") d="$f.split" rc=0 size_mb tt tm ratio check=- docs
  row=("${row[@]:0:4}" "${row[4]}+split" "${row[@]:5}")
  [ -d "$d" ] || timeout "$TIMEOUT" "$bin/examples/gen_estate" --vpcs "$v" --subnets "$s" \
      "${args[@]}" "${rargs[@]}" "${eargs[@]}" --mode steady --split "$d" --group "$GROUP" \
      2>"$d.expected" || rc=$?
  if [ "$rc" -ne 0 ]; then
    cat "$d.expected" >&2 2>/dev/null || true
    rm -rf "$d" "$d.expected"
    printf "$fmt" "${row[@]}" error - - - - - - error
    return
  fi
  docs=$(ls "$d"/*.json | wc -l)
  row[4]="${row[4]}($docs)"
  size_mb=$(du -cb "$d"/*.json | tail -1 | awk '{printf "%.1f", $1/1e6}')
  read -r tt tm < <(best "$d.out" "$bin/tfreach" analyze "$d"/*.json --format json --pairs none)
  ratio=$(awk -v a="$tt" -v b="$ft" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a/b; else print "-" }')
  if [[ $tt =~ ^[0-9.]+$ ]]; then
    want=$(counts "$d.expected" expected)
    got=$(counts "$d.out" summary)
    if [ -z "$want" ]; then check=-; elif [ "$want" = "$got" ]; then check=ok; else check=WRONG; fi
  fi
  printf "$fmt" "${row[@]}" "$size_mb" "$ft" "$tt" "$ratio" "$(mb "$fm")" "$(mb "$tm")" "$(per_file "$tm" "$size_mb")" "$check"
  rm -f "$d.out"
  [ "$keep" -eq 1 ] || rm -rf "$d" "$d.expected"
}

# The row of the estate of the current row with $WORKLOADS workloads per
# VPC (WORKLOADS=N): `tfreach workloads --format json` instead of `analyze`.
workload_row() {
  local ft=$1 fm=$2; shift 2
  local row=("$@") w="$f.workloads.json" rc=0 size_mb tt tm ratio n
  n=$((v * WORKLOADS))
  row=("${row[@]:0:4}" "${row[4]}+w$WORKLOADS" "${row[5]}" $((n * (n - 1))))
  [ -f "$w" ] || timeout "$TIMEOUT" "$bin/examples/gen_estate" --vpcs "$v" --subnets "$s" \
      "${args[@]}" "${rargs[@]}" "${eargs[@]}" --mode steady --workloads "$WORKLOADS" \
      --out "$w" --quiet || rc=$?
  if [ "$rc" -ne 0 ]; then
    rm -f "$w"
    printf "$fmt" "${row[@]}" error - - - - - - error
    return
  fi
  size_mb=$(awk -v b="$(stat -c %s "$w")" 'BEGIN{printf "%.1f", b/1e6}')
  read -r tt tm < <(best /dev/null "$bin/tfreach" workloads "$w" --format json)
  ratio=$(awk -v a="$tt" -v b="$ft" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a/b; else print "-" }')
  printf "$fmt" "${row[@]}" "$size_mb" "$ft" "$tt" "$ratio" "$(mb "$fm")" "$(mb "$tm")" "$(per_file "$tm" "$size_mb")" -
  [ "$keep" -eq 1 ] || rm -f "$w"
}

# The row of the current estate analysed with TFREACH_EACH_VPC=1
# (EACH_VPC=1): the floor ($1 s, $2 KB) and the rest of the row as given.
each_row() {
  local ft=$1 fm=$2; shift 2
  local row=("$@") tt tm ratio check=-
  row=("${row[@]:0:4}" "${row[4]}+each" "${row[@]:5}")
  read -r tt tm < <(best "$f.out" env TFREACH_EACH_VPC=1 "$bin/tfreach" analyze "$f" --format json --pairs none)
  ratio=$(awk -v a="$tt" -v b="$ft" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a/b; else print "-" }')
  if [[ $tt =~ ^[0-9.]+$ ]]; then
    want=$(counts "$f.expected" expected)
    got=$(counts "$f.out" summary)
    if [ -z "$want" ]; then check=-; elif [ "$want" = "$got" ]; then check=ok; else check=WRONG; fi
  fi
  printf "$fmt" "${row[@]}" "$size_mb" "$ft" "$tt" "$ratio" "$(mb "$fm")" "$(mb "$tm")" "$(per_file "$tm" "$size_mb")" "$check"
  rm -f "$f.out"
}

fmt='%-8s %-14s %-4s %-7s %-16s %7s %12s %8s %9s %10s %7s %9s %8s %8s %-7s\n'
printf "$fmt" estate topology to extras mode subnets pairs "file MB" "floor s" "tfreach s" ratio "floor MB" "RSS MB" "RSS/file" counts
for size in $SIZE; do
  v=${size%x*}; s=${size#*x}
  for topo in $TOPOLOGIES; do
    case $topo in
      mesh*) args=(--topology mesh --mesh-group "${topo#mesh}") ;;
      tgw-segments*) args=(--topology tgw-segments --segments "${topo#tgw-segments}") ;;
      *) args=(--topology "$topo") ;;
    esac
    for route in $ROUTES; do
      case $route in igw) rargs=() ;; nat) rargs=(--nat) ;; *) echo "unknown route kind $route" >&2; exit 2 ;; esac
      for extra in $EXTRAS; do
        case $extra in plain) eargs=() ;; acl+gwe) eargs=(--nacls --gateway-endpoints) ;; shared) eargs=(--shared-tgw-route) ;; *) echo "unknown extras $extra" >&2; exit 2 ;; esac
        for mode in $MODES; do
          f="$WORK/estate-$size-$topo-$route-$extra-$mode.json"
          row=("$size" "$topo" "$route" "$extra" "$mode" $((v*s)) $((v*s*(v*s-1))))
          rc=0
          [ -f "$f" ] || timeout "$TIMEOUT" "$bin/examples/gen_estate" --vpcs "$v" --subnets "$s" \
              "${args[@]}" "${rargs[@]}" "${eargs[@]}" --mode "$mode" --out "$f" 2>"$f.expected" || rc=$?
          if [ "$rc" -ne 0 ]; then
            failed=error; [ "$rc" -eq 124 ] && failed=timeout
            cat "$f.expected" >&2 2>/dev/null || true
            rm -f "$f" "$f.expected"
            printf "$fmt" "${row[@]}" "$failed" - - - - - - "$failed"
            continue
          fi
          size_mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN{printf "%.1f", b/1e6}')
          read -r ft fm < <(best /dev/null "$bin/examples/floor" "$f")
          read -r tt tm < <(best "$f.out" "$bin/tfreach" analyze "$f" --format json --pairs none)
          ratio=$(awk -v a="$tt" -v b="$ft" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a/b; else print "-" }')
          check=-
          if [[ $tt =~ ^[0-9.]+$ ]]; then
            want=$(counts "$f.expected" expected)
            got=$(counts "$f.out" summary)
            if [ -z "$want" ]; then check=-; elif [ "$want" = "$got" ]; then check=ok; else check=WRONG; fi
          fi
          printf "$fmt" "${row[@]}" "$size_mb" "$ft" "$tt" "$ratio" "$(mb "$fm")" "$(mb "$tm")" "$(per_file "$tm" "$size_mb")" "$check"
          rm -f "$f.out"
          if [ "${EACH_VPC:-0}" = 1 ]; then
            each_row "$ft" "$fm" "${row[@]}"
          fi
          if [ "$SPLIT" = 1 ] && [ "$mode" = steady ]; then
            split_row "$f" "$ft" "$fm" "${row[@]}"
          fi
          if [ "${WORKLOADS:-0}" -gt 0 ] && [ "$mode" = steady ]; then
            workload_row "$ft" "$fm" "${row[@]}"
          fi
          [ "$keep" -eq 1 ] || rm -f "$f" "$f.expected"
        done
      done
    done
  done
done
