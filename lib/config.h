/*
 * config: postern.conf, "key = value" lines.  Every key has a compiled-in
 * default (many from configure options); an unknown key, a bad value or a
 * duplicate key is an error with file:line.  The table below is the single
 * list of keys: later modules add theirs here, and postern-config(8) and
 * postern.conf(5) describe each one.
 *
 * X(name, type, default, min, max, enum values or NULL)
 * min/max bound numbers (CT_INT, CT_SIZE in bytes, CT_TIME in seconds).
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

enum config_type {
	CT_STR,		/* any printable text, may be empty */
	CT_PATH,	/* absolute path */
	CT_NAME,	/* user or group name: [A-Za-z0-9_.-]+ */
	CT_INT,		/* decimal integer */
	CT_SIZE,	/* bytes, suffix k/m/g (powers of 1024) allowed */
	CT_TIME,	/* seconds, suffix s/m/h/d/w allowed */
	CT_BOOL,	/* yes/no */
	CT_ENUM,	/* one of a list */
	CT_LIST		/* names separated by commas and/or spaces */
};

#define CONFIG_KEYS(X) \
	X(myhostname, CT_STR, "", 0, 0, NULL) \
	X(queue_directory, CT_PATH, QUEUE_DIR, 0, 0, NULL) \
	X(mail_spool_directory, CT_PATH, MAIL_SPOOL, 0, 0, NULL) \
	X(alias_file, CT_PATH, ALIASES_FILE, 0, 0, NULL) \
	X(default_user, CT_NAME, DEFAULT_USER, 0, 0, NULL) \
	X(submit_group, CT_NAME, SUBMIT_GROUP, 0, 0, NULL) \
	X(postern_user, CT_NAME, POSTERN_USER, 0, 0, NULL) \
	X(message_size_limit, CT_SIZE, "64m", 1024, 4294967295LL, NULL) \
	X(recipient_delimiter, CT_STR, "+", 0, 0, NULL) \
	X(home_mailbox, CT_STR, "", 0, 0, NULL) \
	X(mailbox_quoting, CT_ENUM, "mboxrd", 0, 0, "mboxrd|mboxo") \
	X(mailbox_locks, CT_LIST, "dotlock, fcntl", 0, 0, NULL) \
	X(lock_timeout, CT_TIME, "60s", 1, 86400, NULL) \
	X(stale_lock_time, CT_TIME, "500s", 10, 604800, NULL) \
	X(lmtp_recipient_limit, CT_INT, "1000", 1, 100000, NULL) \
	X(lmtp_timeout, CT_TIME, "300s", 1, 86400, NULL) \
	X(temp_directory, CT_PATH, "/var/tmp", 0, 0, NULL) \
	X(trusted_users, CT_LIST, "root", 0, 0, NULL) \
	X(alias_database, CT_PATH, ALIASES_FILE ".db", 0, 0, NULL) \
	X(alias_expansion, CT_BOOL, "yes", 0, 0, NULL) \
	X(alias_duplicates, CT_ENUM, "error", 0, 0, "error|first") \
	X(forward_path, CT_LIST, "$HOME/.forward$DELIMITER$EXTENSION, $HOME/.forward", 0, 0, NULL) \
	X(forward_size_limit, CT_SIZE, "64k", 16, 16777216, NULL) \
	X(forward_entry_limit, CT_INT, "1000", 1, 1000000, NULL) \
	X(include_size_limit, CT_SIZE, "16m", 16, 1073741824, NULL) \
	X(expansion_depth_limit, CT_INT, "20", 1, 1000, NULL) \
	X(expansion_destination_limit, CT_INT, "50000", 1, 10000000, NULL) \
	X(allow_commands, CT_ENUM, "yes", 0, 0, "yes|restricted|no") \
	X(restricted_command_directory, CT_PATH, CONFIG_DIR "/commands", 0, 0, NULL) \
	X(user_commands_and_files, CT_BOOL, "yes", 0, 0, NULL) \
	X(command_time_limit, CT_TIME, "1000s", 1, 604800, NULL) \
	X(command_output_limit, CT_SIZE, "4k", 64, 1048576, NULL) \
	X(forward_command, CT_STR, SBINDIR "/sendmail -i", 0, 0, NULL) \
	X(hop_count_limit, CT_INT, "50", 1, 1000, NULL) \
	X(local_domains, CT_LIST, "", 0, 0, NULL) \
	X(relayhost, CT_STR, "", 0, 0, NULL) \
	X(maximal_queue_lifetime, CT_TIME, "5d", 1, 31536000, NULL) \
	X(minimal_backoff_time, CT_TIME, "300s", 1, 86400, NULL) \
	X(maximal_backoff_time, CT_TIME, "3600s", 1, 604800, NULL) \
	X(delay_warning_time, CT_TIME, "4h", 0, 31536000, NULL) \
	X(queue_run_interval, CT_TIME, "300s", 1, 86400, NULL) \
	X(delivery_concurrency, CT_INT, "4", 1, 64, NULL) \
	X(bounce_notice_recipient, CT_STR, "postmaster", 0, 0, NULL) \
	X(submit_stale_time, CT_TIME, "1d", 60, 31536000, NULL)

enum config_key {
#define CONFIG_ENUM(name, type, def, min, max, vals) CF_##name,
	CONFIG_KEYS(CONFIG_ENUM)
#undef CONFIG_ENUM
	CF__COUNT
};

/* How config_load() treats the file itself. */
#define CONFIG_F_TRUSTED	0x01	/* must be owned by root, not group/world
					 * writable, opened without following
					 * links (privileged programs) */
#define CONFIG_F_MISSING_OK	0x02	/* a missing file means all defaults */

/* The default configuration file, CONFIG_DIR "/postern.conf". */
const char *config_default_path(void);
/*
 * Load path into the process-wide settings (defaults first).  Returns 0, or
 * -1 with "file:line: reason" lines in why and errno: the system's error
 * when the file could not be opened or read (EMFILE: try later), EINVAL
 * when its content is wrong; on error nothing is changed.
 */
int	 config_load(const char *path, int flags, struct buf *why);
/* Reset to the compiled-in defaults. */
void	 config_reset(void);

const char *config_str(enum config_key);	/* any type, as text */
long long config_num(enum config_key);		/* CT_INT, CT_SIZE, CT_TIME */
bool	 config_bool(enum config_key);
/* CT_LIST: is item one of the names? */
bool	 config_list_has(enum config_key, const char *item);
/* CT_LIST: the n-th name, or NULL past the end. */
const char *config_list_item(enum config_key, size_t n);

/* Is domain ours: "localhost", hostname or one of local_domains? */
bool	 config_local_domain(const char *domain, const char *hostname);

/* Key name <-> enum; -1 for an unknown name. */
int	 config_key_lookup(const char *name);
const char *config_key_name(enum config_key);
bool	 config_is_default(enum config_key);
/* The compiled-in default of a key, as text. */
const char *config_default_str(enum config_key);
/*
 * Append "key = value\n" for every key (only_changed: only those set in the
 * file, like postconf -n) in table order.
 */
void	 config_dump(struct buf *, bool only_changed);
/*
 * Parse a file's bytes (name is used in messages) without touching the
 * active settings: 0, or -1 with "name:line: reason" lines in why.  Used by
 * config_load() and by the fuzz target.
 */
int	 config_parse_buf(const char *name, const char *data, size_t len,
	    struct buf *why);

#endif
