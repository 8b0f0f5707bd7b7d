/*
 * names.c -- names of anomalies and outcomes; address and time formatting.
 *
 * Design. The names are the report's vocabulary (JSON keys and values), so
 * they are snake_case and stable: one table indexed by the enum, checked
 * at compile time to have one entry per value. Out-of-range values give
 * "unknown" rather than reading past the table. Addresses go through
 * inet_ntop; times are RFC 3339 in UTC with microseconds, formatted from
 * gmtime_r (no locale, no time zone lookups).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "capture.h"

static const char *const anomaly_names[] = {
	[CAP_AN_TRUNC_LINK] = "trunc_link",
	[CAP_AN_VLAN_DEPTH] = "vlan_depth",
	[CAP_AN_TRUNC_IP4] = "trunc_ip4",
	[CAP_AN_BAD_IP4_VERSION] = "bad_ip4_version",
	[CAP_AN_BAD_IP4_HLEN] = "bad_ip4_hlen",
	[CAP_AN_BAD_IP4_TOTLEN] = "bad_ip4_totlen",
	[CAP_AN_TRUNC_IP6] = "trunc_ip6",
	[CAP_AN_BAD_IP6_VERSION] = "bad_ip6_version",
	[CAP_AN_BAD_IP6_PLEN] = "bad_ip6_plen",
	[CAP_AN_IP6_EXT_TRUNC] = "ip6_ext_trunc",
	[CAP_AN_TRUNC_TCP] = "trunc_tcp",
	[CAP_AN_BAD_TCP_HLEN] = "bad_tcp_hlen",
	[CAP_AN_TRUNC_UDP] = "trunc_udp",
	[CAP_AN_BAD_UDP_LEN] = "bad_udp_len",
	[CAP_AN_TRUNC_ICMP] = "trunc_icmp",
	[CAP_AN_ICMP_QUOTE_TRUNC] = "icmp_quote_trunc",
	[CAP_AN_FRAG_NO_FIRST] = "frag_no_first",
	[CAP_AN_FRAG_TABLE_FULL] = "frag_table_full",
	[CAP_AN_SNAPLEN_CUT] = "snaplen_cut",
	[CAP_AN_NON_IP] = "non_ip",
	[CAP_AN_OTHER_L4] = "other_l4",
	[CAP_AN_BAD_LINK_HLEN] = "bad_link_hlen",
	[CAP_AN_WLAN_NON_DATA] = "wlan_non_data",
	[CAP_AN_WLAN_PROTECTED] = "wlan_protected",
	[CAP_AN_PPPOE_LEN] = "pppoe_len",
	[CAP_AN_BAD_TUNNEL] = "bad_tunnel",
	[CAP_AN_TUNNEL_DEPTH] = "tunnel_depth",
	[CAP_AN_FRAG_TINY] = "frag_tiny",
};
_Static_assert(sizeof(anomaly_names) / sizeof(anomaly_names[0]) == CAP_AN_COUNT,
               "one name per enum cap_anomaly value");

static const char *const outcome_names[] = {
	[CAP_OUT_ESTABLISHED] = "established",
	[CAP_OUT_CLOSED] = "closed",
	[CAP_OUT_REJECTED] = "rejected",
	[CAP_OUT_UNANSWERED] = "unanswered",
	[CAP_OUT_UNREACHABLE] = "unreachable",
	[CAP_OUT_MIDSTREAM] = "midstream",
	[CAP_OUT_ONEWAY] = "oneway",
	[CAP_OUT_REPLIED] = "replied",
};

const char *cap_anomaly_name(enum cap_anomaly a)
{
	if ((unsigned)a >= CAP_AN_COUNT || !anomaly_names[a])
		return "unknown";
	return anomaly_names[a];
}

const char *cap_outcome_name(enum cap_outcome o)
{
	if ((unsigned)o >= sizeof(outcome_names) / sizeof(outcome_names[0]) ||
	    !outcome_names[o])
		return "unknown";
	return outcome_names[o];
}

void cap_addr_format(uint8_t family, const uint8_t *addr, char *buf,
                     size_t len)
{
	if (!buf || len == 0)
		return;
	buf[0] = '\0';
	if (!addr)
		return;
	if (family == 4) {
		if (!inet_ntop(AF_INET, addr, buf, (socklen_t)len))
			buf[0] = '\0';
	} else if (family == 6) {
		if (!inet_ntop(AF_INET6, addr, buf, (socklen_t)len))
			buf[0] = '\0';
	} else {
		snprintf(buf, len, "?");
	}
}

void cap_time_format(uint64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000u);
	unsigned usec = (unsigned)(ns % 1000000000u / 1000u);
	struct tm tm;

	if (!buf || len == 0)
		return;
	if (!gmtime_r(&secs, &tm)) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, usec);
}
