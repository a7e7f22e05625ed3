/*
 * pdu_names.c: printable names for PS3.8 codes and codec errors, and the
 * helpers that judge and copy AE titles and UIDs for policy decisions.
 */

#include "compat.h"

#include <string.h>

#include "pdu.h"

static const char *const pdu_errors[PDU_ERR_COUNT] = {
	[0] = "success",
	[-PDU_ERR_UNKNOWN_TYPE] = "unknown PDU type",
	[-PDU_ERR_FIXED_LENGTH] = "fixed-length PDU with a length other than 4",
	[-PDU_ERR_ASSOC_SHORT] = "A-ASSOCIATE PDU shorter than its fixed part",
	[-PDU_ERR_ASSOC_TOO_LONG] = "A-ASSOCIATE PDU over the configured cap",
	[-PDU_ERR_PDATA_SHORT] = "P-DATA-TF too short for one PDV",
	[-PDU_ERR_PDATA_TOO_LONG] = "P-DATA-TF over the maximum length",
	[-PDU_ERR_TRUNCATED] = "buffer ends inside the PDU",
	[-PDU_ERR_ITEM_SHORT] = "no room left for an item header",
	[-PDU_ERR_ITEM_LENGTH] = "item length runs past its parent",
	[-PDU_ERR_ITEM_SIZE] = "item length does not match its layout",
	[-PDU_ERR_FIELD_LENGTH] = "field length runs past its item",
	[-PDU_ERR_PDV_LENGTH] = "PDV item length below 2",
	[-PDU_ERR_PCTX_ID] = "presentation context ID even or zero",
	[-PDU_ERR_PCTX_DUP_ID] = "presentation context ID used twice",
	[-PDU_ERR_TOO_MANY_PCTX] = "more than 128 presentation contexts",
	[-PDU_ERR_NO_APP_CONTEXT] = "no application context item",
	[-PDU_ERR_DUP_APP_CONTEXT] = "more than one application context item",
	[-PDU_ERR_NO_PCTX] = "no presentation context item",
	[-PDU_ERR_NO_USER_INFO] = "no user information item",
	[-PDU_ERR_DUP_USER_INFO] = "more than one user information item",
	[-PDU_ERR_NO_ABSTRACT_SYNTAX] =
	    "presentation context without an abstract syntax",
	[-PDU_ERR_DUP_ABSTRACT_SYNTAX] =
	    "presentation context with two abstract syntaxes",
	[-PDU_ERR_NO_TRANSFER_SYNTAX] =
	    "accepted presentation context without a transfer syntax",
	[-PDU_ERR_DUP_TRANSFER_SYNTAX] =
	    "accepted presentation context with two transfer syntaxes",
	[-PDU_ERR_DUP_SUBITEM] = "user information sub-item repeated",
	[-PDU_ERR_UNEXPECTED_ITEM] =
	    "presentation context item of the other direction",
	[-PDU_ERR_SPACE] = "buffer too small for the PDU",
	[-PDU_ERR_VALUE] = "value cannot be sent",
	[-PDU_ERR_STRING] = "string too long or holding a NUL",
};

static const char *const pdu_type_names[] = {
	[PDU_ASSOC_RQ] = "A-ASSOCIATE-RQ",
	[PDU_ASSOC_AC] = "A-ASSOCIATE-AC",
	[PDU_ASSOC_RJ] = "A-ASSOCIATE-RJ",
	[PDU_P_DATA_TF] = "P-DATA-TF",
	[PDU_RELEASE_RQ] = "A-RELEASE-RQ",
	[PDU_RELEASE_RP] = "A-RELEASE-RP",
	[PDU_ABORT] = "A-ABORT",
};

static const char *const pdu_item_names[] = {
	[PDU_ITEM_APP_CONTEXT] = "application-context",
	[PDU_ITEM_PCTX_RQ] = "presentation-context-RQ",
	[PDU_ITEM_PCTX_AC] = "presentation-context-AC",
	[PDU_ITEM_ABSTRACT_SYNTAX] = "abstract-syntax",
	[PDU_ITEM_TRANSFER_SYNTAX] = "transfer-syntax",
	[PDU_ITEM_USER_INFO] = "user-information",
	[PDU_ITEM_MAX_LENGTH] = "maximum-length",
	[PDU_ITEM_IMPL_CLASS_UID] = "implementation-class-UID",
	[PDU_ITEM_ASYNC_OPS] = "asynchronous-operations-window",
	[PDU_ITEM_ROLE_SELECTION] = "SCP/SCU-role-selection",
	[PDU_ITEM_IMPL_VERSION] = "implementation-version-name",
	[PDU_ITEM_SOP_EXT_NEG] = "SOP-class-extended-negotiation",
	[PDU_ITEM_SOP_COMMON_EXT_NEG] =
	    "SOP-class-common-extended-negotiation",
	[PDU_ITEM_USER_IDENTITY_RQ] = "user-identity-RQ",
	[PDU_ITEM_USER_IDENTITY_AC] = "user-identity-AC",
};

static const char *const pdu_rj_result_names[] = {
	[PDU_RJ_PERMANENT] = "rejected-permanent",
	[PDU_RJ_TRANSIENT] = "rejected-transient",
};

static const char *const pdu_rj_source_names[] = {
	[PDU_RJ_SOURCE_USER] = "service-user",
	[PDU_RJ_SOURCE_PROVIDER_ACSE] = "service-provider-ACSE",
	[PDU_RJ_SOURCE_PROVIDER_PRES] = "service-provider-presentation",
};

static const char *const pdu_rj_user_reasons[] = {
	[PDU_RJ_USER_NO_REASON] = "no-reason-given",
	[PDU_RJ_USER_APP_CONTEXT_NOT_SUPPORTED] =
	    "application-context-name-not-supported",
	[PDU_RJ_USER_CALLING_AE_NOT_RECOGNIZED] =
	    "calling-AE-title-not-recognized",
	[PDU_RJ_USER_CALLED_AE_NOT_RECOGNIZED] =
	    "called-AE-title-not-recognized",
};

static const char *const pdu_rj_acse_reasons[] = {
	[PDU_RJ_ACSE_NO_REASON] = "no-reason-given",
	[PDU_RJ_ACSE_PROTOCOL_VERSION] = "protocol-version-not-supported",
};

static const char *const pdu_rj_pres_reasons[] = {
	[PDU_RJ_PRES_TEMPORARY_CONGESTION] = "temporary-congestion",
	[PDU_RJ_PRES_LOCAL_LIMIT_EXCEEDED] = "local-limit-exceeded",
};

static const char *const pdu_abort_source_names[] = {
	[PDU_ABORT_SOURCE_USER] = "service-user",
	[PDU_ABORT_SOURCE_RESERVED] = "reserved",
	[PDU_ABORT_SOURCE_PROVIDER] = "service-provider",
};

static const char *const pdu_abort_reason_names[] = {
	[PDU_ABORT_NOT_SPECIFIED] = "reason-not-specified",
	[PDU_ABORT_UNRECOGNIZED_PDU] = "unrecognized-PDU",
	[PDU_ABORT_UNEXPECTED_PDU] = "unexpected-PDU",
	[3] = "reserved",
	[PDU_ABORT_UNRECOGNIZED_PARAM] = "unrecognized-PDU-parameter",
	[PDU_ABORT_UNEXPECTED_PARAM] = "unexpected-PDU-parameter",
	[PDU_ABORT_INVALID_PARAM] = "invalid-PDU-parameter-value",
};

static const char *const pdu_pctx_result_names[] = {
	[PDU_PCTX_ACCEPTANCE] = "acceptance",
	[PDU_PCTX_USER_REJECTION] = "user-rejection",
	[PDU_PCTX_NO_REASON] = "no-reason",
	[PDU_PCTX_ABSTRACT_SYNTAX_NOT_SUPPORTED] =
	    "abstract-syntax-not-supported",
	[PDU_PCTX_TRANSFER_SYNTAXES_NOT_SUPPORTED] =
	    "transfer-syntaxes-not-supported",
};

static const char *const pdu_user_identity_names[] = {
	[PDU_USER_ID_USERNAME] = "username",
	[PDU_USER_ID_USERNAME_PASSCODE] = "username-and-passcode",
	[PDU_USER_ID_KERBEROS] = "kerberos-service-ticket",
	[PDU_USER_ID_SAML] = "saml-assertion",
	[PDU_USER_ID_JWT] = "json-web-token",
};

static const char *const pdu_ae_problems[] = {
	[PDU_AE_OK] = "valid",
	[PDU_AE_EMPTY] = "empty or all spaces",
	[PDU_AE_TOO_LONG] = "longer than 16 bytes",
	[PDU_AE_BACKSLASH] = "holds a backslash",
	[PDU_AE_CONTROL] = "holds a control character",
	[PDU_AE_NON_ASCII] = "holds a byte outside ASCII",
};

static const char	*lookup(const char *const *, size_t, unsigned int);
static const char *const *rj_reasons(uint8_t, size_t *);

/* Look a code up in a sparse name table; "unknown" when it has none. */
static const char *
lookup(const char *const *names, size_t n, unsigned int code)
{
	if (code >= n || names[code] == NULL)
		return ("unknown");
	return (names[code]);
}

/* Find the table of A-ASSOCIATE-RJ reasons for a source, or NULL. */
static const char *const *
rj_reasons(uint8_t source, size_t *n)
{
	switch (source) {
	case PDU_RJ_SOURCE_USER:
		*n = nitems(pdu_rj_user_reasons);
		return (pdu_rj_user_reasons);
	case PDU_RJ_SOURCE_PROVIDER_ACSE:
		*n = nitems(pdu_rj_acse_reasons);
		return (pdu_rj_acse_reasons);
	case PDU_RJ_SOURCE_PROVIDER_PRES:
		*n = nitems(pdu_rj_pres_reasons);
		return (pdu_rj_pres_reasons);
	default:
		*n = 0;
		return (NULL);
	}
}

/* Describe a codec error. */
const char *
pdu_strerror(int err)
{
	if (err > 0 || err <= -PDU_ERR_COUNT)
		return ("unknown error");
	return (pdu_errors[-err]);
}

/*
 * Give the A-ABORT reason (source 2) for a decode error, by the project's
 * policy: 1 for an unknown PDU type, 5 for an item that should not be
 * there, 6 for an invalid value (a bad length, a bad context ID, a PDU
 * over the maximum), 0 for anything else.
 */
uint8_t
pdu_err_abort_reason(int err)
{
	switch (err) {
	case PDU_ERR_UNKNOWN_TYPE:
		return (PDU_ABORT_UNRECOGNIZED_PDU);
	case PDU_ERR_FIXED_LENGTH:
	case PDU_ERR_ASSOC_SHORT:
	case PDU_ERR_ASSOC_TOO_LONG:
	case PDU_ERR_PDATA_SHORT:
	case PDU_ERR_PDATA_TOO_LONG:
	case PDU_ERR_ITEM_SHORT:
	case PDU_ERR_ITEM_LENGTH:
	case PDU_ERR_ITEM_SIZE:
	case PDU_ERR_FIELD_LENGTH:
	case PDU_ERR_PDV_LENGTH:
	case PDU_ERR_PCTX_ID:
	case PDU_ERR_PCTX_DUP_ID:
	case PDU_ERR_TOO_MANY_PCTX:
		return (PDU_ABORT_INVALID_PARAM);
	case PDU_ERR_DUP_APP_CONTEXT:
	case PDU_ERR_DUP_USER_INFO:
	case PDU_ERR_DUP_ABSTRACT_SYNTAX:
	case PDU_ERR_DUP_TRANSFER_SYNTAX:
	case PDU_ERR_DUP_SUBITEM:
	case PDU_ERR_UNEXPECTED_ITEM:
		return (PDU_ABORT_UNEXPECTED_PARAM);
	default:
		return (PDU_ABORT_NOT_SPECIFIED);
	}
}

/* Name a PDU type. */
const char *
pdu_type_name(uint8_t type)
{
	return (lookup(pdu_type_names, nitems(pdu_type_names), type));
}

/* Name an item or sub-item type. */
const char *
pdu_item_name(uint8_t type)
{
	return (lookup(pdu_item_names, nitems(pdu_item_names), type));
}

/* Name an A-ASSOCIATE-RJ result. */
const char *
pdu_rj_result_name(uint8_t result)
{
	return (lookup(pdu_rj_result_names, nitems(pdu_rj_result_names),
	    result));
}

/* Name an A-ASSOCIATE-RJ source. */
const char *
pdu_rj_source_name(uint8_t source)
{
	return (lookup(pdu_rj_source_names, nitems(pdu_rj_source_names),
	    source));
}

/* Name an A-ASSOCIATE-RJ reason, which depends on its source. */
const char *
pdu_rj_reason_name(uint8_t source, uint8_t reason)
{
	const char *const	*names;
	size_t			 n;

	if ((names = rj_reasons(source, &n)) == NULL)
		return ("unknown");
	return (lookup(names, n, reason));
}

/* Name an A-ABORT source. */
const char *
pdu_abort_source_name(uint8_t source)
{
	return (lookup(pdu_abort_source_names,
	    nitems(pdu_abort_source_names), source));
}

/* Name an A-ABORT reason (meaningful when the source is 2). */
const char *
pdu_abort_reason_name(uint8_t reason)
{
	return (lookup(pdu_abort_reason_names,
	    nitems(pdu_abort_reason_names), reason));
}

/* Name a presentation context result. */
const char *
pdu_pctx_result_name(uint8_t result)
{
	return (lookup(pdu_pctx_result_names, nitems(pdu_pctx_result_names),
	    result));
}

/* Name a user identity type. */
const char *
pdu_user_identity_type_name(uint8_t type)
{
	return (lookup(pdu_user_identity_names,
	    nitems(pdu_user_identity_names), type));
}

/* Describe an AE title problem. */
const char *
pdu_ae_problem_name(enum pdu_ae_problem p)
{
	return (lookup(pdu_ae_problems, nitems(pdu_ae_problems),
	    (unsigned int)p));
}

/* Tell whether (result, source, reason) is a triple of PS3.8 Table 9-21. */
int
pdu_rj_valid(uint8_t result, uint8_t source, uint8_t reason)
{
	const char *const	*names;
	size_t			 n;

	if (result != PDU_RJ_PERMANENT && result != PDU_RJ_TRANSIENT)
		return (0);
	if ((names = rj_reasons(source, &n)) == NULL)
		return (0);
	return (reason < n && names[reason] != NULL);
}

/* Tell whether (source, reason) is a pair of PS3.8 Table 9-26. */
int
pdu_abort_valid(uint8_t source, uint8_t reason)
{
	if (source == PDU_ABORT_SOURCE_USER)
		return (reason == 0);
	if (source != PDU_ABORT_SOURCE_PROVIDER || reason == 3)
		return (0);
	return (reason <= PDU_ABORT_INVALID_PARAM);
}

/* Tell whether a protocol version includes ours: PS3.8 tests bit 0 only. */
int
pdu_version_ok(uint16_t version)
{
	return ((version & 0x0001) != 0);
}

/*
 * Tell whether bytes are a UID as PS3.5 9.1 spells them: 1 to 64
 * characters, dot-separated non-empty decimal components, none with a
 * leading zero unless it is "0" itself, and no padding.
 */
int
pdu_uid_valid(const void *p, size_t len)
{
	const uint8_t	*s = p;
	size_t		 i, start = 0;

	if (len == 0 || len > PDU_UID_MAX)
		return (0);
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (i == start)
				return (0);
			if (s[start] == '0' && i - start > 1)
				return (0);
			start = i + 1;
		} else if (s[i] < '0' || s[i] > '9')
			return (0);
	}
	return (1);
}

/*
 * Strip what peers pad UIDs with: trailing spaces and one trailing NUL
 * (PS3.5 9.1 pads to even length; the network does not, but some send it).
 */
struct pdu_str
pdu_uid_trim(const void *p, size_t len)
{
	struct pdu_str	 s;

	s.p = p;
	while (len > 0 && s.p[len - 1] == ' ')
		len--;
	if (len > 0 && s.p[len - 1] == '\0')
		len--;
	while (len > 0 && s.p[len - 1] == ' ')
		len--;
	s.len = len;
	return (s);
}

/*
 * Copy a received UID, trimmed, into dst (PDU_UID_MAX + 1 bytes) as a C
 * string.  Validity is pdu_uid_valid()'s business; this only refuses what
 * a C string cannot hold faithfully.
 */
int
pdu_uid_copy(char *dst, const void *p, size_t len)
{
	struct pdu_str	 s = pdu_uid_trim(p, len);

	dst[0] = '\0';
	if (s.len > PDU_UID_MAX)
		return (PDU_ERR_STRING);
	if (s.len > 0) {
		if (memchr(s.p, '\0', s.len) != NULL)
			return (PDU_ERR_STRING);
		memcpy(dst, s.p, s.len);
	}
	dst[s.len] = '\0';
	return (PDU_OK);
}

/*
 * Strip the padding of an AE title: leading and trailing spaces are not
 * significant (PS3.8 Table 9-11), and trailing NULs are taken as padding.
 */
struct pdu_str
pdu_ae_trim(const void *p, size_t len)
{
	struct pdu_str	 s;

	s.p = p;
	while (len > 0 && (s.p[len - 1] == ' ' || s.p[len - 1] == '\0'))
		len--;
	while (len > 0 && s.p[0] == ' ') {
		s.p++;
		len--;
	}
	s.len = len;
	return (s);
}

/*
 * Judge an AE title for policy (PS3.5 AE, PS3.8 Table 9-11): at most 16
 * bytes, not all padding, and only printable ASCII without a backslash.
 */
enum pdu_ae_problem
pdu_ae_check(const void *p, size_t len)
{
	struct pdu_str	 s;
	size_t		 i;

	if (len > PDU_AE_LEN)
		return (PDU_AE_TOO_LONG);
	s = pdu_ae_trim(p, len);
	if (s.len == 0)
		return (PDU_AE_EMPTY);
	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '\\')
			return (PDU_AE_BACKSLASH);
		if (s.p[i] < 0x20 || s.p[i] == 0x7f)
			return (PDU_AE_CONTROL);
		if (s.p[i] >= 0x80)
			return (PDU_AE_NON_ASCII);
	}
	return (PDU_AE_OK);
}

/*
 * Copy an AE title, trimmed, into dst (PDU_AE_LEN + 1 bytes) as a C
 * string.  A NUL inside the title is refused: as a C string it would
 * silently turn into a shorter, different title.
 */
int
pdu_ae_copy(char *dst, const void *p, size_t len)
{
	struct pdu_str	 s;

	dst[0] = '\0';
	if (len > PDU_AE_LEN)
		return (PDU_ERR_STRING);
	s = pdu_ae_trim(p, len);
	if (s.len > 0) {
		if (memchr(s.p, '\0', s.len) != NULL)
			return (PDU_ERR_STRING);
		memcpy(dst, s.p, s.len);
	}
	dst[s.len] = '\0';
	return (PDU_OK);
}
