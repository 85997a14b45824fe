/*
 * postern-config: show the effective settings of postern.conf, like
 * Postfix's postconf.
 *
 *   postern-config [-dn] [-c file] [name ...]
 *
 * Without flags every setting is printed as "name = value", in the order of
 * postern.conf(5).  -n prints only the settings the file sets, -d the
 * compiled-in defaults, names restrict the output to those settings.
 * -c reads another file instead of the installed one (to check a new file
 * before installing it).  Errors in the file are printed as FILE:LINE:
 * reason and the exit status is 78 (EX_CONFIG).
 *
 * SECURITY: runs with the caller's privileges only; installed 0755.  The
 * installed file is read with the same checks the privileged programs make
 * (root-owned, not group or world writable, no symbolic links), so
 * postern-config also reports a file those programs would refuse.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/exitcode.h"
#include "lib/iox.h"
#include "lib/log.h"

/* Print the usage line and exit with code. */
static _Noreturn void
usage(int code)
{
	const char *u = "usage: postern-config [-dn] [-c config_file] [name ...]\n";

	(void)iox_write_full(code == 0 ? STDOUT_FILENO : STDERR_FILENO, u,
	    strlen(u));
	exit(code);
}

int
main(int argc, char **argv)
{
	struct buf out = BUF_INIT, why = BUF_INIT;
	const char *file = NULL;
	bool defaults = false, changed = false;
	int ch, flags;

	if (iox_sanitize_std_fds() < 0)
		return EX_OSERR;
	log_init("postern-config", LOG_F_STDERR);
	opterr = 0;
	while ((ch = getopt(argc, argv, "c:dnh")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'd':
			defaults = true;
			break;
		case 'n':
			changed = true;
			break;
		case 'h':
			usage(EX_OK);
		default:
			log_error("unknown option -%c", optopt);
			usage(EX_USAGE);
		}
	}
	if (defaults && changed)
		log_die(EX_USAGE, "-d and -n cannot be used together");
	flags = file != NULL ? 0 : CONFIG_F_TRUSTED | CONFIG_F_MISSING_OK;
	if (file == NULL)
		file = config_default_path();
	if (config_load(file, flags, &why) < 0) {
		/* One line per error, each with the program name. */
		const char *p = buf_cstr(&why), *nl;

		while (*p != '\0') {
			nl = strchr(p, '\n');
			log_error("%.*s", (int)(nl != NULL ? nl - p :
			    (ptrdiff_t)strlen(p)), p);
			p = nl != NULL ? nl + 1 : p + strlen(p);
		}
		buf_free(&why);
		return EX_CONFIG;
	}
	if (optind == argc) {
		if (defaults) {
			for (int k = 0; k < CF__COUNT; k++)
				buf_printf(&out, "%s = %s\n",
				    config_key_name((enum config_key)k),
				    config_default_str((enum config_key)k));
		} else {
			config_dump(&out, changed);
		}
	}
	for (int i = optind; i < argc; i++) {
		int k = config_key_lookup(argv[i]);

		if (k < 0) {
			struct buf name = BUF_INIT;

			buf_append_printable(&name, argv[i], strlen(argv[i]));
			log_die(EX_USAGE, "unknown parameter: %s",
			    buf_cstr(&name));
		}
		if (changed && config_is_default((enum config_key)k))
			continue;
		buf_printf(&out, "%s = %s\n", argv[i], defaults ?
		    config_default_str((enum config_key)k) :
		    config_str((enum config_key)k));
	}
	if (iox_write_full(STDOUT_FILENO, out.data, out.len) < 0)
		log_die(EX_IOERR, "standard output: %m");
	buf_free(&out);
	buf_free(&why);
	return EX_OK;
}
