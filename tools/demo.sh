#!/usr/bin/env bash
# The main job of `make demo`: a hardware-aware search that needs nothing outside the
# package. Accuracy comes from a zero-cost proxy on bundled images, latency is measured
# live on this host with ONNX Runtime; the run ends with an HTML report.
set -euo pipefail
out=${1:-out/demo}
bin=${VENV:-.venv}/bin
mkdir -p "$out"
"$bin/hwnas" space info nb201
"$bin/hwnas" devices show host-cpu
"$bin/hwnas" search --preset demo --out "$out/runs" | tee "$out/search.log"
echo "results written to $out (run folder and report path above)"
