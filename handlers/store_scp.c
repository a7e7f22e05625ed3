/*
 * store_scp.c: dul-store-scp, a Storage SCP (PS3.4 Annex B) that also
 * answers C-ECHO.  Each object streams into a temporary file (in
 * .dul-tmp below the root, where each handler sweeps away what killed
 * ones left) and is answered with success only once the file is fsynced,
 * renamed or linked into place, and its directory fsynced (the library's
 * Part-10 writer does the work).  Below the --min-free reserve, C-STOREs
 * are refused with A700.
 *
 * Nothing from the peer becomes a path unchecked: the file name is the
 * Affected SOP Instance UID only when it is a valid UID, directories come
 * from the layout (the calling AE title, mapped to a safe alphabet, and
 * the date), and every directory is opened relative to the root's
 * descriptor without following links.  Data set values are never used:
 * the object is stored bit for bit as received.
 *
 * Statuses (documented in dul-store-scp(8)): 0000 stored (or a duplicate
 * kept under --duplicates keep); 0117 invalid SOP Instance UID; 0122 SOP
 * class not that of the presentation context; 0211 not a C-STORE or
 * C-ECHO; A700 out of resources (space, I/O, size cap); C000 malformed
 * command; C001 duplicate refused under --duplicates reject.
 */

#include "compat.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dulhandler.h"

#define STORE_NAME	"dul-store-scp"
#define STORE_SUFFIX	".dcm"
#define STORE_DIRS_MAX	2
#define C_CANCEL_RQ	0x0fff
#define STORE_TMPDIR	".dul-tmp"	/* the temporary files, below the root */
#define SWEEP_AGE	60		/* seconds untouched: a dead writer's */
#define SWEEP_ENTRIES	1024		/* directory entries read per start */
#define FREE_LOG_EVERY	60		/* seconds between reserve log lines */

enum store_layout {
	LAYOUT_FLAT = 1,
	LAYOUT_CALLING,
	LAYOUT_CALLING_DATE,
	LAYOUT_DATE,
	LAYOUT_DATE_CALLING
};

static const struct {
	const char		*name;
	enum store_layout	 layout;
} store_layouts[] = {
	{ "flat", LAYOUT_FLAT },
	{ "calling", LAYOUT_CALLING },
	{ "calling/date", LAYOUT_CALLING_DATE },
	{ "date", LAYOUT_DATE },
	{ "date/calling", LAYOUT_DATE_CALLING },
};

static const struct {
	const char	*name;
	int		 policy;
} store_dups[] = {
	{ "reject", DH_DUP_REJECT },
	{ "keep", DH_DUP_KEEP },
	{ "overwrite", DH_DUP_OVERWRITE },
	{ "keep-both", DH_DUP_KEEP_BOTH },
};

struct store_opts {
	const char		*root;
	enum store_layout	 layout;
	int			 dup;
	int			 fsync;
	uint64_t		 max_size;	/* 0: no cap */
	uint64_t		 min_free;	/* bytes; 0: no reserve */
	unsigned int		 min_free_pct;	/* or percent of the size */
	int			 min_free_set;
};

/* The message being received. */
struct store_op {
	int		 fatal;		/* cannot be answered: abort */
	int		 silent;	/* needs no answer */
	uint16_t	 rsp_field;
	uint16_t	 msg_id;
	uint16_t	 status;
	char		 comment[64];
	const char	*sop_class;	/* NULL: leave out of the answer */
	const char	*sop_instance;
	struct dh_cmd	 cmd;
	struct dh_p10	*p10;
	int		 dirfd;
	char		 dir[2 * (DH_AE_MAX + 1) + 16];
	uint64_t	 size;
	char		 stored[384];	/* logged after the answer */
};

struct store {
	struct dh_conn		*c;
	const struct dh_assoc	*as;
	struct store_opts	 o;
	int			 rootfd;
	int			 tmpfd;	/* STORE_TMPDIR; -1: not open yet */
	dev_t			 tmpdev;
	time_t			 free_logged;	/* last reserve log line */
	struct dh_asm		*a;
	struct store_op		 op;
	int			 eio;	/* an I/O error: abort after the answer */
};

static void	 store_op_reset(struct store *);
static void	 store_status(struct store *, uint16_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 store_respond(struct store *, uint8_t);
static void	 store_command(struct store *, const struct dh_msg *);
static int	 store_dirs(struct store *, const char **, size_t *,
		    char [DH_AE_MAX + 1], char [16]);
static void	 store_begin(struct store *, const struct dh_msg *);
static void	 store_commit(struct store *, const struct dh_msg *);
static int	 store_sink(void *, const void *, size_t);
static int	 store_pdata(struct store *, const struct dh_event *);
static int	 store_tmpdir(struct store *, int);
static int	 store_reserve(struct store *);
static void	 store_sweep(struct store *);
static int	 parse_reserve(const char *, struct store_opts *);
static int	 store_serve(struct store *);
static int	 parse_size(const char *, uint64_t *);
static __dead void usage(void);

/* Say how to call us and exit with the usage status. */
static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s --root dir [--layout flat|calling|"
	    "calling/date|date|date/calling]\n"
	    "\t[--duplicates keep|reject|overwrite|keep-both] "
	    "[--no-fsync] [--max-object-size bytes]\n"
	    "\t[--min-free bytes|percent%%]\n", STORE_NAME);
	exit(100);
}

/* Drop whatever the current message holds: its temporary file and dir. */
static void
store_op_reset(struct store *s)
{
	if (s->op.p10 != NULL)
		dh_p10_abort(s->op.p10);
	if (s->op.dirfd != -1)
		close(s->op.dirfd);
	memset(&s->op, 0, sizeof(s->op));
	s->op.dirfd = -1;
}

/* Set the answer's status and Error Comment. */
static void
store_status(struct store *s, uint16_t status, const char *fmt, ...)
{
	va_list	 ap;

	s->op.status = status;
	va_start(ap, fmt);
	vsnprintf(s->op.comment, sizeof(s->op.comment), fmt, ap);
	va_end(ap);
}

/* Send the answer for the current message, unless it needs none. */
static int
store_respond(struct store *s, uint8_t pcid)
{
	struct dh_rsp	 r;
	uint8_t		 buf[DH_RSP_MAX];
	size_t		 len;

	if (s->op.fatal)
		return (-1);
	if (s->op.silent)
		return (0);
	memset(&r, 0, sizeof(r));
	r.command_field = s->op.rsp_field;
	r.msg_id = s->op.msg_id;
	r.status = s->op.status;
	r.sop_class = s->op.sop_class;
	r.sop_instance = s->op.sop_instance;
	if (s->op.status != DH_ST_SUCCESS && s->op.comment[0] != '\0')
		r.comment = s->op.comment;
	if ((len = dh_cmd_rsp(buf, sizeof(buf), &r)) == 0)
		return (-1);
	return (dh_send_pdv(s->c, pcid, 1, 1, buf, len) == DH_OK ? 0 : -1);
}

/*
 * Read the command of a complete command set and decide the answer as
 * far as the command alone can: which response, to which message id,
 * and a failure status if the command is already unacceptable.
 */
static void
store_command(struct store *s, const struct dh_msg *m)
{
	struct dh_cmd		*cmd = &s->op.cmd;
	const struct dh_pctx	*pc;

	if (dh_cmd_parse(m->command, m->command_len, cmd) != DH_OK) {
		s->op.fatal = 1;
		return;
	}
	if ((cmd->command_field & DH_CMD_RSP_BIT) ||
	    cmd->command_field == C_CANCEL_RQ) {
		dh_log(s->c, DH_LOG_WARNING, "ignored command 0x%04x",
		    cmd->command_field);
		s->op.silent = 1;
		return;
	}
	if (!cmd->has_msg_id) {
		s->op.fatal = 1;
		return;
	}
	s->op.rsp_field = cmd->command_field | DH_CMD_RSP_BIT;
	s->op.msg_id = cmd->msg_id;
	if (cmd->sop_class_st == DH_UI_OK)
		s->op.sop_class = cmd->sop_class;
	if (cmd->sop_instance_st == DH_UI_OK)
		s->op.sop_instance = cmd->sop_instance;
	store_status(s, DH_ST_SUCCESS, "%s", "");

	if (cmd->command_field == DH_C_ECHO_RQ && !m->has_data) {
		if (s->op.sop_class == NULL &&
		    (pc = dh_pctx_find(s->c, m->pcid)) != NULL)
			s->op.sop_class = pc->abstract;
		return;
	}
	if (cmd->command_field != DH_C_STORE_RQ) {
		store_status(s, DH_ST_UNRECOGNIZED_OP,
		    "unsupported command 0x%04x", cmd->command_field);
		return;
	}
	if (!m->has_data)
		store_status(s, DH_ST_CANNOT_UNDERSTAND,
		    "C-STORE-RQ without a data set");
	else if (cmd->sop_class_st != DH_UI_OK ||
	    !dh_uid_valid(cmd->sop_class))
		store_status(s, DH_ST_CANNOT_UNDERSTAND,
		    "invalid Affected SOP Class UID");
	else if (cmd->sop_instance_st == DH_UI_ABSENT)
		store_status(s, DH_ST_CANNOT_UNDERSTAND,
		    "no Affected SOP Instance UID");
	else if (cmd->sop_instance_st != DH_UI_OK ||
	    !dh_uid_valid(cmd->sop_instance))
		store_status(s, DH_ST_INVALID_INSTANCE,
		    "invalid Affected SOP Instance UID");
	else if ((pc = dh_pctx_find(s->c, m->pcid)) == NULL ||
	    strcmp(pc->abstract, cmd->sop_class) != 0)
		store_status(s, DH_ST_CLASS_UNSUPPORTED,
		    "SOP class differs from the presentation context's");
}

/* Name the destination directory's components under the layout. */
static int
store_dirs(struct store *s, const char **comps, size_t *n,
    char ae[DH_AE_MAX + 1], char date[16])
{
	struct tm	 tm;
	time_t		 now = time(NULL);

	if (dh_ae_dirname(s->as->calling_ae, ae, DH_AE_MAX + 1) != DH_OK)
		return (-1);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(date, 16, "%Y%m%d", &tm) == 0)
		return (-1);
	*n = 0;
	switch (s->o.layout) {
	case LAYOUT_FLAT:
		break;
	case LAYOUT_CALLING:
		comps[(*n)++] = ae;
		break;
	case LAYOUT_CALLING_DATE:
		comps[(*n)++] = ae;
		comps[(*n)++] = date;
		break;
	case LAYOUT_DATE:
		comps[(*n)++] = date;
		break;
	case LAYOUT_DATE_CALLING:
		comps[(*n)++] = date;
		comps[(*n)++] = ae;
		break;
	}
	return (0);
}

/*
 * A command announcing a data set is complete: judge it, and for an
 * acceptable C-STORE open the directory and a temporary file and point
 * the data set at it.  Anything else lets the data set be dropped.
 */
static void
store_begin(struct store *s, const struct dh_msg *m)
{
	struct dh_p10_meta	 meta;
	const struct dh_pctx	*pc;
	const char		*comps[STORE_DIRS_MAX];
	char			 ae[DH_AE_MAX + 1], date[16];
	size_t			 n, i;
	int			 rc, err;

	store_command(s, m);
	if (s->op.fatal || s->op.silent || s->op.status != DH_ST_SUCCESS)
		return;
	pc = dh_pctx_find(s->c, m->pcid);
	if (store_reserve(s) == -1)
		return;
	if (store_dirs(s, comps, &n, ae, date) == -1) {
		store_status(s, DH_ST_OUT_OF_RESOURCES,
		    "cannot name the directory");
		return;
	}
	rc = dh_opendirs(s->rootfd, comps, n,
	    s->o.fsync ? 0 : DH_MKDIR_NOFSYNC, &s->op.dirfd);
	if (rc != DH_OK) {
		store_status(s, DH_ST_OUT_OF_RESOURCES, "directory: %s",
		    dh_strerror(rc));
		dh_log(s->c, DH_LOG_ERROR, "%s", s->op.comment);
		return;
	}
	for (s->op.dir[0] = '\0', i = 0; i < n; i++) {
		strncat(s->op.dir, comps[i], sizeof(s->op.dir) -
		    strlen(s->op.dir) - 1);
		strncat(s->op.dir, "/", sizeof(s->op.dir) -
		    strlen(s->op.dir) - 1);
	}

	memset(&meta, 0, sizeof(meta));
	meta.sop_class = s->op.cmd.sop_class;
	meta.sop_instance = s->op.cmd.sop_instance;
	meta.transfer_syntax = pc->accepted_ts;
	meta.source_ae = s->as->calling_ae;
	s->op.p10 = dh_p10_begin_at(s->op.dirfd, store_tmpdir(s, s->op.dirfd),
	    &meta, s->o.fsync ? 0 : DH_P10_NOFSYNC, &err);
	if (s->op.p10 == NULL) {
		store_status(s, err == DH_ERR_INVAL ?
		    DH_ST_CANNOT_UNDERSTAND : DH_ST_OUT_OF_RESOURCES,
		    "file: %s", dh_strerror(err));
		dh_log(s->c, DH_LOG_ERROR, "%s", s->op.comment);
		return;
	}
	dh_asm_sink(s->a, store_sink, s);
}

/*
 * The directory for the temporary file of an object going to dirfd:
 * STORE_TMPDIR (created, and the root fsynced, the first time), where
 * dh_p10_sweep() finds what killed writers left; dirfd itself when that
 * cannot be had or is on another file system (a rename cannot cross).
 */
static int
store_tmpdir(struct store *s, int dirfd)
{
	struct stat	 st;
	int		 made = 0;

	if (s->tmpfd == -1) {
		if (mkdirat(s->rootfd, STORE_TMPDIR, 0750) == 0)
			made = 1;
		else if (errno != EEXIST)
			return (dirfd);
		s->tmpfd = openat(s->rootfd, STORE_TMPDIR, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s->tmpfd == -1)
			return (dirfd);
		if ((made && s->o.fsync && fsync(s->rootfd) == -1) ||
		    fstat(s->tmpfd, &st) == -1) {
			close(s->tmpfd);
			s->tmpfd = -1;
			return (dirfd);
		}
		s->tmpdev = st.st_dev;
	}
	if (fstat(dirfd, &st) == -1 || st.st_dev != s->tmpdev)
		return (dirfd);
	return (s->tmpfd);
}

/*
 * Refuse a C-STORE (A700) when the free space of the storage file system
 * is below the reserve, logging that at most once a minute.
 */
static int
store_reserve(struct store *s)
{
	struct statvfs	 sv;
	uint64_t	 avail, want;
	time_t		 now;

	if (s->o.min_free == 0 && s->o.min_free_pct == 0)
		return (0);
	if (fstatvfs(s->rootfd, &sv) == -1)
		return (0);	/* the writes will tell */
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	want = s->o.min_free_pct != 0 ? (uint64_t)sv.f_blocks * sv.f_frsize /
	    100 * s->o.min_free_pct : s->o.min_free;
	if (avail >= want)
		return (0);
	store_status(s, DH_ST_OUT_OF_RESOURCES, "free space below the "
	    "reserve");
	now = time(NULL);
	if (s->free_logged == 0 || now - s->free_logged >= FREE_LOG_EVERY) {
		s->free_logged = now;
		dh_log(s->c, DH_LOG_ERROR, "free space %llu bytes, below the "
		    "reserve of %llu: refusing objects (A700)",
		    (unsigned long long)avail, (unsigned long long)want);
	}
	return (-1);
}

/*
 * Remove the temporary files of writers that were killed, reading a
 * bounded number of entries; after the association was accepted, so
 * that a large directory never delays the A-ASSOCIATE-AC.
 */
static void
store_sweep(struct store *s)
{
	size_t	 removed;
	int	 fd;

	fd = openat(s->rootfd, STORE_TMPDIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return;
	if (dh_p10_sweep(fd, SWEEP_AGE, SWEEP_ENTRIES, &removed) == DH_OK &&
	    removed > 0)
		dh_log(s->c, DH_LOG_INFO, "removed %zu temporary files left "
		    "by killed writers", removed);
	close(fd);
}

/* Take data set bytes into the file, under the size cap. */
static int
store_sink(void *arg, const void *p, size_t n)
{
	struct store	*s = arg;

	if (s->o.max_size != 0 && n > s->o.max_size - s->op.size)
		return (DH_ERR_TOO_LARGE);
	s->op.size += n;
	return (dh_p10_write(s->op.p10, p, n));
}

/*
 * The data set is complete: commit the file (fsync, link or rename,
 * fsync of the directory) and only then settle on success.
 */
static void
store_commit(struct store *s, const struct dh_msg *m)
{
	struct dh_p10	*p = s->op.p10;
	char		 final[256];
	int		 rc;

	if (p == NULL)
		return;
	s->op.p10 = NULL;
	if (m->data_error != 0) {
		dh_p10_abort(p);
		if (m->data_error == DH_ERR_TOO_LARGE)
			store_status(s, DH_ST_OUT_OF_RESOURCES,
			    "object larger than %llu bytes",
			    (unsigned long long)s->o.max_size);
		else {
			errno = m->data_errno;
			s->eio = m->data_error == DH_ERR_SYS && errno == EIO;
			store_status(s, DH_ST_OUT_OF_RESOURCES, "write: %s",
			    m->data_error == DH_ERR_SYS ? strerror(errno) :
			    dh_strerror(m->data_error));
		}
		dh_log(s->c, DH_LOG_ERROR, "%s", s->op.comment);
		return;
	}
	rc = dh_p10_commit(p, s->op.cmd.sop_instance, STORE_SUFFIX, s->o.dup,
	    final, sizeof(final));
	if (rc == DH_OK)
		snprintf(s->op.stored, sizeof(s->op.stored), "stored %s%s "
		    "(%llu bytes)", s->op.dir, final,
		    (unsigned long long)m->data_len);
	else if (rc == DH_P10_KEPT)
		dh_log(s->c, DH_LOG_WARNING, "duplicate %s%s: kept the "
		    "stored file", s->op.dir, final);
	else if (rc == DH_ERR_EXISTS) {
		store_status(s, DH_ST_DUPLICATE, "duplicate SOP instance");
		dh_log(s->c, DH_LOG_WARNING, "duplicate %s%s%s refused",
		    s->op.dir, s->op.cmd.sop_instance, STORE_SUFFIX);
	} else {
		s->eio = rc == DH_ERR_SYS && errno == EIO;
		store_status(s, DH_ST_OUT_OF_RESOURCES, "commit: %s",
		    rc == DH_ERR_SYS ? strerror(errno) : dh_strerror(rc));
		dh_log(s->c, DH_LOG_ERROR, "%s", s->op.comment);
	}
}

/* Feed the PDVs of one P-DATA indication and answer complete messages. */
static int
store_pdata(struct store *s, const struct dh_event *ev)
{
	struct dh_msg	 m;
	size_t		 i;
	int		 rc;

	for (i = 0; i < ev->npdv; i++) {
		rc = dh_asm_feed(s->a, &ev->pdv[i], &m);
		switch (rc) {
		case DH_ASM_MORE:
			continue;
		case DH_ASM_COMMAND:
			store_begin(s, &m);
			continue;
		case DH_ASM_DONE:
			if (m.has_data)
				store_commit(s, &m);
			else
				store_command(s, &m);
			break;
		case DH_ERR_MALFORMED:
			/* No Command Data Set Type: answer if we can. */
			if (dh_cmd_parse(m.command, m.command_len,
			    &s->op.cmd) != DH_OK || !s->op.cmd.has_msg_id ||
			    (s->op.cmd.command_field & DH_CMD_RSP_BIT)) {
				s->op.fatal = 1;
				break;
			}
			s->op.rsp_field = s->op.cmd.command_field |
			    DH_CMD_RSP_BIT;
			s->op.msg_id = s->op.cmd.msg_id;
			store_status(s, DH_ST_CANNOT_UNDERSTAND,
			    "malformed command set");
			break;
		default:
			dh_log(s->c, DH_LOG_WARNING, "P-DATA: %s",
			    dh_strerror(rc));
			return (-1);
		}
		if (s->op.fatal)
			dh_log(s->c, DH_LOG_WARNING, "unusable command set "
			    "on context %u", m.pcid);
		/* The answer first: the peer need not wait for our log. */
		rc = store_respond(s, m.pcid);
		if (s->op.stored[0] != '\0')
			dh_log(s->c, DH_LOG_INFO, "%s", s->op.stored);
		store_op_reset(s);
		if (rc == -1)
			return (-1);
		/*
		 * After an I/O error what the file system holds is unknown:
		 * the object was refused (A700), and no further one is taken.
		 */
		if (s->eio) {
			dh_log(s->c, DH_LOG_ERROR, "I/O error: aborting the "
			    "association");
			return (-1);
		}
	}
	return (0);
}

/* Serve the association: accept it, then run its events to the end. */
static int
store_serve(struct store *s)
{
	struct dh_event	 ev;
	int		 rc;

	if ((rc = dh_wait_assoc(s->c, &s->as)) != DH_OK)
		return (rc == DH_ERR_EOF ? 0 : -1);
	if ((rc = dh_accept_as_proposed(s->c)) != DH_OK) {
		dh_log(s->c, DH_LOG_ERROR, "accept: %s", dh_strerror(rc));
		return (-1);
	}
	store_sweep(s);
	for (;;) {
		if ((rc = dh_next(s->c, &ev)) != DH_OK) {
			dh_log(s->c, DH_LOG_ERROR, "%s", dh_strerror(rc));
			return (-1);
		}
		switch (ev.type) {
		case DH_EV_EOF:
			return (0);
		case DH_EV_PDATA:
			if (store_pdata(s, &ev) == -1) {
				store_op_reset(s);
				rc = dh_abort(s->c);
			}
			break;
		case DH_EV_RELEASE_IND:
			rc = dh_release_respond(s->c);
			break;
		case DH_EV_ERROR:
			dh_log(s->c, DH_LOG_ERROR, "worker: %s", ev.text);
			break;
		default:
			/* Aborts end the association; EOF follows. */
			store_op_reset(s);
			break;
		}
		if (rc != DH_OK) {
			dh_log(s->c, DH_LOG_ERROR, "%s", dh_strerror(rc));
			return (-1);
		}
	}
}

/* Parse a byte count with an optional K, M or G (binary) suffix. */
static int
parse_size(const char *s, uint64_t *out)
{
	uint64_t	 v = 0, mul = 1;

	if (*s < '0' || *s > '9')
		return (-1);
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s == 'K' || *s == 'k')
		mul = 1ULL << 10;
	else if (*s == 'M' || *s == 'm')
		mul = 1ULL << 20;
	else if (*s == 'G' || *s == 'g')
		mul = 1ULL << 30;
	else if (*s != '\0')
		return (-1);
	if (*s != '\0' && s[1] != '\0')
		return (-1);
	if (v > UINT64_MAX / mul)
		return (-1);
	*out = v * mul;
	return (0);
}

/* Parse --min-free: a byte count with a suffix, or a percentage. */
static int
parse_reserve(const char *arg, struct store_opts *o)
{
	char		 num[24];
	size_t		 len = strlen(arg);
	uint64_t	 v;

	o->min_free_set = 1;
	o->min_free = 0;
	o->min_free_pct = 0;
	if (len == 0 || arg[len - 1] != '%')
		return (parse_size(arg, &o->min_free));
	if (len - 1 >= sizeof(num))
		return (-1);
	memcpy(num, arg, len - 1);
	num[len - 1] = '\0';
	if (parse_size(num, &v) == -1 || num[len - 2] < '0' ||
	    num[len - 2] > '9' || v > 99)
		return (-1);
	o->min_free_pct = (unsigned int)v;
	return (0);
}

/* Parse the command line, open the root, and serve one association. */
int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "layout", required_argument, NULL, 'l' },
		{ "duplicates", required_argument, NULL, 'd' },
		{ "fsync", no_argument, NULL, 'f' },
		{ "no-fsync", no_argument, NULL, 'F' },
		{ "max-object-size", required_argument, NULL, 'm' },
		{ "min-free", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store	 s;
	size_t		 i;
	int		 ch, err, rc;

	memset(&s, 0, sizeof(s));
	s.o.layout = LAYOUT_FLAT;
	s.o.dup = DH_DUP_KEEP;
	s.o.fsync = 1;
	s.op.dirfd = -1;
	s.tmpfd = -1;
	while ((ch = getopt_long(argc, argv, "r:l:d:m:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'r':
			s.o.root = optarg;
			break;
		case 'l':
			for (i = 0; i < nitems(store_layouts); i++)
				if (strcmp(optarg, store_layouts[i].name) == 0)
					break;
			if (i == nitems(store_layouts)) {
				fprintf(stderr, "%s: unknown layout \"%s\"\n",
				    STORE_NAME, optarg);
				usage();
			}
			s.o.layout = store_layouts[i].layout;
			break;
		case 'd':
			for (i = 0; i < nitems(store_dups); i++)
				if (strcmp(optarg, store_dups[i].name) == 0)
					break;
			if (i == nitems(store_dups)) {
				fprintf(stderr, "%s: unknown duplicates "
				    "policy \"%s\"\n", STORE_NAME, optarg);
				usage();
			}
			s.o.dup = store_dups[i].policy;
			break;
		case 'f':
			s.o.fsync = 1;
			break;
		case 'F':
			s.o.fsync = 0;
			break;
		case 'm':
			if (parse_size(optarg, &s.o.max_size) == -1) {
				fprintf(stderr, "%s: bad size \"%s\"\n",
				    STORE_NAME, optarg);
				usage();
			}
			break;
		case 'R':
			if (parse_reserve(optarg, &s.o) == -1) {
				fprintf(stderr, "%s: bad reserve \"%s\"\n",
				    STORE_NAME, optarg);
				usage();
			}
			break;
		default:
			usage();
		}
	}
	/* Room for two of the largest objects, unless told otherwise. */
	if (!s.o.min_free_set && s.o.max_size <= UINT64_MAX / 2)
		s.o.min_free = 2 * s.o.max_size;
	if (optind != argc || s.o.root == NULL)
		usage();
	/* A worker that went away must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit must give EFBIG (then A700), not kill us. */
	signal(SIGXFSZ, SIG_IGN);

	if ((rc = dh_open_root(s.o.root, &s.rootfd)) != DH_OK) {
		fprintf(stderr, "%s: --root %s: %s\n", STORE_NAME, s.o.root,
		    dh_strerror(rc));
		return (1);
	}
	if ((s.a = dh_asm_new(0)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", STORE_NAME);
		close(s.rootfd);
		return (1);
	}
	if ((s.c = dh_open(STORE_NAME, 0, &err)) == NULL) {
		fprintf(stderr, "%s: session: %s\n", STORE_NAME,
		    dh_strerror(err));
		dh_asm_free(s.a);
		close(s.rootfd);
		return (1);
	}
	if (!s.o.fsync)
		dh_log(s.c, DH_LOG_WARNING, "--no-fsync: objects are "
		    "acknowledged before they are durable");
	rc = store_serve(&s);
	store_op_reset(&s);
	dh_asm_free(s.a);
	dh_close(s.c);
	if (s.tmpfd != -1)
		close(s.tmpfd);
	close(s.rootfd);
	return (rc == 0 ? 0 : 1);
}
