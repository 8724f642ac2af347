#!/usr/bin/env bash
# Installs the git client implementations the protocol tests run besides the
# git CLI: dulwich (Python, from PyPI). isomorphic-git comes with npm ci (a dev
# dependency). Idempotent; quiet when everything is there.
set -euo pipefail
if ! python3 -c 'import dulwich' 2>/dev/null; then
  echo "setup: installing dulwich (pip)"
  python3 -m pip install --quiet --disable-pip-version-check 'dulwich>=0.21,<2'
fi
