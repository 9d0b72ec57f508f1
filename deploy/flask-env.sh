#!/bin/sh
# Runs a `flask --app booking` command with the production settings, e.g. from cron:
#   /srv/lianxiang/deploy/flask-env.sh report-months
# LIANXIANG_ENV and LIANXIANG_HOME override where the settings and the app are.
set -eu
set -a
. "${LIANXIANG_ENV:-/etc/lianxiang/lianxiang.env}"
set +a
cd "${LIANXIANG_HOME:-/srv/lianxiang}"
exec .venv/bin/flask --app booking "$@"
