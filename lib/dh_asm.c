/*
 * dh_asm.c: DIMSE message assembly over PDV fragments (PS3.7 9.3, PS3.8
 * Annex E).  A message is a command set, sent as command fragments, then
 * the data set the command announces, sent as data fragments; the last
 * fragment of each carries the "last" bit, and fragments of one message
 * stay on one presentation context.  The command is gathered in memory up
 * to a cap.  The data set is passed on as it arrives, to a callback or a
 * file descriptor, and is never held whole, whatever its size.
 */

#include "compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dulhandler.h"

#define ASM_CMD_START	256	/* first command buffer size */

enum asm_state {
	ASM_IDLE = 0,		/* between messages */
	ASM_COMMAND,		/* gathering command fragments */
	ASM_DATA,		/* passing data fragments on */
	ASM_SKIP		/* dropping the data of a refused command */
};

struct dh_asm {
	enum asm_state	 state;
	size_t		 max_command;
	uint8_t		*cmd;
	size_t		 cmd_len;
	size_t		 cmd_cap;
	uint8_t		 pcid;
	int		 has_data;
	uint64_t	 data_len;
	dh_sink_fn	 fn;
	void		*arg;
	int		 fd;
	int		 data_error;
	int		 data_errno;
};

static int	asm_append(struct dh_asm *, const uint8_t *, size_t);
static void	asm_fill(const struct dh_asm *, struct dh_msg *);
static int	asm_start(struct dh_asm *, const struct dh_pdv *);
static int	asm_command(struct dh_asm *, const struct dh_pdv *);
static int	asm_data(struct dh_asm *, const struct dh_pdv *);
static int	asm_write_fd(int, const void *, size_t);

/* Create an assembler whose command sets may be up to max_command bytes. */
struct dh_asm *
dh_asm_new(size_t max_command)
{
	struct dh_asm	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (NULL);
	a->max_command = max_command == 0 ? DH_COMMAND_MAX : max_command;
	a->fd = -1;
	return (a);
}

/* Free an assembler. */
void
dh_asm_free(struct dh_asm *a)
{
	if (a == NULL)
		return;
	free(a->cmd);
	free(a);
}

/* Send the current message's data set to fn(arg, p, n); NULL drops it. */
void
dh_asm_sink(struct dh_asm *a, dh_sink_fn fn, void *arg)
{
	a->fn = fn;
	a->arg = arg;
	a->fd = -1;
}

/* Send the current message's data set to a file descriptor. */
void
dh_asm_sink_fd(struct dh_asm *a, int fd)
{
	a->fn = NULL;
	a->arg = NULL;
	a->fd = fd;
}

/* Write all of p to fd, retrying short writes and interruptions. */
static int
asm_write_fd(int fd, const void *p, size_t n)
{
	const uint8_t	*q = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, q, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (DH_ERR_SYS);
		}
		q += w;
		n -= (size_t)w;
	}
	return (DH_OK);
}

/* Add a command fragment to the buffer, growing it up to the cap. */
static int
asm_append(struct dh_asm *a, const uint8_t *p, size_t n)
{
	uint8_t	*nb;
	size_t	 ncap;

	if (n > a->max_command - a->cmd_len)
		return (DH_ERR_TOO_LARGE);
	if (a->cmd_len + n > a->cmd_cap) {
		ncap = a->cmd_cap == 0 ? ASM_CMD_START : a->cmd_cap;
		while (ncap < a->cmd_len + n)
			ncap *= 2;
		if (ncap > a->max_command)
			ncap = a->max_command;
		if ((nb = realloc(a->cmd, ncap)) == NULL)
			return (DH_ERR_NOMEM);
		a->cmd = nb;
		a->cmd_cap = ncap;
	}
	if (n > 0)
		memcpy(a->cmd + a->cmd_len, p, n);
	a->cmd_len += n;
	return (DH_OK);
}

/* Describe the message in progress to the caller. */
static void
asm_fill(const struct dh_asm *a, struct dh_msg *m)
{
	m->pcid = a->pcid;
	m->command = a->cmd;
	m->command_len = a->cmd_len;
	m->has_data = a->has_data;
	m->data_len = a->data_len;
	m->data_error = a->data_error;
	m->data_errno = a->data_errno;
}

/* Begin a new message with its first command fragment. */
static int
asm_start(struct dh_asm *a, const struct dh_pdv *pdv)
{
	a->state = ASM_COMMAND;
	a->pcid = pdv->pcid;
	a->cmd_len = 0;
	a->has_data = 0;
	a->data_len = 0;
	a->data_error = 0;
	a->data_errno = 0;
	dh_asm_sink(a, NULL, NULL);
	return (asm_command(a, pdv));
}

/*
 * Take a command fragment.  On the last one the Command Data Set Type
 * says whether a data set follows; a command that cannot say is refused,
 * and whatever data follows it is dropped.
 */
static int
asm_command(struct dh_asm *a, const struct dh_pdv *pdv)
{
	uint16_t	 type;
	int		 rc;

	if ((rc = asm_append(a, pdv->data, pdv->len)) != DH_OK) {
		a->state = ASM_IDLE;
		return (rc);
	}
	if (!pdv->is_last)
		return (DH_ASM_MORE);
	if (dh_cmd_check(a->cmd, a->cmd_len) != DH_OK ||
	    dh_cmd_get_us(a->cmd, a->cmd_len, 0x0800, &type) != DH_OK) {
		a->state = ASM_SKIP;
		return (DH_ERR_MALFORMED);
	}
	if (type == DH_NO_DATA_SET) {
		a->state = ASM_IDLE;
		return (DH_ASM_DONE);
	}
	a->has_data = 1;
	a->state = ASM_DATA;
	return (DH_ASM_COMMAND);
}

/* Pass a data fragment on; remember the first failure and keep going. */
static int
asm_data(struct dh_asm *a, const struct dh_pdv *pdv)
{
	int	 rc = DH_OK;

	a->data_len += pdv->len;
	if (a->state == ASM_DATA && a->data_error == 0 && pdv->len > 0) {
		if (a->fn != NULL)
			rc = a->fn(a->arg, pdv->data, pdv->len);
		else if (a->fd != -1)
			rc = asm_write_fd(a->fd, pdv->data, pdv->len);
		if (rc < 0) {
			a->data_error = rc;
			a->data_errno = (rc == DH_ERR_SYS) ? errno : 0;
		}
	}
	if (!pdv->is_last)
		return (DH_ASM_MORE);
	rc = (a->state == ASM_DATA) ? DH_ASM_DONE : DH_ASM_MORE;
	a->state = ASM_IDLE;
	dh_asm_sink(a, NULL, NULL);
	return (rc);
}

/*
 * Feed one PDV.  Returns DH_ASM_MORE, DH_ASM_COMMAND when the command is
 * complete and its data set follows (set a sink now), DH_ASM_DONE when
 * the message is complete, or an error: DH_ERR_SEQUENCE for fragments out
 * of order or on another context (PS3.7 9.3 leaves no way to recover:
 * abort), DH_ERR_TOO_LARGE for a command over the cap, DH_ERR_MALFORMED
 * for a command set without a readable Command Data Set Type.  *m is
 * filled in every case but a sequence error.
 */
int
dh_asm_feed(struct dh_asm *a, const struct dh_pdv *pdv, struct dh_msg *m)
{
	int	 rc;

	memset(m, 0, sizeof(*m));
	switch (a->state) {
	case ASM_IDLE:
		if (!pdv->is_command)
			return (DH_ERR_SEQUENCE);
		rc = asm_start(a, pdv);
		break;
	case ASM_COMMAND:
		if (!pdv->is_command || pdv->pcid != a->pcid) {
			a->state = ASM_IDLE;
			return (DH_ERR_SEQUENCE);
		}
		rc = asm_command(a, pdv);
		break;
	case ASM_DATA:
		if (pdv->is_command || pdv->pcid != a->pcid) {
			a->state = ASM_IDLE;
			return (DH_ERR_SEQUENCE);
		}
		rc = asm_data(a, pdv);
		break;
	case ASM_SKIP:
		if (pdv->is_command) {
			rc = asm_start(a, pdv);
			break;
		}
		if (pdv->pcid != a->pcid) {
			a->state = ASM_IDLE;
			return (DH_ERR_SEQUENCE);
		}
		rc = asm_data(a, pdv);
		break;
	default:
		return (DH_ERR_STATE);
	}
	asm_fill(a, m);
	return (rc);
}
