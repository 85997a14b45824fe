/*
 * idprobe: print the process's user and group ids, for the sandbox tests
 * that prove a setgid installation works (tests/sandbox/setgid.sh).
 *
 * Input: none; it reads only its own credentials.  Output: one line on
 * stdout,
 *	ruid=R euid=E suid=S rgid=R egid=E sgid=S groups=G1,G2,...
 * with the supplementary groups in the kernel's order ("groups=" alone when
 * there are none).  Exit 0, or 1 with a message on stderr when a call or
 * the write fails.
 *
 * SECURITY: installed setgid in the sandbox only; it opens nothing, reads
 * no environment and takes no arguments.
 */
#include <config.h>

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Print the ids and supplementary groups of this process. */
int
main(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	gid_t *groups;
	int n, i;

	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1) {
		perror("idprobe: getresuid/getresgid");
		return 1;
	}
	if ((n = getgroups(0, NULL)) == -1) {
		perror("idprobe: getgroups");
		return 1;
	}
	/* One spare entry: calloc(0) may return NULL. */
	groups = calloc((size_t)n + 1, sizeof(*groups));
	if (groups == NULL) {
		perror("idprobe: calloc");
		return 1;
	}
	if ((n = getgroups(n, groups)) == -1) {
		perror("idprobe: getgroups");
		free(groups);
		return 1;
	}
	(void)printf("ruid=%u euid=%u suid=%u rgid=%u egid=%u sgid=%u groups=",
	    (unsigned int)ruid, (unsigned int)euid, (unsigned int)suid,
	    (unsigned int)rgid, (unsigned int)egid, (unsigned int)sgid);
	for (i = 0; i < n; i++)
		(void)printf("%s%u", i > 0 ? "," : "", (unsigned int)groups[i]);
	(void)printf("\n");
	free(groups);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("idprobe: stdout");
		return 1;
	}
	return 0;
}
