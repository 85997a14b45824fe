#!/bin/sh
# tests/mail.local/static-lmtp.sh: lmtp.sh's checks, run with mail.local
# linked as a static PIE (configure --enable-static-mail-local; see
# tests/mail.local/setup.sh).
POSTERN_TEST_STATIC=1 exec /bin/sh "$top_srcdir/tests/mail.local/lmtp.sh" "$@"
