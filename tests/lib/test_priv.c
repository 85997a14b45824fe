/*
 * Unit tests for lib/priv.c.  Privileged cases run in a forked child (the
 * test process stays root) and need root: skipped otherwise.  The child
 * reports through its exit status and its stdout.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/priv.h"
#include "tests/lib/testutil.h"

#define NOBODY	65534

/* The value of a "Name:\tHEX" line of /proc/self/status. */
static unsigned long long
proc_status_hex(const char *name)
{
	char line[256];
	unsigned long long v = ~0ULL;
	size_t n = strlen(name);
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return v;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	fclose(f);
	return v;
}

static void
need_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* Child: become nobody with no groups, then check everything. */
static int
child_become_nobody(void)
{
	struct buf why = BUF_INIT;
	uid_t r, e, s;

	if (priv_become(NOBODY, NOBODY, NULL, 0, &why) < 0) {
		printf("priv_become: %s\n", buf_cstr(&why));
		return 1;
	}
	if (getresuid(&r, &e, &s) < 0 || r != NOBODY || e != NOBODY ||
	    s != NOBODY)
		return 2;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return 3;
	if (proc_status_hex("CapPrm") != 0 || proc_status_hex("CapEff") != 0 ||
	    proc_status_hex("CapInh") != 0 || proc_status_hex("CapAmb") != 0)
		return 4;
	if (getgroups(0, NULL) != 0)
		return 5;
	return 0;
}

static void
test_become_nobody(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	need_root();
	assert_int_equal(test_run_child(child_become_nobody, &out), 0);
	buf_free(&out);
}

/* Child: become uid 3001 with groups {3001, 100, 2001}. */
static int
child_become_groups(void)
{
	const gid_t want[] = { 3001, 100, 2001 };
	struct buf why = BUF_INIT;
	gid_t have[8];
	int n;

	if (priv_become(3001, 3001, want, 3, &why) < 0) {
		printf("%s\n", buf_cstr(&why));
		return 1;
	}
	n = getgroups(8, have);
	if (n != 3)
		return 2;
	for (int i = 0; i < 3; i++) {
		bool found = false;

		for (int j = 0; j < n; j++)
			found = found || have[j] == want[i];
		if (!found)
			return 3;
	}
	/* A file owned by another user, mode 0600, is now out of reach. */
	if (open("/proc/1/environ", O_RDONLY) >= 0)
		return 4;
	return 0;
}

static void
test_become_with_groups(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	need_root();
	assert_int_equal(test_run_child(child_become_groups, &out), 0);
	buf_free(&out);
}

/* Child: after becoming nobody, becoming root again must fail cleanly. */
static int
child_cannot_return(void)
{
	struct buf why = BUF_INIT;

	if (priv_become(NOBODY, NOBODY, NULL, 0, &why) < 0)
		return 1;
	buf_reset(&why);
	if (priv_become(0, 0, NULL, 0, &why) == 0)
		return 2;
	printf("%s\n", buf_cstr(&why));
	return getuid() == NOBODY ? 0 : 3;
}

static void
test_become_root_again_fails(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	need_root();
	assert_int_equal(test_run_child(child_cannot_return, &out), 0);
	assert_non_null(strstr(buf_cstr(&out), "setgroups"));
	buf_free(&out);
}

/* Child: simulate a setgid program (rgid 3001, egid 2001) and drop it. */
static int
child_drop_setgid(void)
{
	struct buf why = BUF_INIT;
	gid_t r, e, s;

	if (setgroups(0, NULL) < 0 || setresgid(3001, 2001, 2001) < 0 ||
	    setresuid(3001, 3001, 3001) < 0)
		return 1;
	if (getresgid(&r, &e, &s) < 0 || e != 2001)
		return 2;
	if (priv_drop_setgid(&why) < 0) {
		printf("%s\n", buf_cstr(&why));
		return 3;
	}
	if (getresgid(&r, &e, &s) < 0 || r != 3001 || e != 3001 || s != 3001)
		return 4;
	if (setegid(2001) == 0)
		return 5;
	return 0;
}

static void
test_drop_setgid(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	need_root();
	assert_int_equal(test_run_child(child_drop_setgid, &out), 0);
	buf_free(&out);
}

static char *victim;

/* Child: keep CAP_SETUID and CAP_SETGID only, then probe what remains. */
static int
child_caps_limit(void)
{
	const cap_value_t keep[] = { CAP_SETUID, CAP_SETGID };
	const unsigned long long mask =
	    (1ULL << CAP_SETUID) | (1ULL << CAP_SETGID);
	struct buf why = BUF_INIT;
	pid_t pid;
	int status, fd;

	if (priv_caps_limit(keep, 2, &why) < 0) {
		printf("priv_caps_limit: %s\n", buf_cstr(&why));
		return 1;
	}
	if (proc_status_hex("CapPrm") != mask ||
	    proc_status_hex("CapEff") != mask ||
	    proc_status_hex("CapInh") != 0 || proc_status_hex("CapAmb") != 0 ||
	    proc_status_hex("CapBnd") != mask) {
		printf("status masks wrong\n");
		return 2;
	}
	/* CAP_DAC_OVERRIDE is gone: root cannot open uid 12345's 0600 file. */
	fd = open(victim, O_RDONLY);
	if (fd >= 0 || errno != EACCES) {
		printf("opened %s as capability-less root\n", victim);
		return 3;
	}
	/* CAP_SETUID is kept: a child can still become a user. */
	pid = fork();
	if (pid == 0)
		_exit(priv_become(3001, 3001, NULL, 0, &why) == 0 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 4;
	/* Verification notices an extra capability. */
	buf_reset(&why);
	if (priv_caps_verify(keep, 1, &why) == 0)
		return 5;
	printf("%s\n", buf_cstr(&why));
	return 0;
}

static void
test_caps_limit(void **state)
{
	struct buf out = BUF_INIT, dir = BUF_INIT, path = BUF_INIT;
	int fd;

	(void)state;
	need_root();
	test_mktree(&dir, "test_priv");
	buf_setf(&path, "%s/secret", buf_cstr(&dir));
	victim = path.data;
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chown(victim, 12345, 12345), 0);
	assert_int_equal(test_run_child(child_caps_limit, &out), 0);
	/* The child's report names the capability that verify objected to. */
	assert_non_null(strstr(buf_cstr(&out), "cap_setgid permitted"));
	assert_int_equal(test_rmtree(buf_cstr(&dir)), 0);
	buf_free(&dir);
	buf_free(&path);
	buf_free(&out);
}

static void
test_user_lookup(void **state)
{
	struct priv_user u;
	struct buf why = BUF_INIT;

	(void)state;
	assert_int_equal(priv_user_lookup("root", &u, &why), 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.name, "root");
	assert_true(u.ngroups >= 1);
	priv_user_free(&u);
	assert_int_equal(priv_user_lookup_uid(0, &u, &why), 0);
	assert_string_equal(u.name, "root");
	priv_user_free(&u);
	errno = 0;
	assert_int_equal(priv_user_lookup("no-such-user-xyz\n", &u, &why), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(buf_cstr(&why), "no such user: no-such-user-xyz\\x0a");
	buf_free(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_lookup),
		cmocka_unit_test(test_become_nobody),
		cmocka_unit_test(test_become_with_groups),
		cmocka_unit_test(test_become_root_again_fails),
		cmocka_unit_test(test_drop_setgid),
		cmocka_unit_test(test_caps_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
