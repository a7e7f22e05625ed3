/*
 * pdu_testlib.h: a tiny writer for building PDU bodies in tests, item by
 * item, so malformations can be spelt out next to the assertion that
 * needs them.  Item lengths are filled in when an item is closed.
 */
#ifndef DUL_PDU_TESTLIB_H
#define DUL_PDU_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include "pdu.h"

#define TB_MAX		(160 * 1024)
#define TB_DEPTH	8

struct tb {
	uint8_t		 buf[TB_MAX];
	size_t		 len;
	size_t		 open[TB_DEPTH];
	int		 depth;
};

struct pdu	*new_pdu(void);
struct pdu_assoc *new_assoc(void);
struct tb	*tb_new(void);
void		 tb_free(struct tb *);
void		 tb_u8(struct tb *, uint8_t);
void		 tb_u16(struct tb *, uint16_t);
void		 tb_u32(struct tb *, uint32_t);
void		 tb_bytes(struct tb *, const void *, size_t);
void		 tb_fill(struct tb *, uint8_t, size_t);
void		 tb_lstr(struct tb *, const char *);
void		 tb_open(struct tb *, uint8_t);
void		 tb_close(struct tb *);
void		 tb_item(struct tb *, uint8_t, const char *);
void		 tb_rq_fixed(struct tb *, const char *, const char *);
void		 tb_pctx(struct tb *, uint8_t, const char *, const char *);
void		 tb_rq_min(struct tb *);
void		 tb_ui_min(struct tb *);
int		 tb_decode_rq(const struct tb *, struct pdu_assoc *);
int		 tb_decode_ac(const struct tb *, struct pdu_assoc *);
int		 str_eq(const struct pdu_str *, const char *);
int		 str_eq_bytes(const struct pdu_str *, const void *, size_t);

#define UID_APP		"1.2.840.10008.3.1.1.1"
#define UID_VERIF	"1.2.840.10008.1.1"
#define UID_IMPLICIT	"1.2.840.10008.1.2"
#define UID_EXPLICIT	"1.2.840.10008.1.2.1"
#define UID_CT		"1.2.840.10008.5.1.4.1.1.2"
#define UID_IMPL	"1.2.826.0.1.3680043.9.7433.1.1"

#endif /* DUL_PDU_TESTLIB_H */
