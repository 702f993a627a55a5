#!/usr/bin/env bash
# Start the databases the registry tests read from, if they are not running: PostgreSQL at
# 127.0.0.1:5432 and MariaDB at 127.0.0.1:3306. Idempotent: a server that answers is left alone.
# Prints what it did; exits non-zero when a server it started does not answer in time.
set -uo pipefail

WAIT_SECONDS=${WAIT_SECONDS:-30}

answers() { # host port: does something accept TCP connections there?
  python3 - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

postgres_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    answers 127.0.0.1 5432
  fi
}

mariadb_up() {
  if command -v mariadb-admin >/dev/null 2>&1; then
    mariadb-admin --host=127.0.0.1 --port=3306 --user=root --connect-timeout=1 ping >/dev/null 2>&1
  else
    answers 127.0.0.1 3306
  fi
}

wait_for() { # name check-function
  local waited=0
  until "$2"; do
    if ((waited >= WAIT_SECONDS)); then
      echo "services: $1 did not answer within ${WAIT_SECONDS}s" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "services: $1 is up (after ${waited}s)"
}

status=0

if postgres_up; then
  echo "services: PostgreSQL already answers on 127.0.0.1:5432"
elif [[ -d /etc/postgresql ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "services: starting PostgreSQL $(ls /etc/postgresql)"
  # shellcheck disable=SC2046  # one installed version, as the image ships it
  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start || true
  wait_for PostgreSQL postgres_up || status=1
else
  echo "services: PostgreSQL is down and not installed here; its tests will skip (fail under CI=true)" >&2
fi

if mariadb_up; then
  echo "services: MariaDB already answers on 127.0.0.1:3306"
elif [[ -x /usr/sbin/mariadbd ]]; then
  echo "services: starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  wait_for MariaDB mariadb_up || status=1
else
  echo "services: MariaDB is down and not installed here; its tests will skip (fail under CI=true)" >&2
fi

exit "$status"
