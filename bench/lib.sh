# shellcheck shell=bash disable=SC2034
# (SC2034: the variables the helpers set, e.g. fixture_db, server_ready_s, are read by the
# scripts that source this file.)
# Shared helpers of scripts/bench-ingest, scripts/bench-api and scripts/bench-runs (sourced, not
# run). Everything a benchmark starts (renewmatchd, nginx) is started here with its own temp
# paths, recorded by pid, and stopped by pid on exit.
#
# Conventions: Release build in build/bench-rel (RENEWMATCH_BENCH_BUILD overrides) of this
# checkout (RENEWMATCH_BENCH_SOURCE=DIR builds another source tree instead, e.g. a `git archive`
# snapshot of one commit while the working tree is being edited; then set RENEWMATCH_BENCH_BUILD
# to a build dir of its own too); generated
# inputs and cached databases in .cache/bench/; each run's summary in
# .cache/bench/results/<bench>-<UTC time>.txt (printed at the end of every run).

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_build_dir=${RENEWMATCH_BENCH_BUILD:-$bench_root/build/bench-rel}
# Where the helper tools (bench/renewmatch_ingest_baseline) come from: the candidate's build, also
# when a comparison run measures a base build that has no benchmarks (bench_compare sets it).
bench_tools_dir=${RENEWMATCH_BENCH_TOOLS:-$bench_build_dir}
bench_cache=$bench_root/.cache/bench
# The fixture's development keys: set by bench_bootstrap (admin_key) or by sourcing a fixture's
# PATH.keys (see bench_fixture_db).
admin_key='' supplier_key='' buyer_key=''
bench_bin=$bench_build_dir/server
mkdir -p "$bench_cache/results"

bench_log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
bench_die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

# Installs missing packages, configures the Release build (benchmarks on, tests off) and builds
# the named targets, quietly unless something fails. Warnings are not errors here (as in
# scripts/run): GCC 12's -O2-only false positives must not stop a measurement; CI keeps -Werror.
# RENEWMATCH_BENCH_PREBUILT=1 skips configuring and building and uses the binaries already in
# RENEWMATCH_BENCH_BUILD (e.g. the Release build of an older commit, to compare old and new
# binaries on copies of the same database; RENEWMATCH_BENCH_LABEL then names what was built).
bench_build() {
    if [[ -n ${RENEWMATCH_BENCH_PREBUILT:-} ]]; then
        local t
        for t in "$@"; do
            case $t in
                renewmatchd | renewmatch) [[ -x $bench_bin/$t ]] || bench_die "RENEWMATCH_BENCH_PREBUILT: no $bench_bin/$t" ;;
                *) [[ -x $bench_tools_dir/bench/$t ]] || bench_die "RENEWMATCH_BENCH_PREBUILT: no $bench_tools_dir/bench/$t" ;;
            esac
        done
        bench_log "using the prebuilt binaries in $bench_build_dir (${RENEWMATCH_BENCH_LABEL:-no label})"
        return
    fi
    "$bench_root/scripts/setup-deps" --bench
    local log=$bench_cache/build.log
    if ! cmake -S "${RENEWMATCH_BENCH_SOURCE:-$bench_root}" -B "$bench_build_dir" -DCMAKE_BUILD_TYPE=Release \
        -DRENEWMATCH_BUILD_BENCHMARKS=ON -DRENEWMATCH_BUILD_TESTS=OFF \
        -DRENEWMATCH_WARNINGS_AS_ERRORS=OFF >"$log" 2>&1; then
        cat "$log" >&2
        bench_die "configuring $bench_build_dir failed"
    fi
    bench_log "building $* (Release, $bench_build_dir)"
    if ! cmake --build "$bench_build_dir" -j "${RENEWMATCH_JOBS:-2}" --target "$@" >"$log" 2>&1; then
        tail -40 "$log" >&2
        bench_die "building $* failed (log: $log)"
    fi
}

# One temp dir per run with a fresh development certificate; removed on exit with everything
# the run started.
bench_tmp=
bench_pids=()
bench_cleanup() {
    local pid
    for pid in "${bench_pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    [[ -n $bench_tmp && -z ${RENEWMATCH_BENCH_KEEP:-} ]] && rm -rf "$bench_tmp"
    [[ -n $bench_tmp && -n ${RENEWMATCH_BENCH_KEEP:-} ]] && echo "kept $bench_tmp" >&2
    return 0
}
bench_init_tmp() {
    bench_tmp=$(mktemp -d "${TMPDIR:-/tmp}/renewmatch-bench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    "$bench_root/scripts/gen-test-cert.sh" "$bench_tmp/tls"
}

# KiB values from /proc/PID/status: bench_status_kib PID VmHWM
bench_status_kib() {
    awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

# Starts renewmatchd on a free loopback port: bench_start_server DB LOG [extra flags...].
# Sets server_pid, server_port, server_url, server_started (epoch seconds, fractional).
bench_start_server() {
    local db=$1 log=$2
    shift 2
    server_started=$(date +%s.%N)
    "$bench_bin/renewmatchd" --listen 127.0.0.1:0 --db "$db" \
        --tls-cert "$bench_tmp/tls/cert.pem" --tls-key "$bench_tmp/tls/key.pem" \
        --data-dir "$bench_root/data" --rate-limit-per-second 0 "$@" >"$log" 2>&1 &
    server_pid=$!
    bench_pids+=("$server_pid")
    server_port=
    for _ in $(seq 1200); do
        server_port=$(sed -n 's/.*listening on https:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
        [[ -n $server_port ]] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; bench_die "renewmatchd exited at start"; }
        sleep 0.1
    done
    [[ -n $server_port ]] || bench_die "renewmatchd did not log its port within 120 s"
    server_url=https://127.0.0.1:$server_port
}

# Waits until /readyz answers 200 (at most $1 seconds); sets server_ready_s (seconds since start).
bench_wait_ready() {
    local limit=${1:-600} code deadline
    deadline=$(($(date +%s) + limit))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$bench_tmp/tls/cert.pem" \
            "$server_url/readyz" || true)
        [[ $code == 200 ]] && break
        kill -0 "$server_pid" 2>/dev/null || bench_die "renewmatchd exited before it was ready"
        (($(date +%s) < deadline)) || bench_die "renewmatchd not ready after ${limit}s"
        sleep 0.2
    done
    server_ready_s=$(echo "$(date +%s.%N) $server_started" | awk '{printf "%.1f", $1 - $2}')
}

bench_stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

# bench_api METHOD PATH KEY [curl args...]: prints the body; fails on a status >= 400.
bench_api() {
    local method=$1 path=$2 key=$3
    shift 3
    local out code
    out=$(mktemp "$bench_tmp/resp.XXXXXX")
    code=$(curl -sS -o "$out" -w '%{http_code}' --cacert "$bench_tmp/tls/cert.pem" -X "$method" \
        -H "Authorization: Bearer $key" "$@" "$server_url$path") || bench_die "curl $method $path failed"
    if ((code >= 400)); then
        head -c 2000 "$out" >&2
        echo >&2
        bench_die "$method $path: HTTP $code"
    fi
    cat "$out"
    rm -f "$out"
}

# A fresh database with an administrator key: bench_bootstrap DB; sets admin_key.
bench_bootstrap() {
    "$bench_bin/renewmatch" db migrate --db "$1" >/dev/null
    admin_key=$("$bench_bin/renewmatch" admin bootstrap --db "$1" | grep '^rmk_' | tail -1)
    [[ -n $admin_key ]] || bench_die "admin bootstrap printed no key"
}

# Creates an organisation and a key through the API (server running, admin_key set):
# bench_org KIND USCC NAME ROLE; prints "ORG_ID KEY".
bench_org() {
    local kind=$1 uscc=$2 name=$3 role=$4 org id key
    org=$(bench_api POST /v1/orgs "$admin_key" -H 'Content-Type: application/json' \
        -d "{\"name\":\"$name\",\"kind\":\"$kind\",\"uscc\":\"$uscc\",\"region\":\"320500\",\"sector\":\"3421\"}")
    id=$(sed -n 's/^{"id":\([0-9]*\).*/\1/p' <<<"$org")
    [[ -n $id ]] || bench_die "creating organisation $name: unexpected answer $org"
    key=$(bench_api POST "/v1/orgs/$id/keys" "$admin_key" -H 'Content-Type: application/json' \
        -d "{\"role\":\"$role\",\"name\":\"bench\"}" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
    [[ -n $key ]] || bench_die "creating a $role key for organisation $id failed"
    echo "$id $key"
}

# The reference date of generated lists: today (UTC) unless RENEWMATCH_BENCH_TODAY says
# otherwise. Lists generated for another day have expired prices and closed response deadlines
# by the server's clock, and every match is then eliminated by the hard filters.
bench_today=${RENEWMATCH_BENCH_TODAY:-$(date -u +%F)}

# Generated lists (scripts/demo-data --today $bench_today), cached by kind, count, seed and day:
# bench_demo_file supply|demand COUNT SEED; prints the path of the JSON list.
bench_demo_file() {
    local kind=$1 count=$2 seed=$3 dir stem
    dir=$bench_cache/demo/$kind-$count-s$seed-$bench_today
    [[ $kind == demand ]] && stem=demand || stem=supply
    if [[ ! -s $dir/$stem.json ]]; then
        bench_log "generating $count $kind lines (scripts/demo-data --seed $seed)"
        rm -rf "$dir.tmp"
        mkdir -p "$dir.tmp"
        if [[ $kind == demand ]]; then
            "$bench_root/scripts/demo-data" --demands "$count" --supply 0 --projects 0 \
                --seed "$seed" --today "$bench_today" --out "$dir.tmp" >/dev/null
        else
            "$bench_root/scripts/demo-data" --demands 0 --supply "$count" --projects 0 \
                --seed "$seed" --today "$bench_today" --out "$dir.tmp" >/dev/null
        fi
        rm -rf "$dir"
        mv "$dir.tmp" "$dir"
    fi
    echo "$dir/$stem.json"
}

# Median of the numbers given as arguments.
bench_median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Which source was built, for the summaries.
bench_source_note() {
    if [[ -n ${RENEWMATCH_BENCH_LABEL:-} ]]; then
        echo "source: $RENEWMATCH_BENCH_LABEL (binaries in $bench_build_dir)"
    elif [[ -n ${RENEWMATCH_BENCH_PREBUILT:-} ]]; then
        echo "source: prebuilt binaries in $bench_build_dir (commit not recorded; set RENEWMATCH_BENCH_LABEL)"
    elif [[ -n ${RENEWMATCH_BENCH_SOURCE:-} ]]; then
        echo "source: snapshot $RENEWMATCH_BENCH_SOURCE ($(cat "$RENEWMATCH_BENCH_SOURCE/.bench-source" 2>/dev/null || echo 'origin not recorded'))"
    else
        echo "source: commit $(git -C "$bench_root" rev-parse --short HEAD)$(git -C "$bench_root" diff --quiet HEAD -- 2>/dev/null || echo ' + uncommitted changes')"
    fi
}

# Machine note for the summaries.
bench_machine() {
    echo "machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), $(bench_source_note)"
}

# Publishes a JSON list file through the API: bench_publish KEY FILE; checks 201/200.
bench_publish() {
    local key=$1 file=$2 out code t
    out=$bench_tmp/publish.out
    read -r code t < <(curl -sS -o "$out" -w '%{http_code} %{time_total}\n' \
        --cacert "$bench_tmp/tls/cert.pem" -H "Authorization: Bearer $key" \
        -H 'Content-Type: application/json' --data-binary @"$file" "$server_url/v1/lists")
    if [[ $code != 201 && $code != 200 ]]; then
        head -c 2000 "$out" >&2
        echo >&2
        bench_die "publishing $file: HTTP $code"
    fi
    bench_log "published $(basename "$(dirname "$file")")/$(basename "$file") in ${t}s"
}

# Brings a copy of a cached database to the schema of the binaries under test (a fixture seeded
# by an older build lacks newer migrations; renewmatchd and match-run would otherwise migrate it
# at start and count that in their times): bench_migrate_copy DB. Sets migrate_note ("" when
# nothing was pending).
bench_migrate_copy() {
    local out t0
    t0=$(date +%s.%N)
    out=$("$bench_bin/renewmatch" db migrate --db "$1") || bench_die "renewmatch db migrate --db $1 failed"
    migrate_note=
    if [[ $out == migrated* ]]; then
        migrate_note="$out ($(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}') s, before the measurement)"
        bench_log "$migrate_note"
    fi
}

# Copies the cached fixture ($fixture_db) to DEST at the schema of the binaries under test. When a
# migration is pending, the migrated fixture is cached beside it (NAME-schemaN.db, N = the
# binaries' schema version) so that later runs copy it instead of migrating again (the cached
# fixture itself is never modified). Sets migrate_note. bench_copy_fixture DEST
bench_copy_fixture() {
    local dest=$1 probe=$bench_tmp/schema-probe.db out target cached
    out=$("$bench_bin/renewmatch" db migrate --db "$probe") || bench_die "renewmatch db migrate on an empty database failed"
    rm -f "$probe"*
    target=${out##* to }
    [[ $target =~ ^[0-9]+$ ]] || bench_die "unexpected answer of renewmatch db migrate: $out"
    cached=${fixture_db%.db}-schema$target.db
    if [[ -s $cached ]]; then
        cp "$cached" "$dest"
        migrate_note="copied $(basename "$cached") (the fixture migrated to schema $target by an earlier run)"
        bench_log "$migrate_note"
        return
    fi
    cp "$fixture_db" "$dest"
    bench_migrate_copy "$dest"
    if [[ -n $migrate_note && ! -e $dest-wal ]]; then
        cp "$dest" "$cached.tmp"
        mv "$cached.tmp" "$cached"
    fi
}

# Lines per published list when seeding (the server's default lines-per-list limit is 200,000).
bench_chunk=200000

# A database with SUPPLY supply lines (one supplier, SUPPLY/200,000 series) and DEMANDS demand
# lines (one buyer), all published through the API of a Release renewmatchd, cached in
# .cache/bench/db/ by sizes and seed: bench_fixture_db SUPPLY DEMANDS SEED. Sets fixture_db
# (call it directly, not in $(...), so the cleanup trap sees the servers it starts); beside it PATH.keys (shell assignments admin_key, supplier_key, buyer_key: development keys of
# this generated database only). The supply-only database is cached too and reused for other
# demand counts. Cached per day (bench_today): the lists' dates are relative to it. Needs bench_init_tmp (the certificate).
bench_fixture_db() {
    local supply=$1 demands=$2 seed=$3 dir=$bench_cache/db
    local base=$dir/supply-$supply-s$seed-$bench_today.db
    local out=$dir/fixture-$supply-$demands-s$seed-$bench_today.db
    mkdir -p "$dir"
    fixture_db=$out
    if [[ -s $out && -s $out.keys ]]; then
        return
    fi
    if [[ ! -s $base || ! -s $base.keys ]]; then
        bench_log "seeding $supply supply lines into $base (through the API; cached)"
        local tmpdb=$base.tmp sup buy k n file
        rm -f "$tmpdb"*
        bench_bootstrap "$tmpdb"
        bench_start_server "$tmpdb" "$bench_tmp/seed-supply.log"
        read -r _ sup < <(bench_org supplier 91310000132200821H "无锡精机装备有限公司" supplier)
        read -r _ buy < <(bench_org buyer 91110000710935732K "苏州新能源汽车集团有限公司" buyer)
        [[ -n $sup && -n $buy ]] || bench_die "creating the fixture organisations failed"
        k=0
        while ((k * bench_chunk < supply)); do
            n=$((supply - k * bench_chunk))
            ((n > bench_chunk)) && n=$bench_chunk
            file=$(bench_demo_file supply "$n" "$((seed * 100 + k))")
            bench_publish "$sup" "$file"
            k=$((k + 1))
        done
        bench_stop_server
        printf 'admin_key=%s\nsupplier_key=%s\nbuyer_key=%s\n' "$admin_key" "$sup" "$buy" >"$tmpdb.keys"
        [[ ! -e $tmpdb-wal ]] || bench_die "the seeding server left a WAL file behind"
        mv "$tmpdb.keys" "$base.keys"
        mv "$tmpdb" "$base"
    fi
    if ((demands == 0)); then
        cp "$base" "$out.tmp"
    else
        bench_log "adding $demands demand lines: $out (through the API; cached)"
        cp "$base" "$out.tmp"
        # shellcheck disable=SC1090
        source "$base.keys"
        bench_start_server "$out.tmp" "$bench_tmp/seed-demand.log"
        local k=0 n file
        while ((k * bench_chunk < demands)); do
            n=$((demands - k * bench_chunk))
            ((n > bench_chunk)) && n=$bench_chunk
            file=$(bench_demo_file demand "$n" "$((seed * 100 + k))")
            bench_publish "$buyer_key" "$file"
            k=$((k + 1))
        done
        bench_stop_server
    fi
    [[ ! -e $out.tmp-wal ]] || bench_die "the seeding server left a WAL file behind"
    cp "$base.keys" "$out.keys"
    mv "$out.tmp" "$out"
}

# ---- wrk against a running server (bench-api, bench-runs --during-run) ----
# Settings of every bench_wrk run (the callers set them from their options).
wrk_threads=2
wrk_connections=64
wrk_notes=()

# bench_wrk NAME URL SECONDS [wrk args...]: one wrk run over HTTPS with keep-alive; sets
# wrk_rps, wrk_p99_ms (">N" when it is known only to exceed N ms), wrk_requests; adds a line to
# wrk_notes; fails on wrk errors or non-2xx answers. Output kept in $bench_tmp/wrk-NAME.txt.
bench_wrk() {
    local name=$1 url=$2 d=$3 out timeouts
    shift 3
    out=$bench_tmp/wrk-$name.txt
    # --timeout 30s: a slow answer is measured, not dropped (wrk's default 2 s would discard the
    # slowest requests from the latency distribution and flatter p99).
    wrk -t"$wrk_threads" -c"$wrk_connections" -d"${d}s" --timeout 30s --latency "$@" "$url" >"$out" 2>&1 ||
        { cat "$out" >&2; bench_die "wrk $name failed"; }
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        cat "$out" >&2
        bench_die "wrk $name: some answers were not 2xx (see above)"
    fi
    wrk_errors=$(sed -n 's/^ *Socket errors: *//p' "$out")
    [[ -n $wrk_errors ]] && bench_log "wrk $name: socket errors $wrk_errors"
    wrk_requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$out")
    timeouts=$(sed -n 's/.*timeout \([0-9]*\).*/\1/p' <<<"$wrk_errors")
    wrk_rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    wrk_p99_ms=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000}
        else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}
        printf "%.2f", v}' "$out")
    if [[ $wrk_requests == 0 ]]; then
        # Nothing finished within the run: the latency is longer than the run itself.
        wrk_p99_ms=">$((d * 1000))"
        bench_log "wrk $name: no request finished within ${d}s"
    else
        if ((${timeouts:-0} * 100 >= wrk_requests)); then
            # wrk leaves timed-out requests out of its latency histogram: with >= 1 % of them
            # the true p99 is at least the timeout.
            wrk_p99_ms=">30000"
        fi
        bench_log "wrk $name: $wrk_rps req/s, p99 $wrk_p99_ms ms ($wrk_requests requests)"
    fi
    wrk_notes+=("$name: $wrk_requests requests${wrk_errors:+, socket errors $wrk_errors}")
    return 0
}

# Waits (at most 300 s) until renewmatchd ($server_pid) uses less than 5 % of a core over a
# second: requests wrk abandoned at its deadline are still being computed, and must not slow
# the next measurement.
bench_wait_idle() {
    local before after hz waited=0
    hz=$(getconf CLK_TCK)
    while ((waited < 300)); do
        before=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
        sleep 1
        after=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
        ((after - before < hz / 20)) && break
        waited=$((waited + 1))
    done
    ((waited == 0)) || bench_log "server busy with abandoned requests for ${waited}s after the run"
}

# Ratio a / b with 3 decimals ("nan" when b is 0 or empty): bench_ratio A B
bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "nan"; else printf "%.3f", a / b}'
}

# ---- same-run comparison of a base build and the candidate (every bench script) ----
# Every script accepts, before or among its own arguments:
#   --base DIR          a build dir with server/renewmatch and server/renewmatchd of the code to
#                       compare against (e.g. /work/base2/build, a Release build of an older
#                       commit; it needs no benchmark targets: tools come from the candidate);
#   --base-label TEXT   what DIR is, for the summaries (e.g. "a537f4a Release");
#   --rounds N          rounds of the comparison (default 1).
# (or RENEWMATCH_BENCH_BASE / _BASE_LABEL / _ROUNDS). The candidate is what bench_build builds or,
# with RENEWMATCH_BENCH_PREBUILT, the binaries in RENEWMATCH_BENCH_BUILD. With a base, the
# script runs itself once per round and build, alternating (round 1: base then candidate; round
# 2: candidate then base; ...), each child run complete on its own (own copy of the database,
# own servers, own summary file) with one build's binaries, and then prints both builds' numbers
# side by side (values per round, medians, candidate / base) with the load average before every
# child run, into .cache/bench/results/<bench>-compare-<UTC time>.txt.
bench_base_dir=${RENEWMATCH_BENCH_BASE:-}
bench_base_label=${RENEWMATCH_BENCH_BASE_LABEL:-}
bench_rounds=${RENEWMATCH_BENCH_ROUNDS:-1}
bench_args=()
# bench_common_args "$@": takes the comparison options off the arguments; the rest goes to
# bench_args (the script then does: set -- "${bench_args[@]}").
bench_common_args() {
    bench_args=()
    while (($#)); do
        case $1 in
            --base) bench_base_dir=$2; shift ;;
            --base-label) bench_base_label=$2; shift ;;
            --rounds) bench_rounds=$2; shift ;;
            *) bench_args+=("$1") ;;
        esac
        shift
    done
    [[ $bench_rounds =~ ^[1-9][0-9]*$ ]] || bench_die "--rounds needs a positive number"
}

# bench_emit KEY VALUE: one number of this run for a comparing parent (no-op otherwise).
bench_emit() {
    [[ -z ${RENEWMATCH_BENCH_EMIT:-} ]] || echo "$1 $2" >>"$RENEWMATCH_BENCH_EMIT"
}

# bench_compare TARGETS...: when a base build is given and this is not already a child run,
# builds the candidate's TARGETS, runs the comparison described above and exits; otherwise
# returns at once. Call it after parsing the arguments, before anything else is measured.
bench_compare() {
    [[ -n $bench_base_dir && -z ${RENEWMATCH_BENCH_CHILD:-} ]] || return 0
    local t
    for t in renewmatch renewmatchd; do
        [[ -x $bench_base_dir/server/$t ]] || bench_die "--base $bench_base_dir: no server/$t there"
    done
    bench_build "$@"
    local name cand_label base_label emit_dir round v dir label order result stamp
    name=$(basename "$0")
    name=${name#bench-}
    cand_label=${RENEWMATCH_BENCH_LABEL:-$(bench_source_note | sed 's/^source: //')}
    base_label=${bench_base_label:-binaries in $bench_base_dir}
    emit_dir=$(mktemp -d "${TMPDIR:-/tmp}/renewmatch-compare.XXXXXX")
    local loads=()
    for round in $(seq "$bench_rounds"); do
        if ((round % 2)); then order=(base candidate); else order=(candidate base); fi
        for v in "${order[@]}"; do
            if [[ $v == base ]]; then dir=$bench_base_dir label="base: $base_label"; else dir=$bench_build_dir label="candidate: $cand_label"; fi
            loads+=("round $round $v: started $(date -u +%H:%M:%S), uptime: $(uptime | sed 's/^ *//')")
            bench_log "comparison round $round of $bench_rounds: $label"
            RENEWMATCH_BENCH_CHILD=1 RENEWMATCH_BENCH_PREBUILT=1 RENEWMATCH_BENCH_BUILD=$dir \
                RENEWMATCH_BENCH_TOOLS=$bench_build_dir RENEWMATCH_BENCH_LABEL=$label \
                RENEWMATCH_BENCH_EMIT=$emit_dir/$v-$round.txt \
                "$0" "${bench_args[@]}" || bench_die "the $v run of round $round failed"
        done
    done
    loads+=("end: $(date -u +%H:%M:%S), uptime: $(uptime | sed 's/^ *//')")
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    result=$bench_cache/results/$name-compare-$stamp.txt
    {
        echo "== renewmatch $name benchmark: base and candidate in the same run =="
        echo "command: $(basename "$0") ${bench_args[*]} --base $bench_base_dir --rounds $bench_rounds"
        echo "base: $base_label"
        echo "candidate: $cand_label (binaries in $bench_build_dir)"
        printf '%s\n' "${loads[@]}"
        echo
        python3 - "$emit_dir" "$bench_rounds" <<'PY'
import os, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])
keys, vals = [], {}
for v in ("base", "candidate"):
    for r in range(1, rounds + 1):
        p = os.path.join(d, f"{v}-{r}.txt")
        if not os.path.exists(p):
            continue
        for line in open(p):
            k, _, x = line.strip().partition(" ")
            if k not in keys:
                keys.append(k)
            vals.setdefault((v, k), []).append(x)
def num(x):
    try:
        return float(x.lstrip(">"))
    except ValueError:
        return None
def med(xs):
    n = [num(x) for x in xs if num(x) is not None]
    return statistics.median(n) if n else None
def fmt(x):
    return "-" if x is None else (f"{x:.0f}" if abs(x) >= 1000 else f"{x:.4g}")
print("| metric | base (per round) | base median | candidate (per round) | candidate median | candidate / base |")
print("|---|---|---|---|---|---|")
for k in keys:
    b, c = vals.get(("base", k), []), vals.get(("candidate", k), [])
    mb, mc = med(b), med(c)
    ratio = "-" if mb in (None, 0) or mc is None else f"{mc / mb:.3f}"
    print(f"| {k} | {', '.join(b)} | {fmt(mb)} | {', '.join(c)} | {fmt(mc)} | {ratio} |")
PY
        echo
        echo "per-run summaries: $bench_cache/results/ (one file per child run, listed in the log above)"
        echo "results file: $result"
    } | tee "$result"
    rm -rf "$emit_dir"
    exit 0
}
