/*
 * conf.c: read the configuration file with libconfig and turn it into one
 * validated struct dul_conf (schema version 1).  The tables below are the
 * schema; conf_walk.c walks every group against them, so that unknown keys,
 * keys of later versions, wrong types and values out of range are errors.
 * Every string is copied out before config_destroy(), so the struct stands
 * alone: the master can load a new one on SIGHUP and keep the old one if the
 * new one fails.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <libconfig.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "conf_int.h"

static int	 conf_defaults(struct conf_ctx *, struct dul_conf *);
static int	 conf_check_absolute(struct conf_ctx *,
		    const config_setting_t *, const char *);
static int	 conf_check_path_or_empty(struct conf_ctx *,
		    const config_setting_t *, const char *);
static int	 conf_check_user(struct conf_ctx *, const config_setting_t *,
		    const char *);
static int	 conf_check_group(struct conf_ctx *,
		    const config_setting_t *, const char *);
static int	 conf_check_address(struct conf_ctx *,
		    const config_setting_t *, const char *);
static int	 conf_check_uid(struct conf_ctx *, const config_setting_t *,
		    const char *);
static int	 conf_check_version_name(struct conf_ctx *,
		    const config_setting_t *, const char *);
static int	 conf_check_title(struct conf_ctx *,
		    const config_setting_t *, const char *);
static int	 conf_check_handler(struct conf_ctx *,
		    const config_setting_t *, const char *);
static int	 conf_parse_version(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_listen(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_max_startups(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_syntax_sets(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_abstract_sets(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_sets(struct conf_ctx *, const config_setting_t *,
		    struct conf_set **, size_t *);
static int	 conf_parse_allow(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_deny(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_ae_list(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_args(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_env(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_umask(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_calling_ae(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_calling_ip(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_contexts(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_identity_types(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_abstract(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_parse_transfer(struct conf_ctx *,
		    const config_setting_t *, void *);
static int	 conf_uidref(struct conf_ctx *, const config_setting_t *,
		    struct conf_uidref *, const struct conf_set *, size_t,
		    const char *);
static int	 conf_validate(struct conf_ctx *);
static void	 conf_free_sets(struct conf_set *, size_t);
static void	 conf_free_uidref(struct conf_uidref *);
static void	 conf_free_ae(struct conf_ae *);

/* The built-in implementation version name must be a valid one. */
_Static_assert(sizeof(CONF_IMPL_VERSION) - 1 <= CONF_IMPL_VERSION_MAX,
    "CONF_IMPL_VERSION is longer than 16 characters");

const struct conf_name conf_on_limit_names[] = {
	{ "reject", CONF_ON_LIMIT_REJECT },
	{ "defer", CONF_ON_LIMIT_DEFER },
	{ NULL, 0 }
};

const struct conf_name conf_target_names[] = {
	{ "syslog", CONF_LOG_SYSLOG },
	{ "stderr", CONF_LOG_STDERR },
	{ "file", CONF_LOG_FILE },
	{ NULL, 0 }
};

const struct conf_name conf_format_names[] = {
	{ "text", CONF_LOG_TEXT },
	{ "json", -1 },
	{ NULL, 0 }
};

const struct conf_name conf_level_names[] = {
	{ "error", CONF_LEVEL_ERROR },
	{ "warning", CONF_LEVEL_WARNING },
	{ "info", CONF_LEVEL_INFO },
	{ "debug", CONF_LEVEL_DEBUG },
	{ "trace", CONF_LEVEL_TRACE },
	{ NULL, 0 }
};

/* The facilities a daemon may log to (not "kern"). */
const struct conf_name conf_facility_names[] = {
	{ "auth", LOG_AUTH },
	{ "authpriv", LOG_AUTHPRIV },
	{ "cron", LOG_CRON },
	{ "daemon", LOG_DAEMON },
	{ "ftp", LOG_FTP },
	{ "lpr", LOG_LPR },
	{ "mail", LOG_MAIL },
	{ "news", LOG_NEWS },
	{ "syslog", LOG_SYSLOG },
	{ "user", LOG_USER },
	{ "uucp", LOG_UUCP },
	{ "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
	{ NULL, 0 }
};

const struct conf_name conf_ts_names[] = {
	{ "ours", CONF_TS_OURS },
	{ "theirs", CONF_TS_THEIRS },
	{ NULL, 0 }
};

const struct conf_name conf_match_names[] = {
	{ "exact", CONF_AE_MATCH_EXACT },
	{ "nocase", CONF_AE_MATCH_NOCASE },
	{ NULL, 0 }
};

const struct conf_name conf_denied_names[] = {
	{ "reject", CONF_DENIED_REJECT },
	{ "close", CONF_DENIED_CLOSE },
	{ NULL, 0 }
};

const struct conf_name conf_negotiation_names[] = {
	{ "handler", CONF_NEG_HANDLER },
	{ "policy", CONF_NEG_POLICY },
	{ NULL, 0 }
};

/* User identity types by name; the value is the PS3.7 type. */
const struct conf_name conf_identity_names[] = {
	{ "username", CONF_IDENTITY_USERNAME },
	{ "username_passcode", CONF_IDENTITY_USERNAME_PASSCODE },
	{ "kerberos", CONF_IDENTITY_KERBEROS },
	{ "saml", CONF_IDENTITY_SAML },
	{ "jwt", CONF_IDENTITY_JWT },
	{ NULL, 0 }
};

const struct conf_name conf_roles_names[] = {
	{ "scu", CONF_ROLES_SCU },
	{ "both", CONF_ROLES_BOTH },
	{ NULL, 0 }
};

static const struct conf_key conf_listen_keys[] = {
	K_STR("address", 1, struct conf_listen, address, conf_check_address),
	K_INT("port", struct conf_listen, port, 1, 65535),
	K_BOOL("v6only", struct conf_listen, v6only),
	K_LATER("tls"),
	K_LATER("proxy_protocol"),
	K_LATER("proxy_trusted"),
	K_END
};

static const struct conf_key conf_server_keys[] = {
	K_FN("listen", 0, conf_parse_listen),
	K_INT("backlog", struct conf_server, backlog, 1, 65535),
	K_INT("max_associations", struct conf_server, max_associations,
	    1, 65535),
	K_INT("max_associations_per_ip", struct conf_server,
	    max_associations_per_ip, 0, 65535),
	K_FN("max_startups", 0, conf_parse_max_startups),
	K_INT("max_startups_per_ip", struct conf_server, max_startups_per_ip,
	    0, 65535),
	K_INT("per_ip_prefix4", struct conf_server, per_ip_prefix4, 1, 32),
	K_INT("per_ip_prefix6", struct conf_server, per_ip_prefix6, 1, 128),
	K_ENUM("on_limit", struct conf_server, on_limit, conf_on_limit_names),
	K_INT("reject_slots", struct conf_server, reject_slots, 0, 1024),
	K_INT("spare_workers", struct conf_server, spare_workers, 0, 64),
	K_INT("max_connection_rate", struct conf_server, max_connection_rate,
	    0, 1000000),
	K_INT("connection_rate_burst", struct conf_server,
	    connection_rate_burst, 0, 1000000),
	K_STR("user", 0, struct conf_server, user, conf_check_user),
	K_STR("group", 0, struct conf_server, group, conf_check_group),
	K_STR("pidfile", 0, struct conf_server, pidfile,
	    conf_check_path_or_empty),
	K_INT("shutdown_grace", struct conf_server, shutdown_grace, 0, 86400),
	K_LATER("status_file"),
	K_END
};

static const struct conf_key conf_logging_keys[] = {
	K_ENUM("target", struct conf_logging, target, conf_target_names),
	K_STR("file", 0, struct conf_logging, file, conf_check_path_or_empty),
	K_ENUM("facility", struct conf_logging, facility,
	    conf_facility_names),
	K_ENUM("level", struct conf_logging, level, conf_level_names),
	K_ENUM("format", struct conf_logging, format, conf_format_names),
	K_BOOL("association_summary", struct conf_logging,
	    association_summary),
	K_BOOL("pdu_trace", struct conf_logging, pdu_trace),
	K_BOOL("log_idle_connects", struct conf_logging, log_idle_connects),
	K_END
};

static const struct conf_key conf_timeout_keys[] = {
	K_SEC("artim", struct conf_timeouts, artim, 1),
	K_SEC("idle", struct conf_timeouts, idle, 1),
	K_SEC("handler", struct conf_timeouts, handler, 1),
	K_SEC("handler_exit", struct conf_timeouts, handler_exit, 1),
	K_SEC("association", struct conf_timeouts, association, 0),
	K_SEC("send", struct conf_timeouts, send, 1),
	K_SEC("release", struct conf_timeouts, release, 1),
	K_SEC("pdu", struct conf_timeouts, pdu, 1),
	K_END
};

static const struct conf_key conf_network_keys[] = {
	K_U32("max_pdu_receive", struct conf_network, max_pdu_receive,
	    4096, 4194304),
	K_U32("max_pdu_send", struct conf_network, max_pdu_send,
	    4096, 4194304),
	K_U32("max_rq_pdu", struct conf_network, max_rq_pdu,
	    4096, 16777216),
	K_U32("max_handler_message", struct conf_network,
	    max_handler_message, 4096, 67108864),
	K_INT("max_presentation_contexts", struct conf_network,
	    max_presentation_contexts, 1, 128),
	K_STR("implementation_class_uid", 0, struct conf_network,
	    implementation_class_uid, conf_check_uid),
	K_STR("implementation_version", 0, struct conf_network,
	    implementation_version, conf_check_version_name),
	K_BOOL("strict_ae_titles", struct conf_network, strict_ae_titles),
	K_BOOL("strict_user_info", struct conf_network, strict_user_info),
	K_BOOL("uid_padding_fix", struct conf_network, uid_padding_fix),
	K_ENUM("ts_preference", struct conf_network, ts_preference,
	    conf_ts_names),
	K_ENUM("ae_title_match", struct conf_network, ae_title_match,
	    conf_match_names),
	K_END
};

static const struct conf_key conf_access_keys[] = {
	K_FN("allow", 0, conf_parse_allow),
	K_FN("deny", 0, conf_parse_deny),
	K_ENUM("on_denied", struct conf_access, on_denied, conf_denied_names),
	K_END
};

static const struct conf_key conf_context_keys[] = {
	K_FN("abstract", 1, conf_parse_abstract),
	K_FN("transfer", 1, conf_parse_transfer),
	K_ENUM("peer_roles", struct conf_context, peer_roles,
	    conf_roles_names),
	K_END
};

static const struct conf_key conf_ae_keys[] = {
	K_STR("title", 1, struct conf_ae, title, conf_check_title),
	K_BOOL("enabled", struct conf_ae, enabled),
	K_STR("handler", 1, struct conf_ae, handler, conf_check_handler),
	K_FN("args", 0, conf_parse_args),
	K_FN("env", 0, conf_parse_env),
	K_STR("workdir", 0, struct conf_ae, workdir, conf_check_absolute),
	K_FN("umask", 0, conf_parse_umask),
	K_FN("calling_ae", 0, conf_parse_calling_ae),
	K_FN("calling_ip", 0, conf_parse_calling_ip),
	K_FN("contexts", 0, conf_parse_contexts),
	K_ENUM("negotiation", struct conf_ae, negotiation,
	    conf_negotiation_names),
	K_INT("max_associations", struct conf_ae, max_associations, 0, 65535),
	K_INT("max_associations_per_calling_ae", struct conf_ae,
	    max_associations_per_calling_ae, 0, 65535),
	K_BOOL("strict_user_info", struct conf_ae, strict_user_info),
	K_BOOL("require_user_identity", struct conf_ae,
	    require_user_identity),
	K_FN("user_identity_types", 0, conf_parse_identity_types),
	K_GROUP("timeouts", struct conf_ae, timeouts, conf_timeout_keys),
	K_U32("max_pdu_receive", struct conf_ae, max_pdu_receive,
	    4096, 4194304),
	K_LATER("user"),
	K_LATER("include_dir"),
	K_END
};

/* The root, in the order it is applied: what a later key uses comes first. */
static const struct conf_key conf_root_keys[] = {
	K_FN("config_version", 1, conf_parse_version),
	K_GROUP("server", struct dul_conf, server, conf_server_keys),
	K_GROUP("logging", struct dul_conf, logging, conf_logging_keys),
	K_GROUP("timeouts", struct dul_conf, timeouts, conf_timeout_keys),
	K_GROUP("network", struct dul_conf, network, conf_network_keys),
	K_FN("syntax_sets", 0, conf_parse_syntax_sets),
	K_FN("abstract_sets", 0, conf_parse_abstract_sets),
	K_GROUP("access", struct dul_conf, access, conf_access_keys),
	K_FN("ae", 0, conf_parse_ae_list),
	K_LATER("tls"),
	K_LATER("include_dir"),
	K_LATER("status_file"),
	K_LATER("metrics"),
	K_END
};

/* Fill in every default, with each string on the heap like loaded ones. */
static int
conf_defaults(struct conf_ctx *ctx, struct dul_conf *c)
{
	c->server.backlog = 4096;
	c->server.max_associations = 64;
	c->server.max_associations_per_ip = 0;
	c->server.per_ip_prefix4 = 32;
	c->server.per_ip_prefix6 = 64;
	c->server.on_limit = CONF_ON_LIMIT_REJECT;
	c->server.reject_slots = 8;
	c->server.max_connection_rate = 0;
	c->server.connection_rate_burst = 0;
	c->server.shutdown_grace = 30;
	c->logging.target = CONF_LOG_SYSLOG;
	c->logging.facility = LOG_DAEMON;
	c->logging.level = CONF_LEVEL_INFO;
	c->logging.format = CONF_LOG_TEXT;
	c->logging.association_summary = 1;
	c->timeouts.artim = 30000;
	c->timeouts.idle = 60000;
	c->timeouts.handler = 30000;
	c->timeouts.handler_exit = 10000;
	c->timeouts.association = 0;
	c->timeouts.send = 60000;
	c->timeouts.release = 30000;
	c->timeouts.pdu = 60000;
	c->network.max_pdu_receive = 16384;
	c->network.max_pdu_send = 65536;
	c->network.max_rq_pdu = 1048576;
	c->network.max_handler_message = 1048576;
	c->network.max_presentation_contexts = 128;
	c->network.strict_ae_titles = 1;
	c->network.ts_preference = CONF_TS_OURS;
	c->network.ae_title_match = CONF_AE_MATCH_EXACT;
	c->access.on_denied = CONF_DENIED_REJECT;
	if (conf_strdup(ctx, "", &c->server.user) == -1 ||
	    conf_strdup(ctx, "", &c->server.group) == -1 ||
	    conf_strdup(ctx, "", &c->server.pidfile) == -1 ||
	    conf_strdup(ctx, "", &c->logging.file) == -1 ||
	    conf_strdup(ctx, CONF_IMPL_CLASS_UID,
	    &c->network.implementation_class_uid) == -1 ||
	    conf_strdup(ctx, CONF_IMPL_VERSION,
	    &c->network.implementation_version) == -1)
		return (-1);
	return (0);
}

/* A path the daemon opens after chdir("/") must be absolute. */
static int
conf_check_absolute(struct conf_ctx *ctx, const config_setting_t *m,
    const char *s)
{
	if (s[0] != '/')
		return (conf_err(ctx, m, "\"%s\" is not an absolute path",
		    s));
	return (0);
}

/* An optional path: empty, or absolute. */
static int
conf_check_path_or_empty(struct conf_ctx *ctx, const config_setting_t *m,
    const char *s)
{
	if (s[0] == '\0')
		return (0);
	return (conf_check_absolute(ctx, m, s));
}

/* With CONF_CHECK_ACCOUNTS, the user must exist. */
static int
conf_check_user(struct conf_ctx *ctx, const config_setting_t *m,
    const char *s)
{
	if (s[0] == '\0' || !(ctx->flags & CONF_CHECK_ACCOUNTS))
		return (0);
	if (getpwnam(s) == NULL)
		return (conf_err(ctx, m, "no such user \"%s\"", s));
	return (0);
}

/* With CONF_CHECK_ACCOUNTS, the group must exist. */
static int
conf_check_group(struct conf_ctx *ctx, const config_setting_t *m,
    const char *s)
{
	if (s[0] == '\0' || !(ctx->flags & CONF_CHECK_ACCOUNTS))
		return (0);
	if (getgrnam(s) == NULL)
		return (conf_err(ctx, m, "no such group \"%s\"", s));
	return (0);
}

/* A listen address is numeric: no name lookups while loading. */
static int
conf_check_address(struct conf_ctx *ctx, const config_setting_t *m,
    const char *s)
{
	struct in6_addr	 a;

	if (inet_pton(AF_INET, s, &a) != 1 && inet_pton(AF_INET6, s, &a) != 1)
		return (conf_err(ctx, m, "\"%s\" is not a numeric IPv4 or "
		    "IPv6 address", s));
	return (0);
}

/* A UID, such as the implementation class UID (PS3.5 9.1). */
static int
conf_check_uid(struct conf_ctx *ctx, const config_setting_t *m,
    const char *s)
{
	const char	*why;

	if (conf_uid_pattern_check(s, 0, &why) == -1)
		return (conf_err(ctx, m, "bad UID \"%s\": %s", s, why));
	return (0);
}

/* An implementation version name: 1 to 16 characters, SH rules. */
static int
conf_check_version_name(struct conf_ctx *ctx, const config_setting_t *m,
    const char *s)
{
	size_t	 i, len = strlen(s);

	if (len < 1 || len > CONF_IMPL_VERSION_MAX)
		return (conf_err(ctx, m, "\"%s\" must be 1 to 16 characters",
		    s));
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return (conf_err(ctx, m, "\"%s\" may hold only "
			    "printable ASCII without backslash", s));
	}
	return (0);
}

/*
 * An AE title (PS3.5 AE): 1 to 16 characters of the default repertoire, no
 * backslash, not all spaces; leading and trailing spaces are not significant
 * on the wire, so a title written with them could never match.  "*" is the
 * catch-all.
 */
static int
conf_check_title(struct conf_ctx *ctx, const config_setting_t *m,
    const char *s)
{
	size_t	 i, len = strlen(s);

	if (len < 1 || len > CONF_AE_TITLE_MAX)
		return (conf_err(ctx, m, "AE title \"%s\" must be 1 to 16 "
		    "characters", s));
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return (conf_err(ctx, m, "AE title \"%s\" may hold "
			    "only printable ASCII without backslash", s));
	}
	if (strspn(s, " ") == len)
		return (conf_err(ctx, m, "AE title is all spaces"));
	if (s[0] == ' ' || s[len - 1] == ' ')
		return (conf_err(ctx, m, "AE title \"%s\" has leading or "
		    "trailing spaces, which never match", s));
	return (0);
}

/*
 * A handler is an absolute path; with CONF_CHECK_HANDLERS (dulserverd -n)
 * it must also be an executable regular file.
 */
static int
conf_check_handler(struct conf_ctx *ctx, const config_setting_t *m,
    const char *s)
{
	struct stat	 st;

	if (conf_check_absolute(ctx, m, s) == -1)
		return (-1);
	if (!(ctx->flags & CONF_CHECK_HANDLERS))
		return (0);
	if (stat(s, &st) == -1)
		return (conf_err(ctx, m, "\"%s\": %s", s, strerror(errno)));
	if (!S_ISREG(st.st_mode))
		return (conf_err(ctx, m, "\"%s\" is not a regular file", s));
	if (access(s, X_OK) == -1)
		return (conf_err(ctx, m, "\"%s\" is not executable: %s", s,
		    strerror(errno)));
	return (0);
}

/* config_version must be the one this code reads. */
static int
conf_parse_version(struct conf_ctx *ctx, const config_setting_t *m, void *t)
{
	struct dul_conf	*c = t;
	long long	 v = 0;

	if (conf_get_int(ctx, m, &v) == -1)
		return (-1);
	if (v != CONF_VERSION)
		return (conf_err(ctx, m, "version %lld is not supported "
		    "(this dulserverd reads version %d)", v, CONF_VERSION));
	c->version = (int)v;
	return (0);
}

/*
 * server.max_startups: "" (off), "start:rate:full" as in sshd's
 * MaxStartups, or "full" alone for "full:100:full".  start and full
 * count workers that have not sent their A-ASSOCIATE-AC, rate is a
 * percentage.
 */
static int
conf_parse_max_startups(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct conf_server	*sv = t;
	const char		*s = NULL, *p;
	char			 num[6];
	long			 v[3];
	size_t			 len;
	int			 n = 0;

	if (conf_get_string(ctx, m, &s) == -1)
		return (-1);
	sv->max_startups_start = sv->max_startups_rate = 0;
	sv->max_startups_full = 0;
	if (*s == '\0')
		return (0);
	for (p = s;; p++) {
		len = strcspn(p, ":");
		if (n == 3 || len == 0 || len >= sizeof(num) ||
		    strspn(p, "0123456789") < len)
			goto bad;
		memcpy(num, p, len);
		num[len] = '\0';
		v[n++] = strtol(num, NULL, 10);
		p += len;
		if (*p == '\0')
			break;
	}
	if (n == 2)
		goto bad;
	if (n == 1) {
		v[2] = v[0];
		v[1] = 100;
	}
	if (v[0] < 1 || v[2] > 65535 || v[0] > v[2] || v[1] > 100)
		goto bad;
	sv->max_startups_start = (int)v[0];
	sv->max_startups_rate = (int)v[1];
	sv->max_startups_full = (int)v[2];
	return (0);
bad:
	return (conf_err(ctx, m, "\"%s\" is not \"start:rate:full\" (1 <= "
	    "start <= full <= 65535, rate 0 to 100) nor \"full\"", s));
}

/* server.listen: a list of { address, port, v6only }, no duplicates. */
static int
conf_parse_listen(struct conf_ctx *ctx, const config_setting_t *m, void *t)
{
	struct conf_server	*sv = t;
	struct conf_listen	*l;
	uint8_t			 a[16], b[16];
	int			 i, j, n;

	if (conf_list_of_groups(ctx, m) == -1)
		return (-1);
	n = config_setting_length(m);
	if (n == 0)
		return (0);
	if ((sv->listen = calloc(n, sizeof(*sv->listen))) == NULL)
		return (conf_nomem(ctx));
	sv->nlisten = n;
	for (i = 0; i < n; i++) {
		l = &sv->listen[i];
		l->port = 11112;
		l->v6only = 1;
		if (conf_walk(ctx, config_setting_get_elem(m, i),
		    conf_listen_keys, l) == -1)
			return (-1);
		memset(a, 0, sizeof(a));
		if (inet_pton(AF_INET, l->address, a) != 1)
			(void)inet_pton(AF_INET6, l->address, a);
		for (j = 0; j < i; j++) {
			memset(b, 0, sizeof(b));
			if (inet_pton(AF_INET, sv->listen[j].address, b) != 1)
				(void)inet_pton(AF_INET6,
				    sv->listen[j].address, b);
			if (sv->listen[j].port == l->port &&
			    memcmp(a, b, sizeof(a)) == 0 &&
			    (strchr(l->address, ':') == NULL) ==
			    (strchr(sv->listen[j].address, ':') == NULL))
				return (conf_err(ctx,
				    config_setting_get_elem(m, i),
				    "\"%s\" port %d repeats server.listen[%d]",
				    l->address, l->port, j));
		}
	}
	return (0);
}

/* syntax_sets: named lists of transfer syntax UID patterns. */
static int
conf_parse_syntax_sets(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct dul_conf	*c = t;

	return (conf_parse_sets(ctx, m, &c->syntax_sets, &c->nsyntax_sets));
}

/* abstract_sets: named lists of abstract syntax UID patterns. */
static int
conf_parse_abstract_sets(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct dul_conf	*c = t;

	return (conf_parse_sets(ctx, m, &c->abstract_sets,
	    &c->nabstract_sets));
}

/*
 * A group of named sets, each a non-empty array of UID patterns.  A set
 * name must not read as a UID pattern itself, so names hold no '*'.
 */
static int
conf_parse_sets(struct conf_ctx *ctx, const config_setting_t *m,
    struct conf_set **out, size_t *nout)
{
	const config_setting_t	*e;
	struct conf_set		*set;
	const char		*why;
	size_t			 j;
	int			 i, n;

	if (!config_setting_is_group(m))
		return (conf_err(ctx, m, "expected a group of named sets, "
		    "got %s", conf_type_name(m)));
	if ((n = config_setting_length(m)) == 0)
		return (0);
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return (conf_nomem(ctx));
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(m, i);
		set = &(*out)[i];
		if (strchr(config_setting_name(e), '*') != NULL)
			return (conf_err(ctx, e, "a set name may not "
			    "contain '*'"));
		if (conf_strdup(ctx, config_setting_name(e), &set->name) == -1)
			return (-1);
		if (conf_strings(ctx, e, &set->uids, &set->nuids) == -1)
			return (-1);
		if (set->nuids == 0)
			return (conf_err(ctx, e, "a set needs at least one "
			    "UID pattern"));
		for (j = 0; j < set->nuids; j++) {
			if (conf_uid_pattern_check(set->uids[j], 1,
			    &why) == -1)
				return (conf_err(ctx,
				    config_setting_get_elem(e, j),
				    "bad UID pattern \"%s\": %s",
				    set->uids[j], why));
		}
	}
	return (0);
}

/* access.allow: CIDR blocks; empty admits anyone. */
static int
conf_parse_allow(struct conf_ctx *ctx, const config_setting_t *m, void *t)
{
	struct conf_access	*a = t;

	return (conf_cidrs(ctx, m, &a->allow, &a->nallow));
}

/* access.deny: CIDR blocks, refused whatever allow says. */
static int
conf_parse_deny(struct conf_ctx *ctx, const config_setting_t *m, void *t)
{
	struct conf_access	*a = t;

	return (conf_cidrs(ctx, m, &a->deny, &a->ndeny));
}

/* ae[].args: the handler's arguments after its name. */
static int
conf_parse_args(struct conf_ctx *ctx, const config_setting_t *m, void *t)
{
	struct conf_ae	*ae = t;

	return (conf_strings(ctx, m, &ae->args, &ae->nargs));
}

/*
 * ae[].env: NAME=value entries added to the handler's environment.  The
 * names the worker sets itself (DUL_*, TCP*, PROTO) are reserved.
 */
static int
conf_parse_env(struct conf_ctx *ctx, const config_setting_t *m, void *t)
{
	struct conf_ae	*ae = t;
	const char	*s, *eq;
	size_t		 i, j, len;

	if (conf_strings(ctx, m, &ae->env, &ae->nenv) == -1)
		return (-1);
	for (i = 0; i < ae->nenv; i++) {
		s = ae->env[i];
		eq = strchr(s, '=');
		len = eq == NULL ? 0 : (size_t)(eq - s);
		if (len == 0 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_") != len ||
		    isdigit((unsigned char)s[0]))
			return (conf_err(ctx, config_setting_get_elem(m, i),
			    "\"%s\" is not NAME=value", s));
		if (strncmp(s, "DUL_", 4) == 0 || strncmp(s, "TCP", 3) == 0 ||
		    strncmp(s, "PROTO=", 6) == 0)
			return (conf_err(ctx, config_setting_get_elem(m, i),
			    "\"%s\": the names DUL_*, TCP* and PROTO are "
			    "reserved", s));
		for (j = 0; j < i; j++) {
			if (strncmp(ae->env[j], s, len + 1) == 0)
				return (conf_err(ctx,
				    config_setting_get_elem(m, i),
				    "\"%.*s\" is set twice", (int)len, s));
		}
	}
	return (0);
}

/*
 * ae[].umask: an octal string, since libconfig 1.5 reads 027 as decimal
 * twenty-seven.
 */
static int
conf_parse_umask(struct conf_ctx *ctx, const config_setting_t *m, void *t)
{
	struct conf_ae	*ae = t;
	const char	*s = NULL;
	size_t		 len;

	if (config_setting_type(m) == CONFIG_TYPE_INT ||
	    config_setting_type(m) == CONFIG_TYPE_INT64)
		return (conf_err(ctx, m, "expected a string such as \"027\" "
		    "(libconfig has no octal integers)"));
	if (conf_get_string(ctx, m, &s) == -1)
		return (-1);
	len = strlen(s);
	if (len < 1 || len > 4 || strspn(s, "01234567") != len ||
	    strtoul(s, NULL, 8) > 0777)
		return (conf_err(ctx, m, "\"%s\" is not an octal mode from "
		    "000 to 777", s));
	ae->umask = (mode_t)strtoul(s, NULL, 8);
	return (0);
}

/* ae[].calling_ae: fnmatch globs over calling AE titles. */
static int
conf_parse_calling_ae(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct conf_ae	*ae = t;
	const char	*s = NULL;
	size_t		 i, j, len;

	if (conf_strings(ctx, m, &ae->calling_ae, &ae->ncalling_ae) == -1)
		return (-1);
	for (i = 0; i < ae->ncalling_ae; i++) {
		s = ae->calling_ae[i];
		len = strlen(s);
		for (j = 0; j < len; j++) {
			if (s[j] < 0x20 || s[j] > 0x7e || s[j] == '\\')
				break;
		}
		if (len == 0 || len > 64 || j < len)
			return (conf_err(ctx, config_setting_get_elem(m, i),
			    "\"%s\" is not an AE title pattern (1 to 64 "
			    "printable characters, no backslash)", s));
	}
	return (0);
}

/* ae[].calling_ip: CIDR blocks the calling peer must come from. */
static int
conf_parse_calling_ip(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct conf_ae	*ae = t;

	return (conf_cidrs(ctx, m, &ae->calling_ip, &ae->ncalling_ip));
}

/* ae[].contexts: a list of { abstract, transfer, peer_roles }. */
static int
conf_parse_contexts(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct conf_ae	*ae = t;
	int		 i, n;

	if (conf_list_of_groups(ctx, m) == -1)
		return (-1);
	if ((n = config_setting_length(m)) == 0)
		return (0);
	if ((ae->contexts = calloc(n, sizeof(*ae->contexts))) == NULL)
		return (conf_nomem(ctx));
	ae->ncontexts = n;
	for (i = 0; i < n; i++) {
		ae->contexts[i].peer_roles = CONF_ROLES_SCU;
		if (conf_walk(ctx, config_setting_get_elem(m, i),
		    conf_context_keys, &ae->contexts[i]) == -1)
			return (-1);
	}
	return (0);
}

/*
 * ae[].user_identity_types: the user identity types (PS3.7 D.3.3.7) an
 * entry that requires one accepts, by name, at least one, each once.
 */
static int
conf_parse_identity_types(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct conf_ae	*ae = t;
	const char	*s = NULL, *near, *cand[nitems(conf_identity_names)];
	size_t		 j;
	int		 i, n;

	if (!config_setting_is_array(m))
		return (conf_err(ctx, m, "expected an array of strings, got %s",
		    conf_type_name(m)));
	if ((n = config_setting_length(m)) == 0)
		return (conf_err(ctx, m, "needs at least one type"));
	ae->user_identity_types = 0;
	for (i = 0; i < n; i++) {
		if (conf_get_string(ctx, config_setting_get_elem(m, i),
		    &s) == -1)
			return (-1);
		for (j = 0; conf_identity_names[j].name != NULL; j++)
			if (strcmp(conf_identity_names[j].name, s) == 0)
				break;
		if (conf_identity_names[j].name == NULL) {
			for (j = 0; conf_identity_names[j].name != NULL; j++)
				cand[j] = conf_identity_names[j].name;
			near = conf_nearest(s, cand, j);
			return (conf_err(ctx, config_setting_get_elem(m, i),
			    "unknown user identity type \"%s\"%s%s%s", s,
			    near != NULL ? "; did you mean \"" : " (username, "
			    "username_passcode, kerberos, saml, jwt)",
			    near != NULL ? near : "", near != NULL ? "\"?" :
			    ""));
		}
		if (ae->user_identity_types &
		    (1U << conf_identity_names[j].value))
			return (conf_err(ctx, config_setting_get_elem(m, i),
			    "\"%s\" is listed twice", s));
		ae->user_identity_types |= 1U << conf_identity_names[j].value;
	}
	return (0);
}

/* contexts[].abstract: an abstract syntax UID pattern or abstract set. */
static int
conf_parse_abstract(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct conf_context	*cx = t;

	return (conf_uidref(ctx, m, &cx->abstract, ctx->conf->abstract_sets,
	    ctx->conf->nabstract_sets, "abstract_sets"));
}

/* contexts[].transfer: a transfer syntax UID pattern or syntax set. */
static int
conf_parse_transfer(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct conf_context	*cx = t;

	return (conf_uidref(ctx, m, &cx->transfer, ctx->conf->syntax_sets,
	    ctx->conf->nsyntax_sets, "syntax_sets"));
}

/*
 * Resolve a context's value: made only of digits, dots and '*' it is one
 * UID pattern, else the name of a set, which must exist.
 */
static int
conf_uidref(struct conf_ctx *ctx, const config_setting_t *m,
    struct conf_uidref *r, const struct conf_set *sets, size_t nsets,
    const char *group)
{
	const char	*s = NULL, *why, *near, *cand[64];
	size_t		 i;

	if (conf_get_string(ctx, m, &s) == -1)
		return (-1);
	if (conf_strdup(ctx, s, &r->ref) == -1)
		return (-1);
	if (s[0] != '\0' && strspn(s, "0123456789.*") == strlen(s)) {
		if (conf_uid_pattern_check(s, 1, &why) == -1)
			return (conf_err(ctx, m, "bad UID pattern \"%s\": %s",
			    s, why));
		if ((r->uids = calloc(1, sizeof(*r->uids))) == NULL)
			return (conf_nomem(ctx));
		r->nuids = 1;
		return (conf_strdup(ctx, s, &r->uids[0]));
	}
	for (i = 0; i < nsets; i++) {
		if (strcmp(sets[i].name, s) != 0)
			continue;
		if ((r->uids = calloc(sets[i].nuids, sizeof(*r->uids))) ==
		    NULL)
			return (conf_nomem(ctx));
		for (r->nuids = 0; r->nuids < sets[i].nuids; r->nuids++) {
			if (conf_strdup(ctx, sets[i].uids[r->nuids],
			    &r->uids[r->nuids]) == -1)
				return (-1);
		}
		return (0);
	}
	for (i = 0; i < nsets && i < nitems(cand); i++)
		cand[i] = sets[i].name;
	if ((near = conf_nearest(s, cand, i)) != NULL)
		return (conf_err(ctx, m, "no %s entry named \"%s\"; did you "
		    "mean \"%s\"?", group, s, near));
	return (conf_err(ctx, m, "no %s entry named \"%s\" (and it is not a "
	    "UID pattern)", group, s));
}

/*
 * ae: a list of AE entries.  Each starts from the global timeouts and PDU
 * size, which the root walk has already read.  Titles are unique under the
 * configured comparison.
 */
static int
conf_parse_ae_list(struct conf_ctx *ctx, const config_setting_t *m,
    void *t)
{
	struct dul_conf		*c = t;
	struct conf_ae		*ae;
	const config_setting_t	*e, *title;
	int			 i, j, n, same;

	if (conf_list_of_groups(ctx, m) == -1)
		return (-1);
	if ((n = config_setting_length(m)) == 0)
		return (0);
	if ((c->ae = calloc(n, sizeof(*c->ae))) == NULL)
		return (conf_nomem(ctx));
	c->nae = n;
	for (i = 0; i < n; i++) {
		ae = &c->ae[i];
		e = config_setting_get_elem(m, i);
		ae->enabled = 1;
		ae->umask = 027;
		ae->negotiation = CONF_NEG_HANDLER;
		ae->timeouts = c->timeouts;
		ae->max_pdu_receive = c->network.max_pdu_receive;
		ae->strict_user_info = c->network.strict_user_info;
		ae->user_identity_types = CONF_IDENTITY_ALL;
		if (conf_strdup(ctx, "/", &ae->workdir) == -1)
			return (-1);
		if (conf_walk(ctx, e, conf_ae_keys, ae) == -1)
			return (-1);
		title = config_setting_get_member(e, "title");
		for (j = 0; j < i; j++) {
			same = c->network.ae_title_match ==
			    CONF_AE_MATCH_NOCASE ?
			    strcasecmp(c->ae[j].title, ae->title) == 0 :
			    strcmp(c->ae[j].title, ae->title) == 0;
			if (same)
				return (conf_err(ctx, title, "duplicate AE "
				    "title \"%s\" (first at line %u)",
				    ae->title, config_setting_source_line(
				    config_setting_get_member(
				    config_setting_get_elem(m, j), "title"))));
		}
		if (ae->negotiation == CONF_NEG_POLICY && ae->ncontexts == 0)
			return (conf_err(ctx, e, "negotiation = \"policy\" "
			    "needs contexts"));
	}
	return (0);
}

/* Checks that span groups, once everything is read. */
static int
conf_validate(struct conf_ctx *ctx)
{
	struct dul_conf		*c = ctx->conf;
	const config_setting_t	*root = config_root_setting(&ctx->cf);
	const config_setting_t	*lg;

	lg = config_lookup(&ctx->cf, "logging");
	if (c->logging.target == CONF_LOG_FILE && c->logging.file[0] == '\0')
		return (conf_err(ctx, lg == NULL ? root : lg,
		    "target = \"file\" needs file = \"/path\""));
	/* Without server.listen, listen on every address, both families. */
	if (config_lookup(&ctx->cf, "server.listen") == NULL) {
		if ((c->server.listen = calloc(2,
		    sizeof(*c->server.listen))) == NULL)
			return (conf_nomem(ctx));
		c->server.nlisten = 2;
		c->server.listen[0].port = c->server.listen[1].port = 11112;
		c->server.listen[0].v6only = c->server.listen[1].v6only = 1;
		if (conf_strdup(ctx, "0.0.0.0",
		    &c->server.listen[0].address) == -1 ||
		    conf_strdup(ctx, "::", &c->server.listen[1].address) == -1)
			return (-1);
	}
	return (0);
}

/*
 * Load the configuration file at path into *conf: defaults, libconfig's
 * parse, the schema walk, and the checks across groups.  flags may ask for
 * the checks of "dulserverd -n" (CONF_CHECK_HANDLERS, CONF_CHECK_ACCOUNTS).
 * On success return 0 and fill *conf, which the caller releases with
 * conf_free().  On failure return -1, leave *conf untouched (a running
 * configuration stays valid) and write one "file:line: message" line into
 * err.
 */
int
conf_load(const char *path, struct dul_conf *conf, int flags, char *err,
    size_t errlen)
{
	struct conf_ctx	 ctx;
	struct dul_conf	 c;
	const char	*slash, *f;
	FILE		*fp;
	unsigned int	 i;
	char		 file[PATH_MAX];
	int		 rv = -1;

	memset(&ctx, 0, sizeof(ctx));
	memset(&c, 0, sizeof(c));
	ctx.path = path;
	ctx.flags = flags;
	ctx.err = err;
	ctx.errlen = errlen;
	ctx.conf = &c;
	if (errlen > 0)
		err[0] = '\0';
	config_init(&ctx.cf);
	if (conf_defaults(&ctx, &c) == -1)
		goto out;

	/* libconfig says only "file I/O error"; find the reason first. */
	if ((fp = fopen(path, "r")) == NULL) {
		conf_err_at(&ctx, path, 0, "%s", strerror(errno));
		goto out;
	}
	fclose(fp);

	/* @include is relative to the file, not to the working directory. */
	if ((slash = strrchr(path, '/')) != NULL) {
		if ((ctx.incdir = strndup(path, slash == path ? 1 :
		    (size_t)(slash - path))) == NULL) {
			conf_nomem(&ctx);
			goto out;
		}
		config_set_include_dir(&ctx.cf, ctx.incdir);
	}
	if (config_read_file(&ctx.cf, path) != CONFIG_TRUE) {
		f = config_error_file(&ctx.cf);
		if (f == NULL || strcmp(f, path) == 0 || ctx.incdir == NULL)
			strlcpy(file, f == NULL ? path : f, sizeof(file));
		else
			snprintf(file, sizeof(file), "%s/%s", ctx.incdir, f);
		conf_err_at(&ctx, file, config_error_line(&ctx.cf), "%s",
		    config_error_text(&ctx.cf));
		goto out;
	}
	if (conf_scan_ints(&ctx, path) == -1)
		goto out;
	for (i = 1; i < ctx.cf.num_filenames; i++) {
		f = ctx.cf.filenames[i];
		if (ctx.incdir == NULL)
			strlcpy(file, f, sizeof(file));
		else
			snprintf(file, sizeof(file), "%s/%s", ctx.incdir, f);
		if (conf_scan_ints(&ctx, file) == -1)
			goto out;
	}
	if (conf_walk(&ctx, config_root_setting(&ctx.cf), conf_root_keys,
	    &c) == -1)
		goto out;
	if (conf_validate(&ctx) == -1)
		goto out;
	*conf = c;
	memset(&c, 0, sizeof(c));
	rv = 0;
out:
	conf_free(&c);
	config_destroy(&ctx.cf);
	free(ctx.incdir);
	return (rv);
}

/* Free an array of named sets. */
static void
conf_free_sets(struct conf_set *sets, size_t n)
{
	size_t	 i;

	if (sets == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(sets[i].name);
		conf_free_strings(sets[i].uids, sets[i].nuids);
	}
	free(sets);
}

/* Free a context's resolved value. */
static void
conf_free_uidref(struct conf_uidref *r)
{
	free(r->ref);
	conf_free_strings(r->uids, r->nuids);
}

/* Free what one AE entry owns. */
static void
conf_free_ae(struct conf_ae *ae)
{
	size_t	 i;

	free(ae->title);
	free(ae->handler);
	conf_free_strings(ae->args, ae->nargs);
	conf_free_strings(ae->env, ae->nenv);
	free(ae->workdir);
	conf_free_strings(ae->calling_ae, ae->ncalling_ae);
	free(ae->calling_ip);
	for (i = 0; i < ae->ncontexts; i++) {
		conf_free_uidref(&ae->contexts[i].abstract);
		conf_free_uidref(&ae->contexts[i].transfer);
	}
	free(ae->contexts);
}

/* Release everything a loaded configuration owns and zero it. */
void
conf_free(struct dul_conf *conf)
{
	size_t	 i;

	for (i = 0; i < conf->server.nlisten; i++)
		free(conf->server.listen[i].address);
	free(conf->server.listen);
	free(conf->server.user);
	free(conf->server.group);
	free(conf->server.pidfile);
	free(conf->logging.file);
	free(conf->network.implementation_class_uid);
	free(conf->network.implementation_version);
	conf_free_sets(conf->syntax_sets, conf->nsyntax_sets);
	conf_free_sets(conf->abstract_sets, conf->nabstract_sets);
	free(conf->access.allow);
	free(conf->access.deny);
	for (i = 0; i < conf->nae; i++)
		conf_free_ae(&conf->ae[i]);
	free(conf->ae);
	memset(conf, 0, sizeof(*conf));
}
