/*
 * idprobe: print the process's user and group ids, for the sandbox tests
 * that prove setgid installation works.  Output is one line:
 * "ruid=R euid=E suid=S rgid=R egid=E sgid=S groups=G1,G2".
 */
#include <config.h>

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	gid_t *groups;
	int n, i;

	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0) {
		perror("idprobe: getresuid/getresgid");
		return 1;
	}
	if ((n = getgroups(0, NULL)) < 0) {
		perror("idprobe: getgroups");
		return 1;
	}
	groups = calloc((size_t)n + 1, sizeof(*groups));
	if (groups == NULL || (n = getgroups(n, groups)) < 0) {
		perror("idprobe: getgroups");
		return 1;
	}
	printf("ruid=%u euid=%u suid=%u rgid=%u egid=%u sgid=%u groups=",
	    (unsigned)ruid, (unsigned)euid, (unsigned)suid, (unsigned)rgid,
	    (unsigned)egid, (unsigned)sgid);
	for (i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	printf("\n");
	free(groups);
	return fflush(stdout) == 0 ? 0 : 1;
}
