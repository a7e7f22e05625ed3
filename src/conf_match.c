/*
 * conf_match.c: the decisions a worker takes from the configuration: which
 * AE entry a called AE title selects, whether a calling AE title and a peer
 * address are allowed, and which transfer syntax a presentation context gets.
 * Also the two value parsers these need (UID patterns and CIDR blocks).
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

static int	 conf_prefix_match(const uint8_t *, const uint8_t *, int);
static int	 conf_uid_match(const struct conf_uidref *, const char *);

/*
 * Check a UID (PS3.5 9.1: digits in dot-separated components, no leading
 * zero except a lone 0, no empty component, at most 64 characters), or with
 * wildcards a UID pattern, where a component may also hold '*'.  Return 0,
 * or -1 with the reason in *why.
 */
int
conf_uid_pattern_check(const char *s, int wildcards, const char **why)
{
	const char	*p, *start;
	int		 star;

	if (*s == '\0') {
		*why = "empty";
		return (-1);
	}
	if (strlen(s) > CONF_UID_MAX) {
		*why = "longer than 64 characters";
		return (-1);
	}
	start = s;
	star = 0;
	for (p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == start) {
				*why = "empty component";
				return (-1);
			}
			if (!star && *start == '0' && p - start > 1) {
				*why = "component with a leading zero";
				return (-1);
			}
			if (*p == '\0')
				break;
			start = p + 1;
			star = 0;
		} else if (*p == '*' && wildcards)
			star = 1;
		else if (*p < '0' || *p > '9') {
			*why = wildcards ? "only digits, dots and '*' allowed" :
			    "only digits and dots allowed";
			return (-1);
		}
	}
	return (0);
}

/*
 * Parse "address/prefix" (or a bare address, a single host) into a CIDR
 * block.  Host bits must be zero.  Return 0, or -1 with the reason in *why.
 */
int
conf_cidr_parse(const char *s, struct conf_cidr *c, const char **why)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash;
	const char	*errstr;
	int		 max, i, bits;

	memset(c, 0, sizeof(*c));
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf)) {
		*why = "too long";
		return (-1);
	}
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return (-1);
	}
	c->prefix = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9') {
			*why = "bad prefix length";
			return (-1);
		}
		c->prefix = strtonum(slash, 0, max, &errstr);
		if (errstr != NULL) {
			*why = max == 32 ? "prefix length must be 0..32" :
			    "prefix length must be 0..128";
			return (-1);
		}
	}
	for (i = 0; i < max / 8; i++) {
		bits = c->prefix - i * 8;
		if (bits >= 8)
			continue;
		if (bits <= 0 ? c->addr[i] != 0 :
		    (c->addr[i] & (0xff >> bits)) != 0) {
			*why = "host bits are set";
			return (-1);
		}
	}
	return (0);
}

/* Compare the first bits of two addresses. */
static int
conf_prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
	int	 full = bits / 8, rest = bits % 8;
	uint8_t	 mask;

	if (memcmp(a, b, full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = (uint8_t)(0xff << (8 - rest));
	return ((a[full] & mask) == (b[full] & mask));
}

/*
 * Tell whether a peer address lies in any block of a list.  An IPv4-mapped
 * IPv6 address (a dual-stack listener) is also compared as IPv4.
 */
int
conf_cidr_match(const struct conf_cidr *list, size_t n,
    const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	const uint8_t			*v4 = NULL, *v6 = NULL;
	size_t				 i;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		v4 = (const uint8_t *)&sin->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		v6 = sin6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			v4 = v6 + 12;
	} else
		return (0);
	for (i = 0; i < n; i++) {
		if (list[i].family == AF_INET && v4 != NULL &&
		    conf_prefix_match(list[i].addr, v4, list[i].prefix))
			return (1);
		if (list[i].family == AF_INET6 && v6 != NULL &&
		    conf_prefix_match(list[i].addr, v6, list[i].prefix))
			return (1);
	}
	return (0);
}

/*
 * Apply access.deny and access.allow to a peer address: a denied address is
 * refused, and a non-empty allow list admits only its own blocks.
 */
int
conf_access_ok(const struct dul_conf *conf, const struct sockaddr *sa)
{
	if (conf_cidr_match(conf->access.deny, conf->access.ndeny, sa))
		return (0);
	if (conf->access.nallow == 0)
		return (1);
	return (conf_cidr_match(conf->access.allow, conf->access.nallow, sa));
}

/*
 * Find the enabled AE entry for a called AE title (already trimmed), by
 * network.ae_title_match; the catch-all "*" answers for any other title.
 */
const struct conf_ae *
conf_ae_find(const struct dul_conf *conf, const char *called)
{
	const struct conf_ae	*ae, *any = NULL;
	size_t			 i;
	int			 nocase;

	nocase = conf->network.ae_title_match == CONF_AE_MATCH_NOCASE;
	for (i = 0; i < conf->nae; i++) {
		ae = &conf->ae[i];
		if (!ae->enabled)
			continue;
		if (strcmp(ae->title, "*") == 0) {
			any = ae;
			continue;
		}
		if (nocase ? strcasecmp(ae->title, called) == 0 :
		    strcmp(ae->title, called) == 0)
			return (ae);
	}
	return (any);
}

/*
 * For a called AE title that conf_ae_find() did not route, find the enabled
 * entry it would have matched without regard to case, for the log's hint.
 */
const struct conf_ae *
conf_ae_hint(const struct dul_conf *conf, const char *called)
{
	size_t	 i;

	if (conf->network.ae_title_match == CONF_AE_MATCH_NOCASE)
		return (NULL);
	for (i = 0; i < conf->nae; i++) {
		if (conf->ae[i].enabled &&
		    strcasecmp(conf->ae[i].title, called) == 0)
			return (&conf->ae[i]);
	}
	return (NULL);
}

/*
 * Check a calling AE title (trimmed) against the entry's calling_ae globs;
 * an empty list admits anyone.  Case follows network.ae_title_match.
 */
int
conf_calling_ae_ok(const struct dul_conf *conf, const struct conf_ae *ae,
    const char *calling)
{
	size_t	 i;
	int	 flags = 0;

	if (ae->ncalling_ae == 0)
		return (1);
	if (conf->network.ae_title_match == CONF_AE_MATCH_NOCASE)
		flags |= FNM_CASEFOLD;
	for (i = 0; i < ae->ncalling_ae; i++) {
		if (fnmatch(ae->calling_ae[i], calling, flags) == 0)
			return (1);
	}
	return (0);
}

/*
 * Check a peer address against the entry's calling_ip blocks.  An empty list
 * adds nothing to access.allow, which conf_access_ok() has applied already.
 */
int
conf_calling_ip_ok(const struct conf_ae *ae, const struct sockaddr *sa)
{
	if (ae->ncalling_ip == 0)
		return (1);
	return (conf_cidr_match(ae->calling_ip, ae->ncalling_ip, sa));
}

/* Tell whether a UID matches any pattern of a reference. */
static int
conf_uid_match(const struct conf_uidref *r, const char *uid)
{
	size_t	 i;

	for (i = 0; i < r->nuids; i++) {
		if (fnmatch(r->uids[i], uid, 0) == 0)
			return (1);
	}
	return (0);
}

/*
 * Decide one proposed presentation context from the entry's contexts: result
 * 3 if no context names the abstract syntax, 4 if none of the proposed
 * transfer syntaxes is allowed for it (PS3.8 Table 9-18), else acceptance
 * with the transfer syntax network.ts_preference picks: "ours" walks our
 * lists in order and takes the first the peer proposed, "theirs" takes the
 * first proposal any matching context allows.  A context that proposes no
 * transfer syntax at all gets 4.
 */
enum conf_pc_code
conf_pc_negotiate(const struct dul_conf *conf, const struct conf_ae *ae,
    const char *abstract, const char *const *ts, size_t nts,
    struct conf_pc_result *res)
{
	const struct conf_context	*c;
	size_t				 i, j, k;
	int				 found = 0;

	res->result = CONF_PC_ABSTRACT_NOT_SUPPORTED;
	res->ts_index = 0;
	res->peer_roles = CONF_ROLES_SCU;
	/* No transfer syntax sub-item: result 4 for this context alone. */
	if (nts == 0) {
		res->result = CONF_PC_TS_NOT_SUPPORTED;
		return (res->result);
	}
	if (conf->network.ts_preference == CONF_TS_THEIRS) {
		for (k = 0; k < nts; k++) {
			for (i = 0; i < ae->ncontexts; i++) {
				c = &ae->contexts[i];
				if (!conf_uid_match(&c->abstract, abstract))
					continue;
				found = 1;
				if (!conf_uid_match(&c->transfer, ts[k]))
					continue;
				res->result = CONF_PC_ACCEPTANCE;
				res->ts_index = k;
				res->peer_roles = c->peer_roles;
				return (res->result);
			}
		}
	} else {
		for (i = 0; i < ae->ncontexts; i++) {
			c = &ae->contexts[i];
			if (!conf_uid_match(&c->abstract, abstract))
				continue;
			found = 1;
			for (j = 0; j < c->transfer.nuids; j++) {
				for (k = 0; k < nts; k++) {
					if (fnmatch(c->transfer.uids[j], ts[k],
					    0) != 0)
						continue;
					res->result = CONF_PC_ACCEPTANCE;
					res->ts_index = k;
					res->peer_roles = c->peer_roles;
					return (res->result);
				}
			}
		}
	}
	if (found)
		res->result = CONF_PC_TS_NOT_SUPPORTED;
	return (res->result);
}
