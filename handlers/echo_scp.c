/*
 * echo_scp.c: dul-echo-scp, the Verification SCP (PS3.4 Annex A).  It
 * accepts the association as the worker's policy proposed, answers every
 * C-ECHO-RQ with success and every other request with "unrecognized
 * operation", and answers the release.  It is the smallest useful
 * handler, and the one to copy when writing another.
 */

#include "compat.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dulhandler.h"

#define ECHO_NAME	"dul-echo-scp"
#define C_CANCEL_RQ	0x0fff	/* has no response (PS3.7 9.3.2.3) */

static int	echo_answer(struct dh_conn *, const struct dh_msg *);
static int	echo_pdata(struct dh_conn *, struct dh_asm *,
		    const struct dh_event *);
static __dead void usage(void);

/* Say how to call us and exit with the usage status. */
static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s\n", ECHO_NAME);
	exit(100);
}

/*
 * Answer one complete message: C-ECHO-RQ gets success, any other request
 * 0211 (unrecognized operation), a C-CANCEL-RQ or a response nothing.
 * A command we cannot answer at all ends the association.
 */
static int
echo_answer(struct dh_conn *c, const struct dh_msg *m)
{
	const struct dh_pctx	*pc;
	struct dh_cmd		 cmd;
	struct dh_rsp		 r;
	uint8_t			 buf[DH_RSP_MAX];
	size_t			 len;

	if (dh_cmd_parse(m->command, m->command_len, &cmd) != DH_OK ||
	    ((cmd.command_field & DH_CMD_RSP_BIT) == 0 && !cmd.has_msg_id)) {
		dh_log(c, DH_LOG_WARNING, "unusable command set on context %u",
		    m->pcid);
		return (-1);
	}
	if (cmd.command_field & DH_CMD_RSP_BIT ||
	    cmd.command_field == C_CANCEL_RQ) {
		dh_log(c, DH_LOG_WARNING, "ignored command 0x%04x",
		    cmd.command_field);
		return (0);
	}

	memset(&r, 0, sizeof(r));
	r.command_field = cmd.command_field | DH_CMD_RSP_BIT;
	r.msg_id = cmd.msg_id;
	if (cmd.sop_class_st == DH_UI_OK)
		r.sop_class = cmd.sop_class;
	else if ((pc = dh_pctx_find(c, m->pcid)) != NULL)
		r.sop_class = pc->abstract;
	if (cmd.command_field == DH_C_ECHO_RQ && !m->has_data)
		r.status = DH_ST_SUCCESS;
	else {
		r.status = DH_ST_UNRECOGNIZED_OP;
		if (cmd.sop_instance_st == DH_UI_OK)
			r.sop_instance = cmd.sop_instance;
		dh_log(c, DH_LOG_INFO, "refused command 0x%04x",
		    cmd.command_field);
	}
	if ((len = dh_cmd_rsp(buf, sizeof(buf), &r)) == 0)
		return (-1);
	return (dh_send_pdv(c, m->pcid, 1, 1, buf, len) == DH_OK ? 0 : -1);
}

/* Feed the PDVs of one P-DATA indication to the assembler. */
static int
echo_pdata(struct dh_conn *c, struct dh_asm *a, const struct dh_event *ev)
{
	struct dh_msg	 m;
	size_t		 i;
	int		 rc;

	for (i = 0; i < ev->npdv; i++) {
		rc = dh_asm_feed(a, &ev->pdv[i], &m);
		if (rc == DH_ASM_DONE) {
			if (echo_answer(c, &m) == -1)
				return (-1);
		} else if (rc < 0) {
			/* Data sets are dropped: no sink is ever set. */
			dh_log(c, DH_LOG_WARNING, "P-DATA: %s",
			    dh_strerror(rc));
			return (-1);
		}
	}
	return (0);
}

/* Serve one association handed over by the worker. */
int
main(int argc, char *argv[])
{
	struct dh_conn		*c;
	const struct dh_assoc	*as;
	struct dh_asm		*a;
	struct dh_event		 ev;
	int			 err, rc;

	(void)argv;
	if (argc > 1)
		usage();
	/* A worker that went away must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	if ((c = dh_open(ECHO_NAME, 0, &err)) == NULL) {
		fprintf(stderr, "%s: session: %s\n", ECHO_NAME,
		    dh_strerror(err));
		return (1);
	}
	if ((rc = dh_wait_assoc(c, &as)) != DH_OK) {
		dh_close(c);
		return (rc == DH_ERR_EOF ? 0 : 1);
	}
	if ((a = dh_asm_new(0)) == NULL)
		rc = DH_ERR_NOMEM;
	else
		rc = dh_accept_as_proposed(c);
	if (rc != DH_OK) {
		dh_log(c, DH_LOG_ERROR, "accept: %s", dh_strerror(rc));
		dh_asm_free(a);
		dh_close(c);
		return (1);
	}

	for (;;) {
		if ((rc = dh_next(c, &ev)) != DH_OK) {
			dh_log(c, DH_LOG_ERROR, "%s", dh_strerror(rc));
			break;
		}
		if (ev.type == DH_EV_EOF)
			break;
		if (ev.type == DH_EV_PDATA && echo_pdata(c, a, &ev) == -1)
			rc = dh_abort(c);
		else if (ev.type == DH_EV_RELEASE_IND)
			rc = dh_release_respond(c);
		else if (ev.type == DH_EV_ERROR)
			dh_log(c, DH_LOG_ERROR, "worker: %s", ev.text);
		if (rc != DH_OK) {
			dh_log(c, DH_LOG_ERROR, "%s", dh_strerror(rc));
			break;
		}
	}
	dh_asm_free(a);
	dh_close(c);
	return (rc == DH_OK ? 0 : 1);
}
