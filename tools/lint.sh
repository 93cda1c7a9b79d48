#!/usr/bin/env bash
# `make lint`: every static check; fails on the first finding.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:?set by the Makefile}"
TERRAFORM="${TERRAFORM:-terraform}"
cd "$ROOT"

echo "== terraform fmt"
"$TERRAFORM" fmt -check -recursive -diff

echo "== terraform validate (root, every module, every example) on a copy"
work="$ROOT/build/lint"
rm -rf "$work" && mkdir -p "$work"
"$PYTHON" -c "import sys; sys.path.insert(0, 'tools'); from tfwork import copy_root_module; from pathlib import Path; copy_root_module(Path('$work'))"
for dir in . modules/kms modules/dynamodb modules/iam modules/lambda examples/minimal examples/complete; do
  (cd "$work/$dir" && "$TERRAFORM" init -backend=false -input=false -no-color >/dev/null && "$TERRAFORM" validate -no-color >/dev/null) \
    || { echo "terraform validate failed in $dir" >&2; exit 1; }
  echo "   $dir: valid"
done

echo "== ruff"
"$PYTHON" -m ruff check lambda_src tests tools
"$PYTHON" -m ruff format --check lambda_src

echo "== mypy --strict lambda_src"
"$PYTHON" -m mypy --strict
echo "lint: clean"
