/*
 * dimse.h: the little of DIMSE (PS3.7) that the Verification service
 * needs: C-ECHO command sets in Implicit VR Little Endian, and the
 * reassembly of a command set from its PDV fragments.  Pure, like pdu.c:
 * no I/O, no logging, no allocation.
 */
#ifndef DUL_DIMSE_H
#define DUL_DIMSE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "pdu.h"

#define DIMSE_VERIFICATION_UID	"1.2.840.10008.1.1"
#define DIMSE_IMPLICIT_LE_UID	"1.2.840.10008.1.2"
#define DIMSE_EXPLICIT_LE_UID	"1.2.840.10008.1.2.1"

/* Command Field values (PS3.7 Table E.1-1). */
#define DIMSE_C_ECHO_RQ		0x0030
#define DIMSE_C_ECHO_RSP	0x8030
/* Command Data Set Type: no data set follows (PS3.7 E.1). */
#define DIMSE_NO_DATASET	0x0101
#define DIMSE_STATUS_SUCCESS	0x0000

/* The largest command set reassembled; a C-ECHO needs about 80 bytes. */
#define DIMSE_CMD_MAX		4096

#define DIMSE_OK		 0
#define DIMSE_ERR_SPACE		-1	/* encode buffer too small */
#define DIMSE_ERR_MALFORMED	-2	/* element runs past the set */
#define DIMSE_ERR_GROUP		-3	/* element outside group 0000 */
#define DIMSE_ERR_VALUE		-4	/* wrong length for a field */
#define DIMSE_ERR_TOO_LARGE	-5	/* command over DIMSE_CMD_MAX */
#define DIMSE_ERR_SEQUENCE	-6	/* fragment on another context */
#define DIMSE_ERR_DATASET	-7	/* data set fragment: not expected */
#define DIMSE_ERR_ABSENT	-8	/* a required element is missing */

/* What a command set says, as far as Verification cares. */
struct dimse_cmd {
	uint16_t	 command;		/* (0000,0100) */
	int		 has_command;
	uint16_t	 msgid;			/* (0000,0110) */
	int		 has_msgid;
	uint16_t	 rsp_to;		/* (0000,0120) */
	int		 has_rsp_to;
	uint16_t	 dataset_type;		/* (0000,0800) */
	int		 has_dataset_type;
	uint16_t	 status;		/* (0000,0900) */
	int		 has_status;
	char		 sop_class[PDU_UID_MAX + 1];	/* (0000,0002) */
};

/* A command set being put together from PDV fragments. */
struct dimse_asm {
	uint8_t		 buf[DIMSE_CMD_MAX];
	size_t		 len;
	uint8_t		 pcid;		/* 0 until the first fragment */
};

ssize_t	 dimse_echo_rq(uint8_t *, size_t, uint16_t msgid);
ssize_t	 dimse_echo_rsp(uint8_t *, size_t, uint16_t rsp_to, uint16_t status);
ssize_t	 dimse_pdv(uint8_t *, size_t, uint8_t pcid, const uint8_t *, size_t);
int	 dimse_parse(const uint8_t *, size_t, struct dimse_cmd *);
void	 dimse_asm_reset(struct dimse_asm *);
int	 dimse_asm_add(struct dimse_asm *, const struct pdu_pdv *);
const char *dimse_strerror(int);

#endif /* DUL_DIMSE_H */
