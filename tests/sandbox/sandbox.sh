# tests/sandbox/sandbox.sh: the privileged sandbox for integration tests.
#
# A test sources tests/tap.sh and this file, then calls `sandbox_enter "$@"`.
# As root, that re-runs the test in a private mount namespace
# (unshare --mount --propagation private) where:
#   - /etc, /var, /usr and /opt are overlays whose upper layer is a tmpfs,
#     so anything written there (the install, /etc/postern, the queue and
#     the mail spool) is private and vanishes with the namespace;
#   - /home, /tmp, the queue, the mail spool (root:mail 2775) and the
#     config directory are empty tmpfs;
#   - generated passwd and group files with the test users are bind-mounted
#     over /etc/passwd and /etc/group;
#   - the built programs are installed with `make install`, as root, so the
#     install hook sets the real owners and modes (setgid included).
# The host is never changed (tests/sandbox/host-unchanged.sh proves it).
# Not root, no unshare, or non-system install paths (distcheck): the whole
# test is skipped with the reason.
#
# Helpers for the test body: sb_as USER CMD..., sb_install_setgid SRC DEST
# GROUP, sb_uid USER, sb_gid GROUP.  $SB is the scratch tmpfs, $SB_LOG the
# log of the set-up.

SB_USERS="alice:3001 bob:3002 mallory:3003"

# Skip the test unless we can build a sandbox here.
sandbox_check() {
	[ "$(id -u)" -eq 0 ] ||
		tap_skip_all "sandbox tests need root (run tests/run as root)"
	for _c in unshare setpriv mount; do
		command -v "$_c" >/dev/null 2>&1 ||
			tap_skip_all "sandbox needs $_c (util-linux)"
	done
	unshare --mount --propagation private true 2>/dev/null ||
		tap_skip_all "unshare --mount does not work here"
	for _p in "${POSTERN_PREFIX:?}" "${POSTERN_QUEUE_DIR:?}" \
	    "${POSTERN_MAIL_SPOOL:?}" "${POSTERN_CONFIG_DIR:?}"; do
		case $_p in
		/usr|/usr/*|/etc/*|/var/*|/opt|/opt/*) ;;
		*) tap_skip_all "sandbox needs system install paths, not $_p (distcheck build)" ;;
		esac
	done
}

# Enter the sandbox: re-run "$0" in a new mount namespace, then set it up.
sandbox_enter() {
	if [ -z "${POSTERN_IN_SANDBOX:-}" ]; then
		sandbox_check
		_work="$top_builddir/tests/sandbox/work.$$"
		mkdir -p "$_work" || tap_bail "cannot create $_work"
		POSTERN_IN_SANDBOX=$_work
		export POSTERN_IN_SANDBOX
		unshare --mount --propagation private -- /bin/sh "$0" "$@"
		_rc=$?
		# The tmpfs was mounted in the namespace only: the directory is
		# empty here.
		rmdir "$_work" 2>/dev/null
		exit $_rc
	fi
	SB=$POSTERN_IN_SANDBOX
	SB_LOG="$top_builddir/tests/sandbox/$(basename "$0" .sh).sandbox.log"
	: >"$SB_LOG"
	sandbox_setup >>"$SB_LOG" 2>&1 ||
		tap_bail "sandbox set-up failed: see $SB_LOG ($(tail -3 "$SB_LOG" | tr '\n' ' '))"
}

# Mount the private file systems, write the users, install postern.
sandbox_setup() {
	set -e
	mount -t tmpfs -o mode=0755,size=512m postern-sandbox "$SB"
	for _d in etc var usr opt; do
		[ -d "/$_d" ] || continue
		mkdir "$SB/$_d.upper" "$SB/$_d.work"
		mount -t overlay overlay \
		    -o "lowerdir=/$_d,upperdir=$SB/$_d.upper,workdir=$SB/$_d.work" "/$_d"
	done
	mount -t tmpfs -o mode=0755 sandbox-home /home
	mount -t tmpfs -o mode=1777 sandbox-tmp /tmp
	sandbox_write_users
	mount --bind "$SB/passwd" /etc/passwd
	mount --bind "$SB/group" /etc/group
	# Empty tmpfs over the queue, the spool and the config directory, so no
	# state of the host shows through; the spool as Debian makes it.
	for _d in "$POSTERN_QUEUE_DIR" "$POSTERN_MAIL_SPOOL" "$POSTERN_CONFIG_DIR"; do
		mkdir -p "$_d"
		mount -t tmpfs -o mode=0755 postern-sandbox "$_d"
	done
	chgrp mail "$POSTERN_MAIL_SPOOL"
	chmod 2775 "$POSTERN_MAIL_SPOOL"
	for _u in $SB_USERS; do
		_n=${_u%%:*} _id=${_u#*:}
		mkdir -m 0755 "/home/$_n"
		chown "$_id:$_id" "/home/$_n"
	done
	# The install hook runs as root here: real owners and modes.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -C "$top_builddir" install
	set +e
}

# The test users and groups (DESIGN.md, Tests).
sandbox_write_users() {
	_g=${POSTERN_SUBMIT_GROUP:-smmsp}
	{
		echo "root:x:0:0:root:/root:/bin/sh"
		echo "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin"
		echo "bin:x:2:2:bin:/bin:/usr/sbin/nologin"
		echo "postern:x:2002:2002:postern queue:/nonexistent:/usr/sbin/nologin"
		echo "alice:x:3001:3001:Alice Example:/home/alice:/bin/sh"
		echo "bob:x:3002:3002:Bob Example:/home/bob:/bin/sh"
		echo "mallory:x:3003:3003:Mallory:/home/mallory:/bin/sh"
		echo "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"
	} >"$SB/passwd"
	{
		echo "root:x:0:"
		echo "daemon:x:1:"
		echo "bin:x:2:"
		echo "mail:x:8:"
		echo "users:x:100:alice,bob"
		echo "$_g:x:2001:"
		echo "postern:x:2002:"
		echo "alice:x:3001:"
		echo "bob:x:3002:"
		echo "mallory:x:3003:"
		echo "nogroup:x:65534:"
	} >"$SB/group"
	chmod 0644 "$SB/passwd" "$SB/group"
}

# Run a command as a test user: real and effective ids, the user's groups,
# a clean environment.
sb_as() {
	_user=$1
	shift
	setpriv --reuid="$_user" --regid="$_user" --init-groups --reset-env -- "$@"
}

# Install a program setgid GROUP, owner root, mode 2555.
sb_install_setgid() {
	mkdir -p "$(dirname "$2")" &&
	cp "$1" "$2" &&
	chown "root:$3" "$2" &&
	chmod 2555 "$2"
}

sb_uid() { getent passwd "$1" | cut -d: -f3; }
sb_gid() { getent group "$1" | cut -d: -f3; }
