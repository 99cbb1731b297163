# shellcheck shell=bash
# Shared helpers for scripts/*. Source it; do not run it.
#
# After sourcing:
#   - the current directory is the repository root (whatever it was before),
#   - REPO_ROOT and VENV are set,
#   - ensure_venv creates/refreshes .venv and puts it first on PATH.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
# Holds the sha256 of pyproject.toml and the lock as of the last successful install.
VENV_STAMP="$VENV/.partner-api-lock.sha256"
# The lock: every dependency of the tests and the server, pinned with hashes (scripts/lock).
LOCK="$REPO_ROOT/requirements-dev.txt"
cd "$REPO_ROOT" || exit 1

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Create .venv if missing (or unusable) and install the lock, then partner-api itself
# (editable, without dependencies), whenever pyproject.toml or the lock differ from the ones
# recorded at the last install.
ensure_venv() {
    if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        log "creating virtualenv in $VENV"
        command -v python3 >/dev/null || die "python3 not found (Python >= 3.11 is required)"
        # --clear: start over if a previous attempt left a broken .venv behind.
        python3 -m venv --clear "$VENV" \
            || die "'python3 -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
    fi

    local want have=""
    want="$(cat pyproject.toml "$LOCK" | sha256sum | cut -d' ' -f1)"
    [[ -f "$VENV_STAMP" ]] && have="$(<"$VENV_STAMP")"
    if [[ "$want" != "$have" ]]; then
        log "installing the locked dependencies ($(basename "$LOCK")) and partner-api into .venv"
        local out
        out="$(mktemp)"
        if ! { "$VENV/bin/python" -m pip install --quiet --require-hashes -r "$LOCK" &&
            "$VENV/bin/python" -m pip install --quiet --no-deps --editable .; } >"$out" 2>&1; then
            cat "$out" >&2
            rm -f "$out"
            rm -f "$VENV_STAMP"
            die "installing into .venv failed (output above)"
        fi
        rm -f "$out"
        printf '%s\n' "$want" >"$VENV_STAMP"
    fi

    export VIRTUAL_ENV="$VENV"
    export PATH="$VENV/bin:$PATH"
}
