/*
 * pdu_fixtures.h: PDUs written out byte by byte from the PS3.8 layouts
 * (Tables 9-11 to 9-26, Annex D; PS3.7 D.3.3).  Offsets in the comments
 * are 0-based from the first byte of the PDU, as in the digest's "Off"
 * column.  UIDs and names are spelt as character literals, so every byte
 * says what it is.
 */
#ifndef DUL_PDU_FIXTURES_H
#define DUL_PDU_FIXTURES_H

#include <stdint.h>

/* 17 bytes: the Verification SOP Class. */
#define FX_VERIFICATION \
	'1','.','2','.','8','4','0','.','1','0','0','0','8','.','1','.','1'
/* 17 bytes: Implicit VR Little Endian. */
#define FX_IMPLICIT_LE \
	'1','.','2','.','8','4','0','.','1','0','0','0','8','.','1','.','2'
/* 19 bytes: Explicit VR Little Endian. */
#define FX_EXPLICIT_LE \
	'1','.','2','.','8','4','0','.','1','0','0','0','8','.','1','.','2', \
	'.','1'
/* 21 bytes: the DICOM application context name. */
#define FX_APP_CONTEXT \
	'1','.','2','.','8','4','0','.','1','0','0','0','8','.','3','.','1', \
	'.','1','.','1'
/* 25 bytes: CT Image Storage. */
#define FX_CT_STORAGE \
	'1','.','2','.','8','4','0','.','1','0','0','0','8','.','5','.','1', \
	'.','4','.','1','.','1','.','2'
/* 27 bytes: Enhanced CT Image Storage. */
#define FX_ENH_CT_STORAGE \
	'1','.','2','.','8','4','0','.','1','0','0','0','8','.','5','.','1', \
	'.','4','.','1','.','1','.','2','.','1'
/* 27 bytes: Legacy Converted Enhanced CT Image Storage. */
#define FX_LEGACY_CT_STORAGE \
	'1','.','2','.','8','4','0','.','1','0','0','0','8','.','5','.','1', \
	'.','4','.','1','.','1','.','2','.','2'
/* 17 bytes: the Storage Service Class. */
#define FX_STORAGE_SERVICE \
	'1','.','2','.','8','4','0','.','1','0','0','0','8','.','4','.','2'
/* 30 bytes: an implementation class UID. */
#define FX_IMPL_UID \
	'1','.','2','.','8','2','6','.','0','.','1','.','3','6','8','0','0', \
	'4','3','.','9','.','7','4','3','3','.','1','.','1'
/* 11 bytes: an implementation version name. */
#define FX_IMPL_VERSION \
	'D','U','L','T','E','S','T','_','1','.','0'
/* 16 bytes: "ANY-SCP" padded with spaces. */
#define FX_CALLED_AE \
	'A','N','Y','-','S','C','P',' ',' ',' ',' ',' ',' ',' ',' ',' '
/* 16 bytes: "ECHOSCU" padded with spaces. */
#define FX_CALLING_AE \
	'E','C','H','O','S','C','U',' ',' ',' ',' ',' ',' ',' ',' ',' '
/* 32 bytes: the reserved field at offsets 42..73, sent as zero. */
#define FX_ZERO32 \
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0

/*
 * A-ASSOCIATE-RQ with every item and sub-item of the digest (PS3.8 Table
 * 9-11).  PDU-length 489 = 68 fixed + 25 (0x10) + 73 + 58 (two 0x20)
 * + 265 (0x50).  Body offsets of the items: 68, 93, 166, 224, end 489.
 */
static const uint8_t fx_assoc_rq[] = {
	0x01,			/* 0: PDU-type A-ASSOCIATE-RQ */
	0x00,			/* 1: reserved */
	0x00, 0x00, 0x01, 0xe9,	/* 2-5: PDU-length 489 */
	0x00, 0x01,		/* 6-7: protocol-version, bit 0 set */
	0x00, 0x00,		/* 8-9: reserved */
	FX_CALLED_AE,		/* 10-25: called AE title */
	FX_CALLING_AE,		/* 26-41: calling AE title */
	FX_ZERO32,		/* 42-73: reserved */
	/* 74: application context item, 4 + 21 bytes */
	0x10,			/* item-type */
	0x00,			/* reserved */
	0x00, 0x15,		/* item-length 21 */
	FX_APP_CONTEXT,
	/* 99: presentation context item, ID 1, 4 + 69 bytes */
	0x20,			/* item-type (RQ) */
	0x00,			/* reserved */
	0x00, 0x45,		/* item-length 69 = 4 + 21 + 21 + 23 */
	0x01,			/* presentation-context-ID 1 */
	0x00, 0x00, 0x00,	/* reserved */
	0x30, 0x00, 0x00, 0x11,	/* abstract syntax sub-item, length 17 */
	FX_VERIFICATION,
	0x40, 0x00, 0x00, 0x11,	/* transfer syntax sub-item, length 17 */
	FX_IMPLICIT_LE,
	0x40, 0x00, 0x00, 0x13,	/* transfer syntax sub-item, length 19 */
	FX_EXPLICIT_LE,
	/* 172: presentation context item, ID 3, 4 + 54 bytes */
	0x20,			/* item-type (RQ) */
	0x00,			/* reserved */
	0x00, 0x36,		/* item-length 54 = 4 + 29 + 21 */
	0x03,			/* presentation-context-ID 3 */
	0x00, 0x00, 0x00,	/* reserved */
	0x30, 0x00, 0x00, 0x19,	/* abstract syntax sub-item, length 25 */
	FX_CT_STORAGE,
	0x40, 0x00, 0x00, 0x11,	/* transfer syntax sub-item, length 17 */
	FX_IMPLICIT_LE,
	/* 230: user information item, 4 + 261 bytes */
	0x50,			/* item-type */
	0x00,			/* reserved */
	0x01, 0x05,		/* item-length 261 */
	/* maximum length, 8 bytes */
	0x51, 0x00,		/* sub-item type, reserved */
	0x00, 0x04,		/* item-length 4 */
	0x00, 0x00, 0x40, 0x00,	/* maximum-length-received 16384 */
	/* implementation class UID, 4 + 30 bytes */
	0x52, 0x00,		/* sub-item type, reserved */
	0x00, 0x1e,		/* item-length 30 */
	FX_IMPL_UID,
	/* asynchronous operations window, 8 bytes */
	0x53, 0x00,		/* sub-item type, reserved */
	0x00, 0x04,		/* item-length 4 */
	0x00, 0x03,		/* maximum operations invoked 3 */
	0x00, 0x02,		/* maximum operations performed 2 */
	/* SCP/SCU role selection, 4 + 29 bytes */
	0x54, 0x00,		/* sub-item type, reserved */
	0x00, 0x1d,		/* item-length 29 = 2 + 25 + 2 */
	0x00, 0x19,		/* UID-length 25 */
	FX_CT_STORAGE,		/* SOP-class-uid */
	0x01,			/* SCU-role: proposed */
	0x00,			/* SCP-role: not proposed */
	/* implementation version name, 4 + 11 bytes */
	0x55, 0x00,		/* sub-item type, reserved */
	0x00, 0x0b,		/* item-length 11 */
	FX_IMPL_VERSION,
	/* SOP class extended negotiation, 4 + 31 bytes */
	0x56, 0x00,		/* sub-item type, reserved */
	0x00, 0x1f,		/* item-length 31 = 2 + 25 + 4 */
	0x00, 0x19,		/* SOP-class-uid-length 25 */
	FX_CT_STORAGE,		/* SOP-class-uid */
	0x01, 0x01, 0x00, 0x01,	/* service-class-application-information */
	/* SOP class common extended negotiation, 4 + 106 bytes */
	0x57,			/* sub-item type */
	0x00,			/* sub-item-version 0 */
	0x00, 0x6a,		/* item-length 106 = 27 + 19 + 60 */
	0x00, 0x19,		/* SOP-class-uid-length 25 */
	FX_CT_STORAGE,		/* SOP-class-uid */
	0x00, 0x11,		/* service-class-uid-length 17 */
	FX_STORAGE_SERVICE,	/* service-class-uid */
	0x00, 0x3a,		/* related-general-sop-class-id length 58 */
	0x00, 0x1b,		/* related-general-sop-class-uid-length 27 */
	FX_ENH_CT_STORAGE,
	0x00, 0x1b,		/* related-general-sop-class-uid-length 27 */
	FX_LEGACY_CT_STORAGE,
	/* user identity negotiation (RQ), 4 + 14 bytes */
	0x58, 0x00,		/* sub-item type, reserved */
	0x00, 0x0e,		/* item-length 14 */
	0x02,			/* user-identity-type: username and passcode */
	0x01,			/* positive-response-requested: yes */
	0x00, 0x04,		/* primary-field-length 4 */
	'u', 's', 'e', 'r',	/* primary-field */
	0x00, 0x04,		/* secondary-field-length 4 */
	'p', 'a', 's', 's',	/* secondary-field */
};

/* Body offsets of the RQ items above, and where the body ends. */
#define FX_RQ_OFF_APP		68
#define FX_RQ_OFF_PCTX1		93
#define FX_RQ_OFF_PCTX3		166
#define FX_RQ_OFF_UI		224
#define FX_RQ_BODY_LEN		489

/*
 * A-ASSOCIATE-AC answering it (PS3.8 Table 9-17): context 1 accepted with
 * Implicit VR LE, context 3 rejected (abstract syntax not supported) with
 * the first proposed transfer syntax echoed.  PDU-length 298 = 68 + 25 +
 * 29 + 29 + 147.
 */
static const uint8_t fx_assoc_ac[] = {
	0x02,			/* 0: PDU-type A-ASSOCIATE-AC */
	0x00,			/* 1: reserved */
	0x00, 0x00, 0x01, 0x2a,	/* 2-5: PDU-length 298 */
	0x00, 0x01,		/* 6-7: protocol-version */
	0x00, 0x00,		/* 8-9: reserved */
	FX_CALLED_AE,		/* 10-25: reserved, echoes the RQ */
	FX_CALLING_AE,		/* 26-41: reserved, echoes the RQ */
	FX_ZERO32,		/* 42-73: reserved, echoes the RQ */
	/* 74: application context item */
	0x10, 0x00, 0x00, 0x15,	/* item-type, reserved, item-length 21 */
	FX_APP_CONTEXT,
	/* 99: presentation context item (AC), ID 1, accepted */
	0x21,			/* item-type (AC) */
	0x00,			/* reserved */
	0x00, 0x19,		/* item-length 25 = 4 + 21 */
	0x01,			/* presentation-context-ID 1 */
	0x00,			/* reserved */
	0x00,			/* result: acceptance */
	0x00,			/* reserved */
	0x40, 0x00, 0x00, 0x11,	/* transfer syntax sub-item, length 17 */
	FX_IMPLICIT_LE,
	/* 128: presentation context item (AC), ID 3, rejected */
	0x21,			/* item-type (AC) */
	0x00,			/* reserved */
	0x00, 0x19,		/* item-length 25 */
	0x03,			/* presentation-context-ID 3 */
	0x00,			/* reserved */
	0x03,			/* result: abstract-syntax-not-supported */
	0x00,			/* reserved */
	0x40, 0x00, 0x00, 0x11,	/* transfer syntax sub-item, not significant */
	FX_IMPLICIT_LE,
	/* 157: user information item, 4 + 143 bytes */
	0x50, 0x00,		/* item-type, reserved */
	0x00, 0x8f,		/* item-length 143 */
	0x51, 0x00, 0x00, 0x04,	/* maximum length sub-item, length 4 */
	0x00, 0x00, 0x80, 0x00,	/* maximum-length-received 32768 */
	0x52, 0x00, 0x00, 0x1e,	/* implementation class UID, length 30 */
	FX_IMPL_UID,
	0x53, 0x00, 0x00, 0x04,	/* asynchronous operations window, length 4 */
	0x00, 0x01,		/* invoked 1 */
	0x00, 0x01,		/* performed 1 */
	0x54, 0x00, 0x00, 0x1d,	/* role selection, length 29 */
	0x00, 0x19,		/* UID-length 25 */
	FX_CT_STORAGE,
	0x01,			/* SCU-role: accepted */
	0x00,			/* SCP-role: rejected */
	0x55, 0x00, 0x00, 0x0b,	/* implementation version name, length 11 */
	FX_IMPL_VERSION,
	0x56, 0x00, 0x00, 0x1f,	/* SOP class extended negotiation, 31 */
	0x00, 0x19,		/* SOP-class-uid-length 25 */
	FX_CT_STORAGE,
	0x01, 0x00, 0x00, 0x01,	/* service-class-application-information */
	0x59, 0x00, 0x00, 0x06,	/* user identity (AC), length 6 */
	0x00, 0x04,		/* server-response-length 4 */
	't', 'o', 'k', 'n',	/* server-response */
};

/* A-ASSOCIATE-RJ: rejected-permanent, service-user, called AE unknown. */
static const uint8_t fx_assoc_rj[] = {
	0x03,			/* 0: PDU-type A-ASSOCIATE-RJ */
	0x00,			/* 1: reserved */
	0x00, 0x00, 0x00, 0x04,	/* 2-5: PDU-length 4 */
	0x00,			/* 6: reserved */
	0x01,			/* 7: result: rejected-permanent */
	0x01,			/* 8: source: service-user */
	0x07,			/* 9: reason: called-AE-title-not-recognized */
};

/*
 * P-DATA-TF with one PDV: the last fragment of a 68-byte command on
 * context 1 (laid out as the digest's example in 5.4).  The command is a
 * C-ECHO-RQ in Implicit VR LE, but the codec does not look at it.
 */
static const uint8_t fx_pdata_one[] = {
	0x04,			/* 0: PDU-type P-DATA-TF */
	0x00,			/* 1: reserved */
	0x00, 0x00, 0x00, 0x4a,	/* 2-5: PDU-length 74 = 4 + 70 */
	0x00, 0x00, 0x00, 0x46,	/* 6-9: PDV item-length 70 = 1 + 1 + 68 */
	0x01,			/* 10: presentation-context-ID 1 */
	0x03,			/* 11: message control header: last command */
	/* 12-79: the command set, 68 bytes */
	0x00, 0x00, 0x00, 0x00,	/* (0000,0000) command group length */
	0x04, 0x00, 0x00, 0x00,	/* value length 4 */
	0x38, 0x00, 0x00, 0x00,	/* 56 */
	0x00, 0x00, 0x02, 0x00,	/* (0000,0002) affected SOP class UID */
	0x12, 0x00, 0x00, 0x00,	/* value length 18 */
	FX_VERIFICATION, 0x00,	/* the UID, NUL padded to even length */
	0x00, 0x00, 0x00, 0x01,	/* (0000,0100) command field */
	0x02, 0x00, 0x00, 0x00,	/* value length 2 */
	0x30, 0x00,		/* C-ECHO-RQ */
	0x00, 0x00, 0x10, 0x01,	/* (0000,0110) message ID */
	0x02, 0x00, 0x00, 0x00,	/* value length 2 */
	0x01, 0x00,		/* 1 */
	0x00, 0x00, 0x00, 0x08,	/* (0000,0800) command data set type */
	0x02, 0x00, 0x00, 0x00,	/* value length 2 */
	0x01, 0x01,		/* 0x0101: no data set */
};

/*
 * P-DATA-TF with two PDVs of one message: the last command fragment on
 * context 3, then a data set fragment with bits 2-7 of its message
 * control header set (never checked: PS3.8 E.2).
 */
static const uint8_t fx_pdata_two[] = {
	0x04,			/* 0: PDU-type P-DATA-TF */
	0xff,			/* 1: reserved, not tested */
	0x00, 0x00, 0x00, 0x14,	/* 2-5: PDU-length 20 = 10 + 10 */
	0x00, 0x00, 0x00, 0x06,	/* 6-9: PDV item-length 6 */
	0x03,			/* 10: presentation-context-ID 3 */
	0x03,			/* 11: last command fragment */
	0xde, 0xad, 0xbe, 0xef,	/* 12-15: fragment */
	0x00, 0x00, 0x00, 0x06,	/* 16-19: PDV item-length 6 */
	0x03,			/* 20: presentation-context-ID 3 */
	0xfc,			/* 21: 0xfc & 0x03 = data set, more follow */
	0x01, 0x02, 0x03, 0x04,	/* 22-25: fragment */
};

/* A-RELEASE-RQ (PS3.8 Table 9-24). */
static const uint8_t fx_release_rq[] = {
	0x05,			/* 0: PDU-type A-RELEASE-RQ */
	0x00,			/* 1: reserved */
	0x00, 0x00, 0x00, 0x04,	/* 2-5: PDU-length 4 */
	0x00, 0x00, 0x00, 0x00,	/* 6-9: reserved */
};

/* A-RELEASE-RP (PS3.8 Table 9-25). */
static const uint8_t fx_release_rp[] = {
	0x06,			/* 0: PDU-type A-RELEASE-RP */
	0x00,			/* 1: reserved */
	0x00, 0x00, 0x00, 0x04,	/* 2-5: PDU-length 4 */
	0x00, 0x00, 0x00, 0x00,	/* 6-9: reserved */
};

/* A-ABORT from the service provider: unexpected PDU (Table 9-26). */
static const uint8_t fx_abort[] = {
	0x07,			/* 0: PDU-type A-ABORT */
	0x00,			/* 1: reserved */
	0x00, 0x00, 0x00, 0x04,	/* 2-5: PDU-length 4 */
	0x00,			/* 6: reserved */
	0x00,			/* 7: reserved */
	0x02,			/* 8: source: service-provider */
	0x02,			/* 9: reason: unexpected-PDU */
};

#endif /* DUL_PDU_FIXTURES_H */
