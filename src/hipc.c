/*
 * hipc.c: the handler protocol's rule table, frame header and decoder.
 *
 * Bodies are decoded in two passes over the same code.  The first pass
 * validates everything and counts the list elements; the caller's arena
 * is then carved into one pool per element type, and the second pass
 * fills the pools.  A list's elements are contiguous in their pool because
 * a nested item is decoded whole before the next one starts.  The encoder
 * runs the first pass over what it wrote, so it never emits a message the
 * decoder would refuse.
 */

#include "compat.h"

#include <string.h>

#include "buf.h"
#include "hipc.h"
#include "hipc_int.h"

/*
 * Smallest bodies: the mandatory items with empty texts.  Each TLV costs
 * 6 bytes of header.  The tests rebuild each figure from an encoding.
 */
#define MIN_HELLO	(8 + 8 + 6 + 6 + 10 + 10 + 10)
#define MIN_HELLO_REPLY	8
#define MIN_PCTX	(6 + 7 + 6 + 7)		/* id, abstract, result */
#define MIN_ASSOC_IND	(5 * 6 + 10 + 2 * 22 + 2 * 8 + 6 + MIN_PCTX + \
	10 + 6 + 7)
#define MIN_ASSOC_RSP	7
#define MIN_PDATA	HIPC_PDV_HDR_LEN
#define MIN_RELEASE_CNF	7
#define MIN_ABORT_IND	14
#define MIN_P_ABORT_IND	14
#define MIN_ERROR	8
#define MIN_LOG		13
#define MIN_SHUTDOWN	10
#define MIN_STATS	(4 * 14)

/* The rule table: direction, body bounds and DUL states of every type. */
static const struct hipc_rule hipc_rules[] = {
	{ HIPC_HELLO, "HELLO", HIPC_W2H, MIN_HELLO, HIPC_CTL_MAX,
	    HIPC_STA(3) },
	/* With negotiation = "policy" the AC may precede the reply. */
	{ HIPC_HELLO_REPLY, "HELLO_REPLY", HIPC_H2W, MIN_HELLO_REPLY,
	    HIPC_CTL_MAX, HIPC_STA_HANDLER },
	{ HIPC_ASSOC_IND, "ASSOC_IND", HIPC_W2H, MIN_ASSOC_IND,
	    HIPC_LIMIT_MAX, HIPC_STA(3) | HIPC_STA(6) },
	{ HIPC_ASSOC_RSP, "ASSOC_RSP", HIPC_H2W, MIN_ASSOC_RSP,
	    HIPC_LIMIT_MAX, HIPC_STA(3) },
	{ HIPC_PDATA_IND, "PDATA_IND", HIPC_W2H, MIN_PDATA, HIPC_LIMIT_MAX,
	    HIPC_STA(6) | HIPC_STA(7) },
	{ HIPC_PDATA_REQ, "PDATA_REQ", HIPC_H2W, MIN_PDATA, HIPC_LIMIT_MAX,
	    HIPC_STA(6) | HIPC_STA(8) },
	{ HIPC_RELEASE_IND, "RELEASE_IND", HIPC_W2H, 0, HIPC_CTL_MAX,
	    HIPC_STA(6) },
	{ HIPC_RELEASE_RSP, "RELEASE_RSP", HIPC_H2W, 0, HIPC_CTL_MAX,
	    HIPC_STA(8) },
	/* Sta8: the request crossed a RELEASE_IND on the pipes. */
	{ HIPC_RELEASE_REQ, "RELEASE_REQ", HIPC_H2W, 0, HIPC_CTL_MAX,
	    HIPC_STA(6) | HIPC_STA(8) },
	{ HIPC_RELEASE_CNF, "RELEASE_CNF", HIPC_W2H, MIN_RELEASE_CNF,
	    HIPC_CTL_MAX, HIPC_STA(7) | HIPC_STA(8) | HIPC_STA(10) },
	{ HIPC_ABORT_IND, "ABORT_IND", HIPC_W2H, MIN_ABORT_IND, HIPC_CTL_MAX,
	    HIPC_STA_HANDLER },
	{ HIPC_ABORT_REQ, "ABORT_REQ", HIPC_H2W, 0, HIPC_CTL_MAX,
	    HIPC_STA_HANDLER },
	{ HIPC_P_ABORT_IND, "P_ABORT_IND", HIPC_W2H, MIN_P_ABORT_IND,
	    HIPC_CTL_MAX, HIPC_STA_HANDLER },
	{ HIPC_ERROR, "ERROR", HIPC_W2H | HIPC_H2W, MIN_ERROR, HIPC_CTL_MAX,
	    HIPC_STA_ALL },
	{ HIPC_LOG, "LOG", HIPC_H2W, MIN_LOG, HIPC_CTL_MAX, HIPC_STA_ALL },
	{ HIPC_SHUTDOWN_NOTICE, "SHUTDOWN_NOTICE", HIPC_W2H, MIN_SHUTDOWN,
	    HIPC_CTL_MAX, HIPC_STA_HANDLER },
	{ HIPC_STATS, "STATS", HIPC_W2H, MIN_STATS, HIPC_CTL_MAX,
	    HIPC_STA(1) | HIPC_STA(13) },
};

static const char *const hipc_errstr[] = {
	[0] = "success",
	[-HIPC_ERR_MAGIC] = "bad magic",
	[-HIPC_ERR_FRAME_VERSION] = "unknown frame version",
	[-HIPC_ERR_TYPE] = "unknown message type",
	[-HIPC_ERR_DIRECTION] = "message sent in the wrong direction",
	[-HIPC_ERR_TOO_LARGE] = "body too large",
	[-HIPC_ERR_TOO_SMALL] = "body too small",
	[-HIPC_ERR_STATE] = "message not allowed in this state",
	[-HIPC_ERR_SHORT] = "item runs past its parent",
	[-HIPC_ERR_TRAILING] = "trailing bytes after the last item",
	[-HIPC_ERR_TAG] = "unknown item tag",
	[-HIPC_ERR_DUP] = "item repeated",
	[-HIPC_ERR_MISSING] = "mandatory item missing",
	[-HIPC_ERR_ITEM_LEN] = "item has a wrong length",
	[-HIPC_ERR_VALUE] = "item value out of range",
	[-HIPC_ERR_NOT_ALLOWED] = "item not allowed here",
	[-HIPC_ERR_SPACE] = "buffer too small",
	[-HIPC_ERR_UNKNOWN_PC] = "presentation context was not proposed",
	[-HIPC_ERR_UNPROPOSED] = "answer picks a value that was not proposed",
};

/* Kinds of item value. */
enum kind {
	K_U8, K_U16, K_U32, K_U64,	/* big-endian integers */
	K_FIXED,			/* exactly max bytes */
	K_TEXT,				/* 0..max bytes, no NUL */
	K_BYTES,			/* 0..max bytes */
	K_NEST				/* a TLV sequence */
};

#define F_MAND		0x01	/* must be present */
#define F_REPEAT	0x02	/* may be repeated: a list */

/* What one level of one message may contain. */
struct tagspec {
	uint16_t	 tag;
	uint8_t		 kind;
	uint8_t		 flags;
	uint32_t	 max;		/* K_FIXED, K_TEXT, K_BYTES */
};

static const struct tagspec hello_specs[] = {
	{ HIPC_TAG_VERSION_MIN, K_U16, F_MAND, 0 },
	{ HIPC_TAG_VERSION_MAX, K_U16, F_MAND, 0 },
	{ HIPC_TAG_SOFTWARE, K_TEXT, F_MAND, HIPC_NAME_MAX },
	{ HIPC_TAG_HELLO_ASSOC_ID, K_TEXT, F_MAND, HIPC_NAME_MAX },
	{ HIPC_TAG_MAX_W2H, K_U32, F_MAND, 0 },
	{ HIPC_TAG_MAX_H2W, K_U32, F_MAND, 0 },
	{ HIPC_TAG_FEATURES, K_U32, F_MAND, 0 },
};

static const struct tagspec hello_reply_specs[] = {
	{ HIPC_TAG_VERSION, K_U16, F_MAND, 0 },
	{ HIPC_TAG_HANDLER_NAME, K_TEXT, 0, HIPC_NAME_MAX },
	{ HIPC_TAG_WANT_FEATURES, K_U32, 0, 0 },
	{ HIPC_TAG_HANDLER_MAX_W2H, K_U32, 0, 0 },
};

static const struct tagspec ind_specs[] = {
	{ HIPC_TAG_APP_CONTEXT, K_TEXT, F_MAND, HIPC_UID_MAX },
	{ HIPC_TAG_CALLING_AE, K_TEXT, F_MAND, HIPC_AE_MAX },
	{ HIPC_TAG_CALLED_AE, K_TEXT, F_MAND, HIPC_AE_MAX },
	{ HIPC_TAG_PEER_ADDR, K_TEXT, F_MAND, HIPC_NAME_MAX },
	{ HIPC_TAG_LOCAL_ADDR, K_TEXT, F_MAND, HIPC_NAME_MAX },
	{ HIPC_TAG_PEER_MAX_PDU, K_U32, F_MAND, 0 },
	{ HIPC_TAG_PEER_IMPL_UID, K_TEXT, 0, HIPC_UID_MAX },
	{ HIPC_TAG_PEER_IMPL_VERSION, K_TEXT, 0, HIPC_VERSION_NAME_MAX },
	{ HIPC_TAG_ASYNC_WINDOW, K_FIXED, 0, 4 },
	{ HIPC_TAG_CALLING_AE_RAW, K_FIXED, F_MAND, HIPC_AE_RAW_LEN },
	{ HIPC_TAG_CALLED_AE_RAW, K_FIXED, F_MAND, HIPC_AE_RAW_LEN },
	{ HIPC_TAG_PEER_PORT, K_U16, F_MAND, 0 },
	{ HIPC_TAG_LOCAL_PORT, K_U16, F_MAND, 0 },
	{ HIPC_TAG_ASSOC_ID, K_TEXT, F_MAND, HIPC_NAME_MAX },
	{ HIPC_TAG_PCTX, K_NEST, F_MAND | F_REPEAT, 0 },
	{ HIPC_TAG_EXT, K_NEST, F_REPEAT, 0 },
	{ HIPC_TAG_ROLE, K_NEST, F_REPEAT, 0 },
	{ HIPC_TAG_CEXT, K_NEST, F_REPEAT, 0 },
	{ HIPC_TAG_USER_IDENTITY, K_NEST, 0, 0 },
	{ HIPC_TAG_OUR_MAX_PDU, K_U32, F_MAND, 0 },
	{ HIPC_TAG_OUR_IMPL_UID, K_TEXT, F_MAND, HIPC_UID_MAX },
	{ HIPC_TAG_OUR_IMPL_VERSION, K_TEXT, 0, HIPC_VERSION_NAME_MAX },
	{ HIPC_TAG_DECIDED, K_U8, F_MAND, 0 },
};

static const struct tagspec pctx_specs[] = {
	{ HIPC_TAG_PC_ID, K_U8, F_MAND, 0 },
	{ HIPC_TAG_PC_ABSTRACT, K_TEXT, F_MAND, HIPC_UID_MAX },
	{ HIPC_TAG_PC_TS, K_TEXT, F_REPEAT, HIPC_UID_MAX },
	{ HIPC_TAG_PC_ROLES, K_FIXED, 0, 2 },
	{ HIPC_TAG_PC_RESULT, K_U8, F_MAND, 0 },
	{ HIPC_TAG_PC_RESULT_TS, K_TEXT, 0, HIPC_UID_MAX },
	{ HIPC_TAG_PC_RESULT_ROLES, K_FIXED, 0, 2 },
};

static const struct tagspec ext_specs[] = {
	{ HIPC_TAG_EXT_SOP_CLASS, K_TEXT, F_MAND, HIPC_UID_MAX },
	{ HIPC_TAG_EXT_INFO, K_BYTES, F_MAND, HIPC_BLOB_MAX },
};

static const struct tagspec role_specs[] = {
	{ HIPC_TAG_ROLE_SOP_CLASS, K_TEXT, F_MAND, HIPC_UID_MAX },
	{ HIPC_TAG_ROLE_ROLES, K_FIXED, F_MAND, 2 },
};

static const struct tagspec cext_specs[] = {
	{ HIPC_TAG_CEXT_SOP_CLASS, K_TEXT, F_MAND, HIPC_UID_MAX },
	{ HIPC_TAG_CEXT_SERVICE_CLASS, K_TEXT, F_MAND, HIPC_UID_MAX },
	{ HIPC_TAG_CEXT_RELATED, K_TEXT, F_REPEAT, HIPC_UID_MAX },
};

static const struct tagspec ui_specs[] = {
	{ HIPC_TAG_UI_TYPE, K_U8, F_MAND, 0 },
	{ HIPC_TAG_UI_RESPONSE_REQUESTED, K_U8, F_MAND, 0 },
	{ HIPC_TAG_UI_PRIMARY, K_BYTES, F_MAND, HIPC_BLOB_MAX },
	{ HIPC_TAG_UI_SECONDARY, K_BYTES, 0, HIPC_BLOB_MAX },
};

static const struct tagspec rsp_specs[] = {
	{ HIPC_TAG_DECISION, K_U8, F_MAND, 0 },
	{ HIPC_TAG_RJ_RESULT, K_U8, 0, 0 },
	{ HIPC_TAG_RJ_SOURCE, K_U8, 0, 0 },
	{ HIPC_TAG_RJ_REASON, K_U8, 0, 0 },
	{ HIPC_TAG_PC_ANSWER, K_NEST, F_REPEAT, 0 },
	{ HIPC_TAG_RSP_MAX_PDU, K_U32, 0, 0 },
	{ HIPC_TAG_RSP_ASYNC_WINDOW, K_FIXED, 0, 4 },
	{ HIPC_TAG_RSP_EXT, K_NEST, F_REPEAT, 0 },
	{ HIPC_TAG_RSP_UI_RESPONSE, K_BYTES, 0, HIPC_BLOB_MAX },
};

static const struct tagspec answer_specs[] = {
	{ HIPC_TAG_PC_ID, K_U8, F_MAND, 0 },
	{ HIPC_TAG_PC_RESULT, K_U8, F_MAND, 0 },
	{ HIPC_TAG_PC_RESULT_TS, K_TEXT, 0, HIPC_UID_MAX },
	{ HIPC_TAG_PC_RESULT_ROLES, K_FIXED, 0, 2 },
};

static const struct tagspec release_cnf_specs[] = {
	{ HIPC_TAG_COLLISION, K_U8, F_MAND, 0 },
};

static const struct tagspec abort_ind_specs[] = {
	{ HIPC_TAG_ABORT_SOURCE, K_U8, F_MAND, 0 },
	{ HIPC_TAG_ABORT_REASON, K_U8, F_MAND, 0 },
};

static const struct tagspec p_abort_ind_specs[] = {
	{ HIPC_TAG_PROVIDER_REASON, K_U8, F_MAND, 0 },
	{ HIPC_TAG_LOCAL_CAUSE, K_U8, F_MAND, 0 },
	{ HIPC_TAG_ABORT_TEXT, K_TEXT, 0, HIPC_TEXT_MAX },
};

static const struct tagspec error_specs[] = {
	{ HIPC_TAG_ERROR_CODE, K_U16, F_MAND, 0 },
	{ HIPC_TAG_ERROR_TEXT, K_TEXT, 0, HIPC_TEXT_MAX },
};

static const struct tagspec log_specs[] = {
	{ HIPC_TAG_LOG_LEVEL, K_U8, F_MAND, 0 },
	{ HIPC_TAG_LOG_TEXT, K_TEXT, F_MAND, HIPC_LOG_MAX },
};

static const struct tagspec shutdown_specs[] = {
	{ HIPC_TAG_SECONDS_LEFT, K_U32, F_MAND, 0 },
};

static const struct tagspec stats_specs[] = {
	{ HIPC_TAG_PDUS_IN, K_U64, F_MAND, 0 },
	{ HIPC_TAG_PDUS_OUT, K_U64, F_MAND, 0 },
	{ HIPC_TAG_BYTES_IN, K_U64, F_MAND, 0 },
	{ HIPC_TAG_BYTES_OUT, K_U64, F_MAND, 0 },
};

/* Called for each known item with its spec and a cursor over its value. */
typedef int (*item_fn)(void *, const struct tagspec *, struct rbuf *,
    struct dctx *);

static int	tlv_walk(struct rbuf *, const struct tagspec *, size_t,
		    item_fn, void *, struct dctx *);

/* Return the text for a codec result. */
const char *
hipc_strerror(int rc)
{
	if (rc == HIPC_SKIP)
		return ("unknown extension message, skipped");
	if (rc > 0 || (size_t)-rc >= nitems(hipc_errstr) ||
	    hipc_errstr[-rc] == NULL)
		return ("unknown error");
	return (hipc_errstr[-rc]);
}

/* Find the rule for a message type, or NULL if the type is unknown. */
const struct hipc_rule *
hipc_rule(unsigned int type)
{
	size_t	 i;

	for (i = 0; i < nitems(hipc_rules); i++) {
		if ((unsigned int)hipc_rules[i].type == type)
			return (&hipc_rules[i]);
	}
	return (NULL);
}

/* Return the printable name of a message type. */
const char *
hipc_type_name(unsigned int type)
{
	const struct hipc_rule	*r;

	if ((r = hipc_rule(type)) == NULL)
		return (type >= HIPC_TYPE_EXT ? "extension" : "unknown");
	return (r->name);
}

/* Say whether a message type is legal in PS3.8 state sta (1..13). */
int
hipc_state_ok(unsigned int type, int sta)
{
	const struct hipc_rule	*r;

	if ((r = hipc_rule(type)) == NULL)
		return (HIPC_ERR_TYPE);
	if (sta < 1 || sta > 13 || (r->states & HIPC_STA(sta)) == 0)
		return (HIPC_ERR_STATE);
	return (HIPC_OK);
}

/* Write a frame header for a body of len bytes. */
void
hipc_hdr_put(uint8_t *hdr, enum hipc_type type, uint32_t len)
{
	hdr[0] = HIPC_MAGIC0;
	hdr[1] = HIPC_MAGIC1;
	hdr[2] = HIPC_FRAME_VERSION;
	hdr[3] = (uint8_t)type;
	put_u32(hdr + 4, len);
}

/*
 * Check the 8 header bytes of a frame travelling in direction dir, before
 * any of its body is read.  max_body is the receiver's announced limit.
 * Returns HIPC_SKIP for an extension type the codec does not know: the
 * caller reads and discards h->len bytes.  h is filled in as far as the
 * header could be parsed, for the log line.
 */
int
hipc_hdr_check(const uint8_t *hdr, unsigned int dir, uint32_t max_body,
    struct hipc_hdr *h)
{
	const struct hipc_rule	*r;

	memset(h, 0, sizeof(*h));
	if (hdr[0] != HIPC_MAGIC0 || hdr[1] != HIPC_MAGIC1)
		return (HIPC_ERR_MAGIC);
	if (hdr[2] != HIPC_FRAME_VERSION)
		return (HIPC_ERR_FRAME_VERSION);
	h->type = hdr[3];
	h->len = get_u32(hdr + 4);
	if ((r = hipc_rule(h->type)) == NULL) {
		if (h->type < HIPC_TYPE_EXT)
			return (HIPC_ERR_TYPE);
		if (h->len > max_body)
			return (HIPC_ERR_TOO_LARGE);
		return (HIPC_SKIP);
	}
	if ((r->dir & dir) == 0)
		return (HIPC_ERR_DIRECTION);
	if (h->len > max_body || h->len > r->max_len)
		return (HIPC_ERR_TOO_LARGE);
	if (h->len < r->min_len)
		return (HIPC_ERR_TOO_SMALL);
	h->rule = r;
	return (HIPC_OK);
}

/* Return a view of what is left in a cursor. */
static struct hipc_view
view_of(const struct rbuf *v)
{
	struct hipc_view	 w;

	w.p = v->p;
	w.len = rbuf_left(v);
	return (w);
}

/*
 * Walk one level of TLV items: refuse what runs past the level, unknown
 * core tags, repeated single items and wrong lengths; skip unknown
 * extension tags; hand each known item to fn; then insist on the
 * mandatory items.
 */
static int
tlv_walk(struct rbuf *b, const struct tagspec *specs, size_t nspecs,
    item_fn fn, void *arg, struct dctx *d)
{
	const struct tagspec	*s;
	struct rbuf		 val;
	uint64_t		 seen = 0;
	uint32_t		 len;
	uint16_t		 tag;
	size_t			 i, vlen;
	int			 rc;

	while (rbuf_left(b) > 0) {
		if (rbuf_left(b) < HIPC_TLV_HDR_LEN)
			return (HIPC_ERR_TRAILING);
		(void)rbuf_u16(b, &tag);
		(void)rbuf_u32(b, &len);
		if (rbuf_sub(b, len, &val) != BUF_OK)
			return (HIPC_ERR_SHORT);
		for (i = 0; i < nspecs; i++) {
			if (specs[i].tag == tag)
				break;
		}
		if (i == nspecs) {
			if (tag & HIPC_TAG_EXTENSION)
				continue;
			return (HIPC_ERR_TAG);
		}
		s = &specs[i];
		if ((seen & (1ULL << i)) && (s->flags & F_REPEAT) == 0)
			return (HIPC_ERR_DUP);
		seen |= 1ULL << i;
		vlen = rbuf_left(&val);
		switch (s->kind) {
		case K_U8:
			rc = vlen == 1 ? HIPC_OK : HIPC_ERR_ITEM_LEN;
			break;
		case K_U16:
			rc = vlen == 2 ? HIPC_OK : HIPC_ERR_ITEM_LEN;
			break;
		case K_U32:
			rc = vlen == 4 ? HIPC_OK : HIPC_ERR_ITEM_LEN;
			break;
		case K_U64:
			rc = vlen == 8 ? HIPC_OK : HIPC_ERR_ITEM_LEN;
			break;
		case K_FIXED:
			rc = vlen == s->max ? HIPC_OK : HIPC_ERR_ITEM_LEN;
			break;
		case K_TEXT:
			rc = vlen <= s->max ? HIPC_OK : HIPC_ERR_ITEM_LEN;
			if (rc == HIPC_OK && vlen > 0 &&
			    memchr(val.p, '\0', vlen) != NULL)
				rc = HIPC_ERR_VALUE;
			break;
		case K_BYTES:
			rc = vlen <= s->max ? HIPC_OK : HIPC_ERR_ITEM_LEN;
			break;
		default:
			rc = HIPC_OK;
			break;
		}
		if (rc != HIPC_OK)
			return (rc);
		if ((rc = fn(arg, s, &val, d)) != HIPC_OK)
			return (rc);
	}
	for (i = 0; i < nspecs; i++) {
		if ((specs[i].flags & F_MAND) && (seen & (1ULL << i)) == 0)
			return (HIPC_ERR_MISSING);
	}
	return (HIPC_OK);
}

/* Read an integer item whose length tlv_walk() has checked. */
static uint64_t
val_uint(const struct rbuf *v)
{
	uint64_t	 x = 0;
	const uint8_t	*p;

	for (p = v->p; p < v->end; p++)
		x = x << 8 | *p;
	return (x);
}

/* Store one item of HELLO. */
static int
dec_hello_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_hello	*m = arg;

	switch (s->tag) {
	case HIPC_TAG_VERSION_MIN:
		m->version_min = (uint16_t)val_uint(v);
		break;
	case HIPC_TAG_VERSION_MAX:
		m->version_max = (uint16_t)val_uint(v);
		break;
	case HIPC_TAG_SOFTWARE:
		m->software = view_of(v);
		break;
	case HIPC_TAG_HELLO_ASSOC_ID:
		m->assoc_id = view_of(v);
		break;
	case HIPC_TAG_MAX_W2H:
		m->max_w2h = (uint32_t)val_uint(v);
		break;
	case HIPC_TAG_MAX_H2W:
		m->max_h2w = (uint32_t)val_uint(v);
		break;
	case HIPC_TAG_FEATURES:
		m->features = (uint32_t)val_uint(v);
		break;
	}
	return (HIPC_OK);
}

/* Say whether an announced body limit is within the protocol's bounds. */
static int
limit_ok(uint32_t v)
{
	return (v >= HIPC_LIMIT_MIN && v <= HIPC_LIMIT_MAX);
}

/* Decode a HELLO body. */
static int
dec_hello(struct rbuf *b, struct hipc_hello *m, struct dctx *d)
{
	int	 rc;

	if ((rc = tlv_walk(b, hello_specs, nitems(hello_specs),
	    dec_hello_item, m, d)) != HIPC_OK)
		return (rc);
	if (m->version_min < 1 || m->version_min > m->version_max)
		return (HIPC_ERR_VALUE);
	if (!limit_ok(m->max_w2h) || !limit_ok(m->max_h2w))
		return (HIPC_ERR_VALUE);
	return (HIPC_OK);
}

/* Store one item of HELLO_REPLY. */
static int
dec_hello_reply_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_hello_reply	*m = arg;

	switch (s->tag) {
	case HIPC_TAG_VERSION:
		m->version = (uint16_t)val_uint(v);
		if (m->version < 1)
			return (HIPC_ERR_VALUE);
		break;
	case HIPC_TAG_HANDLER_NAME:
		m->name = view_of(v);
		break;
	case HIPC_TAG_WANT_FEATURES:
		m->features = (uint32_t)val_uint(v);
		break;
	case HIPC_TAG_HANDLER_MAX_W2H:
		m->max_w2h = (uint32_t)val_uint(v);
		if (!limit_ok(m->max_w2h))
			return (HIPC_ERR_VALUE);
		break;
	}
	return (HIPC_OK);
}

/* Store one item of a presentation context. */
static int
dec_pctx_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_pctx	*pc = arg;

	switch (s->tag) {
	case HIPC_TAG_PC_ID:
		pc->id = (uint8_t)val_uint(v);
		if ((pc->id & 1) == 0)
			return (HIPC_ERR_VALUE);
		break;
	case HIPC_TAG_PC_ABSTRACT:
		pc->abstract = view_of(v);
		break;
	case HIPC_TAG_PC_TS:
		if (d->fill)
			d->views[d->nviews] = view_of(v);
		d->nviews++;
		pc->nts++;
		break;
	case HIPC_TAG_PC_ROLES:
		pc->has_roles = 1;
		pc->scu = v->p[0];
		pc->scp = v->p[1];
		break;
	case HIPC_TAG_PC_RESULT:
		pc->result = (uint8_t)val_uint(v);
		if (pc->result > 4)
			return (HIPC_ERR_VALUE);
		break;
	case HIPC_TAG_PC_RESULT_TS:
		pc->result_ts = view_of(v);
		break;
	case HIPC_TAG_PC_RESULT_ROLES:
		pc->has_result_roles = 1;
		pc->result_scu = v->p[0];
		pc->result_scp = v->p[1];
		break;
	}
	return (HIPC_OK);
}

/*
 * Check what a result says about its transfer syntax: present exactly when
 * the context is accepted (PS3.8 9.3.3.2 makes it insignificant otherwise,
 * so we leave it out).
 */
static int
result_ts_ok(uint8_t result, const struct hipc_view *ts)
{
	if (result == 0 && ts->p == NULL)
		return (HIPC_ERR_MISSING);
	if (result != 0 && ts->p != NULL)
		return (HIPC_ERR_NOT_ALLOWED);
	return (HIPC_OK);
}

/* Decode one nested presentation context of ASSOC_IND. */
static int
dec_pctx(struct rbuf *v, struct dctx *d)
{
	struct hipc_pctx	 pc;
	size_t			 first = d->nviews;
	int			 rc;

	memset(&pc, 0, sizeof(pc));
	if ((rc = tlv_walk(v, pctx_specs, nitems(pctx_specs), dec_pctx_item,
	    &pc, d)) != HIPC_OK)
		return (rc);
	if ((rc = result_ts_ok(pc.result, &pc.result_ts)) != HIPC_OK)
		return (rc);
	if (pc.has_result_roles) {
		/* PS3.7 D.3.3.4: never grant a role that was not proposed. */
		if (!pc.has_roles)
			return (HIPC_ERR_NOT_ALLOWED);
		if (pc.result_scu > 1 || pc.result_scp > 1 ||
		    (pc.result_scu && !pc.scu) || (pc.result_scp && !pc.scp))
			return (HIPC_ERR_VALUE);
	}
	if (d->fill) {
		pc.ts = pc.nts > 0 ? &d->views[first] : NULL;
		d->pctx[d->npctx] = pc;
	}
	d->npctx++;
	return (HIPC_OK);
}

/* Store one item of an extended negotiation item. */
static int
dec_ext_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_ext	*e = arg;

	if (s->tag == HIPC_TAG_EXT_SOP_CLASS)
		e->sop_class = view_of(v);
	else
		e->info = view_of(v);
	return (HIPC_OK);
}

/* Decode one nested extended negotiation item (ASSOC_IND or ASSOC_RSP). */
static int
dec_ext(struct rbuf *v, struct dctx *d)
{
	struct hipc_ext	 e;
	int		 rc;

	memset(&e, 0, sizeof(e));
	if ((rc = tlv_walk(v, ext_specs, nitems(ext_specs), dec_ext_item, &e,
	    d)) != HIPC_OK)
		return (rc);
	if (d->fill)
		d->ext[d->next] = e;
	d->next++;
	return (HIPC_OK);
}

/* Store one item of a role selection item. */
static int
dec_role_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_role	*r = arg;

	if (s->tag == HIPC_TAG_ROLE_SOP_CLASS)
		r->sop_class = view_of(v);
	else {
		r->scu = v->p[0];
		r->scp = v->p[1];
	}
	return (HIPC_OK);
}

/* Decode one nested role selection item. */
static int
dec_role(struct rbuf *v, struct dctx *d)
{
	struct hipc_role	 r;
	int			 rc;

	memset(&r, 0, sizeof(r));
	if ((rc = tlv_walk(v, role_specs, nitems(role_specs), dec_role_item,
	    &r, d)) != HIPC_OK)
		return (rc);
	if (d->fill)
		d->roles[d->nroles] = r;
	d->nroles++;
	return (HIPC_OK);
}

/* Store one item of a common extended negotiation item. */
static int
dec_cext_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_cext	*c = arg;

	switch (s->tag) {
	case HIPC_TAG_CEXT_SOP_CLASS:
		c->sop_class = view_of(v);
		break;
	case HIPC_TAG_CEXT_SERVICE_CLASS:
		c->service_class = view_of(v);
		break;
	case HIPC_TAG_CEXT_RELATED:
		if (d->fill)
			d->views[d->nviews] = view_of(v);
		d->nviews++;
		c->nrelated++;
		break;
	}
	return (HIPC_OK);
}

/* Decode one nested common extended negotiation item. */
static int
dec_cext(struct rbuf *v, struct dctx *d)
{
	struct hipc_cext	 c;
	size_t			 first = d->nviews;
	int			 rc;

	memset(&c, 0, sizeof(c));
	if ((rc = tlv_walk(v, cext_specs, nitems(cext_specs), dec_cext_item,
	    &c, d)) != HIPC_OK)
		return (rc);
	if (d->fill) {
		c.related = c.nrelated > 0 ? &d->views[first] : NULL;
		d->cext[d->ncext] = c;
	}
	d->ncext++;
	return (HIPC_OK);
}

/* Store one item of the user identity item. */
static int
dec_ui_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_user_identity	*ui = arg;

	switch (s->tag) {
	case HIPC_TAG_UI_TYPE:
		ui->type = (uint8_t)val_uint(v);
		break;
	case HIPC_TAG_UI_RESPONSE_REQUESTED:
		ui->response_requested = (uint8_t)val_uint(v);
		break;
	case HIPC_TAG_UI_PRIMARY:
		ui->primary = view_of(v);
		break;
	case HIPC_TAG_UI_SECONDARY:
		ui->secondary = view_of(v);
		break;
	}
	return (HIPC_OK);
}

/* Store one item of ASSOC_IND. */
static int
dec_ind_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_assoc_ind	*m = arg;

	switch (s->tag) {
	case HIPC_TAG_APP_CONTEXT:
		m->app_context = view_of(v);
		break;
	case HIPC_TAG_CALLING_AE:
		m->calling_ae = view_of(v);
		break;
	case HIPC_TAG_CALLED_AE:
		m->called_ae = view_of(v);
		break;
	case HIPC_TAG_PEER_ADDR:
		m->peer_addr = view_of(v);
		break;
	case HIPC_TAG_LOCAL_ADDR:
		m->local_addr = view_of(v);
		break;
	case HIPC_TAG_PEER_MAX_PDU:
		m->peer_max_pdu = (uint32_t)val_uint(v);
		break;
	case HIPC_TAG_PEER_IMPL_UID:
		m->peer_impl_uid = view_of(v);
		break;
	case HIPC_TAG_PEER_IMPL_VERSION:
		m->peer_impl_version = view_of(v);
		break;
	case HIPC_TAG_ASYNC_WINDOW:
		m->has_async = 1;
		m->async_invoked = get_u16(v->p);
		m->async_performed = get_u16(v->p + 2);
		break;
	case HIPC_TAG_CALLING_AE_RAW:
		m->calling_ae_raw = view_of(v);
		break;
	case HIPC_TAG_CALLED_AE_RAW:
		m->called_ae_raw = view_of(v);
		break;
	case HIPC_TAG_PEER_PORT:
		m->peer_port = (uint16_t)val_uint(v);
		break;
	case HIPC_TAG_LOCAL_PORT:
		m->local_port = (uint16_t)val_uint(v);
		break;
	case HIPC_TAG_ASSOC_ID:
		m->assoc_id = view_of(v);
		break;
	case HIPC_TAG_PCTX:
		return (dec_pctx(v, d));
	case HIPC_TAG_EXT:
		return (dec_ext(v, d));
	case HIPC_TAG_ROLE:
		return (dec_role(v, d));
	case HIPC_TAG_CEXT:
		return (dec_cext(v, d));
	case HIPC_TAG_USER_IDENTITY:
		m->has_user_identity = 1;
		return (tlv_walk(v, ui_specs, nitems(ui_specs), dec_ui_item,
		    &m->ui, d));
	case HIPC_TAG_OUR_MAX_PDU:
		m->our_max_pdu = (uint32_t)val_uint(v);
		break;
	case HIPC_TAG_OUR_IMPL_UID:
		m->our_impl_uid = view_of(v);
		break;
	case HIPC_TAG_OUR_IMPL_VERSION:
		m->our_impl_version = view_of(v);
		break;
	case HIPC_TAG_DECIDED:
		m->decided = (uint8_t)val_uint(v);
		if (m->decided > 1)
			return (HIPC_ERR_VALUE);
		break;
	}
	return (HIPC_OK);
}

/* Decode an ASSOC_IND body; its lists go to the pools. */
static int
dec_assoc_ind(struct rbuf *b, struct hipc_assoc_ind *m, struct dctx *d)
{
	int	 rc;

	if ((rc = tlv_walk(b, ind_specs, nitems(ind_specs), dec_ind_item, m,
	    d)) != HIPC_OK)
		return (rc);
	/* The lists are the only ones of their kind in this message. */
	m->npctx = d->npctx;
	m->next = d->next;
	m->nroles = d->nroles;
	m->ncext = d->ncext;
	if (d->fill) {
		m->pctx = m->npctx > 0 ? d->pctx : NULL;
		m->ext = m->next > 0 ? d->ext : NULL;
		m->roles = m->nroles > 0 ? d->roles : NULL;
		m->cext = m->ncext > 0 ? d->cext : NULL;
	}
	return (HIPC_OK);
}

/* Store one item of a context answer. */
static int
dec_answer_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_pc_answer	*a = arg;

	switch (s->tag) {
	case HIPC_TAG_PC_ID:
		a->id = (uint8_t)val_uint(v);
		if ((a->id & 1) == 0)
			return (HIPC_ERR_VALUE);
		break;
	case HIPC_TAG_PC_RESULT:
		a->result = (uint8_t)val_uint(v);
		if (a->result > 4)
			return (HIPC_ERR_VALUE);
		break;
	case HIPC_TAG_PC_RESULT_TS:
		a->ts = view_of(v);
		break;
	case HIPC_TAG_PC_RESULT_ROLES:
		a->has_roles = 1;
		a->scu = v->p[0];
		a->scp = v->p[1];
		if (a->scu > 1 || a->scp > 1)
			return (HIPC_ERR_VALUE);
		break;
	}
	return (HIPC_OK);
}

/* Decode one nested context answer of ASSOC_RSP. */
static int
dec_answer(struct rbuf *v, struct dctx *d)
{
	struct hipc_pc_answer	 a;
	int			 rc;

	memset(&a, 0, sizeof(a));
	if ((rc = tlv_walk(v, answer_specs, nitems(answer_specs),
	    dec_answer_item, &a, d)) != HIPC_OK)
		return (rc);
	if ((rc = result_ts_ok(a.result, &a.ts)) != HIPC_OK)
		return (rc);
	if (d->fill)
		d->answers[d->nanswers] = a;
	d->nanswers++;
	return (HIPC_OK);
}

/* Store one item of ASSOC_RSP, counting accept and reject items. */
static int
dec_rsp_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_assoc_rsp	*m = arg;

	switch (s->tag) {
	case HIPC_TAG_DECISION:
		m->decision = (uint8_t)val_uint(v);
		if (m->decision > HIPC_DECISION_AS_PROPOSED)
			return (HIPC_ERR_VALUE);
		return (HIPC_OK);
	case HIPC_TAG_RJ_RESULT:
		m->rj_result = (uint8_t)val_uint(v);
		d->rsp_reject++;
		return (HIPC_OK);
	case HIPC_TAG_RJ_SOURCE:
		m->rj_source = (uint8_t)val_uint(v);
		d->rsp_reject++;
		return (HIPC_OK);
	case HIPC_TAG_RJ_REASON:
		m->rj_reason = (uint8_t)val_uint(v);
		d->rsp_reject++;
		return (HIPC_OK);
	case HIPC_TAG_PC_ANSWER:
		d->rsp_accept++;
		return (dec_answer(v, d));
	case HIPC_TAG_RSP_MAX_PDU:
		m->max_pdu = (uint32_t)val_uint(v);
		if (m->max_pdu == 0)
			return (HIPC_ERR_VALUE);
		break;
	case HIPC_TAG_RSP_ASYNC_WINDOW:
		m->has_async = 1;
		m->async_invoked = get_u16(v->p);
		m->async_performed = get_u16(v->p + 2);
		break;
	case HIPC_TAG_RSP_EXT:
		d->rsp_accept++;
		return (dec_ext(v, d));
	case HIPC_TAG_RSP_UI_RESPONSE:
		m->ui_response = view_of(v);
		break;
	}
	d->rsp_accept++;
	return (HIPC_OK);
}

/*
 * Decode an ASSOC_RSP body.  The handler speaks as the UL service-user,
 * so a rejection's source is 1 and its reason one PS3.8 Table 9-21 gives
 * that source.
 */
static int
dec_assoc_rsp(struct rbuf *b, struct hipc_assoc_rsp *m, struct dctx *d)
{
	int	 rc;

	if ((rc = tlv_walk(b, rsp_specs, nitems(rsp_specs), dec_rsp_item, m,
	    d)) != HIPC_OK)
		return (rc);
	switch (m->decision) {
	case HIPC_DECISION_REJECT:
		if (d->rsp_accept > 0)
			return (HIPC_ERR_NOT_ALLOWED);
		if (d->rsp_reject != 3)
			return (HIPC_ERR_MISSING);
		if (m->rj_result < 1 || m->rj_result > 2 || m->rj_source != 1)
			return (HIPC_ERR_VALUE);
		if (m->rj_reason != 1 && m->rj_reason != 2 &&
		    m->rj_reason != 3 && m->rj_reason != 7)
			return (HIPC_ERR_VALUE);
		break;
	case HIPC_DECISION_ACCEPT:
		if (d->rsp_reject > 0)
			return (HIPC_ERR_NOT_ALLOWED);
		break;
	default:
		if (d->rsp_reject > 0 || d->rsp_accept > 0)
			return (HIPC_ERR_NOT_ALLOWED);
		break;
	}
	m->nanswers = d->nanswers;
	m->next = d->next;
	if (d->fill) {
		m->answers = m->nanswers > 0 ? d->answers : NULL;
		m->ext = m->next > 0 ? d->ext : NULL;
	}
	return (HIPC_OK);
}

/*
 * Walk a PDV sequence laid out as in P-DATA-TF (PS3.8 9.3.5): each item
 * is a u32 length (at least 2), an odd context id, the message control
 * header and a fragment.  Returns the number of PDVs or an error.
 */
static int
pdv_walk(const uint8_t *p, size_t len, size_t *npdv)
{
	struct rbuf	 b, item;
	uint32_t	 ilen;
	uint8_t		 pcid;

	*npdv = 0;
	rbuf_init(&b, p, len);
	while (rbuf_left(&b) > 0) {
		if (rbuf_u32(&b, &ilen) != BUF_OK)
			return (HIPC_ERR_TRAILING);
		if (rbuf_sub(&b, ilen, &item) != BUF_OK)
			return (HIPC_ERR_SHORT);
		if (ilen < 2)
			return (HIPC_ERR_ITEM_LEN);
		(void)rbuf_u8(&item, &pcid);
		if ((pcid & 1) == 0)
			return (HIPC_ERR_VALUE);
		(*npdv)++;
	}
	return (*npdv > 0 ? HIPC_OK : HIPC_ERR_TOO_SMALL);
}

/* Store one item of RELEASE_CNF, ABORT_IND or P_ABORT_IND. */
static int
dec_small_item(void *arg, const struct tagspec *s, struct rbuf *v,
    struct dctx *d)
{
	struct hipc_msg	*m = arg;
	uint64_t	 x = 0;

	if (s->kind != K_TEXT)
		x = val_uint(v);
	switch (s->tag) {
	case HIPC_TAG_COLLISION:
		m->u.release_cnf.collision = (uint8_t)x;
		return (x <= 1 ? HIPC_OK : HIPC_ERR_VALUE);
	case HIPC_TAG_ABORT_SOURCE:
		m->u.abort_ind.source = (uint8_t)x;
		return (x <= 2 ? HIPC_OK : HIPC_ERR_VALUE);
	case HIPC_TAG_ABORT_REASON:
		m->u.abort_ind.reason = (uint8_t)x;
		break;
	case HIPC_TAG_PROVIDER_REASON:
		/* PS3.8 Table 9-26: 3 is reserved, 7 and up undefined. */
		m->u.p_abort_ind.reason = (uint8_t)x;
		return (x <= 6 && x != 3 ? HIPC_OK : HIPC_ERR_VALUE);
	case HIPC_TAG_LOCAL_CAUSE:
		m->u.p_abort_ind.cause = (uint8_t)x;
		break;
	case HIPC_TAG_ABORT_TEXT:
		m->u.p_abort_ind.text = view_of(v);
		break;
	case HIPC_TAG_ERROR_CODE:
		m->u.error.code = (uint16_t)x;
		break;
	case HIPC_TAG_ERROR_TEXT:
		m->u.error.text = view_of(v);
		break;
	case HIPC_TAG_LOG_LEVEL:
		m->u.log.level = (uint8_t)x;
		break;
	case HIPC_TAG_LOG_TEXT:
		m->u.log.text = view_of(v);
		break;
	case HIPC_TAG_SECONDS_LEFT:
		m->u.shutdown_notice.seconds = (uint32_t)x;
		break;
	case HIPC_TAG_PDUS_IN:
		m->u.stats.pdus_in = x;
		break;
	case HIPC_TAG_PDUS_OUT:
		m->u.stats.pdus_out = x;
		break;
	case HIPC_TAG_BYTES_IN:
		m->u.stats.bytes_in = x;
		break;
	case HIPC_TAG_BYTES_OUT:
		m->u.stats.bytes_out = x;
		break;
	}
	return (HIPC_OK);
}

/*
 * Decode one body into m; one pass of hipc_decode().  The caller has
 * zeroed m and set m->type.
 */
int
hipc_decode_pass(const uint8_t *body, size_t len, struct hipc_msg *m,
    struct dctx *d)
{
	struct rbuf		 b;
	const struct tagspec	*specs = NULL;
	size_t			 nspecs = 0;
	int			 rc;

	rbuf_init(&b, body, len);
	switch (m->type) {
	case HIPC_HELLO:
		return (dec_hello(&b, &m->u.hello, d));
	case HIPC_HELLO_REPLY:
		return (tlv_walk(&b, hello_reply_specs,
		    nitems(hello_reply_specs), dec_hello_reply_item,
		    &m->u.hello_reply, d));
	case HIPC_ASSOC_IND:
		return (dec_assoc_ind(&b, &m->u.assoc_ind, d));
	case HIPC_ASSOC_RSP:
		return (dec_assoc_rsp(&b, &m->u.assoc_rsp, d));
	case HIPC_PDATA_IND:
	case HIPC_PDATA_REQ:
		m->u.pdata.pdvs = body;
		m->u.pdata.len = len;
		return (pdv_walk(body, len, &m->u.pdata.npdv));
	case HIPC_RELEASE_IND:
	case HIPC_RELEASE_RSP:
	case HIPC_RELEASE_REQ:
	case HIPC_ABORT_REQ:
		/* No core items; extension items are skipped. */
		break;
	case HIPC_RELEASE_CNF:
		specs = release_cnf_specs;
		nspecs = nitems(release_cnf_specs);
		break;
	case HIPC_ABORT_IND:
		specs = abort_ind_specs;
		nspecs = nitems(abort_ind_specs);
		break;
	case HIPC_P_ABORT_IND:
		specs = p_abort_ind_specs;
		nspecs = nitems(p_abort_ind_specs);
		break;
	case HIPC_ERROR:
		specs = error_specs;
		nspecs = nitems(error_specs);
		break;
	case HIPC_LOG:
		specs = log_specs;
		nspecs = nitems(log_specs);
		break;
	case HIPC_SHUTDOWN_NOTICE:
		specs = shutdown_specs;
		nspecs = nitems(shutdown_specs);
		break;
	case HIPC_STATS:
		specs = stats_specs;
		nspecs = nitems(stats_specs);
		break;
	default:
		return (HIPC_ERR_TYPE);
	}
	rc = tlv_walk(&b, specs, nspecs, dec_small_item, m, d);
	return (rc);
}

/* Round n up to the arena alignment. */
static size_t
arena_round(size_t n)
{
	return ((n + HIPC_ARENA_ALIGN - 1) & ~(size_t)(HIPC_ARENA_ALIGN - 1));
}

/* Return the arena bytes the pools counted in d need, with alignment. */
static size_t
arena_need(const struct dctx *d)
{
	size_t	 n;

	n = arena_round(d->npctx * sizeof(struct hipc_pctx)) +
	    arena_round(d->nviews * sizeof(struct hipc_view)) +
	    arena_round(d->nroles * sizeof(struct hipc_role)) +
	    arena_round(d->next * sizeof(struct hipc_ext)) +
	    arena_round(d->ncext * sizeof(struct hipc_cext)) +
	    arena_round(d->nanswers * sizeof(struct hipc_pc_answer));
	return (n > 0 ? n + HIPC_ARENA_ALIGN - 1 : 0);
}

/* Take n elements of size sz from the arena cursor, or NULL for none. */
static void *
arena_take(uint8_t **cur, size_t n, size_t sz)
{
	void	*p;

	if (n == 0)
		return (NULL);
	p = *cur;
	*cur += arena_round(n * sz);
	return (p);
}

/*
 * Return an arena size that is enough for any body of len bytes: every
 * list element is a TLV item of at least 6 bytes.
 */
size_t
hipc_arena_bound(size_t len)
{
	size_t	 el = sizeof(struct hipc_pctx);

	if (el < sizeof(struct hipc_cext))
		el = sizeof(struct hipc_cext);
	if (el < sizeof(struct hipc_pc_answer))
		el = sizeof(struct hipc_pc_answer);
	if (el < sizeof(struct hipc_ext))
		el = sizeof(struct hipc_ext);
	if (el < sizeof(struct hipc_role))
		el = sizeof(struct hipc_role);
	if (el < sizeof(struct hipc_view))
		el = sizeof(struct hipc_view);
	return ((len / HIPC_TLV_HDR_LEN) * arena_round(el) +
	    7 * HIPC_ARENA_ALIGN);
}

/*
 * Decode a body of the given type into m.  Lists (presentation contexts,
 * transfer syntaxes, negotiation items, answers) are placed in arena;
 * *need (if not NULL) receives the arena size this body needs, also when
 * the call fails with HIPC_ERR_SPACE.  Bodies without lists need no
 * arena.  On success every view in m points into body.
 */
int
hipc_decode(enum hipc_type type, const uint8_t *body, size_t len,
    struct hipc_msg *m, void *arena, size_t arenalen, size_t *need)
{
	static const uint8_t	 empty[1];
	const struct hipc_rule	*r;
	struct dctx		 d;
	uint8_t			*cur;
	size_t			 n;
	int			 rc;

	memset(m, 0, sizeof(*m));
	m->type = type;
	if (need != NULL)
		*need = 0;
	if (body == NULL) {
		if (len > 0)
			return (HIPC_ERR_SHORT);
		body = empty;
	}
	if ((r = hipc_rule(type)) == NULL)
		return (HIPC_ERR_TYPE);
	if (len > r->max_len)
		return (HIPC_ERR_TOO_LARGE);
	if (len < r->min_len)
		return (HIPC_ERR_TOO_SMALL);

	memset(&d, 0, sizeof(d));
	if ((rc = hipc_decode_pass(body, len, m, &d)) != HIPC_OK)
		return (rc);
	n = arena_need(&d);
	if (need != NULL)
		*need = n;
	if (n == 0)
		return (HIPC_OK);
	if (arena == NULL || arenalen < n)
		return (HIPC_ERR_SPACE);

	cur = arena;
	cur += (HIPC_ARENA_ALIGN - (uintptr_t)cur % HIPC_ARENA_ALIGN) %
	    HIPC_ARENA_ALIGN;
	d.pctx = arena_take(&cur, d.npctx, sizeof(*d.pctx));
	d.views = arena_take(&cur, d.nviews, sizeof(*d.views));
	d.roles = arena_take(&cur, d.nroles, sizeof(*d.roles));
	d.ext = arena_take(&cur, d.next, sizeof(*d.ext));
	d.cext = arena_take(&cur, d.ncext, sizeof(*d.cext));
	d.answers = arena_take(&cur, d.nanswers, sizeof(*d.answers));
	d.npctx = d.nviews = d.nroles = d.next = d.ncext = d.nanswers = 0;
	d.rsp_accept = d.rsp_reject = 0;
	d.fill = 1;

	memset(m, 0, sizeof(*m));
	m->type = type;
	return (hipc_decode_pass(body, len, m, &d));
}

/* Write the 6-byte header of a PDV item carrying datalen bytes. */
void
hipc_pdv_hdr_put(uint8_t *p, uint8_t pcid, uint8_t mch, uint32_t datalen)
{
	put_u32(p, datalen + 2);
	p[4] = pcid;
	p[5] = mch;
}

/* Start walking the PDVs of a decoded PDATA_IND or PDATA_REQ. */
void
hipc_pdv_begin(struct hipc_pdv_iter *it, const struct hipc_pdata *pd)
{
	it->p = pd->pdvs;
	it->end = pd->pdvs == NULL ? NULL : pd->pdvs + pd->len;
}

/*
 * Take the next PDV: 1 when one was stored in pdv, 0 at the end, or an
 * error if the bytes are not a valid sequence (never after a successful
 * hipc_decode()).
 */
int
hipc_pdv_next(struct hipc_pdv_iter *it, struct hipc_pdv *pdv)
{
	struct rbuf	 b, item;
	uint32_t	 ilen;

	if (it->p == it->end)
		return (0);
	rbuf_init(&b, it->p, (size_t)(it->end - it->p));
	if (rbuf_u32(&b, &ilen) != BUF_OK)
		return (HIPC_ERR_TRAILING);
	if (rbuf_sub(&b, ilen, &item) != BUF_OK)
		return (HIPC_ERR_SHORT);
	if (ilen < 2)
		return (HIPC_ERR_ITEM_LEN);
	(void)rbuf_u8(&item, &pdv->pcid);
	(void)rbuf_u8(&item, &pdv->mch);
	pdv->data = item.p;
	pdv->len = rbuf_left(&item);
	it->p = b.p;
	return (1);
}
