#!/usr/bin/env bash
# casevault on a PostgreSQL server beside a vault file, whole process, in the same run:
# add a note, show a note and search over SEARCH_N notes on both backends, then WRITERS
# processes adding notes to the server vault at once. See docs/PERFORMANCE.md.
#
#   bash bench/server.sh             # 10,000 notes, 4 writers; writes docs/PERFORMANCE.md
#   QUICK=1 bash bench/server.sh     # 1,000 notes: a try-out, prints only
#
# Environment (all optional):
#   SEARCH_N     notes imported into each vault, then searched   (10000; QUICK 1000)
#   WRITERS      processes adding notes to the server at once    (4)
#   WRITER_NOTES notes each writer adds, one process a note      (25; QUICK 5)
#   RUNS         repeats of note add and search, median kept     (5)
#   SHOW_RUNS    repeats of note show, median kept               (11)
#   WORD         the word searched for                           (insomnia: ~1 note in 20)
#   WRITE_DOC    1 writes the results into docs/PERFORMANCE.md   (1; QUICK 0)
#   PG_BINDIR    PostgreSQL's programs (initdb, pg_ctl, psql)    (the highest
#                /usr/lib/postgresql/*/bin, else PATH)
#   CARGO_TARGET_DIR  where cargo builds casevault (target/)
#
# The server is private to the run: initdb in a new temporary directory, listening on a
# Unix socket in that directory only (no TCP), fsync and synchronous_commit on, the role
# `casevault` trusted on the socket. As root, initdb and pg_ctl run as the system user
# `postgres` (runuser), since PostgreSQL refuses to run as root. The server is stopped
# and the directory removed when the script ends, whether it succeeds or fails.
#
# Times are wall-clock seconds of the whole process, from start to exit, KDF included
# (casevault accepts no KDF cheaper than its default: Argon2id, 64 MiB, t = 3, p = 4).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    SEARCH_N=${SEARCH_N:-1000}; WRITER_NOTES=${WRITER_NOTES:-5}; WRITE_DOC=${WRITE_DOC:-0}
else
    SEARCH_N=${SEARCH_N:-10000}; WRITER_NOTES=${WRITER_NOTES:-25}; WRITE_DOC=${WRITE_DOC:-1}
fi
WRITERS=${WRITERS:-4}
RUNS=${RUNS:-5}
SHOW_RUNS=${SHOW_RUNS:-11}
WORD=${WORD:-insomnia}
export CASEVAULT_PASSPHRASE="bench passphrase, not a secret"
unset CASEVAULT_PASSPHRASE_FILE CASEVAULT_VAULT CASEVAULT_MEMBER PGPASSFILE PGSSLROOTCERT

log() { printf '\n== %s\n' "$*" >&2; }
trap 'echo "bench/server.sh: a command failed at line $LINENO" >&2' ERR

# --- what it needs --------------------------------------------------------------------
if [ -z "${PG_BINDIR:-}" ]; then
    PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$PG_BINDIR" ] || PG_BINDIR=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
fi
for p in initdb pg_ctl psql postgres; do
    [ -x "$PG_BINDIR/$p" ] || {
        echo "bench/server.sh needs PostgreSQL's server programs ($p not in $PG_BINDIR)" >&2
        echo "install them with: sudo apt-get install postgresql (or set PG_BINDIR)" >&2
        exit 1
    }
done
command -v python3 >/dev/null || { echo "bench/server.sh needs python3" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo is needed to build casevault (https://rustup.rs)" >&2; exit 1; }

log "building casevault (release)"
(cd "$ROOT" && cargo build --release --locked --bin casevault >&2)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
CV="$TARGET/release/casevault"

# --- the private server ---------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/casevault-server-bench.XXXXXX")
AS_PG=()
if [ "$(id -u)" -eq 0 ]; then
    AS_PG=(runuser -u postgres --)
    chown postgres "$WORK"
fi
PGDATA_DIR="$WORK/data"
SOCK="$WORK/sock"
PORT=5432   # with the socket directory, names the socket file; no TCP is opened
stop_server() {
    if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
        "${AS_PG[@]}" "$PG_BINDIR/pg_ctl" stop -D "$PGDATA_DIR" -m immediate -s >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap stop_server EXIT
trap 'exit 130' INT TERM
echo "scratch directory (removed at the end): $WORK" >&2

log "starting a private PostgreSQL server ($("$PG_BINDIR/postgres" --version))"
"${AS_PG[@]}" mkdir -m 0700 "$SOCK"
"${AS_PG[@]}" "$PG_BINDIR/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null
"${AS_PG[@]}" tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOF

# bench/server.sh: a Unix socket only, durable commits
listen_addresses = ''
unix_socket_directories = '$SOCK'
port = $PORT
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
EOF
printf 'local all all trust\n' | "${AS_PG[@]}" tee "$PGDATA_DIR/pg_hba.conf" >/dev/null
"${AS_PG[@]}" "$PG_BINDIR/pg_ctl" start -D "$PGDATA_DIR" -l "$WORK/server.log" -w -t 60 -s
psql_su() { "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres "$@"; }
psql_su -d postgres -c "CREATE ROLE casevault LOGIN" -c "CREATE DATABASE bench OWNER casevault"
SERVER="postgresql://casevault@/bench?host=$SOCK&port=$PORT"
FILE="$WORK/bench.casevault"
PG_VERSION=$(psql_su -d postgres -At -c "SHOW server_version")

# --- timing ---------------------------------------------------------------------------
# run NAME CMD...: runs CMD once; stdout to $WORK/NAME.out, stderr to $WORK/NAME.err;
# sets SECS (wall, from the shell's clock). A command that fails stops the script.
run() {
    local name=$1; shift
    local start end status=0
    start=$(date +%s%N)
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || status=$?
    end=$(date +%s%N)
    if [ "$status" -ne 0 ]; then
        echo "failed ($status): $*" >&2
        tail -n 20 "$WORK/$name.err" >&2
        exit 1
    fi
    SECS=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')
}

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
declare -A T   # T[key] = seconds

# alternate KEY N CMD_FILE... -- CMD_SERVER...: N runs of each, alternating, so that a
# change of load falls on both; keeps the medians as T[KEY_file] and T[KEY_server].
# Each command is given as one string, evaluated with the run number in $i.
alternate() {
    local key=$1 n=$2 file_cmd=$3 server_cmd=$4
    local ft=() st=() i
    for ((i = 1; i <= n; i++)); do
        run "$key-file" eval "$file_cmd"; ft+=("$SECS")
        run "$key-server" eval "$server_cmd"; st+=("$SECS")
    done
    T[${key}_file]=$(median "${ft[@]}")
    T[${key}_server]=$(median "${st[@]}")
    printf '  %-12s file %7.3f s  server %7.3f s  (file: %s; server: %s)\n' "$key" \
        "${T[${key}_file]}" "${T[${key}_server]}" "${ft[*]}" "${st[*]}" >&2
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    echo "warning: load average $LOAD_BEFORE on $(nproc) cores: other work will slow the timings" >&2
fi

# --- the two vaults -------------------------------------------------------------------
log "generating $SEARCH_N notes"
python3 "$ROOT/bench/gen_notes.py" --count "$SEARCH_N" --seed 6 --rare "$WORD" --dir "$WORK/notes" >&2
NOTE_FILE=$(find "$WORK/notes" -name '*.md' | sort | awk 'NR == 1')  # (awk: head would fail the pipeline under pipefail)

log "a vault file and a server vault, $SEARCH_N notes each (imports timed for information)"
"$CV" --vault "$FILE" init >/dev/null
"$CV" --vault "$SERVER" init >/dev/null
C_FILE=$("$CV" --vault "$FILE" client add --name "Ada Example")
C_SERVER=$("$CV" --vault "$SERVER" client add --name "Ada Example")
run import-file "$CV" --vault "$FILE" --json note import --client "$C_FILE" "$WORK/notes"
T[import_file]=$SECS
run import-server "$CV" --vault "$SERVER" --json note import --client "$C_SERVER" "$WORK/notes"
T[import_server]=$SECS
printf '  %-12s file %7.3f s  server %7.3f s\n' import "${T[import_file]}" "${T[import_server]}" >&2
middle_id() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["imported"][len(r["imported"])//2][1])' "$1"; }
N_FILE=$(middle_id "$WORK/import-file.out")
N_SERVER=$(middle_id "$WORK/import-server.out")

# --- one process per operation, alternating the backends ------------------------------
log "note add, note show, search '$WORD' (medians)"
alternate add "$RUNS" \
    '"$CV" --vault "$FILE" note add --client "$C_FILE" --date 2026-03-01 --file "$NOTE_FILE"' \
    '"$CV" --vault "$SERVER" note add --client "$C_SERVER" --date 2026-03-01 --file "$NOTE_FILE"'
alternate show "$SHOW_RUNS" \
    '"$CV" --vault "$FILE" note show "$N_FILE"' \
    '"$CV" --vault "$SERVER" note show "$N_SERVER"'
alternate search "$RUNS" \
    '"$CV" --vault "$FILE" --json search "$WORD" --client "$C_FILE"' \
    '"$CV" --vault "$SERVER" --json search "$WORD" --client "$C_SERVER"'
hits() { python3 -c 'import json,sys; print(len({h["note"] for h in json.load(open(sys.argv[1]))}))' "$1"; }
HITS_FILE=$(hits "$WORK/search-file.out")
HITS_SERVER=$(hits "$WORK/search-server.out")
echo "  notes matching: file $HITS_FILE, server $HITS_SERVER" >&2
[ "$HITS_FILE" = "$HITS_SERVER" ] || { echo "the two searches disagree" >&2; exit 1; }

# --- concurrent writers ---------------------------------------------------------------
# WRITERS processes at once, each adding WRITER_NOTES notes one process after another,
# to the server vault; then the same with one writer, for the rate of a lone machine.
writers() { # COUNT NOTES_EACH: sets SECS for the whole batch
    local count=$1 each=$2 start end w pids=() failed=0
    start=$(date +%s%N)
    for ((w = 1; w <= count; w++)); do
        (
            for ((k = 1; k <= each; k++)); do
                "$CV" --vault "$SERVER" note add --client "$C_SERVER" --date 2026-03-02 \
                    --file "$NOTE_FILE" >/dev/null 2>>"$WORK/writer-$w.err" || exit 1
            done
        ) &
        pids+=($!)
    done
    for w in "${pids[@]}"; do wait "$w" || failed=1; done
    end=$(date +%s%N)
    if [ "$failed" -ne 0 ]; then
        echo "a writer failed:" >&2; cat "$WORK"/writer-*.err >&2; exit 1
    fi
    SECS=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')
}
log "1 writer, then $WRITERS writers at once, $WRITER_NOTES notes each, on the server"
before=$("$CV" --vault "$SERVER" --json note list --client "$C_SERVER" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
writers 1 "$WRITER_NOTES"; T[writer_1]=$SECS
writers "$WRITERS" "$WRITER_NOTES"; T[writers_n]=$SECS
after=$("$CV" --vault "$SERVER" --json note list --client "$C_SERVER" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expected=$((before + WRITER_NOTES * (WRITERS + 1)))
echo "  notes before $before, after $after (expected $expected)" >&2
[ "$after" = "$expected" ] || { echo "notes were lost or doubled by concurrent writers" >&2; exit 1; }
RATE_1=$(awk -v n="$WRITER_NOTES" -v s="${T[writer_1]}" 'BEGIN { printf "%.1f", n / s }')
RATE_N=$(awk -v n="$((WRITER_NOTES * WRITERS))" -v s="${T[writers_n]}" 'BEGIN { printf "%.1f", n / s }')
echo "  1 writer: $RATE_1 notes/s; $WRITERS writers: $RATE_N notes/s" >&2

log "audit verify on both (the server's after the concurrent writers)"
run verify-file "$CV" --vault "$FILE" --json audit verify; T[verify_file]=$SECS
run verify-server "$CV" --vault "$SERVER" --json audit verify; T[verify_server]=$SECS
read -r EV_FILE REC_FILE < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["events"], r["records"])' "$WORK/verify-file.out")
read -r EV_SERVER REC_SERVER < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["events"], r["records"])' "$WORK/verify-server.out")

# --- the table --------------------------------------------------------------------------
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
[ -n "$CPU" ] || CPU=$(uname -m)
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(cd "$ROOT" && git status --porcelain 2>/dev/null | grep -q . && echo " + local changes" || true)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ms() { awk -v s="$1" 'BEGIN { if (s < 1) printf "%.0f ms", s * 1000; else printf "%.2f s", s }'; }
thousands() { printf '%s' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
row() { # LABEL KEY
    printf '| %s | %s | %s | %s |\n' "$1" "$(ms "${T[${2}_file]}")" "$(ms "${T[${2}_server]}")" \
        "$(ratio "${T[${2}_server]}" "${T[${2}_file]}")"
}
{
    printf 'Run %s by `bench/server.sh`, casevault %s%s; %s cores (%s); PostgreSQL %s on a Unix socket (fsync and synchronous_commit on), beside a vault file on the same disk. Whole processes, wall clock, the default KDF included (Argon2id, 64 MiB, t = 3, p = 4: the least casevault accepts); medians of %s runs (note show: %s), the two backends alternating. Load average before the run %s, after %s.\n\n' \
        "$(date -u '+%Y-%m-%d %H:%M UTC')" "$REV" "$DIRTY" "$(nproc)" "$CPU" "$PG_VERSION" "$RUNS" "$SHOW_RUNS" "$LOAD_BEFORE" "$LOAD_AFTER"
    printf '| one process, %s notes in the vault | file (SQLite) | server (PostgreSQL) | server ÷ file |\n|---|---|---|---|\n' "$(thousands "$SEARCH_N")"
    row "add a note (\`note add\`, about 2 KiB)" add
    row "show a note (\`note show\`)" show
    row "search \`$WORD\` ($HITS_FILE notes match)" search
    row "import the $(printf "%'d" "$SEARCH_N") notes (one process, building the vault)" import
    printf '| audit verify (file: %s events, %s records; server: %s events, %s records) | %s | %s | %s |\n' \
        "$EV_FILE" "$REC_FILE" "$EV_SERVER" "$REC_SERVER" "$(ms "${T[verify_file]}")" "$(ms "${T[verify_server]}")" \
        "$(ratio "${T[verify_server]}" "${T[verify_file]}")"
    printf '\n| writers on the server (one `note add` process a note, one after another per writer) | notes | time | notes/second |\n|---|---|---|---|\n'
    printf '| 1 writer | %s | %s | %s |\n' "$WRITER_NOTES" "$(ms "${T[writer_1]}")" "$RATE_1"
    printf '| %s writers at once | %s | %s | %s |\n' "$WRITERS" "$((WRITER_NOTES * WRITERS))" "$(ms "${T[writers_n]}")" "$RATE_N"
} >"$WORK/results.md"
cat "$WORK/results.md"

if [ "$WRITE_DOC" = 1 ]; then
    python3 - "$ROOT/docs/PERFORMANCE.md" "$WORK/results.md" <<'EOF'
import sys
doc, results = sys.argv[1], open(sys.argv[2]).read().strip()
start, end = "<!-- server:start -->", "<!-- server:end -->"
text = open(doc).read()
block = f"{start}\n{results}\n{end}"
if start in text and end in text:
    text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
open(doc, "w").write(text)
EOF
    echo "results written into docs/PERFORMANCE.md" >&2
fi
