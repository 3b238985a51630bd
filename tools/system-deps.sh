#!/usr/bin/env bash
# Installs the Debian packages the tests use, only when one is missing:
# chromium (the page tests), tshark (pcap checks), tcpdump and iptables (Linux recordings).
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v tshark >/dev/null || missing+=(tshark)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v iptables >/dev/null || missing+=(iptables)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing ${missing[*]} and not root; the tests that need them will skip." >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
