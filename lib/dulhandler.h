/*
 * dulhandler.h: the helper library for dulserverd handler programs,
 * handler protocol version 1 (doc/handler-protocol.md).
 *
 * A handler is started by the worker once per association.  It reads DUL
 * primitives on DUL_FD_IN (3) and writes its own on DUL_FD_OUT (4).  The
 * library does the framing with the same codec the worker uses, and adds
 * what most handlers need above the DUL: DIMSE message assembly, command
 * set helpers, and a Part-10 writer that acknowledges nothing before it
 * is on disk.  I/O on the pipes is blocking: the worker does the flow
 * control and keeps every deadline, so a handler can be a plain loop.
 *
 * Every function reports errors through its return value (0 or a
 * positive result on success, a negative DH_ERR_* on failure); nothing in
 * the library exits, logs on its own, or changes signal dispositions.
 */
#ifndef DULHANDLER_H
#define DULHANDLER_H

#include <stddef.h>
#include <stdint.h>

#define DH_PROTOCOL		1	/* handler protocol version spoken */
#define DH_UID_MAX		64	/* PS3.5 9.1 */
#define DH_AE_MAX		16	/* PS3.5 AE value representation */
#define DH_VERSION_NAME_MAX	16	/* implementation version name */
#define DH_NAME_MAX		64	/* addresses, association ids */
#define DH_TEXT_MAX		1024	/* texts of ERROR and P_ABORT_IND */
#define DH_COMMAND_MAX		65536	/* default cap on one command set */
#define DH_RSP_MAX		512	/* room for any response built here */

/* The project's implementation class UID, written into file meta. */
#define DH_IMPL_CLASS_UID	"2.25.37702220845173676206920092856050917640.1"

/* Return codes. */
#define DH_OK			  0
#define DH_ERR_SYS		 -1	/* a system call failed: see errno */
#define DH_ERR_NOMEM		 -2	/* out of memory */
#define DH_ERR_EOF		 -3	/* the worker closed the pipe */
#define DH_ERR_PROTOCOL		 -4	/* the worker sent an invalid frame */
#define DH_ERR_VERSION		 -5	/* no common protocol version */
#define DH_ERR_STATE		 -6	/* not allowed at this point */
#define DH_ERR_INVAL		 -7	/* invalid argument */
#define DH_ERR_TOO_LARGE	 -8	/* over a size limit */
#define DH_ERR_MALFORMED	 -9	/* malformed DIMSE command set */
#define DH_ERR_ABSENT		-10	/* element not in the command set */
#define DH_ERR_SEQUENCE		-11	/* PDV fragments out of order */
#define DH_ERR_EXISTS		-12	/* the file name is taken */
#define DH_ERR_NAME		-13	/* not a safe path component */

/* Feature bits a handler may ask for in dh_open(). */
#define DH_F_SHUTDOWN_NOTICE	0x00000001u	/* DH_EV_SHUTDOWN_NOTICE */

/* Presentation context results (PS3.8 Table 9-18). */
#define DH_PC_ACCEPT		0
#define DH_PC_USER_REJECT	1
#define DH_PC_NO_REASON		2
#define DH_PC_ABSTRACT_REJECT	3
#define DH_PC_TS_REJECT		4

/* A-ASSOCIATE-RJ results and service-user reasons (PS3.8 Table 9-21). */
#define DH_RJ_PERMANENT		1
#define DH_RJ_TRANSIENT		2
#define DH_RJ_NO_REASON		1
#define DH_RJ_APP_CONTEXT	2
#define DH_RJ_CALLING_AE	3
#define DH_RJ_CALLED_AE		7

/* Levels of dh_log(). */
#define DH_LOG_ERROR		0
#define DH_LOG_WARNING		1
#define DH_LOG_INFO		2
#define DH_LOG_DEBUG		3

struct dh_conn;

/* One proposed presentation context, with the policy and final answers. */
struct dh_pctx {
	uint8_t		 id;
	char		 abstract[DH_UID_MAX + 1];
	size_t		 nts;
	char		(*ts)[DH_UID_MAX + 1];	/* proposed, peer order */
	int		 has_roles;		/* a role item was sent */
	uint8_t		 scu, scp;		/* proposed roles */
	uint8_t		 policy_result;		/* DH_PC_*, from config */
	char		 policy_ts[DH_UID_MAX + 1];	/* if accepted */
	uint8_t		 result;		/* final, once answered */
	char		 accepted_ts[DH_UID_MAX + 1];	/* if accepted */
};

/* User identity negotiation (PS3.7 D.3.3.7), never to be logged. */
struct dh_user_identity {
	uint8_t		 type;
	uint8_t		 response_requested;
	uint8_t		*primary;
	size_t		 primary_len;
	uint8_t		*secondary;		/* NULL if absent */
	size_t		 secondary_len;
};

/* The A-ASSOCIATE indication; strings are NUL-terminated copies. */
struct dh_assoc {
	char		 app_context[DH_UID_MAX + 1];
	char		 calling_ae[DH_AE_MAX + 1];	/* trimmed */
	char		 called_ae[DH_AE_MAX + 1];
	char		 peer_addr[DH_NAME_MAX + 1];
	uint16_t	 peer_port;
	char		 local_addr[DH_NAME_MAX + 1];
	uint16_t	 local_port;
	char		 assoc_id[DH_NAME_MAX + 1];
	uint32_t	 peer_max_pdu;			/* 0: unlimited */
	char		 peer_impl_uid[DH_UID_MAX + 1];
	char		 peer_impl_version[DH_VERSION_NAME_MAX + 1];
	uint32_t	 our_max_pdu;
	char		 our_impl_uid[DH_UID_MAX + 1];
	char		 our_impl_version[DH_VERSION_NAME_MAX + 1];
	size_t		 npctx;
	struct dh_pctx	*pctx;
	int		 has_user_identity;
	struct dh_user_identity ui;
	int		 decided;	/* the worker already sent the AC */
};

/* The handler's answer for one context in dh_accept(). */
struct dh_pc_choice {
	uint8_t		 id;
	uint8_t		 result;		/* DH_PC_* */
	const char	*ts;			/* one proposed, if accepted */
};

/* One PDV item (PS3.8 9.3.5.1); data points into the library's buffer. */
struct dh_pdv {
	uint8_t		 pcid;
	int		 is_command;
	int		 is_last;
	const uint8_t	*data;
	size_t		 len;
};

enum dh_event_type {
	DH_EV_PDATA = 1,		/* P-DATA indication */
	DH_EV_RELEASE_IND,		/* answer with dh_release_respond() */
	DH_EV_RELEASE_CNF,		/* our release was confirmed */
	DH_EV_ABORT,			/* the peer sent A-ABORT */
	DH_EV_P_ABORT,			/* the provider aborted */
	DH_EV_SHUTDOWN_NOTICE,		/* the server is draining */
	DH_EV_ERROR,			/* the worker gave up on us */
	DH_EV_EOF			/* the association is over */
};

/* What dh_next() returns; pdv is valid until the next call. */
struct dh_event {
	enum dh_event_type	 type;
	size_t			 npdv;
	const struct dh_pdv	*pdv;
	int			 collision;	/* RELEASE_CNF */
	int			 source;	/* ABORT */
	int			 reason;	/* ABORT, P_ABORT */
	int			 cause;		/* P_ABORT local cause */
	int			 code;		/* ERROR */
	uint32_t		 seconds;	/* SHUTDOWN_NOTICE */
	char			 text[DH_TEXT_MAX + 1];
};

const char	*dh_strerror(int);

/* Session and association (dh_conn.c). */
struct dh_conn	*dh_open(const char *, uint32_t, int *);
struct dh_conn	*dh_open_fds(int, int, const char *, uint32_t, int *);
void		 dh_close(struct dh_conn *);
const char	*dh_assoc_id(const struct dh_conn *);
uint32_t	 dh_max_send(const struct dh_conn *);
int		 dh_wait_assoc(struct dh_conn *, const struct dh_assoc **);
int		 dh_accept_as_proposed(struct dh_conn *);
int		 dh_accept(struct dh_conn *, const struct dh_pc_choice *,
		    size_t);
int		 dh_reject(struct dh_conn *, int, int);
const struct dh_pctx *dh_pctx_find(const struct dh_conn *, uint8_t);
int		 dh_next(struct dh_conn *, struct dh_event *);
int		 dh_send_pdv(struct dh_conn *, uint8_t, int, int,
		    const void *, size_t);
int		 dh_release_request(struct dh_conn *);
int		 dh_release_respond(struct dh_conn *);
int		 dh_abort(struct dh_conn *);
int		 dh_send_error(struct dh_conn *, uint16_t, const char *);
void		 dh_log(struct dh_conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* DIMSE message assembly over PDV fragments (dh_asm.c). */
#define DH_ASM_MORE		0	/* feed more fragments */
#define DH_ASM_COMMAND		1	/* command complete, data set follows */
#define DH_ASM_DONE		2	/* message complete */

struct dh_asm;

/* A message being assembled; command is valid until the next message. */
struct dh_msg {
	uint8_t		 pcid;
	const uint8_t	*command;
	size_t		 command_len;
	int		 has_data;	/* the command announced a data set */
	uint64_t	 data_len;	/* data set bytes seen so far */
	int		 data_error;	/* first sink failure (DH_ERR_*) */
	int		 data_errno;	/* its errno, for DH_ERR_SYS */
};

typedef int	(*dh_sink_fn)(void *, const void *, size_t);

struct dh_asm	*dh_asm_new(size_t);
void		 dh_asm_free(struct dh_asm *);
void		 dh_asm_sink(struct dh_asm *, dh_sink_fn, void *);
void		 dh_asm_sink_fd(struct dh_asm *, int);
int		 dh_asm_feed(struct dh_asm *, const struct dh_pdv *,
		    struct dh_msg *);

/* Command sets: group 0000 in implicit VR little endian (dh_cmd.c). */
#define DH_C_STORE_RQ		0x0001
#define DH_C_STORE_RSP		0x8001
#define DH_C_ECHO_RQ		0x0030
#define DH_C_ECHO_RSP		0x8030
#define DH_CMD_RSP_BIT		0x8000
#define DH_NO_DATA_SET		0x0101	/* Command Data Set Type: none */

/* DIMSE statuses used by the shipped handlers (PS3.7 Annex C, PS3.4). */
#define DH_ST_SUCCESS		0x0000
#define DH_ST_INVALID_INSTANCE	0x0117	/* UID breaks the UID rules */
#define DH_ST_CLASS_UNSUPPORTED	0x0122
#define DH_ST_UNRECOGNIZED_OP	0x0211
#define DH_ST_OUT_OF_RESOURCES	0xa700
#define DH_ST_CANNOT_UNDERSTAND	0xc000
#define DH_ST_DUPLICATE		0xc001	/* ours: duplicate refused */

/* The fields of a command set that the shipped handlers use. */
struct dh_cmd {
	uint16_t	 command_field;
	int		 has_msg_id;
	uint16_t	 msg_id;		/* request: (0000,0110) */
	int		 has_msg_id_rsp;
	uint16_t	 msg_id_rsp;		/* response: (0000,0120) */
	int		 has_data_set_type;
	uint16_t	 data_set_type;
	uint16_t	 status;		/* response: (0000,0900) */
	int		 has_status;
	int		 sop_class_st;		/* DH_UI_* */
	char		 sop_class[DH_UID_MAX + 1];
	int		 sop_instance_st;
	char		 sop_instance[DH_UID_MAX + 1];
};

#define DH_UI_ABSENT	0	/* no such element */
#define DH_UI_OK	1	/* a string of at most 64 bytes, no NUL */
#define DH_UI_BAD	-1	/* present but not usable as a string */

/* A response to build; NULL strings are left out. */
struct dh_rsp {
	uint16_t	 command_field;
	uint16_t	 msg_id;
	uint16_t	 status;
	const char	*sop_class;
	const char	*sop_instance;
	const char	*comment;		/* Error Comment, <= 64 bytes */
};

int	 dh_cmd_check(const uint8_t *, size_t);
int	 dh_cmd_find(const uint8_t *, size_t, uint16_t, const uint8_t **,
	    size_t *);
int	 dh_cmd_get_us(const uint8_t *, size_t, uint16_t, uint16_t *);
int	 dh_cmd_get_ul(const uint8_t *, size_t, uint16_t, uint32_t *);
int	 dh_cmd_get_ui(const uint8_t *, size_t, uint16_t,
	    char [DH_UID_MAX + 1]);
int	 dh_cmd_parse(const uint8_t *, size_t, struct dh_cmd *);
size_t	 dh_cmd_rsp(uint8_t *, size_t, const struct dh_rsp *);
size_t	 dh_cmd_echo_rsp(uint8_t *, size_t, const char *, uint16_t,
	    uint16_t);
size_t	 dh_cmd_store_rsp(uint8_t *, size_t, const char *, const char *,
	    uint16_t, uint16_t, const char *);

/* Safe names (dh_path.c). */
#define DH_MKDIR_NOFSYNC	0x01	/* do not fsync new directories */

int	 dh_uid_valid(const char *);
int	 dh_path_component_ok(const char *);
int	 dh_ae_dirname(const char *, char *, size_t);
int	 dh_open_root(const char *, int *);
int	 dh_opendirs(int, const char *const *, size_t, int, int *);

/* The Part-10 writer (dh_p10.c). */
#define DH_P10_NOFSYNC		0x01	/* breaks the durability contract */

#define DH_DUP_REJECT		1	/* refuse: DH_ERR_EXISTS */
#define DH_DUP_OVERWRITE	2	/* replace atomically */
#define DH_DUP_KEEP		3	/* keep the existing file */
#define DH_DUP_KEEP_BOTH	4	/* store under a numbered name */

#define DH_P10_KEPT		1	/* dh_p10_commit: existing file kept */

/* Temporary files: prefix, 16 hex digits, suffix (dh_p10_sweep()). */
#define DH_P10_TMP_PREFIX	".dul-"
#define DH_P10_TMP_SUFFIX	".part"

/* File meta values; never taken from the data set. */
struct dh_p10_meta {
	const char	*sop_class;	/* Affected SOP Class UID */
	const char	*sop_instance;	/* Affected SOP Instance UID */
	const char	*transfer_syntax;	/* accepted for the context */
	const char	*source_ae;	/* calling AE; NULL to leave out */
	const char	*impl_uid;	/* NULL: DH_IMPL_CLASS_UID */
	const char	*impl_version;	/* NULL: the project's */
};

struct dh_p10;

struct dh_p10	*dh_p10_begin(int, const struct dh_p10_meta *, int, int *);
struct dh_p10	*dh_p10_begin_at(int, int, const struct dh_p10_meta *, int,
		    int *);
int		 dh_p10_write(struct dh_p10 *, const void *, size_t);
int		 dh_p10_sink(void *, const void *, size_t);
int		 dh_p10_commit(struct dh_p10 *, const char *, const char *,
		    int, char *, size_t);
void		 dh_p10_abort(struct dh_p10 *);
int		 dh_p10_errno(const struct dh_p10 *);
size_t		 dh_p10_meta_encode(uint8_t *, size_t,
		    const struct dh_p10_meta *);
int		 dh_p10_sweep(int, unsigned int, size_t, size_t *);

#endif /* DULHANDLER_H */
