#!/usr/bin/env bash
# The main job of `make demo`: everything it needs ships with the package.
set -euo pipefail
out=${1:-out/demo}
bin=${VENV:-.venv}/bin
mkdir -p "$out"
"$bin/hwnas" space info nb201
"$bin/hwnas" devices show host-cpu
"$bin/hwnas" space info nb201 --format json > "$out/space.json"
echo "results written to $out"
