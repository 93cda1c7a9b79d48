#!/usr/bin/env bash
# `make lint`: every static check; fails on the first finding.
#   ruff and mypy --strict first (seconds), then terraform fmt, terraform validate
#   (root, modules, examples), tflint, checkov, terraform-docs up to date, actionlint.
# `make test` runs the Python part (tools/lint.sh python) before any test.
# `make docs` (tools/lint.sh docs): regenerate the terraform-docs blocks.
# Usage: tools/lint.sh [all|docs|docs-check|terraform|tflint|checkov|python|actionlint]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:?set by the Makefile}"
TERRAFORM="${TERRAFORM:-terraform}"
CACHE="${WEBHOOK_CACHE:-$HOME/.cache/webhook-stack}"
export PATH="$PATH:$CACHE/bin"
cd "$ROOT"

# Every module and every example, whatever is added later.
mapfile -t MODULES < <(find modules -mindepth 2 -maxdepth 2 -name '*.tf' -printf '%h\n' | sort -u)
mapfile -t EXAMPLES < <(find examples -mindepth 2 -maxdepth 2 -name '*.tf' -printf '%h\n' | sort -u)
# Every README with a terraform-docs block: the root's and each module's.
DOC_DIRS=(. "${MODULES[@]}")
WORK="$ROOT/build/lint"

section() { printf '== %s\n' "$*"; }

# ---------------------------------------------------------------- Terraform
lint_terraform() {
  section "$TERRAFORM fmt"
  "$TERRAFORM" fmt -check -recursive -diff

  section "$TERRAFORM validate (root, every module, every example) on a copy"
  rm -rf "$WORK/validate" && mkdir -p "$WORK/validate"
  "$PYTHON" -c "from local_stack.terraform import copy_root_module; from pathlib import Path; copy_root_module(Path('$WORK/validate'))"
  local dir
  for dir in . "${MODULES[@]}" "${EXAMPLES[@]}"; do
    (cd "$WORK/validate/$dir" && "$TERRAFORM" init -backend=false -input=false -no-color >/dev/null && "$TERRAFORM" validate -no-color >/dev/null) \
      || { echo "$TERRAFORM validate failed in $dir" >&2; exit 1; }
    echo "   $dir: valid"
  done
}

# ---------------------------------------------------------------- TFLint
# The terraform ruleset is bundled with tflint. The AWS ruleset is a plugin from
# GitHub releases: added only when TFLINT_AWS_RULESET names its version (CI).
lint_tflint() {
  local config="$ROOT/.tflint.hcl"
  if [ -n "${TFLINT_AWS_RULESET:-}" ]; then
    mkdir -p "$WORK"
    config="$WORK/tflint-aws.hcl"
    { cat "$ROOT/.tflint.hcl"; printf '\nplugin "aws" {\n  enabled = true\n  version = "%s"\n  source  = "github.com/terraform-linters/tflint-ruleset-aws"\n}\n' \
      "${TFLINT_AWS_RULESET#v}"; } > "$config"
    section "tflint --init (AWS ruleset ${TFLINT_AWS_RULESET#v})"
    tflint --init --config "$config"
    section "tflint $(tflint --version | head -1 | awk '{print $NF}'): terraform + AWS rulesets"
  else
    section "tflint $(tflint --version | head -1 | awk '{print $NF}'): terraform ruleset (AWS ruleset not installed offline)"
  fi
  local dir
  for dir in . "${MODULES[@]}" "${EXAMPLES[@]}"; do
    tflint --chdir="$dir" --config="$config" --no-color \
      || { echo "tflint found problems in $dir" >&2; exit 1; }
    echo "   $dir: clean"
  done
}

# ---------------------------------------------------------------- Checkov
# Its own virtualenv: checkov pins boto3==1.35.49 and packaging<24, which clash
# with the test dependencies in requirements-dev.txt. Every version is pinned in
# tools/checkov-requirements.txt; the venv is named by that file's hash.
checkov_bin() {
  local req="$ROOT/tools/checkov-requirements.txt" dir
  dir="$CACHE/checkov-$(sha256sum "$req" | cut -c1-12)"
  if ! [ -x "$dir/bin/checkov" ] || ! [ -f "$dir/.complete" ]; then
    printf '[lint] creating checkov virtualenv %s (pinned in %s)\n' "$dir" "${req#"$ROOT"/}" >&2
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req"
    touch "$dir/.complete"
  fi
  echo "$dir/bin/checkov"
}

lint_checkov() {
  local checkov; checkov=$(checkov_bin)
  section "checkov $("$checkov" --version) (terraform, github_actions)"
  # Every skip is an inline #checkov:skip=<id>:<reason> next to its resource.
  # --skip-download: no call to the Prisma Cloud API (offline, and no telemetry).
  BC_SKIP_MAPPING=TRUE "$checkov" --directory . \
    --framework terraform github_actions \
    --skip-path build --skip-path lambda_src --skip-path tests \
    --skip-download --quiet --compact --download-external-modules false
}

# ---------------------------------------------------------------- terraform-docs
# The Requirements/Providers/Modules/Resources/Inputs/Outputs tables between
# <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS --> of each README. --lockfile=false:
# the (uncommitted) lock file must not change the output.
terraform_docs() {
  local dir mode=$1
  for dir in "${DOC_DIRS[@]}"; do
    if ! grep -q '^<!-- BEGIN_TF_DOCS -->$' "$dir/README.md" 2>/dev/null || ! grep -q '^<!-- END_TF_DOCS -->$' "$dir/README.md"; then
      echo "$dir/README.md: missing, or without the <!-- BEGIN_TF_DOCS --> / <!-- END_TF_DOCS --> lines" >&2
      exit 1
    fi
    # terraform-docs defaults (as the pre-commit hook runs it), sorted by name.
    local args=(markdown table --output-file README.md --output-mode inject --lockfile=false)
    [ "$mode" = check ] && args+=(--output-check)
    if ! terraform-docs "${args[@]}" "$dir" >/dev/null; then
      [ "$mode" = check ] && echo "$dir/README.md: terraform-docs block is stale; run 'make docs'" >&2
      exit 1
    fi
    echo "   $dir/README.md: $([ "$mode" = check ] && echo "up to date" || echo "generated")"
  done
}

# ---------------------------------------------------------------- Python
lint_python() {
  # Every Python package: the function, the harness, the bench, the tests and tools
  # (paths and rules in pyproject.toml). Seconds, so it runs before anything slow.
  section "ruff check (lambda_src, local_stack, webhook_cli, bench, tests, tools)"
  "$PYTHON" -m ruff check lambda_src local_stack webhook_cli bench tests tools
  "$PYTHON" -m ruff format --check lambda_src local_stack webhook_cli bench

  section "mypy --strict (lambda_src, local_stack, webhook_cli, bench, the test helpers)"
  "$PYTHON" -m mypy --strict
}

# ---------------------------------------------------------------- GitHub Actions
lint_actionlint() {
  section "actionlint $(actionlint -version | head -1)"
  actionlint -no-color .github/workflows/*.yml
}

case "${1:-all}" in
  all)
    start=$(date +%s)
    lint_python
    lint_terraform
    lint_tflint
    lint_checkov
    section "terraform-docs $(terraform-docs --version | awk '{print $3}') blocks up to date"
    terraform_docs check
    lint_actionlint
    echo "lint: clean ($(( $(date +%s) - start ))s)"
    ;;
  docs) section "terraform-docs: regenerating the README blocks"; terraform_docs inject ;;
  docs-check) terraform_docs check ;;
  terraform) lint_terraform ;;
  tflint) lint_tflint ;;
  checkov) lint_checkov ;;
  python) lint_python ;;
  actionlint) lint_actionlint ;;
  *) echo "usage: $0 [all|docs|docs-check|terraform|tflint|checkov|python|actionlint]" >&2; exit 2 ;;
esac
