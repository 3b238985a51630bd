#!/usr/bin/env bash
# Installs the Debian packages `make test` uses, only those missing:
#   chromium (the page tests), tshark (pcap checks), tcpdump and iptables (Linux recordings),
#   python3-venv (make's .venv), nodejs (the page's model tests), iproute2 (network namespaces).
# SYSTEM_DEPS_DRY_RUN=1 only says what it would install.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v tshark >/dev/null || missing+=(tshark)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v iptables >/dev/null || missing+=(iptables)
command -v node >/dev/null || missing+=(nodejs)
command -v ip >/dev/null || missing+=(iproute2)
# python3 -m venv needs ensurepip, which Debian ships apart in python3-venv.
if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "${SYSTEM_DEPS_DRY_RUN:-}" = 1 ]; then
  echo "system-deps: would install ${missing[*]}"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: cannot install ${missing[*]}: not root. Run 'sudo apt-get install ${missing[*]}';" \
       "until then the tests that need them skip." >&2
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "system-deps: cannot install ${missing[*]}: no apt-get here (not Debian or Ubuntu)." \
       "Install them with your system's package manager; until then the tests that need them skip." >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "system-deps: apt-get could not install ${missing[*]}; the tests that need them skip." >&2
  exit 0
fi
