/*
 * pdu_encode.c: writing PS3.8 PDUs, each into one caller-supplied buffer.
 *
 * The writer keeps counting when the buffer is full, so every length is
 * known and checked whatever the buffer size: a value that cannot be
 * sent is PDU_ERR_VALUE even when the buffer is also too small.
 */

#include "compat.h"

#include <limits.h>
#include <string.h>

#include "buf.h"
#include "pdu.h"

struct enc {
	uint8_t		*buf;
	size_t		 cap;
	size_t		 len;	/* bytes the PDU needs so far */
	int		 err;	/* first PDU_ERR_VALUE seen */
};

static void	enc_init(struct enc *, void *, size_t);
static void	enc_put(struct enc *, const void *, size_t);
static void	enc_u8(struct enc *, uint8_t);
static void	enc_u16(struct enc *, uint16_t);
static void	enc_u32(struct enc *, uint32_t);
static void	enc_fill(struct enc *, uint8_t, size_t);
static size_t	enc_open(struct enc *, uint8_t, uint8_t);
static void	enc_close(struct enc *, size_t);
static void	enc_lstr(struct enc *, const struct pdu_str *);
static void	enc_item_str(struct enc *, uint8_t, const struct pdu_str *);
static void	enc_ae(struct enc *, const struct pdu_str *);
static void	enc_pdu_begin(struct enc *, uint8_t);
static ssize_t	enc_pdu_end(struct enc *);
static int	pcid_ok(uint8_t);
static void	enc_pctx(struct enc *, const struct pdu_pctx *, int);
static void	enc_user_info(struct enc *, const struct pdu_user_info *);
static void	enc_related(struct enc *, const struct pdu_common_ext_neg *);
static ssize_t	encode_assoc(void *, size_t, const struct pdu_assoc *, int);
static ssize_t	encode_fixed(void *, size_t, uint8_t, uint8_t, uint8_t,
		    uint8_t, uint8_t);

/* Start writing into buf. */
static void
enc_init(struct enc *e, void *buf, size_t cap)
{
	e->buf = buf;
	e->cap = buf == NULL ? 0 : cap;
	e->len = 0;
	e->err = PDU_OK;
}

/* Append n bytes if they fit; count them either way. */
static void
enc_put(struct enc *e, const void *p, size_t n)
{
	if (e->len <= e->cap && n <= e->cap - e->len && n > 0)
		memcpy(e->buf + e->len, p, n);
	if (n > SIZE_MAX - e->len)
		e->err = PDU_ERR_VALUE;
	else
		e->len += n;
}

/* Append one byte. */
static void
enc_u8(struct enc *e, uint8_t v)
{
	enc_put(e, &v, 1);
}

/* Append a big-endian 16-bit integer. */
static void
enc_u16(struct enc *e, uint16_t v)
{
	uint8_t	 b[2];

	put_u16(b, v);
	enc_put(e, b, sizeof(b));
}

/* Append a big-endian 32-bit integer. */
static void
enc_u32(struct enc *e, uint32_t v)
{
	uint8_t	 b[4];

	put_u32(b, v);
	enc_put(e, b, sizeof(b));
}

/* Append n copies of one byte. */
static void
enc_fill(struct enc *e, uint8_t c, size_t n)
{
	uint8_t	 b[32];
	size_t	 k;

	memset(b, c, sizeof(b));
	while (n > 0) {
		k = n < sizeof(b) ? n : sizeof(b);
		enc_put(e, b, k);
		n -= k;
	}
}

/* Start an item; its length is filled in by enc_close(). */
static size_t
enc_open(struct enc *e, uint8_t type, uint8_t b2)
{
	size_t	 off = e->len;

	enc_u8(e, type);
	enc_u8(e, b2);
	enc_u16(e, 0);
	return (off);
}

/* Finish the item opened at off: its length must fit in 16 bits. */
static void
enc_close(struct enc *e, size_t off)
{
	size_t	 n = e->len - off - 4;

	if (n > PDU_ITEM_MAX_LEN) {
		e->err = PDU_ERR_VALUE;
		return;
	}
	if (off + 4 <= e->cap && e->len <= e->cap)
		put_u16(e->buf + off + 2, (uint16_t)n);
}

/* Append a u16 length and the bytes of s. */
static void
enc_lstr(struct enc *e, const struct pdu_str *s)
{
	if (s->len > PDU_ITEM_MAX_LEN) {
		e->err = PDU_ERR_VALUE;
		return;
	}
	enc_u16(e, (uint16_t)s->len);
	enc_put(e, s->p, s->len);
}

/* Append an item whose value is one string. */
static void
enc_item_str(struct enc *e, uint8_t type, const struct pdu_str *s)
{
	size_t	 off;

	off = enc_open(e, type, 0);
	enc_put(e, s->p, s->len);
	enc_close(e, off);
}

/* Append an AE title field: up to 16 bytes, padded with spaces. */
static void
enc_ae(struct enc *e, const struct pdu_str *ae)
{
	if (ae->len > PDU_AE_LEN) {
		e->err = PDU_ERR_VALUE;
		return;
	}
	enc_put(e, ae->p, ae->len);
	enc_fill(e, ' ', PDU_AE_LEN - ae->len);
}

/* Write a PDU header whose length enc_pdu_end() fills in. */
static void
enc_pdu_begin(struct enc *e, uint8_t type)
{
	enc_u8(e, type);
	enc_u8(e, 0);
	enc_u32(e, 0);
}

/* Fill in the PDU-length (PS3.8 9.3.1: bytes after the header). */
static ssize_t
enc_pdu_end(struct enc *e)
{
	size_t	 n = e->len - PDU_HDR_LEN;

	if (e->err != PDU_OK)
		return (e->err);
	if (n > UINT32_MAX || e->len > SSIZE_MAX)
		return (PDU_ERR_VALUE);
	if (e->len > e->cap)
		return (PDU_ERR_SPACE);
	put_u32(e->buf + 2, (uint32_t)n);
	return ((ssize_t)e->len);
}

/* Tell whether a presentation context ID may be sent: odd, 1..255. */
static int
pcid_ok(uint8_t id)
{
	return ((id & 1) != 0);
}

/*
 * Append one presentation context item: in an RQ with its abstract syntax
 * and every transfer syntax; in an AC with its result and exactly one
 * transfer syntax (PS3.8 9.3.3.2: present even when rejected).
 */
static void
enc_pctx(struct enc *e, const struct pdu_pctx *pc, int rq)
{
	struct pdu_iter	 it;
	struct pdu_str	 ts;
	size_t		 off;

	if (!rq && pc->result > PDU_PCTX_TRANSFER_SYNTAXES_NOT_SUPPORTED) {
		e->err = PDU_ERR_VALUE;
		return;
	}
	off = enc_open(e, rq ? PDU_ITEM_PCTX_RQ : PDU_ITEM_PCTX_AC, 0);
	enc_u8(e, pc->id);
	enc_u8(e, 0);
	enc_u8(e, rq ? 0 : pc->result);
	enc_u8(e, 0);
	if (rq) {
		enc_item_str(e, PDU_ITEM_ABSTRACT_SYNTAX, &pc->abstract_syntax);
		pdu_ts_iter(&it, pc);
		while (pdu_iter_next(&it, &ts))
			enc_item_str(e, PDU_ITEM_TRANSFER_SYNTAX, &ts);
	} else
		enc_item_str(e, PDU_ITEM_TRANSFER_SYNTAX, &pc->ts);
	enc_close(e, off);
}

/*
 * Append the related-general-SOP-class list of a 0x57 sub-item, from the
 * caller's array or from raw bytes, which must be a well-formed list.
 */
static void
enc_related(struct enc *e, const struct pdu_common_ext_neg *ce)
{
	struct rbuf	 b;
	struct pdu_str	 uid;
	uint16_t	 n;
	unsigned int	 i;
	size_t		 off;

	if (ce->related_list == NULL) {
		rbuf_init(&b, ce->related.p, ce->related.len);
		while (rbuf_left(&b) > 0) {
			if (rbuf_u16(&b, &n) != BUF_OK ||
			    rbuf_skip(&b, n) != BUF_OK) {
				e->err = PDU_ERR_VALUE;
				return;
			}
		}
		enc_lstr(e, &ce->related);
		return;
	}
	off = e->len;
	enc_u16(e, 0);
	for (i = 0; i < ce->n_related; i++) {
		uid = ce->related_list[i];
		enc_lstr(e, &uid);
	}
	n = 0;
	if (e->len - off - 2 > PDU_ITEM_MAX_LEN)
		e->err = PDU_ERR_VALUE;
	else
		n = (uint16_t)(e->len - off - 2);
	if (off + 2 <= e->cap && e->len <= e->cap)
		put_u16(e->buf + off, n);
}

/* Append the user information item and its sub-items, in ascending order. */
static void
enc_user_info(struct enc *e, const struct pdu_user_info *ui)
{
	const struct pdu_common_ext_neg	*ce;
	size_t				 off, sub;
	unsigned int			 i;

	if (ui->n_roles > PDU_MAX_ROLES || ui->n_ext_neg > PDU_MAX_EXT_NEG ||
	    ui->n_common_ext_neg > PDU_MAX_COMMON_EXT_NEG) {
		e->err = PDU_ERR_VALUE;
		return;
	}
	off = enc_open(e, PDU_ITEM_USER_INFO, 0);
	if (ui->has_max_length) {
		sub = enc_open(e, PDU_ITEM_MAX_LENGTH, 0);
		enc_u32(e, ui->max_length);
		enc_close(e, sub);
	}
	if (ui->has_impl_class_uid)
		enc_item_str(e, PDU_ITEM_IMPL_CLASS_UID, &ui->impl_class_uid);
	if (ui->has_async_ops) {
		sub = enc_open(e, PDU_ITEM_ASYNC_OPS, 0);
		enc_u16(e, ui->async_invoked);
		enc_u16(e, ui->async_performed);
		enc_close(e, sub);
	}
	for (i = 0; i < ui->n_roles; i++) {
		sub = enc_open(e, PDU_ITEM_ROLE_SELECTION, 0);
		enc_lstr(e, &ui->roles[i].sop_class);
		enc_u8(e, ui->roles[i].scu);
		enc_u8(e, ui->roles[i].scp);
		enc_close(e, sub);
	}
	if (ui->has_impl_version)
		enc_item_str(e, PDU_ITEM_IMPL_VERSION, &ui->impl_version);
	for (i = 0; i < ui->n_ext_neg; i++) {
		sub = enc_open(e, PDU_ITEM_SOP_EXT_NEG, 0);
		enc_lstr(e, &ui->ext_neg[i].sop_class);
		enc_put(e, ui->ext_neg[i].info.p, ui->ext_neg[i].info.len);
		enc_close(e, sub);
	}
	for (i = 0; i < ui->n_common_ext_neg; i++) {
		ce = &ui->common_ext_neg[i];
		sub = enc_open(e, PDU_ITEM_SOP_COMMON_EXT_NEG, 0);
		enc_lstr(e, &ce->sop_class);
		enc_lstr(e, &ce->service_class);
		enc_related(e, ce);
		enc_close(e, sub);
	}
	if (ui->has_user_identity) {
		sub = enc_open(e, PDU_ITEM_USER_IDENTITY_RQ, 0);
		enc_u8(e, ui->user_identity.type);
		enc_u8(e, ui->user_identity.positive_response);
		enc_lstr(e, &ui->user_identity.primary);
		enc_lstr(e, &ui->user_identity.secondary);
		enc_close(e, sub);
	}
	if (ui->has_user_identity_ac) {
		sub = enc_open(e, PDU_ITEM_USER_IDENTITY_AC, 0);
		enc_lstr(e, &ui->server_response);
		enc_close(e, sub);
	}
	enc_close(e, off);
}

/*
 * Write an A-ASSOCIATE-RQ or -AC (PS3.8 Tables 9-11 and 9-17).  The
 * protocol version sent is always 1.  Context IDs must be odd and unique,
 * and there must be 1 to 128 contexts.
 */
static ssize_t
encode_assoc(void *buf, size_t cap, const struct pdu_assoc *a, int rq)
{
	static const struct pdu_str	 dicom_app = {
		(const uint8_t *)PDU_APP_CONTEXT_NAME,
		sizeof(PDU_APP_CONTEXT_NAME) - 1
	};
	struct enc			 e;
	uint8_t				 ids[32];
	unsigned int			 i;
	uint8_t				 id;

	enc_init(&e, buf, cap);
	if (a->n_pctx == 0 || a->n_pctx > PDU_MAX_PCTX)
		return (PDU_ERR_VALUE);
	memset(ids, 0, sizeof(ids));
	for (i = 0; i < a->n_pctx; i++) {
		id = a->pctx[i].id;
		if (!pcid_ok(id) || (ids[id >> 3] & (1 << (id & 7))))
			return (PDU_ERR_VALUE);
		ids[id >> 3] |= 1 << (id & 7);
	}

	enc_pdu_begin(&e, rq ? PDU_ASSOC_RQ : PDU_ASSOC_AC);
	enc_u16(&e, PDU_PROTOCOL_VERSION);
	enc_u16(&e, 0);
	if (!rq && a->echo != NULL)
		enc_put(&e, a->echo, PDU_AE_ECHO_LEN);
	else {
		enc_ae(&e, &a->called_ae);
		enc_ae(&e, &a->calling_ae);
		enc_fill(&e, 0, 32);
	}
	enc_item_str(&e, PDU_ITEM_APP_CONTEXT,
	    a->app_context.p == NULL ? &dicom_app : &a->app_context);
	for (i = 0; i < a->n_pctx; i++)
		enc_pctx(&e, &a->pctx[i], rq);
	enc_user_info(&e, &a->ui);
	return (enc_pdu_end(&e));
}

/* Write an A-ASSOCIATE-RQ. */
ssize_t
pdu_encode_assoc_rq(void *buf, size_t cap, const struct pdu_assoc *a)
{
	return (encode_assoc(buf, cap, a, 1));
}

/* Write an A-ASSOCIATE-AC. */
ssize_t
pdu_encode_assoc_ac(void *buf, size_t cap, const struct pdu_assoc *a)
{
	return (encode_assoc(buf, cap, a, 0));
}

/* Write one of the 10-byte PDUs: header, then four body bytes. */
static ssize_t
encode_fixed(void *buf, size_t cap, uint8_t type, uint8_t b0, uint8_t b1,
    uint8_t b2, uint8_t b3)
{
	struct enc	 e;

	enc_init(&e, buf, cap);
	enc_pdu_begin(&e, type);
	enc_u8(&e, b0);
	enc_u8(&e, b1);
	enc_u8(&e, b2);
	enc_u8(&e, b3);
	return (enc_pdu_end(&e));
}

/* Write an A-ASSOCIATE-RJ; only the triples of PS3.8 Table 9-21 go out. */
ssize_t
pdu_encode_assoc_rj(void *buf, size_t cap, uint8_t result, uint8_t source,
    uint8_t reason)
{
	if (!pdu_rj_valid(result, source, reason))
		return (PDU_ERR_VALUE);
	return (encode_fixed(buf, cap, PDU_ASSOC_RJ, 0, result, source,
	    reason));
}

/* Write an A-RELEASE-RQ. */
ssize_t
pdu_encode_release_rq(void *buf, size_t cap)
{
	return (encode_fixed(buf, cap, PDU_RELEASE_RQ, 0, 0, 0, 0));
}

/* Write an A-RELEASE-RP. */
ssize_t
pdu_encode_release_rp(void *buf, size_t cap)
{
	return (encode_fixed(buf, cap, PDU_RELEASE_RP, 0, 0, 0, 0));
}

/* Write an A-ABORT; only the pairs of PS3.8 Table 9-26 go out. */
ssize_t
pdu_encode_abort(void *buf, size_t cap, uint8_t source, uint8_t reason)
{
	if (!pdu_abort_valid(source, reason))
		return (PDU_ERR_VALUE);
	return (encode_fixed(buf, cap, PDU_ABORT, 0, 0, source, reason));
}

/*
 * Write a P-DATA-TF carrying n PDVs (PS3.8 Tables 9-22 and 9-23).  Bits
 * 2-7 of each message control header are sent as zero.  Fitting the PDU
 * to the peer's maximum length is the caller's business.
 */
ssize_t
pdu_encode_pdata(void *buf, size_t cap, const struct pdu_pdv *pdv, size_t n)
{
	struct enc	 e;
	size_t		 i;

	if (n == 0)
		return (PDU_ERR_VALUE);
	enc_init(&e, buf, cap);
	enc_pdu_begin(&e, PDU_P_DATA_TF);
	for (i = 0; i < n; i++) {
		if (!pcid_ok(pdv[i].pcid) || pdv[i].len > UINT32_MAX - 2)
			return (PDU_ERR_VALUE);
		enc_u32(&e, (uint32_t)(pdv[i].len + 2));
		enc_u8(&e, pdv[i].pcid);
		enc_u8(&e, pdv[i].mch & PDU_MCH_MASK);
		enc_put(&e, pdv[i].data, pdv[i].len);
	}
	return (enc_pdu_end(&e));
}

/*
 * Fill the 12 bytes that precede the data of a P-DATA-TF carrying a
 * single PDV of len data bytes, so the data can follow from its own
 * buffer with writev().
 */
int
pdu_pdata_header(uint8_t *hdr, uint8_t pcid, uint8_t mch, size_t len)
{
	if (!pcid_ok(pcid) || len > UINT32_MAX - PDU_PDV_HDR_LEN)
		return (PDU_ERR_VALUE);
	hdr[0] = PDU_P_DATA_TF;
	hdr[1] = 0;
	put_u32(hdr + 2, (uint32_t)(len + PDU_PDV_HDR_LEN));
	put_u32(hdr + 6, (uint32_t)(len + 2));
	hdr[10] = pcid;
	hdr[11] = mch & PDU_MCH_MASK;
	return (PDU_OK);
}
