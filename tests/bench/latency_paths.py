#!/usr/bin/python3
"""latency_paths: the order in which the scheduler ran the client, the
consumer and the echo server for each probe of a bench_latency run, from
the trace that `tests/bench/bench_latency.sh --trace FILE` writes.

    tests/bench/latency_paths.py FILE

On one CPU a probe's round trip depends on that order:
  client's send -> consumer woken (in the send's softirq):
    "reader at once"  the wake-up preempted the client (need-resched set),
    "reader waits"    the client ran on until it blocked in ppoll();
  consumer's verdict -> echo server woken:
    "echo next"       the server ran next (preempting the consumer, or
                      when it blocked),
    "client next"     the preempted client ran first, to its ppoll().
Only "reader at once" with "echo next" keeps the client's own work after
its send out of the round trip.  Per consumer (over all its rounds) this
prints how many probes took each order and the median time, in the
trace, from the send (netif_rx on veth1) to the client's switch-in after
the echo (netif_rx on veth0): not udpecho's RTT, which also has the
client's way into and out of ppoll(), but it moves with it.
"""
import collections
import re
import statistics
import sys

EV = re.compile(r'^\s*(.+)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+([\d.]+): '
                r'(\w+): (.*)$')
MARK = re.compile(r'bench_latency (begin|end) (\S+) (\S+) (\d+)')
PID = re.compile(r'(?:^| )pid=(\d+)')
NEXT = re.compile(r'next_pid=(\d+)')


def events(path):
    """Yield (pid, flags, t_us, name, rest) and marker tuples."""
    with open(path, errors='replace') as f:
        for line in f:
            m = EV.match(line)
            if not m:
                continue
            _, pid, _, flags, t, name, rest = m.groups()
            if name == 'tracing_mark_write' or name == 'print':
                mk = MARK.search(rest)
                if mk:
                    yield ('mark',) + mk.groups()
                continue
            yield ('ev', pid, flags, float(t) * 1e6, name, rest)


def runs(path):
    """Yield (mode, consumer, round, [events]) per marked run."""
    cur, evs = None, []
    for e in events(path):
        if e[0] == 'mark':
            if e[1] == 'begin':
                cur, evs = e[2:], []
            elif cur is not None:
                yield cur[0], cur[1], int(cur[2]), evs
                cur = None
        elif cur is not None:
            evs.append(e[1:])


def classify(evs):
    """Per probe: (order, trace_us); and how many probes were sent."""
    sends = collections.Counter(p for p, _, _, n, r in evs
                                if n == 'netif_rx' and 'dev=veth1' in r)
    echoes = collections.Counter(p for p, _, _, n, r in evs
                                 if n == 'netif_rx' and 'dev=veth0' in r)
    if not sends or not echoes:
        return [], sum(sends.values())
    client = sends.most_common(1)[0][0]
    server = echoes.most_common(1)[0][0]
    out, p = [], None
    for pid, flags, t, name, rest in evs:
        if name == 'netif_rx' and 'dev=veth1' in rest and pid == client:
            p = {'t': t, 'reader': None, 'woke_echo': False, 'next': None,
                 'echo': None}
            continue
        if p is None:
            continue
        if name == 'sched_wakeup':
            m = PID.search(rest)
            target = m.group(1) if m else None
            if target == server and p['reader'] is None:
                p['reader'] = 'none'        # no consumer: the echo itself
                p['woke_echo'] = True
            elif p['reader'] is None and target != client:
                p['reader'] = 'at once' if 'N' in flags else 'waits'
            elif target == server and p['reader'] not in (None, 'none'):
                p['woke_echo'] = True
        elif name == 'sched_switch':
            nxt = NEXT.search(rest)
            nxt = nxt.group(1) if nxt else None
            if p['woke_echo'] and p['next'] is None and \
                    p['reader'] != 'none':
                p['next'] = 'echo next' if nxt == server else \
                    'client next' if nxt == client else 'other next'
            if p['echo'] is not None and nxt == client:
                if p['reader'] == 'none':
                    order = 'no consumer'
                elif p['reader'] is not None and p['next'] is not None:
                    order = 'reader %s, %s' % (p['reader'], p['next'])
                else:
                    order = 'other'
                out.append((order, t - p['t']))
                p = None
        elif name == 'netif_rx' and 'dev=veth0' in rest:
            p['echo'] = t
    return out, sends[client]


def main():
    if len(sys.argv) != 2:
        sys.stderr.write('usage: latency_paths.py TRACE\n')
        return 2
    by = collections.defaultdict(list)
    nruns = collections.Counter()
    nsent = collections.Counter()
    for mode, cons, _, evs in runs(sys.argv[1]):
        nruns[(mode, cons)] += 1
        v, n = classify(evs)
        by[(mode, cons)].extend(v)
        nsent[(mode, cons)] += n
    if not by:
        sys.stderr.write('latency_paths: no marked runs in %s\n' %
                         sys.argv[1])
        return 1
    print('%-6s %-11s %-30s %7s %6s %10s' % ('mode', 'consumer', 'order',
                                           'probes', 'share', 'median us'))
    for key in sorted(by):
        v = by[key]
        if not v:
            continue
        orders = collections.defaultdict(list)
        for o, d in v:
            orders[o].append(d)
        for o in sorted(orders):
            print('%-6s %-11s %-30s %7d %5.1f%% %10.1f' % (
                key[0], key[1], o, len(orders[o]),
                100.0 * len(orders[o]) / len(v), statistics.median(orders[o])))
        print('%-6s %-11s %-30s %7d %6s %10.1f   (%d runs; %d probes '
              'sent, %d not one at a time or not complete in the trace)' % (
                  key[0], key[1], 'all', len(v), '',
                  statistics.median(d for _, d in v), nruns[key],
                  nsent[key], nsent[key] - len(v)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
