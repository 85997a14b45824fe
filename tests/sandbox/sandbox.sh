# tests/sandbox/sandbox.sh: the privileged sandbox for integration tests.
#
# A test sources tests/tap.sh and this file, then calls `sandbox_enter "$@"`.
# As root, that re-runs the test in new namespaces: a private mount
# namespace (unshare --mount --propagation private), a PID namespace (so no
# process the test starts outlives it) and, when `ip` can bring up its
# loopback, a network namespace (so tests never reach the network and never
# collide with the host's port 25).  There, before the test body runs:
#   - /run is a tmpfs; the scratch directory $SB lives in it;
#   - /etc, /var, /usr and /opt are overlays whose upper layer is on that
#     tmpfs, so anything written there (the install, /etc/postern, the
#     queue, the mail spool) is private and vanishes with the namespace;
#   - /home, /tmp, /root and /dev/shm are empty tmpfs; the source and build trees
#     are bound back in place if they lived below a covered directory;
#   - the queue, mail spool and config directories, when they exist on the
#     host, are covered by empty tmpfs (the spool root:mail 2775, as Debian
#     makes it), so no state of the host shows through;
#   - generated passwd, group, shadow and gshadow files with the test users
#     are bind-mounted over /etc's, and nsswitch.conf says "files" only (no
#     nscd, no systemd-userdb: /run is private);
#   - the built programs are installed with `make install` as root, so the
#     install hook sets the real owners and modes (setgid included).
# The host is never changed (tests/sandbox/host-unchanged.sh proves it).
#
# Not root, no working unshare, or install paths outside /usr, /etc, /var
# and /opt (distcheck): the whole test is skipped with the reason.  A
# set-up that fails bails out, naming its log.
#
# Helpers for the test body:
#   sb_as USER CMD...            run CMD as USER (real and effective ids,
#                                the user's groups, a clean environment,
#                                in the user's home)
#   sb_install_setgid SRC DEST GROUP   copy, root:GROUP, mode 2555
#   sb_add_user NAME UID [GROUP...]    one more user, own group, home
#   sb_uid USER, sb_gid GROUP, sb_home USER
#   sb_user_file USER PATH MODE TEXT   PATH holds TEXT and a newline, USER's
#   sb_count SUBJECT MBOX        how many messages in MBOX have that Subject:
#   sb_wait_line FILE RE TENTHS [-E]   up to TENTHS/10 s for a line of FILE
#                                matching RE (a BRE; -E: an ERE); 0 if one came
# Variables: $SB the private scratch directory (tmpfs), $SB_LOG the log
# of the set-up (under the build tree, kept after the test).

# The test users: name uid (each has a group of the same name and id, a
# home /home/NAME owned by it, mode 0755, and /bin/sh).
SB_USERS="alice 3001
bob 3002
mallory 3003"
SB_SUBMIT_GID=2001
SB_POSTERN_ID=2002
# Directories replaced by the sandbox: overlays and empty tmpfs.
SB_OVERLAYS="/etc /var /usr /opt"
SB_EMPTY="/home /tmp"

# Skip the test unless a sandbox can be built here.
sandbox_check() {
	[ "$(id -u)" -eq 0 ] ||
		tap_skip_all "sandbox tests need root (run tests/run as root)"
	for _c in unshare setpriv mount umount getent; do
		command -v "$_c" >/dev/null 2>&1 ||
			tap_skip_all "sandbox needs $_c (util-linux, libc-bin)"
	done
	unshare --mount --propagation private true 2>/dev/null ||
		tap_skip_all "unshare --mount does not work here (no CAP_SYS_ADMIN?)"
	[ -d /run ] || tap_skip_all "sandbox needs a /run directory"
	for _p in "${POSTERN_PREFIX:?}" "${POSTERN_QUEUE_DIR:?}" \
	    "${POSTERN_MAIL_SPOOL:?}" "${POSTERN_CONFIG_DIR:?}"; do
		case $_p in
		/usr|/usr/*|/etc/*|/var/*) ;;
		/opt|/opt/*)
			# Without a host /opt there is nothing to overlay, and
			# creating it would change the host.
			[ -d /opt ] || tap_skip_all "sandbox needs /opt to exist for $_p" ;;
		*) tap_skip_all "sandbox needs system install paths, not $_p (distcheck build)" ;;
		esac
	done
	for _t in "${top_srcdir:?}" "${top_builddir:?}"; do
		_r=$(cd "$_t" && pwd -P) || tap_bail "cannot resolve $_t"
		case $_r in
		/run|/run/*) tap_skip_all "sandbox covers /run: build outside it, not in $_r" ;;
		esac
	done
}

# Enter the sandbox: re-run "$0" in new namespaces, then set them up.
sandbox_enter() {
	if [ -z "${POSTERN_IN_SANDBOX:-}" ]; then
		sandbox_check
		_ns="--mount --propagation private"
		# A PID namespace: the test is its init, and every process it
		# leaves behind dies with it (--kill-child: also when the
		# harness kills unshare).
		if unshare --mount --pid --fork --kill-child --mount-proc \
		    --propagation private true 2>/dev/null; then
			_ns="$_ns --pid --fork --kill-child --mount-proc"
		fi
		POSTERN_SANDBOX_NET=
		if command -v ip >/dev/null 2>&1 &&
		    unshare --net ip link set lo up 2>/dev/null; then
			_ns="$_ns --net"
			POSTERN_SANDBOX_NET=1
		fi
		POSTERN_IN_SANDBOX=1
		export POSTERN_IN_SANDBOX POSTERN_SANDBOX_NET
		# shellcheck disable=SC2086
		exec unshare $_ns -- /bin/sh "$0" "$@"
	fi
	SB=/run/postern-sandbox
	_rel=${0##*/tests/}
	SB_LOG="$top_builddir/tests/${_rel%.sh}.sandbox.log"
	mkdir -p "${SB_LOG%/*}" && : >"$SB_LOG" ||
		tap_bail "cannot write the sandbox log $SB_LOG"
	# In a subshell with set -e: the first failing step stops the set-up
	# (set -e would be ignored in a function called from an || list).
	(
		set -eu
		sandbox_setup
	) >>"$SB_LOG" 2>&1
	_rc=$?
	[ "$_rc" -eq 0 ] ||
		tap_bail "sandbox set-up failed (exit $_rc): see $SB_LOG ($(tail -3 "$SB_LOG" | tr '\n' ' '))"
	# The build tree may have been bound back over a covered directory:
	# look at it through the new mount.
	cd "$PWD" || tap_bail "cannot return to $PWD"
}

# Mount the private file systems, write the users, install postern.
sandbox_setup() {
	echo "sandbox: $(date), namespaces: mount${POSTERN_SANDBOX_NET:+ net} pid=$$"
	# The scratch tmpfs, over /run: nothing of the host's /run (nscd and
	# userdb sockets, the journal's /dev/log target) is reachable.
	mount -t tmpfs -o mode=0755,size=1g postern-sandbox /run
	mkdir -m 0700 "$SB"
	mkdir -m 1777 /run/lock
	mkdir "$SB/keep" "$SB/files"
	if [ -n "${POSTERN_SANDBOX_NET:-}" ]; then
		ip link set lo up
	fi

	# KEEP: the source and build trees below a covered directory are
	# bound aside now and back in place afterwards.
	_trees=
	_src=$(cd "$top_srcdir" && pwd -P)
	_bld=$(cd "$top_builddir" && pwd -P)
	case $_bld/ in
	"$_src"/*) _trees=$_src ;;
	*) _trees="$_src $_bld" ;;
	esac
	_i=0 _kept=
	for _t in $_trees; do
		for _c in $SB_OVERLAYS $SB_EMPTY; do
			case $_t in
			"$_c"|"$_c"/*)
				_i=$((_i + 1))
				mkdir "$SB/keep/$_i"
				mount --rbind "$_t" "$SB/keep/$_i"
				_kept="$_kept $_i:$_t"
				echo "sandbox: keeping $_t"
				break ;;
			esac
		done
	done
	# Files bind-mounted below an overlaid directory (a container's
	# /etc/hosts, /etc/resolv.conf) would show their underlying copy in
	# the overlay: copy their content in instead.  Directory mounts stay
	# hidden (the overlay shows what lies below them).
	sandbox_submounts >"$SB/submounts"
	while read -r _m; do
		if [ -f "$_m" ]; then
			mkdir -p "$SB/files${_m%/*}"
			cp -p "$_m" "$SB/files$_m"
		else
			echo "sandbox: host mount $_m is not visible in the sandbox"
		fi
	done <"$SB/submounts"

	for _d in $SB_OVERLAYS; do
		[ -d "$_d" ] || continue
		mkdir "$SB/$_d.upper" "$SB/$_d.work"
		mount -t overlay overlay \
		    -o "lowerdir=$_d,upperdir=$SB/$_d.upper,workdir=$SB/$_d.work" "$_d"
	done
	mount -t tmpfs -o mode=0755 sandbox-home /home
	mount -t tmpfs -o mode=1777 sandbox-tmp /tmp
	# root's home: tests write /root/.forward; never the host's.
	case "$top_srcdir/ $top_builddir/" in
	/root/*|*" /root/"*) ;;
	*) mount -t tmpfs -o mode=0700 sandbox-root /root ;;
	esac
	if [ -d /dev/shm ]; then
		mount -t tmpfs -o mode=1777 sandbox-shm /dev/shm
	fi
	while read -r _m; do
		[ -f "$SB/files$_m" ] || continue
		case $_m in
		/home/*|/tmp/*) continue ;;
		esac
		cp -p "$SB/files$_m" "$_m"
	done <"$SB/submounts"
	for _k in $_kept; do
		_t=${_k#*:}
		mkdir -p "$_t"
		mount --rbind "$SB/keep/${_k%%:*}" "$_t"
	done

	sandbox_write_users
	for _f in passwd group shadow gshadow; do
		[ -e "/etc/$_f" ] || : >"/etc/$_f"
		mount --bind "$SB/$_f" "/etc/$_f"
	done
	# Only the files we wrote answer: no nscd (its socket was in /run),
	# no systemd, sss or ldap users from the host.
	if [ -f /etc/nsswitch.conf ]; then
		sed -i -e 's/^\(passwd\|group\|shadow\|gshadow\):.*/\1: files/' \
		    /etc/nsswitch.conf
	else
		printf 'passwd: files\ngroup: files\nshadow: files\ngshadow: files\n' \
		    >/etc/nsswitch.conf
	fi

	# Empty tmpfs over the queue, the spool and the config directory when
	# the host has them, so no state of the host shows through; the spool
	# as Debian makes it.  Absent ones are left for the install to create.
	for _d in "$POSTERN_QUEUE_DIR" "$POSTERN_CONFIG_DIR"; do
		[ ! -d "$_d" ] || mount -t tmpfs -o mode=0755 postern-sandbox "$_d"
	done
	mkdir -p "$POSTERN_MAIL_SPOOL"
	mount -t tmpfs -o mode=2775 postern-sandbox "$POSTERN_MAIL_SPOOL"
	chgrp mail "$POSTERN_MAIL_SPOOL"
	chmod 2775 "$POSTERN_MAIL_SPOOL"

	# The install hook runs as root here: real owners and modes.
	echo "sandbox: make install"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" \
	    -C "$top_builddir" install
	echo "sandbox: ready"
}

# Print the mount points strictly below the overlaid directories.
sandbox_submounts() {
	# mountinfo field 5 is the mount point; escaped names (\040) are
	# skipped: nothing the tests need lives there.
	while read -r _x _x _x _x _mp _rest; do
		case $_mp in
		*\\*) continue ;;
		esac
		for _d in $SB_OVERLAYS; do
			case $_mp in
			"$_d"/*) echo "$_mp" ;;
			esac
		done
	done </proc/self/mountinfo
}

# Write the passwd, group, shadow and gshadow files of the sandbox and
# create the test users' homes.
sandbox_write_users() {
	_g=${POSTERN_SUBMIT_GROUP:-smmsp}
	cat >"$SB/passwd" <<EOT
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
postern:x:$SB_POSTERN_ID:$SB_POSTERN_ID:postern queue:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOT
	cat >"$SB/group" <<EOT
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
mail:x:8:
shadow:x:42:
users:x:100:alice,bob
$_g:x:$SB_SUBMIT_GID:
postern:x:$SB_POSTERN_ID:
nogroup:x:65534:
EOT
	: >"$SB/shadow"
	: >"$SB/gshadow"
	chmod 0644 "$SB/passwd" "$SB/group"
	chmod 0640 "$SB/shadow" "$SB/gshadow"
	chgrp 42 "$SB/shadow" "$SB/gshadow"
	for _n in root daemon bin sys mail postern nobody; do
		echo "$_n:*:19000:0:99999:7:::" >>"$SB/shadow"
	done
	cut -d: -f1 "$SB/group" | sed 's/$/:*::/' >>"$SB/gshadow"
	while read -r _n _id; do
		sb_add_user "$_n" "$_id" || return 1
	done <<EOT
$SB_USERS
EOT
}

# sb_add_user NAME UID [GROUP...]: add a user with its own group (gid =
# uid), a home /home/NAME (owner NAME, 0755) and a locked password; also
# make it a member of each GROUP.
sb_add_user() {
	_n=$1 _id=$2
	shift 2
	echo "$_n:x:$_id:$_id:$_n (test user):/home/$_n:/bin/sh" >>"$SB/passwd" &&
	echo "$_n:x:$_id:" >>"$SB/group" &&
	echo "$_n:!:19000:0:99999:7:::" >>"$SB/shadow" &&
	echo "$_n:!::" >>"$SB/gshadow" &&
	for _sg in "$@"; do
		# Append to the member list: "g:x:1:" or "g:x:1:a,b".  The
		# file is rewritten in place: /etc/group is bound to its inode.
		sed "/^$_sg:/{s/:\$/:$_n/;t;s/\$/,$_n/;}" "$SB/group" \
		    >"$SB/group.new" &&
		cat "$SB/group.new" >"$SB/group" &&
		rm -f "$SB/group.new" || return 1
	done &&
	{ [ -d "/home/$_n" ] || mkdir -m 0755 "/home/$_n"; } &&
	chown "$_id:$_id" "/home/$_n"
}

# sb_as USER CMD...: run CMD as USER in their home: real and effective
# uid and gid, the user's supplementary groups, no capabilities left, and
# an environment holding only HOME, SHELL, USER, LOGNAME, PATH (and TERM).
sb_as() {
	_user=$1
	shift
	(
		cd "$(sb_home "$_user")" 2>/dev/null || cd /
		exec setpriv --reuid="$_user" --regid="$_user" --init-groups \
		    --reset-env -- "$@"
	)
}

# sb_install_setgid SRC DEST GROUP: install a program root:GROUP 2555.
sb_install_setgid() {
	mkdir -p "${2%/*}" &&
	cp "$1" "$2" &&
	chown "root:$3" "$2" &&
	chmod 2555 "$2"
}

# sb_uid USER, sb_gid GROUP, sb_home USER: from the sandbox's own files.
sb_uid() { getent passwd "$1" | cut -d: -f3; }
sb_gid() { getent group "$1" | cut -d: -f3; }
sb_home() { getent passwd "$1" | cut -d: -f6; }
sb_user_file() {
	printf '%s\n' "$4" >"$2" && chown "$1:$1" "$2" && chmod "$3" "$2"
}
sb_count() {
	_sb_c=$(grep -ac "^Subject: $1\$" "$2" 2>/dev/null)
	echo "${_sb_c:-0}"
}
sb_wait_line() {
	_sb_i=0
	while [ "$_sb_i" -lt "$3" ]; do
		# shellcheck disable=SC2086
		grep -aq ${4:-} -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		_sb_i=$((_sb_i + 1))
	done
	return 1
}
