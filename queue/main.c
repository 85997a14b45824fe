/*
 * postern-queue: the queue runner, run as root by the init system.
 *
 *	postern-queue -f [-v]	the daemon, in the foreground
 *	postern-queue -q [-v]	one pass over both queues, then exit
 *	postern-queue -p	list both queues (root's mailq)
 *	postern-queue -c	check the installation (check.c)
 *
 * The master: picks up client files (pickup.c) when inotify says one
 * arrived in submit/new, and at every queue_run_interval; keeps a table of
 * the messages in queue/ with the time each is due; forks delivery
 * children (deliver.c) for due messages, at most delivery_concurrency at
 * once, each with a batch of queue files it opened and locked with
 * flock(); reads their one-line reports ("ID done", "ID next T").  A
 * message whose lock is held (a child of an earlier master that was
 * killed, still at work) is left to it.  SIGTERM or SIGINT: stop (the
 * children finish their batch); SIGHUP: read postern.conf again.  Signals
 * are read from a signalfd: no signal handler runs at all.
 *
 * Start-up, in this order (STYLE.md 9): fds 0-2 valid and the rest closed,
 * umask 077, signals reset, the environment emptied, options parsed, root
 * required, postern.conf read (root's, no links), the queue directories
 * opened without following links, postern_user looked up.
 *
 * Diagnostics: syslog (LOG_MAIL), also stderr with -v or a terminal.
 * Exit: 0; 64 usage; 77 not root; 78 configuration; 71/74 system errors.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include "queue/queue.h"

#define BATCH_MAX	100
#define PICKUP_SLICE	256	/* client files between looks at the rest */
#define CHILDREN_MAX	64

struct runner rn;

/*
 * CAPABILITIES kept by the runner (-f, -q):
 *   CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH: open the client files, which
 *     are their submitters' (mode 0600), to hand them to the unprivileged
 *     parser, and move aside whatever a group member planted in
 *     submit/new (a directory of another user's can only be renamed with
 *     write permission on it);
 *   CAP_SETUID, CAP_SETGID: become postern_user in the pickup and relay
 *     children; mail.local's delivery children need them too;
 *   CAP_SETPCAP: mail.local locks SECBIT_NOROOT at its start.
 * The bounding set holds only the last three, so mail.local, which the
 * runner executes as root, never gets the DAC capabilities (it keeps
 * only CAP_SETUID and CAP_SETGID itself).
 */
static const cap_value_t runner_caps[] = {
	CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_SETUID, CAP_SETGID,
	CAP_SETPCAP
};
static const cap_value_t runner_unbound[] = {
	CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
};

/* A message in queue/ and when it is due. */
struct entry {
	char	 id[64];
	time_t	 next;
	bool	 busy;		/* in a child's batch */
	bool	 tried;		/* attempted in this -q pass */
};

struct child {
	pid_t	 pid;
	int	 res;		/* its report pipe */
	struct buf in;
	char	(*ids)[64];	/* its batch */
	size_t	 nids;
};

static struct entry *tab;
static size_t ntab, captab;
static struct child kids[CHILDREN_MAX];
static size_t nkids;
static int sigfd = -1, inofd = -1;

static _Noreturn void
usage(void)
{
	(void)fprintf(stderr, "usage: postern-queue -f | -q | -p | -c [-v]\n");
	exit(EX_USAGE);
}

/*
 * THE TABLE: entries in an array, found through an open-addressing hash
 * of their ids (slot value: index + 1; 0 empty; TAB_GONE deleted), so a
 * queue of 100,000 messages costs no linear scans.
 */
#define TAB_GONE	((size_t)-1)
static size_t *hslot;
static size_t hcap, hused;	/* hused counts live and deleted slots */

static size_t
tab_hash(const char *id)
{
	size_t h = 5381;

	while (*id != '\0')
		h = h * 33 + (unsigned char)*id++;
	return h;
}

/* The slot of id, or of the empty slot where it would go. */
static size_t
tab_slot(const char *id, bool *found)
{
	size_t i = tab_hash(id) & (hcap - 1), gone = TAB_GONE;

	for (;;) {
		size_t v = hslot[i];

		if (v == 0) {
			*found = false;
			return gone != TAB_GONE ? gone : i;
		}
		if (v == TAB_GONE) {
			if (gone == TAB_GONE)
				gone = i;
		} else if (strcmp(tab[v - 1].id, id) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & (hcap - 1);
	}
}

/* Rebuild the hash at a size for n entries. */
static void
tab_rehash(size_t n)
{
	size_t i;
	bool found;

	free(hslot);
	for (hcap = 64; hcap < n * 2 + 2; hcap *= 2)
		;
	hslot = xcalloc(hcap, sizeof(*hslot));
	hused = 0;
	for (i = 0; i < ntab; i++) {
		hslot[tab_slot(tab[i].id, &found)] = i + 1;
		hused++;
	}
}

static struct entry *
tab_find(const char *id)
{
	bool found;
	size_t k;

	if (hcap == 0)
		return NULL;
	k = tab_slot(id, &found);
	return found ? &tab[hslot[k] - 1] : NULL;
}

/* Add id (due at next) unless it is known. */
static void
tab_add(const char *id, time_t next)
{
	struct entry *e;
	bool found;
	size_t k;

	if (strlen(id) >= sizeof(e->id) || tab_find(id) != NULL)
		return;
	if ((hused + 1) * 2 > hcap)
		tab_rehash(ntab + 1);
	if (ntab == captab) {
		captab = captab ? xmul(captab, 2) : 64;
		tab = xreallocarray(tab, captab, sizeof(*tab));
	}
	e = &tab[ntab++];
	memset(e, 0, sizeof(*e));
	(void)snprintf(e->id, sizeof(e->id), "%s", id);
	e->next = next;
	k = tab_slot(id, &found);
	if (hslot[k] == 0)
		hused++;
	hslot[k] = ntab;
}

static void
tab_del(const char *id)
{
	bool found;
	size_t k, i, last;

	if (hcap == 0 || (k = tab_slot(id, &found), !found))
		return;
	i = hslot[k] - 1;
	hslot[k] = TAB_GONE;
	last = --ntab;
	if (i != last) {
		/* The last entry moves into the hole: point its slot there. */
		tab[i] = tab[last];
		hslot[tab_slot(tab[i].id, &found)] = i + 1;
	}
}

static void
picked(const char *id, void *arg)
{
	(void)arg;
	tab_add(id, 0);
}

/* Is name a queue file's name (not a temporary or set-aside one)? */
static bool
queue_name(const char *name)
{
	return name[0] != '.' && strlen(name) < 64;
}

/* Learn every file in queue/ not in the table (read = its due time). */
static void
queue_scan(bool read_next)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = dup(rn.queuefd)) < 0 || (d = fdopendir(fd)) == NULL) {
		log_error("cannot read queue/: %s", strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	rewinddir(d);
	/* readdir_r is deprecated (POSIX.1-2008); one thread, one stream. */
	/* cppcheck-suppress readdirCalled */
	while ((de = readdir(d)) != NULL) {
		struct qmsg m;
		struct buf why = BUF_INIT;
		time_t next = 0;
		int qf;

		if (!queue_name(de->d_name) || tab_find(de->d_name) != NULL)
			continue;
		if (read_next && (qf = openat(rn.queuefd, de->d_name,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			if (qfile_read(qf, &m, &why) == 0) {
				next = m.next;
				qmsg_free(&m);	/* closes qf */
			} else
				(void)close(qf);
		}
		buf_free(&why);
		tab_add(de->d_name, next);
	}
	(void)closedir(d);
}

/* Open and lock queue/ID for a child; -1 if busy or gone. */
static int
queue_lock(const char *id)
{
	struct stat st;
	int fd = openat(rn.queuefd, id, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -2 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    st.st_nlink != 1) {
		log_error("queue/%s: not a queue file (type, owner or links): "
		    "left alone", id);
		(void)close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		(void)close(fd);	/* another delivery holds it */
		return -1;
	}
	return fd;
}

/* Start a child for the due entries; false when nothing was started. */
static bool
spawn(bool force)
{
	int fds[BATCH_MAX], p[2] = { -1, -1 };
	char ids[BATCH_MAX][64];
	size_t n = 0, i;
	time_t now = time(NULL);
	pid_t pid;

	if (nkids >= (size_t)config_num(CF_delivery_concurrency) ||
	    nkids >= CHILDREN_MAX)
		return false;
	for (i = 0; i < ntab && n < BATCH_MAX; i++) {
		struct entry *e = &tab[i];

		int fd;

		if (e->busy || (force ? e->tried : e->next > now))
			continue;
		if ((fd = queue_lock(e->id)) == -2) {
			tab_del(e->id);		/* gone: done elsewhere */
			i--;
			continue;
		}
		if (fd < 0) {
			/* Held by another delivery: look again later. */
			e->next = now + 60;
			e->tried = true;
			continue;
		}
		e->busy = e->tried = true;
		(void)snprintf(ids[n], sizeof(ids[n]), "%s", e->id);
		fds[n++] = fd;
	}
	if (n == 0)
		return false;
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		log_error("cannot start a delivery process: %s",
		    strerror(errno));
		if (p[0] >= 0) {
			(void)close(p[0]);
			(void)close(p[1]);
		}
		for (i = 0; i < n; i++) {
			(void)close(fds[i]);
			if (tab_find(ids[i]) != NULL)
				tab_find(ids[i])->busy = false;
		}
		return false;
	}
	if (pid == 0) {
		sigset_t none;

		(void)sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)close(p[0]);
		(void)close(rn.lockfd);
		if (sigfd >= 0)
			(void)close(sigfd);
		if (inofd >= 0)
			(void)close(inofd);
		for (i = 0; i < nkids; i++)
			(void)close(kids[i].res);
		deliver_batch(fds, ids, n, force, p[1]);
		_exit(0);
	}
	(void)close(p[1]);
	for (i = 0; i < n; i++)
		(void)close(fds[i]);	/* the lock stays with the child */
	kids[nkids].pid = pid;
	kids[nkids].res = p[0];
	buf_init(&kids[nkids].in);
	kids[nkids].ids = xcalloc(n, sizeof(*kids[nkids].ids));
	memcpy(kids[nkids].ids, ids, n * sizeof(*ids));
	kids[nkids].nids = n;
	nkids++;
	return true;
}

/* Lines from a child: "ID done" or "ID next T". */
static void
child_lines(struct child *c)
{
	char *nl;

	while (c->in.len > 0 && (nl = memchr(c->in.data, '\n', c->in.len)) !=
	    NULL) {
		char id[64], what[8];
		long long t = 0;
		struct entry *e;

		*nl = '\0';
		/* Our own child's line: a bad time only reschedules. */
		/* NOLINTNEXTLINE(cert-err34-c) */
		if (sscanf(c->in.data, "%63s %7s %lld", id, what, &t) >= 2 &&
		    (e = tab_find(id)) != NULL) {
			if (strcmp(what, "done") == 0)
				tab_del(id);
			else {
				e->next = (time_t)t;
				e->busy = false;
			}
		}
		buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
	}
}

/* Read a child's report; at EOF reap it.  true when it ended. */
static bool
child_read(size_t k)
{
	struct child *c = &kids[k];
	char chunk[4096];
	ssize_t n = read(c->res, chunk, sizeof(chunk));
	size_t i;
	int st;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n > 0 && c->in.len < 65536) {
		buf_append(&c->in, chunk, (size_t)n);
		child_lines(c);
		return false;
	}
	if (n > 0)
		return false;
	(void)close(c->res);
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		log_error("delivery process %ld ended with status %d",
		    (long)c->pid, st);
	/* Whatever it did not report: due again in a minute. */
	for (i = 0; i < c->nids; i++) {
		struct entry *e = tab_find(c->ids[i]);

		if (e != NULL && e->busy) {
			e->busy = false;
			e->next = time(NULL) + 60;
		}
	}
	free(c->ids);
	buf_free(&c->in);
	*c = kids[--nkids];
	queue_scan(false);	/* bounces it queued */
	return true;
}

/* Read what the children say; wait up to timeout ms for it (-q). */
static void
wait_one_child(int timeout)
{
	struct pollfd pfd[CHILDREN_MAX];
	size_t i;

	for (i = 0; i < nkids; i++) {
		pfd[i].fd = kids[i].res;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	if (poll(pfd, nkids, timeout) < 0 && errno != EINTR)
		return;
	for (i = nkids; i-- > 0;)
		if (pfd[i].revents != 0)
			(void)child_read(i);
}

/* -q: pick up, deliver everything once (and what that queues). */
static int
run_once(void)
{
	bool more = true;

	pickup_clean_tmp();
	pickup_reconcile();
	queue_scan(false);
	/* Pick up a slice, start deliveries, go on: both run at once. */
	while (more || nkids > 0) {
		more = pickup_scan(PICKUP_SLICE, picked, NULL) == PICKUP_SLICE;
		while (spawn(true))
			;
		if (!more && nkids > 0)
			wait_one_child(-1);
		else if (nkids > 0)
			wait_one_child(0);
	}
	return EX_OK;
}

/* Watch submit/new and read signals; then serve until told to stop. */
static int
run_daemon(void)
{
	sigset_t mask;
	time_t rescan = 0;
	bool stop = false, more = false;

	(void)sigemptyset(&mask);
	(void)sigaddset(&mask, SIGTERM);
	(void)sigaddset(&mask, SIGINT);
	(void)sigaddset(&mask, SIGHUP);
	(void)sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		log_die(EX_OSERR, "signalfd: %s", strerror(errno));
	if ((inofd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
		log_die(EX_OSERR, "inotify: %s", strerror(errno));
	{
		char path[64];

		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", rn.newfd);
		if (inotify_add_watch(inofd, path, IN_MOVED_TO |
		    IN_CLOSE_WRITE) < 0)
			log_die(EX_OSERR, "inotify on submit/new: %s",
			    strerror(errno));
	}
	log_info("started: queue %s, relayhost %s", config_str(
	    CF_queue_directory), config_str(CF_relayhost)[0] ?
	    config_str(CF_relayhost) : "none");
	pickup_reconcile();
	queue_scan(true);
	while (!stop) {
		struct pollfd pfd[CHILDREN_MAX + 2];
		time_t now = time(NULL), wake;
		size_t i;
		int timeout;

		if (now >= rescan) {
			pickup_clean_tmp();
			more = pickup_scan(PICKUP_SLICE, picked, NULL) ==
			    PICKUP_SLICE;
			queue_scan(true);
			rescan = now + (time_t)config_num(CF_queue_run_interval);
		} else if (more)
			more = pickup_scan(PICKUP_SLICE, picked, NULL) ==
			    PICKUP_SLICE;
		while (spawn(false))
			;
		wake = rescan;
		for (i = 0; i < ntab; i++)
			if (!tab[i].busy && tab[i].next < wake)
				wake = tab[i].next;
		timeout = wake <= now || more ? 0 : wake - now > 3600 ?
		    3600000 : (int)(wake - now) * 1000;
		if (nkids >= (size_t)config_num(CF_delivery_concurrency) &&
		    wake <= now && !more)
			timeout = -1;	/* a child's end wakes us */
		pfd[0].fd = sigfd;
		pfd[1].fd = inofd;
		for (i = 0; i < nkids; i++)
			pfd[2 + i].fd = kids[i].res;
		for (i = 0; i < nkids + 2; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, nkids + 2, timeout) < 0 && errno != EINTR)
			log_die(EX_OSERR, "poll: %s", strerror(errno));
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sigfd, &si, sizeof(si)) ==
			    (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGTERM ||
				    si.ssi_signo == SIGINT)
					stop = true;
				else if (si.ssi_signo == SIGHUP) {
					struct buf why = BUF_INIT;

					if (config_load(config_default_path(),
					    CONFIG_F_TRUSTED |
					    CONFIG_F_MISSING_OK, &why) < 0)
						log_error("%s", buf_cstr(&why));
					else
						log_info("reloaded %s",
						    config_default_path());
					buf_free(&why);
				}
			}
		}
		if (pfd[1].revents & POLLIN) {
			char ev[4096];

			while (read(inofd, ev, sizeof(ev)) > 0)
				;
			more = pickup_scan(PICKUP_SLICE, picked, NULL) ==
			    PICKUP_SLICE;
		}
		for (i = nkids; i-- > 0;)
			if (pfd[2 + i].revents != 0)
				(void)child_read(i);
	}
	log_info("stopping (%zu delivery processes finish their work)", nkids);
	return EX_OK;
}

/* -p: both queues, in the style of sendmail's and Postfix's mailq. */
static int
list_queues(void)
{
	struct dirent *de;
	DIR *d;
	int fd, shown = 0;
	long long bytes = 0;

	printf("-Queue ID-------------------- --Size-- ----Arrival Time---- "
	    "-Sender/Recipient-------\n");
	if ((fd = dup(rn.newfd)) >= 0 && (d = fdopendir(fd)) != NULL) {
		rewinddir(d);
		/* cppcheck-suppress readdirCalled */
		while ((de = readdir(d)) != NULL) {
			struct stat st;
			char when[32];
			struct tm tm;

			if (de->d_name[0] == '.' || fstatat(rn.newfd,
			    de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			(void)strftime(when, sizeof(when), "%a %b %e %H:%M:%S",
			    localtime_r(&st.st_mtime, &tm));
			printf("%-29.29s %8lld %s  (waiting for pickup, uid "
			    "%lu)\n\n", de->d_name, (long long)st.st_size, when,
			    (unsigned long)st.st_uid);
			shown++;
			bytes += st.st_size;
		}
		(void)closedir(d);
	}
	if ((fd = dup(rn.queuefd)) >= 0 && (d = fdopendir(fd)) != NULL) {
		rewinddir(d);
		/* cppcheck-suppress readdirCalled */
		while ((de = readdir(d)) != NULL) {
			struct qmsg m;
			struct buf why = BUF_INIT;
			char when[32];
			struct tm tm;
			size_t i;
			int qf;

			if (!queue_name(de->d_name) || (qf = openat(rn.queuefd,
			    de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				continue;
			if (qfile_read(qf, &m, &why) < 0) {
				printf("%-29.29s (unreadable: %s)\n\n",
				    de->d_name, buf_cstr(&why));
				(void)close(qf);
				buf_free(&why);
				continue;
			}
			(void)strftime(when, sizeof(when), "%a %b %e %H:%M:%S",
			    localtime_r(&m.arrival, &tm));
			printf("%-29.29s %8lld %s  %s\n", m.id,
			    (long long)m.msg_size, when, m.sender[0] ?
			    m.sender : "MAILER-DAEMON");
			for (i = 0; i < m.nr; i++) {
				if (m.r[i].state != QR_PENDING)
					continue;
				if (m.r[i].text != NULL)
					printf("%*s(%s)\n", 8, "", m.r[i].text);
				printf("%*s%s\n", 40, "", m.r[i].addr);
			}
			printf("\n");
			shown++;
			bytes += m.msg_size;
			qmsg_free(&m);
			buf_free(&why);
		}
		(void)closedir(d);
	}
	if (shown == 0)
		printf("Mail queue is empty\n");
	else
		printf("-- %lld Kbytes in %d Request%s.\n", (bytes + 1023) / 1024,
		    shown, shown == 1 ? "" : "s");
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/* Open dir below the queue directory without following links. */
static int
open_qdir(const char *name)
{
	int fd = openat(rn.qdirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);

	if (fd < 0)
		log_die(EX_CONFIG, "%s/%s: %s (postern-queue -c tells what to "
		    "fix)", config_str(CF_queue_directory), name,
		    strerror(errno));
	return fd;
}

int
main(int argc, char **argv)
{
	struct buf why = BUF_INIT;
	struct utsname un;
	int ch, mode = 0, tries;

	if (iox_start_clean() < 0)
		return EX_OSERR;
	log_init("postern-queue", LOG_F_SYSLOG | LOG_F_AUTO);
	rn.lockfd = -1;
	while ((ch = getopt(argc, argv, "cfpqv")) != -1) {
		switch (ch) {
		case 'c':
		case 'f':
		case 'p':
		case 'q':
			if (mode != 0)
				usage();
			mode = ch;
			break;
		case 'v':
			rn.verbose = true;
			log_set_flags(LOG_F_SYSLOG | LOG_F_STDERR);
			break;
		default:
			usage();
		}
	}
	if (mode == 0 || optind != argc)
		usage();
	if (mode != 'f')	/* a command run by hand: errors on stderr */
		log_set_flags(LOG_F_SYSLOG | LOG_F_STDERR);
	if (getuid() != 0 || geteuid() != 0)
		log_die(EX_NOPERM, "must be run as root");
	/* The checker reads (and reports on) postern.conf itself. */
	if (mode == 'c')
		return check_install();
	if (config_load(config_default_path(), CONFIG_F_TRUSTED |
	    CONFIG_F_MISSING_OK, &why) < 0)
		log_die(EX_CONFIG, "%s", buf_cstr(&why));
	/* A copy: a reload (SIGHUP) frees the config's strings. */
	rn.hostname = xstrdup(config_str(CF_myhostname));
	if (rn.hostname[0] == '\0')
		rn.hostname = uname(&un) == 0 ? xstrdup(un.nodename) :
		    "localhost";
	rn.qdirfd = open(config_str(CF_queue_directory), O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rn.qdirfd < 0)
		log_die(EX_CONFIG, "%s: %s (postern-queue -c tells what to "
		    "fix)", config_str(CF_queue_directory), strerror(errno));
	rn.newfd = open_qdir("submit/new");
	rn.tmpfd = open_qdir("submit/tmp");
	rn.badfd = open_qdir("submit/bad");
	rn.queuefd = open_qdir("queue");
	if (mode == 'p')
		return list_queues();
	/*
	 * One runner at a time (pickup must not race itself).  The lock is
	 * on a descriptor of its own that children close, so the delivery
	 * children of a master that was killed do not keep a new one out.
	 */
	rn.lockfd = open_qdir("queue");
	/*
	 * A child forked just before its master was killed holds the lock
	 * until it gets to close it: wait a moment (2 s) for that.
	 */
	for (tries = 0; flock(rn.lockfd, LOCK_EX | LOCK_NB) < 0; tries++) {
		if (tries >= 40)
			log_die(EX_TEMPFAIL, "another postern-queue is "
			    "running (it delivers the queue)");
		(void)usleep(50000);
	}
	if (priv_caps_limit(runner_caps, sizeof(runner_caps) /
	    sizeof(runner_caps[0]), &why) < 0 ||
	    priv_caps_unbound(runner_unbound, sizeof(runner_unbound) /
	    sizeof(runner_unbound[0]), &why) < 0)
		log_die(EX_OSERR, "cannot limit capabilities: %s",
		    buf_cstr(&why));
	if (priv_user_lookup(config_str(CF_postern_user), &rn.postern,
	    &why) < 0 || rn.postern.uid == 0)
		log_die(EX_CONFIG, "postern_user %s: %s", config_str(
		    CF_postern_user), why.len ? buf_cstr(&why) :
		    "must not be root");
	buf_free(&why);
	return mode == 'q' ? run_once() : run_daemon();
}
