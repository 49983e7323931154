#!/usr/bin/env bash
# Benchmarks of `pipe` against floors and references, measured side by side.
#
#   benches/run.sh [ROWS...]          # default: 100000 1000000
#
# For each size it generates a register and journal (examples/gen.rs, seed 42)
# in $BENCH_DIR (default target/bench), then times each command RUNS times
# (default 5) and prints the median wall time, the peak memory (max RSS) and
# the ratio to the reference of the same task:
#   - floors: `wc -l`, `cat FILE > copy` (and with `sync copy`)
#   - a minimal single-threaded csv-crate program (examples/ref_scan.rs)
#   - DuckDB's CLI, when `duckdb` is on PATH (pip install duckdb-cli)
# The journal's cache (.journal.csv.pipe-cache) and the register's
# (.prospects.csv.pipe-cache) are made afresh for each size; most lines time
# a run that reads them, the "cache off" lines one that reads neither, the
# "first run" lines one that reads the register as CSV and writes its cache
# (as the first run after an edit does).
# Needs GNU time (/usr/bin/time). Writes nothing outside $BENCH_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ALERTS_SQL=$PWD/benches/duckdb-alerts.sql
ROWS=("${@:-100000 1000000}")
# shellcheck disable=SC2206
ROWS=(${ROWS[*]})
RUNS=${RUNS:-5}
DIR=${BENCH_DIR:-target/bench}
TODAY=2026-11-27
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT

cargo build --release --quiet --bins --example gen --example ref_scan
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
PIPE=$TARGET/release/pipe
REF=$TARGET/release/examples/ref_scan
GEN=$TARGET/release/examples/gen
# PIPE_BASE=/path/to/an/older/pipe times that binary too, side by side (before/after).
BASE=${PIPE_BASE:-}
DUCKDB=$(command -v duckdb || true)

# measure NAME REFERENCE_MEDIAN COMMAND... : runs COMMAND $RUNS times in $work
measure() {
    local name=$1 ref=$2; shift 2
    local times=() mem=0
    for _ in $(seq "$RUNS"); do
        [ -n "${RESET:-}" ] && eval "$RESET"
        local out
        /usr/bin/time -f "%e %M" -o "$TIMES" "$@" >/dev/null 2>&1 || true
        out=$(tail -1 "$TIMES")
        times+=("${out% *}")
        local m=${out#* }
        (( m > mem )) && mem=$m
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    local ratio="-"
    if [ "$ref" != "-" ]; then ratio=$(awk -v a="$median" -v b="$ref" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'); fi
    printf '%-44s %8.3f s %9.1f MiB %8s\n' "$name" "$median" "$(awk -v m="$mem" 'BEGIN {print m/1024}')" "$ratio"
    LAST=$median
}

for rows in "${ROWS[@]}"; do
    work=$DIR/$rows
    # The generated files are kept as pristine copies, and every run starts
    # from them: a file that a command run by hand changed is put back.
    if [ ! -f "$work/pristine.csv" ] || [ ! -f "$work/pristine-journal.csv" ]; then
        "$GEN" --rows "$rows" --seed 42 --out "$work" 2>/dev/null
        cp "$work/prospects.csv" "$work/pristine.csv"
        cp "$work/journal.csv" "$work/pristine-journal.csv"
    fi
    cp "$work/pristine.csv" "$work/prospects.csv"
    cp "$work/pristine-journal.csv" "$work/journal.csv"
    size=$(du -m "$work/prospects.csv" | cut -f1)
    echo
    echo "== $rows rows, register ${size} MB, $(wc -l < "$work/journal.csv") journal lines; median of $RUNS runs"
    printf '%-44s %10s %13s %8s\n' task wall "peak RSS" ratio
    cd "$work"
    # The journal's cache is made by the first command that reads the journal
    # (its first run below), the register's by the first that reads the
    # register's prospects (`list`); the runs after them read the caches. The
    # lines marked "cache off" read both files as CSV every time (PIPE_CACHE=0).
    rm -f .journal.csv.pipe-cache .prospects.csv.pipe-cache
    RESET=""
    measure "floor: wc -l" - wc -l prospects.csv
    measure "floor: cat > copy" - sh -c 'cat prospects.csv > copy.csv'; CAT=$LAST
    # A durable rewrite also syncs the copy to disk, as `pipe move` does.
    measure "floor: cat > copy, sync copy" - sh -c 'cat prospects.csv > copy.csv; sync copy.csv'
    measure "ref: csv crate, count+sum per stage" - "$REF" stages prospects.csv; REF_STAGES=$LAST
    measure "ref: csv crate, count+sum per product" - "$REF" products prospects.csv; REF_PRODUCTS=$LAST
    measure "ref: csv crate, change one row, rewrite" - "$REF" move prospects.csv P-0000042 Perdu copy.csv
    DUCK_STAGES=-; DUCK_READ=-; DUCK_PRODUCTS=$REF_PRODUCTS; DUCK_OWNERS=$REF_STAGES; DUCK_ALERTS=$REF_STAGES
    if [ -n "$DUCKDB" ]; then
        q="select \"Étape\", count(*), sum(try_cast(replace(replace(\"Montant HT\", ' ', ''), ',', '.') as decimal(18,2))) from read_csv('prospects.csv', delim=';', header=true, all_varchar=true) group by 1"
        measure "duckdb: count+sum per stage" - "$DUCKDB" -c "$q"; DUCK_STAGES=$LAST
        measure "duckdb: read the file" - "$DUCKDB" -c "select count(*) from read_csv('prospects.csv', delim=';', header=true, all_varchar=true)"; DUCK_READ=$LAST
        # The group-bys `report products` and `owners` do: per family (the
        # list cells split), per salesperson.
        q="select p, count(*), sum(try_cast(replace(replace(\"Montant HT\", ' ', ''), ',', '.') as decimal(18,2))) from (select unnest(string_split(\"Produits\", '|')) as p, \"Montant HT\" from read_csv('prospects.csv', delim=';', header=true, all_varchar=true)) group by 1"
        measure "duckdb: count+sum per product" - "$DUCKDB" -c "$q"; DUCK_PRODUCTS=$LAST
        q="select \"Commercial\", count(*), sum(try_cast(replace(replace(\"Montant HT\", ' ', ''), ',', '.') as decimal(18,2))) from read_csv('prospects.csv', delim=';', header=true, all_varchar=true) group by 1"
        measure "duckdb: count+sum per owner" - "$DUCKDB" -c "$q"; DUCK_OWNERS=$LAST
        # What `pipe alerts` computes: both files read, four rules, the
        # alerts written out (benches/duckdb-alerts.sql).
        q=$(sed "s/@TODAY@/$TODAY/g" "$ALERTS_SQL")
        measure "duckdb: the alerts, from both files" - "$DUCKDB" -c "$q"; DUCK_ALERTS=$LAST
        rm -f duck-alerts.csv
    fi
    if [ -n "$BASE" ]; then
        measure "base: pipe check" "$DUCK_READ" "$BASE" --today $TODAY check
        measure "base: pipe report funnel" "$DUCK_STAGES" "$BASE" --today $TODAY report funnel
    fi
    measure "pipe check" "$DUCK_READ" "$PIPE" --today $TODAY check
    measure "pipe check, cache off" "$DUCK_READ" env PIPE_CACHE=0 "$PIPE" --today $TODAY check
    # The first run after an edit: the register read as CSV, its cache written.
    RESET="rm -f .prospects.csv.pipe-cache"
    measure "pipe check, first run (writes the cache)" "$DUCK_READ" "$PIPE" --today $TODAY check
    RESET=""
    measure "pipe list --stage chaud --format csv" "$REF_STAGES" "$PIPE" --today $TODAY list --stage chaud --format csv
    if "$PIPE" report --help >/dev/null 2>&1; then
        measure "pipe report funnel" "$DUCK_STAGES" "$PIPE" --today $TODAY report funnel
        measure "pipe report funnel, cache off" "$DUCK_STAGES" env PIPE_CACHE=0 "$PIPE" --today $TODAY report funnel
        measure "pipe report products" "$DUCK_PRODUCTS" "$PIPE" --today $TODAY report products
        measure "pipe report owners" "$DUCK_OWNERS" "$PIPE" --today $TODAY report owners
        measure "pipe report funnel --as-of 2026-06-30" "$REF_STAGES" "$PIPE" --today $TODAY report funnel --as-of 2026-06-30
        measure "pipe report forecast" "$REF_STAGES" "$PIPE" --today $TODAY report forecast
        measure "pipe report delays" "$REF_STAGES" "$PIPE" --today $TODAY report delays
        measure "pipe report movement" "$REF_STAGES" "$PIPE" --today $TODAY report movement
        measure "pipe report calibration" "$REF_STAGES" "$PIPE" --today $TODAY report calibration
    fi
    if "$PIPE" effort --help >/dev/null 2>&1; then
        measure "pipe effort" "$REF_STAGES" "$PIPE" --today $TODAY effort
    fi
    if "$PIPE" alerts --help >/dev/null 2>&1; then
        # As a table, 100 columns wide (the width when not on a terminal).
        if [ -n "$BASE" ]; then
            measure "base: pipe alerts" "$DUCK_ALERTS" env COLUMNS=100 "$BASE" --today $TODAY alerts
        fi
        measure "pipe alerts" "$DUCK_ALERTS" env COLUMNS=100 "$PIPE" --today $TODAY alerts
        measure "pipe alerts --format csv" "$DUCK_ALERTS" "$PIPE" --today $TODAY alerts --format csv
        if [ "$DUCK_STAGES" != "-" ]; then
            printf '%-44s %33s\n' "  the same, over duckdb's count per stage" "$(awk -v a="$LAST" -v b="$DUCK_STAGES" 'BEGIN { printf "%.2f", a / b }')"
        fi
        RESET="rm -f .prospects.csv.pipe-cache"
        measure "pipe alerts --format csv, first run" "$DUCK_ALERTS" "$PIPE" --today $TODAY alerts --format csv
        RESET=""
    fi
    # Every row out, as programs read it: written as the register is read.
    measure "pipe list --format csv (every row)" "$REF_STAGES" "$PIPE" --today $TODAY list --format csv
    # Every row out as a table, 100 columns wide (the width when not on a terminal).
    if [ -n "$BASE" ]; then
        measure "base: pipe list (every row, a table)" "$REF_STAGES" env COLUMNS=100 "$BASE" --today $TODAY list
    fi
    measure "pipe list (every row, a table)" "$REF_STAGES" env COLUMNS=100 "$PIPE" --today $TODAY list
    # Synced, so that writing the copies back to disk is not timed as part of the command.
    RESET="cp pristine.csv prospects.csv; cp pristine-journal.csv journal.csv; sync"
    # A prospect whose current stage may move to Perdu in the shipped pipeline.
    id=$(awk -F';' 'NR > 1 && ($2 == "Devis envoyé" || $2 == "Chaud") { print $1; exit }' prospects.csv)
    if [ -n "$BASE" ]; then
        measure "base: pipe move (one row, rewrite)" "$CAT" "$BASE" --today $TODAY move "$id" perdu --reason Prix
    fi
    measure "pipe move (one row, rewrite)" "$CAT" "$PIPE" --today $TODAY move "$id" perdu --reason Prix; ONE=$LAST
    # The other commands that change one row: a field, and a new prospect (its id after the highest).
    last=$(awk -F';' 'NR > 1 && $1 ~ /^P-[0-9]+$/ { id = $1 } END { print id }' prospects.csv)
    if [ -n "$BASE" ]; then
        measure "base: pipe set (one row, rewrite)" "$CAT" "$BASE" --today $TODAY set "$last" amount=1000
        measure "base: pipe add (one row, rewrite)" "$CAT" "$BASE" --today $TODAY add --company "Fonderie Neuve" --name "Léa Martin" --owner "Julien Marchetti"
    fi
    measure "pipe set (one row, rewrite)" "$CAT" "$PIPE" --today $TODAY set "$last" amount=1000
    measure "pipe add (one row, rewrite)" "$CAT" "$PIPE" --today $TODAY add --company "Fonderie Neuve" --name "Léa Martin" --owner "Julien Marchetti"
    # 10,000 moves in one batch, against one move.
    { echo "id,stage,reason"; awk -F';' 'NR > 1 && ($2 == "Devis envoyé" || $2 == "Chaud") { print $1 ",perdu,Prix"; if (++n == 10000) exit }' prospects.csv; } > batch.csv
    if [ -n "$BASE" ]; then
        measure "base: pipe move --batch (10,000 moves)" "$ONE" "$BASE" --today $TODAY move --batch batch.csv
    fi
    measure "pipe move --batch (10,000 moves)" "$ONE" "$PIPE" --today $TODAY move --batch batch.csv
    RESET=""
    cp pristine.csv prospects.csv; cp pristine-journal.csv journal.csv
    rm -f copy.csv batch.csv
    cd - >/dev/null
done
echo
echo "ratio: pipe's median over the reference of the same task (duckdb when installed, else the csv-crate program; for alerts duckdb computing them, benches/duckdb-alerts.sql; cat for move; one move for --batch)"
