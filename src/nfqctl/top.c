/*
 * nfqctl top: the counters region shown again every interval, full
 * screen with curses, or as plain text frames on stdout (--batch, or when
 * stdout is not a terminal).  Both show topview.c's lines.
 */
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/procfs.h"
#include "nfqd/snapshot.h"
#include "nfqctl.h"
#include "topview.h"

/* Rules shown in batch mode, where the screen has no height. */
#define TOP_BATCH_RULES	20

struct top {
	struct nfqctl		*c;
	struct nfqctl_top_view	 view;
	struct nfqctl_top_snap	 snap[2];	/* the last two */
	int			 have;		/* snapshots in snap[] (0-2) */
	int			 cur;		/* snap[cur] is the newest */
	unsigned long		 iterations;	/* frames to show; 0: no end */
	int			 batch;
	int			 curses;	/* initscr() done, endwin() due */
	int			 line;		/* curses: next screen line */
	char			 err[8300];
};

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A new snapshot into the older slot; -1 with t->err. */
static int
top_take(struct top *t)
{
	struct nfqd_snapshot	sn;
	int			next = t->have == 0 ? 0 : !t->cur;

	/*
	 * Opened again for each frame: a reload replaces the rules region,
	 * and a daemon that went away should be said, not shown frozen.
	 */
	if (nfqd_snapshot_open(&sn, t->c->shm, t->err, sizeof(t->err)) == -1)
		return -1;
	if (nfqd_snapshot_take(&sn, NFQD_PROCFS_PATH, t->err,
	    sizeof(t->err)) == -1) {
		nfqd_snapshot_close(&sn);
		return -1;
	}
	if (nfqctl_top_save(&t->snap[next], sn.stats, now_s()) == -1) {
		snprintf(t->err, sizeof(t->err), "out of memory");
		nfqd_snapshot_close(&sn);
		return -1;
	}
	nfqd_snapshot_close(&sn);
	t->cur = next;
	if (t->have < 2)
		t->have++;
	return 0;
}

static void
emit_stdout(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
}

static void
emit_curses(void *arg, const char *line)
{
	struct top	*t = arg;

	if (t->line >= LINES)
		return;
	/* The title and the column headers stand out. */
	if (t->line == 0 || strncmp(line, "worker ", 7) == 0 ||
	    strncmp(line, "  rule ", 7) == 0)
		attron(A_BOLD);
	mvaddnstr(t->line, 0, line, COLS);
	attroff(A_BOLD);
	t->line++;
}

static void
top_show(struct top *t)
{
	const struct nfqctl_top_snap	*prev = NULL;

	if (t->have == 2)
		prev = &t->snap[!t->cur];
	if (t->batch) {
		t->view.rows = 0;
		nfqctl_top_layout(prev, &t->snap[t->cur], &t->view,
		    emit_stdout, t);
		printf("\n");
		fflush(stdout);
		return;
	}
	t->view.rows = LINES;
	t->line = 0;
	erase();
	nfqctl_top_layout(prev, &t->snap[t->cur], &t->view, emit_curses, t);
	refresh();
}

/* A key: 1 to quit, 2 to refresh now, 3 to show again, 0 nothing. */
static int
top_key(struct top *t, int ch)
{
	switch (ch) {
	case 'q':
	case 'Q':
		return 1;
	case 'r':
	case ' ':
		return 2;
	case KEY_RESIZE:
		return 3;
	case 'w':
		t->view.wsort = NFQCTL_TOP_W_WORKER;
		return 3;
	case 'p':
		t->view.wsort = NFQCTL_TOP_W_PACKETS;
		return 3;
	case 'd':
		t->view.wsort = NFQCTL_TOP_W_DROPS;
		return 3;
	case 'b':
		t->view.wsort = NFQCTL_TOP_W_BACKLOG;
		return 3;
	case 'h':
		t->view.rsort = NFQCTL_TOP_R_RATE;
		return 3;
	case 't':
		t->view.rsort = NFQCTL_TOP_R_HITS;
		return 3;
	case 'o':
		t->view.rsort = NFQCTL_TOP_R_ORDER;
		return 3;
	}
	return 0;
}

/*
 * Wait until the next frame is due; keys are read meanwhile.  0: time
 * for a frame; 1: quit (q, SIGINT, SIGTERM); -1: t->err.
 */
static int
top_wait(struct top *t, int sfd, double due)
{
	struct signalfd_siginfo	si;
	struct pollfd		pfd[2];
	double			left;
	int			n, ch, k;

	for (;;) {
		left = due - now_s();
		if (left <= 0)
			return 0;
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = STDIN_FILENO;
		pfd[1].events = POLLIN;
		n = poll(pfd, t->batch ? 1 : 2, (int)(left * 1000) + 1);
		if (n == -1 && errno != EINTR) {
			snprintf(t->err, sizeof(t->err), "poll: %s",
			    strerror(errno));
			return -1;
		}
		if (n > 0 && (pfd[0].revents & POLLIN)) {
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return 1;
		}
		if (t->batch)
			continue;
		/* EINTR: SIGWINCH, which curses turns into KEY_RESIZE. */
		while ((ch = getch()) != ERR) {
			if ((k = top_key(t, ch)) == 1)
				return 1;
			if (k == 2)
				return 0;
			if (k == 3)
				top_show(t);
		}
		if (n > 0 && (pfd[1].revents & (POLLHUP | POLLERR))) {
			snprintf(t->err, sizeof(t->err), "the terminal went "
			    "away");
			return -1;
		}
	}
}

static int
top_run(struct top *t, int sfd)
{
	unsigned long	frames = 0;
	double		due;
	int		rc;

	if (top_take(t) == -1)
		return -1;
	/* The first frame at once, without rates, on a screen only. */
	if (!t->batch)
		top_show(t);
	due = now_s() + t->view.interval;
	for (;;) {
		if ((rc = top_wait(t, sfd, due)) != 0)
			return rc == 1 ? 0 : -1;
		if (top_take(t) == -1)
			return -1;
		due = t->snap[t->cur].t + t->view.interval;
		top_show(t);
		if (t->iterations != 0 && ++frames >= t->iterations)
			return 0;
	}
}

static int
top_options(struct top *t, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "interval",	required_argument, NULL, 'i' },
		{ "iterations",	required_argument, NULL, 'n' },
		{ "batch",	no_argument,	   NULL, 'b' },
		{ NULL,		0,		   NULL, 0 }
	};
	char	*end;
	int	 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			t->view.interval = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' ||
			    !(t->view.interval >= 0.1 &&
			    t->view.interval <= 3600)) {
				fprintf(stderr, "nfqctl: top --interval: "
				    "seconds from 0.1 to 3600, not %s\n",
				    optarg);
				return -1;
			}
			break;
		case 'n':
			errno = 0;
			t->iterations = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *optarg == '-' ||
			    *end != '\0' || errno != 0) {
				fprintf(stderr, "nfqctl: top --iterations: "
				    "not a number: %s\n", optarg);
				return -1;
			}
			break;
		case 'b':
			t->batch = 1;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "nfqctl: top: unexpected argument: %s\n",
		    argv[optind]);
		return -1;
	}
	return 0;
}

int
nfqctl_top(struct nfqctl *c, int argc, char *argv[])
{
	struct top	*t;
	sigset_t	 mask, omask;
	int		 sfd, rc;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		perror("nfqctl: calloc");
		return NFQCTL_FAIL;
	}
	t->c = c;
	t->view.interval = 1;
	t->view.wsort = NFQCTL_TOP_W_WORKER;
	t->view.rsort = NFQCTL_TOP_R_RATE;
	t->view.max_rules = TOP_BATCH_RULES;
	if (top_options(t, argc, argv) == -1) {
		free(t);
		return NFQCTL_USAGE;
	}
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		t->batch = 1;
	if (nfqctl_paths(c, NFQCTL_NEED_SHM) == -1) {
		free(t);
		return NFQCTL_FAIL;
	}
	/* SIGINT and SIGTERM end the loop as q does: the terminal restored. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, &omask) == -1 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) == -1) {
		perror("nfqctl: signalfd");
		free(t);
		return NFQCTL_FAIL;
	}
	if (!t->batch) {
		if (initscr() == NULL) {
			fprintf(stderr, "nfqctl: top: cannot use the "
			    "terminal (TERM=%s)\n", getenv("TERM") != NULL ?
			    getenv("TERM") : "");
			close(sfd);
			free(t);
			return NFQCTL_FAIL;
		}
		t->curses = 1;
		cbreak();
		noecho();
		nodelay(stdscr, TRUE);
		keypad(stdscr, TRUE);
		curs_set(0);
		t->view.keys = 1;
	}
	rc = top_run(t, sfd);
	if (t->curses)
		endwin();
	if (rc == -1)
		fprintf(stderr, "nfqctl: %s\n", t->err);
	close(sfd);
	sigprocmask(SIG_SETMASK, &omask, NULL);
	nfqctl_top_free(&t->snap[0]);
	nfqctl_top_free(&t->snap[1]);
	free(t);
	return rc == -1 ? NFQCTL_FAIL : NFQCTL_OK;
}
