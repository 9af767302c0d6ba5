# shellcheck shell=bash
# Shared settings and helpers for the project's scripts. Source it; do not run it.
#
# Three Python environments are kept in a cache folder outside the repository:
#   latest  - Home Assistant as new as pytest-homeassistant-custom-component offers
#             (needs Python >= 3.14.2; when the host lacks it, a small Debian root with
#             Python 3.14 is built with mmdebstrap and used through chroot)
#   newest  - the newest Home Assistant release on PyPI, looked up at set-up time, with the
#             integration's requirements (for scripts/run, scripts/e2e and scripts/smoke);
#             beside latest, on the same Python 3.14
#   minimum - the oldest Home Assistant this integration supports (Python 3.13)

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SMSPILOT_CACHE:-/var/cache/smspilot-ha}"
ROOT314="$CACHE/root-py314"

log() { printf '==> %s\n' "$*" >&2; }

# Print a host python >= 3.14.2 if one exists.
host_py314() {
  local cand
  for cand in python3.14 python3 "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)/versions/3.14"*/bin/python3)"; do
    [ -n "$cand" ] || continue
    command -v "$cand" >/dev/null 2>&1 || [ -x "$cand" ] || continue
    if "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)' 2>/dev/null; then
      command -v "$cand" 2>/dev/null || echo "$cand"
      return 0
    fi
  done
  return 1
}

# Print a host python 3.13.x if one exists.
host_py313() {
  local cand
  for cand in python3.13 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/3.13.0/bin/python3" /root/.pyenv/versions/3.13.0/bin/python3; do
    [ -n "$cand" ] || continue
    if { command -v "$cand" >/dev/null 2>&1 || [ -x "$cand" ]; } &&
      "$cand" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' 2>/dev/null; then
      echo "$cand"
      return 0
    fi
  done
  return 1
}

# "host" when a host python 3.14 exists, else "chroot".
latest_mode() {
  if [ -n "${SMSPILOT_LATEST_MODE:-}" ]; then echo "$SMSPILOT_LATEST_MODE"; return; fi
  if host_py314 >/dev/null; then echo host; else echo chroot; fi
}

# Where the latest venv lives, as seen by the process that runs it.
latest_venv() {
  if [ "$(latest_mode)" = host ]; then echo "$CACHE/venv-latest"; else echo /opt/venv-latest; fi
}

# Where the newest venv lives, as seen by the process that runs it (same mode as latest).
newest_venv() {
  if [ "$(latest_mode)" = host ]; then echo "$CACHE/venv-newest"; else echo /opt/venv-newest; fi
}

# The same folder as this script sees it.
newest_venv_here() {
  if [ "$(latest_mode)" = host ]; then echo "$CACHE/venv-newest"; else echo "$ROOT314/opt/venv-newest"; fi
}

minimum_venv() { echo "$CACHE/venv-minimum"; }

# Packages of the root: Python 3.14, and a compiler for the few Home Assistant
# requirements that have no Python 3.14 wheel yet (the cloud and voice components'); the
# JPEG and packet-capture libraries that a full default_config needs (camera snapshots,
# DHCP discovery: without them assist_pipeline, cloud and mobile_app fail to set up).
ROOT314_PACKAGES="python3.14,python3.14-venv,python3.14-dev,g++,ca-certificates,git,libturbojpeg0,libpcap0.8t64"

# Print the packages of ROOT314_PACKAGES that the root lacks, space-separated.
root314_missing_packages() {
  local pkg installed missing=()
  # dpkg-query names the installed ones; unknown names only make it complain on stderr.
  # shellcheck disable=SC2086
  installed="$(chroot "$ROOT314" /usr/bin/dpkg-query -W -f='${Package} ${db:Status-Status}\n' \
    ${ROOT314_PACKAGES//,/ } 2>/dev/null | awk '$2 == "installed" {print $1}' || true)"
  for pkg in ${ROOT314_PACKAGES//,/ }; do
    grep -qxF "$pkg" <<<"$installed" || missing+=("$pkg")
  done
  echo "${missing[*]:-}"
}

# Build the Debian root with Python 3.14 once; reuse it afterwards, adding the packages
# that an older root lacks.
ensure_root314() {
  if [ -x "$ROOT314/usr/bin/python3.14" ]; then
    local missing
    missing="$(root314_missing_packages)"
    [ -n "$missing" ] || return 0
    log "adding $missing to $ROOT314"
    sync_root314
    chroot "$ROOT314" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
      /bin/sh -c "apt-get update -qq && apt-get install -y -qq $missing >/dev/null" \
      2> >(grep -v 'Can not write log' >&2)   # apt's note that the root has no /dev/pts
    return 0
  fi
  log "building a Debian root with Python 3.14 in $ROOT314 (once)"
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  fi
  rm -rf "$ROOT314.tmp"
  mkdir -p "$CACHE"
  mmdebstrap --quiet --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
    --include="$ROOT314_PACKAGES" sid "$ROOT314.tmp"
  mv "$ROOT314.tmp" "$ROOT314"
}

# Keep the root's network settings and certificates in step with the host.
sync_root314() {
  cp -f /etc/resolv.conf "$ROOT314/etc/resolv.conf" 2>/dev/null || true
  cp -f /etc/ssl/certs/ca-certificates.crt "$ROOT314/etc/ssl/certs/ca-certificates.crt"
}

# Run a command (as a bash -c string) with the repository as the working directory,
# inside the Python 3.14 environment. The repository is bind-mounted at the same path
# inside the root, so paths in output match the host's.
run_latest() { run_py314 "$(latest_venv)" "$1"; }

# The same in the newest Home Assistant's environment.
run_newest() { run_py314 "$(newest_venv)" "$1"; }

# $1: the venv (as the command sees it), $2: the command.
run_py314() {
  local venv="$1" cmd="$2"
  if [ "$(latest_mode)" = host ]; then
    (cd "$REPO" && PATH="$venv/bin:$PATH" bash -c "$cmd")
    return
  fi
  sync_root314
  mkdir -p "$ROOT314$REPO" "$ROOT314/proc" "$ROOT314/dev"
  # A private mount namespace: the mounts vanish with the command, and parallel runs
  # never see (or unmount) each other's.
  unshare --mount --propagation private /bin/bash -c '
    set -e
    root="$1"; repo="$2"; shift 2
    mount --bind "$repo" "$root$repo"
    # The provider document beside the repository, when there is one, for fixture checks.
    shared="$(dirname "$repo")/shared"
    if [ -d "$shared" ]; then mkdir -p "$root$shared"; mount --bind "$shared" "$root$shared"; fi
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" "$@"' _ "$ROOT314" "$REPO" \
    /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt UV_NATIVE_TLS=1 \
    PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" \
    /bin/bash -c "cd '$REPO' && $cmd"
}

run_minimum() {
  local cmd="$1"
  (cd "$REPO" && PATH="$(minimum_venv)/bin:$PATH" bash -c "$cmd")
}

# Install requirements into a venv when the requirements file changed since last time.
# $1: runner (run_latest|run_minimum), $2: venv path as the runner sees it, $3: requirements file
pip_sync() {
  local runner="$1" venv="$2" req="$3"
  local stamp
  stamp="$(sha256sum "$REPO/$req" "$REPO/pyproject.toml" | sha256sum | cut -c1-16)"
  "$runner" "test \"\$(cat '$venv/.stamp' 2>/dev/null)\" = '$stamp' || {
      python -m pip install -q --disable-pip-version-check -r '$req' 2> >(grep -v 'is ignored: it is neither' >&2) &&
      echo '$stamp' > '$venv/.stamp'; }"
}

ensure_latest_env() {
  if [ "$(latest_mode)" = host ]; then
    local py
    py="$(host_py314)"
    [ -x "$(latest_venv)/bin/python" ] || "$py" -m venv "$(latest_venv)"
  else
    ensure_root314
    [ -x "$ROOT314/opt/venv-latest/bin/python" ] || chroot "$ROOT314" /usr/bin/python3.14 -m venv /opt/venv-latest
  fi
  log "Python environment for the latest Home Assistant"
  pip_sync run_latest "$(latest_venv)" requirements_test.txt
}

# The newest Home Assistant release on PyPI (for Python 3.14), with the integration's
# requirements. The release is looked up on every call; when that fails, the one installed
# last time is used. Installs only when the release or the requirements changed.
ensure_newest_env() {
  local venv here version origin reqs stamp
  venv="$(newest_venv)"
  here="$(newest_venv_here)"
  if [ "$(latest_mode)" = host ]; then
    [ -x "$here/bin/python" ] || { mkdir -p "$CACHE"; "$(host_py314)" -m venv "$here"; }
  else
    ensure_root314
    [ -x "$here/bin/python" ] || chroot "$ROOT314" /usr/bin/python3.14 -m venv "$venv"
  fi
  version="$(run_newest "python -m pip index versions --disable-pip-version-check --timeout 20 \
      --retries 1 homeassistant 2>/dev/null" |
    sed -n 's/^homeassistant (\([^)]*\)).*/\1/p' | head -n 1 || true)"
  origin="the newest release on PyPI"
  if [ -z "$version" ]; then
    version="$(cat "$here/.ha-version" 2>/dev/null || true)"
    origin="installed last time (looking up PyPI failed)"
    if [ -z "$version" ]; then
      log "could not look up the newest Home Assistant on PyPI, and none was installed before"
      return 1
    fi
  fi
  log "Python environment for the newest Home Assistant: $version, $origin"
  reqs="$(run_newest "python -c 'import json, sys; print(\" \".join(json.load(sys.stdin)[\"requirements\"]))' \
    <custom_components/smspilot/manifest.json")"
  stamp="$(printf 'homeassistant==%s %s\n' "$version" "$reqs" | sha256sum | cut -c1-16)"
  [ "$(cat "$here/.stamp" 2>/dev/null)" != "$stamp" ] || return 0
  log "installing homeassistant==$version $reqs into $venv"
  run_newest "python -m pip install -q --disable-pip-version-check 'homeassistant==$version' $reqs"
  echo "$version" >"$here/.ha-version"
  echo "$stamp" >"$here/.stamp"
}

ensure_minimum_env() {
  local py
  if ! py="$(host_py313)"; then
    log "no Python 3.13 found (pyenv 3.13.0 expected)"
    return 1
  fi
  [ -x "$(minimum_venv)/bin/python" ] || { mkdir -p "$CACHE"; "$py" -m venv "$(minimum_venv)"; }
  log "Python environment for the minimum Home Assistant"
  pip_sync run_minimum "$(minimum_venv)" requirements_test_min.txt
}
