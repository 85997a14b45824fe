#!/bin/sh
# postern-config: the effective settings, -n, -d, names, errors with
# file:line and exit 78, usage errors with exit 64.
. "$top_srcdir/tests/tap.sh"
pc="$top_builddir/postern-config"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pc.XXXXXX") || tap_bail "mktemp"
trap 'rm -rf "$tmp"' EXIT

: >"$tmp/empty.conf"
out=$("$pc" -c "$tmp/empty.conf" 2>&1)
rc=$?
tap_is "an empty file: exit 0" "$rc" 0
for k in myhostname queue_directory mail_spool_directory alias_file \
    default_user submit_group postern_user message_size_limit \
    recipient_delimiter home_mailbox mailbox_quoting mailbox_locks \
    lock_timeout stale_lock_time lmtp_recipient_limit lmtp_timeout \
    temp_directory trusted_users; do
	case $out in
	*"$k = "*) tap_ok "dump has $k" ;;
	*) tap_fail "dump has $k" "$out" ;;
	esac
done
tap_is "dump shows the configured queue directory" \
    "$(echo "$out" | grep '^queue_directory')" \
    "queue_directory = $POSTERN_QUEUE_DIR"

printf 'myhostname = mx.example.org\n# note\nmessage_size_limit = 10m\n' >"$tmp/two.conf"
tap_is "-n prints exactly the settings the file sets" \
    "$("$pc" -n -c "$tmp/two.conf")" \
    "myhostname = mx.example.org
message_size_limit = 10m"
tap_is "a name prints that setting" \
    "$("$pc" -c "$tmp/two.conf" message_size_limit)" "message_size_limit = 10m"
tap_is "-d prints the default" \
    "$("$pc" -d -c "$tmp/two.conf" message_size_limit)" "message_size_limit = 64m"

printf 'myhostname = ok\nbogus = 1\nmessage_size_limit = lots\n' >"$tmp/bad.conf"
err=$("$pc" -c "$tmp/bad.conf" 2>&1 >/dev/null)
rc=$?
tap_is "a bad file: exit 78" "$rc" 78
tap_is "errors name program, file and line" "$err" \
    "postern-config: $tmp/bad.conf:2: unknown parameter 'bogus'
postern-config: $tmp/bad.conf:3: message_size_limit: expected a number: 'lots'"

"$pc" -z >/dev/null 2>&1
tap_is "unknown flag: exit 64" "$?" 64
err=$("$pc" -c "$tmp/two.conf" no_such_key 2>&1)
rc=$?
tap_is "unknown name: exit 64" "$rc" 64
tap_is "unknown name: message" "$err" "postern-config: unknown parameter: no_such_key"
tap_is "usage line on -h" "$("$pc" -h)" \
    "usage: postern-config [-dn] [-c config_file] [name ...]"
"$pc" -c "$tmp/nonexistent.conf" >/dev/null 2>&1
tap_is "a missing -c file: exit 78" "$?" 78
tap_done
