/* dimse.c: C-ECHO command sets and command reassembly (PS3.7 9.3.5). */

#include "compat.h"

#include <string.h>

#include "buf.h"
#include "dimse.h"
#include "pdu.h"

/* A little-endian writer that counts what it could not write. */
struct le {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
};

static void	le_put(struct le *, const void *, size_t);
static void	le_u16(struct le *, uint16_t);
static void	le_u32(struct le *, uint32_t);
static void	le_tag(struct le *, uint16_t, uint32_t);
static void	le_us(struct le *, uint16_t, uint16_t);
static void	le_ui(struct le *, uint16_t, const char *);
static ssize_t	le_finish(struct le *);
static uint16_t	get_le16(const uint8_t *);
static uint32_t	get_le32(const uint8_t *);

/* Append n bytes if they fit; count them either way. */
static void
le_put(struct le *w, const void *p, size_t n)
{
	if (w->len <= w->cap && n <= w->cap - w->len)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

/* Append a little-endian 16-bit integer. */
static void
le_u16(struct le *w, uint16_t v)
{
	uint8_t	 b[2] = { v & 0xff, v >> 8 };

	le_put(w, b, sizeof(b));
}

/* Append a little-endian 32-bit integer. */
static void
le_u32(struct le *w, uint32_t v)
{
	uint8_t	 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
		    v >> 24 };

	le_put(w, b, sizeof(b));
}

/* Append an Implicit VR element header in group 0000. */
static void
le_tag(struct le *w, uint16_t elem, uint32_t len)
{
	le_u16(w, 0x0000);
	le_u16(w, elem);
	le_u32(w, len);
}

/* Append a US element. */
static void
le_us(struct le *w, uint16_t elem, uint16_t v)
{
	le_tag(w, elem, 2);
	le_u16(w, v);
}

/* Append a UI element, padded with one NUL to an even length (PS3.5). */
static void
le_ui(struct le *w, uint16_t elem, const char *uid)
{
	size_t	 n = strlen(uid);

	le_tag(w, elem, (uint32_t)(n + (n & 1)));
	le_put(w, uid, n);
	if (n & 1)
		le_put(w, "", 1);
}

/*
 * Fill in Command Group Length, (0000,0000), which counts the bytes after
 * its own 12-byte element (PS3.7 E.1), and return the set's length.
 */
static ssize_t
le_finish(struct le *w)
{
	uint32_t	 n;

	if (w->len > w->cap)
		return (DIMSE_ERR_SPACE);
	n = (uint32_t)(w->len - 12);
	w->p[8] = n & 0xff;
	w->p[9] = (n >> 8) & 0xff;
	w->p[10] = (n >> 16) & 0xff;
	w->p[11] = n >> 24;
	return ((ssize_t)w->len);
}

/* Read a little-endian 16-bit integer. */
static uint16_t
get_le16(const uint8_t *p)
{
	return ((uint16_t)(p[0] | p[1] << 8));
}

/* Read a little-endian 32-bit integer. */
static uint32_t
get_le32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

/* Write a C-ECHO-RQ command set (PS3.7 Table 9.3-12). */
ssize_t
dimse_echo_rq(uint8_t *buf, size_t cap, uint16_t msgid)
{
	struct le	 w = { buf, cap, 0 };

	le_tag(&w, 0x0000, 4);
	le_u32(&w, 0);
	le_ui(&w, 0x0002, DIMSE_VERIFICATION_UID);
	le_us(&w, 0x0100, DIMSE_C_ECHO_RQ);
	le_us(&w, 0x0110, msgid);
	le_us(&w, 0x0800, DIMSE_NO_DATASET);
	return (le_finish(&w));
}

/* Write a C-ECHO-RSP command set (PS3.7 Table 9.3-13). */
ssize_t
dimse_echo_rsp(uint8_t *buf, size_t cap, uint16_t rsp_to, uint16_t status)
{
	struct le	 w = { buf, cap, 0 };

	le_tag(&w, 0x0000, 4);
	le_u32(&w, 0);
	le_ui(&w, 0x0002, DIMSE_VERIFICATION_UID);
	le_us(&w, 0x0100, DIMSE_C_ECHO_RSP);
	le_us(&w, 0x0120, rsp_to);
	le_us(&w, 0x0800, DIMSE_NO_DATASET);
	le_us(&w, 0x0900, status);
	return (le_finish(&w));
}

/*
 * Wrap a whole command set in one PDV item laid out as in a P-DATA-TF body
 * (u32 length, context ID, control header: command, last fragment).
 */
ssize_t
dimse_pdv(uint8_t *buf, size_t cap, uint8_t pcid, const uint8_t *cmd,
    size_t len)
{
	if (len > cap || cap - len < PDU_PDV_HDR_LEN || len > UINT32_MAX - 2)
		return (DIMSE_ERR_SPACE);
	buf[0] = (uint8_t)((len + 2) >> 24);
	buf[1] = (uint8_t)((len + 2) >> 16);
	buf[2] = (uint8_t)((len + 2) >> 8);
	buf[3] = (uint8_t)(len + 2);
	buf[4] = pcid;
	buf[5] = PDU_MCH_COMMAND | PDU_MCH_LAST;
	memmove(buf + PDU_PDV_HDR_LEN, cmd, len);
	return ((ssize_t)(len + PDU_PDV_HDR_LEN));
}

/*
 * Read the fields Verification needs from an Implicit VR Little Endian
 * command set.  Every element must lie inside the set and in group 0000;
 * elements not needed here are skipped.
 */
int
dimse_parse(const uint8_t *p, size_t len, struct dimse_cmd *c)
{
	uint16_t	 group, elem;
	uint32_t	 vlen;
	size_t		 n;

	memset(c, 0, sizeof(*c));
	while (len > 0) {
		if (size_sub(len, 8, &len) != BUF_OK)
			return (DIMSE_ERR_MALFORMED);
		group = get_le16(p);
		elem = get_le16(p + 2);
		vlen = get_le32(p + 4);
		p += 8;
		if (size_sub(len, vlen, &len) != BUF_OK)
			return (DIMSE_ERR_MALFORMED);
		if (group != 0x0000)
			return (DIMSE_ERR_GROUP);
		switch (elem) {
		case 0x0002:
			if (vlen > PDU_UID_MAX)
				return (DIMSE_ERR_VALUE);
			memcpy(c->sop_class, p, vlen);
			c->sop_class[vlen] = '\0';
			n = strlen(c->sop_class);
			while (n > 0 && c->sop_class[n - 1] == ' ')
				c->sop_class[--n] = '\0';
			break;
		case 0x0100:
		case 0x0110:
		case 0x0120:
		case 0x0800:
		case 0x0900:
			if (vlen != 2)
				return (DIMSE_ERR_VALUE);
			if (elem == 0x0100) {
				c->command = get_le16(p);
				c->has_command = 1;
			} else if (elem == 0x0110) {
				c->msgid = get_le16(p);
				c->has_msgid = 1;
			} else if (elem == 0x0120) {
				c->rsp_to = get_le16(p);
				c->has_rsp_to = 1;
			} else if (elem == 0x0800) {
				c->dataset_type = get_le16(p);
				c->has_dataset_type = 1;
			} else {
				c->status = get_le16(p);
				c->has_status = 1;
			}
			break;
		default:
			break;
		}
		p += vlen;
	}
	if (!c->has_command)
		return (DIMSE_ERR_ABSENT);
	return (DIMSE_OK);
}

/* Forget any partial command set. */
void
dimse_asm_reset(struct dimse_asm *a)
{
	a->len = 0;
	a->pcid = 0;
}

/*
 * Add one PDV to the command set being assembled.  Returns 1 when its
 * last fragment has arrived (the set is in buf), 0 when more are due, or
 * a negative DIMSE_ERR_*.  A data set fragment is an error: no message
 * handled here has one.
 */
int
dimse_asm_add(struct dimse_asm *a, const struct pdu_pdv *pdv)
{
	if (!(pdv->mch & PDU_MCH_COMMAND))
		return (DIMSE_ERR_DATASET);
	if (a->len > 0 && pdv->pcid != a->pcid)
		return (DIMSE_ERR_SEQUENCE);
	if (pdv->len > sizeof(a->buf) - a->len)
		return (DIMSE_ERR_TOO_LARGE);
	a->pcid = pdv->pcid;
	memcpy(a->buf + a->len, pdv->data, pdv->len);
	a->len += pdv->len;
	return ((pdv->mch & PDU_MCH_LAST) ? 1 : 0);
}

/* Return a short text for a DIMSE_ERR_* code. */
const char *
dimse_strerror(int err)
{
	switch (err) {
	case DIMSE_OK:
		return ("ok");
	case DIMSE_ERR_SPACE:
		return ("buffer too small");
	case DIMSE_ERR_MALFORMED:
		return ("element runs past the command set");
	case DIMSE_ERR_GROUP:
		return ("element outside group 0000");
	case DIMSE_ERR_VALUE:
		return ("element has the wrong length");
	case DIMSE_ERR_TOO_LARGE:
		return ("command set too large");
	case DIMSE_ERR_SEQUENCE:
		return ("fragment on another presentation context");
	case DIMSE_ERR_DATASET:
		return ("unexpected data set");
	case DIMSE_ERR_ABSENT:
		return ("no command field");
	default:
		return ("unknown error");
	}
}
