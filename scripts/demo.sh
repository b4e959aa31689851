#!/usr/bin/env bash
# `make demo`: set up the platform on this machine with its embedded services and run it.
# SQLite, a broker that needs no server (kombu's filesystem transport), a real Celery worker,
# the best sandbox the machine has. Prints the URL and the demo accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG=1
PORT=${PORT:-8000}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  [ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]} from Debian's packages"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") \
      || echo "Could not install ${missing[*]}: grading of the homework will need them."
  fi
fi

mkdir -p var
$PY manage.py migrate -v0
syllabus=../shared/syllabus.md
[ -f "$syllabus" ] || syllabus=docs/syllabus.md
$PY manage.py import_syllabus "$syllabus"
$PY manage.py collectstatic --noinput -v0
$PY manage.py seed_demo csds600-fall2023 | tee var/demo-accounts.txt
if $PY manage.py help demo_grading >/dev/null 2>&1; then
  $PY manage.py demo_grading csds600-fall2023 || echo "Demo grading could not be queued (see above)."
fi

export PYTHONPATH="$PWD/platform:$PWD${PYTHONPATH:+:$PYTHONPATH}"
.venv/bin/celery -A config worker -Q cpu,default -c 1 --loglevel=warning >var/worker.log 2>&1 &
worker=$!
.venv/bin/celery -A config beat --loglevel=warning -s var/celerybeat-schedule >var/beat.log 2>&1 &
beat=$!
trap 'kill $worker $beat 2>/dev/null || true' EXIT
echo
echo "Celery worker (pid $worker) and beat (pid $beat) are running; logs in var/."
echo "Demo submissions are being graded by the worker; reports appear on each student's dashboard."
cat var/demo-accounts.txt
echo "The platform is at http://127.0.0.1:$PORT/  (Ctrl-C stops everything)"
$PY manage.py runserver "127.0.0.1:$PORT" --noreload
