/*
 * handler_io.c: the handler's stdout and stderr, logged line by line with
 * the association tag and escaped, and the checks on what it asks to send.
 */

#include "compat.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "handler.h"
#include "handler_int.h"
#include "hipc.h"
#include "log.h"
#include "worker.h"

static void	out_line(struct handler_out *);

/* Log one line of handler output, escaped so it cannot forge lines. */
static void
out_line(struct handler_out *o)
{
	char	 esc[HANDLER_LINE_MAX * 4 + 1];

	if (o->len == 0)
		return;
	log_vis(esc, sizeof(esc), o->line, o->len);
	log_info("handler %s: %s", o->name, esc);
	o->len = 0;
}

/* Log a LOG message's text at the level it names (unknown: debug). */
void
handler_log_text(struct handler *h, uint8_t level, const uint8_t *p,
    size_t len)
{
	char	 esc[HIPC_LOG_MAX * 4 + 1];

	(void)h;
	log_vis(esc, sizeof(esc), p, len);
	switch (level) {
	case HIPC_LOG_ERROR:
		log_errorx("handler log: %s", esc);
		break;
	case HIPC_LOG_WARNING:
		log_warnx("handler log: %s", esc);
		break;
	case HIPC_LOG_INFO:
		log_info("handler log: %s", esc);
		break;
	default:
		log_debug("handler log: %s", esc);
		break;
	}
}

/* Read what the handler wrote to stdout and stderr; log whole lines. */
void
handler_drain_output(struct handler *h)
{
	struct handler_out	*o;
	char			 buf[4096];
	ssize_t			 n, i;
	int			 k, rounds;

	for (k = 0; k < 2; k++) {
		o = &h->out[k];
		for (rounds = 0; o->fd != -1 && rounds < 16; rounds++) {
			n = read(o->fd, buf, sizeof(buf));
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno == EAGAIN)
				break;
			if (n <= 0) {
				out_line(o);
				close(o->fd);
				o->fd = -1;
				break;
			}
			for (i = 0; i < n; i++) {
				if (buf[i] == '\n') {
					out_line(o);
					continue;
				}
				if (o->len == sizeof(o->line))
					out_line(o);
				o->line[o->len++] = buf[i];
			}
		}
	}
}

/*
 * Read and drop what the handler writes on fd 4 once nothing of it counts
 * any more (doc/handler-protocol.md 2.5): the pipe stays open, so that a
 * handler still writing gets neither EPIPE nor SIGPIPE.  EOF closes it.
 */
void
handler_discard(struct handler *h)
{
	char	 buf[4096];
	ssize_t	 n;
	int	 rounds;

	for (rounds = 0; h->from_h != -1 && rounds < 16; rounds++) {
		n = read(h->from_h, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			close(h->from_h);
			h->from_h = -1;
			break;
		}
	}
}

/* Log any partial last lines. */
void
handler_flush_lines(struct handler *h)
{
	out_line(&h->out[0]);
	out_line(&h->out[1]);
}

/* Every PDV the handler asks to send must be on an accepted context. */
int
handler_pdvs_ok(const struct worker *w, const struct hipc_pdata *pd)
{
	struct hipc_pdv_iter	 it;
	struct hipc_pdv		 pdv;

	hipc_pdv_begin(&it, pd);
	while (hipc_pdv_next(&it, &pdv) == 1)
		if (!worker_pctx_accepted(w, pdv.pcid))
			return (0);
	return (1);
}
