#!/usr/bin/env bash
# Make sure the services the full suite uses are present and running. Idempotent; a failure to
# install here is reported, and the tests that need the service then say why they skip.
set -uo pipefail
need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# Chromium draws the Traditional Chinese pages of the browser journeys' screenshots with it.
fc-list :lang=zh-tw 2>/dev/null | grep -q . || need_apt+=(fonts-noto-cjk)
command -v msgfmt >/dev/null 2>&1 || need_apt+=(gettext)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  echo "ci: installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -n | tail -1)
  conf=/etc/postgresql/$version/main
  # Trust auth on loopback, as on the developers' machines.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || echo "ci: PostgreSQL did not start"
fi
exit 0
