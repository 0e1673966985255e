#!/bin/sh
# run.sh -- runs every C test binary, the Lua tests and the examples' smoke mode,
# adds up their "N passed, N failed" lines and prints the total the same way.
# Env: BUILD (object dir), RDN (interpreter), VALGRIND=1 to run C tests under valgrind,
# ONLY='test_tensor test_npy' to run just the named C test binaries (and no Lua/examples).
BUILD=${BUILD:-build}
RDN=${RDN:-./rdn}
tp=0; tf=0
log=$(mktemp)
run() { # name cmd...
  name=$1; shift
  "$@" >"$log" 2>&1
  rc=$?
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  if [ -z "$line" ]; then p=0; f=1; else
    p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  fi
  tp=$((tp + p)); tf=$((tf + f))
  if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
    echo "FAIL $name (exit $rc): $line"; sed 's/^/    /' "$log" | tail -n 40
  else
    echo "ok   $name: $line"
  fi
}
vg=""
[ "${VALGRIND:-0}" = 1 ] && vg="valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --suppressions=tests/valgrind.supp"
for t in "$BUILD"/tests/test_*; do
  case "$t" in *.o|*.d) continue ;; esac
  if [ -n "${ONLY:-}" ]; then
    case " $ONLY " in *" $(basename "$t") "*) ;; *) continue ;; esac
  fi
  [ -x "$t" ] && run "$(basename "$t")" $vg "$t"
done
if [ -n "${ONLY:-}" ]; then
  rm -f "$log"; echo "$tp passed, $tf failed"; [ "$tf" -eq 0 ]; exit
fi
for t in tests/test_*.lua; do
  [ -f "$t" ] && run "$t" "$RDN" "$t"
done
for e in examples/*.lua; do
  [ -f "$e" ] && RDN_SMOKE=1 run "$e" "$RDN" tests/smoke.lua "$e"
done
rm -f "$log"
echo "$tp passed, $tf failed"
[ "$tf" -eq 0 ]
