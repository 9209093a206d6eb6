#!/usr/bin/env bash
# Makes the Python client environments the pytest suite runs in, from PyPI:
#   tests/py/.venv-latest  requirements-latest.txt (newest huggingface_hub + hf_xet)
#   tests/py/.venv-0.36    requirements-0.36.txt   (huggingface_hub 0.36.x)
#   tests/py/.venv-s3      requirements-s3.txt     (moto's S3 server, scale-out tests)
# Idempotent: a venv whose installed requirements equal the file is kept.
set -euo pipefail
cd "$(dirname "$0")"

python=${PYTHON:-python3}
if ! "$python" -m venv --help >/dev/null 2>&1; then
  echo "setup_venvs: '$python -m venv' does not work; install python3-venv" >&2
  exit 1
fi

for line in latest 0.36 s3; do
  venv=.venv-$line
  requirements=requirements-$line.txt
  if [[ -x $venv/bin/python ]] && cmp -s "$requirements" "$venv/installed-requirements.txt"; then
    continue
  fi
  echo "setup_venvs: installing $requirements into tests/py/$venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements"
  cp "$requirements" "$venv/installed-requirements.txt"
done
