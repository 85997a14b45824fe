/*
 * Unit tests for aliases/expand.c: the expansion rules over a small world
 * of aliases, users, .forward and :include: files held in tables (the
 * engine's I/O is its caller's; mail.local's real I/O is tested in the
 * sandbox by tests/mail.local/expand.sh).  Each case lists the sorted
 * destinations "kind target as=runas [sender]" and failures "!what dsn".
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "aliases/expand.h"
#include "forward/forward.h"

struct kv {
	const char *k, *v;
};

static const struct kv world_aliases[] = {
	{ "postmaster", "root" },
	{ "root", "alice" },
	{ "staff", "alice, gina, alice, \\carol" },
	{ "list", ":include:/lists/list" },
	{ "owner-list", "alice" },
	{ "self", "self, gina" },			/* no user self */
	{ "bob", "\\bob, |/usr/bin/archive" },
	{ "loop1", "loop2" },
	{ "loop2", "loop1" },
	{ "dave", "dave, carol" },			/* dave is a user */
	{ "prog", "\"|/usr/bin/prog, with comma\", /var/spool/archive" },
	{ "remote", "someone@example.org, alice@localhost" },
	{ "sales+east", "carol" },
	{ "sales", "gina" },
	{ "ghost", "nosuchuser" },
	{ "bad", "a b" },
	{ "selfinc", ":include:/lists/self" },
	{ "mutual", ":include:/lists/m1" },
	{ "toforward", "erin" },
	{ "chain0", "chain1" }, { "chain1", "chain2" }, { "chain2", "chain3" },
	{ "chain3", "chain4" }, { "chain4", "carol" },
	{ NULL, NULL }
};
static const char *world_users[] = { "root", "alice", "bob", "carol", "dave",
	"erin", "frank", "gina", "nobody", "mallory", NULL };
static const struct kv world_forward[] = {
	{ "carol", "\\carol, carol@elsewhere.example" },
	{ "erin", "frank" },
	{ "frank", "erin, \"|/home/frank/bin/filter\"" },	/* cycle */
	{ "root", "alice, |/bin/evil, /tmp/x, :include:/lists/list" },
	{ "mallory", ":include:/home/mallory/list, /home/mallory/log" },
	{ NULL, NULL }
};
static const struct {
	const char *path, *owner, *data;
} world_includes[] = {
	{ "/lists/list", "root", "gina\ncarol\n|/usr/bin/listprog\n" },
	{ "/lists/self", "root", ":include:/lists/self\ngina\n" },
	{ "/lists/m1", "root", ":include:/lists/m2\n" },
	{ "/lists/m2", "root", ":include:/lists/m1\ncarol\n" },
	{ "/home/mallory/list", "mallory", "|/home/mallory/run\n" },
	{ NULL, NULL, NULL }
};

static bool tempfail_forward;	/* the next .forward read defers */

static int
w_alias(void *ctx, const char *name, struct buf *out, struct buf *why)
{
	size_t i;

	(void)ctx;
	(void)why;
	for (i = 0; world_aliases[i].k; i++)
		if (strcmp(world_aliases[i].k, name) == 0) {
			buf_reset(out);
			buf_append_str(out, world_aliases[i].v);
			return 1;
		}
	return 0;
}

static int
w_user(void *ctx, const char *name, struct buf *canon, struct buf *why)
{
	size_t i;

	(void)ctx;
	for (i = 0; world_users[i]; i++)
		if (strcasecmp(world_users[i], name) == 0) {
			buf_reset(canon);
			buf_append_str(canon, world_users[i]);
			return 0;
		}
	buf_append_str(why, "no such user");
	return EX_NOUSER;
}

static int
w_forward(void *ctx, const char *user, const char *ext,
    struct target_list *tl, struct buf *src, struct buf *why)
{
	struct buf err = BUF_INIT;
	size_t i;

	(void)ctx;
	(void)ext;
	if (tempfail_forward) {
		buf_append_str(why, "home directory is group writable");
		return -1;
	}
	for (i = 0; world_forward[i].k; i++)
		if (strcmp(world_forward[i].k, user) == 0) {
			assert_int_equal(forward_parse("f",
			    world_forward[i].v, strlen(world_forward[i].v),
			    100, tl, &err), 0);
			buf_printf(src, "~%s/.forward", user);
			buf_free(&err);
			return 1;
		}
	return 0;
}

static int
w_include(void *ctx, const char *opener, const char *path,
    struct target_list *tl, struct buf *owner, struct buf *why)
{
	struct buf err = BUF_INIT;
	size_t i;

	(void)ctx;
	for (i = 0; world_includes[i].path; i++) {
		if (strcmp(world_includes[i].path, path) != 0)
			continue;
		if (strcmp(world_includes[i].owner, "root") != 0 &&
		    strcmp(world_includes[i].owner, opener) != 0) {
			buf_printf(why, "%s: owned by %s", path,
			    world_includes[i].owner);
			return EX_NOPERM;
		}
		assert_int_equal(forward_parse(path, world_includes[i].data,
		    strlen(world_includes[i].data), 100000, tl, &err), 0);
		buf_append_str(owner, world_includes[i].owner);
		buf_free(&err);
		return 0;
	}
	buf_printf(why, "%s: no such file", path);
	return EX_TEMPFAIL;
}

static bool
w_local_domain(void *ctx, const char *domain)
{
	(void)ctx;
	return strcmp(domain, "localhost") == 0;
}

static struct expand_ops ops = {
	.alias = w_alias, .user = w_user, .forward = w_forward,
	.include = w_include, .local_domain = w_local_domain,
	.map_owner = "root", .default_user = "nobody", .delims = "+",
	.depth_limit = 20, .dest_limit = 1000, .aliases = true,
	.commands = true, .user_commands_files = true,
};

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand local and render the result, sorted. */
static void
expand_render(const char *local, struct buf *out)
{
	struct expansion x;
	char **lines;
	size_t i, n;

	expand_rcpt(&ops, local, &x);
	if (x.tempfail) {
		buf_printf(out, "TEMPFAIL %s", buf_cstr(&x.why));
		expansion_free(&x);
		return;
	}
	n = x.n + x.nfail;
	lines = xcalloc(n + 1, sizeof(*lines));
	for (i = 0; i < x.n; i++) {
		struct buf l = BUF_INIT;

		buf_printf(&l, "%s %s as=%s", dest_kind_name(x.v[i].kind),
		    x.v[i].target, x.v[i].runas);
		if (x.v[i].sender)
			buf_printf(&l, " from=%s", x.v[i].sender);
		if (x.v[i].ext)
			buf_printf(&l, " ext=%s", x.v[i].ext);
		lines[i] = buf_steal(&l);
	}
	for (i = 0; i < x.nfail; i++) {
		struct buf l = BUF_INIT;

		buf_printf(&l, "!%s %s", x.fail[i].what, x.fail[i].dsn);
		lines[x.n + i] = buf_steal(&l);
	}
	qsort(lines, n, sizeof(*lines), cmpstr);
	for (i = 0; i < n; i++) {
		buf_printf(out, "%s%s", i ? "; " : "", lines[i]);
		free(lines[i]);
	}
	free(lines);
	expansion_free(&x);
}

static const struct {
	const char *rcpt, *want;
} cases[] = {
	/* A user without aliases or .forward: the mailbox. */
	{ "alice", "mailbox alice as=alice" },
	{ "Alice", "mailbox alice as=alice" },
	{ "nosuch", "!nosuch 5.1.1" },
	/* A chain: postmaster -> root -> alice (root's alias wins over
	 * root's .forward, which is never read). */
	{ "postmaster", "mailbox alice as=alice" },
	/* Duplicates once; \carol does not read carol's .forward. */
	{ "staff", "mailbox alice as=alice; mailbox carol as=carol; "
	    "mailbox gina as=gina" },
	/* An alias naming itself: its mailbox if a user, else 5.4.6. */
	{ "bob", "command /usr/bin/archive as=nobody; mailbox bob as=bob" },
	{ "dave", "forward carol@elsewhere.example as=carol; "
	    "mailbox carol as=carol; mailbox dave as=dave" },
	{ "self", "!self 5.4.6; mailbox gina as=gina" },
	{ "loop1", "!loop1 5.4.6" },
	/* :include: with owner-list as the sender; root-owned -> nobody. */
	{ "list", "command /usr/bin/listprog as=nobody from=owner-list; "
	    "forward carol@elsewhere.example as=carol from=owner-list; "
	    "mailbox carol as=carol from=owner-list; "
	    "mailbox gina as=gina from=owner-list" },
	{ "selfinc", "!/lists/self 5.4.6; mailbox gina as=gina" },
	{ "mutual", "!/lists/m1 5.4.6; forward carol@elsewhere.example "
	    "as=carol; mailbox carol as=carol" },
	/* Programs and files of the root map run as default_user. */
	{ "prog", "command /usr/bin/prog, with comma as=nobody; "
	    "file /var/spool/archive as=nobody" },
	/* Remote addresses are forwarded; localhost is local. */
	{ "remote", "forward someone@example.org as=nobody; "
	    "mailbox alice as=alice" },
	/* user+ext: the full name first, then the base. */
	{ "sales+east", "forward carol@elsewhere.example as=carol; "
	    "mailbox carol as=carol" },
	{ "sales+west", "mailbox gina as=gina" },
	{ "alice+folder", "mailbox alice as=alice ext=folder" },
	{ "ghost", "!nosuchuser 5.1.1" },
	{ "bad", "!bad 5.3.5" },
	/* .forward cycle erin -> frank -> erin: erin's mailbox, frank's
	 * program as frank. */
	{ "toforward", "command /home/frank/bin/filter as=frank; "
	    "mailbox erin as=erin" },
	/* mallory's own include file: runs as mallory. */
	{ "mallory", "command /home/mallory/run as=mallory; "
	    "file /home/mallory/log as=mallory" },
	{ "chain0", "forward carol@elsewhere.example as=carol; "
	    "mailbox carol as=carol" },
};

static void
test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf got = BUF_INIT;

		expand_render(cases[i].rcpt, &got);
		if (strcmp(buf_cstr(&got), cases[i].want) != 0)
			fail_msg("%s:\n  want %s\n  got  %s", cases[i].rcpt,
			    cases[i].want, buf_cstr(&got));
		buf_free(&got);
	}
}

/* root's .forward: addresses only. */
static void
test_root_forward(void **state)
{
	struct buf got = BUF_INIT;
	const struct kv *saved = NULL;

	(void)state;
	(void)saved;
	ops.aliases = false;	/* so root is not the alias to alice */
	expand_render("root", &got);
	ops.aliases = true;
	assert_string_equal(buf_cstr(&got), "!/bin/evil 5.7.1; "
	    "!/lists/list 5.7.1; !/tmp/x 5.7.1; mailbox alice as=alice");
	buf_free(&got);
}

/* The switches that turn programs and files off. */
static void
test_switches(void **state)
{
	struct buf got = BUF_INIT;

	(void)state;
	ops.user_commands_files = false;
	expand_render("mallory", &got);
	assert_string_equal(buf_cstr(&got), "!/home/mallory/log 5.7.1; "
	    "!/home/mallory/run 5.7.1");
	buf_reset(&got);
	/* The map's own programs still run. */
	expand_render("bob", &got);
	assert_string_equal(buf_cstr(&got),
	    "command /usr/bin/archive as=nobody; mailbox bob as=bob");
	ops.user_commands_files = true;
	ops.commands = false;
	buf_reset(&got);
	expand_render("bob", &got);
	assert_string_equal(buf_cstr(&got), "!/usr/bin/archive 5.7.1; "
	    "mailbox bob as=bob");
	ops.commands = true;
	buf_free(&got);
}

/* Limits: depth and destinations. */
static void
test_limits(void **state)
{
	struct buf got = BUF_INIT;

	(void)state;
	ops.depth_limit = 3;
	expand_render("chain0", &got);
	assert_string_equal(buf_cstr(&got), "!chain3 5.4.6");
	ops.depth_limit = 20;
	ops.dest_limit = 2;
	buf_reset(&got);
	expand_render("staff", &got);
	assert_string_equal(buf_cstr(&got), "!carol 5.5.3; "
	    "mailbox alice as=alice; mailbox gina as=gina");
	ops.dest_limit = 1000;
	buf_free(&got);
}

/* A .forward that cannot be read safely defers the whole recipient. */
static void
test_tempfail(void **state)
{
	struct buf got = BUF_INIT;

	(void)state;
	tempfail_forward = true;
	expand_render("staff", &got);
	tempfail_forward = false;
	assert_string_equal(buf_cstr(&got),
	    "TEMPFAIL home directory is group writable");
	buf_free(&got);
}

/* A 10,000-member include list, duplicates in it, in one pass. */
static int
big_include(void *ctx, const char *opener, const char *path,
    struct target_list *tl, struct buf *owner, struct buf *why)
{
	struct buf data = BUF_INIT;
	int i, rc;

	(void)ctx;
	(void)opener;
	(void)path;
	for (i = 0; i < 10000; i++)
		buf_printf(&data, "user%d@example.org\n", i % 9000);
	rc = forward_parse("big", data.data, data.len, 100000, tl, why);
	buf_append_str(owner, "root");
	buf_free(&data);
	return rc == 0 ? 0 : EX_DATAERR;
}

static void
test_big_list(void **state)
{
	struct expansion x;

	(void)state;
	ops.include = big_include;
	ops.dest_limit = 50000;
	expand_rcpt(&ops, "list", &x);
	ops.include = w_include;
	ops.dest_limit = 1000;
	assert_int_equal(x.tempfail, 0);
	assert_int_equal(x.nfail, 0);
	assert_int_equal(x.n, 9000);
	expansion_free(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_root_forward),
		cmocka_unit_test(test_switches),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_tempfail),
		cmocka_unit_test(test_big_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
