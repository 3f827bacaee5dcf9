#!/usr/bin/env bash
# Compares the embedded engine's decode speed between two revisions on this
# machine: builds both, runs `muaibench env --quantization all --json` with
# them alternately, and prints each format's median fraction of the
# bandwidth ceiling and decode tokens/s per revision, split by the probe's
# bandwidth at the time (a shared VM's bandwidth moves with its neighbours'
# load, so runs are only comparable within one regime).
#
#   scripts/ab-env.sh OLD [NEW] [RUNS] [SPLIT_GBPS]
#
# NEW defaults to the working tree (also written "."), RUNS (pairs) to 6,
# SPLIT_GBPS (the bandwidth between the two regimes) to 45. OLD_ARGS and
# NEW_ARGS add flags to each side's env, so one build can be set against
# itself with another option:
#
#   OLD_ARGS="--kv-cache-dtype fp32" NEW_ARGS="--kv-cache-dtype fp16" scripts/ab-env.sh . . 8
set -euo pipefail

old=${1:?usage: scripts/ab-env.sh OLD [NEW] [RUNS] [SPLIT_GBPS]}
new=${2:-}
runs=${3:-6}
split=${4:-45}
OLD_ARGS=${OLD_ARGS:-}
NEW_ARGS=${NEW_ARGS:-}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'for s in old new; do git -C "$root" worktree remove --force "$tmp/src-$s" >/dev/null 2>&1 || true; done
      rm -rf "$tmp"' EXIT

build() { # build REV NAME: REV empty or "." means the working tree
  if [ -z "$1" ] || [ "$1" = . ]; then
    (cd "$root" && go build -o "$tmp/$2.bin" ./cmd/muaibench)
  else
    git -C "$root" worktree add --detach -q "$tmp/src-$2" "$1"
    (cd "$tmp/src-$2" && go build -o "$tmp/$2.bin" ./cmd/muaibench)
  fi
}
build "$old" old
build "$new" new

# One line per run and format: side format bandwidth(GB/s) fraction tokens/s.
extract() {
  awk -v side="$1" '
    /"quantization"/ { gsub(/[",]/, "", $2); f = $2 }
    /"decode_tokens_per_s"/ { gsub(/,/, "", $2); tps = $2 }
    /"bandwidth_bytes_per_s"/ { gsub(/,/, "", $2); bw = $2 / 1e9 }
    /"fraction_of_ceiling"/ { gsub(/,/, "", $2); printf "%s %s %.1f %s %s\n", side, f, bw, $2, tps }'
}
for i in $(seq "$runs"); do
  for side in old new; do
    args=$OLD_ARGS
    [ "$side" = new ] && args=$NEW_ARGS
    # shellcheck disable=SC2086 # the flags are meant to split
    "$tmp/$side.bin" env --quantization all --json $args 2>/dev/null | extract "$side"
  done
done >"$tmp/runs"

echo "old=${old} ${OLD_ARGS} new=${new:-working tree} ${NEW_ARGS}, $runs runs each; median over the runs in each regime"
printf '%-7s %-5s %-22s %-22s\n' regime fmt "old: frac tok/s (n)" "new: frac tok/s (n)"
for regime in full shared; do
  for f in fp32 fp16 int8 int4; do
    line=$(printf '%-7s %-5s' "$regime" "$f")
    for side in old new; do
      cell=$(awk -v s="$side" -v f="$f" -v r="$regime" -v sp="$split" '
        $1 == s && $2 == f && ((r == "full") == ($3 >= sp)) { n++; fr[n] = $4; tp[n] = $5 }
        function med(a, n,   i, j, t) {
          for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
          return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
        }
        END { if (n) printf "%.3f %5.1f (%d)", med(fr, n), med(tp, n), n; else printf "-" }' "$tmp/runs")
      line+=$(printf ' %-22s' "$cell")
    done
    echo "$line"
  done
done
