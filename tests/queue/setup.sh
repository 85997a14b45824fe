# tests/queue/setup.sh: sourced by the queue runner's sandbox tests after
# sandbox_enter.  Sets $sm and $pq (the installed sendmail and
# postern-queue), $spool (the mail spool), $q (the queue directory) and
# $log (an empty file for the runner's -v output); writes a postern.conf
# with myhostname = test.example and then the lines in $queue_conf (each
# ending in a newline), and an aliases map sending postmaster to root.
sm=$POSTERN_SBINDIR/sendmail
pq=$POSTERN_SBINDIR/postern-queue
spool=$POSTERN_MAIL_SPOOL
q=$POSTERN_QUEUE_DIR
log=$SB/queue.log
printf 'myhostname = test.example\n%s' "${queue_conf:-}" \
    >"$POSTERN_CONFIG_DIR/postern.conf"
printf 'postmaster: root\n' >/etc/aliases
"$POSTERN_SBINDIR/newaliases" >/dev/null || tap_bail "newaliases failed"
: >"$log"
