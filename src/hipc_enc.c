/*
 * hipc_enc.c: the handler protocol's encoder, the check of an A-ASSOCIATE
 * response against its indication, and message comparison.
 *
 * The encoder writes items in one canonical order (ascending tags, lists
 * in array order), writes an optional item only when the struct says it is
 * present, and then validates its own output with the decoder's first
 * pass.  So hipc_encode() succeeds exactly when the decoder would accept
 * the result, and decoding then encoding again gives the same bytes.
 */

#include "compat.h"

#include <string.h>

#include "buf.h"
#include "hipc.h"
#include "hipc_int.h"

/* An encoder: a writer plus the bytes it needs, even past overflow. */
struct enc {
	struct wbuf	 w;
	size_t		 need;
	int		 err;
};

/* Append n bytes, counting them even when they do not fit. */
static void
e_raw(struct enc *e, const void *p, size_t n)
{
	if (e->err != HIPC_OK)
		return;
	if (n > HIPC_HDR_LEN + (size_t)HIPC_LIMIT_MAX - e->need) {
		e->err = HIPC_ERR_TOO_LARGE;
		return;
	}
	e->need += n;
	wbuf_bytes(&e->w, p, n);
}

/* Append a TLV header. */
static void
e_hdr(struct enc *e, uint16_t tag, size_t len)
{
	uint8_t	 h[HIPC_TLV_HDR_LEN];

	if (len > HIPC_LIMIT_MAX) {
		if (e->err == HIPC_OK)
			e->err = HIPC_ERR_TOO_LARGE;
		return;
	}
	put_u16(h, tag);
	put_u32(h + 2, (uint32_t)len);
	e_raw(e, h, sizeof(h));
}

/* Append an integer item of width bytes. */
static void
e_uint(struct enc *e, uint16_t tag, uint64_t v, size_t width)
{
	uint8_t	 b[8];
	size_t	 i;

	for (i = 0; i < width; i++)
		b[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	e_hdr(e, tag, width);
	e_raw(e, b, width);
}

/* Append a text or bytes item if the view is present. */
static void
e_view(struct enc *e, uint16_t tag, const struct hipc_view *v)
{
	if (v->p == NULL)
		return;
	e_hdr(e, tag, v->len);
	e_raw(e, v->p, v->len);
}

/* Append a list element, which must be present. */
static void
e_elem(struct enc *e, uint16_t tag, const struct hipc_view *v)
{
	if (v->p == NULL && e->err == HIPC_OK)
		e->err = HIPC_ERR_MISSING;
	e_view(e, tag, v);
}

/* Append a two-byte item (roles). */
static void
e_pair(struct enc *e, uint16_t tag, uint8_t a, uint8_t b)
{
	uint8_t	 v[2];

	v[0] = a;
	v[1] = b;
	e_hdr(e, tag, sizeof(v));
	e_raw(e, v, sizeof(v));
}

/* Append a four-byte item of two u16 (asynchronous operations window). */
static void
e_u16pair(struct enc *e, uint16_t tag, uint16_t a, uint16_t b)
{
	uint8_t	 v[4];

	put_u16(v, a);
	put_u16(v + 2, b);
	e_hdr(e, tag, sizeof(v));
	e_raw(e, v, sizeof(v));
}

/* Open a nested item; returns its offset for e_close(). */
static size_t
e_open(struct enc *e, uint16_t tag)
{
	size_t	 mark = e->need;

	e_hdr(e, tag, 0);
	return (mark);
}

/* Close a nested item: patch its length if its header was written. */
static void
e_close(struct enc *e, size_t mark)
{
	if (e->err != HIPC_OK)
		return;
	if (mark + HIPC_TLV_HDR_LEN <= wbuf_len(&e->w))
		put_u32(e->w.base + mark + 2,
		    (uint32_t)(e->need - mark - HIPC_TLV_HDR_LEN));
}

/* Fail if a list has elements but no array. */
static int
e_list_ok(struct enc *e, const void *a, size_t n)
{
	if (n > 0 && a == NULL) {
		if (e->err == HIPC_OK)
			e->err = HIPC_ERR_MISSING;
		return (0);
	}
	return (1);
}

/* Append one extended negotiation item under tag. */
static void
enc_ext(struct enc *e, uint16_t tag, const struct hipc_ext *x)
{
	size_t	 mark;

	mark = e_open(e, tag);
	e_view(e, HIPC_TAG_EXT_SOP_CLASS, &x->sop_class);
	e_view(e, HIPC_TAG_EXT_INFO, &x->info);
	e_close(e, mark);
}

/* Append one presentation context of ASSOC_IND. */
static void
enc_pctx(struct enc *e, const struct hipc_pctx *pc)
{
	size_t	 mark, i;

	mark = e_open(e, HIPC_TAG_PCTX);
	e_uint(e, HIPC_TAG_PC_ID, pc->id, 1);
	e_view(e, HIPC_TAG_PC_ABSTRACT, &pc->abstract);
	if (e_list_ok(e, pc->ts, pc->nts)) {
		for (i = 0; i < pc->nts; i++)
			e_elem(e, HIPC_TAG_PC_TS, &pc->ts[i]);
	}
	if (pc->has_roles)
		e_pair(e, HIPC_TAG_PC_ROLES, pc->scu, pc->scp);
	e_uint(e, HIPC_TAG_PC_RESULT, pc->result, 1);
	e_view(e, HIPC_TAG_PC_RESULT_TS, &pc->result_ts);
	if (pc->has_result_roles)
		e_pair(e, HIPC_TAG_PC_RESULT_ROLES, pc->result_scu,
		    pc->result_scp);
	e_close(e, mark);
}

/* Append one common extended negotiation item. */
static void
enc_cext(struct enc *e, const struct hipc_cext *c)
{
	size_t	 mark, i;

	mark = e_open(e, HIPC_TAG_CEXT);
	e_view(e, HIPC_TAG_CEXT_SOP_CLASS, &c->sop_class);
	e_view(e, HIPC_TAG_CEXT_SERVICE_CLASS, &c->service_class);
	if (e_list_ok(e, c->related, c->nrelated)) {
		for (i = 0; i < c->nrelated; i++)
			e_elem(e, HIPC_TAG_CEXT_RELATED, &c->related[i]);
	}
	e_close(e, mark);
}

/* Append the items of an ASSOC_IND. */
static void
enc_assoc_ind(struct enc *e, const struct hipc_assoc_ind *m)
{
	size_t	 mark, i;

	e_view(e, HIPC_TAG_APP_CONTEXT, &m->app_context);
	e_view(e, HIPC_TAG_CALLING_AE, &m->calling_ae);
	e_view(e, HIPC_TAG_CALLED_AE, &m->called_ae);
	e_view(e, HIPC_TAG_PEER_ADDR, &m->peer_addr);
	e_view(e, HIPC_TAG_LOCAL_ADDR, &m->local_addr);
	e_uint(e, HIPC_TAG_PEER_MAX_PDU, m->peer_max_pdu, 4);
	e_view(e, HIPC_TAG_PEER_IMPL_UID, &m->peer_impl_uid);
	e_view(e, HIPC_TAG_PEER_IMPL_VERSION, &m->peer_impl_version);
	if (m->has_async)
		e_u16pair(e, HIPC_TAG_ASYNC_WINDOW, m->async_invoked,
		    m->async_performed);
	e_view(e, HIPC_TAG_CALLING_AE_RAW, &m->calling_ae_raw);
	e_view(e, HIPC_TAG_CALLED_AE_RAW, &m->called_ae_raw);
	e_uint(e, HIPC_TAG_PEER_PORT, m->peer_port, 2);
	e_uint(e, HIPC_TAG_LOCAL_PORT, m->local_port, 2);
	e_view(e, HIPC_TAG_ASSOC_ID, &m->assoc_id);
	if (e_list_ok(e, m->pctx, m->npctx)) {
		for (i = 0; i < m->npctx; i++)
			enc_pctx(e, &m->pctx[i]);
	}
	if (e_list_ok(e, m->ext, m->next)) {
		for (i = 0; i < m->next; i++)
			enc_ext(e, HIPC_TAG_EXT, &m->ext[i]);
	}
	if (e_list_ok(e, m->roles, m->nroles)) {
		for (i = 0; i < m->nroles; i++) {
			mark = e_open(e, HIPC_TAG_ROLE);
			e_view(e, HIPC_TAG_ROLE_SOP_CLASS,
			    &m->roles[i].sop_class);
			e_pair(e, HIPC_TAG_ROLE_ROLES, m->roles[i].scu,
			    m->roles[i].scp);
			e_close(e, mark);
		}
	}
	if (e_list_ok(e, m->cext, m->ncext)) {
		for (i = 0; i < m->ncext; i++)
			enc_cext(e, &m->cext[i]);
	}
	if (m->has_user_identity) {
		mark = e_open(e, HIPC_TAG_USER_IDENTITY);
		e_uint(e, HIPC_TAG_UI_TYPE, m->ui.type, 1);
		e_uint(e, HIPC_TAG_UI_RESPONSE_REQUESTED,
		    m->ui.response_requested, 1);
		e_view(e, HIPC_TAG_UI_PRIMARY, &m->ui.primary);
		e_view(e, HIPC_TAG_UI_SECONDARY, &m->ui.secondary);
		e_close(e, mark);
	}
	e_uint(e, HIPC_TAG_OUR_MAX_PDU, m->our_max_pdu, 4);
	e_view(e, HIPC_TAG_OUR_IMPL_UID, &m->our_impl_uid);
	e_view(e, HIPC_TAG_OUR_IMPL_VERSION, &m->our_impl_version);
	e_uint(e, HIPC_TAG_DECIDED, m->decided, 1);
}

/*
 * Append the items of an ASSOC_RSP.  Every item the struct holds is
 * written, whatever the decision, so that a contradictory struct fails
 * validation instead of losing items silently; a zero rj_* field is
 * absent, as zero is never a valid value there.
 */
static void
enc_assoc_rsp(struct enc *e, const struct hipc_assoc_rsp *m)
{
	const struct hipc_pc_answer	*a;
	size_t				 mark, i;

	e_uint(e, HIPC_TAG_DECISION, m->decision, 1);
	if (m->rj_result != 0)
		e_uint(e, HIPC_TAG_RJ_RESULT, m->rj_result, 1);
	if (m->rj_source != 0)
		e_uint(e, HIPC_TAG_RJ_SOURCE, m->rj_source, 1);
	if (m->rj_reason != 0)
		e_uint(e, HIPC_TAG_RJ_REASON, m->rj_reason, 1);
	if (e_list_ok(e, m->answers, m->nanswers)) {
		for (i = 0; i < m->nanswers; i++) {
			a = &m->answers[i];
			mark = e_open(e, HIPC_TAG_PC_ANSWER);
			e_uint(e, HIPC_TAG_PC_ID, a->id, 1);
			e_uint(e, HIPC_TAG_PC_RESULT, a->result, 1);
			e_view(e, HIPC_TAG_PC_RESULT_TS, &a->ts);
			if (a->has_roles)
				e_pair(e, HIPC_TAG_PC_RESULT_ROLES, a->scu,
				    a->scp);
			e_close(e, mark);
		}
	}
	if (m->max_pdu != 0)
		e_uint(e, HIPC_TAG_RSP_MAX_PDU, m->max_pdu, 4);
	if (m->has_async)
		e_u16pair(e, HIPC_TAG_RSP_ASYNC_WINDOW, m->async_invoked,
		    m->async_performed);
	if (e_list_ok(e, m->ext, m->next)) {
		for (i = 0; i < m->next; i++)
			enc_ext(e, HIPC_TAG_RSP_EXT, &m->ext[i]);
	}
	e_view(e, HIPC_TAG_RSP_UI_RESPONSE, &m->ui_response);
}

/* Append the items of a message that has no lists. */
static void
enc_small(struct enc *e, const struct hipc_msg *m)
{
	const struct hipc_hello		*h = &m->u.hello;
	const struct hipc_hello_reply	*hr = &m->u.hello_reply;

	switch (m->type) {
	case HIPC_HELLO:
		e_uint(e, HIPC_TAG_VERSION_MIN, h->version_min, 2);
		e_uint(e, HIPC_TAG_VERSION_MAX, h->version_max, 2);
		e_view(e, HIPC_TAG_SOFTWARE, &h->software);
		e_view(e, HIPC_TAG_HELLO_ASSOC_ID, &h->assoc_id);
		e_uint(e, HIPC_TAG_MAX_W2H, h->max_w2h, 4);
		e_uint(e, HIPC_TAG_MAX_H2W, h->max_h2w, 4);
		e_uint(e, HIPC_TAG_FEATURES, h->features, 4);
		break;
	case HIPC_HELLO_REPLY:
		e_uint(e, HIPC_TAG_VERSION, hr->version, 2);
		e_view(e, HIPC_TAG_HANDLER_NAME, &hr->name);
		if (hr->features != 0)
			e_uint(e, HIPC_TAG_WANT_FEATURES, hr->features, 4);
		if (hr->max_w2h != 0)
			e_uint(e, HIPC_TAG_HANDLER_MAX_W2H, hr->max_w2h, 4);
		break;
	case HIPC_RELEASE_CNF:
		e_uint(e, HIPC_TAG_COLLISION, m->u.release_cnf.collision, 1);
		break;
	case HIPC_ABORT_IND:
		e_uint(e, HIPC_TAG_ABORT_SOURCE, m->u.abort_ind.source, 1);
		e_uint(e, HIPC_TAG_ABORT_REASON, m->u.abort_ind.reason, 1);
		break;
	case HIPC_P_ABORT_IND:
		e_uint(e, HIPC_TAG_PROVIDER_REASON, m->u.p_abort_ind.reason,
		    1);
		e_uint(e, HIPC_TAG_LOCAL_CAUSE, m->u.p_abort_ind.cause, 1);
		e_view(e, HIPC_TAG_ABORT_TEXT, &m->u.p_abort_ind.text);
		break;
	case HIPC_ERROR:
		e_uint(e, HIPC_TAG_ERROR_CODE, m->u.error.code, 2);
		e_view(e, HIPC_TAG_ERROR_TEXT, &m->u.error.text);
		break;
	case HIPC_LOG:
		e_uint(e, HIPC_TAG_LOG_LEVEL, m->u.log.level, 1);
		e_view(e, HIPC_TAG_LOG_TEXT, &m->u.log.text);
		break;
	case HIPC_SHUTDOWN_NOTICE:
		e_uint(e, HIPC_TAG_SECONDS_LEFT,
		    m->u.shutdown_notice.seconds, 4);
		break;
	case HIPC_STATS:
		e_uint(e, HIPC_TAG_PDUS_IN, m->u.stats.pdus_in, 8);
		e_uint(e, HIPC_TAG_PDUS_OUT, m->u.stats.pdus_out, 8);
		e_uint(e, HIPC_TAG_BYTES_IN, m->u.stats.bytes_in, 8);
		e_uint(e, HIPC_TAG_BYTES_OUT, m->u.stats.bytes_out, 8);
		break;
	default:
		/* RELEASE_IND, RELEASE_RSP, RELEASE_REQ, ABORT_REQ: empty. */
		break;
	}
}

/*
 * Encode m as a whole frame (header and body) into buf.  *framelen
 * receives the frame's length, also when buf is too small (then the
 * result is HIPC_ERR_SPACE; buf may be NULL to ask for the size).  The
 * frame is validated as the receiver would: an invalid message gives the
 * same error its decoding would.
 */
int
hipc_encode(const struct hipc_msg *m, uint8_t *buf, size_t cap,
    size_t *framelen)
{
	const struct hipc_rule	*r;
	struct enc		 e;
	struct hipc_msg		 chk;
	struct dctx		 d;
	uint8_t			 hdr[HIPC_HDR_LEN], dummy;
	size_t			 body;

	*framelen = 0;
	if ((r = hipc_rule(m->type)) == NULL)
		return (HIPC_ERR_TYPE);
	memset(&e, 0, sizeof(e));
	if (buf == NULL)
		wbuf_init(&e.w, &dummy, 0);
	else
		wbuf_init(&e.w, buf, cap);
	hipc_hdr_put(hdr, m->type, 0);
	e_raw(&e, hdr, sizeof(hdr));

	switch (m->type) {
	case HIPC_ASSOC_IND:
		enc_assoc_ind(&e, &m->u.assoc_ind);
		break;
	case HIPC_ASSOC_RSP:
		enc_assoc_rsp(&e, &m->u.assoc_rsp);
		break;
	case HIPC_PDATA_IND:
	case HIPC_PDATA_REQ:
		if (m->u.pdata.pdvs == NULL && m->u.pdata.len > 0)
			e.err = HIPC_ERR_MISSING;
		else
			e_raw(&e, m->u.pdata.pdvs, m->u.pdata.len);
		break;
	default:
		enc_small(&e, m);
		break;
	}
	if (e.err != HIPC_OK)
		return (e.err);
	*framelen = e.need;
	body = e.need - HIPC_HDR_LEN;
	if (body > r->max_len)
		return (HIPC_ERR_TOO_LARGE);
	if (body < r->min_len)
		return (HIPC_ERR_TOO_SMALL);
	if (e.w.overflow)
		return (HIPC_ERR_SPACE);
	put_u32(buf + 4, (uint32_t)body);

	memset(&chk, 0, sizeof(chk));
	chk.type = m->type;
	memset(&d, 0, sizeof(d));
	return (hipc_decode_pass(buf + HIPC_HDR_LEN, body, &chk, &d));
}

/* Say whether two views hold the same bytes (absent equals absent). */
static int
view_eq(const struct hipc_view *a, const struct hipc_view *b)
{
	if (a->p == NULL || b->p == NULL)
		return (a->p == b->p);
	if (a->len != b->len)
		return (0);
	return (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* Say whether two view lists are equal. */
static int
views_eq(const struct hipc_view *a, size_t na, const struct hipc_view *b,
    size_t nb)
{
	size_t	 i;

	if (na != nb)
		return (0);
	for (i = 0; i < na; i++) {
		if (!view_eq(&a[i], &b[i]))
			return (0);
	}
	return (1);
}

/* Say whether two extended negotiation lists are equal. */
static int
exts_eq(const struct hipc_ext *a, size_t na, const struct hipc_ext *b,
    size_t nb)
{
	size_t	 i;

	if (na != nb)
		return (0);
	for (i = 0; i < na; i++) {
		if (!view_eq(&a[i].sop_class, &b[i].sop_class) ||
		    !view_eq(&a[i].info, &b[i].info))
			return (0);
	}
	return (1);
}

/* Say whether two presentation contexts are equal. */
static int
pctx_eq(const struct hipc_pctx *a, const struct hipc_pctx *b)
{
	if (a->id != b->id || a->has_roles != b->has_roles ||
	    a->result != b->result ||
	    a->has_result_roles != b->has_result_roles)
		return (0);
	if (a->has_roles && (a->scu != b->scu || a->scp != b->scp))
		return (0);
	if (a->has_result_roles && (a->result_scu != b->result_scu ||
	    a->result_scp != b->result_scp))
		return (0);
	return (view_eq(&a->abstract, &b->abstract) &&
	    view_eq(&a->result_ts, &b->result_ts) &&
	    views_eq(a->ts, a->nts, b->ts, b->nts));
}

/* Say whether two ASSOC_IND bodies are equal. */
static int
ind_eq(const struct hipc_assoc_ind *a, const struct hipc_assoc_ind *b)
{
	size_t	 i;

	if (a->peer_port != b->peer_port || a->local_port != b->local_port ||
	    a->peer_max_pdu != b->peer_max_pdu ||
	    a->has_async != b->has_async || a->npctx != b->npctx ||
	    a->nroles != b->nroles || a->ncext != b->ncext ||
	    a->has_user_identity != b->has_user_identity ||
	    a->our_max_pdu != b->our_max_pdu || a->decided != b->decided)
		return (0);
	if (a->has_async && (a->async_invoked != b->async_invoked ||
	    a->async_performed != b->async_performed))
		return (0);
	if (!view_eq(&a->app_context, &b->app_context) ||
	    !view_eq(&a->calling_ae, &b->calling_ae) ||
	    !view_eq(&a->called_ae, &b->called_ae) ||
	    !view_eq(&a->calling_ae_raw, &b->calling_ae_raw) ||
	    !view_eq(&a->called_ae_raw, &b->called_ae_raw) ||
	    !view_eq(&a->peer_addr, &b->peer_addr) ||
	    !view_eq(&a->local_addr, &b->local_addr) ||
	    !view_eq(&a->assoc_id, &b->assoc_id) ||
	    !view_eq(&a->peer_impl_uid, &b->peer_impl_uid) ||
	    !view_eq(&a->peer_impl_version, &b->peer_impl_version) ||
	    !view_eq(&a->our_impl_uid, &b->our_impl_uid) ||
	    !view_eq(&a->our_impl_version, &b->our_impl_version))
		return (0);
	for (i = 0; i < a->npctx; i++) {
		if (!pctx_eq(&a->pctx[i], &b->pctx[i]))
			return (0);
	}
	if (!exts_eq(a->ext, a->next, b->ext, b->next))
		return (0);
	for (i = 0; i < a->nroles; i++) {
		if (!view_eq(&a->roles[i].sop_class, &b->roles[i].sop_class) ||
		    a->roles[i].scu != b->roles[i].scu ||
		    a->roles[i].scp != b->roles[i].scp)
			return (0);
	}
	for (i = 0; i < a->ncext; i++) {
		if (!view_eq(&a->cext[i].sop_class, &b->cext[i].sop_class) ||
		    !view_eq(&a->cext[i].service_class,
		    &b->cext[i].service_class) ||
		    !views_eq(a->cext[i].related, a->cext[i].nrelated,
		    b->cext[i].related, b->cext[i].nrelated))
			return (0);
	}
	if (a->has_user_identity && (a->ui.type != b->ui.type ||
	    a->ui.response_requested != b->ui.response_requested ||
	    !view_eq(&a->ui.primary, &b->ui.primary) ||
	    !view_eq(&a->ui.secondary, &b->ui.secondary)))
		return (0);
	return (1);
}

/* Say whether two ASSOC_RSP bodies are equal. */
static int
rsp_eq(const struct hipc_assoc_rsp *a, const struct hipc_assoc_rsp *b)
{
	const struct hipc_pc_answer	*x, *y;
	size_t				 i;

	if (a->decision != b->decision || a->rj_result != b->rj_result ||
	    a->rj_source != b->rj_source || a->rj_reason != b->rj_reason ||
	    a->nanswers != b->nanswers || a->max_pdu != b->max_pdu ||
	    a->has_async != b->has_async)
		return (0);
	if (a->has_async && (a->async_invoked != b->async_invoked ||
	    a->async_performed != b->async_performed))
		return (0);
	for (i = 0; i < a->nanswers; i++) {
		x = &a->answers[i];
		y = &b->answers[i];
		if (x->id != y->id || x->result != y->result ||
		    x->has_roles != y->has_roles || !view_eq(&x->ts, &y->ts))
			return (0);
		if (x->has_roles && (x->scu != y->scu || x->scp != y->scp))
			return (0);
	}
	return (exts_eq(a->ext, a->next, b->ext, b->next) &&
	    view_eq(&a->ui_response, &b->ui_response));
}

/*
 * Say whether two messages carry the same information: views compare by
 * content, so messages decoded from different buffers can be compared.
 */
int
hipc_msg_equal(const struct hipc_msg *a, const struct hipc_msg *b)
{
	if (a->type != b->type)
		return (0);
	switch (a->type) {
	case HIPC_HELLO:
		return (a->u.hello.version_min == b->u.hello.version_min &&
		    a->u.hello.version_max == b->u.hello.version_max &&
		    a->u.hello.max_w2h == b->u.hello.max_w2h &&
		    a->u.hello.max_h2w == b->u.hello.max_h2w &&
		    a->u.hello.features == b->u.hello.features &&
		    view_eq(&a->u.hello.software, &b->u.hello.software) &&
		    view_eq(&a->u.hello.assoc_id, &b->u.hello.assoc_id));
	case HIPC_HELLO_REPLY:
		return (a->u.hello_reply.version == b->u.hello_reply.version &&
		    a->u.hello_reply.features == b->u.hello_reply.features &&
		    a->u.hello_reply.max_w2h == b->u.hello_reply.max_w2h &&
		    view_eq(&a->u.hello_reply.name, &b->u.hello_reply.name));
	case HIPC_ASSOC_IND:
		return (ind_eq(&a->u.assoc_ind, &b->u.assoc_ind));
	case HIPC_ASSOC_RSP:
		return (rsp_eq(&a->u.assoc_rsp, &b->u.assoc_rsp));
	case HIPC_PDATA_IND:
	case HIPC_PDATA_REQ:
		return (a->u.pdata.len == b->u.pdata.len &&
		    (a->u.pdata.len == 0 || memcmp(a->u.pdata.pdvs,
		    b->u.pdata.pdvs, a->u.pdata.len) == 0));
	case HIPC_RELEASE_CNF:
		return (a->u.release_cnf.collision ==
		    b->u.release_cnf.collision);
	case HIPC_ABORT_IND:
		return (a->u.abort_ind.source == b->u.abort_ind.source &&
		    a->u.abort_ind.reason == b->u.abort_ind.reason);
	case HIPC_P_ABORT_IND:
		return (a->u.p_abort_ind.reason == b->u.p_abort_ind.reason &&
		    a->u.p_abort_ind.cause == b->u.p_abort_ind.cause &&
		    view_eq(&a->u.p_abort_ind.text, &b->u.p_abort_ind.text));
	case HIPC_ERROR:
		return (a->u.error.code == b->u.error.code &&
		    view_eq(&a->u.error.text, &b->u.error.text));
	case HIPC_LOG:
		return (a->u.log.level == b->u.log.level &&
		    view_eq(&a->u.log.text, &b->u.log.text));
	case HIPC_SHUTDOWN_NOTICE:
		return (a->u.shutdown_notice.seconds ==
		    b->u.shutdown_notice.seconds);
	case HIPC_STATS:
		return (a->u.stats.pdus_in == b->u.stats.pdus_in &&
		    a->u.stats.pdus_out == b->u.stats.pdus_out &&
		    a->u.stats.bytes_in == b->u.stats.bytes_in &&
		    a->u.stats.bytes_out == b->u.stats.bytes_out);
	default:
		return (1);
	}
}

/* Find the proposed context with this id, or NULL. */
static const struct hipc_pctx *
find_pctx(const struct hipc_assoc_ind *ind, uint8_t id)
{
	size_t	 i;

	for (i = 0; i < ind->npctx; i++) {
		if (ind->pctx[i].id == id)
			return (&ind->pctx[i]);
	}
	return (NULL);
}

/* Check one context answer against the context it answers. */
static int
answer_ok(const struct hipc_pctx *pc, const struct hipc_pc_answer *a)
{
	size_t	 i;

	if (a->result == 0) {
		for (i = 0; i < pc->nts; i++) {
			if (view_eq(&pc->ts[i], &a->ts))
				break;
		}
		if (i == pc->nts)
			return (HIPC_ERR_UNPROPOSED);
	}
	if (a->has_roles) {
		/* PS3.7 D.3.3.4: roles only in answer to a role proposal. */
		if (!pc->has_roles)
			return (HIPC_ERR_NOT_ALLOWED);
		if ((a->scu && !pc->scu) || (a->scp && !pc->scp))
			return (HIPC_ERR_UNPROPOSED);
	}
	return (HIPC_OK);
}

/* Say whether an answered window fits the proposed one (0 = unlimited). */
static int
window_ok(uint16_t proposed, uint16_t answered)
{
	if (proposed == 0)
		return (1);
	return (answered != 0 && answered <= proposed);
}

/*
 * Check a decoded A-ASSOCIATE response against the indication it answers:
 * contexts, transfer syntaxes, roles and negotiation items must all have
 * been proposed (PS3.8 9.3.3, PS3.7 Annex D), and the maximum length must
 * not exceed the one the worker announced.  Both sides may call it: the
 * worker before building the A-ASSOCIATE-AC, a handler library before
 * sending.
 */
int
hipc_assoc_rsp_check(const struct hipc_assoc_ind *ind,
    const struct hipc_assoc_rsp *rsp)
{
	const struct hipc_pctx	*pc;
	size_t			 i, j;
	int			 rc;

	if (rsp->decision != HIPC_DECISION_ACCEPT)
		return (HIPC_OK);
	for (i = 0; i < rsp->nanswers; i++) {
		if ((pc = find_pctx(ind, rsp->answers[i].id)) == NULL)
			return (HIPC_ERR_UNKNOWN_PC);
		for (j = 0; j < i; j++) {
			if (rsp->answers[j].id == rsp->answers[i].id)
				return (HIPC_ERR_DUP);
		}
		if ((rc = answer_ok(pc, &rsp->answers[i])) != HIPC_OK)
			return (rc);
	}
	if (rsp->max_pdu != 0 && (rsp->max_pdu < 8 ||
	    (ind->our_max_pdu != 0 && rsp->max_pdu > ind->our_max_pdu)))
		return (HIPC_ERR_VALUE);
	if (rsp->has_async) {
		/* PS3.7 D.3.3.3: no answer without a proposal, never more. */
		if (!ind->has_async)
			return (HIPC_ERR_NOT_ALLOWED);
		if (!window_ok(ind->async_invoked, rsp->async_invoked) ||
		    !window_ok(ind->async_performed, rsp->async_performed))
			return (HIPC_ERR_VALUE);
	}
	for (i = 0; i < rsp->next; i++) {
		for (j = 0; j < ind->next; j++) {
			if (view_eq(&ind->ext[j].sop_class,
			    &rsp->ext[i].sop_class))
				break;
		}
		if (j == ind->next)
			return (HIPC_ERR_UNPROPOSED);
		for (j = 0; j < i; j++) {
			if (view_eq(&rsp->ext[j].sop_class,
			    &rsp->ext[i].sop_class))
				return (HIPC_ERR_DUP);
		}
	}
	if (rsp->ui_response.p != NULL && (!ind->has_user_identity ||
	    !ind->ui.response_requested))
		return (HIPC_ERR_NOT_ALLOWED);
	return (HIPC_OK);
}
