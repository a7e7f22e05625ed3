/*
 * pdu.h: the PS3.8 Upper Layer PDU codec.
 *
 * The codec is pure: bytes in, structs out (and back), with no I/O, no
 * logging, no globals and no allocation.  Numbers in enums are the
 * standard's own, so a value in a log line can be looked up in PS3.8.
 *
 * Reading is done in two steps, as a worker reads the socket:
 *
 *	uint8_t		 hdr[PDU_HDR_LEN];
 *	struct pdu_hdr	 h;
 *	struct pdu	 p;
 *
 *	read exactly 6 bytes into hdr;
 *	if ((r = pdu_header_check(hdr, &lim, PDU_PHASE_ASSOCIATED, &h)) < 0)
 *		Evt19, abort reason pdu_err_abort_reason(r);
 *	read exactly h.len bytes into body (h.len is now known to be bounded);
 *	if ((r = pdu_decode_body(h.type, body, h.len, &p)) < 0)
 *		Evt19, abort reason pdu_err_abort_reason(r);
 *
 * Decoding is zero-copy: every string in a decoded struct is a view
 * (struct pdu_str) into the caller's body buffer, which must outlive the
 * struct.  Strings are raw bytes exactly as received (not trimmed, not
 * NUL-terminated); pdu_ae_copy() and pdu_uid_copy() turn them into C
 * strings.  Variable-length lists that can be long (the transfer syntaxes
 * of a context, the related general SOP classes of a 0x57 sub-item, the
 * PDVs of a P-DATA-TF) are validated whole by the decoder and then walked
 * with an iterator (struct pdu_iter), so nothing is truncated.
 *
 * Rules the decoders follow (PS3.8 9.3.1 and Annex D):
 * - reserved fields are never tested, whatever their value;
 * - items and sub-items of unknown type are skipped and counted, never an
 *   error (0x57 with a sub-item version other than 0 counts as unknown);
 * - every length is checked against its parent before anything is read,
 *   and a length that runs past its parent is an error, never a clamp;
 * - values that are a matter of policy are not decode errors: protocol
 *   version bit 0, the application context name, AE titles, UID syntax,
 *   empty or over-long abstract syntaxes, a context without a transfer
 *   syntax, missing 0x51/0x52, role bytes, user identity types.  The
 *   worker decides those with the helpers below.
 *
 * Encoders write one whole PDU into one caller-supplied buffer, so it can
 * go out with one write(), and return its length or a negative error
 * (PDU_ERR_SPACE when the buffer is too small).  Reserved fields are sent
 * as zero, except the 64 bytes an A-ASSOCIATE-AC echoes from the RQ.
 */
#ifndef DUL_PDU_H
#define DUL_PDU_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define PDU_HDR_LEN		6	/* type, reserved, u32 PDU-length */
#define PDU_PDV_HDR_LEN		6	/* u32 item length, context ID, MCH */
#define PDU_PDATA_HDR_LEN	12	/* PDU header + one PDV header */
#define PDU_FIXED_BODY_LEN	4	/* RJ, RELEASE-RQ/RP, ABORT */
#define PDU_ASSOC_FIXED_LEN	68	/* RQ/AC body before the items */
#define PDU_AE_LEN		16	/* AE title field, space padded */
#define PDU_AE_ECHO_LEN		64	/* RQ offsets 10..73, for the AC */
#define PDU_UID_MAX		64	/* PS3.5 9.1 */
#define PDU_MAX_PCTX		128	/* odd IDs 1..255 */
#define PDU_MAX_ROLES		128	/* 0x54 sub-items kept */
#define PDU_MAX_EXT_NEG		128	/* 0x56 sub-items kept */
#define PDU_MAX_COMMON_EXT_NEG	128	/* 0x57 sub-items kept */
#define PDU_ITEM_MAX_LEN	0xffff	/* 16-bit item length */

#define PDU_DEFAULT_MAX_ASSOC_LEN	(1024 * 1024)	/* as DCMTK's cap */
#define PDU_DEFAULT_MAX_PDATA_LEN	16384

#define PDU_PROTOCOL_VERSION	0x0001	/* sent; only bit 0 is tested */
#define PDU_APP_CONTEXT_NAME	"1.2.840.10008.3.1.1.1"

/* Message control header (PS3.8 E.2); bits 2-7 are never checked. */
#define PDU_MCH_COMMAND		0x01	/* command, else data set fragment */
#define PDU_MCH_LAST		0x02	/* last fragment of the message */
#define PDU_MCH_MASK		0x03

/* PDU types (PS3.8 Table 9-11 and on). */
enum pdu_type {
	PDU_NONE		= 0,
	PDU_ASSOC_RQ		= 0x01,
	PDU_ASSOC_AC		= 0x02,
	PDU_ASSOC_RJ		= 0x03,
	PDU_P_DATA_TF		= 0x04,
	PDU_RELEASE_RQ		= 0x05,
	PDU_RELEASE_RP		= 0x06,
	PDU_ABORT		= 0x07,
};

/* Item and sub-item types (PS3.8 9.3.2, Annex D; PS3.7 Annex D.3.3). */
enum pdu_item_type {
	PDU_ITEM_APP_CONTEXT		= 0x10,
	PDU_ITEM_PCTX_RQ		= 0x20,
	PDU_ITEM_PCTX_AC		= 0x21,
	PDU_ITEM_ABSTRACT_SYNTAX	= 0x30,
	PDU_ITEM_TRANSFER_SYNTAX	= 0x40,
	PDU_ITEM_USER_INFO		= 0x50,
	PDU_ITEM_MAX_LENGTH		= 0x51,
	PDU_ITEM_IMPL_CLASS_UID		= 0x52,
	PDU_ITEM_ASYNC_OPS		= 0x53,
	PDU_ITEM_ROLE_SELECTION		= 0x54,
	PDU_ITEM_IMPL_VERSION		= 0x55,
	PDU_ITEM_SOP_EXT_NEG		= 0x56,
	PDU_ITEM_SOP_COMMON_EXT_NEG	= 0x57,
	PDU_ITEM_USER_IDENTITY_RQ	= 0x58,
	PDU_ITEM_USER_IDENTITY_AC	= 0x59,
};

/* A-ASSOCIATE-RJ result, byte 8 (PS3.8 Table 9-21). */
enum pdu_rj_result {
	PDU_RJ_PERMANENT	= 1,
	PDU_RJ_TRANSIENT	= 2,
};

/* A-ASSOCIATE-RJ source, byte 9 (PS3.8 Table 9-21). */
enum pdu_rj_source {
	PDU_RJ_SOURCE_USER		= 1,
	PDU_RJ_SOURCE_PROVIDER_ACSE	= 2,
	PDU_RJ_SOURCE_PROVIDER_PRES	= 3,
};

/* A-ASSOCIATE-RJ reason, byte 10: its meaning depends on the source. */
enum pdu_rj_reason {
	/* source 1, service-user */
	PDU_RJ_USER_NO_REASON			= 1,
	PDU_RJ_USER_APP_CONTEXT_NOT_SUPPORTED	= 2,
	PDU_RJ_USER_CALLING_AE_NOT_RECOGNIZED	= 3,
	PDU_RJ_USER_CALLED_AE_NOT_RECOGNIZED	= 7,
	/* source 2, service-provider (ACSE) */
	PDU_RJ_ACSE_NO_REASON			= 1,
	PDU_RJ_ACSE_PROTOCOL_VERSION		= 2,
	/* source 3, service-provider (presentation) */
	PDU_RJ_PRES_TEMPORARY_CONGESTION	= 1,
	PDU_RJ_PRES_LOCAL_LIMIT_EXCEEDED	= 2,
};

/* A-ABORT source, byte 9 (PS3.8 Table 9-26). */
enum pdu_abort_source {
	PDU_ABORT_SOURCE_USER		= 0,
	PDU_ABORT_SOURCE_RESERVED	= 1,	/* treat as user on receipt */
	PDU_ABORT_SOURCE_PROVIDER	= 2,
};

/* A-ABORT reason, byte 10, meaningful when the source is 2. */
enum pdu_abort_reason {
	PDU_ABORT_NOT_SPECIFIED		= 0,
	PDU_ABORT_UNRECOGNIZED_PDU	= 1,
	PDU_ABORT_UNEXPECTED_PDU	= 2,
	PDU_ABORT_UNRECOGNIZED_PARAM	= 4,
	PDU_ABORT_UNEXPECTED_PARAM	= 5,
	PDU_ABORT_INVALID_PARAM		= 6,
};

/* Presentation context result/reason, 0x21 byte 7 (PS3.8 Table 9-18). */
enum pdu_pctx_result {
	PDU_PCTX_ACCEPTANCE			= 0,
	PDU_PCTX_USER_REJECTION			= 1,
	PDU_PCTX_NO_REASON			= 2,
	PDU_PCTX_ABSTRACT_SYNTAX_NOT_SUPPORTED	= 3,
	PDU_PCTX_TRANSFER_SYNTAXES_NOT_SUPPORTED = 4,
};

/* User-Identity-Type, 0x58 byte 5 (PS3.7 Table D.3-14). */
enum pdu_user_identity_type {
	PDU_USER_ID_USERNAME		= 1,
	PDU_USER_ID_USERNAME_PASSCODE	= 2,
	PDU_USER_ID_KERBEROS		= 3,
	PDU_USER_ID_SAML		= 4,
	PDU_USER_ID_JWT			= 5,
};

/*
 * Decode and encode errors.  Each decode error maps to the A-ABORT reason
 * of the project's policy through pdu_err_abort_reason().  Unknown items
 * are skipped rather than refused, so no error maps to reason 4.
 */
#define PDU_OK				  0
#define PDU_ERR_UNKNOWN_TYPE		 -1	/* PDU type not 1..7 */
#define PDU_ERR_FIXED_LENGTH		 -2	/* RJ/RELEASE/ABORT not 4 */
#define PDU_ERR_ASSOC_SHORT		 -3	/* RQ/AC length < 68 */
#define PDU_ERR_ASSOC_TOO_LONG		 -4	/* RQ/AC length over the cap */
#define PDU_ERR_PDATA_SHORT		 -5	/* P-DATA length < 6 */
#define PDU_ERR_PDATA_TOO_LONG		 -6	/* P-DATA over our maximum */
#define PDU_ERR_TRUNCATED		 -7	/* buffer ends inside the PDU */
#define PDU_ERR_ITEM_SHORT		 -8	/* no room for an item header */
#define PDU_ERR_ITEM_LENGTH		 -9	/* item runs past its parent */
#define PDU_ERR_ITEM_SIZE		-10	/* item length vs its layout */
#define PDU_ERR_FIELD_LENGTH		-11	/* field runs past its item */
#define PDU_ERR_PDV_LENGTH		-12	/* PDV item length < 2 */
#define PDU_ERR_PCTX_ID			-13	/* even or zero context ID */
#define PDU_ERR_PCTX_DUP_ID		-14	/* context ID seen twice */
#define PDU_ERR_TOO_MANY_PCTX		-15	/* more than 128 contexts */
#define PDU_ERR_NO_APP_CONTEXT		-16	/* no 0x10 item */
#define PDU_ERR_DUP_APP_CONTEXT		-17	/* two 0x10 items */
#define PDU_ERR_NO_PCTX			-18	/* no 0x20 (RQ) / 0x21 (AC) */
#define PDU_ERR_NO_USER_INFO		-19	/* no 0x50 item */
#define PDU_ERR_DUP_USER_INFO		-20	/* two 0x50 items */
#define PDU_ERR_NO_ABSTRACT_SYNTAX	-21	/* 0x20 without 0x30 */
#define PDU_ERR_DUP_ABSTRACT_SYNTAX	-22	/* 0x20 with two 0x30 */
#define PDU_ERR_NO_TRANSFER_SYNTAX	-23	/* accepted 0x21 without 0x40 */
#define PDU_ERR_DUP_TRANSFER_SYNTAX	-24	/* 0x21 with two 0x40 */
#define PDU_ERR_DUP_SUBITEM		-25	/* 0x51/52/53/55/58/59 twice */
#define PDU_ERR_UNEXPECTED_ITEM		-26	/* 0x21 in RQ, 0x20 in AC */
#define PDU_ERR_SPACE			-27	/* encode buffer too small */
#define PDU_ERR_VALUE			-28	/* value that cannot be sent */
#define PDU_ERR_STRING			-29	/* too long, or a NUL */
#define PDU_ERR_COUNT			 30	/* number of codes, with 0 */

/* Where we are, for pdu_header_check(). */
enum pdu_phase {
	PDU_PHASE_AWAIT_RQ	= 1,	/* no maximum length announced yet */
	PDU_PHASE_ASSOCIATED	= 2,	/* our AC announced max_pdata_len */
};

/* Caps the caller configures; NULL, or a zero field, means the default. */
struct pdu_limits {
	uint32_t	 max_assoc_len;	/* RQ/AC PDU-length cap */
	uint32_t	 max_pdata_len;	/* our announced maximum length */
};

/* What the 6-byte header says. */
struct pdu_hdr {
	uint8_t		 type;		/* enum pdu_type, or the raw byte */
	uint32_t	 len;		/* PDU-length: bytes after the header */
};

/* A view into the caller's buffer: raw bytes, not NUL-terminated. */
struct pdu_str {
	const uint8_t	*p;
	size_t		 len;
};

/*
 * One presentation context.  In an RQ: id, abstract_syntax, and the
 * transfer syntaxes (n_ts of them; ts is the first).  In an AC: id,
 * result and ts, the one transfer syntax (empty if a rejected context
 * came without one; n_ts says how many were present, 0 or 1).
 *
 * To encode an RQ, set ts_list to an array of n_ts transfer syntaxes, or
 * only ts for a single one.  A decoded context has ts_list NULL and keeps
 * its raw sub-items in sub/sublen, so it can be walked with pdu_ts_iter()
 * and encoded again.
 */
struct pdu_pctx {
	uint8_t			 id;
	uint8_t			 result;	/* AC: enum pdu_pctx_result */
	struct pdu_str		 abstract_syntax;
	struct pdu_str		 ts;
	unsigned int		 n_ts;
	const struct pdu_str	*ts_list;
	const uint8_t		*sub;
	size_t			 sublen;
	unsigned int		 skipped;	/* unknown sub-items */
};

/* 0x54 SCP/SCU role selection: 0 or 1 each, raw (values >1 possible). */
struct pdu_role {
	struct pdu_str	 sop_class;
	uint8_t		 scu;
	uint8_t		 scp;
};

/* 0x56 SOP class extended negotiation. */
struct pdu_ext_neg {
	struct pdu_str	 sop_class;
	struct pdu_str	 info;		/* service-class application info */
};

/*
 * 0x57 SOP class common extended negotiation.  The related general SOP
 * classes are walked with pdu_related_iter(); to encode, set related_list
 * to an array of n_related UIDs, or leave it NULL and give the raw list
 * (u16 length + UID, repeated) in related.
 */
struct pdu_common_ext_neg {
	struct pdu_str		 sop_class;
	struct pdu_str		 service_class;
	struct pdu_str		 related;
	unsigned int		 n_related;
	const struct pdu_str	*related_list;
};

/* 0x58 user identity negotiation (RQ). */
struct pdu_user_identity {
	uint8_t		 type;		/* enum pdu_user_identity_type, raw */
	uint8_t		 positive_response;
	struct pdu_str	 primary;
	struct pdu_str	 secondary;
};

/*
 * The user information item, 0x50.  A singleton sub-item is there when
 * its has_ flag is set.  Repeating sub-items beyond the PDU_MAX_* bounds
 * are not kept: they are counted in *_dropped (an RQ proposes at most
 * 128 contexts, so more than 128 of them cannot all be meaningful).
 */
struct pdu_user_info {
	int				 has_max_length;
	uint32_t			 max_length;	/* 0: no maximum */
	int				 has_impl_class_uid;
	struct pdu_str			 impl_class_uid;
	int				 has_async_ops;
	uint16_t			 async_invoked;
	uint16_t			 async_performed;
	int				 has_impl_version;
	struct pdu_str			 impl_version;
	int				 has_user_identity;	/* 0x58 */
	struct pdu_user_identity	 user_identity;
	int				 has_user_identity_ac;	/* 0x59 */
	struct pdu_str			 server_response;
	unsigned int			 n_roles;
	unsigned int			 roles_dropped;
	struct pdu_role			 roles[PDU_MAX_ROLES];
	unsigned int			 n_ext_neg;
	unsigned int			 ext_neg_dropped;
	struct pdu_ext_neg		 ext_neg[PDU_MAX_EXT_NEG];
	unsigned int			 n_common_ext_neg;
	unsigned int			 common_ext_neg_dropped;
	struct pdu_common_ext_neg	 common_ext_neg[PDU_MAX_COMMON_EXT_NEG];
	unsigned int			 skipped;	/* unknown sub-items */
};

/*
 * A-ASSOCIATE-RQ and -AC.  called_ae and calling_ae are the raw 16-byte
 * fields; echo points at the 64 bytes at offsets 10..73 (both titles and
 * the 32 reserved bytes) that an AC must send back verbatim.  To encode,
 * AE titles of up to 16 bytes are padded with spaces; an AC with echo set
 * sends those 64 bytes instead.  On a decode error, err_item is the type
 * of the innermost item being read (0: the fixed part) and err_offset its
 * offset in the body, for the log line.
 */
struct pdu_assoc {
	uint16_t		 protocol_version;
	struct pdu_str		 called_ae;
	struct pdu_str		 calling_ae;
	const uint8_t		*echo;
	struct pdu_str		 app_context;
	unsigned int		 n_pctx;
	struct pdu_pctx		 pctx[PDU_MAX_PCTX];
	struct pdu_user_info	 ui;
	unsigned int		 skipped;	/* unknown items */
	uint8_t			 err_item;
	size_t			 err_offset;
};

/* A-ASSOCIATE-RJ, raw bytes: see pdu_rj_valid() and the name functions. */
struct pdu_assoc_rj {
	uint8_t		 result;
	uint8_t		 source;
	uint8_t		 reason;
};

/* A-ABORT, raw bytes. */
struct pdu_abort {
	uint8_t		 source;
	uint8_t		 reason;
};

/* One PDV; mch is the message control header masked with 0x03. */
struct pdu_pdv {
	uint8_t		 pcid;
	uint8_t		 mch;
	const uint8_t	*data;
	size_t		 len;
};

/* P-DATA-TF: its validated PDV items, walked with pdu_pdv_iter(). */
struct pdu_pdata {
	const uint8_t	*items;
	size_t		 len;
	unsigned int	 n_pdv;
	size_t		 err_offset;
};

/* Any decoded PDU. */
struct pdu {
	uint8_t		 type;		/* enum pdu_type */
	uint32_t	 len;		/* PDU-length */
	union {
		struct pdu_assoc	 assoc;		/* RQ, AC */
		struct pdu_assoc_rj	 rj;
		struct pdu_pdata	 pdata;
		struct pdu_abort	 abort;
	} u;
};

/* Walks a list that the decoder has already validated. */
struct pdu_iter {
	const uint8_t		*p;
	const uint8_t		*end;
	const struct pdu_str	*list;
	unsigned int		 i;
	unsigned int		 n;
	int			 kind;
};

/* AE title problems, for policy (never a decode error). */
enum pdu_ae_problem {
	PDU_AE_OK		= 0,
	PDU_AE_EMPTY		= 1,	/* nothing but padding */
	PDU_AE_TOO_LONG		= 2,	/* over 16 bytes */
	PDU_AE_BACKSLASH	= 3,
	PDU_AE_CONTROL		= 4,	/* control character, NUL inside */
	PDU_AE_NON_ASCII	= 5,	/* byte >= 0x80 */
};

/*
 * Reading (pdu.c).
 *
 * pdu_header_check() takes the 6 header bytes and returns PDU_OK or one of
 * PDU_ERR_UNKNOWN_TYPE, _FIXED_LENGTH, _ASSOC_SHORT, _ASSOC_TOO_LONG,
 * _PDATA_SHORT, _PDATA_TOO_LONG; the type byte and the length are stored
 * in *h either way, for the log line.  lim may be NULL, and a zero field
 * means its default.  RQ and AC are held to lim->max_assoc_len; P-DATA-TF
 * to lim->max_pdata_len in PDU_PHASE_ASSOCIATED, and to max_assoc_len
 * before (nothing announced yet; the state table aborts anyway).
 *
 * pdu_decode_body() decodes h.len body bytes for type h.type into *pdu;
 * the per-type decoders below do the same for one type each.  They return
 * PDU_OK or a negative PDU_ERR_*; on failure the struct is half filled
 * and only err_item/err_offset mean anything.  pdu_decode() does both
 * steps on a buffer that holds a whole PDU (PDU_ERR_TRUNCATED if it does
 * not) and stores the PDU's size in *used (may be NULL).
 *
 * The iterators walk lists that were validated when decoded:
 *	struct pdu_iter it; struct pdu_str ts;
 *	pdu_ts_iter(&it, &rq->pctx[i]);
 *	while (pdu_iter_next(&it, &ts)) ...
 * pdu_iter_next() and pdu_pdv_next() return 1 with the next element, or
 * 0 at the end.
 */
void	 pdu_limits_default(struct pdu_limits *);
int	 pdu_header_check(const uint8_t *, const struct pdu_limits *,
	    enum pdu_phase, struct pdu_hdr *);
int	 pdu_decode_body(uint8_t, const uint8_t *, size_t, struct pdu *);
int	 pdu_decode(const uint8_t *, size_t, const struct pdu_limits *,
	    enum pdu_phase, struct pdu *, size_t *);
int	 pdu_decode_assoc_rq(const uint8_t *, size_t, struct pdu_assoc *);
int	 pdu_decode_assoc_ac(const uint8_t *, size_t, struct pdu_assoc *);
int	 pdu_decode_assoc_rj(const uint8_t *, size_t, struct pdu_assoc_rj *);
int	 pdu_decode_pdata(const uint8_t *, size_t, struct pdu_pdata *);
int	 pdu_decode_release(const uint8_t *, size_t);
int	 pdu_decode_abort(const uint8_t *, size_t, struct pdu_abort *);
void	 pdu_ts_iter(struct pdu_iter *, const struct pdu_pctx *);
void	 pdu_related_iter(struct pdu_iter *,
	    const struct pdu_common_ext_neg *);
int	 pdu_iter_next(struct pdu_iter *, struct pdu_str *);
void	 pdu_pdv_iter(struct pdu_iter *, const struct pdu_pdata *);
int	 pdu_pdv_next(struct pdu_iter *, struct pdu_pdv *);

/*
 * Writing (pdu_encode.c).  Each encoder writes one whole PDU into
 * (buf, cap) and returns its length, or PDU_ERR_SPACE when cap is too
 * small, or PDU_ERR_VALUE when something cannot be sent: an AE title over
 * 16 bytes, 0 or more than 128 contexts, an even, zero or repeated context
 * ID, a context result over 4, a value too long for its 16-bit length,
 * an RJ triple not in PS3.8 Table 9-21 or an ABORT pair not in Table 9-26
 * (see pdu_rj_valid(), pdu_abort_valid()).  PDU_ERR_VALUE wins over
 * PDU_ERR_SPACE.
 *
 * pdu_encode_assoc_rq/ac: protocol version 1 always; app_context with a
 * NULL p sends the DICOM application context name; an AC with echo set
 * sends those 64 bytes at offsets 10..73, else the padded AE titles and
 * zeros.  User information sub-items go out in ascending type order,
 * each singleton only when its has_ flag is set.
 *
 * pdu_encode_pdata() writes n PDVs into one P-DATA-TF (bits 2-7 of each
 * control header cleared); keeping under the peer's maximum length is the
 * caller's job.  pdu_pdata_header() fills the PDU_PDATA_HDR_LEN bytes that
 * precede len data bytes of a P-DATA-TF carrying one PDV, for writev();
 * it returns PDU_OK or PDU_ERR_VALUE.
 */
ssize_t	 pdu_encode_assoc_rq(void *, size_t, const struct pdu_assoc *);
ssize_t	 pdu_encode_assoc_ac(void *, size_t, const struct pdu_assoc *);
ssize_t	 pdu_encode_assoc_rj(void *, size_t, uint8_t, uint8_t, uint8_t);
ssize_t	 pdu_encode_release_rq(void *, size_t);
ssize_t	 pdu_encode_release_rp(void *, size_t);
ssize_t	 pdu_encode_abort(void *, size_t, uint8_t, uint8_t);
ssize_t	 pdu_encode_pdata(void *, size_t, const struct pdu_pdv *, size_t);
int	 pdu_pdata_header(uint8_t *, uint8_t, uint8_t, size_t);

/*
 * Names and helpers (pdu_names.c).
 *
 * The *_name() functions return the standard's names for codes (for
 * example "rejected-permanent", "service-user",
 * "called-AE-title-not-recognized"), or "unknown"; never NULL.
 * pdu_err_abort_reason() maps a decode error to the A-ABORT reason the
 * project's policy gives it (source 2): 1 unknown PDU type; 5 a repeated
 * or misplaced item; 6 a bad length, a bad context ID, a PDU over a cap;
 * 0 anything else.
 *
 * pdu_version_ok() tests bit 0 of a protocol version (clear: RJ 1,2,2).
 * pdu_uid_valid() applies PS3.5 9.1 to exact bytes (1..64 characters).
 * pdu_uid_trim() strips trailing spaces and one trailing NUL;
 * pdu_uid_copy() copies the trimmed UID into dst[PDU_UID_MAX + 1].
 * pdu_ae_trim() strips leading and trailing spaces and trailing NULs;
 * pdu_ae_check() judges an AE title for policy; pdu_ae_copy() copies the
 * trimmed title into dst[PDU_AE_LEN + 1].  The copies return PDU_OK, or
 * PDU_ERR_STRING (dst set to "") when the value is too long or holds a
 * NUL that a C string would silently cut at.
 */
const char	*pdu_strerror(int);
uint8_t		 pdu_err_abort_reason(int);
const char	*pdu_type_name(uint8_t);
const char	*pdu_item_name(uint8_t);
const char	*pdu_rj_result_name(uint8_t);
const char	*pdu_rj_source_name(uint8_t);
const char	*pdu_rj_reason_name(uint8_t, uint8_t);
const char	*pdu_abort_source_name(uint8_t);
const char	*pdu_abort_reason_name(uint8_t);
const char	*pdu_pctx_result_name(uint8_t);
const char	*pdu_user_identity_type_name(uint8_t);
const char	*pdu_ae_problem_name(enum pdu_ae_problem);
int		 pdu_rj_valid(uint8_t, uint8_t, uint8_t);
int		 pdu_abort_valid(uint8_t, uint8_t);
int		 pdu_version_ok(uint16_t);
int		 pdu_uid_valid(const void *, size_t);
struct pdu_str	 pdu_uid_trim(const void *, size_t);
int		 pdu_uid_copy(char *, const void *, size_t);
enum pdu_ae_problem pdu_ae_check(const void *, size_t);
struct pdu_str	 pdu_ae_trim(const void *, size_t);
int		 pdu_ae_copy(char *, const void *, size_t);

#endif /* DUL_PDU_H */
