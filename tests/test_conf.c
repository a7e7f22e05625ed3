/* test_conf.c: the configuration loader, printer and matchers. */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

#define MAX_BAD_FILES	512
#define MAX_TMP_FILES	32

static char	 tmpdir[64];
static char	*tmpfiles[MAX_TMP_FILES];
static size_t	 ntmpfiles;

static void	 join(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Format a path or message, failing the test rather than truncating. */
static void
join(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < len);
}

/* Return the directory holding the test sources. */
static const char *
srcdir(void)
{
	static char	 dir[PATH_MAX];
	const char	*top;

	if ((top = getenv("top_srcdir")) == NULL)
		top = "..";
	join(dir, sizeof(dir), "%s/tests", top);
	return (dir);
}

/* Make the scratch directory for the whole group. */
static int
setup_tmpdir(void **state)
{
	(void)state;
	strlcpy(tmpdir, "test_conf.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	return (0);
}

/* Remove every scratch file, then the directory. */
static int
teardown_tmpdir(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < ntmpfiles; i++) {
		unlink(tmpfiles[i]);
		free(tmpfiles[i]);
	}
	ntmpfiles = 0;
	return (rmdir(tmpdir));
}

/* Write a scratch file with a mode and return its path (owned here). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	char	 path[PATH_MAX];
	size_t	 i;
	FILE	*fp;

	join(path, sizeof(path), "%s/%s", tmpdir, name);
	for (i = 0; i < ntmpfiles; i++) {
		if (strcmp(tmpfiles[i], path) == 0)
			break;
	}
	if (i == ntmpfiles) {
		assert_true(ntmpfiles < MAX_TMP_FILES);
		tmpfiles[ntmpfiles] = strdup(path);
		assert_non_null(tmpfiles[ntmpfiles]);
		ntmpfiles++;
	}
	fp = fopen(tmpfiles[i], "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(tmpfiles[i], mode), 0);
	return (tmpfiles[i]);
}

/* Read a whole file into a new string. */
static char *
read_file(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len >= 0 && len < 1024 * 1024);
	rewind(fp);
	buf = calloc(1, len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, fp), (size_t)len);
	fclose(fp);
	return (buf);
}

/* Load a configuration given as text, failing the test on an error. */
static void
load_text(const char *text, struct dul_conf *c)
{
	char		 err[CONF_ERR_MAX];
	const char	*path;

	path = write_file("inline.conf", text, 0644);
	if (conf_load(path, c, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* Print a configuration into a new string. */
static char *
print_conf(const struct dul_conf *c)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(conf_print(fp, c), 0);
	assert_int_equal(fclose(fp), 0);
	return (buf);
}

/* Fill a sockaddr from numeric text. */
static const struct sockaddr *
addr(struct sockaddr_storage *ss, const char *text)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr),
		    1);
		sin6->sin6_family = AF_INET6;
	}
	return ((const struct sockaddr *)ss);
}

/* Assert that a UID reference holds exactly the given patterns. */
static void
assert_uids(const struct conf_uidref *r, const char *ref, size_t n, ...)
{
	va_list	 ap;
	size_t	 i;

	assert_string_equal(r->ref, ref);
	assert_int_equal(r->nuids, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(r->uids[i], va_arg(ap, const char *));
	va_end(ap);
}

/* The design's example, without later versions' keys, loads as written. */
static void
test_conf_example_loads_every_value(void **state)
{
	struct dul_conf		 c;
	char			 path[PATH_MAX], err[CONF_ERR_MAX];
	const struct conf_ae	*ae;

	(void)state;
	join(path, sizeof(path), "%s/conf/example.conf", srcdir());
	if (conf_load(path, &c, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.version, 1);

	assert_int_equal(c.server.nlisten, 2);
	assert_string_equal(c.server.listen[0].address, "0.0.0.0");
	assert_int_equal(c.server.listen[0].port, 11112);
	assert_int_equal(c.server.listen[0].v6only, 1);
	assert_string_equal(c.server.listen[1].address, "::");
	assert_int_equal(c.server.listen[1].port, 11112);
	assert_int_equal(c.server.listen[1].v6only, 1);
	assert_int_equal(c.server.backlog, 4096);
	assert_int_equal(c.server.max_associations, 64);
	assert_int_equal(c.server.max_associations_per_ip, 0);
	assert_int_equal(c.server.on_limit, CONF_ON_LIMIT_REJECT);
	assert_int_equal(c.server.reject_slots, 8);
	assert_string_equal(c.server.user, "dulserverd");
	assert_string_equal(c.server.group, "dulserverd");
	assert_string_equal(c.server.pidfile,
	    "/run/dulserverd/dulserverd.pid");
	assert_int_equal(c.server.shutdown_grace, 30);

	assert_int_equal(c.logging.target, CONF_LOG_SYSLOG);
	assert_string_equal(c.logging.file, "");
	assert_int_equal(c.logging.facility, LOG_DAEMON);
	assert_int_equal(c.logging.level, CONF_LEVEL_INFO);
	assert_int_equal(c.logging.format, CONF_LOG_TEXT);
	assert_int_equal(c.logging.association_summary, 1);
	assert_int_equal(c.logging.pdu_trace, 0);
	assert_int_equal(c.logging.log_idle_connects, 0);

	assert_int_equal(c.timeouts.artim, 30000);
	assert_int_equal(c.timeouts.idle, 60000);
	assert_int_equal(c.timeouts.handler, 30000);
	assert_int_equal(c.timeouts.handler_exit, 10000);
	assert_int_equal(c.timeouts.association, 0);
	assert_int_equal(c.timeouts.send, 60000);
	assert_int_equal(c.timeouts.release, 30000);
	assert_int_equal(c.timeouts.pdu, 60000);

	assert_int_equal(c.network.max_pdu_receive, 16384);
	assert_int_equal(c.network.max_pdu_send, 65536);
	assert_int_equal(c.network.max_rq_pdu, 1048576);
	assert_int_equal(c.network.max_handler_message, 1048576);
	assert_int_equal(c.network.max_presentation_contexts, 128);
	assert_string_equal(c.network.implementation_class_uid,
	    CONF_IMPL_CLASS_UID);
	assert_string_equal(c.network.implementation_version,
	    CONF_IMPL_VERSION);
	assert_int_equal(c.network.strict_ae_titles, 1);
	assert_int_equal(c.network.uid_padding_fix, 0);
	assert_int_equal(c.network.ts_preference, CONF_TS_OURS);
	assert_int_equal(c.network.ae_title_match, CONF_AE_MATCH_EXACT);

	assert_int_equal(c.nsyntax_sets, 2);
	assert_string_equal(c.syntax_sets[0].name, "uncompressed");
	assert_int_equal(c.syntax_sets[0].nuids, 3);
	assert_string_equal(c.syntax_sets[0].uids[0], "1.2.840.10008.1.2.1");
	assert_string_equal(c.syntax_sets[0].uids[1], "1.2.840.10008.1.2");
	assert_string_equal(c.syntax_sets[0].uids[2], "1.2.840.10008.1.2.2");
	assert_string_equal(c.syntax_sets[1].name, "any");
	assert_int_equal(c.syntax_sets[1].nuids, 1);
	assert_string_equal(c.syntax_sets[1].uids[0], "*");
	assert_int_equal(c.nabstract_sets, 2);
	assert_string_equal(c.abstract_sets[0].name, "verification");
	assert_int_equal(c.abstract_sets[0].nuids, 1);
	assert_string_equal(c.abstract_sets[0].uids[0], "1.2.840.10008.1.1");
	assert_string_equal(c.abstract_sets[1].name, "storage");
	assert_int_equal(c.abstract_sets[1].nuids, 1);
	assert_string_equal(c.abstract_sets[1].uids[0],
	    "1.2.840.10008.5.1.4.1.1.*");

	assert_int_equal(c.access.nallow, 4);
	assert_int_equal(c.access.allow[0].family, AF_INET);
	assert_int_equal(c.access.allow[0].prefix, 8);
	assert_int_equal(c.access.allow[0].addr[0], 10);
	assert_int_equal(c.access.allow[1].prefix, 16);
	assert_int_equal(c.access.allow[1].addr[0], 192);
	assert_int_equal(c.access.allow[1].addr[1], 168);
	assert_int_equal(c.access.allow[2].prefix, 8);
	assert_int_equal(c.access.allow[2].addr[0], 127);
	assert_int_equal(c.access.allow[3].family, AF_INET6);
	assert_int_equal(c.access.allow[3].prefix, 128);
	assert_int_equal(c.access.allow[3].addr[15], 1);
	assert_int_equal(c.access.ndeny, 0);
	assert_int_equal(c.access.on_denied, CONF_DENIED_REJECT);

	assert_int_equal(c.nae, 3);
	ae = &c.ae[0];
	assert_string_equal(ae->title, "STORESCP");
	assert_int_equal(ae->enabled, 1);
	assert_string_equal(ae->handler,
	    "/usr/libexec/dulserverd/dul-store-scp");
	assert_int_equal(ae->nargs, 4);
	assert_string_equal(ae->args[0], "--root");
	assert_string_equal(ae->args[1], "/var/lib/dulserverd/incoming");
	assert_string_equal(ae->args[2], "--layout");
	assert_string_equal(ae->args[3], "calling/date");
	assert_int_equal(ae->nenv, 1);
	assert_string_equal(ae->env[0], "TZ=UTC");
	assert_string_equal(ae->workdir, "/");
	assert_int_equal(ae->umask, 027);
	assert_int_equal(ae->ncalling_ae, 3);
	assert_string_equal(ae->calling_ae[0], "CT_*");
	assert_string_equal(ae->calling_ae[1], "MR1");
	assert_string_equal(ae->calling_ae[2], "PACS");
	assert_int_equal(ae->ncalling_ip, 0);
	assert_int_equal(ae->ncontexts, 2);
	assert_uids(&ae->contexts[0].abstract, "verification", 1,
	    "1.2.840.10008.1.1");
	assert_uids(&ae->contexts[0].transfer, "uncompressed", 3,
	    "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2");
	assert_int_equal(ae->contexts[0].peer_roles, CONF_ROLES_SCU);
	assert_uids(&ae->contexts[1].abstract, "storage", 1,
	    "1.2.840.10008.5.1.4.1.1.*");
	assert_uids(&ae->contexts[1].transfer, "any", 1, "*");
	assert_int_equal(ae->negotiation, CONF_NEG_HANDLER);
	assert_int_equal(ae->max_associations, 16);
	assert_int_equal(ae->timeouts.idle, 300000);
	assert_int_equal(ae->timeouts.artim, 30000);
	assert_int_equal(ae->timeouts.handler, 30000);
	assert_int_equal(ae->timeouts.handler_exit, 10000);
	assert_int_equal(ae->timeouts.association, 0);
	assert_int_equal(ae->timeouts.send, 60000);
	assert_int_equal(ae->timeouts.release, 30000);
	assert_int_equal(ae->timeouts.pdu, 60000);
	assert_int_equal(ae->max_pdu_receive, 16384);

	ae = &c.ae[1];
	assert_string_equal(ae->title, "ECHOSCP");
	assert_int_equal(ae->enabled, 1);
	assert_string_equal(ae->handler,
	    "/usr/libexec/dulserverd/dul-echo-scp");
	assert_int_equal(ae->nargs, 0);
	assert_int_equal(ae->nenv, 0);
	assert_int_equal(ae->ncontexts, 1);
	assert_uids(&ae->contexts[0].abstract, "1.2.840.10008.1.1", 1,
	    "1.2.840.10008.1.1");
	assert_uids(&ae->contexts[0].transfer, "uncompressed", 3,
	    "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2");
	assert_int_equal(ae->negotiation, CONF_NEG_POLICY);
	assert_int_equal(ae->max_associations, 0);
	assert_int_equal(ae->timeouts.idle, 60000);

	ae = &c.ae[2];
	assert_string_equal(ae->title, "*");
	assert_int_equal(ae->enabled, 0);
	assert_string_equal(ae->handler,
	    "/usr/libexec/dulserverd/dul-echo-scp");
	assert_int_equal(ae->ncontexts, 1);
	assert_uids(&ae->contexts[0].abstract, "verification", 1,
	    "1.2.840.10008.1.1");
	assert_int_equal(ae->negotiation, CONF_NEG_HANDLER);
	conf_free(&c);
	assert_null(c.ae);
}

/* A file with only config_version gets every documented default. */
static void
test_conf_minimal_file_gets_defaults(void **state)
{
	struct dul_conf	 c;

	(void)state;
	load_text("config_version = 1;\n", &c);
	assert_int_equal(c.server.nlisten, 2);
	assert_string_equal(c.server.listen[0].address, "0.0.0.0");
	assert_int_equal(c.server.listen[0].port, 11112);
	assert_string_equal(c.server.listen[1].address, "::");
	assert_int_equal(c.server.listen[1].port, 11112);
	assert_int_equal(c.server.listen[1].v6only, 1);
	assert_int_equal(c.server.backlog, 4096);
	assert_int_equal(c.server.max_associations, 64);
	assert_int_equal(c.server.max_associations_per_ip, 0);
	assert_int_equal(c.server.max_startups_full, 0);
	assert_int_equal(c.server.max_startups_per_ip, 0);
	assert_int_equal(c.server.per_ip_prefix4, 32);
	assert_int_equal(c.server.per_ip_prefix6, 64);
	assert_int_equal(c.server.on_limit, CONF_ON_LIMIT_REJECT);
	assert_int_equal(c.server.reject_slots, 8);
	assert_string_equal(c.server.user, "");
	assert_string_equal(c.server.group, "");
	assert_string_equal(c.server.pidfile, "");
	assert_int_equal(c.server.shutdown_grace, 30);
	assert_int_equal(c.logging.target, CONF_LOG_SYSLOG);
	assert_int_equal(c.logging.facility, LOG_DAEMON);
	assert_int_equal(c.logging.level, CONF_LEVEL_INFO);
	assert_int_equal(c.logging.association_summary, 1);
	assert_int_equal(c.logging.pdu_trace, 0);
	assert_int_equal(c.logging.log_idle_connects, 0);
	assert_int_equal(c.timeouts.artim, 30000);
	assert_int_equal(c.timeouts.idle, 60000);
	assert_int_equal(c.timeouts.handler, 30000);
	assert_int_equal(c.timeouts.handler_exit, 10000);
	assert_int_equal(c.timeouts.association, 0);
	assert_int_equal(c.timeouts.send, 60000);
	assert_int_equal(c.timeouts.release, 30000);
	assert_int_equal(c.timeouts.pdu, 60000);
	assert_int_equal(c.network.max_pdu_receive, 16384);
	assert_int_equal(c.network.max_pdu_send, 65536);
	assert_int_equal(c.network.max_rq_pdu, 1048576);
	assert_int_equal(c.network.max_handler_message, 1048576);
	assert_int_equal(c.network.max_presentation_contexts, 128);
	assert_string_equal(c.network.implementation_class_uid,
	    CONF_IMPL_CLASS_UID);
	assert_true(strlen(c.network.implementation_version) <= 16);
	assert_int_equal(c.network.strict_ae_titles, 1);
	assert_int_equal(c.network.uid_padding_fix, 0);
	assert_int_equal(c.network.ts_preference, CONF_TS_OURS);
	assert_int_equal(c.network.ae_title_match, CONF_AE_MATCH_EXACT);
	assert_int_equal(c.nsyntax_sets, 0);
	assert_int_equal(c.nabstract_sets, 0);
	assert_int_equal(c.access.nallow, 0);
	assert_int_equal(c.access.ndeny, 0);
	assert_int_equal(c.access.on_denied, CONF_DENIED_REJECT);
	assert_int_equal(c.nae, 0);
	conf_free(&c);
}

/*
 * The negotiation policy keys: network.strict_user_info is each entry's
 * default and an entry may override it; user identity is off unless
 * required, with every type accepted unless listed; the per-entry limits
 * are read, and all of it prints back the same.
 */
static void
test_conf_negotiation_policy_keys(void **state)
{
	struct dul_conf	 c, c2;
	char		 err[CONF_ERR_MAX];
	char		*text, *again;
	const char	*p;

	(void)state;
	load_text("config_version = 1;\n"
	    "network : { strict_user_info = true; };\n"
	    "ae = ( { title = \"A\"; handler = \"/bin/true\"; },\n"
	    "  { title = \"B\"; handler = \"/bin/true\"; "
	    "strict_user_info = false; require_user_identity = true; "
	    "user_identity_types = [ \"jwt\", \"username_passcode\" ]; "
	    "max_associations = 2; max_associations_per_calling_ae = 1; "
	    "} );\n", &c);
	assert_int_equal(c.network.strict_user_info, 1);
	assert_int_equal(c.ae[0].strict_user_info, 1);
	assert_int_equal(c.ae[0].require_user_identity, 0);
	assert_int_equal(c.ae[0].user_identity_types, CONF_IDENTITY_ALL);
	assert_int_equal(c.ae[0].max_associations, 0);
	assert_int_equal(c.ae[0].max_associations_per_calling_ae, 0);
	assert_int_equal(c.ae[1].strict_user_info, 0);
	assert_int_equal(c.ae[1].require_user_identity, 1);
	assert_int_equal(c.ae[1].user_identity_types,
	    (1U << CONF_IDENTITY_JWT) |
	    (1U << CONF_IDENTITY_USERNAME_PASSCODE));
	assert_int_equal(c.ae[1].max_associations, 2);
	assert_int_equal(c.ae[1].max_associations_per_calling_ae, 1);
	text = print_conf(&c);
	assert_non_null(strstr(text, "user_identity_types = [ "
	    "\"username_passcode\", \"jwt\" ];"));
	assert_non_null(strstr(text, "max_associations_per_calling_ae = 1;"));
	p = write_file("printed.conf", text, 0644);
	if (conf_load(p, &c2, 0, err, sizeof(err)) != 0)
		fail_msg("%s\n%s", err, text);
	again = print_conf(&c2);
	assert_string_equal(text, again);
	assert_int_equal(c2.ae[1].user_identity_types,
	    c.ae[1].user_identity_types);
	free(text);
	free(again);
	conf_free(&c2);
	conf_free(&c);

	/* Without network.strict_user_info, entries are lenient. */
	load_text("config_version = 1;\n"
	    "ae = ( { title = \"A\"; handler = \"/bin/true\"; } );\n", &c);
	assert_int_equal(c.network.strict_user_info, 0);
	assert_int_equal(c.ae[0].strict_user_info, 0);
	conf_free(&c);
}

/*
 * server.max_startups: "start:rate:full", "full" alone, or "" (off); the
 * source prefixes; and all of it printed back the same.
 */
static void
test_conf_max_startups_forms(void **state)
{
	struct dul_conf	 c, c2;
	char		*text, *again;
	static const char *const forms[][2] = {
		{ "10:30:60", "10:30:60" },
		{ "7", "7:100:7" },
		{ "1:0:65535", "1:0:65535" },
		{ "", "" }
	};
	char		 conf[256], want[64];
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(forms); i++) {
		snprintf(conf, sizeof(conf), "config_version = 1;\n"
		    "server : { max_startups = \"%s\"; max_startups_per_ip = "
		    "5; per_ip_prefix4 = 24; per_ip_prefix6 = 48; };\n",
		    forms[i][0]);
		load_text(conf, &c);
		assert_int_equal(c.server.max_startups_per_ip, 5);
		assert_int_equal(c.server.per_ip_prefix4, 24);
		assert_int_equal(c.server.per_ip_prefix6, 48);
		if (forms[i][1][0] == '\0')
			assert_int_equal(c.server.max_startups_full, 0);
		else {
			snprintf(want, sizeof(want), "%d:%d:%d",
			    c.server.max_startups_start,
			    c.server.max_startups_rate,
			    c.server.max_startups_full);
			assert_string_equal(want, forms[i][1]);
		}
		text = print_conf(&c);
		snprintf(want, sizeof(want), "max_startups = \"%s\";",
		    forms[i][1]);
		assert_non_null(strstr(text, want));
		load_text(text, &c2);
		again = print_conf(&c2);
		assert_string_equal(text, again);
		free(text);
		free(again);
		conf_free(&c2);
		conf_free(&c);
	}
}

/* Values that are not defaults, including fractions and escapes. */
static const char variety_conf[] =
    "config_version = 1;\n"
    "server : { listen = ( { address = \"127.0.0.1\"; port = 104; "
    "v6only = false; } ); max_associations_per_ip = 4; "
    "on_limit = \"defer\"; pidfile = \"/run/d.pid\"; };\n"
    "logging : { target = \"file\"; file = \"/var/log/d.log\"; "
    "facility = \"local3\"; level = \"trace\"; pdu_trace = true; };\n"
    "timeouts : { artim = 0.25; idle = 1.5; association = 3600; "
    "send = 0.001; };\n"
    "network : { max_pdu_receive = 4194304L; ts_preference = \"theirs\"; "
    "ae_title_match = \"nocase\"; uid_padding_fix = true; "
    "implementation_version = \"OEM 1\"; };\n"
    "syntax_sets : { jpeg = [ \"1.2.840.10008.1.2.4.*\" ]; };\n"
    "access : { allow = [ \"2001:db8::/32\", \"0.0.0.0/0\" ]; "
    "deny = [ \"10.9.0.0/16\" ]; on_denied = \"close\"; };\n"
    "ae = ( { title = \"A B\"; handler = \"/bin/true\"; "
    "args = [ \"q\\\"uote\", \"back\\\\slash\", \"tab\\there\", "
    "\"\\xc3\\xa9\" ]; env = [ \"LANG=C\" ]; workdir = \"/tmp\"; "
    "umask = \"2\"; calling_ip = [ \"192.168.0.0/23\" ]; "
    "contexts = ( { abstract = \"1.2.840.10008.5.1.4.1.1.*\"; "
    "transfer = \"jpeg\"; peer_roles = \"both\"; } ); "
    "negotiation = \"policy\"; timeouts : { handler = 2.5; pdu = 90; }; "
    "max_pdu_receive = 8192; } );\n";

/* conf_print() writes what conf_load() reads back to the same thing. */
static void
test_conf_print_round_trips(void **state)
{
	struct dul_conf	 c, c2;
	char		 path[PATH_MAX], err[CONF_ERR_MAX];
	char		*text, *again;
	const char	*p;
	int		 i;

	(void)state;
	for (i = 0; i < 2; i++) {
		if (i == 0) {
			join(path, sizeof(path), "%s/conf/example.conf",
			    srcdir());
			if (conf_load(path, &c, 0, err, sizeof(err)) != 0)
				fail_msg("%s", err);
		} else
			load_text(variety_conf, &c);
		text = print_conf(&c);
		p = write_file("printed.conf", text, 0644);
		if (conf_load(p, &c2, 0, err, sizeof(err)) != 0)
			fail_msg("%s\n%s", err, text);
		again = print_conf(&c2);
		assert_string_equal(text, again);
		assert_int_equal(c2.nae, c.nae);
		assert_int_equal(c2.timeouts.artim, c.timeouts.artim);
		assert_int_equal(c2.network.max_pdu_receive,
		    c.network.max_pdu_receive);
		free(text);
		free(again);
		conf_free(&c2);
		if (i == 1) {
			/* The values themselves survived, not just the text. */
			assert_int_equal(c.timeouts.artim, 250);
			assert_int_equal(c.timeouts.idle, 1500);
			assert_int_equal(c.timeouts.send, 1);
			assert_int_equal(c.timeouts.association, 3600000);
			assert_int_equal(c.ae[0].timeouts.handler, 2500);
			assert_int_equal(c.ae[0].timeouts.idle, 1500);
			assert_int_equal(c.ae[0].timeouts.pdu, 90000);
			assert_int_equal(c.timeouts.pdu, 60000);
			assert_int_equal(c.ae[0].umask, 02);
			assert_string_equal(c.ae[0].args[0], "q\"uote");
			assert_string_equal(c.ae[0].args[1], "back\\slash");
			assert_string_equal(c.ae[0].args[2], "tab\there");
			assert_string_equal(c.ae[0].args[3], "\xc3\xa9");
			assert_int_equal(c.ae[0].contexts[0].peer_roles,
			    CONF_ROLES_BOTH);
			assert_int_equal(c.logging.facility, LOG_LOCAL3);
			assert_int_equal(c.server.listen[0].v6only, 0);
			assert_int_equal(c.access.on_denied,
			    CONF_DENIED_CLOSE);
			assert_int_equal(c.network.max_pdu_receive, 4194304);
			assert_int_equal(c.ae[0].max_pdu_receive, 8192);
		}
		conf_free(&c);
	}
}

/*
 * Every file under conf/bad fails with exactly the message its first line
 * states: "# expect: LINE: TEXT" ("-" for no line), or "# expect -n: ..."
 * for a failure that only the checks of dulserverd -n find.
 */
static void
test_conf_bad_files_fail_with_file_and_line(void **state)
{
	char		*names[MAX_BAD_FILES], dir[PATH_MAX], path[PATH_MAX];
	char		 err[CONF_ERR_MAX], expect[CONF_ERR_MAX + PATH_MAX];
	char		 first[CONF_ERR_MAX], *rest = NULL, *nl;
	struct dul_conf	 c, sentinel;
	struct dirent	*de;
	size_t		 n = 0, i, len;
	DIR		*d;
	FILE		*fp;
	int		 flags = 0;

	(void)state;
	join(dir, sizeof(dir), "%s/conf/bad", srcdir());
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL && n < MAX_BAD_FILES) {
		len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".conf") == 0) {
			names[n] = strdup(de->d_name);
			assert_non_null(names[n]);
			n++;
		}
	}
	closedir(d);
	assert_true(n >= 25);
	assert_true(n < MAX_BAD_FILES);
	memset(&sentinel, 0xa5, sizeof(sentinel));
	for (i = 0; i < n; i++) {
		join(path, sizeof(path), "%s/%s", dir, names[i]);
		fp = fopen(path, "r");
		assert_non_null(fp);
		assert_non_null(fgets(first, sizeof(first), fp));
		fclose(fp);
		if ((nl = strchr(first, '\n')) != NULL)
			*nl = '\0';
		if (strncmp(first, "# expect -n: ", 13) == 0) {
			flags = CONF_CHECK_HANDLERS | CONF_CHECK_ACCOUNTS;
			rest = first + 13;
		} else if (strncmp(first, "# expect: ", 10) == 0) {
			flags = 0;
			rest = first + 10;
		} else
			fail_msg("%s: first line states no expected message",
			    names[i]);
		if (strncmp(rest, "-: ", 3) == 0)
			join(expect, sizeof(expect), "%s: %s", path,
			    rest + 3);
		else
			join(expect, sizeof(expect), "%s:%s", path, rest);
		memcpy(&c, &sentinel, sizeof(c));
		if (conf_load(path, &c, flags, err, sizeof(err)) != -1)
			fail_msg("%s: loaded without an error", names[i]);
		assert_string_equal(err, expect);
		/* A failed load leaves the caller's struct alone. */
		assert_memory_equal(&c, &sentinel, sizeof(c));
		free(names[i]);
	}
}

/* A file that cannot be read says why, and names the file. */
static void
test_conf_missing_file_names_it(void **state)
{
	struct dul_conf	 c;
	char		 path[PATH_MAX], err[CONF_ERR_MAX];
	char		 expect[PATH_MAX + 64];

	(void)state;
	join(path, sizeof(path), "%s/no-such.conf", tmpdir);
	assert_int_equal(conf_load(path, &c, 0, err, sizeof(err)), -1);
	join(expect, sizeof(expect), "%s: %s", path, strerror(ENOENT));
	assert_string_equal(err, expect);
}

/* A failed reload leaves the running configuration whole. */
static void
test_conf_failed_reload_keeps_old(void **state)
{
	struct dul_conf	 c;
	char		 err[CONF_ERR_MAX];
	const char	*bad;

	(void)state;
	load_text("config_version = 1;\nserver : { backlog = 77; };\n"
	    "ae = ( { title = \"X\"; handler = \"/bin/true\"; } );\n", &c);
	bad = write_file("reload.conf", "config_version = 1;\n"
	    "server : { backlog = 0; };\n", 0644);
	assert_int_equal(conf_load(bad, &c, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "server.backlog: 0 is out of range"));
	assert_int_equal(c.server.backlog, 77);
	assert_int_equal(c.nae, 1);
	assert_string_equal(c.ae[0].title, "X");
	conf_free(&c);
}

/*
 * @include is resolved next to the including file, whatever the working
 * directory, and an error inside the included file names that file.
 */
static void
test_conf_include_is_relative_to_the_file(void **state)
{
	struct dul_conf	 c;
	char		 err[CONF_ERR_MAX], expect[PATH_MAX + 128];
	const char	*main_path, *inc;

	(void)state;
	write_file("ae-part.conf", "ae = ( { title = \"INC\"; "
	    "handler = \"/bin/true\"; } );\n", 0644);
	main_path = write_file("main.conf", "config_version = 1;\n"
	    "@include \"ae-part.conf\"\n", 0644);
	if (conf_load(main_path, &c, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.nae, 1);
	assert_string_equal(c.ae[0].title, "INC");
	conf_free(&c);

	inc = write_file("ae-part.conf", "\nae = ( { title = \"INC\"; "
	    "handlr = \"/bin/true\"; } );\n", 0644);
	assert_int_equal(conf_load(main_path, &c, 0, err, sizeof(err)), -1);
	join(expect, sizeof(expect), "%s:2: ae[0].handlr: unknown key; "
	    "did you mean 'handler'?", inc);
	assert_string_equal(err, expect);

	/* An over-wide integer in an included file is found there too. */
	inc = write_file("ae-part.conf", "network : {\n"
	    "  max_pdu_send = 0x100001000; };\n", 0644);
	assert_int_equal(conf_load(main_path, &c, 0, err, sizeof(err)), -1);
	join(expect, sizeof(expect), "%s:2: integer 0x100001000 does not "
	    "fit in 32 bits (libconfig would wrap it)", inc);
	assert_string_equal(err, expect);
}

/*
 * The shipped etc/dulserverd.conf.in validates, with its placeholders
 * pointing at handlers that exist and are executable.
 */
static void
test_conf_shipped_example_validates(void **state)
{
	static const char *const vars[] = { "@pkglibexecdir@",
	    "@localstatedir@" };
	struct dul_conf	 c;
	char		 path[PATH_MAX], cwd[PATH_MAX], err[CONF_ERR_MAX];
	char		*in, *out = NULL;
	const char	*p, *conf, *at;
	size_t		 i, len = 0;
	FILE		*fp;

	(void)state;
	join(path, sizeof(path), "%s/../etc/dulserverd.conf.in",
	    srcdir());
	in = read_file(path);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	for (p = in; *p != '\0';) {
		if (*p != '@') {
			putc(*p++, fp);
			continue;
		}
		for (i = 0; i < nitems(vars); i++) {
			if (strncmp(p, vars[i], strlen(vars[i])) == 0)
				break;
		}
		if (i == nitems(vars)) {
			at = strchr(p + 1, '@');
			fail_msg("unknown placeholder %.*s",
			    at == NULL ? 16 : (int)(at - p + 1), p);
		}
		/* Real absolute paths: the scratch directory. */
		fprintf(fp, "%s/%s", cwd, tmpdir);
		p += strlen(vars[i]);
	}
	assert_int_equal(fclose(fp), 0);
	write_file("dul-echo-scp", "#!/bin/sh\nexit 0\n", 0755);
	write_file("dul-store-scp", "#!/bin/sh\nexit 0\n", 0755);
	conf = write_file("dulserverd.conf", out, 0644);
	if (conf_load(conf, &c, CONF_CHECK_HANDLERS, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.server.nlisten, 2);
	assert_int_equal(c.logging.target, CONF_LOG_STDERR);
	assert_int_equal(c.nae, 2);
	assert_string_equal(c.ae[0].title, "ECHOSCP");
	assert_string_equal(c.ae[1].title, "STORESCP");
	assert_non_null(strstr(c.ae[1].handler, "/dul-store-scp"));
	conf_free(&c);

	/* And the same file fails -n when a handler is not executable. */
	write_file("dul-store-scp", "#!/bin/sh\nexit 0\n", 0644);
	assert_int_equal(conf_load(conf, &c, CONF_CHECK_HANDLERS, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "ae[1].handler: "));
	assert_non_null(strstr(err, "is not executable"));
	free(in);
	free(out);
}

/* The example in dulserverd.conf(5) is a configuration that loads. */
static void
test_conf_manual_example_loads(void **state)
{
	struct dul_conf	 c;
	char		 path[PATH_MAX], err[CONF_ERR_MAX];
	char		*page, *start, *end;
	const char	*conf;

	(void)state;
	join(path, sizeof(path), "%s/../doc/dulserverd.conf.5", srcdir());
	page = read_file(path);
	start = strstr(page, "\n.Sh EXAMPLES\n");
	assert_non_null(start);
	start = strstr(start, "\n.Bd -literal");
	assert_non_null(start);
	start = strchr(start + 1, '\n');
	assert_non_null(start);
	end = strstr(start, "\n.Ed\n");
	assert_non_null(end);
	end[1] = '\0';
	conf = write_file("manual.conf", start + 1, 0644);
	if (conf_load(conf, &c, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.nae, 2);
	assert_string_equal(c.ae[1].title, "STORESCP");
	assert_int_equal(c.ae[1].timeouts.idle, 300000);
	assert_int_equal(c.access.nallow, 4);
	conf_free(&c);
	free(page);
}

static const char routing_conf[] =
    "config_version = 1;\n"
    "ae = (\n"
    "  { title = \"STORESCP\"; handler = \"/bin/true\";\n"
    "    calling_ae = [ \"CT_*\", \"MR1\" ];\n"
    "    calling_ip = [ \"192.168.0.0/23\", \"2001:db8::/32\" ]; },\n"
    "  { title = \"ECHOSCP\"; handler = \"/bin/true\"; enabled = false; },\n"
    "  { title = \"*\"; handler = \"/bin/true\"; enabled = %s; }\n"
    ");\n"
    "network : { ae_title_match = \"%s\"; };\n";

/* Load the routing configuration with a catch-all state and a match mode. */
static void
load_routing(struct dul_conf *c, const char *catch_all, const char *match)
{
	char	 text[sizeof(routing_conf) + 32];

	join(text, sizeof(text), routing_conf, catch_all, match);
	load_text(text, c);
}

/* Called AE titles route exactly, or without case, or to the catch-all. */
static void
test_conf_ae_find_routes_by_called_title(void **state)
{
	struct dul_conf	 c;

	(void)state;
	load_routing(&c, "false", "exact");
	assert_ptr_equal(conf_ae_find(&c, "STORESCP"), &c.ae[0]);
	assert_null(conf_ae_find(&c, "storescp"));
	assert_null(conf_ae_find(&c, "STORESCP2"));
	/* A disabled entry is as good as absent. */
	assert_null(conf_ae_find(&c, "ECHOSCP"));
	/* The log hint finds what nocase would have matched. */
	assert_ptr_equal(conf_ae_hint(&c, "storescp"), &c.ae[0]);
	assert_null(conf_ae_hint(&c, "nobody"));
	conf_free(&c);

	load_routing(&c, "false", "nocase");
	assert_ptr_equal(conf_ae_find(&c, "storescp"), &c.ae[0]);
	assert_ptr_equal(conf_ae_find(&c, "StoreScp"), &c.ae[0]);
	assert_null(conf_ae_find(&c, "echoscp"));
	assert_null(conf_ae_hint(&c, "storescp"));
	conf_free(&c);

	load_routing(&c, "true", "exact");
	assert_ptr_equal(conf_ae_find(&c, "STORESCP"), &c.ae[0]);
	assert_ptr_equal(conf_ae_find(&c, "storescp"), &c.ae[2]);
	assert_ptr_equal(conf_ae_find(&c, "ECHOSCP"), &c.ae[2]);
	assert_ptr_equal(conf_ae_find(&c, "ANYTHING"), &c.ae[2]);
	conf_free(&c);
}

/* Calling AE titles are matched against the entry's globs. */
static void
test_conf_calling_ae_globs(void **state)
{
	struct dul_conf	 c;

	(void)state;
	load_routing(&c, "true", "exact");
	assert_true(conf_calling_ae_ok(&c, &c.ae[0], "CT_1"));
	assert_true(conf_calling_ae_ok(&c, &c.ae[0], "CT_"));
	assert_true(conf_calling_ae_ok(&c, &c.ae[0], "MR1"));
	assert_false(conf_calling_ae_ok(&c, &c.ae[0], "MR2"));
	assert_false(conf_calling_ae_ok(&c, &c.ae[0], "ct_1"));
	assert_false(conf_calling_ae_ok(&c, &c.ae[0], "XCT_1"));
	/* An entry without globs admits any calling AE. */
	assert_true(conf_calling_ae_ok(&c, &c.ae[2], "WHOEVER"));
	conf_free(&c);

	load_routing(&c, "true", "nocase");
	assert_true(conf_calling_ae_ok(&c, &c.ae[0], "ct_1"));
	assert_true(conf_calling_ae_ok(&c, &c.ae[0], "mr1"));
	assert_false(conf_calling_ae_ok(&c, &c.ae[0], "mr2"));
	conf_free(&c);
}

/* CIDR blocks match IPv4, IPv6 and IPv4-mapped peers at any prefix. */
static void
test_conf_cidr_match_v4_v6(void **state)
{
	struct sockaddr_storage	 ss;
	struct conf_cidr	 b[3];
	const char		*why;

	(void)state;
	assert_int_equal(conf_cidr_parse("192.168.0.0/23", &b[0], &why), 0);
	assert_int_equal(conf_cidr_parse("2001:db8::/32", &b[1], &why), 0);
	assert_int_equal(conf_cidr_parse("198.51.100.7", &b[2], &why), 0);
	assert_int_equal(b[2].prefix, 32);
	assert_true(conf_cidr_match(b, 3, addr(&ss, "192.168.0.1")));
	assert_true(conf_cidr_match(b, 3, addr(&ss, "192.168.1.255")));
	assert_false(conf_cidr_match(b, 3, addr(&ss, "192.168.2.0")));
	assert_false(conf_cidr_match(b, 3, addr(&ss, "192.169.0.1")));
	assert_true(conf_cidr_match(b, 3, addr(&ss, "198.51.100.7")));
	assert_false(conf_cidr_match(b, 3, addr(&ss, "198.51.100.8")));
	assert_true(conf_cidr_match(b, 3, addr(&ss, "2001:db8:ffff::1")));
	assert_false(conf_cidr_match(b, 3, addr(&ss, "2001:db9::1")));
	assert_false(conf_cidr_match(b, 3, addr(&ss, "::1")));
	/* A dual-stack listener sees IPv4 peers as mapped addresses. */
	assert_true(conf_cidr_match(b, 3, addr(&ss, "::ffff:192.168.1.2")));
	assert_false(conf_cidr_match(b, 3, addr(&ss, "::ffff:10.0.0.1")));
	/* An IPv4 block never matches a plain IPv6 peer, nor the reverse. */
	assert_false(conf_cidr_match(b, 1, addr(&ss, "::c0a8:1")));
	assert_int_equal(conf_cidr_parse("0.0.0.0/0", &b[0], &why), 0);
	assert_true(conf_cidr_match(b, 1, addr(&ss, "203.0.113.9")));
	assert_false(conf_cidr_match(b, 1, addr(&ss, "2001:db8::1")));
	assert_int_equal(conf_cidr_parse("::/0", &b[0], &why), 0);
	assert_true(conf_cidr_match(b, 1, addr(&ss, "2001:db8::1")));
	assert_false(conf_cidr_match(b, 0, addr(&ss, "2001:db8::1")));

	assert_int_equal(conf_cidr_parse("10.0.0.0/33", &b[0], &why), -1);
	assert_string_equal(why, "prefix length must be 0..32");
	assert_int_equal(conf_cidr_parse("fe80::/129", &b[0], &why), -1);
	assert_string_equal(why, "prefix length must be 0..128");
	assert_int_equal(conf_cidr_parse("10.0.0.1/31", &b[0], &why), -1);
	assert_string_equal(why, "host bits are set");
	assert_int_equal(conf_cidr_parse("10.0.0.0/-1", &b[0], &why), -1);
	assert_int_equal(conf_cidr_parse("10.0.0.0/", &b[0], &why), -1);
	assert_int_equal(conf_cidr_parse("host.example", &b[0], &why), -1);
	assert_string_equal(why, "not an IPv4 or IPv6 address");
}

/* access.deny wins, access.allow admits, calling_ip narrows per entry. */
static void
test_conf_access_and_calling_ip(void **state)
{
	struct sockaddr_storage	 ss;
	struct dul_conf		 c;

	(void)state;
	load_text("config_version = 1;\n"
	    "access : { allow = [ \"10.0.0.0/8\", \"::1\" ];\n"
	    "  deny = [ \"10.9.0.0/16\" ]; };\n"
	    "ae = ( { title = \"A\"; handler = \"/bin/true\";\n"
	    "  calling_ip = [ \"10.1.0.0/16\" ]; },\n"
	    "  { title = \"B\"; handler = \"/bin/true\"; } );\n", &c);
	assert_true(conf_access_ok(&c, addr(&ss, "10.1.2.3")));
	assert_true(conf_access_ok(&c, addr(&ss, "::1")));
	assert_true(conf_access_ok(&c, addr(&ss, "::ffff:10.2.0.1")));
	assert_false(conf_access_ok(&c, addr(&ss, "10.9.1.1")));
	assert_false(conf_access_ok(&c, addr(&ss, "::ffff:10.9.1.1")));
	assert_false(conf_access_ok(&c, addr(&ss, "192.0.2.1")));
	assert_false(conf_access_ok(&c, addr(&ss, "::2")));
	assert_true(conf_calling_ip_ok(&c.ae[0], addr(&ss, "10.1.200.1")));
	assert_false(conf_calling_ip_ok(&c.ae[0], addr(&ss, "10.2.0.1")));
	assert_true(conf_calling_ip_ok(&c.ae[1], addr(&ss, "10.2.0.1")));
	conf_free(&c);

	/* No allow list: anyone not denied. */
	load_text("config_version = 1;\n"
	    "access : { deny = [ \"2001:db8::/32\" ]; };\n", &c);
	assert_true(conf_access_ok(&c, addr(&ss, "203.0.113.1")));
	assert_true(conf_access_ok(&c, addr(&ss, "2001:db9::1")));
	assert_false(conf_access_ok(&c, addr(&ss, "2001:db8::1")));
	conf_free(&c);
}

/* UID and UID-pattern syntax (PS3.5 9.1). */
static void
test_conf_uid_pattern_check(void **state)
{
	const char	*why;

	(void)state;
	assert_int_equal(conf_uid_pattern_check("1.2.840.10008.1.1", 0,
	    &why), 0);
	assert_int_equal(conf_uid_pattern_check("0.1.0", 0, &why), 0);
	assert_int_equal(conf_uid_pattern_check("1.2.*", 0, &why), -1);
	assert_int_equal(conf_uid_pattern_check("1.2.*", 1, &why), 0);
	assert_int_equal(conf_uid_pattern_check("*", 1, &why), 0);
	assert_int_equal(conf_uid_pattern_check("1.2.0*", 1, &why), 0);
	assert_int_equal(conf_uid_pattern_check("", 1, &why), -1);
	assert_int_equal(conf_uid_pattern_check(".1.2", 1, &why), -1);
	assert_string_equal(why, "empty component");
	assert_int_equal(conf_uid_pattern_check("1.2.", 1, &why), -1);
	assert_int_equal(conf_uid_pattern_check("1.02", 1, &why), -1);
	assert_string_equal(why, "component with a leading zero");
	assert_int_equal(conf_uid_pattern_check("1.2a", 1, &why), -1);
	assert_int_equal(conf_uid_pattern_check(
	    "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23."
	    "24.5",
	    0, &why), 0);
	assert_int_equal(conf_uid_pattern_check(
	    "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23."
	    "24.56",
	    0, &why), -1);
	assert_string_equal(why, "longer than 64 characters");
}

static const char negotiation_conf[] =
    "config_version = 1;\n"
    "network : { ts_preference = \"%s\"; };\n"
    "syntax_sets : { uncompressed = [ \"1.2.840.10008.1.2.1\",\n"
    "  \"1.2.840.10008.1.2\" ]; any = [ \"*\" ]; };\n"
    "abstract_sets : { verification = [ \"1.2.840.10008.1.1\" ];\n"
    "  storage = [ \"1.2.840.10008.5.1.4.1.1.*\" ]; };\n"
    "ae = ( { title = \"S\"; handler = \"/bin/true\"; contexts = (\n"
    "  { abstract = \"verification\"; transfer = \"uncompressed\"; },\n"
    "  { abstract = \"1.2.840.10008.5.1.4.1.1.2\";\n"
    "    transfer = \"1.2.840.10008.1.2.4.50\"; peer_roles = \"both\"; },\n"
    "  { abstract = \"storage\"; transfer = \"uncompressed\"; } ); } );\n";

/* Load the negotiation configuration with a transfer syntax preference. */
static void
load_negotiation(struct dul_conf *c, const char *pref)
{
	char	 text[sizeof(negotiation_conf) + 16];

	join(text, sizeof(text), negotiation_conf, pref);
	load_text(text, c);
}

/* Transfer syntax selection by preference, and results 3 and 4. */
static void
test_conf_pc_negotiate_ours_theirs(void **state)
{
	static const char *const peer[] = { "1.2.840.10008.1.2",
	    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.1" };
	static const char *const jpeg_only[] = { "1.2.840.10008.1.2.4.70" };
	struct conf_pc_result	 r;
	struct dul_conf		 c;

	(void)state;
	load_negotiation(&c, "ours");
	/* Ours: our list's first entry the peer proposed. */
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.840.10008.1.1",
	    peer, 3, &r), CONF_PC_ACCEPTANCE);
	assert_int_equal(r.result, CONF_PC_ACCEPTANCE);
	assert_int_equal(r.ts_index, 2);
	assert_int_equal(r.peer_roles, CONF_ROLES_SCU);
	/* CT: the first context naming it wins, with its roles. */
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0],
	    "1.2.840.10008.5.1.4.1.1.2", peer, 3, &r), CONF_PC_ACCEPTANCE);
	assert_int_equal(r.ts_index, 1);
	assert_int_equal(r.peer_roles, CONF_ROLES_BOTH);
	/* MR: only through the storage pattern. */
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0],
	    "1.2.840.10008.5.1.4.1.1.4", peer, 3, &r), CONF_PC_ACCEPTANCE);
	assert_int_equal(r.ts_index, 2);
	assert_int_equal(r.peer_roles, CONF_ROLES_SCU);
	/* Result 3: no context names the abstract syntax. */
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.3.4", peer, 3,
	    &r), CONF_PC_ABSTRACT_NOT_SUPPORTED);
	assert_int_equal(r.result, 3);
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.840.10008.1.1.1",
	    peer, 3, &r), CONF_PC_ABSTRACT_NOT_SUPPORTED);
	/* Result 4: known abstract syntax, no transfer syntax we allow. */
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.840.10008.1.1",
	    jpeg_only, 1, &r), CONF_PC_TS_NOT_SUPPORTED);
	assert_int_equal(r.result, 4);
	/* No transfer syntax proposed at all: 4, whatever the abstract. */
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.840.10008.1.1",
	    peer, 0, &r), CONF_PC_TS_NOT_SUPPORTED);
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.3.4", peer, 0,
	    &r), CONF_PC_TS_NOT_SUPPORTED);
	conf_free(&c);

	load_negotiation(&c, "theirs");
	/* Theirs: the peer's first proposal that we allow. */
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.840.10008.1.1",
	    peer, 3, &r), CONF_PC_ACCEPTANCE);
	assert_int_equal(r.ts_index, 0);
	/* CT: Implicit VR first, through the storage context. */
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0],
	    "1.2.840.10008.5.1.4.1.1.2", peer, 3, &r), CONF_PC_ACCEPTANCE);
	assert_int_equal(r.ts_index, 0);
	assert_int_equal(r.peer_roles, CONF_ROLES_SCU);
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0],
	    "1.2.840.10008.5.1.4.1.1.2", peer + 1, 1, &r),
	    CONF_PC_ACCEPTANCE);
	assert_int_equal(r.ts_index, 0);
	assert_int_equal(r.peer_roles, CONF_ROLES_BOTH);
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.3.4", peer, 3,
	    &r), CONF_PC_ABSTRACT_NOT_SUPPORTED);
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.840.10008.1.1",
	    jpeg_only, 1, &r), CONF_PC_TS_NOT_SUPPORTED);
	conf_free(&c);
}

/* A "*" transfer pattern takes the peer's first proposal even with "ours". */
static void
test_conf_pc_negotiate_wildcard_transfer(void **state)
{
	static const char *const peer[] = { "1.2.840.10008.1.2.4.90",
	    "1.2.840.10008.1.2" };
	struct conf_pc_result	 r;
	struct dul_conf		 c;

	(void)state;
	load_text("config_version = 1;\n"
	    "syntax_sets : { any = [ \"*\" ]; };\n"
	    "ae = ( { title = \"S\"; handler = \"/bin/true\"; contexts = (\n"
	    "  { abstract = \"*\"; transfer = \"any\"; } ); },\n"
	    "  { title = \"E\"; handler = \"/bin/true\"; } );\n", &c);
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[0], "1.2.3", peer, 2,
	    &r), CONF_PC_ACCEPTANCE);
	assert_int_equal(r.ts_index, 0);
	assert_int_equal(conf_pc_negotiate(&c, &c.ae[1], "1.2.3", peer, 2,
	    &r), CONF_PC_ABSTRACT_NOT_SUPPORTED);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_example_loads_every_value),
		cmocka_unit_test(test_conf_minimal_file_gets_defaults),
		cmocka_unit_test(test_conf_print_round_trips),
		cmocka_unit_test(test_conf_negotiation_policy_keys),
		cmocka_unit_test(test_conf_bad_files_fail_with_file_and_line),
		cmocka_unit_test(test_conf_missing_file_names_it),
		cmocka_unit_test(test_conf_failed_reload_keeps_old),
		cmocka_unit_test(test_conf_include_is_relative_to_the_file),
		cmocka_unit_test(test_conf_shipped_example_validates),
		cmocka_unit_test(test_conf_manual_example_loads),
		cmocka_unit_test(test_conf_ae_find_routes_by_called_title),
		cmocka_unit_test(test_conf_calling_ae_globs),
		cmocka_unit_test(test_conf_cidr_match_v4_v6),
		cmocka_unit_test(test_conf_access_and_calling_ip),
		cmocka_unit_test(test_conf_uid_pattern_check),
		cmocka_unit_test(test_conf_pc_negotiate_ours_theirs),
		cmocka_unit_test(test_conf_pc_negotiate_wildcard_transfer),
		cmocka_unit_test(test_conf_max_startups_forms),
	};

	return (cmocka_run_group_tests_name("conf", tests, setup_tmpdir,
	    teardown_tmpdir));
}
