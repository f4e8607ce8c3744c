/*
 * Statistics as Prometheus text exposition, for nfqctl metrics.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nfqd/json.h"
#include "nfqd/metrics.h"
#include "nfqd/nfqd.h"
#include "nfqd/stats.h"

/*
 * One row per counter of struct nfqd_slot_stats (NFQD_SLOT_COUNTERS), as
 * a series per worker.  Rows with the same name are one family told apart
 * by the verdict label, and must follow each other.
 */
static const struct slot_metric {
	size_t		 off;
	const char	*name;
	const char	*verdict;	/* NULL: no verdict label */
	const char	*type;
	const char	*help;
} slot_metrics[] = {
#define C(f, n, h)	{ offsetof(struct nfqd_slot_stats, f), n, NULL, \
			    "counter", h }
#define V(f, v)		{ offsetof(struct nfqd_slot_stats, f), \
			    "nfqd_verdicts_total", v, "counter", \
			    "Packets given a verdict, by verdict." }
	C(received, "nfqd_packets_received_total",
	    "Packet messages read from the queue."),
	V(accepted, "accept"),
	V(dropped, "drop"),
	V(other, "other"),
	C(bytes, "nfqd_received_bytes_total",
	    "Original length of the packets read."),
	C(enobufs, "nfqd_socket_overruns_total",
	    "Times recv() said the socket buffer overran (ENOBUFS)."),
	C(skipped, "nfqd_packets_skipped_total",
	    "Packet ids the kernel used but never delivered."),
	C(nlerrors, "nfqd_netlink_errors_total",
	    "Kernel error replies and failed sends."),
	C(malformed, "nfqd_packets_malformed_total",
	    "Packets given malformed_verdict."),
	C(truncated, "nfqd_packets_truncated_total",
	    "Packets given truncated_verdict."),
	C(tiny_fragments, "nfqd_packets_tiny_fragments_total",
	    "Packets given tiny_fragment_verdict."),
	C(header_chains, "nfqd_packets_header_chains_total",
	    "Packets given header_chain_verdict."),
	C(orphans, "nfqd_packets_orphaned_total",
	    "Packets a dead worker had read, released by its successor."),
	C(nomatch, "nfqd_packets_unmatched_total",
	    "Packets no rule matched (default_verdict)."),
	C(rate_evictions, "nfqd_rate_evictions_total",
	    "Keyed rate buckets reused while not idle."),
	C(batches, "nfqd_batches_total",
	    "recvmmsg() calls that returned packets."),
	C(verdict_msgs, "nfqd_verdict_messages_total",
	    "Verdict messages sent."),
	C(l7_pending, "nfqd_l7_pending_total",
	    "Packets passed while their flow's first message was incomplete."),
	C(l7_errors, "nfqd_l7_errors_total",
	    "Packets given l7_error_verdict."),
	C(flows_untracked, "nfqd_flows_untracked_total",
	    "Packets given flows.full_verdict."),
	{ offsetof(struct nfqd_slot_stats, flows_active),
	    "nfqd_flows_active", NULL, "gauge", "Flows in the table now." },
	C(flows_created, "nfqd_flows_created_total", "Flows created."),
	C(flows_evicted, "nfqd_flows_evicted_total",
	    "Flows ended to make room."),
	C(flows_timed_out, "nfqd_flows_timed_out_total", "Flows timed out."),
	C(flows_full, "nfqd_flows_full_total",
	    "New flows that found no room."),
	C(reasm_full, "nfqd_reassembly_full_total",
	    "Client hellos with no reassembly buffer free."),
	C(l7_conflicts, "nfqd_l7_conflicts_total",
	    "Overlapping segments whose bytes differed."),
	C(l7_malformed, "nfqd_l7_malformed_total",
	    "First messages found malformed."),
	C(l7_bad_csum, "nfqd_l7_bad_checksums_total",
	    "Client segments with a wrong TCP checksum."),
	C(l7_mptcp, "nfqd_l7_mptcp_refused_total",
	    "Client SYNs that offer Multipath TCP, given l7_error_verdict "
	    "(strip TCP option 30 first: docs/l7.md)."),
	C(l7_tls, "nfqd_l7_tls_hellos_total", "TLS ClientHellos read."),
	C(l7_http, "nfqd_l7_http_requests_total", "HTTP requests read."),
	C(l7_dns, "nfqd_l7_dns_messages_total", "DNS messages read."),
	C(l7_other, "nfqd_l7_other_messages_total",
	    "First messages of a protocol nfqd does not read."),
	C(l7_quic, "nfqd_l7_quic_hellos_total",
	    "ClientHellos read from QUIC Initials."),
	C(l7_quic_refused, "nfqd_l7_quic_refused_total",
	    "QUIC packets refused unread."),
	C(quic_claims, "nfqd_quic_claims_total",
	    "QUIC connection IDs claimed by the flow that read their first "
	    "Initial."),
	C(quic_claims_held, "nfqd_quic_claims_held_total",
	    "QUIC Initials with CRYPTO data refused: another flow holds their "
	    "connection ID."),
	C(quic_claims_full, "nfqd_quic_claims_full_total",
	    "QUIC Initials with no room to claim their connection ID: read "
	    "alone (a blocked hello whole in one is still refused), else "
	    "flows.full_verdict."),
	C(pcap_packets, "nfqd_pcap_packets_total",
	    "Packets written to the capture file (log = \"pcap\")."),
	C(pcap_bytes, "nfqd_pcap_bytes_total",
	    "Original length of the packets written to the capture file."),
	C(pcap_errors, "nfqd_pcap_errors_total",
	    "Packets to capture that a failed write or open kept out of the "
	    "file."),
	C(pcap_behind, "nfqd_pcap_behind_total",
	    "Packets not captured because the disk fell behind (every buffer "
	    "still being written)."),
	C(pcap_rotations, "nfqd_pcap_rotations_total",
	    "Capture files rotated at pcap.max_bytes."),
	C(dns_learned, "nfqd_dns_learned_total",
	    "(address, name) entries learned from DNS answers."),
	C(dns_hits, "nfqd_dns_hits_total",
	    "dst_name lookups that found learned names."),
	C(dns_evictions, "nfqd_dns_evictions_total",
	    "Learned entries given up for room."),
	C(dns_expiries, "nfqd_dns_expiries_total",
	    "Learned entries reclaimed past their TTL."),
	C(dns_refused, "nfqd_dns_refused_total",
	    "DNS answers not learned from: unsolicited, malformed, or from a "
	    "server not in dns_learn.servers."),
	C(dns_busy, "nfqd_dns_busy_total",
	    "Writes to the learned-names table given up on a held lock."),
	C(dns_refreshed, "nfqd_dns_refreshed_total",
	    "Buckets of the learned-names table whose kept marks were "
	    "computed again for newer rules."),
#undef C
#undef V
};

size_t
nfqd_metrics_slot_rows(void)
{
	return NFQD_ARRAY_SIZE(slot_metrics);
}

static void
family(struct nfqd_buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * A label value: backslash, double quote and newline escaped, and a byte
 * that does not start a valid UTF-8 sequence written as U+FFFD (the
 * exposition is UTF-8: Prometheus' parser refuses the label otherwise).
 */
static void
label_value(struct nfqd_buf *b, const char *s)
{
	const unsigned char	*p;
	size_t			 n;

	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		n = nfqd_utf8_len(p);
		if (n == 0) {
			buf_append(b, "\xef\xbf\xbd", 3);
			n = 1;
		} else if (*p == '\\' || *p == '"')
			buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_append(b, "\\n", 2);
		else
			buf_append(b, (const char *)p, n);
	}
}

static void
workers(const struct nfqd_stats *s, struct nfqd_buf *b)
{
	const struct slot_metric	*m;
	const struct nfqd_stats_worker	*w;
	size_t				 r, i;

	for (r = 0; r < NFQD_ARRAY_SIZE(slot_metrics); r++) {
		m = &slot_metrics[r];
		if (r == 0 || strcmp(m->name, slot_metrics[r - 1].name) != 0)
			family(b, m->name, m->type, m->help);
		for (i = 0; i < s->nworkers; i++) {
			w = &s->workers[i];
			buf_printf(b, "%s{worker=\"%u\",queue=\"%u\"", m->name,
			    w->id, w->queue);
			if (m->verdict != NULL)
				buf_printf(b, ",verdict=\"%s\"", m->verdict);
			buf_printf(b, "} %llu\n", (unsigned long long)
			    *(const uint64_t *)(const void *)
			    ((const char *)&w->st + m->off));
		}
	}
	family(b, "nfqd_worker_restarts_total", "counter",
	    "Workers respawned after an unexpected exit.");
	for (i = 0; i < s->nworkers; i++)
		buf_printf(b, "nfqd_worker_restarts_total{worker=\"%u\","
		    "queue=\"%u\"} %llu\n", s->workers[i].id,
		    s->workers[i].queue,
		    (unsigned long long)s->workers[i].restarts);
	family(b, "nfqd_worker_up", "gauge",
	    "1 while the worker runs, else 0.");
	for (i = 0; i < s->nworkers; i++)
		buf_printf(b, "nfqd_worker_up{worker=\"%u\",queue=\"%u\"} %d\n",
		    s->workers[i].id, s->workers[i].queue,
		    s->workers[i].state == NFQD_SLOT_RUNNING);
	family(b, "nfqd_queue_full_checks_total", "counter",
	    "Checks of the kernel's counters that found the queue full.");
	for (i = 0; i < s->nworkers; i++)
		buf_printf(b, "nfqd_queue_full_checks_total{worker=\"%u\","
		    "queue=\"%u\"} %llu\n", s->workers[i].id,
		    s->workers[i].queue,
		    (unsigned long long)s->workers[i].full_seen);
}

static void
rules(const struct nfqd_stats *s, uint32_t max_rules, struct nfqd_buf *b)
{
	uint64_t	 hits = 0, bytes = 0;
	uint32_t	 i, n = s->nrules < max_rules ? s->nrules : max_rules;
	int		 k;

	family(b, "nfqd_rules", "gauge", "Rules in the configuration.");
	buf_printf(b, "nfqd_rules %u\n", s->nrules);
	for (i = n; i < s->nrules; i++) {
		hits += s->rules[i].hits;
		bytes += s->rules[i].bytes;
	}
	for (k = 0; k < 2; k++) {
		const char *name = k == 0 ? "nfqd_rule_hits_total" :
		    "nfqd_rule_bytes_total";

		family(b, name, "counter", k == 0 ?
		    "Packets the rule decided." :
		    "Original length of the packets the rule decided.");
		for (i = 0; i < n; i++) {
			buf_printf(b, "%s{rule=\"", name);
			label_value(b, s->rules[i].name);
			buf_printf(b, "\"} %llu\n", (unsigned long long)
			    (k == 0 ? s->rules[i].hits : s->rules[i].bytes));
		}
		if (n < s->nrules)
			buf_printf(b, "%s{rule=\"_other\"} %llu\n", name,
			    (unsigned long long)(k == 0 ? hits : bytes));
	}
}

static void
kernel(const struct nfqd_stats *s, struct nfqd_buf *b)
{
	/* wide: a uint64_t field (the master's totals), else uint32_t. */
	static const struct {
		size_t		 off;
		bool		 wide;
		const char	*name, *type, *help;
	} km[] = {
		{ offsetof(struct nfqd_kqueue, queue_total), false,
		    "nfqd_kernel_queue_waiting", "gauge",
		    "Packets in the kernel's queue waiting for a verdict." },
		{ offsetof(struct nfqd_kqueue, queue_dropped), true,
		    "nfqd_kernel_queue_dropped_total", "counter",
		    "Packets the kernel dropped because the queue was full "
		    "since nfqd started." },
		{ offsetof(struct nfqd_kqueue, user_dropped), true,
		    "nfqd_kernel_queue_user_dropped_total", "counter",
		    "Packets the kernel dropped because the socket buffer was "
		    "full since nfqd started." },
		{ offsetof(struct nfqd_kqueue, id_sequence), false,
		    "nfqd_kernel_queue_id_sequence", "gauge",
		    "Last packet id the kernel handed out (32 bits, wraps)." },
		{ offsetof(struct nfqd_kqueue, copy_range), false,
		    "nfqd_kernel_queue_copy_range_bytes", "gauge",
		    "Bytes of each packet copied to nfqd." },
	};
	const char	*f;
	size_t		 r, i;

	for (r = 0; r < NFQD_ARRAY_SIZE(km); r++) {
		family(b, km[r].name, km[r].type, km[r].help);
		for (i = 0; i < s->nkernel; i++) {
			f = (const char *)&s->kernel[i] + km[r].off;
			buf_printf(b, "%s{queue=\"%u\"} %llu\n", km[r].name,
			    s->kernel[i].queue, km[r].wide ?
			    (unsigned long long)*(const uint64_t *)
			    (const void *)f :
			    (unsigned long long)*(const uint32_t *)
			    (const void *)f);
		}
	}
}

void
nfqd_metrics_write(const struct nfqd_stats *s, uint32_t max_rules,
    struct nfqd_buf *b)
{
	family(b, "nfqd_info", "gauge", "The version of nfqd that writes "
	    "the counters.");
	buf_printf(b, "nfqd_info{version=\"%s\"} 1\n", NFQD_VERSION);
	family(b, "nfqd_start_time_seconds", "gauge",
	    "When the master started, seconds since the epoch.");
	buf_printf(b, "nfqd_start_time_seconds %llu\n",
	    (unsigned long long)(s->now - s->uptime_s));
	family(b, "nfqd_config_generation", "gauge",
	    "Configurations loaded: 1 at start, one more for each reload.");
	buf_printf(b, "nfqd_config_generation %u\n", s->generation);
	family(b, "nfqd_workers", "gauge", "Workers configured.");
	buf_printf(b, "nfqd_workers %zu\n", s->nworkers);
	if (s->dns_capacity > 0) {
		family(b, "nfqd_dns_entries", "gauge",
		    "Entries in the table of names learned from DNS answers.");
		buf_printf(b, "nfqd_dns_entries %llu\n",
		    (unsigned long long)s->dns_entries);
		family(b, "nfqd_dns_capacity", "gauge",
		    "Entries that table holds (dns_learn.max_entries).");
		buf_printf(b, "nfqd_dns_capacity %llu\n",
		    (unsigned long long)s->dns_capacity);
	}
	if (s->quic_claim_capacity > 0) {
		family(b, "nfqd_quic_claim_capacity", "gauge",
		    "Slots of the table of claimed QUIC connection IDs.");
		buf_printf(b, "nfqd_quic_claim_capacity %llu\n",
		    (unsigned long long)s->quic_claim_capacity);
		family(b, "nfqd_quic_claims_live", "gauge",
		    "Live claims in that table, as last counted.");
		buf_printf(b, "nfqd_quic_claims_live %llu\n",
		    (unsigned long long)s->quic_claims_live);
	}
	workers(s, b);
	rules(s, max_rules, b);
	kernel(s, b);
}
