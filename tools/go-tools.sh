#!/usr/bin/env bash
# Go-built static-analysis and CLI tools, cached in $CACHE/bin (the Makefile
# appends that directory to the PATH) and reused while the version matches:
#   tofu        - OpenTofu CLI (`TERRAFORM=tofu`), built in a wrapper module (see build_in_wrapper)
#   tflint      - Terraform linter; its terraform ruleset is bundled
#   actionlint  - GitHub Actions workflow linter
#   terraform-docs - README inputs/outputs tables (`make docs`)
#   rie         - aws-lambda-rie, AWS's Lambda Runtime Interface Emulator: the local
#                 stack runs the function on it (with awslambdaric from the venv);
#                 `make up`, `make demo` and `make test` build it
# Every build: go install (or go build in a wrapper module, see build_in_wrapper)
# with -trimpath -ldflags='-s -w', and a heartbeat every 30 s.
# Not obtainable here: github.com/terraform-linters/tflint-ruleset-aws (the proxy
# refuses its version list and v0.45.0: "This module version is not available.").
# Usage: tools/go-tools.sh all|lint|tofu|tflint|actionlint|terraform-docs|rie|stripe-mock
set -euo pipefail

CACHE="${WEBHOOK_CACHE:-$HOME/.cache/webhook-stack}"
BIN="$CACHE/bin"

# Pinned versions. The Go module proxy reachable here is a filtering mirror:
# check `curl -s https://proxy.golang.org/<module>/@v/list` before bumping.
TOFU_MODULE=github.com/opentofu/opentofu
TOFU_VERSION=v1.12.6
TFLINT_MODULE=github.com/terraform-linters/tflint
TFLINT_VERSION=v0.64.0
ACTIONLINT_MODULE=github.com/rhysd/actionlint
ACTIONLINT_VERSION=v1.7.12
TERRAFORM_DOCS_MODULE=github.com/terraform-docs/terraform-docs
TERRAFORM_DOCS_VERSION=v0.20.0
# No release tags on the proxy: the pseudo-version of the commit (main, 2026-10-30).
RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
# Stripe's mock API server (validates requests against Stripe's OpenAPI spec); the reconciler's client is tested against it.
STRIPE_MOCK_MODULE=github.com/stripe/stripe-mock
STRIPE_MOCK_VERSION=v0.203.0

log() { printf '[go-tools %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Prints a heartbeat while a long build runs, so nobody takes it for a hang.
with_progress() {
  local label=$1; shift
  local start; start=$(date +%s)
  "$@" &
  local pid=$!
  local ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    ticks=$((ticks + 1))
    if [ $((ticks % 30)) -eq 0 ] && kill -0 "$pid" 2>/dev/null; then
      log "$label: still building ($(( $(date +%s) - start ))s)"
    fi
  done
  local rc=0
  wait "$pid" || rc=$?
  if [ "$rc" -eq 0 ]; then log "$label: done in $(( $(date +%s) - start ))s"; else log "$label: FAILED after $(( $(date +%s) - start ))s"; fi
  return "$rc"
}

need_go() {
  command -v go >/dev/null || { echo "Go is needed to build $1 (or put $1 $2 on the PATH)" >&2; exit 1; }
}

# has <binary> <version> <version-args...>: true when $BIN/<binary> reports exactly
# the pinned version (a "-dev" build or another release does not count).
has() {
  local bin=$1 version=${2#v}; shift 2
  [ -x "$BIN/$bin" ] || return 1
  local line; line=$(version_line "$BIN/$bin" "$@")
  local re="(^|[ v])${version//./\\.}( |\$)"
  [[ $line =~ $re ]] || return 1
  log "$bin v$version: already in $BIN"
}

# The first line of a command's output that holds a version number. (Not the
# first line: tofu prints CLI-configuration warnings before it. And no pipe into
# head, which would end in SIGPIPE under pipefail.)
version_line() {
  local out; out=$("$@" 2>/dev/null) || true
  grep -m1 -E '[0-9]+\.[0-9]+\.[0-9]+' <<< "$out" || true
}

# go install for modules whose go.mod has no replace directive.
go_install() {
  local label=$1 pkg=$2 version=$3
  need_go "$label" "$version"
  mkdir -p "$BIN"
  log "building $label $version from $pkg"
  with_progress "$label" env GOBIN="$BIN" GOFLAGS=-mod=mod \
    go install -trimpath -ldflags='-s -w' "$pkg@$version"
}

# build_in_wrapper <label> <module> <version> <package> <binary> [extra ldflags]
# Builds <package> of <module>@<version> from a throwaway wrapper module in the
# cache that requires it at that version and repeats its replace and godebug
# directives (read from the upstream go.mod, not copied by hand). Needed where
# `go install pkg@version` refuses or fails:
#   - OpenTofu: its go.mod replaces hashicorp/hcl with OpenTofu's fork;
#   - terraform-docs: `go install` looks up the module's deprecation in
#     @v/list, which this proxy refuses (the version itself is served).
build_in_wrapper() {
  local label=$1 module=$2 version=$3 package=$4 binary=$5 extra=${6:-}
  need_go "$label" "$version"
  local wrapper="$CACHE/src/$binary-wrapper-$version"
  log "building $label $version from $package (wrapper module $wrapper)"
  rm -rf "$wrapper" && mkdir -p "$wrapper" "$BIN"
  local upstream
  upstream=$(cd "$wrapper" && GOFLAGS=-mod=mod go mod download -json "$module@$version" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  (
    cd "$wrapper"
    go mod init "webhook-stack/$binary-build" >/dev/null 2>&1
    go mod edit -go="$(go mod edit -json "$upstream" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Go"])')" \
      -require="$module@$version"
    go mod edit -json "$upstream" | python3 -c '
import json, sys
mod = json.load(sys.stdin)
def at(m):
    return m["Path"] + ("@" + m["Version"] if m.get("Version") else "")
for r in mod.get("Replace") or []:
    print("-replace=%s=%s" % (at(r["Old"]), at(r["New"])))
for g in mod.get("Godebug") or []:
    print("-godebug=%s=%s" % (g["Key"], g["Value"]))
' | xargs -r go mod edit
    printf '//go:build tools\n\n// Package tools pins %s for this wrapper module.\npackage tools\n\nimport _ "%s"\n' \
      "$package" "$package" > tools.go
    GOFLAGS=-mod=mod go mod tidy 2>&1 | grep -v '^go: downloading' >&2 || true
    with_progress "$label" env GOFLAGS=-mod=mod \
      go build -trimpath -ldflags="-s -w $extra" -o "$BIN/$binary.tmp" "$package"
    mv "$BIN/$binary.tmp" "$BIN/$binary"
  )
}

build_tofu() {
  has tofu "$TOFU_VERSION" version && return 0
  log "OpenTofu is a large build: expect 5-15 minutes on 2 cores"
  # version.dev=no, as OpenTofu's release builds set it: "v1.12.6", not "v1.12.6-dev".
  build_in_wrapper tofu "$TOFU_MODULE" "$TOFU_VERSION" "$TOFU_MODULE/cmd/tofu" tofu \
    "-X '$TOFU_MODULE/version.dev=no'"
  log "installed $(version_line "$BIN/tofu" version) in $BIN"
}

build_tflint() {
  has tflint "$TFLINT_VERSION" --version && return 0
  go_install tflint "$TFLINT_MODULE" "$TFLINT_VERSION"
  log "installed $(version_line "$BIN/tflint" --version) in $BIN"
}

build_actionlint() {
  has actionlint "$ACTIONLINT_VERSION" -version && return 0
  go_install actionlint "$ACTIONLINT_MODULE/cmd/actionlint" "$ACTIONLINT_VERSION"
}

build_terraform_docs() {
  has terraform-docs "$TERRAFORM_DOCS_VERSION" --version && return 0
  build_in_wrapper terraform-docs "$TERRAFORM_DOCS_MODULE" "$TERRAFORM_DOCS_VERSION" "$TERRAFORM_DOCS_MODULE" terraform-docs
  log "installed $(version_line "$BIN/terraform-docs" --version) in $BIN"
}

# aws-lambda-rie has no --version flag: a stamp file next to it records the build.
build_rie() {
  local stamp="$BIN/aws-lambda-rie.version"
  if [ -x "$BIN/aws-lambda-rie" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$RIE_VERSION" ]; then
    log "aws-lambda-rie $RIE_VERSION: already in $BIN"
    return 0
  fi
  rm -f "$stamp"
  go_install aws-lambda-rie "$RIE_MODULE/cmd/aws-lambda-rie" "$RIE_VERSION"
  printf '%s\n' "$RIE_VERSION" > "$stamp"
  log "installed aws-lambda-rie $RIE_VERSION in $BIN"
}

# stripe-mock prints its version only when serving: a stamp file records the build, as for the RIE.
build_stripe_mock() {
  local stamp="$BIN/stripe-mock.version"
  if [ -x "$BIN/stripe-mock" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$STRIPE_MOCK_VERSION" ]; then
    log "stripe-mock $STRIPE_MOCK_VERSION: already in $BIN"
    return 0
  fi
  rm -f "$stamp"
  go_install stripe-mock "$STRIPE_MOCK_MODULE" "$STRIPE_MOCK_VERSION"
  printf '%s\n' "$STRIPE_MOCK_VERSION" > "$stamp"
  log "installed stripe-mock $STRIPE_MOCK_VERSION in $BIN"
}

case "${1:-all}" in
  tofu) build_tofu ;;
  tflint) build_tflint ;;
  actionlint) build_actionlint ;;
  terraform-docs) build_terraform_docs ;;
  rie) build_rie ;;
  stripe-mock) build_stripe_mock ;;
  lint) build_tflint; build_actionlint; build_terraform_docs ;;
  all) build_tflint; build_actionlint; build_terraform_docs; build_tofu; build_rie ;;
  *) echo "usage: $0 all|lint|tofu|tflint|actionlint|terraform-docs|rie|stripe-mock" >&2; exit 2 ;;
esac
