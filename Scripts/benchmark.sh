#!/usr/bin/env bash
# Runs the ResNet-50 benchmark of BENCHMARKS.md (generates the graph if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED_DIR:-$(git rev-parse --show-toplevel)/../shared}
venv=${TF_VENV:-$HOME/.venvs/tf}
graphs=.build/graphs
if [ ! -f "$graphs/resnet50.pb" ]; then
  mkdir -p "$graphs"
  "$venv/bin/python" "$shared/tools/make_graphs.py" "$graphs" resnet50
fi
tf_args=()
[ -x "$venv/bin/python" ] && tf_args=(--tf "$venv/bin/python")
python3 Scripts/benchmark.py "$graphs/resnet50.pb" input Identity 1,224,224,3 "${tf_args[@]}"
