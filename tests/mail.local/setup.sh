# tests/mail.local/setup.sh: sourced by mail.local's sandbox tests after
# sandbox_enter.  Sets $ml (the installed mail.local), $spool (the mail
# spool) and $conf (postern.conf), and writes a postern.conf with
# myhostname = test.example only.
ml=$POSTERN_LIBEXECDIR/mail.local
spool=$POSTERN_MAIL_SPOOL
conf=$POSTERN_CONFIG_DIR/postern.conf
printf 'myhostname = test.example\n' >"$conf"
