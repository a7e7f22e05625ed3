/*
 * fake_dicom.c: command sets, data sets and Part-10 file meta for the
 * fake worker, written from PS3.5, PS3.7 and PS3.10 and not from the
 * library under test.
 */

#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_dicom.h"

/* Append bytes, growing the buffer. */
void
fbuf_put(struct fbuf *f, const void *p, size_t n)
{
	uint8_t	*nb;
	size_t	 ncap;

	if (f->len + n > f->cap) {
		ncap = f->cap == 0 ? 256 : f->cap;
		while (ncap < f->len + n)
			ncap *= 2;
		if ((nb = realloc(f->b, ncap)) == NULL) {
			fprintf(stderr, "fake_dicom: out of memory\n");
			abort();
		}
		f->b = nb;
		f->cap = ncap;
	}
	if (n > 0)
		memcpy(f->b + f->len, p, n);
	f->len += n;
}

/* Release a buffer. */
void
fbuf_free(struct fbuf *f)
{
	free(f->b);
	memset(f, 0, sizeof(*f));
}

/* Append a little-endian 16-bit integer. */
static void
put16(struct fbuf *f, uint16_t v)
{
	uint8_t	 b[2] = { v & 0xff, v >> 8 };

	fbuf_put(f, b, 2);
}

/* Append a little-endian 32-bit integer. */
static void
put32(struct fbuf *f, uint32_t v)
{
	uint8_t	 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
	    v >> 24 };

	fbuf_put(f, b, 4);
}

/* Append a US element of group 0000 (implicit VR little endian). */
void
fd_cmd_us(struct fbuf *f, uint16_t elem, uint16_t v)
{
	put16(f, 0x0000);
	put16(f, elem);
	put32(f, 2);
	put16(f, v);
}

/* Append a UI element of group 0000, NUL-padded to even length. */
void
fd_cmd_ui(struct fbuf *f, uint16_t elem, const char *v, size_t len)
{
	put16(f, 0x0000);
	put16(f, elem);
	put32(f, (uint32_t)(len + len % 2));
	fbuf_put(f, v, len);
	if (len % 2)
		fbuf_put(f, "", 1);
}

/* Prefix a command body with its group length (PS3.7 E.1). */
void
fd_cmd_finish(struct fbuf *out, const struct fbuf *body)
{
	put16(out, 0x0000);
	put16(out, 0x0000);
	put32(out, 4);
	put32(out, (uint32_t)body->len);
	fbuf_put(out, body->b, body->len);
}

/* Build a C-ECHO-RQ (PS3.7 9.3.5.1). */
void
fd_echo_rq(struct fbuf *out, uint16_t msg_id)
{
	struct fbuf	 b = { 0 };

	fd_cmd_ui(&b, 0x0002, FD_VERIFICATION, strlen(FD_VERIFICATION));
	fd_cmd_us(&b, 0x0100, 0x0030);
	fd_cmd_us(&b, 0x0110, msg_id);
	fd_cmd_us(&b, 0x0800, 0x0101);
	fd_cmd_finish(out, &b);
	fbuf_free(&b);
}

/* Build a C-STORE-RQ (PS3.7 9.3.1.1); the instance UID may hold NULs. */
void
fd_store_rq(struct fbuf *out, uint16_t msg_id, const char *sop_class,
    const char *inst, size_t inst_len)
{
	struct fbuf	 b = { 0 };

	fd_cmd_ui(&b, 0x0002, sop_class, strlen(sop_class));
	fd_cmd_us(&b, 0x0100, 0x0001);
	fd_cmd_us(&b, 0x0110, msg_id);
	fd_cmd_us(&b, 0x0700, 0x0000);
	fd_cmd_us(&b, 0x0800, 0x0000);
	fd_cmd_ui(&b, 0x1000, inst, inst_len);
	fd_cmd_finish(out, &b);
	fbuf_free(&b);
}

/* Append one data set element, implicit or explicit VR little endian. */
static void
ds_elem(struct fbuf *f, int explicit, uint16_t group, uint16_t elem,
    const char *vr, const void *v, size_t len, uint8_t pad)
{
	size_t	 plen = len + len % 2;

	put16(f, group);
	put16(f, elem);
	if (!explicit)
		put32(f, (uint32_t)plen);
	else if (strcmp(vr, "OW") == 0 || strcmp(vr, "OB") == 0) {
		fbuf_put(f, vr, 2);
		put16(f, 0);
		put32(f, (uint32_t)plen);
	} else {
		fbuf_put(f, vr, 2);
		put16(f, (uint16_t)plen);
	}
	fbuf_put(f, v, len);
	if (plen != len)
		fbuf_put(f, &pad, 1);
}

/* Append a US data set element. */
static void
ds_us(struct fbuf *f, int explicit, uint16_t group, uint16_t elem,
    uint16_t v)
{
	uint8_t	 b[2] = { v & 0xff, v >> 8 };

	ds_elem(f, explicit, group, elem, "US", b, 2, 0);
}

/* Append a string data set element. */
static void
ds_str(struct fbuf *f, int explicit, uint16_t group, uint16_t elem,
    const char *vr, const char *s)
{
	ds_elem(f, explicit, group, elem, vr, s, strlen(s),
	    strcmp(vr, "UI") == 0 ? 0 : ' ');
}

/*
 * Build a small but complete 16x16 12-bit monochrome image of the given
 * class and instance, in ascending tag order (PS3.5 7.1).
 */
void
fd_dataset(struct fbuf *f, int explicit, const char *sop_class,
    const char *inst)
{
	uint8_t	 px[16 * 16 * 2];
	size_t	 i;

	for (i = 0; i < sizeof(px); i++)
		px[i] = (uint8_t)(i * 13 + (i >> 5));
	ds_str(f, explicit, 0x0008, 0x0016, "UI", sop_class);
	ds_str(f, explicit, 0x0008, 0x0018, "UI", inst);
	ds_str(f, explicit, 0x0008, 0x0060, "CS", "OT");
	ds_str(f, explicit, 0x0010, 0x0010, "PN", "Fake^Patient");
	ds_str(f, explicit, 0x0010, 0x0020, "LO", "DH-0001");
	ds_str(f, explicit, 0x0020, 0x000d, "UI", FD_TEST_ROOT ".9.1");
	ds_str(f, explicit, 0x0020, 0x000e, "UI", FD_TEST_ROOT ".9.2");
	ds_us(f, explicit, 0x0028, 0x0002, 1);
	ds_str(f, explicit, 0x0028, 0x0004, "CS", "MONOCHROME2");
	ds_us(f, explicit, 0x0028, 0x0010, 16);
	ds_us(f, explicit, 0x0028, 0x0011, 16);
	ds_us(f, explicit, 0x0028, 0x0100, 16);
	ds_us(f, explicit, 0x0028, 0x0101, 12);
	ds_us(f, explicit, 0x0028, 0x0102, 11);
	ds_us(f, explicit, 0x0028, 0x0103, 0);
	ds_elem(f, explicit, 0x7fe0, 0x0010, "OW", px, sizeof(px), 0);
}

/* Copy a UI value without its NUL padding into out (80 bytes). */
static void
ui_copy(char *out, const uint8_t *v, size_t len)
{
	if (len > 79)
		len = 79;
	while (len > 0 && v[len - 1] == '\0')
		len--;
	memcpy(out, v, len);
	out[len] = '\0';
}

/*
 * Read a response command set: returns 0, or -1 if it is not a well
 * formed group 0000 with a truthful group length and the mandatory
 * fields of a response.
 */
int
fd_parse_rsp(const uint8_t *c, size_t n, struct frsp *r)
{
	size_t		 off = 0;
	uint32_t	 len;
	uint16_t	 elem, v;
	int		 seen = 0;

	memset(r, 0, sizeof(*r));
	while (off < n) {
		if (n - off < 8 || (c[off] | c[off + 1] << 8) != 0)
			return (-1);
		elem = c[off + 2] | c[off + 3] << 8;
		len = c[off + 4] | c[off + 5] << 8 | c[off + 6] << 16 |
		    (uint32_t)c[off + 7] << 24;
		off += 8;
		if (len > n - off || len % 2)
			return (-1);
		v = len >= 2 ? (uint16_t)(c[off] | c[off + 1] << 8) : 0;
		switch (elem) {
		case 0x0000:
			if (off != 8 || len != 4 || (size_t)(c[off] |
			    c[off + 1] << 8 | c[off + 2] << 16) != n - 12)
				return (-1);
			break;
		case 0x0002:
			ui_copy(r->sop_class, c + off, len);
			break;
		case 0x0100:
			r->command_field = v;
			seen |= 1;
			break;
		case 0x0120:
			r->msg_id_rsp = v;
			seen |= 2;
			break;
		case 0x0800:
			r->data_set_type = v;
			seen |= 4;
			break;
		case 0x0900:
			r->status = v;
			seen |= 8;
			break;
		case 0x0902:
			r->has_comment = 1;
			break;
		case 0x1000:
			ui_copy(r->sop_instance, c + off, len);
			break;
		}
		off += len;
	}
	return (seen == 15 ? 0 : -1);
}

/*
 * Read the file meta of a Part-10 file (PS3.10 7.1): preamble, "DICM"
 * and group 0002 in explicit VR little endian.  Returns 0 or -1.
 */
int
fd_parse_meta(const uint8_t *f, size_t n, struct fmeta *m)
{
	size_t		 off = 132, end, len, t;
	uint16_t	 elem;
	char		 vr[3] = { 0 };

	memset(m, 0, sizeof(*m));
	if (n < 144 || memcmp(f + 128, "DICM", 4) != 0 ||
	    memcmp(f + 132, "\x02\x00\x00\x00UL\x04\x00", 8) != 0)
		return (-1);
	end = 144 + (f[140] | f[141] << 8 | f[142] << 16 |
	    (size_t)f[143] << 24);
	if (end > n)
		return (-1);
	off = 144;
	while (off < end) {
		if (end - off < 8 || (f[off] | f[off + 1] << 8) != 0x0002)
			return (-1);
		elem = f[off + 2] | f[off + 3] << 8;
		memcpy(vr, f + off + 4, 2);
		if (strcmp(vr, "OB") == 0) {
			len = f[off + 8] | f[off + 9] << 8 |
			    f[off + 10] << 16 | (size_t)f[off + 11] << 24;
			off += 12;
		} else {
			len = f[off + 6] | f[off + 7] << 8;
			off += 8;
		}
		if (len > end - off)
			return (-1);
		if (elem == 0x0002)
			ui_copy(m->sop_class, f + off, len);
		else if (elem == 0x0003)
			ui_copy(m->sop_instance, f + off, len);
		else if (elem == 0x0010)
			ui_copy(m->ts, f + off, len);
		else if (elem == 0x0012)
			ui_copy(m->impl_uid, f + off, len);
		else if (elem == 0x0016 && len < sizeof(m->source_ae)) {
			memcpy(m->source_ae, f + off, len);
			for (t = len; t > 0 && m->source_ae[t - 1] == ' '; t--)
				continue;
			m->source_ae[t] = '\0';
		}
		off += len;
	}
	m->data_off = end;
	return (0);
}
