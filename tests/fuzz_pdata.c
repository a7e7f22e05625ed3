/*
 * fuzz_pdata.c: libFuzzer harness for P-DATA-TF framing.
 *
 * Input: u32 sending maximum, u32 receiving maximum, then one P-DATA-TF
 * PDU.  The header is checked in the associated phase against the
 * receiving maximum, and must pass exactly when its type and length say
 * so.  The bytes after the header are decoded as the body whatever the
 * header says; the PDVs of a body that decodes are walked, sent again
 * with the worker's re-fragmentation (link_send_pdvs() over a socketpair,
 * to the sending maximum), read back, and must reassemble to the same
 * PDVs: same data, context IDs, command bits, and a last bit only on the
 * final fragment of a PDV whose last bit was set.  The PDVs are also fed
 * to the DIMSE command assembly of the worker tests (dimse.c) and of
 * libdulhandler (dh_asm.c).
 */

#include "compat.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dimse.h"
#include "dulhandler.h"
#include "io.h"
#include "link.h"
#include "pdu.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_MAX_FRAGMENTS	512	/* keep a run short */

/* What the far end of the socketpair has read. */
struct fz_rd {
	int		 fd;
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
};

static struct fz_rd	 rd;

static void	check(int, const char *);
static void	fz_take(void);
static int	fz_poll(struct pollfd *, nfds_t, int);
static void	check_header(const uint8_t *, uint32_t);
static void	walk(const struct pdu_pdata *, size_t);
static void	refragment(const struct pdu_pdata *, uint32_t);
static void	reassemble(const struct pdu_pdata *, uint32_t);
static void	dimse(const struct pdu_pdata *);
static int	dh_sink(void *, const void *, size_t);
static void	dh(const struct pdu_pdata *, size_t);

/* Abort with a reason unless the condition holds. */
static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_pdata: %s\n", what);
		abort();
	}
}

/* Read what the sender wrote so far. */
static void
fz_take(void)
{
	ssize_t	 n;

	for (;;) {
		if (rd.cap - rd.len < 65536) {
			rd.cap = rd.cap == 0 ? 262144 : rd.cap * 2;
			if ((rd.buf = realloc(rd.buf, rd.cap)) == NULL)
				abort();
		}
		n = recv(rd.fd, rd.buf + rd.len, rd.cap - rd.len,
		    MSG_DONTWAIT);
		if (n <= 0)
			return;
		rd.len += (size_t)n;
	}
}

/* A sender waiting for room: read, so there is some; never sleep. */
static int
fz_poll(struct pollfd *pfd, nfds_t n, int timeout)
{
	(void)timeout;
	fz_take();
	return (poll(pfd, n, 0));
}

/* The header check passes exactly when type and length allow it. */
static void
check_header(const uint8_t *p, uint32_t recv_max)
{
	struct pdu_limits	 lim = { 0, 0 };
	struct pdu_hdr		 h;
	uint32_t		 cap;
	int			 r;

	lim.max_pdata_len = recv_max;
	cap = recv_max != 0 ? recv_max : PDU_DEFAULT_MAX_PDATA_LEN;
	r = pdu_header_check(p, &lim, PDU_PHASE_ASSOCIATED, &h);
	check(h.type == p[0] && h.len == get_u32(p + 2), "header fields");
	if (p[0] != PDU_P_DATA_TF)
		return;
	if (h.len < PDU_PDV_HDR_LEN)
		check(r == PDU_ERR_PDATA_SHORT, "short P-DATA passes");
	else if (h.len > cap)
		check(r == PDU_ERR_PDATA_TOO_LONG, "long P-DATA passes");
	else
		check(r == PDU_OK, "good P-DATA header refused");
	if (r != PDU_OK)
		check(pdu_err_abort_reason(r) == PDU_ABORT_INVALID_PARAM,
		    "P-DATA length abort reason");
}

/* The PDVs cover the body exactly, each well formed. */
static void
walk(const struct pdu_pdata *pd, size_t blen)
{
	struct pdu_iter	 it;
	struct pdu_pdv	 pdv;
	unsigned int	 n = 0;
	size_t		 sum = 0;

	check(pd->len == blen && pd->n_pdv >= 1, "P-DATA body");
	pdu_pdv_iter(&it, pd);
	while (pdu_pdv_next(&it, &pdv)) {
		check(n < pd->n_pdv, "more PDVs than counted");
		check(pdv.mch <= PDU_MCH_MASK, "control header not masked");
		check(pdv.data == pd->items + sum + PDU_PDV_HDR_LEN,
		    "PDV data not where its item is");
		sum += PDU_PDV_HDR_LEN + pdv.len;
		check(sum <= blen, "PDV past the body");
		n++;
	}
	check(n == pd->n_pdv && sum == blen, "PDVs do not cover the body");
}

/* Send the PDVs again through the worker's re-fragmentation. */
static void
refragment(const struct pdu_pdata *pd, uint32_t send_max)
{
	struct link	 l;
	int		 sv[2], r, bufsz = 65536;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	io_set_nonblock(sv[0]);
	rd.fd = sv[1];
	rd.len = 0;
	link_init(&l, sv[0]);
	io_poll_hook = fz_poll;
	errno = 0;
	r = link_send_pdvs(&l, pd->items, pd->len, send_max, IO_NO_DEADLINE);
	io_poll_hook = NULL;
	shutdown(sv[0], SHUT_WR);
	fz_take();
	link_free(&l);
	close(sv[0]);
	close(sv[1]);
	if (link_max_fragment(send_max) == 0) {
		check(r == -1 && errno == EMSGSIZE && rd.len == 0,
		    "a maximum under 8 is not refused");
		return;
	}
	check(r == 0, "valid PDVs not sent");
	check(l.bytes_out == rd.len, "bytes counted are not bytes sent");
	reassemble(pd, send_max);
}

/* The fragments read back must make up the original PDVs. */
static void
reassemble(const struct pdu_pdata *pd, uint32_t send_max)
{
	struct pdu_limits	 lim = { 0, 0 };
	struct pdu_pdata	 one;
	struct pdu_iter		 it, fi;
	struct pdu_pdv		 pdv, f;
	struct pdu_hdr		 h;
	uint32_t		 frag = link_max_fragment(send_max);
	size_t			 off = 0, got;
	uint64_t		 pdus = 0;

	lim.max_pdata_len = send_max;
	pdu_pdv_iter(&it, pd);
	while (pdu_pdv_next(&it, &pdv)) {
		got = 0;
		do {
			check(rd.len - off >= PDU_HDR_LEN, "PDU header cut");
			check(pdu_header_check(rd.buf + off, &lim,
			    PDU_PHASE_ASSOCIATED, &h) == PDU_OK,
			    "fragment PDU header refused");
			check(h.type == PDU_P_DATA_TF, "fragment not P-DATA");
			off += PDU_HDR_LEN;
			check(rd.len - off >= h.len, "PDU body cut");
			check(pdu_decode_pdata(rd.buf + off, h.len, &one) ==
			    PDU_OK && one.n_pdv == 1, "fragment PDU invalid");
			pdu_pdv_iter(&fi, &one);
			check(pdu_pdv_next(&fi, &f), "fragment PDV");
			off += h.len;
			pdus++;
			check(f.pcid == pdv.pcid, "fragment context ID");
			check((f.mch & PDU_MCH_COMMAND) ==
			    (pdv.mch & PDU_MCH_COMMAND), "fragment command bit");
			check(f.len <= frag && f.len <= pdv.len - got,
			    "fragment too long");
			check(f.len == 0 || memcmp(f.data, pdv.data + got,
			    f.len) == 0, "fragment data");
			got += f.len;
			if (got < pdv.len) {
				check(f.len == frag, "short inner fragment");
				check(!(f.mch & PDU_MCH_LAST),
				    "last bit on an inner fragment");
			} else
				check((f.mch & PDU_MCH_LAST) ==
				    (pdv.mch & PDU_MCH_LAST),
				    "last bit of the final fragment");
		} while (got < pdv.len);
	}
	check(off == rd.len, "bytes after the last fragment");
	(void)pdus;
}

/* The worker tests' command assembly, and the C-ECHO parser after it. */
static void
dimse(const struct pdu_pdata *pd)
{
	static struct dimse_asm	 a;
	struct dimse_cmd	 c, d;
	struct pdu_iter		 it;
	struct pdu_pdv		 pdv;
	uint8_t			 out[256];
	ssize_t			 n;
	int			 r;

	dimse_asm_reset(&a);
	pdu_pdv_iter(&it, pd);
	while (pdu_pdv_next(&it, &pdv)) {
		r = dimse_asm_add(&a, &pdv);
		check(dimse_strerror(r) != NULL, "DIMSE error text");
		check(a.len <= sizeof(a.buf), "command past its buffer");
		if (r < 0) {
			dimse_asm_reset(&a);
			continue;
		}
		if (r == 0)
			continue;
		r = dimse_parse(a.buf, a.len, &c);
		dimse_asm_reset(&a);
		if (r != DIMSE_OK || !c.has_msgid)
			continue;
		check(strlen(c.sop_class) <= PDU_UID_MAX, "SOP class length");
		if (c.command == DIMSE_C_ECHO_RQ)
			n = dimse_echo_rq(out, sizeof(out), c.msgid);
		else
			n = dimse_echo_rsp(out, sizeof(out), c.msgid,
			    c.has_status ? c.status : 0);
		check(n > 0, "C-ECHO does not encode");
		check(dimse_parse(out, (size_t)n, &d) == DIMSE_OK &&
		    d.has_command && (c.command == DIMSE_C_ECHO_RQ ?
		    d.msgid == c.msgid : d.rsp_to == c.msgid),
		    "C-ECHO does not read back");
	}
}

/* A data set sink that counts. */
static int
dh_sink(void *arg, const void *p, size_t n)
{
	uint64_t	*count = arg;

	(void)p;
	*count += n;
	return (DH_OK);
}

/* libdulhandler's message assembly. */
static void
dh(const struct pdu_pdata *pd, size_t cap)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 d;
	struct pdu_iter	 it;
	struct pdu_pdv	 pdv;
	uint64_t	 sunk = 0;
	int		 r;

	if ((a = dh_asm_new(cap)) == NULL)
		abort();
	pdu_pdv_iter(&it, pd);
	while (pdu_pdv_next(&it, &pdv)) {
		d.pcid = pdv.pcid;
		d.is_command = (pdv.mch & PDU_MCH_COMMAND) != 0;
		d.is_last = (pdv.mch & PDU_MCH_LAST) != 0;
		d.data = pdv.data;
		d.len = pdv.len;
		r = dh_asm_feed(a, &d, &m);
		check(dh_strerror(r) != NULL, "libdulhandler error text");
		if (r == DH_ERR_SEQUENCE)
			continue;
		check(m.command_len <= (cap == 0 ? DH_COMMAND_MAX : cap),
		    "command over its cap");
		if (r == DH_ASM_COMMAND) {
			check(d.is_command && d.is_last && m.has_data,
			    "command complete out of turn");
			check(m.command_len >= d.len && memcmp(m.command +
			    m.command_len - d.len, d.data, d.len) == 0,
			    "command does not end with its last fragment");
			sunk = 0;
			dh_asm_sink(a, dh_sink, &sunk);
		}
		if (r == DH_ASM_DONE && !d.is_command)
			check(sunk <= m.data_len, "sink got more than sent");
	}
	dh_asm_free(a);
}

/* One input: two limits and one P-DATA-TF PDU. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdu_pdata	 pd;
	uint32_t		 send_max, recv_max, frag;
	uint8_t			*body;
	size_t			 blen;
	int			 r;

	if (size < 8 + PDU_HDR_LEN)
		return (0);
	send_max = get_u32(data);
	recv_max = get_u32(data + 4);
	data += 8;
	size -= 8;
	check_header(data, recv_max);

	blen = size - PDU_HDR_LEN;
	if ((body = malloc(blen == 0 ? 1 : blen)) == NULL)
		abort();
	memcpy(body, data + PDU_HDR_LEN, blen);
	memset(&pd, 0, sizeof(pd));
	r = pdu_decode_pdata(body, blen, &pd);
	if (r != PDU_OK) {
		check(r < 0 && pdu_strerror(r) != NULL, "error code");
		check(pd.err_offset <= blen, "error offset past the body");
		free(body);
		return (0);
	}
	walk(&pd, blen);

	/* Small maxima for small bodies only, so one run stays quick. */
	if ((frag = link_max_fragment(send_max)) != 0 &&
	    blen / frag > FZ_MAX_FRAGMENTS)
		send_max = (uint32_t)(blen / FZ_MAX_FRAGMENTS) + 64;
	if (pd.n_pdv <= FZ_MAX_FRAGMENTS)
		refragment(&pd, send_max);
	dimse(&pd);
	dh(&pd, send_max & 1 ? 1024 : 0);
	free(body);
	return (0);
}
