/*
 * hipc.h: the handler protocol, version 1.  This header is the protocol:
 * doc/handler-protocol.md specifies the same numbers in prose, and both
 * must change together.  Wire numbers are append only: a type or tag is
 * never reused or renumbered.  Bump HIPC_VERSION on any change of meaning.
 *
 * Every message is an 8-byte header ('D' 'U', frame version, type, u32
 * big-endian body length) and a body.  Control bodies are TLV items (u16
 * tag, u32 length, value); P-DATA bodies are PDV items exactly as in a
 * P-DATA-TF PDU (PS3.8 9.3.5).
 *
 * The codec is pure: no I/O, no logging, no allocation and no state.  The
 * worker and the handler library both use it.  Decoded messages are views
 * into the caller's body buffer; lists live in a caller-supplied arena.
 */
#ifndef DUL_HIPC_H
#define DUL_HIPC_H

#include <stddef.h>
#include <stdint.h>

#define HIPC_VERSION		1	/* highest protocol version spoken */
#define HIPC_VERSION_MIN	1	/* lowest protocol version spoken */
#define HIPC_FRAME_VERSION	1	/* layout of the 8-byte header */
#define HIPC_MAGIC0		'D'
#define HIPC_MAGIC1		'U'
#define HIPC_HDR_LEN		8	/* magic, frame version, type, length */
#define HIPC_TLV_HDR_LEN	6	/* u16 tag, u32 length */
#define HIPC_PDV_HDR_LEN	6	/* u32 item length, context id, mch */

/* Bounds on body lengths, in bytes. */
#define HIPC_CTL_MAX		65536u		/* any control message */
#define HIPC_LIMIT_MIN		65536u		/* smallest announced limit */
#define HIPC_LIMIT_MAX		(64u << 20)	/* largest announced limit */

/* Bounds on item values, in bytes. */
#define HIPC_AE_MAX		16	/* trimmed AE title */
#define HIPC_AE_RAW_LEN		16	/* AE title field as on the wire */
#define HIPC_UID_MAX		64	/* UIDs and syntax names */
#define HIPC_VERSION_NAME_MAX	16	/* implementation version name */
#define HIPC_NAME_MAX		64	/* addresses, ids, software names */
#define HIPC_TEXT_MAX		1024	/* ERROR and P_ABORT_IND texts */
#define HIPC_LOG_MAX		4096	/* LOG text */
#define HIPC_BLOB_MAX		65535	/* user identity fields, ext. info */

/*
 * Message types.  0x01-0x7f are core: a receiver must know them.  0x80-0xff
 * are extensions: a receiver that does not know one skips its body.
 */
enum hipc_type {
	HIPC_HELLO		= 0x01,	/* W->H session start */
	HIPC_HELLO_REPLY	= 0x02,	/* H->W chosen version */
	HIPC_ASSOC_IND		= 0x10,	/* W->H A-ASSOCIATE indication */
	HIPC_ASSOC_RSP		= 0x11,	/* H->W A-ASSOCIATE response */
	HIPC_PDATA_IND		= 0x20,	/* W->H P-DATA indication */
	HIPC_PDATA_REQ		= 0x21,	/* H->W P-DATA request */
	HIPC_RELEASE_IND	= 0x30,	/* W->H A-RELEASE indication */
	HIPC_RELEASE_RSP	= 0x31,	/* H->W A-RELEASE response */
	HIPC_RELEASE_REQ	= 0x32,	/* H->W A-RELEASE request */
	HIPC_RELEASE_CNF	= 0x33,	/* W->H A-RELEASE confirmation */
	HIPC_ABORT_IND		= 0x40,	/* W->H A-ABORT indication */
	HIPC_ABORT_REQ		= 0x41,	/* H->W A-ABORT request */
	HIPC_P_ABORT_IND	= 0x42,	/* W->H A-P-ABORT indication */
	HIPC_ERROR		= 0x7e,	/* both: fatal session error */
	HIPC_LOG		= 0x80,	/* H->W log line (extension) */
	HIPC_SHUTDOWN_NOTICE	= 0x81,	/* W->H server draining (extension) */
	HIPC_STATS		= 0x82	/* W->H counters (extension) */
};

#define HIPC_TYPE_EXT		0x80	/* types from here on are skippable */

/*
 * TLV tags.  0x0000-0x7fff are core: unknown ones are an error.
 * 0x8000-0xffff are extensions: unknown ones are skipped.  A tag means
 * something only in the message (and nesting level) that defines it.
 */
enum hipc_tag {
	/* HELLO */
	HIPC_TAG_VERSION_MIN		= 0x0f01,	/* u16 */
	HIPC_TAG_VERSION_MAX		= 0x0f02,	/* u16 */
	HIPC_TAG_SOFTWARE		= 0x0f03,	/* text */
	HIPC_TAG_HELLO_ASSOC_ID		= 0x0f04,	/* text */
	HIPC_TAG_MAX_W2H		= 0x0f05,	/* u32 */
	HIPC_TAG_MAX_H2W		= 0x0f06,	/* u32 */
	HIPC_TAG_FEATURES		= 0x0f07,	/* u32 */
	/* HELLO_REPLY */
	HIPC_TAG_VERSION		= 0x0f10,	/* u16 */
	HIPC_TAG_HANDLER_NAME		= 0x0f11,	/* text */
	HIPC_TAG_WANT_FEATURES		= 0x0f12,	/* u32 */
	HIPC_TAG_HANDLER_MAX_W2H	= 0x0f13,	/* u32 */

	/* ASSOC_IND */
	HIPC_TAG_APP_CONTEXT		= 0x0001,	/* text (UID) */
	HIPC_TAG_CALLING_AE		= 0x0002,	/* text, trimmed */
	HIPC_TAG_CALLED_AE		= 0x0003,	/* text, trimmed */
	HIPC_TAG_PEER_ADDR		= 0x0004,	/* text */
	HIPC_TAG_LOCAL_ADDR		= 0x0005,	/* text */
	HIPC_TAG_PEER_MAX_PDU		= 0x0006,	/* u32 */
	HIPC_TAG_PEER_IMPL_UID		= 0x0007,	/* text (UID) */
	HIPC_TAG_PEER_IMPL_VERSION	= 0x0008,	/* text */
	HIPC_TAG_ASYNC_WINDOW		= 0x0009,	/* u16 invoked, u16 perf. */
	HIPC_TAG_CALLING_AE_RAW		= 0x000a,	/* 16 bytes */
	HIPC_TAG_CALLED_AE_RAW		= 0x000b,	/* 16 bytes */
	HIPC_TAG_PEER_PORT		= 0x000c,	/* u16 */
	HIPC_TAG_LOCAL_PORT		= 0x000d,	/* u16 */
	HIPC_TAG_ASSOC_ID		= 0x000e,	/* text */
	HIPC_TAG_PCTX			= 0x0010,	/* nested, repeated */
	HIPC_TAG_PC_ID			= 0x0011,	/* u8, odd */
	HIPC_TAG_PC_ABSTRACT		= 0x0012,	/* text (UID) */
	HIPC_TAG_PC_TS			= 0x0013,	/* text (UID), repeated */
	HIPC_TAG_PC_ROLES		= 0x0014,	/* u8 scu, u8 scp */
	HIPC_TAG_PC_RESULT		= 0x0015,	/* u8, 0..4 */
	HIPC_TAG_PC_RESULT_TS		= 0x0016,	/* text (UID) */
	HIPC_TAG_PC_RESULT_ROLES	= 0x0017,	/* u8 scu, u8 scp */
	HIPC_TAG_EXT			= 0x0020,	/* nested, repeated */
	HIPC_TAG_EXT_SOP_CLASS		= 0x0021,	/* text (UID) */
	HIPC_TAG_EXT_INFO		= 0x0022,	/* bytes */
	HIPC_TAG_ROLE			= 0x0024,	/* nested, repeated */
	HIPC_TAG_ROLE_SOP_CLASS		= 0x0025,	/* text (UID) */
	HIPC_TAG_ROLE_ROLES		= 0x0026,	/* u8 scu, u8 scp */
	HIPC_TAG_CEXT			= 0x0028,	/* nested, repeated */
	HIPC_TAG_CEXT_SOP_CLASS		= 0x0029,	/* text (UID) */
	HIPC_TAG_CEXT_SERVICE_CLASS	= 0x002a,	/* text (UID) */
	HIPC_TAG_CEXT_RELATED		= 0x002b,	/* text (UID), repeated */
	HIPC_TAG_USER_IDENTITY		= 0x0030,	/* nested */
	HIPC_TAG_UI_TYPE		= 0x0031,	/* u8 */
	HIPC_TAG_UI_RESPONSE_REQUESTED	= 0x0032,	/* u8 */
	HIPC_TAG_UI_PRIMARY		= 0x0033,	/* bytes */
	HIPC_TAG_UI_SECONDARY		= 0x0034,	/* bytes */
	HIPC_TAG_OUR_MAX_PDU		= 0x0040,	/* u32 */
	HIPC_TAG_OUR_IMPL_UID		= 0x0041,	/* text (UID) */
	HIPC_TAG_OUR_IMPL_VERSION	= 0x0042,	/* text */
	HIPC_TAG_DECIDED		= 0x0043,	/* u8, 0 or 1 */

	/* ASSOC_RSP (nested items reuse the ASSOC_IND numbers above) */
	HIPC_TAG_DECISION		= 0x0100,	/* u8, 0..2 */
	HIPC_TAG_RJ_RESULT		= 0x0101,	/* u8, 1 or 2 */
	HIPC_TAG_RJ_SOURCE		= 0x0102,	/* u8, 1 */
	HIPC_TAG_RJ_REASON		= 0x0103,	/* u8, 1 2 3 7 */
	HIPC_TAG_PC_ANSWER		= 0x0110,	/* nested, repeated */
	HIPC_TAG_RSP_MAX_PDU		= 0x0121,	/* u32 */
	HIPC_TAG_RSP_ASYNC_WINDOW	= 0x0122,	/* u16, u16 */
	HIPC_TAG_RSP_EXT		= 0x0123,	/* nested, repeated */
	HIPC_TAG_RSP_UI_RESPONSE	= 0x0124,	/* bytes */

	/* RELEASE_CNF */
	HIPC_TAG_COLLISION		= 0x0300,	/* u8, 0 or 1 */
	/* ABORT_IND, P_ABORT_IND */
	HIPC_TAG_ABORT_SOURCE		= 0x0400,	/* u8, 0..2 */
	HIPC_TAG_ABORT_REASON		= 0x0401,	/* u8 */
	HIPC_TAG_PROVIDER_REASON	= 0x0402,	/* u8, 0 1 2 4 5 6 */
	HIPC_TAG_LOCAL_CAUSE		= 0x0403,	/* u8 */
	HIPC_TAG_ABORT_TEXT		= 0x0404,	/* text */
	/* ERROR */
	HIPC_TAG_ERROR_CODE		= 0x0e01,	/* u16 */
	HIPC_TAG_ERROR_TEXT		= 0x0e02,	/* text */
	/* LOG (extension) */
	HIPC_TAG_LOG_LEVEL		= 0x8e10,	/* u8 */
	HIPC_TAG_LOG_TEXT		= 0x8e11,	/* text */
	/* SHUTDOWN_NOTICE (extension) */
	HIPC_TAG_SECONDS_LEFT		= 0x8f01,	/* u32 */
	/* STATS (extension) */
	HIPC_TAG_PDUS_IN		= 0x8f20,	/* u64 */
	HIPC_TAG_PDUS_OUT		= 0x8f21,	/* u64 */
	HIPC_TAG_BYTES_IN		= 0x8f22,	/* u64 */
	HIPC_TAG_BYTES_OUT		= 0x8f23	/* u64 */
};

#define HIPC_TAG_EXTENSION	0x8000	/* tags from here on are skippable */

/* Feature bits of HELLO (offered) and HELLO_REPLY (wanted). */
#define HIPC_F_SHUTDOWN_NOTICE	0x00000001u	/* SHUTDOWN_NOTICE on drain */
#define HIPC_F_STATS		0x00000002u	/* STATS before EOF */
#define HIPC_F_LOG		0x00000004u	/* the worker logs LOG frames */

/* ASSOC_RSP decisions. */
#define HIPC_DECISION_ACCEPT		0	/* accept with the items given */
#define HIPC_DECISION_REJECT		1	/* A-ASSOCIATE-RJ */
#define HIPC_DECISION_AS_PROPOSED	2	/* accept the policy as is */

/* ERROR codes (0x0e01). */
#define HIPC_ECODE_MAGIC	1	/* bad magic or frame version */
#define HIPC_ECODE_VERSION	2	/* no common protocol version */
#define HIPC_ECODE_TOO_LARGE	3	/* body over the announced limit */
#define HIPC_ECODE_MALFORMED	4	/* malformed body */
#define HIPC_ECODE_UNEXPECTED	5	/* message out of order */
#define HIPC_ECODE_VALUE	6	/* invalid value */
#define HIPC_ECODE_TIMEOUT	7	/* no answer before the deadline */
#define HIPC_ECODE_INTERNAL	8	/* internal error */

/* P_ABORT_IND local causes (0x0403); receivers treat unknown ones as 0. */
#define HIPC_CAUSE_NONE		0	/* not given / peer's provider */
#define HIPC_CAUSE_IDLE		1	/* idle timeout */
#define HIPC_CAUSE_ARTIM	2	/* ARTIM expired */
#define HIPC_CAUSE_PEER_CLOSED	3	/* peer closed the connection */
#define HIPC_CAUSE_RESET	4	/* connection reset */
#define HIPC_CAUSE_TLS		5	/* TLS error */
#define HIPC_CAUSE_PDU_TOO_LARGE 6	/* PDU over our maximum */
#define HIPC_CAUSE_INVALID_PDU	7	/* invalid or unexpected PDU */
#define HIPC_CAUSE_SHUTDOWN	8	/* server shutdown grace ended */
#define HIPC_CAUSE_TIME_LIMIT	9	/* association time limit */
#define HIPC_CAUSE_SEND_TIMEOUT	10	/* peer stopped reading */
#define HIPC_CAUSE_RELEASE_TIMEOUT 11	/* peer never answered our release */
#define HIPC_CAUSE_PDU_TIMEOUT	12	/* a PDU trickled in too slowly */

/* LOG levels (0x8e10); receivers treat unknown ones as debug. */
#define HIPC_LOG_ERROR		0
#define HIPC_LOG_WARNING	1
#define HIPC_LOG_INFO		2
#define HIPC_LOG_DEBUG		3

/* Directions a message may travel in (struct hipc_rule dir). */
#define HIPC_W2H		0x01	/* worker to handler, on fd 3 */
#define HIPC_H2W		0x02	/* handler to worker, on fd 4 */

/*
 * PS3.8 state numbers as bits of struct hipc_rule states; plain ints so
 * that this header does not depend on fsm.h.  A W->H message's states are
 * those in which the worker issues it; a H->W message's, those in which
 * the worker accepts it (the Table 9-10 column of its event).
 */
#define HIPC_STA(n)		(1u << (n))
#define HIPC_STA_ALL		0x3ffeu		/* Sta1 to Sta13 */
#define HIPC_STA_HANDLER	(HIPC_STA(3) | HIPC_STA(6) | HIPC_STA(7) | \
	HIPC_STA(8) | HIPC_STA(9) | HIPC_STA(10) | HIPC_STA(11) | \
	HIPC_STA(12))			/* handler running, association on */

/* Errors: 0 is success, negative values are failures. */
#define HIPC_OK			  0
#define HIPC_SKIP		  1	/* unknown extension type: skip body */
#define HIPC_ERR_MAGIC		 -1	/* header does not start 'D' 'U' */
#define HIPC_ERR_FRAME_VERSION	 -2	/* unknown frame version */
#define HIPC_ERR_TYPE		 -3	/* unknown core message type */
#define HIPC_ERR_DIRECTION	 -4	/* message travels the wrong way */
#define HIPC_ERR_TOO_LARGE	 -5	/* body over the limit */
#define HIPC_ERR_TOO_SMALL	 -6	/* body under the type's minimum */
#define HIPC_ERR_STATE		 -7	/* not legal in this DUL state */
#define HIPC_ERR_SHORT		 -8	/* item runs past its parent */
#define HIPC_ERR_TRAILING	 -9	/* bytes after the last item */
#define HIPC_ERR_TAG		-10	/* unknown core tag */
#define HIPC_ERR_DUP		-11	/* single item given twice */
#define HIPC_ERR_MISSING	-12	/* mandatory item absent */
#define HIPC_ERR_ITEM_LEN	-13	/* item value has a wrong length */
#define HIPC_ERR_VALUE		-14	/* value out of range */
#define HIPC_ERR_NOT_ALLOWED	-15	/* item not allowed with the others */
#define HIPC_ERR_SPACE		-16	/* output buffer or arena too small */
#define HIPC_ERR_UNKNOWN_PC	-17	/* answer names an unproposed context */
#define HIPC_ERR_UNPROPOSED	-18	/* answer picks something unproposed */

/* The rule table row for one message type. */
struct hipc_rule {
	enum hipc_type	 type;
	const char	*name;
	unsigned int	 dir;		/* HIPC_W2H, HIPC_H2W or both */
	uint32_t	 min_len;	/* smallest valid body */
	uint32_t	 max_len;	/* largest valid body */
	uint32_t	 states;	/* HIPC_STA(n) where legal */
};

/* A checked frame header. */
struct hipc_hdr {
	uint8_t			 type;
	uint32_t		 len;		/* body length */
	const struct hipc_rule	*rule;		/* NULL for HIPC_SKIP */
};

/*
 * A view of bytes inside the caller's buffer.  p == NULL means the item
 * is absent; an item that is present but empty has p != NULL, len 0.
 * Text views hold no NUL byte and are not NUL-terminated.
 */
struct hipc_view {
	const uint8_t	*p;
	size_t		 len;
};

struct hipc_hello {
	uint16_t		 version_min;
	uint16_t		 version_max;
	struct hipc_view	 software;	/* "dulserverd/0.1.0" */
	struct hipc_view	 assoc_id;	/* as DUL_ASSOC_ID */
	uint32_t		 max_w2h;	/* largest body the worker sends */
	uint32_t		 max_h2w;	/* largest body it accepts */
	uint32_t		 features;	/* HIPC_F_* offered */
};

struct hipc_hello_reply {
	uint16_t		 version;	/* chosen */
	struct hipc_view	 name;		/* optional */
	uint32_t		 features;	/* HIPC_F_* wanted; 0 = absent */
	uint32_t		 max_w2h;	/* handler's own limit; 0 = absent */
};

/* One proposed presentation context with the worker's policy answer. */
struct hipc_pctx {
	uint8_t			 id;
	struct hipc_view	 abstract;
	const struct hipc_view	*ts;		/* proposed, peer order */
	size_t			 nts;
	int			 has_roles;	/* a role item named the class */
	uint8_t			 scu, scp;	/* proposed roles */
	uint8_t			 result;	/* policy result, 0..4 */
	struct hipc_view	 result_ts;	/* present iff result is 0 */
	int			 has_result_roles;
	uint8_t			 result_scu, result_scp;
};

/* SCP/SCU role selection item as proposed (PS3.7 D.3.3.4). */
struct hipc_role {
	struct hipc_view	 sop_class;
	uint8_t			 scu, scp;
};

/* SOP class extended negotiation item (PS3.7 D.3.3.5). */
struct hipc_ext {
	struct hipc_view	 sop_class;
	struct hipc_view	 info;
};

/* SOP class common extended negotiation item (PS3.7 D.3.3.6). */
struct hipc_cext {
	struct hipc_view	 sop_class;
	struct hipc_view	 service_class;
	const struct hipc_view	*related;
	size_t			 nrelated;
};

/* User identity negotiation item (PS3.7 D.3.3.7). */
struct hipc_user_identity {
	uint8_t			 type;
	uint8_t			 response_requested;
	struct hipc_view	 primary;
	struct hipc_view	 secondary;	/* optional */
};

struct hipc_assoc_ind {
	struct hipc_view	 app_context;
	struct hipc_view	 calling_ae;	/* trimmed */
	struct hipc_view	 called_ae;
	struct hipc_view	 calling_ae_raw;	/* 16 bytes as received */
	struct hipc_view	 called_ae_raw;
	struct hipc_view	 peer_addr;	/* as TCPREMOTEIP */
	uint16_t		 peer_port;
	struct hipc_view	 local_addr;	/* as TCPLOCALIP */
	uint16_t		 local_port;
	struct hipc_view	 assoc_id;
	uint32_t		 peer_max_pdu;	/* 0 = unlimited */
	struct hipc_view	 peer_impl_uid;	/* optional */
	struct hipc_view	 peer_impl_version;	/* optional */
	int			 has_async;
	uint16_t		 async_invoked, async_performed;
	const struct hipc_pctx	*pctx;
	size_t			 npctx;
	const struct hipc_ext	*ext;
	size_t			 next;
	const struct hipc_role	*roles;
	size_t			 nroles;
	const struct hipc_cext	*cext;
	size_t			 ncext;
	int			 has_user_identity;
	struct hipc_user_identity ui;
	uint32_t		 our_max_pdu;
	struct hipc_view	 our_impl_uid;
	struct hipc_view	 our_impl_version;	/* optional */
	uint8_t			 decided;	/* 1: the AC is already sent */
};

/* The handler's answer for one presentation context. */
struct hipc_pc_answer {
	uint8_t			 id;
	uint8_t			 result;	/* 0..4 */
	struct hipc_view	 ts;		/* present iff result is 0 */
	int			 has_roles;
	uint8_t			 scu, scp;	/* accepted roles */
};

struct hipc_assoc_rsp {
	uint8_t			 decision;	/* HIPC_DECISION_* */
	uint8_t			 rj_result;	/* REJECT only */
	uint8_t			 rj_source;
	uint8_t			 rj_reason;
	const struct hipc_pc_answer *answers;	/* ACCEPT only, from here */
	size_t			 nanswers;
	uint32_t		 max_pdu;	/* 0 = absent */
	int			 has_async;
	uint16_t		 async_invoked, async_performed;
	const struct hipc_ext	*ext;
	size_t			 next;
	struct hipc_view	 ui_response;	/* optional, may be empty */
};

/* PDATA_IND and PDATA_REQ: a sequence of PDV items. */
struct hipc_pdata {
	const uint8_t		*pdvs;
	size_t			 len;
	size_t			 npdv;		/* set by decode */
};

/* One PDV item (PS3.8 Table 9-23). */
struct hipc_pdv {
	uint8_t			 pcid;
	uint8_t			 mch;		/* bit 0 command, bit 1 last */
	const uint8_t		*data;
	size_t			 len;
};

/* A cursor over a validated PDV sequence. */
struct hipc_pdv_iter {
	const uint8_t		*p;
	const uint8_t		*end;
};

struct hipc_release_cnf {
	uint8_t			 collision;
};

struct hipc_abort_ind {
	uint8_t			 source;	/* as in the A-ABORT PDU */
	uint8_t			 reason;
};

struct hipc_p_abort_ind {
	uint8_t			 reason;	/* PS3.8 provider reason */
	uint8_t			 cause;		/* HIPC_CAUSE_* */
	struct hipc_view	 text;		/* optional */
};

struct hipc_error {
	uint16_t		 code;		/* HIPC_ECODE_* */
	struct hipc_view	 text;		/* optional */
};

struct hipc_log {
	uint8_t			 level;		/* HIPC_LOG_* */
	struct hipc_view	 text;
};

struct hipc_shutdown_notice {
	uint32_t		 seconds;
};

struct hipc_stats {
	uint64_t		 pdus_in, pdus_out;
	uint64_t		 bytes_in, bytes_out;
};

/* Any message; the types without a body use no member. */
struct hipc_msg {
	enum hipc_type		 type;
	union {
		struct hipc_hello		hello;
		struct hipc_hello_reply		hello_reply;
		struct hipc_assoc_ind		assoc_ind;
		struct hipc_assoc_rsp		assoc_rsp;
		struct hipc_pdata		pdata;
		struct hipc_release_cnf		release_cnf;
		struct hipc_abort_ind		abort_ind;
		struct hipc_p_abort_ind		p_abort_ind;
		struct hipc_error		error;
		struct hipc_log			log;
		struct hipc_shutdown_notice	shutdown_notice;
		struct hipc_stats		stats;
	} u;
};

const char		*hipc_strerror(int);
const struct hipc_rule	*hipc_rule(unsigned int);
const char		*hipc_type_name(unsigned int);
int			 hipc_state_ok(unsigned int, int);

void	 hipc_hdr_put(uint8_t *, enum hipc_type, uint32_t);
int	 hipc_hdr_check(const uint8_t *, unsigned int, uint32_t,
	    struct hipc_hdr *);

int	 hipc_decode(enum hipc_type, const uint8_t *, size_t,
	    struct hipc_msg *, void *, size_t, size_t *);
int	 hipc_encode(const struct hipc_msg *, uint8_t *, size_t, size_t *);
size_t	 hipc_arena_bound(size_t);

void	 hipc_pdv_hdr_put(uint8_t *, uint8_t, uint8_t, uint32_t);
void	 hipc_pdv_begin(struct hipc_pdv_iter *, const struct hipc_pdata *);
int	 hipc_pdv_next(struct hipc_pdv_iter *, struct hipc_pdv *);

int	 hipc_assoc_rsp_check(const struct hipc_assoc_ind *,
	    const struct hipc_assoc_rsp *);
int	 hipc_msg_equal(const struct hipc_msg *, const struct hipc_msg *);

#endif /* DUL_HIPC_H */
