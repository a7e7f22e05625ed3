/*
 * conf_walk.c: the schema walker under conf.c.  libconfig checks only the
 * syntax: it accepts any setting name and any type, and silently wraps
 * integers past 32 bits.  So every group is walked against a const table of
 * the keys it may hold (conf_int.h); an unknown key, a key of a later
 * version, a wrong type or a value out of range is an error reported as
 * "file:line: path: text", with a "did you mean" hint for a misspelt key.
 * Integers that do not fit in 32 bits are found by a scan of the file's text,
 * since libconfig hands back only the wrapped value.
 */

#include "compat.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "log.h"

static void	 conf_path(const config_setting_t *, char *, size_t);
static int	 conf_distance(const char *, const char *);
static const struct conf_key *conf_key_find(const struct conf_key *,
		    const char *);
static int	 conf_apply(struct conf_ctx *, const struct conf_key *,
		    const config_setting_t *, void *);
static int	 conf_get_enum(struct conf_ctx *, const config_setting_t *,
		    const struct conf_name *, int *);
static int	 conf_get_seconds(struct conf_ctx *, const config_setting_t *,
		    const struct conf_key *, uint32_t *);
static int	 conf_peek(FILE *);

/*
 * Format an error as "file:line: text" (or "file: text" without a line) into
 * the caller's buffer, escaping whatever the file put into it.  Return -1 so
 * that callers can return it.
 */
int
conf_err_at(struct conf_ctx *ctx, const char *file, unsigned int line,
    const char *fmt, ...)
{
	char		 msg[CONF_ERR_MAX + CONF_PATH_MAX];
	char		 full[sizeof(msg) + PATH_MAX + 32];
	char		 vis[4 * sizeof(full) + 1];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%u: %s", file, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	log_vis(vis, sizeof(vis), full, strlen(full));
	if (ctx->errlen > 0)
		strlcpy(ctx->err, vis, ctx->errlen);
	return (-1);
}

/*
 * Report an error about a setting as "file:line: path: text".  Settings
 * from an @include'd file name it as libconfig opened it, from incdir.
 */
int
conf_err(struct conf_ctx *ctx, const config_setting_t *s, const char *fmt,
    ...)
{
	char		 msg[CONF_ERR_MAX], path[CONF_PATH_MAX];
	char		 file[PATH_MAX];
	const char	*f = NULL;
	unsigned int	 line = 0;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	path[0] = '\0';
	if (s != NULL) {
		f = config_setting_source_file(s);
		line = config_setting_source_line(s);
		conf_path(s, path, sizeof(path));
	}
	if (f == NULL || strcmp(f, ctx->path) == 0 || ctx->incdir == NULL)
		strlcpy(file, f == NULL ? ctx->path : f, sizeof(file));
	else
		snprintf(file, sizeof(file), "%s/%s", ctx->incdir, f);
	if (path[0] == '\0')
		return (conf_err_at(ctx, file, line, "%s", msg));
	return (conf_err_at(ctx, file, line, "%s: %s", path, msg));
}

/* Report an allocation failure. */
int
conf_nomem(struct conf_ctx *ctx)
{
	return (conf_err(ctx, NULL, "out of memory"));
}

/* Spell a setting's place in the file, e.g. "ae[1].timeouts.idle". */
static void
conf_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t	*chain[32], *parent;
	size_t			 n = 0;
	char			 idx[16];

	buf[0] = '\0';
	while (s != NULL && !config_setting_is_root(s) && n < nitems(chain)) {
		chain[n++] = s;
		s = config_setting_parent(s);
	}
	while (n-- > 0) {
		s = chain[n];
		parent = config_setting_parent(s);
		if (parent != NULL && (config_setting_is_list(parent) ||
		    config_setting_is_array(parent))) {
			snprintf(idx, sizeof(idx), "[%d]",
			    config_setting_index(s));
			strlcat(buf, idx, len);
		} else {
			if (buf[0] != '\0')
				strlcat(buf, ".", len);
			strlcat(buf, config_setting_name(s), len);
		}
	}
}

/* Name a setting's type for a "wrong type" message. */
const char *
conf_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return ("a group");
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return ("an integer");
	case CONFIG_TYPE_FLOAT:
		return ("a floating-point number");
	case CONFIG_TYPE_STRING:
		return ("a string");
	case CONFIG_TYPE_BOOL:
		return ("a boolean");
	case CONFIG_TYPE_ARRAY:
		return ("an array");
	case CONFIG_TYPE_LIST:
		return ("a list");
	}
	return ("a setting of unknown type");
}

/*
 * Edit distance with adjacent transpositions (optimal string alignment)
 * between two short names; long names count as far apart.
 */
static int
conf_distance(const char *a, const char *b)
{
	int	 d[33][33], i, j, la, lb, c, v;

	la = (int)strlen(a);
	lb = (int)strlen(b);
	if (la > 32 || lb > 32)
		return (INT_MAX);
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			c = a[i - 1] != b[j - 1];
			v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + c < v)
				v = d[i - 1][j - 1] + c;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return (d[la][lb]);
}

/*
 * Return the candidate closest to a misspelt name, or NULL if none is close
 * enough to be a likely typo (one edit for short names, else two).
 */
const char *
conf_nearest(const char *name, const char *const *cand, size_t n)
{
	const char	*best = NULL;
	size_t		 i;
	int		 d, bestd = INT_MAX, limit;

	for (i = 0; i < n; i++) {
		d = conf_distance(name, cand[i]);
		limit = strlen(cand[i]) <= 4 ? 1 : 2;
		if (d <= limit && d < bestd) {
			best = cand[i];
			bestd = d;
		}
	}
	return (best);
}

/* Find a key in a table. */
static const struct conf_key *
conf_key_find(const struct conf_key *keys, const char *name)
{
	for (; keys->name != NULL; keys++) {
		if (strcmp(keys->name, name) == 0)
			return (keys);
	}
	return (NULL);
}

/*
 * Walk a group against its table: first every member in file order (an
 * unknown key or a later version's is an error), then every known key in
 * table order, then the required keys.
 */
int
conf_walk(struct conf_ctx *ctx, const config_setting_t *group,
    const struct conf_key *keys, void *target)
{
	const char		*cand[32], *near;
	const struct conf_key	*k;
	const config_setting_t	*m;
	size_t			 ncand = 0;
	int			 i, n;

	for (k = keys; k->name != NULL && ncand < nitems(cand); k++) {
		if (k->kind != CK_LATER)
			cand[ncand++] = k->name;
	}
	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(group, i);
		if ((k = conf_key_find(keys, config_setting_name(m))) == NULL) {
			near = conf_nearest(config_setting_name(m), cand,
			    ncand);
			if (near != NULL)
				return (conf_err(ctx, m, "unknown key; did "
				    "you mean '%s'?", near));
			return (conf_err(ctx, m, "unknown key"));
		}
		if (k->kind == CK_LATER)
			return (conf_err(ctx, m,
			    "not supported in this version"));
	}
	for (k = keys; k->name != NULL; k++) {
		if (k->kind == CK_LATER)
			continue;
		m = config_setting_get_member(group, k->name);
		if (m == NULL) {
			if (k->required)
				return (conf_err(ctx, group,
				    "missing required key '%s'", k->name));
			continue;
		}
		if (conf_apply(ctx, k, m, target) == -1)
			return (-1);
	}
	return (0);
}

/* Check one setting against its key and store it in the target. */
static int
conf_apply(struct conf_ctx *ctx, const struct conf_key *k,
    const config_setting_t *m, void *target)
{
	void		*p = (char *)target + k->off;
	const char	*s = NULL;
	long long	 v = 0;
	int		 e = 0;

	switch (k->kind) {
	case CK_INT:
	case CK_U32:
		if (conf_get_int(ctx, m, &v) == -1)
			return (-1);
		if (v < k->min || v > k->max)
			return (conf_err(ctx, m, "%lld is out of range "
			    "(%lld..%lld)", v, k->min, k->max));
		if (k->kind == CK_INT)
			*(int *)p = (int)v;
		else
			*(uint32_t *)p = (uint32_t)v;
		return (0);
	case CK_SECONDS:
		return (conf_get_seconds(ctx, m, k, p));
	case CK_BOOL:
		if (config_setting_type(m) != CONFIG_TYPE_BOOL)
			return (conf_err(ctx, m, "expected true or false, "
			    "got %s", conf_type_name(m)));
		*(int *)p = config_setting_get_bool(m) ? 1 : 0;
		return (0);
	case CK_STRING:
		if (conf_get_string(ctx, m, &s) == -1)
			return (-1);
		if (k->check != NULL && k->check(ctx, m, s) == -1)
			return (-1);
		free(*(char **)p);
		*(char **)p = NULL;
		return (conf_strdup(ctx, s, (char **)p));
	case CK_ENUM:
		if (conf_get_enum(ctx, m, k->names, &e) == -1)
			return (-1);
		*(int *)p = e;
		return (0);
	case CK_GROUP:
		if (!config_setting_is_group(m))
			return (conf_err(ctx, m, "expected a group, got %s",
			    conf_type_name(m)));
		return (conf_walk(ctx, m, k->sub, p));
	case CK_CUSTOM:
		return (k->parse(ctx, m, target));
	case CK_LATER:
		break;
	}
	return (conf_err(ctx, m, "not supported in this version"));
}

/* Take an integer setting, 32- or 64-bit. */
int
conf_get_int(struct conf_ctx *ctx, const config_setting_t *m, long long *v)
{
	switch (config_setting_type(m)) {
	case CONFIG_TYPE_INT:
		*v = config_setting_get_int(m);
		return (0);
	case CONFIG_TYPE_INT64:
		*v = config_setting_get_int64(m);
		return (0);
	}
	return (conf_err(ctx, m, "expected an integer, got %s",
	    conf_type_name(m)));
}

/* Take a string setting. */
int
conf_get_string(struct conf_ctx *ctx, const config_setting_t *m,
    const char **s)
{
	if (config_setting_type(m) != CONFIG_TYPE_STRING)
		return (conf_err(ctx, m, "expected a string, got %s",
		    conf_type_name(m)));
	*s = config_setting_get_string(m);
	return (0);
}

/* Take a string setting that must be one of a table's names. */
static int
conf_get_enum(struct conf_ctx *ctx, const config_setting_t *m,
    const struct conf_name *names, int *value)
{
	const struct conf_name	*n;
	const char		*s = NULL;
	char			 list[256];

	if (conf_get_string(ctx, m, &s) == -1)
		return (-1);
	list[0] = '\0';
	for (n = names; n->name != NULL; n++) {
		if (strcmp(n->name, s) == 0) {
			if (n->value == -1)
				return (conf_err(ctx, m, "\"%s\" is not "
				    "supported in this version", s));
			*value = n->value;
			return (0);
		}
		if (n->value == -1)
			continue;
		if (list[0] != '\0')
			strlcat(list, ", ", sizeof(list));
		strlcat(list, "\"", sizeof(list));
		strlcat(list, n->name, sizeof(list));
		strlcat(list, "\"", sizeof(list));
	}
	return (conf_err(ctx, m, "\"%s\" is not one of %s", s, list));
}

/*
 * Take a duration in seconds, integer or fractional, and store it in
 * milliseconds within the key's bounds.
 */
static int
conf_get_seconds(struct conf_ctx *ctx, const config_setting_t *m,
    const struct conf_key *k, uint32_t *ms)
{
	double		 v;
	long long	 iv;
	char		 shown[64];

	switch (config_setting_type(m)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		iv = config_setting_type(m) == CONFIG_TYPE_INT ?
		    config_setting_get_int(m) : config_setting_get_int64(m);
		v = (double)iv;
		snprintf(shown, sizeof(shown), "%lld", iv);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(m);
		snprintf(shown, sizeof(shown), "%g", v);
		break;
	default:
		return (conf_err(ctx, m, "expected a number of seconds, "
		    "got %s", conf_type_name(m)));
	}
	/* Written so that NaN fails too. */
	if (v >= 0 && v <= CONF_SECONDS_MAX &&
	    (long long)(v * 1000.0 + 0.5) >= k->min) {
		*ms = (uint32_t)(v * 1000.0 + 0.5);
		return (0);
	}
	return (conf_err(ctx, m, "%s is out of range (%s..%d seconds)", shown,
	    k->min == 0 ? "0" : "0.001", CONF_SECONDS_MAX));
}

/* Copy a string out of libconfig, whose strings die with the config_t. */
int
conf_strdup(struct conf_ctx *ctx, const char *s, char **out)
{
	if ((*out = strdup(s)) == NULL)
		return (conf_nomem(ctx));
	return (0);
}

/*
 * Copy out an array or list of strings.  On failure the caller still owns
 * and frees whatever was stored.
 */
int
conf_strings(struct conf_ctx *ctx, const config_setting_t *m, char ***out,
    size_t *n)
{
	const config_setting_t	*e;
	int			 i, len;

	if (!config_setting_is_array(m) && !config_setting_is_list(m))
		return (conf_err(ctx, m, "expected an array of strings, "
		    "got %s", conf_type_name(m)));
	conf_free_strings(*out, *n);
	*out = NULL;
	*n = 0;
	if ((len = config_setting_length(m)) == 0)
		return (0);
	if ((*out = calloc(len, sizeof(**out))) == NULL)
		return (conf_nomem(ctx));
	*n = len;
	for (i = 0; i < len; i++) {
		e = config_setting_get_elem(m, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return (conf_err(ctx, e, "expected a string, got %s",
			    conf_type_name(e)));
		if (conf_strdup(ctx, config_setting_get_string(e),
		    &(*out)[i]) == -1)
			return (-1);
	}
	return (0);
}

/*
 * Check that a setting is a list of groups, "( { ... }, ... )"; an empty
 * array "[ ]" is taken as an empty list.
 */
int
conf_list_of_groups(struct conf_ctx *ctx, const config_setting_t *m)
{
	const config_setting_t	*e;
	int			 i, n;

	if (config_setting_is_array(m) && config_setting_length(m) == 0)
		return (0);
	if (!config_setting_is_list(m))
		return (conf_err(ctx, m, "expected a list of groups, "
		    "( { ... }, ... ), got %s", conf_type_name(m)));
	n = config_setting_length(m);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(m, i);
		if (!config_setting_is_group(e))
			return (conf_err(ctx, e, "expected a group, got %s",
			    conf_type_name(e)));
	}
	return (0);
}

/* Parse an array of CIDR blocks into binary form. */
int
conf_cidrs(struct conf_ctx *ctx, const config_setting_t *m,
    struct conf_cidr **out, size_t *n)
{
	const config_setting_t	*e;
	const char		*s = NULL, *why = NULL;
	int			 i, len;

	if (!config_setting_is_array(m) && !config_setting_is_list(m))
		return (conf_err(ctx, m, "expected an array of CIDR strings, "
		    "got %s", conf_type_name(m)));
	free(*out);
	*out = NULL;
	*n = 0;
	if ((len = config_setting_length(m)) == 0)
		return (0);
	if ((*out = calloc(len, sizeof(**out))) == NULL)
		return (conf_nomem(ctx));
	*n = len;
	for (i = 0; i < len; i++) {
		e = config_setting_get_elem(m, i);
		if (conf_get_string(ctx, e, &s) == -1)
			return (-1);
		if (conf_cidr_parse(s, &(*out)[i], &why) == -1)
			return (conf_err(ctx, e, "bad CIDR \"%s\": %s", s,
			    why));
	}
	return (0);
}

/* Look at the next character without taking it. */
static int
conf_peek(FILE *fp)
{
	int	 c;

	c = getc(fp);
	if (c != EOF)
		ungetc(c, fp);
	return (c);
}

/*
 * Find integer literals that libconfig 1.5 would silently wrap to 32 bits,
 * in a file that has just parsed successfully.  The scan skips comments,
 * strings, names and floats; a literal with an L suffix is 64-bit and fine.
 */
int
conf_scan_ints(struct conf_ctx *ctx, const char *file)
{
	FILE			*fp;
	char			 lit[64], *end;
	unsigned long long	 v;
	unsigned int		 line = 1;
	size_t			 n;
	int			 c, neg, hex, isfloat;

	if ((fp = fopen(file, "r")) == NULL)
		return (conf_err_at(ctx, file, 0, "%s", strerror(errno)));
	while ((c = getc(fp)) != EOF) {
		if (c == '\n')
			line++;
		else if (c == '#' || (c == '/' && conf_peek(fp) == '/')) {
			while ((c = conf_peek(fp)) != EOF && c != '\n')
				(void)getc(fp);
		} else if (c == '/' && conf_peek(fp) == '*') {
			(void)getc(fp);
			while ((c = getc(fp)) != EOF) {
				if (c == '\n')
					line++;
				else if (c == '*' && conf_peek(fp) == '/') {
					(void)getc(fp);
					break;
				}
			}
		} else if (c == '"') {
			while ((c = getc(fp)) != EOF && c != '"') {
				if (c == '\n')
					line++;
				else if (c == '\\' && getc(fp) == '\n')
					line++;
			}
		} else if (c == '@' || c == '*' || c == '_' || isalpha(c)) {
			while ((c = conf_peek(fp)) != EOF && (isalnum(c) ||
			    c == '-' || c == '_' || c == '*'))
				(void)getc(fp);
		} else if (isdigit(c) || ((c == '-' || c == '+') &&
		    isdigit(conf_peek(fp)))) {
			n = 0;
			lit[n++] = c;
			while ((c = conf_peek(fp)) != EOF && (isalnum(c) ||
			    c == '.' || ((c == '-' || c == '+') &&
			    (lit[n - 1] == 'e' || lit[n - 1] == 'E')))) {
				(void)getc(fp);
				if (n < sizeof(lit) - 1)
					lit[n++] = c;
			}
			lit[n] = '\0';
			neg = lit[0] == '-';
			end = lit + (lit[0] == '-' || lit[0] == '+');
			hex = end[0] == '0' && (end[1] == 'x' || end[1] == 'X');
			isfloat = !hex && strpbrk(lit, ".eE") != NULL;
			if (isfloat || strchr(lit, 'L') != NULL)
				continue;
			errno = 0;
			v = strtoull(end, &end, hex ? 16 : 10);
			if (*end == '\0' && errno != ERANGE &&
			    v <= (neg ? 2147483648ULL : 2147483647ULL))
				continue;
			fclose(fp);
			return (conf_err_at(ctx, file, line, "integer %s does "
			    "not fit in 32 bits (libconfig would wrap it)",
			    lit));
		}
	}
	fclose(fp);
	return (0);
}

/* Free an array of strings. */
void
conf_free_strings(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}


/* Name a value of a string-valued key, for messages and conf_print(). */
const char *
conf_name_of(const struct conf_name *names, int value)
{
	for (; names->name != NULL; names++) {
		if (names->value == value)
			return (names->name);
	}
	return ("?");
}
