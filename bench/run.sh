#!/bin/sh
# run.sh -- runs every bench binary and writes the tables to bench/results/<device>.md
# (written to a temp file, renamed when complete).
BUILD=${BUILD:-build}
mkdir -p bench/results
tmp=$(mktemp)
{
  echo "# rdn benchmarks"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(nproc) cores; rdn $(git describe --always --dirty 2>/dev/null || echo '?')"
  echo "Device times from OpenCL events; host baselines by wall clock; medians after warm-up."
} > "$tmp"
for b in "$BUILD"/bench/bench_*; do
  case "$b" in *.o|*.d) continue ;; esac
  [ -x "$b" ] || continue
  echo "== $b" >&2
  "$b" | tee -a "$tmp" || echo "bench: $b failed" >&2
done
# Reference implementations (RDN_BENCH_REF=1, needs python3 with torch / kymatio): the
# baselines of the issue targets measured on this machine, printed as one table.
if [ "${RDN_BENCH_REF:-0}" = 1 ]; then
  {
    echo
    echo "### Reference implementations on this machine (bench/ref/*.py, wall clock)"
    echo
    echo "| implementation | shape | time | note |"
    echo "|---|---|---:|---|"
  } | tee -a "$tmp"
  python3 bench/ref/kymatio_rate.py 10000 3 2>/dev/null | tee -a "$tmp" ||
    echo "bench: kymatio reference unavailable (pip install kymatio)" >&2
  for c in 35 75; do
    python3 bench/ref/redunet2d_torch.py $c 500 1 2>/dev/null | tee -a "$tmp" ||
      echo "bench: PyTorch reference unavailable (pip install torch)" >&2
  done
fi
dev=$(grep -m1 '^# device:' "$tmp" | sed 's/^# device: //; s/ (.*//; s/[^A-Za-z0-9._-]/_/g')
[ -n "$dev" ] || dev=unknown
mv "$tmp" "bench/results/$dev.md"
echo "wrote bench/results/$dev.md" >&2
