/*
 * conf_print.c: print the effective configuration (dulserverd -N) with every
 * default filled in, in libconfig syntax that conf_load() reads back to the
 * same configuration.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"

static void	 conf_print_string(FILE *, const char *);
static void	 conf_print_strings(FILE *, const char *, const char *,
		    char *const *, size_t);
static void	 conf_print_seconds(FILE *, const char *, const char *,
		    uint32_t);
static void	 conf_print_timeouts(FILE *, const char *,
		    const struct conf_timeouts *);
static void	 conf_print_cidrs(FILE *, const char *, const char *,
		    const struct conf_cidr *, size_t);
static void	 conf_print_sets(FILE *, const char *, const struct conf_set *,
		    size_t);
static void	 conf_print_ae(FILE *, const struct conf_ae *);

/* Print a string as a libconfig string literal. */
static void
conf_print_string(FILE *fp, const char *s)
{
	const unsigned char	*p;

	putc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p < 0x20 || *p > 0x7e)
			fprintf(fp, "\\x%02x", *p);
		else
			putc(*p, fp);
	}
	putc('"', fp);
}

/* Print "name = [ "a", "b" ];" at an indent. */
static void
conf_print_strings(FILE *fp, const char *indent, const char *name,
    char *const *v, size_t n)
{
	size_t	 i;

	fprintf(fp, "%s%s = [", indent, name);
	for (i = 0; i < n; i++) {
		fputs(i == 0 ? " " : ", ", fp);
		conf_print_string(fp, v[i]);
	}
	fputs(" ];\n", fp);
}

/* Print milliseconds as seconds, with a fraction only when there is one. */
static void
conf_print_seconds(FILE *fp, const char *indent, const char *name,
    uint32_t ms)
{
	if (ms % 1000 == 0)
		fprintf(fp, "%s%s = %u;\n", indent, name, ms / 1000);
	else
		fprintf(fp, "%s%s = %u.%03u;\n", indent, name, ms / 1000,
		    ms % 1000);
}

/* Print a timeouts group. */
static void
conf_print_timeouts(FILE *fp, const char *indent,
    const struct conf_timeouts *t)
{
	char	 in[32];

	snprintf(in, sizeof(in), "%s  ", indent);
	fprintf(fp, "%stimeouts :\n%s{\n", indent, indent);
	conf_print_seconds(fp, in, "artim", t->artim);
	conf_print_seconds(fp, in, "idle", t->idle);
	conf_print_seconds(fp, in, "handler", t->handler);
	conf_print_seconds(fp, in, "handler_exit", t->handler_exit);
	conf_print_seconds(fp, in, "association", t->association);
	conf_print_seconds(fp, in, "send", t->send);
	conf_print_seconds(fp, in, "release", t->release);
	conf_print_seconds(fp, in, "pdu", t->pdu);
	fprintf(fp, "%s};\n", indent);
}

/* Print CIDR blocks in their canonical text form. */
static void
conf_print_cidrs(FILE *fp, const char *indent, const char *name,
    const struct conf_cidr *c, size_t n)
{
	char	 addr[INET6_ADDRSTRLEN];
	size_t	 i;

	fprintf(fp, "%s%s = [", indent, name);
	for (i = 0; i < n; i++) {
		if (inet_ntop(c[i].family, c[i].addr, addr,
		    sizeof(addr)) == NULL)
			strlcpy(addr, "?", sizeof(addr));
		fprintf(fp, "%s\"%s/%d\"", i == 0 ? " " : ", ", addr,
		    c[i].prefix);
	}
	fputs(" ];\n", fp);
}

/* Print syntax_sets or abstract_sets. */
static void
conf_print_sets(FILE *fp, const char *name, const struct conf_set *sets,
    size_t n)
{
	size_t	 i;

	fprintf(fp, "%s :\n{\n", name);
	for (i = 0; i < n; i++)
		conf_print_strings(fp, "  ", sets[i].name, sets[i].uids,
		    sets[i].nuids);
	fputs("};\n\n", fp);
}

/* Print one AE entry with its effective values. */
static void
conf_print_ae(FILE *fp, const struct conf_ae *ae)
{
	const struct conf_context	*cx;
	size_t				 i, n;

	fputs("  {\n    title = ", fp);
	conf_print_string(fp, ae->title);
	fprintf(fp, ";\n    enabled = %s;\n", ae->enabled ? "true" : "false");
	fputs("    handler = ", fp);
	conf_print_string(fp, ae->handler);
	fputs(";\n", fp);
	conf_print_strings(fp, "    ", "args", ae->args, ae->nargs);
	conf_print_strings(fp, "    ", "env", ae->env, ae->nenv);
	fputs("    workdir = ", fp);
	conf_print_string(fp, ae->workdir);
	fprintf(fp, ";\n    umask = \"%03o\";\n", (unsigned int)ae->umask);
	conf_print_strings(fp, "    ", "calling_ae", ae->calling_ae,
	    ae->ncalling_ae);
	conf_print_cidrs(fp, "    ", "calling_ip", ae->calling_ip,
	    ae->ncalling_ip);
	fputs("    contexts = (", fp);
	for (i = 0; i < ae->ncontexts; i++) {
		cx = &ae->contexts[i];
		fputs(i == 0 ? "\n      { abstract = " : ",\n      "
		    "{ abstract = ", fp);
		conf_print_string(fp, cx->abstract.ref);
		fputs("; transfer = ", fp);
		conf_print_string(fp, cx->transfer.ref);
		fprintf(fp, "; peer_roles = \"%s\"; }",
		    conf_name_of(conf_roles_names, cx->peer_roles));
	}
	fputs(ae->ncontexts > 0 ? "\n    );\n" : " );\n", fp);
	fprintf(fp, "    negotiation = \"%s\";\n",
	    conf_name_of(conf_negotiation_names, ae->negotiation));
	fprintf(fp, "    max_associations = %d;\n", ae->max_associations);
	fprintf(fp, "    max_associations_per_calling_ae = %d;\n",
	    ae->max_associations_per_calling_ae);
	fprintf(fp, "    strict_user_info = %s;\n",
	    ae->strict_user_info ? "true" : "false");
	fprintf(fp, "    require_user_identity = %s;\n",
	    ae->require_user_identity ? "true" : "false");
	fputs("    user_identity_types = [", fp);
	for (i = 0, n = 0; conf_identity_names[i].name != NULL; i++) {
		if (!(ae->user_identity_types &
		    (1U << conf_identity_names[i].value)))
			continue;
		fprintf(fp, "%s\"%s\"", n++ == 0 ? " " : ", ",
		    conf_identity_names[i].name);
	}
	fputs(" ];\n", fp);
	conf_print_timeouts(fp, "    ", &ae->timeouts);
	fprintf(fp, "    max_pdu_receive = %u;\n", ae->max_pdu_receive);
	fputs("  }", fp);
}

/* Name a syslog facility value, for conf_print() and the daemon's logs. */
const char *
conf_facility_name(int facility)
{
	return (conf_name_of(conf_facility_names, facility));
}

/*
 * Print the effective configuration, every default filled in, in a form
 * conf_load() accepts.  Return 0, or -1 if the stream reports an error.
 */
int
conf_print(FILE *fp, const struct dul_conf *c)
{
	const struct conf_listen	*l;
	size_t				 i;

	fprintf(fp, "# dulserverd effective configuration\n"
	    "config_version = %d;\n\n", c->version);

	fputs("server :\n{\n  listen = (", fp);
	for (i = 0; i < c->server.nlisten; i++) {
		l = &c->server.listen[i];
		fputs(i == 0 ? "\n    { address = " : ",\n    { address = ",
		    fp);
		conf_print_string(fp, l->address);
		fprintf(fp, "; port = %d; v6only = %s; }", l->port,
		    l->v6only ? "true" : "false");
	}
	fputs(c->server.nlisten > 0 ? "\n  );\n" : " );\n", fp);
	fprintf(fp, "  backlog = %d;\n", c->server.backlog);
	fprintf(fp, "  max_associations = %d;\n", c->server.max_associations);
	fprintf(fp, "  max_associations_per_ip = %d;\n",
	    c->server.max_associations_per_ip);
	if (c->server.max_startups_full > 0)
		fprintf(fp, "  max_startups = \"%d:%d:%d\";\n",
		    c->server.max_startups_start, c->server.max_startups_rate,
		    c->server.max_startups_full);
	else
		fputs("  max_startups = \"\";\n", fp);
	fprintf(fp, "  max_startups_per_ip = %d;\n",
	    c->server.max_startups_per_ip);
	fprintf(fp, "  per_ip_prefix4 = %d;\n", c->server.per_ip_prefix4);
	fprintf(fp, "  per_ip_prefix6 = %d;\n", c->server.per_ip_prefix6);
	fprintf(fp, "  on_limit = \"%s\";\n",
	    conf_name_of(conf_on_limit_names, c->server.on_limit));
	fprintf(fp, "  reject_slots = %d;\n", c->server.reject_slots);
	fprintf(fp, "  spare_workers = %d;\n", c->server.spare_workers);
	fprintf(fp, "  max_connection_rate = %d;\n",
	    c->server.max_connection_rate);
	fprintf(fp, "  connection_rate_burst = %d;\n",
	    c->server.connection_rate_burst);
	fputs("  user = ", fp);
	conf_print_string(fp, c->server.user);
	fputs(";\n  group = ", fp);
	conf_print_string(fp, c->server.group);
	fputs(";\n  pidfile = ", fp);
	conf_print_string(fp, c->server.pidfile);
	fprintf(fp, ";\n  shutdown_grace = %d;\n};\n\n",
	    c->server.shutdown_grace);

	fprintf(fp, "logging :\n{\n  target = \"%s\";\n  file = ",
	    conf_name_of(conf_target_names, c->logging.target));
	conf_print_string(fp, c->logging.file);
	fprintf(fp, ";\n  facility = \"%s\";\n",
	    conf_facility_name(c->logging.facility));
	fprintf(fp, "  level = \"%s\";\n",
	    conf_name_of(conf_level_names, c->logging.level));
	fprintf(fp, "  format = \"%s\";\n",
	    conf_name_of(conf_format_names, c->logging.format));
	fprintf(fp, "  association_summary = %s;\n",
	    c->logging.association_summary ? "true" : "false");
	fprintf(fp, "  pdu_trace = %s;\n",
	    c->logging.pdu_trace ? "true" : "false");
	fprintf(fp, "  log_idle_connects = %s;\n};\n\n",
	    c->logging.log_idle_connects ? "true" : "false");

	conf_print_timeouts(fp, "", &c->timeouts);
	fputs("\n", fp);

	fputs("network :\n{\n", fp);
	fprintf(fp, "  max_pdu_receive = %u;\n", c->network.max_pdu_receive);
	fprintf(fp, "  max_pdu_send = %u;\n", c->network.max_pdu_send);
	fprintf(fp, "  max_rq_pdu = %u;\n", c->network.max_rq_pdu);
	fprintf(fp, "  max_handler_message = %u;\n",
	    c->network.max_handler_message);
	fprintf(fp, "  max_presentation_contexts = %d;\n",
	    c->network.max_presentation_contexts);
	fputs("  implementation_class_uid = ", fp);
	conf_print_string(fp, c->network.implementation_class_uid);
	fputs(";\n  implementation_version = ", fp);
	conf_print_string(fp, c->network.implementation_version);
	fprintf(fp, ";\n  strict_ae_titles = %s;\n",
	    c->network.strict_ae_titles ? "true" : "false");
	fprintf(fp, "  strict_user_info = %s;\n",
	    c->network.strict_user_info ? "true" : "false");
	fprintf(fp, "  uid_padding_fix = %s;\n",
	    c->network.uid_padding_fix ? "true" : "false");
	fprintf(fp, "  ts_preference = \"%s\";\n",
	    conf_name_of(conf_ts_names, c->network.ts_preference));
	fprintf(fp, "  ae_title_match = \"%s\";\n};\n\n",
	    conf_name_of(conf_match_names, c->network.ae_title_match));

	conf_print_sets(fp, "syntax_sets", c->syntax_sets, c->nsyntax_sets);
	conf_print_sets(fp, "abstract_sets", c->abstract_sets,
	    c->nabstract_sets);

	fputs("access :\n{\n", fp);
	conf_print_cidrs(fp, "  ", "allow", c->access.allow, c->access.nallow);
	conf_print_cidrs(fp, "  ", "deny", c->access.deny, c->access.ndeny);
	fprintf(fp, "  on_denied = \"%s\";\n};\n\n",
	    conf_name_of(conf_denied_names, c->access.on_denied));

	fputs("ae = (", fp);
	for (i = 0; i < c->nae; i++) {
		fputs(i == 0 ? "\n" : ",\n", fp);
		conf_print_ae(fp, &c->ae[i]);
	}
	fputs(c->nae > 0 ? "\n);\n" : " );\n", fp);

	return (ferror(fp) ? -1 : 0);
}
