#!/usr/bin/env bash
#! fib_vs_c.sh — wall time of fib(35) (benches/programs/fib.nyash) in every mode vs. C -O2.
#
# Usage: bash benches/fib_vs_c.sh        (from anywhere; builds the driver in release first)
# Uses hyperfine when installed, else bash's `time` (best of $RUNS runs, default 5).
# A mode that fails to build or run is reported and skipped; the script keeps going.
set -u
cd "$(dirname "$0")/.." || exit 1

PROG=benches/programs/fib.nyash
OUT=target/nyash-benches
RUNS=${RUNS:-5}
mkdir -p "$OUT"

# `cargo run --release -- …` is the documented entry; build once, then time the binary cargo
# runs (timing `cargo run` itself would add cargo's own start-up to every sample).
echo "building the driver (release)…" >&2
cargo build --release -q -p nyash-driver || { echo "driver build failed" >&2; exit 1; }
NYASH=target/release/nyash
nyash() { cargo run --release -q -p nyash-driver -- "$@"; }

declare -a NAMES CMDS
add() { NAMES+=("$1"); CMDS+=("$2"); }

# In-process modes (JIT compile + run).
add vm            "$NYASH --backend=vm run $PROG"
add cranelift-jit "$NYASH --backend=cranelift run $PROG"
add llvm-jit      "$NYASH --backend=llvm run $PROG"

# AOT modes: build once, time the executable.
if nyash --backend=cranelift build "$PROG" -o "$OUT/fib_cranelift_aot"; then
    add cranelift-aot "$OUT/fib_cranelift_aot"
else
    echo "SKIP cranelift-aot: build failed" >&2
fi
if nyash --backend=llvm build "$PROG" -O2 -o "$OUT/fib_llvm_aot"; then
    add llvm-aot-O2 "$OUT/fib_llvm_aot"
else
    echo "SKIP llvm-aot: build failed" >&2
fi
if cc -O2 benches/programs/fib.c -o "$OUT/fib_c"; then
    add c-O2 "$OUT/fib_c"
else
    echo "SKIP c: cc failed" >&2
fi

# Check every command prints the right answer before timing it.
declare -a OK_NAMES OK_CMDS
for i in "${!NAMES[@]}"; do
    got=$(${CMDS[$i]} 2>&1)
    if [ "$got" = "9227465" ]; then
        OK_NAMES+=("${NAMES[$i]}"); OK_CMDS+=("${CMDS[$i]}")
    else
        echo "SKIP ${NAMES[$i]}: printed '$(echo "$got" | head -n 3)'" >&2
    fi
done
[ ${#OK_CMDS[@]} -gt 0 ] || { echo "no mode works yet" >&2; exit 1; }

if command -v hyperfine >/dev/null 2>&1; then
    args=()
    for i in "${!OK_NAMES[@]}"; do args+=(-n "${OK_NAMES[$i]}" "${OK_CMDS[$i]}"); done
    hyperfine -N --warmup 1 --runs "$RUNS" "${args[@]}"
else
    # No hyperfine: best of $RUNS wall-clock times per mode with bash's `time` (millisecond
    # resolution; GNU /usr/bin/time's %e only has centiseconds, too coarse for the C run).
    TIMEFORMAT=%3R
    printf '%-15s %10s\n' mode "best (s)"
    for i in "${!OK_NAMES[@]}"; do
        best=""
        for _ in $(seq "$RUNS"); do
            t=$( { time ${OK_CMDS[$i]} >/dev/null 2>/dev/null; } 2>&1 | tail -n 1)
            if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
        done
        printf '%-15s %10s\n' "${OK_NAMES[$i]}" "$best"
    done
fi
