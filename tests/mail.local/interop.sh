#!/bin/sh
# Interop with a real MUA: s-nail opens the mbox and the Maildir that
# mail.local wrote, as their owner, and lists exactly the messages
# delivered, with their subjects and senders; a message whose body has
# From_ lines is still one message.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"
command -v s-nail >/dev/null || tap_skip_all "s-nail is not installed"

ml=$POSTERN_LIBEXECDIR/mail.local
spool=$POSTERN_MAIL_SPOOL
conf=$POSTERN_CONFIG_DIR/postern.conf

send() {
	printf 'From: %s\nSubject: %s\n\nFrom the start\n>From quoted\nbody\n' \
	    "$2" "$3" | "$ml" -f "$2" "$1"
}

printf 'myhostname = test.example\n' >"$conf"
send alice one@example.org "first subject"
send alice two@example.org "second subject"
send alice three@example.org "third subject"
list=$(sb_as alice s-nail -n -R -H -f "$spool/alice" 2>&1)
tap_is "s-nail sees 3 messages in alice's mbox" "$(echo "$list" | wc -l)" 3
tap_is "... with their subjects in order" \
    "$(echo "$list" | grep -o '[a-z]* subject' | tr '\n' ,)" \
    "first subject,second subject,third subject,"
tap_is "... and their senders" \
    "$(echo "$list" | grep -o '[a-z]*@example.org' | tr '\n' ,)" \
    "one@example.org,two@example.org,three@example.org,"

printf 'myhostname = test.example\nhome_mailbox = Maildir/\n' >"$conf"
send bob one@example.org "maildir one"
send bob two@example.org "maildir two"
list=$(sb_as bob s-nail -n -R -H -f /home/bob/Maildir 2>&1)
tap_is "s-nail sees 2 messages in bob's Maildir" "$(echo "$list" | wc -l)" 2
tap_is "... with their subjects" \
    "$(echo "$list" | grep -o 'maildir [a-z]*' | sort | tr '\n' ,)" \
    "maildir one,maildir two,"
tap_done
