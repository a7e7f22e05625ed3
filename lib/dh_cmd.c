/*
 * dh_cmd.c: DIMSE command sets.  A command set is group 0000 encoded in
 * implicit VR little endian whatever the transfer syntax (PS3.7 6.3.1,
 * 9.3): each element is a u16 group, a u16 element, a u32 length and the
 * value.  Commands come from the peer, so every length is checked against
 * what is left before it is used, and anything odd is refused rather than
 * guessed at (PS3.7 does not let a command set be repaired).
 */

#include "compat.h"

#include <string.h>

#include "buf.h"
#include "dulhandler.h"

#define CMD_ELEM_HDR	8	/* u16 group, u16 element, u32 length */

/* Elements of group 0000 (PS3.7 E.1). */
#define E_GROUP_LENGTH	0x0000
#define E_SOP_CLASS	0x0002
#define E_COMMAND_FIELD	0x0100
#define E_MSG_ID	0x0110
#define E_MSG_ID_RSP	0x0120
#define E_DATA_SET_TYPE	0x0800
#define E_STATUS	0x0900
#define E_ERROR_COMMENT	0x0902
#define E_SOP_INSTANCE	0x1000

#define LO_MAX		64	/* PS3.5 long string */

static uint16_t	le16(const uint8_t *);
static uint32_t	le32(const uint8_t *);
static void	put_le16(uint8_t *, uint16_t);
static void	put_le32(uint8_t *, uint32_t);
static size_t	elem_put(uint8_t *, uint16_t, const void *, size_t, uint8_t);
static int	ui_state(const uint8_t *, size_t, uint16_t, char *);

/* Load a little-endian 16-bit integer. */
static uint16_t
le16(const uint8_t *p)
{
	return ((uint16_t)(p[0] | p[1] << 8));
}

/* Load a little-endian 32-bit integer. */
static uint32_t
le32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* Store a little-endian 16-bit integer. */
static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

/* Store a little-endian 32-bit integer. */
static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

/*
 * Check that a command set is well formed: only group 0000, elements in
 * strictly ascending order (so no duplicates), even lengths that stay
 * inside the buffer, and a group length, if present, that is first and
 * tells the truth.
 */
int
dh_cmd_check(const uint8_t *cmd, size_t n)
{
	size_t		 off = 0, left, rest;
	uint32_t	 len;
	uint16_t	 elem;
	int		 first = 1;
	uint16_t	 prev = 0;

	if (cmd == NULL || n == 0)
		return (DH_ERR_MALFORMED);
	while (size_sub(n, off, &left) == BUF_OK && left > 0) {
		/* left becomes what follows this element's header. */
		if (size_sub(left, CMD_ELEM_HDR, &left) != BUF_OK)
			return (DH_ERR_MALFORMED);
		if (le16(cmd + off) != 0x0000)
			return (DH_ERR_MALFORMED);
		elem = le16(cmd + off + 2);
		len = le32(cmd + off + 4);
		/* The check is done before any addition can overflow. */
		if (len > left || len % 2 != 0)
			return (DH_ERR_MALFORMED);
		if (!first && elem <= prev)
			return (DH_ERR_MALFORMED);
		if (elem == E_GROUP_LENGTH) {
			if (!first || len != 4)
				return (DH_ERR_MALFORMED);
			if (size_sub(left, 4, &rest) != BUF_OK ||
			    le32(cmd + off + CMD_ELEM_HDR) != rest)
				return (DH_ERR_MALFORMED);
		}
		first = 0;
		prev = elem;
		off += CMD_ELEM_HDR + len;
	}
	return (DH_OK);
}

/* Find an element of a well-formed command set and point at its value. */
int
dh_cmd_find(const uint8_t *cmd, size_t n, uint16_t elem, const uint8_t **v,
    size_t *vlen)
{
	size_t		 off = 0;
	uint32_t	 len;
	int		 rc;

	if ((rc = dh_cmd_check(cmd, n)) != DH_OK)
		return (rc);
	while (off < n) {
		len = le32(cmd + off + 4);
		if (le16(cmd + off + 2) == elem) {
			*v = cmd + off + CMD_ELEM_HDR;
			*vlen = len;
			return (DH_OK);
		}
		off += CMD_ELEM_HDR + len;
	}
	return (DH_ERR_ABSENT);
}

/* Get an unsigned short (US) element. */
int
dh_cmd_get_us(const uint8_t *cmd, size_t n, uint16_t elem, uint16_t *out)
{
	const uint8_t	*v;
	size_t		 len;
	int		 rc;

	if ((rc = dh_cmd_find(cmd, n, elem, &v, &len)) != DH_OK)
		return (rc);
	if (len != 2)
		return (DH_ERR_MALFORMED);
	*out = le16(v);
	return (DH_OK);
}

/* Get an unsigned long (UL) element. */
int
dh_cmd_get_ul(const uint8_t *cmd, size_t n, uint16_t elem, uint32_t *out)
{
	const uint8_t	*v;
	size_t		 len;
	int		 rc;

	if ((rc = dh_cmd_find(cmd, n, elem, &v, &len)) != DH_OK)
		return (rc);
	if (len != 4)
		return (DH_ERR_MALFORMED);
	*out = le32(v);
	return (DH_OK);
}

/*
 * Get a UI element as a C string.  Trailing NUL padding (PS3.5 9.1) is
 * removed; a value over 64 bytes or with a NUL inside is refused, so the
 * string seen by the caller is exactly the bytes the peer sent.  Whether
 * it is a valid UID is a separate question: see dh_uid_valid().
 */
int
dh_cmd_get_ui(const uint8_t *cmd, size_t n, uint16_t elem,
    char out[DH_UID_MAX + 1])
{
	const uint8_t	*v;
	size_t		 len;
	int		 rc;

	out[0] = '\0';
	if ((rc = dh_cmd_find(cmd, n, elem, &v, &len)) != DH_OK)
		return (rc);
	while (len > 0 && v[len - 1] == '\0')
		len--;
	if (len > DH_UID_MAX)
		return (DH_ERR_TOO_LARGE);
	if (memchr(v, '\0', len) != NULL)
		return (DH_ERR_MALFORMED);
	memcpy(out, v, len);
	out[len] = '\0';
	return (DH_OK);
}

/* Read a UI element into out and say whether it is absent, usable or bad. */
static int
ui_state(const uint8_t *cmd, size_t n, uint16_t elem, char *out)
{
	switch (dh_cmd_get_ui(cmd, n, elem, out)) {
	case DH_OK:
		return (DH_UI_OK);
	case DH_ERR_ABSENT:
		return (DH_UI_ABSENT);
	default:
		out[0] = '\0';
		return (DH_UI_BAD);
	}
}

/*
 * Parse the fields the shipped handlers need.  The command must be well
 * formed and carry a Command Field; the other fields are reported as
 * found, for the caller to judge, and an element of the wrong size is an
 * error.
 */
int
dh_cmd_parse(const uint8_t *cmd, size_t n, struct dh_cmd *c)
{
	int	 rc;

	memset(c, 0, sizeof(*c));
	if ((rc = dh_cmd_check(cmd, n)) != DH_OK)
		return (rc);
	if (dh_cmd_get_us(cmd, n, E_COMMAND_FIELD, &c->command_field) !=
	    DH_OK)
		return (DH_ERR_MALFORMED);

	rc = dh_cmd_get_us(cmd, n, E_DATA_SET_TYPE, &c->data_set_type);
	if (rc != DH_OK && rc != DH_ERR_ABSENT)
		return (DH_ERR_MALFORMED);
	c->has_data_set_type = (rc == DH_OK);
	rc = dh_cmd_get_us(cmd, n, E_MSG_ID, &c->msg_id);
	if (rc != DH_OK && rc != DH_ERR_ABSENT)
		return (DH_ERR_MALFORMED);
	c->has_msg_id = (rc == DH_OK);
	rc = dh_cmd_get_us(cmd, n, E_MSG_ID_RSP, &c->msg_id_rsp);
	if (rc != DH_OK && rc != DH_ERR_ABSENT)
		return (DH_ERR_MALFORMED);
	c->has_msg_id_rsp = (rc == DH_OK);
	rc = dh_cmd_get_us(cmd, n, E_STATUS, &c->status);
	if (rc != DH_OK && rc != DH_ERR_ABSENT)
		return (DH_ERR_MALFORMED);
	c->has_status = (rc == DH_OK);

	c->sop_class_st = ui_state(cmd, n, E_SOP_CLASS, c->sop_class);
	c->sop_instance_st = ui_state(cmd, n, E_SOP_INSTANCE,
	    c->sop_instance);
	return (DH_OK);
}

/* Put one element, its value padded to even length with pad. */
static size_t
elem_put(uint8_t *p, uint16_t elem, const void *v, size_t len, uint8_t pad)
{
	size_t	 plen = len + (len % 2);

	put_le16(p, 0x0000);
	put_le16(p + 2, elem);
	put_le32(p + 4, (uint32_t)plen);
	memcpy(p + CMD_ELEM_HDR, v, len);
	if (plen != len)
		p[CMD_ELEM_HDR + len] = pad;
	return (CMD_ELEM_HDR + plen);
}

/*
 * Build a response command set with its group length, or return 0 if a
 * string is too long or buf has no room (DH_RSP_MAX always does).  The
 * Error Comment is a long string: backslashes and control characters in
 * it become '?'.
 */
size_t
dh_cmd_rsp(uint8_t *buf, size_t cap, const struct dh_rsp *r)
{
	char		 comment[LO_MAX];
	uint8_t		 us[2];
	size_t		 need, off, i, clen = 0;
	size_t		 cl = 0, il = 0;

	if (r->sop_class != NULL && (cl = strlen(r->sop_class)) > DH_UID_MAX)
		return (0);
	if (r->sop_instance != NULL &&
	    (il = strlen(r->sop_instance)) > DH_UID_MAX)
		return (0);
	if (r->comment != NULL) {
		for (clen = 0; clen < LO_MAX && r->comment[clen] != '\0';
		    clen++) {
			i = (unsigned char)r->comment[clen];
			comment[clen] = (i < 0x20 || i >= 0x7f || i == '\\') ?
			    '?' : (char)i;
		}
	}

	need = CMD_ELEM_HDR + 4 + 3 * (CMD_ELEM_HDR + 2) +
	    CMD_ELEM_HDR + 2;
	if (r->sop_class != NULL)
		need += CMD_ELEM_HDR + cl + cl % 2;
	if (r->sop_instance != NULL)
		need += CMD_ELEM_HDR + il + il % 2;
	if (r->comment != NULL)
		need += CMD_ELEM_HDR + clen + clen % 2;
	if (need > cap)
		return (0);

	/* PS3.7 E.1: ascending element order, group length first. */
	off = CMD_ELEM_HDR + 4;
	if (r->sop_class != NULL)
		off += elem_put(buf + off, E_SOP_CLASS, r->sop_class, cl, 0);
	put_le16(us, r->command_field);
	off += elem_put(buf + off, E_COMMAND_FIELD, us, 2, 0);
	put_le16(us, r->msg_id);
	off += elem_put(buf + off, E_MSG_ID_RSP, us, 2, 0);
	put_le16(us, DH_NO_DATA_SET);
	off += elem_put(buf + off, E_DATA_SET_TYPE, us, 2, 0);
	put_le16(us, r->status);
	off += elem_put(buf + off, E_STATUS, us, 2, 0);
	if (r->comment != NULL)
		off += elem_put(buf + off, E_ERROR_COMMENT, comment, clen,
		    ' ');
	if (r->sop_instance != NULL)
		off += elem_put(buf + off, E_SOP_INSTANCE, r->sop_instance,
		    il, 0);
	put_le16(buf, 0x0000);
	put_le16(buf + 2, E_GROUP_LENGTH);
	put_le32(buf + 4, 4);
	put_le32(buf + CMD_ELEM_HDR, (uint32_t)(off - CMD_ELEM_HDR - 4));
	return (off);
}

/* Build a C-ECHO-RSP (PS3.7 9.3.5.2). */
size_t
dh_cmd_echo_rsp(uint8_t *buf, size_t cap, const char *sop_class,
    uint16_t msg_id, uint16_t status)
{
	struct dh_rsp	 r;

	memset(&r, 0, sizeof(r));
	r.command_field = DH_C_ECHO_RSP;
	r.msg_id = msg_id;
	r.status = status;
	r.sop_class = sop_class;
	return (dh_cmd_rsp(buf, cap, &r));
}

/* Build a C-STORE-RSP (PS3.7 9.3.1.2), with an optional Error Comment. */
size_t
dh_cmd_store_rsp(uint8_t *buf, size_t cap, const char *sop_class,
    const char *sop_instance, uint16_t msg_id, uint16_t status,
    const char *comment)
{
	struct dh_rsp	 r;

	memset(&r, 0, sizeof(r));
	r.command_field = DH_C_STORE_RSP;
	r.msg_id = msg_id;
	r.status = status;
	r.sop_class = sop_class;
	r.sop_instance = sop_instance;
	r.comment = comment;
	return (dh_cmd_rsp(buf, cap, &r));
}
