#!/usr/bin/env bash
# Formats every C++ file with the repository's .clang-format. --check: report, change nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' '*.h')
((${#files[@]})) || exit 0
if [[ ${1:-} == --check ]]; then
    clang-format --dry-run -Werror "${files[@]}"
else
    clang-format -i "${files[@]}"
fi
