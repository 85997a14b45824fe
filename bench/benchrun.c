/*
 * benchrun: run a command many times and print how fast it went.
 *
 *	benchrun [-j jobs] [-n runs] [-i input] [-f floor] -- command [arg ...]
 *
 * Each run gets input (default /dev/null) on stdin, stdout and stderr go
 * to /dev/null; -j runs that many at once.  Prints one line:
 *	runs seconds runs_per_second max_rss_kib failures
 * where max_rss_kib is the largest peak RSS of any process the runs
 * waited for (wait4 rusage: the program and the children it waited for).
 *
 * -f floor instead runs the built-in floor loops for n messages of 4 KiB
 * into the file named by the command argument: "append" (write + fsync)
 * or "spawn" (fork+exec /bin/true, then write + fsync).
 *
 * A benchmark helper, not installed.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start one run; returns its pid. */
static pid_t
start(char **argv, const char *input)
{
	pid_t pid = fork();
	int in, null;

	if (pid != 0)
		return pid;
	if ((in = open(input, O_RDONLY)) < 0 ||
	    (null = open("/dev/null", O_WRONLY)) < 0 ||
	    dup2(in, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

/* The floors: 4 KiB appends with fsync, optionally a spawn each. */
static int
floor_loop(const char *mode, long n, const char *file)
{
	char block[4096];
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
	int spawn = strcmp(mode, "spawn") == 0;
	double t0 = now();

	if (fd < 0) {
		perror(file);
		return 1;
	}
	memset(block, 'x', sizeof(block));
	block[sizeof(block) - 1] = '\n';
	for (long i = 0; i < n; i++) {
		if (spawn) {
			static char true_path[] = "/bin/true";
			char *argv[] = { true_path, NULL };
			pid_t pid = start(argv, "/dev/null");
			int st;

			if (pid < 0 || waitpid(pid, &st, 0) < 0)
				return 1;
		}
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) ||
		    fsync(fd) < 0) {
			perror(file);
			return 1;
		}
	}
	double dt = now() - t0;

	printf("%ld %.3f %.0f 0 0\n", n, dt, (double)n / dt);
	return close(fd) < 0;
}

int
main(int argc, char **argv)
{
	const char *input = "/dev/null", *floor_mode = NULL;
	long runs = 1, jobs = 1, done = 0, started = 0, fails = 0, maxrss = 0;
	int ch;
	double t0;

	while ((ch = getopt(argc, argv, "f:i:j:n:")) != -1) {
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
		default:
			fprintf(stderr, "usage: benchrun [-j jobs] [-n runs] "
			    "[-i input] [-f append|spawn] -- command ...\n");
			return 64;
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1 || runs < 1 || jobs < 1)
		return 64;
	if (floor_mode != NULL)
		return floor_loop(floor_mode, runs, argv[0]);
	t0 = now();
	while (done < runs) {
		struct rusage ru;
		int st;
		pid_t pid;

		while (started < runs && started - done < jobs) {
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
		done++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fails++;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	double dt = now() - t0;

	printf("%ld %.3f %.0f %ld %ld\n", runs, dt, (double)runs / dt, maxrss,
	    fails);
	return 0;
}
