/*
 * worker_testlib.c: a routing policy, an in-process service user that
 * answers C-ECHO, and PS3.8 byte layouts written out by hand, for the
 * worker tests and the echo acceptor.
 */

#include "compat.h"

#include <string.h>

#include "dimse.h"
#include "fsm.h"
#include "log.h"
#include "pdu.h"
#include "worker.h"
#include "worker_int.h"
#include "worker_testlib.h"

static void	tsu_assoc_ind(void *, struct worker *,
		    const struct pdu_assoc *, struct worker_neg *);
static void	tsu_pdata_ind(void *, struct worker *, const uint8_t *,
		    size_t);
static void	tsu_pdata_pipe(void *, struct worker *);
static void	tsu_release_ind(void *, struct worker *);
static void	tsu_release_cnf(void *, struct worker *, int);
static void	tsu_abort_ind(void *, struct worker *, uint8_t, uint8_t);
static void	tsu_p_abort_ind(void *, struct worker *, uint8_t,
		    enum worker_cause);
static int	tsu_end(void *, struct worker *);
static void	tsu_push(struct worker *, enum fsm_event);
static int	tsu_echo_rsp(struct tsu *, struct worker *, uint8_t, uint16_t);

const struct su_ops tsu_ops = {
	.name = "test service user",
	.assoc_ind = tsu_assoc_ind,
	.pdata_ind = tsu_pdata_ind,
	.pdata_pipe = tsu_pdata_pipe,
	.release_ind = tsu_release_ind,
	.release_cnf = tsu_release_cnf,
	.abort_ind = tsu_abort_ind,
	.p_abort_ind = tsu_p_abort_ind,
	.end = tsu_end,
};

/* A writer that never runs past its buffer. */
struct wb {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
};

static void	wb_bytes(struct wb *, const void *, size_t);
static void	wb_u8(struct wb *, uint8_t);
static void	wb_u16(struct wb *, uint16_t);
static void	wb_u32(struct wb *, uint32_t);
static size_t	wb_open(struct wb *, uint8_t);
static void	wb_close(struct wb *, size_t);
static void	wb_item(struct wb *, uint8_t, const char *);
static void	wb_ae(struct wb *, const char *);
static size_t	wb_pdu_end(struct wb *);

/*
 * Route as a Verification SCP called ANY-SCP would: accept Verification
 * with Implicit VR Little Endian, refuse any other abstract syntax (3) or
 * a Verification context without Implicit VR LE (4), and reject any other
 * called AE title with RJ (1, 1, 7).
 */
int
tpol_route(void *ctx, struct worker *w, const struct pdu_assoc *rq,
    struct worker_neg *neg, struct fsm_rj *rj)
{
	struct pdu_iter	 it;
	struct pdu_str	 s;
	char		 uid[PDU_UID_MAX + 1];
	unsigned int	 i;

	(void)ctx;
	(void)w;
	if (strcmp(neg->called, WT_CALLED) != 0) {
		rj->result = PDU_RJ_PERMANENT;
		rj->source = PDU_RJ_SOURCE_USER;
		rj->reason = PDU_RJ_USER_CALLED_AE_NOT_RECOGNIZED;
		return (-1);
	}
	for (i = 0; i < neg->n_pctx; i++) {
		neg->pctx[i].result = PDU_PCTX_ABSTRACT_SYNTAX_NOT_SUPPORTED;
		if (strcmp(neg->pctx[i].abstract, DIMSE_VERIFICATION_UID) != 0)
			continue;
		neg->pctx[i].result = PDU_PCTX_TRANSFER_SYNTAXES_NOT_SUPPORTED;
		pdu_ts_iter(&it, &rq->pctx[i]);
		while (pdu_iter_next(&it, &s) == 1) {
			if (pdu_uid_copy(uid, s.p, s.len) != 0 ||
			    strcmp(uid, DIMSE_IMPLICIT_LE_UID) != 0)
				continue;
			neg->pctx[i].result = PDU_PCTX_ACCEPTANCE;
			strlcpy(neg->pctx[i].ts, uid, sizeof(neg->pctx[i].ts));
			break;
		}
	}
	return (0);
}

/* The test timers: short enough to keep the suite quick. */
void
wt_params(struct worker_params *p, struct tsu *su)
{
	worker_params_default(p);
	p->to.artim = 300;
	p->to.idle = 300;
	p->to.su = 300;
	p->to.send = 1000;
	p->to.release = 300;
	p->to.pdu = 300;
	p->policy.route = tpol_route;
	p->su = &tsu_ops;
	p->su_ctx = su;
	p->assoc_id = "test-assoc";
}

/* Queue a primitive with no argument. */
static void
tsu_push(struct worker *w, enum fsm_event ev)
{
	struct su_event	 e;

	memset(&e, 0, sizeof(e));
	e.ev = ev;
	worker_push(w, &e);
}

/* Accept at once, then maybe release or abort straight away. */
static void
tsu_assoc_ind(void *ctx, struct worker *w, const struct pdu_assoc *rq,
    struct worker_neg *neg)
{
	struct tsu	*su = ctx;

	(void)rq;
	(void)neg;
	dimse_asm_reset(&su->cmd);
	if (su->flags & TSU_NO_ASSOC_ANSWER)
		return;
	tsu_push(w, EVT7_ASSOC_ACCEPT);
	if (su->flags & TSU_RELEASE_AFTER_ACCEPT) {
		tsu_push(w, EVT11_RELEASE_REQ);
		su->release_asked = 1;
	}
	if (su->flags & TSU_ABORT_AFTER_ACCEPT)
		tsu_push(w, EVT15_ABORT_REQ);
}

/* Queue a C-ECHO-RSP, status 0000, as one PDV on the given context. */
static int
tsu_echo_rsp(struct tsu *su, struct worker *w, uint8_t pcid, uint16_t msgid)
{
	struct su_event	 e;
	uint8_t		*slot;
	ssize_t		 n;

	slot = su->rsp[su->next_rsp++ % TSU_RSP_SLOTS];
	n = dimse_echo_rsp(slot + PDU_PDV_HDR_LEN, sizeof(su->rsp[0]) -
	    PDU_PDV_HDR_LEN, msgid, DIMSE_STATUS_SUCCESS);
	if (n < 0 || (n = dimse_pdv(slot, sizeof(su->rsp[0]), pcid,
	    slot + PDU_PDV_HDR_LEN, (size_t)n)) < 0)
		return (-1);
	memset(&e, 0, sizeof(e));
	e.ev = EVT9_PDATA_REQ;
	e.pdvs = slot;
	e.len = (size_t)n;
	return (worker_push(w, &e));
}

/* Answer each complete C-ECHO-RQ with a C-ECHO-RSP, status 0000. */
static void
tsu_pdata_ind(void *ctx, struct worker *w, const uint8_t *items, size_t len)
{
	struct tsu		*su = ctx;
	struct pdu_pdata	 pd;
	struct pdu_iter		 it;
	struct pdu_pdv		 pdv;
	struct dimse_cmd	 c;
	int			 r;

	memset(&pd, 0, sizeof(pd));
	pd.items = items;
	pd.len = len;
	pdu_pdv_iter(&it, &pd);
	while (pdu_pdv_next(&it, &pdv) == 1) {
		if ((r = dimse_asm_add(&su->cmd, &pdv)) < 0) {
			su->bad_command++;
			dimse_asm_reset(&su->cmd);
			continue;
		}
		if (r == 0)
			continue;
		r = dimse_parse(su->cmd.buf, su->cmd.len, &c);
		dimse_asm_reset(&su->cmd);
		if (r != DIMSE_OK || c.command != DIMSE_C_ECHO_RQ ||
		    !c.has_msgid) {
			su->bad_command++;
			continue;
		}
		/* PS3.8 7.2.2: after A-RELEASE request, no more P-DATA. */
		if (su->release_asked) {
			su->unanswered++;
			log_info("test su: C-ECHO %u after our release "
			    "request: not answered", c.msgid);
			continue;
		}
		if (tsu_echo_rsp(su, w, pdv.pcid, c.msgid) == -1) {
			su->bad_command++;
			continue;
		}
		su->echoes++;
		if (su->flags & TSU_RELEASE_AFTER_ECHO) {
			tsu_push(w, EVT11_RELEASE_REQ);
			su->release_asked = 1;
		}
	}
}

/* The same for a body the link spliced: read it from the link's pipe. */
static void
tsu_pdata_pipe(void *ctx, struct worker *w)
{
	const uint8_t	*p;
	ssize_t		 n;

	if ((n = link_pipe_copy(&w->link, &p)) >= 0)
		tsu_pdata_ind(ctx, w, p, (size_t)n);
}

/* Answer A-RELEASE at once unless told not to. */
static void
tsu_release_ind(void *ctx, struct worker *w)
{
	struct tsu	*su = ctx;

	su->released++;
	log_info("test su: release indication");
	/* PS3.8 7.2.2: the release acceptor may still send P-DATA. */
	if (su->flags & TSU_PDATA_ON_RELEASE)
		tsu_echo_rsp(su, w, 1, 99);
	if (!(su->flags & TSU_NO_RELEASE_ANSWER))
		tsu_push(w, EVT14_RELEASE_RSP);
}

/* Note the release confirmation. */
static void
tsu_release_cnf(void *ctx, struct worker *w, int collision)
{
	struct tsu	*su = ctx;

	(void)w;
	su->confirmed++;
	su->collision = collision;
	log_info("test su: release confirmation, collision %d", collision);
}

/* Note the peer's abort. */
static void
tsu_abort_ind(void *ctx, struct worker *w, uint8_t source, uint8_t reason)
{
	struct tsu	*su = ctx;

	(void)w;
	(void)source;
	(void)reason;
	su->aborted++;
}

/* Note the provider's abort. */
static void
tsu_p_abort_ind(void *ctx, struct worker *w, uint8_t reason,
    enum worker_cause cause)
{
	struct tsu	*su = ctx;

	(void)w;
	(void)reason;
	(void)cause;
	su->p_aborted++;
}

/* Report how many C-ECHOs were answered, for the summary line. */
static int
tsu_end(void *ctx, struct worker *w)
{
	struct tsu	*su = ctx;

	(void)w;
	return ((int)su->echoes);
}

/* Append n bytes if they fit; count them either way. */
static void
wb_bytes(struct wb *b, const void *p, size_t n)
{
	if (b->len <= b->cap && n <= b->cap - b->len)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Append one byte. */
static void
wb_u8(struct wb *b, uint8_t v)
{
	wb_bytes(b, &v, 1);
}

/* Append a big-endian 16-bit integer. */
static void
wb_u16(struct wb *b, uint16_t v)
{
	uint8_t	 x[2] = { v >> 8, v & 0xff };

	wb_bytes(b, x, sizeof(x));
}

/* Append a big-endian 32-bit integer. */
static void
wb_u32(struct wb *b, uint32_t v)
{
	uint8_t	 x[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
		    v & 0xff };

	wb_bytes(b, x, sizeof(x));
}

/* Start an item: type, reserved, u16 length filled in by wb_close(). */
static size_t
wb_open(struct wb *b, uint8_t type)
{
	size_t	 off = b->len;

	wb_u8(b, type);
	wb_u8(b, 0);
	wb_u16(b, 0);
	return (off);
}

/* Fill in the length of the item opened at off. */
static void
wb_close(struct wb *b, size_t off)
{
	size_t	 n = b->len - off - 4;

	if (b->len <= b->cap) {
		b->p[off + 2] = (uint8_t)(n >> 8);
		b->p[off + 3] = (uint8_t)n;
	}
}

/* Append an item holding one string. */
static void
wb_item(struct wb *b, uint8_t type, const char *s)
{
	size_t	 off = wb_open(b, type);

	wb_bytes(b, s, strlen(s));
	wb_close(b, off);
}

/* Append a 16-byte AE title field, padded with spaces. */
static void
wb_ae(struct wb *b, const char *ae)
{
	char	 f[PDU_AE_LEN];
	size_t	 n = strlen(ae);

	memset(f, ' ', sizeof(f));
	memcpy(f, ae, n > sizeof(f) ? sizeof(f) : n);
	wb_bytes(b, f, sizeof(f));
}

/* Fill in the PDU-length; return the PDU's size, or 0 if it overflowed. */
static size_t
wb_pdu_end(struct wb *b)
{
	uint32_t	 n = (uint32_t)(b->len - PDU_HDR_LEN);

	if (b->len > b->cap)
		return (0);
	b->p[2] = n >> 24;
	b->p[3] = (n >> 16) & 0xff;
	b->p[4] = (n >> 8) & 0xff;
	b->p[5] = n & 0xff;
	return (b->len);
}

/* Write an A-ASSOCIATE-RQ (PS3.8 Table 9-11) as a reference SCU would. */
size_t
wt_rq(uint8_t *buf, size_t cap, const struct wt_rq *o)
{
	static const struct wt_pctx	 verif = { 1, DIMSE_VERIFICATION_UID,
					    { DIMSE_IMPLICIT_LE_UID, NULL } };
	const struct wt_pctx		*pc = o->n_pctx ? o->pctx : &verif;
	unsigned int			 n = o->n_pctx ? o->n_pctx : 1;
	struct wb			 b = { buf, cap, 0 };
	size_t				 off, ui, sub;
	unsigned int			 i, j;

	wb_u8(&b, PDU_ASSOC_RQ);
	wb_u8(&b, 0);
	wb_u32(&b, 0);
	wb_u16(&b, o->version ? o->version : 1);
	wb_u16(&b, 0);
	wb_ae(&b, o->called ? o->called : WT_CALLED);
	wb_ae(&b, o->calling ? o->calling : WT_CALLING);
	for (i = 0; i < 32; i++)
		wb_u8(&b, 0);
	wb_item(&b, PDU_ITEM_APP_CONTEXT, PDU_APP_CONTEXT_NAME);
	for (i = 0; i < n; i++) {
		off = wb_open(&b, PDU_ITEM_PCTX_RQ);
		wb_u8(&b, pc[i].id);
		wb_u8(&b, 0);
		wb_u8(&b, 0);
		wb_u8(&b, 0);
		wb_item(&b, PDU_ITEM_ABSTRACT_SYNTAX, pc[i].abstract);
		for (j = 0; j < 2 && pc[i].ts[j] != NULL; j++)
			wb_item(&b, PDU_ITEM_TRANSFER_SYNTAX, pc[i].ts[j]);
		wb_close(&b, off);
	}
	ui = wb_open(&b, PDU_ITEM_USER_INFO);
	if (!o->no_max_len) {
		sub = wb_open(&b, PDU_ITEM_MAX_LENGTH);
		wb_u32(&b, o->max_len ? o->max_len : 16384);
		wb_close(&b, sub);
	}
	wb_item(&b, PDU_ITEM_IMPL_CLASS_UID, WT_IMPL_UID);
	wb_item(&b, PDU_ITEM_IMPL_VERSION, WT_IMPL_VERSION);
	wb_close(&b, ui);
	return (wb_pdu_end(&b));
}

/*
 * Write the A-ASSOCIATE-AC (PS3.8 Table 9-17) the worker must answer a
 * one-context RQ with: the RQ's 64 bytes at offsets 10..73 echoed, the
 * context's result and transfer syntax, and the worker's user items.
 */
size_t
wt_ac(uint8_t *buf, size_t cap, const uint8_t *rq, uint8_t result,
    const char *ts, uint32_t max_len)
{
	struct wb	 b = { buf, cap, 0 };
	size_t		 off, ui, sub;

	wb_u8(&b, PDU_ASSOC_AC);
	wb_u8(&b, 0);
	wb_u32(&b, 0);
	wb_u16(&b, 1);
	wb_u16(&b, 0);
	wb_bytes(&b, rq + 10, PDU_AE_ECHO_LEN);
	wb_item(&b, PDU_ITEM_APP_CONTEXT, PDU_APP_CONTEXT_NAME);
	off = wb_open(&b, PDU_ITEM_PCTX_AC);
	wb_u8(&b, 1);
	wb_u8(&b, 0);
	wb_u8(&b, result);
	wb_u8(&b, 0);
	wb_item(&b, PDU_ITEM_TRANSFER_SYNTAX, ts);
	wb_close(&b, off);
	ui = wb_open(&b, PDU_ITEM_USER_INFO);
	sub = wb_open(&b, PDU_ITEM_MAX_LENGTH);
	wb_u32(&b, max_len);
	wb_close(&b, sub);
	wb_item(&b, PDU_ITEM_IMPL_CLASS_UID, WORKER_IMPL_CLASS_UID);
	wb_item(&b, PDU_ITEM_IMPL_VERSION, WORKER_IMPL_VERSION);
	wb_close(&b, ui);
	return (wb_pdu_end(&b));
}

/* Write a P-DATA-TF PDU holding one whole command set. */
static size_t
wt_cmd_pdu(uint8_t *buf, size_t cap, uint8_t pcid, const uint8_t *cmd,
    size_t len)
{
	struct wb	 b = { buf, cap, 0 };

	wb_u8(&b, PDU_P_DATA_TF);
	wb_u8(&b, 0);
	wb_u32(&b, 0);
	wb_u32(&b, (uint32_t)len + 2);
	wb_u8(&b, pcid);
	wb_u8(&b, PDU_MCH_COMMAND | PDU_MCH_LAST);
	wb_bytes(&b, cmd, len);
	return (wb_pdu_end(&b));
}

/* Write a P-DATA-TF PDU carrying a C-ECHO-RQ. */
size_t
wt_echo_rq_pdu(uint8_t *buf, size_t cap, uint8_t pcid, uint16_t msgid)
{
	uint8_t	 cmd[128];
	ssize_t	 n;

	if ((n = dimse_echo_rq(cmd, sizeof(cmd), msgid)) < 0)
		return (0);
	return (wt_cmd_pdu(buf, cap, pcid, cmd, (size_t)n));
}

/* Write a P-DATA-TF PDU carrying a successful C-ECHO-RSP. */
size_t
wt_echo_rsp_pdu(uint8_t *buf, size_t cap, uint8_t pcid, uint16_t msgid)
{
	uint8_t	 cmd[128];
	ssize_t	 n;

	if ((n = dimse_echo_rsp(cmd, sizeof(cmd), msgid,
	    DIMSE_STATUS_SUCCESS)) < 0)
		return (0);
	return (wt_cmd_pdu(buf, cap, pcid, cmd, (size_t)n));
}
