/*
 * conf.h: the configuration file (libconfig syntax, schema version 1) as one
 * validated, self-contained struct.  The master loads it at start and again
 * on SIGHUP (keeping the old one if the new one fails); workers inherit it
 * through fork().  Every string and array in it belongs to the struct and is
 * released by conf_free().  doc/dulserverd.conf.5 is the user's reference.
 */
#ifndef DUL_CONF_H
#define DUL_CONF_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "uid.h"

#define CONF_VERSION		1	/* the config_version this code reads */
#define CONF_AE_TITLE_MAX	16	/* PS3.5 AE value representation */
#define CONF_UID_MAX		64	/* PS3.5 9.1 */
#define CONF_IMPL_VERSION_MAX	16	/* PS3.7 D.3.3.2.3 */

/*
 * The project's UID root (a 2.25 UUID root, which needs no registration) and
 * the built-in implementation class UID and version name derived from it.
 */
#define CONF_UID_ROOT		DUL_UID_ROOT
#define CONF_IMPL_CLASS_UID	DUL_IMPL_CLASS_UID
#define CONF_IMPL_VERSION	DUL_IMPL_VERSION

/* Flags for conf_load(). */
#define CONF_CHECK_HANDLERS	0x01	/* each handler is an executable file */
#define CONF_CHECK_ACCOUNTS	0x02	/* server.user and server.group exist */

/* Longest message conf_load() writes, "file:line: path: text" included. */
#define CONF_ERR_MAX		1024

enum conf_on_limit {
	CONF_ON_LIMIT_REJECT = 1,	/* read the RQ, send RJ(2,3,2) */
	CONF_ON_LIMIT_DEFER = 2		/* stop accept() until a worker exits */
};

enum conf_log_target {
	CONF_LOG_SYSLOG = 1,
	CONF_LOG_STDERR = 2,
	CONF_LOG_FILE = 3
};

enum conf_log_format {
	CONF_LOG_TEXT = 1
};

enum conf_log_level {
	CONF_LEVEL_ERROR = 1,
	CONF_LEVEL_WARNING = 2,
	CONF_LEVEL_INFO = 3,
	CONF_LEVEL_DEBUG = 4,
	CONF_LEVEL_TRACE = 5
};

enum conf_ts_preference {
	CONF_TS_OURS = 1,		/* our first the peer proposed */
	CONF_TS_THEIRS = 2		/* the peer's first that we allow */
};

enum conf_ae_match {
	CONF_AE_MATCH_EXACT = 1,
	CONF_AE_MATCH_NOCASE = 2
};

enum conf_on_denied {
	CONF_DENIED_REJECT = 1,		/* worker reads the RQ, RJ(1,1,3) */
	CONF_DENIED_CLOSE = 2		/* master closes right after accept() */
};

enum conf_negotiation {
	CONF_NEG_HANDLER = 1,		/* the handler confirms or overrides */
	CONF_NEG_POLICY = 2		/* the worker decides from contexts */
};

enum conf_peer_roles {
	CONF_ROLES_SCU = 1,		/* the peer may only act as SCU */
	CONF_ROLES_BOTH = 2		/* the peer may also act as SCP */
};

/* User identity types (PS3.7 D.3.3.7.1), as bits of user_identity_types. */
enum conf_identity_type {
	CONF_IDENTITY_USERNAME = 1,
	CONF_IDENTITY_USERNAME_PASSCODE = 2,
	CONF_IDENTITY_KERBEROS = 3,
	CONF_IDENTITY_SAML = 4,
	CONF_IDENTITY_JWT = 5
};
#define CONF_IDENTITY_ALL	0x3e	/* types 1 to 5 */

/* Presentation context result (PS3.8 9.3.3.2, Table 9-18). */
enum conf_pc_code {
	CONF_PC_ACCEPTANCE = 0,
	CONF_PC_ABSTRACT_NOT_SUPPORTED = 3,
	CONF_PC_TS_NOT_SUPPORTED = 4
};

/* Every deadline, in milliseconds; association 0 means no cap. */
struct conf_timeouts {
	uint32_t		 artim;
	uint32_t		 idle;
	uint32_t		 handler;
	uint32_t		 handler_exit;
	uint32_t		 association;
	uint32_t		 send;
	uint32_t		 release;
	uint32_t		 pdu;		/* base to complete one PDU */
};

struct conf_listen {
	char			*address;	/* numeric IPv4 or IPv6 */
	int			 port;
	int			 v6only;
};

/* One CIDR block, in network byte order with the host bits zero. */
struct conf_cidr {
	int			 family;	/* AF_INET or AF_INET6 */
	int			 prefix;	/* 0..32 or 0..128 */
	uint8_t			 addr[16];
};

/* A named list of UID patterns (syntax_sets, abstract_sets). */
struct conf_set {
	char			*name;
	char			**uids;
	size_t			 nuids;
};

/* A context's abstract or transfer value: as written, and what it means. */
struct conf_uidref {
	char			*ref;		/* set name or UID pattern */
	char			**uids;		/* the UID patterns, in order */
	size_t			 nuids;
};

struct conf_context {
	struct conf_uidref	 abstract;
	struct conf_uidref	 transfer;
	enum conf_peer_roles	 peer_roles;
};

struct conf_ae {
	char			*title;		/* "*" is the catch-all */
	int			 enabled;
	char			*handler;	/* absolute path */
	char			**args;
	size_t			 nargs;
	char			**env;		/* NAME=value */
	size_t			 nenv;
	char			*workdir;	/* absolute path */
	mode_t			 umask;
	char			**calling_ae;	/* fnmatch globs; none = any */
	size_t			 ncalling_ae;
	struct conf_cidr	*calling_ip;	/* none = no restriction */
	size_t			 ncalling_ip;
	struct conf_context	*contexts;
	size_t			 ncontexts;
	enum conf_negotiation	 negotiation;
	int			 max_associations;	/* 0 = global only */
	int			 max_associations_per_calling_ae; /* 0 = off */
	int			 strict_user_info;	/* network's, or own */
	int			 require_user_identity;	/* 0x58 required */
	unsigned int		 user_identity_types;	/* 1 << type */
	struct conf_timeouts	 timeouts;	/* global + this entry's */
	uint32_t		 max_pdu_receive;	/* effective */
};

struct conf_server {
	struct conf_listen	*listen;
	size_t			 nlisten;
	int			 backlog;
	int			 max_associations;
	int			 max_associations_per_ip;	/* 0 = off */
	int			 max_startups_start;	/* 0 = off */
	int			 max_startups_rate;	/* percent */
	int			 max_startups_full;
	int			 max_startups_per_ip;	/* 0 = off */
	int			 per_ip_prefix4;	/* bits of a source */
	int			 per_ip_prefix6;
	enum conf_on_limit	 on_limit;
	int			 reject_slots;
	int			 spare_workers;	/* pre-forked, 0 = none */
	int			 max_connection_rate;	/* per second, 0 = off */
	int			 connection_rate_burst;	/* 0 = the rate */
	char			*user;		/* "" = unset */
	char			*group;		/* "" = unset */
	char			*pidfile;	/* "" = none */
	int			 shutdown_grace;	/* seconds */
};

struct conf_logging {
	enum conf_log_target	 target;
	char			*file;		/* "" unless target is a file */
	int			 facility;	/* LOG_DAEMON, LOG_LOCAL0... */
	enum conf_log_level	 level;
	enum conf_log_format	 format;
	int			 association_summary;
	int			 pdu_trace;
	int			 log_idle_connects;
};

struct conf_network {
	uint32_t		 max_pdu_receive;
	uint32_t		 max_pdu_send;
	uint32_t		 max_rq_pdu;
	uint32_t		 max_handler_message;
	int			 max_presentation_contexts;
	char			*implementation_class_uid;
	char			*implementation_version;
	int			 strict_ae_titles;
	int			 strict_user_info;	/* 0x51, 0x52 needed */
	int			 uid_padding_fix;
	enum conf_ts_preference	 ts_preference;
	enum conf_ae_match	 ae_title_match;
};

struct conf_access {
	struct conf_cidr	*allow;		/* none = anyone */
	size_t			 nallow;
	struct conf_cidr	*deny;
	size_t			 ndeny;
	enum conf_on_denied	 on_denied;
};

struct dul_conf {
	int			 version;
	struct conf_server	 server;
	struct conf_logging	 logging;
	struct conf_timeouts	 timeouts;
	struct conf_network	 network;
	struct conf_set		*syntax_sets;
	size_t			 nsyntax_sets;
	struct conf_set		*abstract_sets;
	size_t			 nabstract_sets;
	struct conf_access	 access;
	struct conf_ae		*ae;
	size_t			 nae;
};

/* What conf_pc_negotiate() decided for one proposed presentation context. */
struct conf_pc_result {
	enum conf_pc_code	 result;
	size_t			 ts_index;	/* in the proposed list */
	enum conf_peer_roles	 peer_roles;	/* of the context entry used */
};

/* conf.c: load and validate. */
int	 conf_load(const char *path, struct dul_conf *conf, int flags,
	    char *err, size_t errlen);
void	 conf_free(struct dul_conf *conf);

/* conf_print.c: the effective configuration, in a form conf_load() reads. */
int	 conf_print(FILE *fp, const struct dul_conf *conf);
const char *conf_facility_name(int facility);

/* conf_match.c: the decisions a worker takes from the configuration. */
int	 conf_uid_pattern_check(const char *s, int wildcards,
	    const char **why);
int	 conf_cidr_parse(const char *s, struct conf_cidr *c,
	    const char **why);
int	 conf_cidr_match(const struct conf_cidr *list, size_t n,
	    const struct sockaddr *sa);
int	 conf_access_ok(const struct dul_conf *conf,
	    const struct sockaddr *sa);
const struct conf_ae *conf_ae_find(const struct dul_conf *conf,
	    const char *called);
const struct conf_ae *conf_ae_hint(const struct dul_conf *conf,
	    const char *called);
int	 conf_calling_ae_ok(const struct dul_conf *conf,
	    const struct conf_ae *ae, const char *calling);
int	 conf_calling_ip_ok(const struct conf_ae *ae,
	    const struct sockaddr *sa);
enum conf_pc_code conf_pc_negotiate(const struct dul_conf *conf,
	    const struct conf_ae *ae, const char *abstract,
	    const char *const *ts, size_t nts, struct conf_pc_result *res);

#endif /* DUL_CONF_H */
