#!/usr/bin/env bash
# Installs the system packages CityBrain needs, only those that are missing.
#   scripts/system-deps.sh demo   Node.js + npm (ECharts for the console), Chromium and CJK
#                                 fonts (the checkup report's PDF)
#   scripts/system-deps.sh test   the above + PostgreSQL and Mosquitto servers (throwaway
#                                 instances in tests)
# Uses apt-get as root, or sudo when it needs no password; otherwise says what to install.
set -euo pipefail
what="${1:-test}"
missing=()

have_pg() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
have_fonts() {
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || fc-list 2>/dev/null | grep -qi "Noto Sans CJK"
}

command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
have_fonts || missing+=(fonts-noto-cjk)
if [ "$what" = "test" ]; then
  have_pg || missing+=(postgresql)
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

echo "system packages: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "error: missing system packages: ${missing[*]}" >&2
  echo "       install them with: sudo apt-get install ${missing[*]}" >&2
  echo "错误:缺少系统软件包 ${missing[*]},请先安装后重试" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: no apt-get here; install with your package manager: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
