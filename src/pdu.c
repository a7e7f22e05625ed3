/*
 * pdu.c: reading PS3.8 PDUs: the header check, the body decoders and the
 * iterators over lists the decoders have validated.
 */

#include "compat.h"

#include <string.h>

#include "buf.h"
#include "pdu.h"

#define ITEM_HDR_LEN	4	/* type, reserved, u16 length */

enum iter_kind {
	ITER_LIST = 1,		/* caller's array of strings */
	ITER_TS,		/* 0x40 sub-items among a context's sub-items */
	ITER_RELATED,		/* u16 length + UID, repeated (0x57) */
	ITER_PDV,		/* PDV items of a P-DATA-TF */
};

/* Where the decoder is, so a failure can say which item it was in. */
struct dec {
	const uint8_t	*base;
	uint8_t		 item;
	const uint8_t	*at;
};

static int	item_next(struct dec *, struct rbuf *, uint8_t *, uint8_t *,
		    struct rbuf *);
static int	take_lstr(struct rbuf *, struct pdu_str *);
static void	view(struct pdu_str *, const struct rbuf *);
static int	decode_assoc(const uint8_t *, size_t, struct pdu_assoc *,
		    int);
static int	decode_pctx(struct dec *, struct rbuf *, struct pdu_pctx *,
		    int, uint8_t *);
static int	decode_user_info(struct dec *, struct rbuf *,
		    struct pdu_user_info *, int);
static int	decode_role(struct rbuf *, struct pdu_user_info *);
static int	decode_ext_neg(struct rbuf *, struct pdu_user_info *);
static int	decode_common_ext_neg(struct rbuf *, struct pdu_user_info *);
static int	decode_user_identity(struct rbuf *, struct pdu_user_info *);
static int	decode_user_identity_ac(struct rbuf *, struct pdu_user_info *);
static int	related_count(const struct pdu_str *, unsigned int *);

/* Fill in the project's default caps. */
void
pdu_limits_default(struct pdu_limits *lim)
{
	lim->max_assoc_len = PDU_DEFAULT_MAX_ASSOC_LEN;
	lim->max_pdata_len = PDU_DEFAULT_MAX_PDATA_LEN;
}

/*
 * Check a 6-byte PDU header before any of the body is read (PS3.8 9.3.1,
 * digest 12 step 3).  The reserved byte is not tested.  Before we have
 * announced a maximum length, a P-DATA-TF is held to the same cap as an
 * association PDU; once associated, to the maximum our AC announced.
 */
int
pdu_header_check(const uint8_t *hdr, const struct pdu_limits *lim,
    enum pdu_phase phase, struct pdu_hdr *h)
{
	uint32_t	 assoc_cap, pdata_cap;

	h->type = hdr[0];
	h->len = get_u32(hdr + 2);
	assoc_cap = PDU_DEFAULT_MAX_ASSOC_LEN;
	pdata_cap = PDU_DEFAULT_MAX_PDATA_LEN;
	if (lim != NULL && lim->max_assoc_len != 0)
		assoc_cap = lim->max_assoc_len;
	if (lim != NULL && lim->max_pdata_len != 0)
		pdata_cap = lim->max_pdata_len;
	if (phase != PDU_PHASE_ASSOCIATED)
		pdata_cap = assoc_cap;

	switch (h->type) {
	case PDU_ASSOC_RQ:
	case PDU_ASSOC_AC:
		if (h->len < PDU_ASSOC_FIXED_LEN)
			return (PDU_ERR_ASSOC_SHORT);
		if (h->len > assoc_cap)
			return (PDU_ERR_ASSOC_TOO_LONG);
		return (PDU_OK);
	case PDU_P_DATA_TF:
		if (h->len < PDU_PDV_HDR_LEN)
			return (PDU_ERR_PDATA_SHORT);
		if (h->len > pdata_cap)
			return (PDU_ERR_PDATA_TOO_LONG);
		return (PDU_OK);
	case PDU_ASSOC_RJ:
	case PDU_RELEASE_RQ:
	case PDU_RELEASE_RP:
	case PDU_ABORT:
		if (h->len != PDU_FIXED_BODY_LEN)
			return (PDU_ERR_FIXED_LENGTH);
		return (PDU_OK);
	default:
		return (PDU_ERR_UNKNOWN_TYPE);
	}
}

/* Decode the body of a PDU whose header pdu_header_check() accepted. */
int
pdu_decode_body(uint8_t type, const uint8_t *body, size_t len,
    struct pdu *pdu)
{
	pdu->type = type;
	pdu->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

	switch (type) {
	case PDU_ASSOC_RQ:
		return (pdu_decode_assoc_rq(body, len, &pdu->u.assoc));
	case PDU_ASSOC_AC:
		return (pdu_decode_assoc_ac(body, len, &pdu->u.assoc));
	case PDU_ASSOC_RJ:
		return (pdu_decode_assoc_rj(body, len, &pdu->u.rj));
	case PDU_P_DATA_TF:
		return (pdu_decode_pdata(body, len, &pdu->u.pdata));
	case PDU_RELEASE_RQ:
	case PDU_RELEASE_RP:
		return (pdu_decode_release(body, len));
	case PDU_ABORT:
		return (pdu_decode_abort(body, len, &pdu->u.abort));
	default:
		return (PDU_ERR_UNKNOWN_TYPE);
	}
}

/*
 * Decode the PDU at the start of buf, header and body, and store the
 * number of bytes it takes in *used.  For callers that hold whole PDUs.
 */
int
pdu_decode(const uint8_t *buf, size_t len, const struct pdu_limits *lim,
    enum pdu_phase phase, struct pdu *pdu, size_t *used)
{
	struct pdu_hdr	 h;
	size_t		 left;
	int		 r;

	if (size_sub(len, PDU_HDR_LEN, &left) != BUF_OK)
		return (PDU_ERR_TRUNCATED);
	if ((r = pdu_header_check(buf, lim, phase, &h)) != PDU_OK)
		return (r);
	if (left < h.len)
		return (PDU_ERR_TRUNCATED);
	if ((r = pdu_decode_body(h.type, buf + PDU_HDR_LEN, h.len, pdu)) !=
	    PDU_OK)
		return (r);
	if (used != NULL)
		*used = PDU_HDR_LEN + (size_t)h.len;
	return (PDU_OK);
}

/*
 * Take one item header from the parent and split off the item's value.
 * The second header byte is reserved everywhere but in 0x57, where it is
 * the sub-item version, so it is handed back rather than tested.
 */
static int
item_next(struct dec *d, struct rbuf *parent, uint8_t *type, uint8_t *b2,
    struct rbuf *val)
{
	uint16_t	 len;

	d->at = parent->p;
	if (rbuf_left(parent) < ITEM_HDR_LEN)
		return (PDU_ERR_ITEM_SHORT);
	(void)rbuf_u8(parent, type);
	(void)rbuf_u8(parent, b2);
	(void)rbuf_u16(parent, &len);
	d->item = *type;
	if (rbuf_sub(parent, len, val) != BUF_OK)
		return (PDU_ERR_ITEM_LENGTH);
	return (PDU_OK);
}

/* Take a u16 length and that many bytes, both inside the item. */
static int
take_lstr(struct rbuf *b, struct pdu_str *s)
{
	uint16_t	 n;

	if (rbuf_u16(b, &n) != BUF_OK)
		return (PDU_ERR_ITEM_SIZE);
	if (rbuf_ptr(b, &s->p, n) != BUF_OK)
		return (PDU_ERR_FIELD_LENGTH);
	s->len = n;
	return (PDU_OK);
}

/* Make a string view of what is left in a cursor. */
static void
view(struct pdu_str *s, const struct rbuf *b)
{
	s->p = b->p;
	s->len = rbuf_left(b);
}

/* Decode an A-ASSOCIATE-RQ body (PS3.8 Table 9-11). */
int
pdu_decode_assoc_rq(const uint8_t *body, size_t len, struct pdu_assoc *a)
{
	return (decode_assoc(body, len, a, 1));
}

/* Decode an A-ASSOCIATE-AC body (PS3.8 Table 9-17). */
int
pdu_decode_assoc_ac(const uint8_t *body, size_t len, struct pdu_assoc *a)
{
	return (decode_assoc(body, len, a, 0));
}

/*
 * The RQ and the AC share their layout; only the presentation context
 * items differ.  Items may come in any order (a tolerance: PS3.8 asks
 * senders for ascending order), unknown ones are skipped.
 */
static int
decode_assoc(const uint8_t *body, size_t len, struct pdu_assoc *a, int rq)
{
	struct dec	 d;
	struct rbuf	 b, v;
	uint8_t		 type, b2, ids[32];
	int		 have_app = 0, have_ui = 0, r;

	memset(a, 0, sizeof(*a));
	memset(ids, 0, sizeof(ids));
	if (len < PDU_ASSOC_FIXED_LEN)
		return (PDU_ERR_ASSOC_SHORT);
	if (len > UINT32_MAX)
		return (PDU_ERR_ASSOC_TOO_LONG);
	d.base = body;
	d.item = 0;
	d.at = body;

	/* PS3.8 Table 9-11: offsets below are from the end of the header. */
	rbuf_init(&b, body, len);
	(void)rbuf_u16(&b, &a->protocol_version);
	(void)rbuf_skip(&b, 2);
	a->echo = b.p;
	(void)rbuf_ptr(&b, &a->called_ae.p, PDU_AE_LEN);
	a->called_ae.len = PDU_AE_LEN;
	(void)rbuf_ptr(&b, &a->calling_ae.p, PDU_AE_LEN);
	a->calling_ae.len = PDU_AE_LEN;
	(void)rbuf_skip(&b, 32);

	while (rbuf_left(&b) > 0) {
		if ((r = item_next(&d, &b, &type, &b2, &v)) != PDU_OK)
			goto fail;
		switch (type) {
		case PDU_ITEM_APP_CONTEXT:
			if (have_app++) {
				r = PDU_ERR_DUP_APP_CONTEXT;
				goto fail;
			}
			view(&a->app_context, &v);
			break;
		case PDU_ITEM_PCTX_RQ:
		case PDU_ITEM_PCTX_AC:
			if ((type == PDU_ITEM_PCTX_RQ) != rq) {
				r = PDU_ERR_UNEXPECTED_ITEM;
				goto fail;
			}
			if (a->n_pctx == PDU_MAX_PCTX) {
				r = PDU_ERR_TOO_MANY_PCTX;
				goto fail;
			}
			r = decode_pctx(&d, &v, &a->pctx[a->n_pctx], rq, ids);
			if (r != PDU_OK)
				goto fail;
			a->n_pctx++;
			break;
		case PDU_ITEM_USER_INFO:
			if (have_ui++) {
				r = PDU_ERR_DUP_USER_INFO;
				goto fail;
			}
			if ((r = decode_user_info(&d, &v, &a->ui, rq)) !=
			    PDU_OK)
				goto fail;
			break;
		default:
			a->skipped++;
			break;
		}
	}

	d.at = body + len;
	if (!have_app) {
		d.item = PDU_ITEM_APP_CONTEXT;
		r = PDU_ERR_NO_APP_CONTEXT;
	} else if (a->n_pctx == 0) {
		d.item = rq ? PDU_ITEM_PCTX_RQ : PDU_ITEM_PCTX_AC;
		r = PDU_ERR_NO_PCTX;
	} else if (!have_ui) {
		d.item = PDU_ITEM_USER_INFO;
		r = PDU_ERR_NO_USER_INFO;
	} else
		return (PDU_OK);
fail:
	a->err_item = d.item;
	a->err_offset = (size_t)(d.at - body);
	return (r);
}

/*
 * A presentation context item (PS3.8 Tables 9-13 and 9-18).  IDs must be
 * odd, non-zero and unique, or the AC could not answer unambiguously.
 * An RQ context needs exactly one abstract syntax; a missing transfer
 * syntax is left to policy (result 4).  An AC context carries at most one
 * transfer syntax, and an accepted one must carry it.
 */
static int
decode_pctx(struct dec *d, struct rbuf *v, struct pdu_pctx *pc, int rq,
    uint8_t *ids)
{
	const uint8_t	*start = d->at;
	struct rbuf	 s;
	uint8_t		 type, b2, res;
	int		 have_as = 0, r;

	if (rbuf_left(v) < 4)
		return (PDU_ERR_ITEM_SIZE);
	(void)rbuf_u8(v, &pc->id);
	(void)rbuf_skip(v, 1);
	(void)rbuf_u8(v, &res);
	(void)rbuf_skip(v, 1);
	if (!rq)
		pc->result = res;
	if (pc->id == 0 || (pc->id & 1) == 0)
		return (PDU_ERR_PCTX_ID);
	if (ids[pc->id >> 3] & (1 << (pc->id & 7)))
		return (PDU_ERR_PCTX_DUP_ID);
	ids[pc->id >> 3] |= 1 << (pc->id & 7);

	pc->sub = v->p;
	pc->sublen = rbuf_left(v);
	while (rbuf_left(v) > 0) {
		if ((r = item_next(d, v, &type, &b2, &s)) != PDU_OK)
			return (r);
		if (type == PDU_ITEM_ABSTRACT_SYNTAX && rq) {
			if (have_as++)
				return (PDU_ERR_DUP_ABSTRACT_SYNTAX);
			view(&pc->abstract_syntax, &s);
		} else if (type == PDU_ITEM_TRANSFER_SYNTAX) {
			if (!rq && pc->n_ts == 1)
				return (PDU_ERR_DUP_TRANSFER_SYNTAX);
			if (pc->n_ts++ == 0)
				view(&pc->ts, &s);
		} else
			pc->skipped++;
	}
	d->item = rq ? PDU_ITEM_PCTX_RQ : PDU_ITEM_PCTX_AC;
	d->at = start;
	if (rq && !have_as)
		return (PDU_ERR_NO_ABSTRACT_SYNTAX);
	if (!rq && pc->result == PDU_PCTX_ACCEPTANCE && pc->n_ts == 0)
		return (PDU_ERR_NO_TRANSFER_SYNTAX);
	return (PDU_OK);
}

/*
 * The user information item (PS3.8 Annex D, PS3.7 D.3.3).  Sub-items come
 * in any order.  Unknown ones, and the user identity sub-item of the other
 * direction, are skipped (Annex D.2: never a reason to refuse).
 */
static int
decode_user_info(struct dec *d, struct rbuf *v, struct pdu_user_info *ui,
    int rq)
{
	struct rbuf	 s;
	uint8_t		 type, b2;
	int		 r;

	while (rbuf_left(v) > 0) {
		if ((r = item_next(d, v, &type, &b2, &s)) != PDU_OK)
			return (r);
		switch (type) {
		case PDU_ITEM_MAX_LENGTH:
			if (ui->has_max_length++)
				return (PDU_ERR_DUP_SUBITEM);
			if (rbuf_left(&s) != 4)
				return (PDU_ERR_ITEM_SIZE);
			(void)rbuf_u32(&s, &ui->max_length);
			break;
		case PDU_ITEM_IMPL_CLASS_UID:
			if (ui->has_impl_class_uid++)
				return (PDU_ERR_DUP_SUBITEM);
			view(&ui->impl_class_uid, &s);
			break;
		case PDU_ITEM_ASYNC_OPS:
			if (ui->has_async_ops++)
				return (PDU_ERR_DUP_SUBITEM);
			if (rbuf_left(&s) != 4)
				return (PDU_ERR_ITEM_SIZE);
			(void)rbuf_u16(&s, &ui->async_invoked);
			(void)rbuf_u16(&s, &ui->async_performed);
			break;
		case PDU_ITEM_ROLE_SELECTION:
			if ((r = decode_role(&s, ui)) != PDU_OK)
				return (r);
			break;
		case PDU_ITEM_IMPL_VERSION:
			if (ui->has_impl_version++)
				return (PDU_ERR_DUP_SUBITEM);
			view(&ui->impl_version, &s);
			break;
		case PDU_ITEM_SOP_EXT_NEG:
			if ((r = decode_ext_neg(&s, ui)) != PDU_OK)
				return (r);
			break;
		case PDU_ITEM_SOP_COMMON_EXT_NEG:
			/* PS3.7 D.3.3.6: only version 0 has a known layout. */
			if (b2 != 0) {
				ui->skipped++;
				break;
			}
			if ((r = decode_common_ext_neg(&s, ui)) != PDU_OK)
				return (r);
			break;
		case PDU_ITEM_USER_IDENTITY_RQ:
			if (!rq) {
				ui->skipped++;
				break;
			}
			if (ui->has_user_identity)
				return (PDU_ERR_DUP_SUBITEM);
			if ((r = decode_user_identity(&s, ui)) != PDU_OK)
				return (r);
			break;
		case PDU_ITEM_USER_IDENTITY_AC:
			if (rq) {
				ui->skipped++;
				break;
			}
			if (ui->has_user_identity_ac)
				return (PDU_ERR_DUP_SUBITEM);
			if ((r = decode_user_identity_ac(&s, ui)) != PDU_OK)
				return (r);
			break;
		default:
			ui->skipped++;
			break;
		}
	}
	return (PDU_OK);
}

/*
 * 0x54 role selection (PS3.7 D.3.3.4): UID-length, UID, SCU role, SCP
 * role, and nothing after.  The role bytes are kept as sent; values other
 * than 0 and 1 are for policy to ignore.
 */
static int
decode_role(struct rbuf *s, struct pdu_user_info *ui)
{
	struct pdu_role	 role;
	int		 r;

	if ((r = take_lstr(s, &role.sop_class)) != PDU_OK)
		return (r);
	if (rbuf_left(s) != 2)
		return (PDU_ERR_ITEM_SIZE);
	(void)rbuf_u8(s, &role.scu);
	(void)rbuf_u8(s, &role.scp);
	if (ui->n_roles == PDU_MAX_ROLES)
		ui->roles_dropped++;
	else
		ui->roles[ui->n_roles++] = role;
	return (PDU_OK);
}

/* 0x56 SOP class extended negotiation (PS3.7 D.3.3.5). */
static int
decode_ext_neg(struct rbuf *s, struct pdu_user_info *ui)
{
	struct pdu_ext_neg	 en;
	int			 r;

	if ((r = take_lstr(s, &en.sop_class)) != PDU_OK)
		return (r);
	view(&en.info, s);
	if (ui->n_ext_neg == PDU_MAX_EXT_NEG)
		ui->ext_neg_dropped++;
	else
		ui->ext_neg[ui->n_ext_neg++] = en;
	return (PDU_OK);
}

/*
 * 0x57 SOP class common extended negotiation, version 0 (PS3.7 D.3.3.6,
 * Tables D.3-12 and D.3-13): three length-prefixed fields, the last of
 * which is itself a list of length-prefixed UIDs.
 */
static int
decode_common_ext_neg(struct rbuf *s, struct pdu_user_info *ui)
{
	struct pdu_common_ext_neg	 ce;
	int				 r;

	memset(&ce, 0, sizeof(ce));
	if ((r = take_lstr(s, &ce.sop_class)) != PDU_OK ||
	    (r = take_lstr(s, &ce.service_class)) != PDU_OK ||
	    (r = take_lstr(s, &ce.related)) != PDU_OK)
		return (r);
	if (rbuf_left(s) != 0)
		return (PDU_ERR_ITEM_SIZE);
	if ((r = related_count(&ce.related, &ce.n_related)) != PDU_OK)
		return (r);
	if (ui->n_common_ext_neg == PDU_MAX_COMMON_EXT_NEG)
		ui->common_ext_neg_dropped++;
	else
		ui->common_ext_neg[ui->n_common_ext_neg++] = ce;
	return (PDU_OK);
}

/* Check a related-general-SOP-class list and count its UIDs. */
static int
related_count(const struct pdu_str *list, unsigned int *n)
{
	struct rbuf	 b;
	struct pdu_str	 uid;
	int		 r;

	*n = 0;
	rbuf_init(&b, list->p, list->len);
	while (rbuf_left(&b) > 0) {
		if ((r = take_lstr(&b, &uid)) != PDU_OK)
			return (r);
		(*n)++;
	}
	return (PDU_OK);
}

/*
 * 0x58 user identity (PS3.7 Table D.3-14).  The type and the presence of
 * a secondary field are policy; only the layout is checked here.
 */
static int
decode_user_identity(struct rbuf *s, struct pdu_user_info *ui)
{
	struct pdu_user_identity	*id = &ui->user_identity;
	int				 r;

	if (rbuf_u8(s, &id->type) != BUF_OK ||
	    rbuf_u8(s, &id->positive_response) != BUF_OK)
		return (PDU_ERR_ITEM_SIZE);
	if ((r = take_lstr(s, &id->primary)) != PDU_OK ||
	    (r = take_lstr(s, &id->secondary)) != PDU_OK)
		return (r);
	if (rbuf_left(s) != 0)
		return (PDU_ERR_ITEM_SIZE);
	ui->has_user_identity = 1;
	return (PDU_OK);
}

/* 0x59 user identity server response (PS3.7 Table D.3-15). */
static int
decode_user_identity_ac(struct rbuf *s, struct pdu_user_info *ui)
{
	int	 r;

	if ((r = take_lstr(s, &ui->server_response)) != PDU_OK)
		return (r);
	if (rbuf_left(s) != 0)
		return (PDU_ERR_ITEM_SIZE);
	ui->has_user_identity_ac = 1;
	return (PDU_OK);
}

/* Decode an A-ASSOCIATE-RJ body (PS3.8 Table 9-21); values are raw. */
int
pdu_decode_assoc_rj(const uint8_t *body, size_t len, struct pdu_assoc_rj *rj)
{
	if (len != PDU_FIXED_BODY_LEN)
		return (PDU_ERR_FIXED_LENGTH);
	rj->result = body[1];
	rj->source = body[2];
	rj->reason = body[3];
	return (PDU_OK);
}

/* Check an A-RELEASE-RQ or -RP body: four reserved bytes, not tested. */
int
pdu_decode_release(const uint8_t *body, size_t len)
{
	(void)body;
	if (len != PDU_FIXED_BODY_LEN)
		return (PDU_ERR_FIXED_LENGTH);
	return (PDU_OK);
}

/* Decode an A-ABORT body (PS3.8 Table 9-26); values are raw. */
int
pdu_decode_abort(const uint8_t *body, size_t len, struct pdu_abort *ab)
{
	if (len != PDU_FIXED_BODY_LEN)
		return (PDU_ERR_FIXED_LENGTH);
	ab->source = body[2];
	ab->reason = body[3];
	return (PDU_OK);
}

/*
 * Decode a P-DATA-TF body (PS3.8 Tables 9-22 and 9-23): one or more PDV
 * items that fill it exactly.  An item length is 32 bits, so it is
 * compared with what is left, never subtracted from it before the check.
 */
int
pdu_decode_pdata(const uint8_t *body, size_t len, struct pdu_pdata *pd)
{
	struct rbuf	 b;
	uint32_t	 n, data;
	uint8_t		 id;

	memset(pd, 0, sizeof(*pd));
	if (len < PDU_PDV_HDR_LEN)
		return (PDU_ERR_PDATA_SHORT);
	if (len > UINT32_MAX)
		return (PDU_ERR_PDATA_TOO_LONG);
	rbuf_init(&b, body, len);
	while (rbuf_left(&b) > 0) {
		pd->err_offset = (size_t)(b.p - body);
		if (rbuf_u32(&b, &n) != BUF_OK)
			return (PDU_ERR_ITEM_SHORT);
		/* The item holds the context ID and control header. */
		if (len_sub(n, 2, &data) != BUF_OK)
			return (PDU_ERR_PDV_LENGTH);
		if (rbuf_left(&b) < n)
			return (PDU_ERR_ITEM_LENGTH);
		(void)rbuf_u8(&b, &id);
		if (id == 0 || (id & 1) == 0)
			return (PDU_ERR_PCTX_ID);
		(void)rbuf_skip(&b, 1 + (size_t)data);
		pd->n_pdv++;
	}
	pd->items = body;
	pd->len = len;
	pd->err_offset = 0;
	return (PDU_OK);
}

/*
 * Start walking a context's transfer syntaxes, in the peer's order: the
 * caller's ts_list, else the decoded sub-items, else ts alone if set.
 */
void
pdu_ts_iter(struct pdu_iter *it, const struct pdu_pctx *pc)
{
	memset(it, 0, sizeof(*it));
	if (pc->ts_list != NULL) {
		it->kind = ITER_LIST;
		it->list = pc->ts_list;
		it->n = pc->n_ts;
		return;
	}
	if (pc->sub == NULL && pc->ts.p != NULL) {
		it->kind = ITER_LIST;
		it->list = &pc->ts;
		it->n = 1;
		return;
	}
	it->kind = ITER_TS;
	it->p = pc->sub;
	it->end = pc->sub == NULL ? NULL : pc->sub + pc->sublen;
}

/* Start walking the related general SOP classes of a 0x57 sub-item. */
void
pdu_related_iter(struct pdu_iter *it, const struct pdu_common_ext_neg *ce)
{
	memset(it, 0, sizeof(*it));
	if (ce->related_list != NULL) {
		it->kind = ITER_LIST;
		it->list = ce->related_list;
		it->n = ce->n_related;
		return;
	}
	it->kind = ITER_RELATED;
	it->p = ce->related.p;
	it->end = ce->related.p == NULL ? NULL :
	    ce->related.p + ce->related.len;
}

/*
 * Give the next string of a list, returning 1, or 0 at its end.  The list
 * was validated when it was decoded, but the walk is bounded anyway: it
 * stops at the first thing that does not fit.
 */
int
pdu_iter_next(struct pdu_iter *it, struct pdu_str *s)
{
	struct rbuf	 b, v;
	uint8_t		 type, b2;
	uint16_t	 n;

	if (it->kind == ITER_LIST) {
		if (it->i >= it->n)
			return (0);
		*s = it->list[it->i++];
		return (1);
	}
	if (it->p == NULL)
		return (0);
	rbuf_init(&b, it->p, (size_t)(it->end - it->p));
	while (rbuf_left(&b) > 0) {
		if (it->kind == ITER_RELATED) {
			if (rbuf_u16(&b, &n) != BUF_OK ||
			    rbuf_ptr(&b, &s->p, n) != BUF_OK)
				break;
			s->len = n;
			it->p = b.p;
			it->i++;
			return (1);
		}
		if (it->kind != ITER_TS || rbuf_u8(&b, &type) != BUF_OK ||
		    rbuf_u8(&b, &b2) != BUF_OK || rbuf_u16(&b, &n) != BUF_OK ||
		    rbuf_sub(&b, n, &v) != BUF_OK)
			break;
		if (type == PDU_ITEM_TRANSFER_SYNTAX) {
			view(s, &v);
			it->p = b.p;
			it->i++;
			return (1);
		}
	}
	it->p = it->end;
	return (0);
}

/* Start walking the PDVs of a decoded P-DATA-TF. */
void
pdu_pdv_iter(struct pdu_iter *it, const struct pdu_pdata *pd)
{
	memset(it, 0, sizeof(*it));
	it->kind = ITER_PDV;
	it->p = pd->items;
	it->end = pd->items == NULL ? NULL : pd->items + pd->len;
	it->n = pd->n_pdv;
}

/* Give the next PDV, returning 1, or 0 at the end. */
int
pdu_pdv_next(struct pdu_iter *it, struct pdu_pdv *pdv)
{
	struct rbuf	 b;
	uint32_t	 n, data;
	uint8_t		 mch;

	if (it->kind != ITER_PDV || it->p == NULL)
		return (0);
	rbuf_init(&b, it->p, (size_t)(it->end - it->p));
	if (rbuf_u32(&b, &n) != BUF_OK || len_sub(n, 2, &data) != BUF_OK ||
	    rbuf_left(&b) < n) {
		it->p = it->end;
		return (0);
	}
	(void)rbuf_u8(&b, &pdv->pcid);
	(void)rbuf_u8(&b, &mch);
	pdv->mch = mch & PDU_MCH_MASK;
	pdv->len = data;
	(void)rbuf_ptr(&b, &pdv->data, pdv->len);
	it->p = b.p;
	it->i++;
	return (1);
}
