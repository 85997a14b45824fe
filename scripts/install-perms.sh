#!/bin/sh
# scripts/install-perms.sh: owners and modes of an installed postern.
#
# Run by `make install` (install-data-hook) with these variables in the
# environment: DESTDIR, OWNERS (yes, no or auto), SUBMIT_GROUP, POSTERN_USER,
# QUEUE_DIR, MAIL_SPOOL, CONFIG_DIR, SBINDIR, LIBEXECDIR.  They come from
# configure and the installer; nothing else is read.
#
# It creates the directories of DESIGN.md's table with their modes (also
# under DESTDIR, unprivileged) and sets the modes of the installed programs.
# When it sets owners (OWNERS=yes, or auto as root without DESTDIR) it also
# chowns them, and the group SUBMIT_GROUP must exist.  The setgid bit of
# sendmail is set only together with its group.  Programs not installed
# (yet) are skipped.  An existing mail spool is the admin's and is left as
# it is.  Running it twice changes nothing.  One line is printed per change.
#
# Diagnostics: "install-perms: PATH: REASON" on stderr, exit 1.
#
# SECURITY: as root it chowns and chmods paths under system directories: a
# queue directory or program that is a symbolic link is refused rather
# than followed, so a link planted there cannot redirect a chown.
set -eu

: "${SUBMIT_GROUP:?}" "${QUEUE_DIR:?}" "${MAIL_SPOOL:?}" "${CONFIG_DIR:?}"
: "${SBINDIR:?}" "${LIBEXECDIR:?}"
DESTDIR=${DESTDIR:-}
OWNERS=${OWNERS:-auto}
POSTERN_USER=${POSTERN_USER:-postern}
me=install-perms

case $OWNERS in
yes) owners=yes ;;
no) owners=no ;;
auto|"")
	if [ "$(id -u)" -eq 0 ] && [ -z "$DESTDIR" ]; then
		owners=yes
	else
		owners=no
	fi ;;
*) echo "$me: OWNERS must be yes, no or auto, not '$OWNERS'" >&2; exit 1 ;;
esac

if [ "$owners" = yes ] && ! getent group "$SUBMIT_GROUP" >/dev/null; then
	echo "$me: group '$SUBMIT_GROUP' does not exist: create it with" \
	    "'groupadd --system $SUBMIT_GROUP' (./quickstart does this)" >&2
	exit 1
fi
if [ "$owners" = yes ] && ! getent passwd "$POSTERN_USER" >/dev/null; then
	# Not needed to install; the queue runner needs it to relay.
	echo "$me: warning: user '$POSTERN_USER' does not exist: create it with" \
	    "'useradd --system --no-create-home $POSTERN_USER' before starting" \
	    "postern-queue" >&2
fi

# refuse_link PATH: stop if PATH is a symbolic link.
refuse_link() {
	if [ -L "$1" ]; then
		echo "$me: $1: is a symbolic link: refusing to change it" >&2
		exit 1
	fi
}

# set_mode PATH MODE [QUIET_FROM]: chmod when the mode differs; say so
# unless the mode was QUIET_FROM (a program `make install` has just copied
# with install's 755: setting its mode again is the normal case, not a
# change).
set_mode() {
	cur=$(stat -c %a "$1")
	want=$(printf '%o' "0$2")
	if [ "$cur" != "$want" ]; then
		chmod "$2" "$1"
		[ "$cur" = "${3:-}" ] || echo "$me: $1: mode $cur -> $want"
	fi
}

# set_owner PATH USER GROUP [QUIET_FROM]: chown when owners are set and they differ.
set_owner() {
	[ "$owners" = yes ] || return 0
	cur=$(stat -c %U:%G "$1")
	if [ "$cur" != "$2:$3" ]; then
		chown "$2:$3" "$1"
		# QUIET_FROM ($4): a program just copied by `make install`.
		[ "$cur" = "${4:-}" ] || echo "$me: $1: owner $cur -> $2:$3"
	fi
}

# dir PATH USER GROUP MODE: create if missing, then owner, then mode
# (chown may clear set-id bits, so the mode comes last).
dir() {
	p=$DESTDIR$1
	refuse_link "$p"
	if [ ! -d "$p" ]; then
		mkdir -p "$p"
		echo "$me: created $p"
	fi
	set_owner "$p" "$2" "$3"
	set_mode "$p" "$4"
}

# prog PATH USER GROUP MODE MODE_WITHOUT_OWNERS: a program, if installed.
prog() {
	p=$DESTDIR$1
	refuse_link "$p"
	[ -f "$p" ] || return 0
	set_owner "$p" "$2" "$3" root:root
	if [ "$owners" = yes ]; then
		set_mode "$p" "$4" 755
	else
		set_mode "$p" "$5" 755
	fi
}

# An admin may keep the configuration elsewhere behind a link: theirs.
if [ -L "$DESTDIR$CONFIG_DIR" ]; then
	echo "$me: $DESTDIR$CONFIG_DIR: is a symbolic link: left as it is" >&2
else
	dir "$CONFIG_DIR" root root 0755
fi
dir "$QUEUE_DIR" root root 0755
dir "$QUEUE_DIR/submit" root "$SUBMIT_GROUP" 0750
dir "$QUEUE_DIR/submit/tmp" root "$SUBMIT_GROUP" 3770
dir "$QUEUE_DIR/submit/new" root "$SUBMIT_GROUP" 3770
dir "$QUEUE_DIR/submit/bad" root root 0700
dir "$QUEUE_DIR/queue" root root 0700

# The mail spool: an existing one (or a link to one, as on Fedora) is the
# admin's and is left as it is.
if [ ! -d "$DESTDIR$MAIL_SPOOL" ]; then
	if getent group mail >/dev/null; then
		dir "$MAIL_SPOOL" root mail 2775
	else
		echo "$me: warning: no 'mail' group: $DESTDIR$MAIL_SPOOL gets" \
		    "mode 1777 (sticky, world-writable)" >&2
		dir "$MAIL_SPOOL" root root 1777
	fi
fi

# Programs (DESIGN.md): path, owner, group, mode, mode when not chowning.
prog "$SBINDIR/sendmail" root "$SUBMIT_GROUP" 2555 0555
prog "$SBINDIR/postern-queue" root root 0755 0755
prog "$LIBEXECDIR/mail.local" root root 0555 0555
prog "$SBINDIR/newaliases" root root 0755 0755
prog "$SBINDIR/postern-config" root root 0755 0755
exit 0
