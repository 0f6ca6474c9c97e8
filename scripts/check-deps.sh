#!/usr/bin/env bash
# Layering check (run by the test suite): dependencies point one way,
#   matcher <- schema <- api <- server,
# and the matcher stays pure (no sockets, SQLite, JSON, clocks or threads of its own).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fail=0
check() {  # check DIR REGEX WHY [EXCLUDED_FILE_NAME]
    local hits
    hits=$(grep -rnE --include='*.hpp' --include='*.cpp' --include='*.h' ${4:+--exclude="$4"} "$2" "$1" 2>/dev/null)
    if [[ -n $hits ]]; then
        echo "layering violation in $1/ ($3):"
        echo "$hits"
        fail=1
    fi
}
check matcher '#include\s*[<"](schema|api|server)/' "matcher may not include schema, api or server"
check matcher '#include\s*[<"](boost/(asio|beast)|sqlite3\.h|rapidjson/|openssl/)' "matcher is pure: no Asio, SQLite, RapidJSON or OpenSSL"
check matcher '(std::chrono::(system|steady|high_resolution)_clock::now|[^a-z_]time\(|std::rand|random_device)' "matcher reads no clock and no randomness"
# The one exception: the batch call runs on the number of threads its caller asks for.
check matcher '(std::j?thread[^_:]|std::async)' "matcher starts no thread outside batch.cpp (caller-given count)" batch.cpp
check schema '#include\s*[<"](api|server)/' "schema may not include api or server"
check schema '#include\s*[<"]boost/(asio|beast)' "schema has no sockets"
check api '#include\s*[<"]server/' "api may not include server"
check api '#include\s*[<"]boost/asio' "api has no sockets or executors"
# The CMake link graph must say the same thing.
for pair in "matcher:renewmatch_(schema|api|server)" "schema:renewmatch_(api|server)" "api:renewmatch_server"; do
    dir=${pair%%:*}; re=${pair#*:}
    if grep -nE "target_link_libraries[^)]*$re" "$dir/CMakeLists.txt" >/dev/null 2>&1 ||
       awk '/target_link_libraries/,/\)/' "$dir/CMakeLists.txt" | grep -qE "$re"; then
        echo "layering violation: $dir/CMakeLists.txt links $re"
        fail=1
    fi
done
if ((fail)); then exit 1; fi
echo "layering ok"
