#!/usr/bin/env bash
# One line of the Python client matrix (CTest py_*): the pytest suite in
# tests/py with one pinned client venv, Xet on or off.
#
# Usage: run_pytest.sh latest|0.36 xet|no-xet HUBMIRROR_BIN FAKEHUB_BIN [PYTEST_ARGS...]
set -euo pipefail
if [[ $# -lt 4 ]]; then
  echo "usage: $0 latest|0.36 xet|no-xet HUBMIRROR_BIN FAKEHUB_BIN [PYTEST_ARGS...]" >&2
  exit 2
fi
line=$1 xet=$2
export HUBMIRROR_BIN=$3 FAKEHUB_BIN=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
venv=$here/.venv-$line
if [[ ! -x $venv/bin/python ]]; then
  echo "FAIL: no venv $venv; run tests/py/setup_venvs.sh (scripts/test.sh does)" >&2
  exit 1
fi
case $xet in
  xet) unset HF_HUB_DISABLE_XET ;;
  no-xet) export HF_HUB_DISABLE_XET=1 ;;
  *) echo "usage: xet or no-xet, not '$xet'" >&2; exit 2 ;;
esac
"$venv/bin/python" -c 'import huggingface_hub, hf_xet; print("huggingface_hub", huggingface_hub.__version__, "hf_xet", hf_xet.__version__ if hasattr(hf_xet, "__version__") else "installed")'
cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
