/*
 * fuzz_assoc_rq.c: libFuzzer harness for what AE-6 does with an
 * A-ASSOCIATE-RQ.  The input is one RQ PDU; its header is checked as a
 * worker awaiting an RQ would, and the bytes after the header are decoded
 * as the body whatever the header says.  What decodes is judged with the
 * policy helpers (AE titles, UIDs, protocol version) and answered with an
 * A-ASSOCIATE-AC built the way the worker builds one: every context with
 * a transfer syntax accepted with the first, the others refused with
 * reason 4, every role, extended negotiation, asynchronous window and
 * user identity answered.  The AC is decoded again and must say exactly
 * that, echoing the RQ's 64 bytes at offsets 10..73.
 */

#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdu.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_IMPL_UID	"2.25.37702220845173676206920092856050917640.1"
#define FZ_IMPL_VERSION	"DULSERVERD_010"

static void	check(int, const char *);
static void	same_str(const struct pdu_str *, const struct pdu_str *);
static void	judge_ae(const struct pdu_str *);
static void	judge_uid(const struct pdu_str *);
static void	walk_rq(const struct pdu_assoc *);
static size_t	answer(const struct pdu_assoc *, struct pdu_assoc *);
static void	compare(const struct pdu_assoc *, const struct pdu_assoc *,
		    const struct pdu_assoc *);

static struct pdu_assoc	 rq, ac, back;

/* Abort with a reason unless the condition holds. */
static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_assoc_rq: %s\n", what);
		abort();
	}
}

/* Two views must hold the same bytes. */
static void
same_str(const struct pdu_str *a, const struct pdu_str *b)
{
	check(a->len == b->len, "string length differs");
	check(a->len == 0 || memcmp(a->p, b->p, a->len) == 0,
	    "string differs");
}

/* An AE title the policy passes must copy into a clean C string. */
static void
judge_ae(const struct pdu_str *s)
{
	char		 ae[PDU_AE_LEN + 1];
	enum pdu_ae_problem pr;
	size_t		 i, n;

	pr = pdu_ae_check(s->p, s->len);
	check(pdu_ae_problem_name(pr) != NULL, "AE problem name");
	if (pdu_ae_copy(ae, s->p, s->len) != PDU_OK) {
		check(ae[0] == '\0', "failed AE copy not emptied");
		check(pr != PDU_AE_OK, "good AE title does not copy");
		return;
	}
	n = strlen(ae);
	check(n <= PDU_AE_LEN, "AE copy too long");
	if (pr != PDU_AE_OK)
		return;
	check(n > 0, "good AE title copies empty");
	for (i = 0; i < n; i++)
		check(ae[i] >= 0x20 && ae[i] < 0x7f && ae[i] != '\\',
		    "good AE title with a bad byte");
	check(ae[0] != ' ' && ae[n - 1] != ' ', "AE copy not trimmed");
}

/* A UID the policy passes is 1..64 digits and dots and copies whole. */
static void
judge_uid(const struct pdu_str *s)
{
	char		 uid[PDU_UID_MAX + 1];
	struct pdu_str	 t;
	size_t		 i;
	int		 copied;

	t = pdu_uid_trim(s->p, s->len);
	check(t.len <= s->len, "UID trim grew");
	copied = pdu_uid_copy(uid, s->p, s->len) == PDU_OK;
	if (copied)
		check(strlen(uid) == t.len && memcmp(uid, t.p, t.len) == 0,
		    "UID copy is not the trimmed UID");
	if (!pdu_uid_valid(s->p, s->len))
		return;
	check(s->len >= 1 && s->len <= PDU_UID_MAX, "valid UID length");
	for (i = 0; i < s->len; i++)
		check((s->p[i] >= '0' && s->p[i] <= '9') || s->p[i] == '.',
		    "valid UID with a bad byte");
	check(copied && t.len == s->len, "valid UID does not copy whole");
	check(pdu_uid_valid(uid, strlen(uid)), "valid UID copy invalid");
}

/* Walk and judge everything the RQ holds, as the policy would. */
static void
walk_rq(const struct pdu_assoc *a)
{
	const struct pdu_user_info	*ui = &a->ui;
	struct pdu_iter			 it;
	struct pdu_str			 s;
	unsigned int			 i, n;

	check(a->called_ae.len == PDU_AE_LEN &&
	    a->calling_ae.len == PDU_AE_LEN, "AE field length");
	check(a->called_ae.p == a->echo && a->calling_ae.p ==
	    a->echo + PDU_AE_LEN, "AE fields not in the echoed bytes");
	judge_ae(&a->called_ae);
	judge_ae(&a->calling_ae);
	judge_uid(&a->app_context);
	check(pdu_version_ok(a->protocol_version) ==
	    (a->protocol_version & 1), "protocol version bit 0");
	check(a->n_pctx >= 1 && a->n_pctx <= PDU_MAX_PCTX, "context count");
	for (i = 0; i < a->n_pctx; i++) {
		check((a->pctx[i].id & 1) != 0, "even context ID");
		judge_uid(&a->pctx[i].abstract_syntax);
		pdu_ts_iter(&it, &a->pctx[i]);
		for (n = 0; pdu_iter_next(&it, &s); n++) {
			check(n < a->pctx[i].n_ts, "more TS than counted");
			if (n == 0)
				same_str(&s, &a->pctx[i].ts);
			judge_uid(&s);
		}
		check(n == a->pctx[i].n_ts, "fewer TS than counted");
	}
	if (ui->has_impl_class_uid)
		judge_uid(&ui->impl_class_uid);
	check(ui->n_roles <= PDU_MAX_ROLES, "role count");
	for (i = 0; i < ui->n_roles; i++)
		judge_uid(&ui->roles[i].sop_class);
	check(ui->n_ext_neg <= PDU_MAX_EXT_NEG, "0x56 count");
	for (i = 0; i < ui->n_ext_neg; i++)
		judge_uid(&ui->ext_neg[i].sop_class);
	check(ui->n_common_ext_neg <= PDU_MAX_COMMON_EXT_NEG, "0x57 count");
	for (i = 0; i < ui->n_common_ext_neg; i++) {
		judge_uid(&ui->common_ext_neg[i].sop_class);
		judge_uid(&ui->common_ext_neg[i].service_class);
		pdu_related_iter(&it, &ui->common_ext_neg[i]);
		for (n = 0; pdu_iter_next(&it, &s); n++) {
			check(n < ui->common_ext_neg[i].n_related,
			    "more related UIDs than counted");
			judge_uid(&s);
		}
		check(n == ui->common_ext_neg[i].n_related,
		    "fewer related UIDs than counted");
	}
	if (ui->has_user_identity)
		check(pdu_user_identity_type_name(ui->user_identity.type) !=
		    NULL, "user identity type name");
}

/*
 * Build the AC the worker would send for this RQ.  Returns the length
 * of its user information item, to know whether it fits 16 bits.
 */
static size_t
answer(const struct pdu_assoc *r, struct pdu_assoc *a)
{
	const struct pdu_user_info	*ri = &r->ui;
	struct pdu_user_info		*ai = &a->ui;
	size_t				 uil;
	unsigned int			 i;

	memset(a, 0, sizeof(*a));
	a->echo = r->echo;
	a->n_pctx = r->n_pctx;
	for (i = 0; i < r->n_pctx; i++) {
		a->pctx[i].id = r->pctx[i].id;
		a->pctx[i].ts = r->pctx[i].ts;
		a->pctx[i].n_ts = 1;
		a->pctx[i].result = r->pctx[i].n_ts > 0 ?
		    PDU_PCTX_ACCEPTANCE :
		    PDU_PCTX_TRANSFER_SYNTAXES_NOT_SUPPORTED;
	}
	ai->has_max_length = 1;
	ai->max_length = ri->has_max_length ? ri->max_length : 16384;
	ai->has_impl_class_uid = 1;
	ai->impl_class_uid.p = (const uint8_t *)FZ_IMPL_UID;
	ai->impl_class_uid.len = strlen(FZ_IMPL_UID);
	ai->has_impl_version = 1;
	ai->impl_version.p = (const uint8_t *)FZ_IMPL_VERSION;
	ai->impl_version.len = strlen(FZ_IMPL_VERSION);
	uil = 8 + 4 + ai->impl_class_uid.len + 4 + ai->impl_version.len;
	if (ri->has_async_ops) {
		ai->has_async_ops = 1;
		ai->async_invoked = ri->async_invoked;
		ai->async_performed = ri->async_performed;
		uil += 8;
	}
	for (i = 0; i < ri->n_roles; i++) {
		ai->roles[i] = ri->roles[i];
		ai->roles[i].scu &= 1;
		ai->roles[i].scp &= 1;
		uil += 4 + 2 + ri->roles[i].sop_class.len + 2;
	}
	ai->n_roles = ri->n_roles;
	for (i = 0; i < ri->n_ext_neg; i++) {
		ai->ext_neg[i] = ri->ext_neg[i];
		uil += 4 + 2 + ri->ext_neg[i].sop_class.len +
		    ri->ext_neg[i].info.len;
	}
	ai->n_ext_neg = ri->n_ext_neg;
	if (ri->has_user_identity && ri->user_identity.positive_response) {
		ai->has_user_identity_ac = 1;
		ai->server_response = ri->user_identity.primary;
		uil += 4 + 2 + ai->server_response.len;
	}
	return (uil);
}

/* The decoded AC must carry what was answered, and the RQ's echo. */
static void
compare(const struct pdu_assoc *r, const struct pdu_assoc *a,
    const struct pdu_assoc *b)
{
	const struct pdu_user_info	*x = &a->ui, *y = &b->ui;
	unsigned int			 i;

	check(b->protocol_version == PDU_PROTOCOL_VERSION, "AC version");
	check(memcmp(b->echo, r->echo, PDU_AE_ECHO_LEN) == 0,
	    "AC does not echo the RQ's 64 bytes");
	check(b->app_context.len == strlen(PDU_APP_CONTEXT_NAME) &&
	    memcmp(b->app_context.p, PDU_APP_CONTEXT_NAME,
	    b->app_context.len) == 0, "AC application context");
	check(b->n_pctx == a->n_pctx, "AC context count");
	for (i = 0; i < a->n_pctx; i++) {
		check(b->pctx[i].id == a->pctx[i].id, "AC context ID");
		check(b->pctx[i].result == a->pctx[i].result,
		    "AC context result");
		check(b->pctx[i].n_ts == 1, "AC context without one TS");
		same_str(&b->pctx[i].ts, &a->pctx[i].ts);
	}
	check(b->skipped == 0 && y->skipped == 0, "AC items skipped");
	check(y->has_max_length && y->max_length == x->max_length,
	    "AC maximum length");
	check(y->has_impl_class_uid, "AC implementation class UID");
	same_str(&y->impl_class_uid, &x->impl_class_uid);
	check(y->has_impl_version, "AC implementation version");
	same_str(&y->impl_version, &x->impl_version);
	check(y->has_async_ops == x->has_async_ops &&
	    y->async_invoked == x->async_invoked &&
	    y->async_performed == x->async_performed, "AC async window");
	check(y->n_roles == x->n_roles && y->roles_dropped == 0, "AC roles");
	for (i = 0; i < x->n_roles; i++) {
		same_str(&y->roles[i].sop_class, &x->roles[i].sop_class);
		check(y->roles[i].scu == x->roles[i].scu &&
		    y->roles[i].scp == x->roles[i].scp, "AC role bytes");
	}
	check(y->n_ext_neg == x->n_ext_neg && y->ext_neg_dropped == 0,
	    "AC 0x56 count");
	for (i = 0; i < x->n_ext_neg; i++) {
		same_str(&y->ext_neg[i].sop_class, &x->ext_neg[i].sop_class);
		same_str(&y->ext_neg[i].info, &x->ext_neg[i].info);
	}
	check(y->n_common_ext_neg == 0 && !y->has_user_identity,
	    "AC carries RQ-only sub-items");
	check(y->has_user_identity_ac == x->has_user_identity_ac,
	    "AC user identity");
	same_str(&y->server_response, &x->server_response);
}

/* One input: an RQ, judged and answered; the answer read back. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdu_limits	 lim = { 0, 0 };
	struct pdu_hdr		 h;
	uint8_t			*body, *out;
	size_t			 blen, cap, uil;
	ssize_t			 n;
	int			 r;

	if (size < PDU_HDR_LEN)
		return (0);
	r = pdu_header_check(data, &lim, PDU_PHASE_AWAIT_RQ, &h);
	check(r <= 0 && h.type == data[0], "header check");

	/* The body in a buffer of its own exact size, for ASan. */
	blen = size - PDU_HDR_LEN;
	if ((body = malloc(blen == 0 ? 1 : blen)) == NULL)
		abort();
	memcpy(body, data + PDU_HDR_LEN, blen);
	r = pdu_decode_assoc_rq(body, blen, &rq);
	if (r != PDU_OK) {
		check(r < 0 && pdu_strerror(r) != NULL, "error code");
		check(pdu_err_abort_reason(r) <= PDU_ABORT_INVALID_PARAM,
		    "abort reason");
		check(rq.err_offset <= blen, "error offset past the body");
		check(pdu_item_name(rq.err_item) != NULL, "item name");
		free(body);
		return (0);
	}
	walk_rq(&rq);

	uil = answer(&rq, &ac);
	cap = PDU_HDR_LEN + PDU_ASSOC_FIXED_LEN + 4 + 64 + blen + uil +
	    PDU_MAX_PCTX * 16;
	if ((out = malloc(cap)) == NULL)
		abort();
	n = pdu_encode_assoc_ac(out, cap, &ac);
	if (uil > PDU_ITEM_MAX_LEN) {
		check(n == PDU_ERR_VALUE, "over-long user information sent");
		goto done;
	}
	check(n > PDU_HDR_LEN + PDU_ASSOC_FIXED_LEN, "AC does not encode");
	check(out[0] == PDU_ASSOC_AC, "AC type");
	lim.max_assoc_len = (uint32_t)cap;
	check(pdu_header_check(out, &lim, PDU_PHASE_AWAIT_RQ, &h) == PDU_OK &&
	    h.len == (size_t)n - PDU_HDR_LEN, "AC header");
	check(pdu_decode_assoc_ac(out + PDU_HDR_LEN, h.len, &back) == PDU_OK,
	    "AC does not decode");
	compare(&rq, &ac, &back);
done:
	free(out);
	free(body);
	return (0);
}
