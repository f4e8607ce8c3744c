/*
 * The worker's seccomp allow-list (see sandbox.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "nfqd/nfqd.h"
#include "nfqd/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define NFQD_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define NFQD_SANITIZED	1
#endif
#endif

int
nfqd_sandbox_possible(void)
{
#ifdef NFQD_SANITIZED
	return 0;
#else
	return 1;
#endif
}

/*
 * The capture files (pcap.c): a new file is opened, the older ones renamed
 * up, with the directory's descriptor as the dirfd argument only; a failed
 * write is cut back with ftruncate() (and lseek(), allowed above).
 * Writing, fstat() and fcntl() (fdopen) are allowed already.  seccomp sees
 * the descriptor, not the path: an absolute path or ".." would still reach
 * outside the directory, so this narrows what a subverted worker can call
 * without confining it there; the files it can reach are those of
 * daemon.user (which pcap.dir wants anyway).
 */
static int
allow_pcap(scmp_filter_ctx ctx, int dirfd)
{
	const scmp_datum_t	d = (scmp_datum_t)dirfd;
	int			r;

	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A0(SCMP_CMP_EQ, d))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(renameat), 2,
	    SCMP_A0(SCMP_CMP_EQ, d), SCMP_A2(SCMP_CMP_EQ, d))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(renameat2), 2,
	    SCMP_A0(SCMP_CMP_EQ, d), SCMP_A2(SCMP_CMP_EQ, d))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ftruncate),
	    0)) < 0)
		return r;
	return 0;
}

int
nfqd_sandbox_worker(int pcap_dirfd, bool threads)
{
	/* What the worker's loop, its logging and glibc need. */
	static const int allowed[] = {
		/* the queue, rtnetlink, syslog */
		SCMP_SYS(recvmmsg), SCMP_SYS(recvmsg), SCMP_SYS(recvfrom),
		SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(connect),
		/* epoll, signalfd, timerfd, stderr */
		SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(read),
		SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(close),
		SCMP_SYS(fcntl), SCMP_SYS(lseek), SCMP_SYS(fstat),
		SCMP_SYS(newfstatat),
		/* time, scheduling */
		SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
		SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
		SCMP_SYS(sched_yield), SCMP_SYS(getpid),
		/* memory (printf, malloc in libraries) */
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap),
		SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(futex),
		/* ending (glibc blocks every signal before a thread exits) */
		SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(restart_syscall), SCMP_SYS(rt_sigprocmask),
#ifdef NFQD_FAULTS
		SCMP_SYS(kill),		/* the fault points' "kill" */
#endif
	};
	scmp_filter_ctx	ctx;
	size_t		i;
	int		r;

	if (!nfqd_sandbox_possible())
		return 0;
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/*
	 * Both attributes are best effort: a kernel or libseccomp without
	 * them loads the same filter, only slower.  The filter narrows what
	 * a compromised worker could ask of the kernel; it does not fence
	 * off untrusted code, so it need not force the speculative store
	 * bypass mitigation on the worker, which costs on every context
	 * switch on kernels before 5.16 (since then the kernel's default
	 * for seccomp is the same: spec_store_bypass_disable=prctl).  A
	 * binary tree instead of a list of 40 comparisons on every system
	 * call.
	 */
	(void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
	(void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	/*
	 * The capture file's writer thread (pcapw.h) runs already: the
	 * filter must cover it too, or not be loaded at all.
	 */
	if (threads && (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC,
	    1)) < 0)
		goto fail;
	for (i = 0; i < NFQD_ARRAY_SIZE(allowed); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i],
		    0)) < 0)
			goto fail;
	/* syslog() reconnects after its daemon restarted: AF_UNIX only. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX))) < 0)
		goto fail;
	if (pcap_dirfd != -1 && (r = allow_pcap(ctx, pcap_dirfd)) < 0)
		goto fail;
	/* seccomp_load() sets no_new_privs first (SCMP_FLTATR_CTL_NNP). */
	if ((r = seccomp_load(ctx)) < 0)
		goto fail;
	seccomp_release(ctx);
	return 0;
fail:
	seccomp_release(ctx);
	errno = -r;
	return -1;
}
