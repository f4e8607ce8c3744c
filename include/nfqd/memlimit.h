#ifndef NFQD_MEMLIMIT_H
#define NFQD_MEMLIMIT_H

/*
 * The memory nfqd may take (memlimit.c), for name_sets_max_bytes "auto":
 * the host's, or its cgroup's limit where that is lower.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The memory limit of this process's cgroup and of each cgroup above it,
 * the lowest: cgroup v2's memory.max, the path from ROOT/proc/self/cgroup's
 * "0::/path" line; where no memory.max is read there, cgroup v1's
 * memory.limit_in_bytes, the path from its "N:memory:/path" line.  The
 * hierarchies are where ROOT/proc/self/mountinfo mounts them (fstype
 * cgroup2; cgroup with the memory option), the path taken under the
 * mount's root; where mountinfo cannot be read, at ROOT/sys/fs/cgroup and
 * ROOT/sys/fs/cgroup/memory.  root: "" on a host, a test's tree.
 * UINT64_MAX: no limit ("max", v1's 2^63 less a page), or none could be
 * read.  A limit under 1 MiB counts as none, and note (notelen > 0) says
 * which file held it; note is "" otherwise.
 */
uint64_t	nfqd_cgroup_mem_max(const char *root, char *note,
		    size_t notelen);

/*
 * MemTotal (sysinfo(2)), or the cgroup's limit where lower (*cgroup then
 * true), note as nfqd_cgroup_mem_max()'s.  0, or -1 with errno where
 * sysinfo() fails.
 */
int		nfqd_mem_limit(uint64_t *bytes, bool *cgroup, char *note,
		    size_t notelen);

#endif
