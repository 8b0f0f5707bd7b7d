#!/bin/sh
# install_tools.sh -- the tools some tests drive (tshark for the flow
# cross-check, nft and iptables-restore for the rules syntax checks,
# chromium for rendering the HTML report, pdftotext (poppler-utils) for
# reading its print to PDF, nfdump, softflowd and pmacct for the flow
# records and for regenerating the NetFlow/IPFIX export captures
# (tests/make_netflow_pcaps.sh)), installed from Debian's packages when
# missing, like the build libraries. A test whose tool still
# cannot run says "skip: why".
need=""
command -v tshark >/dev/null 2>&1 || need="$need tshark"
command -v nft >/dev/null 2>&1 || need="$need nftables"
command -v iptables-restore >/dev/null 2>&1 || need="$need iptables"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
command -v ip >/dev/null 2>&1 || need="$need iproute2"
# flow records (tests/it_flows.c, it_records.c): the exporters and the
# collector the comparison runs on the loopback
command -v nfcapd >/dev/null 2>&1 || need="$need nfdump"
command -v softflowd >/dev/null 2>&1 || need="$need softflowd"
command -v pmacctd >/dev/null 2>&1 || need="$need pmacct"
[ -n "$need" ] || exit 0
[ "$(id -u)" = 0 ] || { echo "test tools missing (not root, not installing):$need"; exit 0; }
echo "installing test tools:$need"
apt-get update -qq >/dev/null 2>&1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null 2>&1 ||
	echo "could not install:$need (the tests that need them will skip)"
exit 0
