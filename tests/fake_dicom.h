/*
 * fake_dicom.h: the little DICOM the fake worker speaks, written
 * independently of libdulhandler so that it can judge the handlers:
 * command sets to send, a reader for the ones that come back, test data
 * sets, and a reader for the file meta of stored Part-10 files.
 */
#ifndef DUL_FAKE_DICOM_H
#define DUL_FAKE_DICOM_H

#include <stddef.h>
#include <stdint.h>

#define FD_VERIFICATION	"1.2.840.10008.1.1"
#define FD_CT_STORAGE	"1.2.840.10008.5.1.4.1.1.2"
#define FD_SC_STORAGE	"1.2.840.10008.5.1.4.1.1.7"
#define FD_MR_STORAGE	"1.2.840.10008.5.1.4.1.1.4"
/* Test UIDs live under the project's root. */
#define FD_TEST_ROOT	"2.25.37702220845173676206920092856050917640.99"
#define FD_IMPLICIT_LE	"1.2.840.10008.1.2"
#define FD_EXPLICIT_LE	"1.2.840.10008.1.2.1"

/* A byte buffer that grows; tests abort on allocation failure. */
struct fbuf {
	uint8_t		*b;
	size_t		 len;
	size_t		 cap;
};

/* The fields of a response command set. */
struct frsp {
	uint16_t	 command_field;
	uint16_t	 msg_id_rsp;
	uint16_t	 data_set_type;
	uint16_t	 status;
	char		 sop_class[80];
	char		 sop_instance[80];
	int		 has_comment;
};

/* What the file meta of a stored file says. */
struct fmeta {
	char		 sop_class[80];
	char		 sop_instance[80];
	char		 ts[80];
	char		 impl_uid[80];
	char		 source_ae[32];
	size_t		 data_off;	/* where the data set starts */
};

void	 fbuf_put(struct fbuf *, const void *, size_t);
void	 fbuf_free(struct fbuf *);

void	 fd_cmd_us(struct fbuf *, uint16_t, uint16_t);
void	 fd_cmd_ui(struct fbuf *, uint16_t, const char *, size_t);
void	 fd_cmd_finish(struct fbuf *, const struct fbuf *);
void	 fd_echo_rq(struct fbuf *, uint16_t);
void	 fd_store_rq(struct fbuf *, uint16_t, const char *, const char *,
	    size_t);
void	 fd_dataset(struct fbuf *, int, const char *, const char *);
int	 fd_parse_rsp(const uint8_t *, size_t, struct frsp *);
int	 fd_parse_meta(const uint8_t *, size_t, struct fmeta *);

#endif /* DUL_FAKE_DICOM_H */
