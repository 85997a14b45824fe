/*
 * benchrun: run a command many times and print how fast it went.
 *
 *	benchrun [-s] [-u uid:gid] [-j jobs] [-n runs] [-i input] [-f floor]
 *	    -- command [arg ...]
 *
 * -e code counts that exit status as success (default 0).
 * -u runs each command as that user (no supplementary groups), so a
 * setgid program meets an ordinary caller without a wrapper's cost.
 *
 * Each run gets input (default /dev/null) on stdin, stdout and stderr go
 * to /dev/null; -j runs that many at once.  Prints one line:
 *	runs seconds runs_per_second max_rss_kib failures faults_per_run
 * where max_rss_kib is the largest peak RSS of any process the runs
 * waited for (wait4 rusage: the program and the children it waited for),
 * and faults_per_run the page faults (minor and major) of a run, with
 * this program's own fork before the exec, on average.  Where each fault
 * is dear (a virtual machine whose page tables the hypervisor shadows),
 * they say more about the cost of starting and forking processes than
 * the seconds do.
 *
 * -s (with one job) prints per-run figures instead:
 *	runs median_ms p90_ms median_cpu_ms p90_cpu_ms total_s failures
 * where cpu is user+system time of the run and what it waited for.
 *
 * -f floor instead runs the built-in floor loops for n messages of 4 KiB
 * into the file named by the command argument: "append" (write + fsync),
 * "spawn" (fork+exec /bin/true, then write + fsync), "fork" (a child
 * forked per message writes + fsyncs and exits, waited for: the least a
 * process per delivery costs) or "spawn-fork" (both: the least a
 * program spawned per message that delivers in a child of its own
 * costs); -j keeps that many children of "fork" at once.
 *
 * A benchmark helper, not installed.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of n sorted values. */
static double
pct(const double *v, long n, int p)
{
	long i = (n * p + 99) / 100 - 1;

	return v[i < 0 ? 0 : i];
}

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Page faults of this process and of its children waited for so far. */
static long
faults(void)
{
	struct rusage self, kids;

	if (getrusage(RUSAGE_SELF, &self) < 0 ||
	    getrusage(RUSAGE_CHILDREN, &kids) < 0)
		return 0;
	return self.ru_minflt + self.ru_majflt + kids.ru_minflt +
	    kids.ru_majflt;
}

/* Start one run; returns its pid. */
static uid_t run_uid = (uid_t)-1;
static gid_t run_gid = (gid_t)-1;

static pid_t
start(char **argv, const char *input)
{
	pid_t pid = fork();
	int in, null;

	if (pid != 0)
		return pid;
	/* The input is opened first: it may be readable only by root. */
	if ((in = open(input, O_RDONLY)) < 0 ||
	    (null = open("/dev/null", O_WRONLY)) < 0 ||
	    dup2(in, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(126);
	if (run_uid != (uid_t)-1 && (setgroups(0, NULL) < 0 ||
	    setgid(run_gid) < 0 || setuid(run_uid) < 0))
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

/* Append the block and fsync: 0, or -1 (said on stderr). */
static int
floor_append(int fd, const char *block, size_t len, const char *file)
{
	if (write(fd, block, len) != (ssize_t)len || fsync(fd) < 0) {
		perror(file);
		return -1;
	}
	return 0;
}

/* Reap one floor child: 0, or -1 when it failed or could not be waited for. */
static int
floor_reap(void)
{
	int st;

	if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return 0;
}

/*
 * The floors: 4 KiB appends with fsync, optionally a spawn each, and
 * optionally each done by a child of its own (up to jobs at once without
 * a spawn; with one, the child is waited for before the next message).
 */
static int
floor_loop(const char *mode, long n, long jobs, const char *file)
{
	static char true_path[] = "/bin/true";
	char *true_argv[] = { true_path, NULL };
	char block[4096];
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
	int spawn = strcmp(mode, "spawn") == 0 ||
	    strcmp(mode, "spawn-fork") == 0;
	int child = strcmp(mode, "fork") == 0 ||
	    strcmp(mode, "spawn-fork") == 0;
	long width = spawn ? 1 : jobs, running = 0, f0 = faults();
	double t0 = now();

	if (fd < 0) {
		perror(file);
		return 1;
	}
	if (!spawn && !child && strcmp(mode, "append") != 0) {
		fprintf(stderr, "benchrun: unknown floor %s\n", mode);
		return 64;
	}
	memset(block, 'x', sizeof(block));
	block[sizeof(block) - 1] = '\n';
	for (long i = 0; i < n; i++) {
		pid_t pid;

		if (spawn && ((pid = start(true_argv, "/dev/null")) < 0 ||
		    waitpid(pid, NULL, 0) < 0))
			return 1;
		if (!child) {
			if (floor_append(fd, block, sizeof(block), file) < 0)
				return 1;
			continue;
		}
		if ((pid = fork()) < 0)
			return 1;
		if (pid == 0)
			_exit(floor_append(fd, block, sizeof(block), file) < 0);
		for (running++; running >= width; running--)
			if (floor_reap() < 0)
				return 1;
	}
	for (; running > 0; running--)
		if (floor_reap() < 0)
			return 1;
	double dt = now() - t0;

	printf("%ld %.3f %.0f 0 0 %.0f\n", n, dt, (double)n / dt,
	    (double)(faults() - f0) / (double)n);
	return close(fd) < 0;
}

int
main(int argc, char **argv)
{
	const char *input = "/dev/null", *floor_mode = NULL;
	double *walls = NULL, *cpus = NULL, *starts = NULL;
	int stats = 0, okcode = 0;
	long runs = 1, jobs = 1, done = 0, started = 0, fails = 0, maxrss = 0,
	    f0;
	int ch;
	double t0;

	while ((ch = getopt(argc, argv, "e:f:i:j:n:su:")) != -1) {
		switch (ch) {
		case 'f':
			floor_mode = optarg;
			break;
		case 'i':
			input = optarg;
			break;
		case 'j':
			jobs = strtol(optarg, NULL, 10);
			break;
		case 'n':
			runs = strtol(optarg, NULL, 10);
			break;
		case 's':
			stats = 1;
			break;
		case 'e':
			okcode = (int)strtol(optarg, NULL, 10);
			break;
		case 'u': {
			unsigned long u, g;

			if (sscanf(optarg, "%lu:%lu", &u, &g) != 2)
				return 64;
			run_uid = (uid_t)u;
			run_gid = (gid_t)g;
			break;
		}
		default:
			fprintf(stderr, "usage: benchrun [-s] [-e code] "
			    "[-u uid:gid] [-j jobs] [-n runs] [-i input] "
			    "[-f append|spawn|fork|spawn-fork] -- command ...\n");
			return 64;
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1 || runs < 1 || jobs < 1)
		return 64;
	if (floor_mode != NULL)
		return floor_loop(floor_mode, runs, jobs, argv[0]);
	if (stats) {
		jobs = 1;
		walls = calloc((size_t)runs, sizeof(double));
		cpus = calloc((size_t)runs, sizeof(double));
		starts = calloc(1, sizeof(double));
		if (walls == NULL || cpus == NULL || starts == NULL)
			return 71;
	}
	f0 = faults();
	t0 = now();
	while (done < runs) {
		struct rusage ru;
		int st;
		pid_t pid;

		while (started < runs && started - done < jobs) {
			if (stats)
				starts[0] = now();
			if (start(argv, input) < 0)
				return 71;
			started++;
		}
		pid = wait4(-1, &st, 0, &ru);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return 71;
		}
		if (stats) {
			walls[done] = (now() - starts[0]) * 1000;
			cpus[done] = ((double)ru.ru_utime.tv_sec +
			    (double)ru.ru_stime.tv_sec) * 1000 +
			    ((double)ru.ru_utime.tv_usec +
			    (double)ru.ru_stime.tv_usec) / 1000;
		}
		done++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != okcode)
			fails++;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	double dt = now() - t0;

	if (stats) {
		qsort(walls, (size_t)runs, sizeof(double), cmp_double);
		qsort(cpus, (size_t)runs, sizeof(double), cmp_double);
		printf("%ld %.2f %.2f %.2f %.2f %.3f %ld\n", runs,
		    pct(walls, runs, 50), pct(walls, runs, 90),
		    pct(cpus, runs, 50), pct(cpus, runs, 90), dt, fails);
		return 0;
	}
	printf("%ld %.3f %.0f %ld %ld %.0f\n", runs, dt, (double)runs / dt,
	    maxrss, fails, (double)(faults() - f0) / (double)runs);
	return 0;
}
