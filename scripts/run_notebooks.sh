#!/usr/bin/env bash
# Execute every notebook end to end (outputs are not written back: git keeps them stripped).
# Installs what it needs with pip. Uses $MBDRISK_BIN, else the debug build in $CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check nbclient nbformat ipykernel pandas
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mbdrisk-target}"
if [ -z "${MBDRISK_BIN:-}" ]; then
  cargo build --quiet
  export MBDRISK_BIN="$CARGO_TARGET_DIR/debug/mbdrisk"
fi
python3 - <<'PY'
import pathlib, sys
import nbformat
from nbclient import NotebookClient
for path in sorted(pathlib.Path("notebooks").glob("*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": "notebooks"}}).execute()
    print(f"run_notebooks: ok {path}")
PY
rm -rf notebook-output notebook-output-own
