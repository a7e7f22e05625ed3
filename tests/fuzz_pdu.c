/*
 * fuzz_pdu.c: libFuzzer harness for the PDU codec.  The input is taken
 * as one whole PDU: header check, then the body decoder for its type.
 * Whatever decodes is encoded again and decoded again, and the two
 * decodings must agree; encoding that second decoding must give the same
 * bytes as the first encoding.  Any disagreement aborts.
 */

#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "pdu.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	check(int);
static void	same_str(const struct pdu_str *, const struct pdu_str *);
static void	same_list(struct pdu_iter *, struct pdu_iter *, unsigned int);
static void	poke_strings(const struct pdu_str *);
static void	poke_assoc(const struct pdu_assoc *);
static void	same_assoc(const struct pdu_assoc *, const struct pdu_assoc *,
		    int);
static void	same_pdata(const struct pdu_pdata *, const struct pdu_pdata *);
static ssize_t	reencode(const struct pdu *, uint8_t *, size_t);

static struct pdu	 first, second;

/* Abort unless the condition holds. */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* Two views must hold the same bytes. */
static void
same_str(const struct pdu_str *a, const struct pdu_str *b)
{
	check(a->len == b->len);
	check(a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* Two lists must yield the same strings, n of them. */
static void
same_list(struct pdu_iter *a, struct pdu_iter *b, unsigned int n)
{
	struct pdu_str	 x, y;
	unsigned int	 k = 0;
	int		 ra, rb;

	for (;;) {
		ra = pdu_iter_next(a, &x);
		rb = pdu_iter_next(b, &y);
		check(ra == rb);
		if (!ra)
			break;
		same_str(&x, &y);
		k++;
		check(k <= n);
	}
	check(k == n);
}

/* Run the policy helpers over a string from the peer. */
static void
poke_strings(const struct pdu_str *s)
{
	char		 ae[PDU_AE_LEN + 1], uid[PDU_UID_MAX + 1];
	struct pdu_str	 t;

	t = pdu_uid_trim(s->p, s->len);
	check(t.len <= s->len);
	if (pdu_uid_copy(uid, s->p, s->len) == PDU_OK) {
		check(strlen(uid) == t.len);
		check(pdu_uid_valid(uid, strlen(uid)) ==
		    pdu_uid_valid(t.p, t.len));
	}
	if (pdu_ae_copy(ae, s->p, s->len) == PDU_OK)
		check(strlen(ae) <= PDU_AE_LEN);
	check(pdu_ae_problem_name(pdu_ae_check(s->p, s->len)) != NULL);
}

/* Walk everything a decoded RQ or AC holds. */
static void
poke_assoc(const struct pdu_assoc *a)
{
	const struct pdu_user_info	*ui = &a->ui;
	struct pdu_iter			 it;
	struct pdu_str			 s;
	unsigned int			 i, n;

	poke_strings(&a->called_ae);
	poke_strings(&a->calling_ae);
	poke_strings(&a->app_context);
	check(pdu_version_ok(a->protocol_version) ==
	    (a->protocol_version & 1));
	for (i = 0; i < a->n_pctx; i++) {
		poke_strings(&a->pctx[i].abstract_syntax);
		check(pdu_pctx_result_name(a->pctx[i].result) != NULL);
		pdu_ts_iter(&it, &a->pctx[i]);
		for (n = 0; pdu_iter_next(&it, &s); n++) {
			check(n < a->pctx[i].n_ts);
			poke_strings(&s);
		}
		check(n == a->pctx[i].n_ts);
	}
	poke_strings(&ui->impl_class_uid);
	poke_strings(&ui->impl_version);
	for (i = 0; i < ui->n_common_ext_neg; i++) {
		pdu_related_iter(&it, &ui->common_ext_neg[i]);
		for (n = 0; pdu_iter_next(&it, &s); n++)
			check(n < ui->common_ext_neg[i].n_related);
		check(n == ui->common_ext_neg[i].n_related);
	}
	check(pdu_user_identity_type_name(ui->user_identity.type) != NULL);
}

/* Two decoded RQs or ACs must say the same thing. */
static void
same_assoc(const struct pdu_assoc *a, const struct pdu_assoc *b, int rq)
{
	const struct pdu_user_info	*x = &a->ui, *y = &b->ui;
	const struct pdu_common_ext_neg	*ca, *cb;
	struct pdu_iter			 i1, i2;
	unsigned int			 i;

	check(b->protocol_version == PDU_PROTOCOL_VERSION);
	same_str(&a->called_ae, &b->called_ae);
	same_str(&a->calling_ae, &b->calling_ae);
	/* An RQ sends its reserved bytes as zero; an AC echoes all 64. */
	if (rq) {
		for (i = 2 * PDU_AE_LEN; i < PDU_AE_ECHO_LEN; i++)
			check(b->echo[i] == 0);
	} else
		check(memcmp(a->echo, b->echo, PDU_AE_ECHO_LEN) == 0);
	same_str(&a->app_context, &b->app_context);
	check(b->skipped == 0 && b->ui.skipped == 0);
	check(a->n_pctx == b->n_pctx);
	for (i = 0; i < a->n_pctx; i++) {
		check(a->pctx[i].id == b->pctx[i].id);
		check(b->pctx[i].skipped == 0);
		same_str(&a->pctx[i].ts, &b->pctx[i].ts);
		if (rq) {
			same_str(&a->pctx[i].abstract_syntax,
			    &b->pctx[i].abstract_syntax);
			pdu_ts_iter(&i1, &a->pctx[i]);
			pdu_ts_iter(&i2, &b->pctx[i]);
			same_list(&i1, &i2, a->pctx[i].n_ts);
		} else {
			check(a->pctx[i].result == b->pctx[i].result);
			check(b->pctx[i].n_ts == 1);
		}
	}
	check(x->has_max_length == y->has_max_length);
	check(x->max_length == y->max_length);
	check(x->has_impl_class_uid == y->has_impl_class_uid);
	same_str(&x->impl_class_uid, &y->impl_class_uid);
	check(x->has_async_ops == y->has_async_ops);
	check(x->async_invoked == y->async_invoked);
	check(x->async_performed == y->async_performed);
	check(x->has_impl_version == y->has_impl_version);
	same_str(&x->impl_version, &y->impl_version);
	check(x->n_roles == y->n_roles && y->roles_dropped == 0);
	for (i = 0; i < x->n_roles; i++) {
		same_str(&x->roles[i].sop_class, &y->roles[i].sop_class);
		check(x->roles[i].scu == y->roles[i].scu);
		check(x->roles[i].scp == y->roles[i].scp);
	}
	check(x->n_ext_neg == y->n_ext_neg && y->ext_neg_dropped == 0);
	for (i = 0; i < x->n_ext_neg; i++) {
		same_str(&x->ext_neg[i].sop_class, &y->ext_neg[i].sop_class);
		same_str(&x->ext_neg[i].info, &y->ext_neg[i].info);
	}
	check(x->n_common_ext_neg == y->n_common_ext_neg);
	check(y->common_ext_neg_dropped == 0);
	for (i = 0; i < x->n_common_ext_neg; i++) {
		ca = &x->common_ext_neg[i];
		cb = &y->common_ext_neg[i];
		same_str(&ca->sop_class, &cb->sop_class);
		same_str(&ca->service_class, &cb->service_class);
		same_str(&ca->related, &cb->related);
		check(ca->n_related == cb->n_related);
		pdu_related_iter(&i1, ca);
		pdu_related_iter(&i2, cb);
		same_list(&i1, &i2, ca->n_related);
	}
	check(x->has_user_identity == y->has_user_identity);
	check(x->user_identity.type == y->user_identity.type);
	check(x->user_identity.positive_response ==
	    y->user_identity.positive_response);
	same_str(&x->user_identity.primary, &y->user_identity.primary);
	same_str(&x->user_identity.secondary, &y->user_identity.secondary);
	check(x->has_user_identity_ac == y->has_user_identity_ac);
	same_str(&x->server_response, &y->server_response);
}

/* Two decoded P-DATA-TFs must carry the same PDVs. */
static void
same_pdata(const struct pdu_pdata *a, const struct pdu_pdata *b)
{
	struct pdu_iter	 i1, i2;
	struct pdu_pdv	 x, y;
	unsigned int	 n = 0;

	check(a->n_pdv == b->n_pdv);
	pdu_pdv_iter(&i1, a);
	pdu_pdv_iter(&i2, b);
	while (pdu_pdv_next(&i1, &x)) {
		check(pdu_pdv_next(&i2, &y));
		check(x.pcid == y.pcid && x.mch == y.mch && x.len == y.len);
		check(x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
		check(x.mch <= PDU_MCH_MASK && (x.pcid & 1));
		n++;
	}
	check(!pdu_pdv_next(&i2, &y));
	check(n == a->n_pdv);
}

/*
 * Encode a decoded PDU again.  Values the decoder accepts but the encoders
 * refuse to send (a context result over 4, RJ and ABORT codes outside the
 * standard's tables) must be refused with PDU_ERR_VALUE, and only those.
 */
static ssize_t
reencode(const struct pdu *p, uint8_t *out, size_t cap)
{
	struct pdu_pdv	*pdv;
	struct pdu_iter	 it;
	ssize_t		 n;
	unsigned int	 i;
	int		 sendable = 1;

	switch (p->type) {
	case PDU_ASSOC_RQ:
		n = pdu_encode_assoc_rq(out, cap, &p->u.assoc);
		check(n > 0);
		return (n);
	case PDU_ASSOC_AC:
		for (i = 0; i < p->u.assoc.n_pctx; i++)
			if (p->u.assoc.pctx[i].result > 4)
				sendable = 0;
		n = pdu_encode_assoc_ac(out, cap, &p->u.assoc);
		check(sendable ? n > 0 : n == PDU_ERR_VALUE);
		return (n);
	case PDU_ASSOC_RJ:
		n = pdu_encode_assoc_rj(out, cap, p->u.rj.result,
		    p->u.rj.source, p->u.rj.reason);
		check(pdu_rj_valid(p->u.rj.result, p->u.rj.source,
		    p->u.rj.reason) ? n == 10 : n == PDU_ERR_VALUE);
		check(pdu_rj_result_name(p->u.rj.result) != NULL);
		check(pdu_rj_reason_name(p->u.rj.source, p->u.rj.reason) !=
		    NULL);
		return (n);
	case PDU_RELEASE_RQ:
		n = pdu_encode_release_rq(out, cap);
		check(n == 10);
		return (n);
	case PDU_RELEASE_RP:
		n = pdu_encode_release_rp(out, cap);
		check(n == 10);
		return (n);
	case PDU_ABORT:
		n = pdu_encode_abort(out, cap, p->u.abort.source,
		    p->u.abort.reason);
		check(pdu_abort_valid(p->u.abort.source, p->u.abort.reason) ?
		    n == 10 : n == PDU_ERR_VALUE);
		return (n);
	case PDU_P_DATA_TF:
		if ((pdv = calloc(p->u.pdata.n_pdv, sizeof(*pdv))) == NULL)
			abort();
		pdu_pdv_iter(&it, &p->u.pdata);
		for (i = 0; i < p->u.pdata.n_pdv; i++)
			check(pdu_pdv_next(&it, &pdv[i]));
		n = pdu_encode_pdata(out, cap, pdv, p->u.pdata.n_pdv);
		free(pdv);
		check(n > 0);
		return (n);
	default:
		abort();
	}
}

/* One input: decode, encode, decode, compare, encode, compare. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdu_limits	 lim = { 1024 * 1024, 65536 };
	struct pdu_limits	 big = { 4 * 1024 * 1024, 4 * 1024 * 1024 };
	struct pdu_hdr		 h;
	uint8_t			*body, *out, *again;
	size_t			 blen, cap;
	ssize_t			 n, m;
	int			 r;

	if (size < PDU_HDR_LEN)
		return (0);
	(void)pdu_header_check(data, &lim, PDU_PHASE_AWAIT_RQ, &h);
	r = pdu_header_check(data, &lim, PDU_PHASE_ASSOCIATED, &h);
	check(h.type == data[0]);
	check(pdu_type_name(h.type) != NULL);
	if (r != PDU_OK) {
		check(r < 0 && pdu_strerror(r) != NULL);
		check(pdu_err_abort_reason(r) <= PDU_ABORT_INVALID_PARAM);
		return (0);
	}

	/* The body in a buffer of its own exact size, for ASan. */
	blen = size - PDU_HDR_LEN;
	if (blen > h.len)
		blen = h.len;
	if ((body = malloc(blen == 0 ? 1 : blen)) == NULL)
		abort();
	memcpy(body, data + PDU_HDR_LEN, blen);
	r = pdu_decode_body(h.type, body, blen, &first);
	if (r != PDU_OK) {
		check(r < 0 && pdu_strerror(r) != NULL);
		check(pdu_err_abort_reason(r) <= PDU_ABORT_INVALID_PARAM);
		free(body);
		return (0);
	}
	if (first.type == PDU_ASSOC_RQ || first.type == PDU_ASSOC_AC)
		poke_assoc(&first.u.assoc);

	/* Re-encoding never grows an item by more than a missing 0x40. */
	cap = PDU_HDR_LEN + blen + PDU_MAX_PCTX * 4 + 64;
	if ((out = malloc(cap)) == NULL || (again = malloc(cap)) == NULL)
		abort();
	n = reencode(&first, out, cap);
	if (n == PDU_ERR_VALUE)		/* reencode() checked it is fair */
		goto done;
	check(n > 0);
	check(pdu_decode(out, (size_t)n, &big, PDU_PHASE_ASSOCIATED, &second,
	    NULL) == PDU_OK);
	check(second.type == first.type);
	switch (first.type) {
	case PDU_ASSOC_RQ:
	case PDU_ASSOC_AC:
		same_assoc(&first.u.assoc, &second.u.assoc,
		    first.type == PDU_ASSOC_RQ);
		break;
	case PDU_ASSOC_RJ:
		check(memcmp(&first.u.rj, &second.u.rj,
		    sizeof(first.u.rj)) == 0);
		break;
	case PDU_ABORT:
		check(first.u.abort.source == second.u.abort.source);
		check(first.u.abort.reason == second.u.abort.reason);
		break;
	case PDU_P_DATA_TF:
		same_pdata(&first.u.pdata, &second.u.pdata);
		break;
	default:
		break;
	}

	/* Encoding is a fixed point after one round. */
	m = reencode(&second, again, cap);
	check(m == n && memcmp(out, again, (size_t)n) == 0);
done:
	free(out);
	free(again);
	free(body);
	return (0);
}
