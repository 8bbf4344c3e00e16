#!/usr/bin/env bash
# Runs the command-line tools on many malformed and adversarial graphs and checks the
# invariants of issue 8 on each: exit status 0 or 1 (2 or 3 only for --verify's own
# verdicts), never a signal or a hang; on failure exactly one `error:` line; no output
# file and no temporary file left behind on failure; the input unchanged.
#
# The graphs are the inputs libFuzzer generated (`.build-fuzz/corpus/*`, after
# `make fuzz` or `Scripts/fuzz.sh smoke`): thousands of small graphs no test was written
# for. Every Nth file of each corpus is used, so a run is repeatable.
#
# Usage: Scripts/adversarial.sh [BIN_DIR] [PER_CORPUS]   (default .build/release, 60)
# Prints one line per violation and a final line `N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release}
per_corpus=${2:-60}
[ -x "$bin/transform_graph" ] || { echo "adversarial: $bin/transform_graph is missing; run 'make build'" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/adversarial.XXXXXX")
trap 'rm -rf "$work"' EXIT

recipes=(
  "strip_unused_nodes remove_nodes(op=Identity, op=CheckNumerics) fold_constants(ignore_errors=true) fold_batch_norms fold_old_batch_norms"
  "quantize_weights(minimum_size=1) round_weights(num_steps=16)"
  "add_default_attributes merge_duplicate_nodes sort_by_execution_order obfuscate_names"
)
passed=0
failed=0
clean_errors=0
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# check LABEL ALLOWED_STATUSES COMMAND...: runs with a 30 s limit in an empty folder.
check() {
  local label=$1 allowed=$2
  shift 2
  local status
  rm -rf "$work/out" && mkdir "$work/out"
  timeout -s KILL 30 "$@" >"$work/stdout" 2>"$work/stderr"
  status=$?
  if [ "$status" -eq 137 ]; then fail "$label" "killed after 30 s (hang)"; return; fi
  if [ "$status" -gt 128 ]; then fail "$label" "signal $((status - 128))"; return; fi
  case " $allowed " in *" $status "*) ;; *) fail "$label" "exit $status"; return ;; esac
  if [ "$status" -ne 0 ]; then
    clean_errors=$((clean_errors + 1))
    local errors
    errors=$(grep -c 'error:' "$work/stderr")
    [ "$errors" -eq 1 ] || { fail "$label" "$errors error lines: $(head -c 300 "$work/stderr")"; return; }
    [ -z "$(ls -A "$work/out")" ] || { fail "$label" "left $(ls -A "$work/out" | head -1) after failing"; return; }
  else
    [ -z "$(ls -A "$work/out" | grep -v '^out\.')" ] || { fail "$label" "left a temporary file"; return; }
  fi
  passed=$((passed + 1))
}

inputs=0
for corpus in .build-fuzz/corpus/FuzzBinaryDecoder .build-fuzz/corpus/FuzzTextParser \
  .build-fuzz/corpus/FuzzMemmapped .build-fuzz/corpus/FuzzPipeline; do
  # Without libFuzzer the smoke run skips, and there is nothing to replay.
  [ -d "$corpus" ] || { echo "adversarial: skipped, $corpus is missing (run Scripts/fuzz.sh smoke first)" >&2; exit 0; }
  mapfile -t files < <(find "$corpus" -type f | sort)
  [ ${#files[@]} -gt 0 ] || continue
  step=$(((${#files[@]} + per_corpus - 1) / per_corpus))
  for ((i = 0; i < ${#files[@]}; i += step)); do
    file=${files[$i]}
    inputs=$((inputs + 1))
    input=$work/input.pb
    cp "$file" "$input"
    before=$(sha256sum <"$input")
    name=$(basename "$corpus")/$(basename "$file")
    for recipe in "${recipes[@]}"; do
      check "$name [$recipe]" "0 1" "$bin/transform_graph" --quiet --in_graph="$input" \
        --out_graph="$work/out/out.pb" --transforms="$recipe"
    done
    check "$name [memmapped]" "0 1" "$bin/transform_graph" --quiet --in_graph="$input" \
      --out_graph="$work/out/out.pbmm" --output_as_memmapped --transforms="remove_device"
    check "$name [summarize_graph]" "0 1" "$bin/summarize_graph" --in_graph="$input"
    # --verify needs --outputs: the last node name the tool can read, if any.
    output=$("$bin/summarize_graph" --in_graph="$input" 2>/dev/null |
      sed -n 's/.*possible outputs: (name=\([^,]*\),.*/\1/p' | head -1)
    if [ -n "$output" ]; then
      check "$name [verify]" "0 1 2 3" "$bin/transform_graph" --quiet --in_graph="$input" \
        --out_graph="$work/out/out.pb" --outputs="$output" --transforms="fold_constants(ignore_errors=true)" --verify
    fi
    [ "$(sha256sum <"$input")" = "$before" ] || fail "$name" "the input file changed"
  done
done
echo "adversarial: $inputs graphs from the fuzz corpora; $clean_errors runs ended in a clean error" >&2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
