/*
 * conf_int.h: what the configuration loader's files share and nobody else
 * uses: the load context, the key tables that describe each group of the
 * schema, and the table walker of conf_walk.c.
 */
#ifndef DUL_CONF_INT_H
#define DUL_CONF_INT_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct conf_ctx {
	config_t		 cf;
	const char		*path;
	char			*incdir;	/* @include resolves here */
	int			 flags;
	char			*err;
	size_t			 errlen;
	struct dul_conf		*conf;
};

enum conf_kind {
	CK_INT,			/* int within min..max */
	CK_U32,			/* uint32_t within min..max */
	CK_SECONDS,		/* seconds (fractions allowed) as uint32_t ms */
	CK_BOOL,		/* int, 0 or 1 */
	CK_STRING,		/* char *, checked by check() if set */
	CK_ENUM,		/* int, from the names table */
	CK_GROUP,		/* a group walked with the sub table */
	CK_CUSTOM,		/* parse() does everything */
	CK_LATER		/* a key of a later version: always an error */
};

/* A name a string setting may take; value -1 marks a later version's. */
struct conf_name {
	const char		*name;
	int			 value;
};

struct conf_key {
	const char		*name;
	enum conf_kind		 kind;
	int			 required;
	size_t			 off;		/* of the field in the target */
	long long		 min, max;	/* CK_SECONDS: milliseconds */
	const struct conf_name	*names;
	const struct conf_key	*sub;
	int			(*check)(struct conf_ctx *,
				    const config_setting_t *, const char *);
	int			(*parse)(struct conf_ctx *,
				    const config_setting_t *, void *);
};

#define K_INT(n, st, f, lo, hi) \
	{ n, CK_INT, 0, offsetof(st, f), lo, hi, NULL, NULL, NULL, NULL }
#define K_U32(n, st, f, lo, hi) \
	{ n, CK_U32, 0, offsetof(st, f), lo, hi, NULL, NULL, NULL, NULL }
#define K_SEC(n, st, f, lo) \
	{ n, CK_SECONDS, 0, offsetof(st, f), lo, CONF_SECONDS_MAX * 1000LL, \
	    NULL, NULL, NULL, NULL }
#define K_BOOL(n, st, f) \
	{ n, CK_BOOL, 0, offsetof(st, f), 0, 1, NULL, NULL, NULL, NULL }
#define K_STR(n, req, st, f, chk) \
	{ n, CK_STRING, req, offsetof(st, f), 0, 0, NULL, NULL, chk, NULL }
#define K_ENUM(n, st, f, tab) \
	{ n, CK_ENUM, 0, offsetof(st, f), 0, 0, tab, NULL, NULL, NULL }
#define K_GROUP(n, st, f, tab) \
	{ n, CK_GROUP, 0, offsetof(st, f), 0, 0, NULL, tab, NULL, NULL }
#define K_FN(n, req, fn) \
	{ n, CK_CUSTOM, req, 0, 0, 0, NULL, NULL, NULL, fn }
#define K_LATER(n) \
	{ n, CK_LATER, 0, 0, 0, 0, NULL, NULL, NULL, NULL }
#define K_END \
	{ NULL, CK_LATER, 0, 0, 0, 0, NULL, NULL, NULL, NULL }

#define CONF_SECONDS_MAX	604800		/* a week */
#define CONF_PATH_MAX		256		/* of a setting path */

/* Names of the values of the string-valued keys (conf.c). */
extern const struct conf_name conf_on_limit_names[];
extern const struct conf_name conf_target_names[];
extern const struct conf_name conf_format_names[];
extern const struct conf_name conf_level_names[];
extern const struct conf_name conf_facility_names[];
extern const struct conf_name conf_ts_names[];
extern const struct conf_name conf_match_names[];
extern const struct conf_name conf_denied_names[];
extern const struct conf_name conf_negotiation_names[];
extern const struct conf_name conf_roles_names[];
extern const struct conf_name conf_identity_names[];

/* conf_walk.c */
int	 conf_err_at(struct conf_ctx *, const char *, unsigned int,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
int	 conf_err(struct conf_ctx *, const config_setting_t *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
int	 conf_nomem(struct conf_ctx *);
const char *conf_type_name(const config_setting_t *);
const char *conf_nearest(const char *, const char *const *, size_t);
int	 conf_walk(struct conf_ctx *, const config_setting_t *,
	    const struct conf_key *, void *);
int	 conf_get_int(struct conf_ctx *, const config_setting_t *,
	    long long *);
int	 conf_get_string(struct conf_ctx *, const config_setting_t *,
	    const char **);
int	 conf_strdup(struct conf_ctx *, const char *, char **);
int	 conf_strings(struct conf_ctx *, const config_setting_t *, char ***,
	    size_t *);
void	 conf_free_strings(char **, size_t);
int	 conf_list_of_groups(struct conf_ctx *, const config_setting_t *);
int	 conf_cidrs(struct conf_ctx *, const config_setting_t *,
	    struct conf_cidr **, size_t *);
int	 conf_scan_ints(struct conf_ctx *, const char *);
const char *conf_name_of(const struct conf_name *, int);

#endif /* DUL_CONF_INT_H */
