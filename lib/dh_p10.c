/*
 * dh_p10.c: the safe Part-10 writer (PS3.10 7.1).  The file meta
 * information is built from the C-STORE command and the association,
 * never from the data set; the data set follows exactly as received.
 *
 * The durability contract: bytes go to a temporary file created with
 * O_EXCL in the destination directory; commit fsyncs the file's data
 * (fdatasync: the data and what reading it back needs), renames or links
 * it into place (both atomic), and fsyncs the directory.  Only when all
 * of that succeeded does commit report success, and only then may a
 * handler answer C-STORE success.  On any failure the temporary file is
 * removed, and so is a name that commit created but could not make
 * durable, so a refused object leaves nothing behind.
 *
 * While it is written the temporary file is held under an exclusive
 * flock(2), taken right after it is created and kept until its name is
 * gone: dh_p10_sweep() (dh_sweep.c) removes only temporary files it can
 * lock, that is those whose writer died.
 *
 * While a large object streams in, writeback of each written stretch is
 * started at once (sync_file_range), so that the one fdatasync at the
 * end finds little left to write instead of the whole object.
 */

#include "compat.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dulhandler.h"
#include "fault.h"

#define P10_PREAMBLE	128
#define P10_META_MAX	512	/* preamble, DICM and the largest group */
#define P10_TMP_NAME	32	/* ".dul-" 16 hex digits ".part" */
#define P10_TMP_TRIES	16
#define P10_NAME_MAX	255
#define P10_BOTH_MAX	9999	/* numbered names tried by KEEP_BOTH */
#define P10_FILE_MODE	0640
#define P10_SYNC_CHUNK	(8 << 20)	/* start writeback every 8 MiB */

/*
 * Test builds fail fsync, rename and link on demand (fault.h): the file's
 * fdatasync counts as an fsync and the no-replace rename as a link, so
 * the same faults reach the same steps on the production path.
 */
#ifdef RENAME_NOREPLACE
#define P10_RENAME_NOREPLACE	1
#endif

/* Implementation version name: an SH, at most 16 characters. */
#define P10_IMPL_VERSION	"DULSERVERD_" PACKAGE_VERSION
_Static_assert(sizeof(P10_IMPL_VERSION) - 1 <= DH_VERSION_NAME_MAX,
    "implementation version name longer than 16");

struct dh_p10 {
	int		 dirfd;		/* final name; not owned */
	int		 tmpfd;		/* temporary name; not owned */
	int		 fd;
	int		 flags;
	int		 err;		/* first errno, sticky */
	int		 renamed;	/* the temporary name is gone */
	off_t		 synced;	/* writeback started up to here */
	off_t		 written;
	char		 tmp[P10_TMP_NAME];
};

static void	 le16_put(uint8_t *, uint16_t);
static size_t	 meta_elem(uint8_t *, uint16_t, const char *, const char *,
		    size_t, char);
static int	 text_ok(const char *, size_t);
static int	 write_all(int, const void *, size_t);
static int	 p10_lock(int);
static void	 p10_writeback(struct dh_p10 *);
static int	 p10_move(struct dh_p10 *, const char *);
static void	 p10_free(struct dh_p10 *, int);
static int	 p10_place(struct dh_p10 *, const char *, const char *, int,
		    char *, size_t, int *);

/* Store a little-endian 16-bit integer. */
static void
le16_put(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

/* Put one short-form explicit VR element of group 0002, padded to even. */
static size_t
meta_elem(uint8_t *p, uint16_t elem, const char *vr, const char *v,
    size_t len, char pad)
{
	size_t	 plen = len + len % 2;

	le16_put(p, 0x0002);
	le16_put(p + 2, elem);
	p[4] = (uint8_t)vr[0];
	p[5] = (uint8_t)vr[1];
	le16_put(p + 6, (uint16_t)plen);
	memcpy(p + 8, v, len);
	if (plen != len)
		p[8 + len] = (uint8_t)pad;
	return (8 + plen);
}

/* Say whether s is 1..max characters of the default repertoire, no '\'. */
static int
text_ok(const char *s, size_t max)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max || s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return (0);
	}
	return (i > 0);
}

/*
 * Encode the preamble, "DICM" and the file meta group in explicit VR
 * little endian (PS3.10 7.1): group length, version 00\01, Media Storage
 * SOP Class and Instance UIDs, Transfer Syntax UID, Implementation Class
 * UID and Version Name, and the Source AE Title when it is a clean AE
 * value.  Returns the length, or 0 for an invalid UID or too little room.
 */
size_t
dh_p10_meta_encode(uint8_t *buf, size_t cap, const struct dh_p10_meta *m)
{
	const char	*iuid, *iver, *ae = NULL;
	uint8_t		*g;
	size_t		 off, aelen = 0;

	iuid = m->impl_uid != NULL ? m->impl_uid : DH_IMPL_CLASS_UID;
	iver = m->impl_version != NULL ? m->impl_version : P10_IMPL_VERSION;
	if (!dh_uid_valid(m->sop_class) || !dh_uid_valid(m->sop_instance) ||
	    !dh_uid_valid(m->transfer_syntax) || !dh_uid_valid(iuid) ||
	    !text_ok(iver, DH_VERSION_NAME_MAX))
		return (0);
	if (m->source_ae != NULL) {
		/* Spaces around an AE value are not significant. */
		ae = m->source_ae;
		while (*ae == ' ')
			ae++;
		aelen = strlen(ae);
		while (aelen > 0 && ae[aelen - 1] == ' ')
			aelen--;
		if (aelen == 0 || aelen > DH_AE_MAX || !text_ok(ae, aelen))
			ae = NULL;
	}
	if (cap < P10_META_MAX)
		return (0);

	memset(buf, 0, P10_PREAMBLE);
	memcpy(buf + P10_PREAMBLE, "DICM", 4);
	g = buf + P10_PREAMBLE + 4;
	off = 12;				/* group length, below */
	le16_put(g + off, 0x0002);
	le16_put(g + off + 2, 0x0001);
	memcpy(g + off + 4, "OB\0\0", 4);	/* long form, PS3.5 7.1.2 */
	g[off + 8] = 2;
	g[off + 9] = g[off + 10] = g[off + 11] = 0;
	g[off + 12] = 0x00;
	g[off + 13] = 0x01;
	off += 14;
	off += meta_elem(g + off, 0x0002, "UI", m->sop_class,
	    strlen(m->sop_class), '\0');
	off += meta_elem(g + off, 0x0003, "UI", m->sop_instance,
	    strlen(m->sop_instance), '\0');
	off += meta_elem(g + off, 0x0010, "UI", m->transfer_syntax,
	    strlen(m->transfer_syntax), '\0');
	off += meta_elem(g + off, 0x0012, "UI", iuid, strlen(iuid), '\0');
	off += meta_elem(g + off, 0x0013, "SH", iver, strlen(iver), ' ');
	if (ae != NULL)
		off += meta_elem(g + off, 0x0016, "AE", ae, aelen, ' ');

	le16_put(g, 0x0002);
	le16_put(g + 2, 0x0000);
	memcpy(g + 4, "UL", 2);
	le16_put(g + 6, 4);
	g[8] = (off - 12) & 0xff;
	g[9] = ((off - 12) >> 8) & 0xff;
	g[10] = g[11] = 0;
	return (P10_PREAMBLE + 4 + off);
}

/* Write all of p to fd, retrying short writes and interruptions. */
static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t	*q = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = fault_write(fd, q, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		q += w;
		n -= (size_t)w;
	}
	return (0);
}

/*
 * Lock a temporary file just created.  A sweep may have taken it for a
 * dead writer's between its creation and our lock and removed it: then it
 * has no name left, and ESTALE says to try another name.
 */
static int
p10_lock(int fd)
{
	struct stat	 st;

	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR)
			return (-1);
	if (fstat(fd, &st) == -1)
		return (-1);
	if (st.st_nlink == 0) {
		errno = ESTALE;
		return (-1);
	}
	return (0);
}

/*
 * Start a file in dirfd: create a temporary file with O_EXCL and write
 * the file meta information.  Returns NULL with *err set (DH_ERR_INVAL
 * for a bad UID, DH_ERR_SYS with errno for a system failure).
 */
struct dh_p10 *
dh_p10_begin(int dirfd, const struct dh_p10_meta *meta, int flags, int *err)
{
	return (dh_p10_begin_at(dirfd, dirfd, meta, flags, err));
}

/*
 * dh_p10_begin() with the temporary file in tmpfd, a directory on the
 * same file system as dirfd, where the file gets its final name.
 */
struct dh_p10 *
dh_p10_begin_at(int dirfd, int tmpfd, const struct dh_p10_meta *meta,
    int flags, int *err)
{
	struct dh_p10	*p;
	uint8_t		 hdr[P10_META_MAX];
	size_t		 len;
	int		 i, save;

	if ((len = dh_p10_meta_encode(hdr, sizeof(hdr), meta)) == 0) {
		*err = DH_ERR_INVAL;
		return (NULL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		*err = DH_ERR_NOMEM;
		return (NULL);
	}
	p->dirfd = dirfd;
	p->tmpfd = tmpfd;
	p->flags = flags;
	p->fd = -1;
	for (i = 0; i < P10_TMP_TRIES && p->fd == -1; i++) {
		snprintf(p->tmp, sizeof(p->tmp), DH_P10_TMP_PREFIX
		    "%08x%08x" DH_P10_TMP_SUFFIX, arc4random(), arc4random());
		p->fd = openat(tmpfd, p->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, P10_FILE_MODE);
		if (p->fd == -1 && errno != EEXIST)
			break;
		if (p->fd != -1 && p10_lock(p->fd) == -1) {
			save = errno;
			close(p->fd);
			p->fd = -1;
			if (save != ESTALE)
				break;
			errno = EEXIST;
		}
	}
	if (p->fd == -1) {
		save = errno;
		free(p);
		errno = save;
		*err = DH_ERR_SYS;
		return (NULL);
	}
	if (write_all(p->fd, hdr, len) == -1) {
		save = errno;
		p10_free(p, 1);
		errno = save;
		*err = DH_ERR_SYS;
		return (NULL);
	}
	p->written = (off_t)len;
	*err = DH_OK;
	return (p);
}

/*
 * Start writeback of what was written since the last call, once that is
 * P10_SYNC_CHUNK or more: the disk works while the object still streams
 * in.  Only a hint: the fdatasync in commit makes the file durable and
 * reports any writeback error.
 */
static void
p10_writeback(struct dh_p10 *p)
{
#ifdef HAVE_SYNC_FILE_RANGE
	if (p->flags & DH_P10_NOFSYNC ||
	    p->written - p->synced < P10_SYNC_CHUNK)
		return;
	(void)sync_file_range(p->fd, p->synced, p->written - p->synced,
	    SYNC_FILE_RANGE_WRITE);
	p->synced = p->written;
#else
	(void)p;
#endif
}

/* Append data set bytes; after a failure every call fails the same way. */
int
dh_p10_write(struct dh_p10 *p, const void *data, size_t n)
{
	if (p->err == 0 && write_all(p->fd, data, n) == -1)
		p->err = errno;
	if (p->err != 0) {
		errno = p->err;
		return (DH_ERR_SYS);
	}
	p->written += (off_t)n;
	p10_writeback(p);
	return (DH_OK);
}

/* The dh_asm_sink() callback form of dh_p10_write(). */
int
dh_p10_sink(void *arg, const void *data, size_t n)
{
	return (dh_p10_write(arg, data, n));
}

/* Return the errno of the first write failure, or 0. */
int
dh_p10_errno(const struct dh_p10 *p)
{
	return (p->err);
}

/* Close and free a writer, removing the temporary file if asked. */
static void
p10_free(struct dh_p10 *p, int unlink_tmp)
{
	int	 save = errno;

	if (p->fd != -1)
		close(p->fd);
	if (unlink_tmp)
		unlinkat(p->tmpfd, p->tmp, 0);
	free(p);
	errno = save;
}

/* Drop the file: close it, remove it, free the writer. */
void
dh_p10_abort(struct dh_p10 *p)
{
	if (p != NULL)
		p10_free(p, 1);
}

/*
 * Move the temporary file to name unless name exists: one atomic
 * renameat2(RENAME_NOREPLACE), or where the file system cannot do that,
 * a link (which never replaces a name either) whose temporary name
 * commit removes afterwards.  Fails with EEXIST when name is taken.
 */
static int
p10_move(struct dh_p10 *p, const char *name)
{
#ifdef P10_RENAME_NOREPLACE
	if (fault_renameat2(p->tmpfd, p->tmp, p->dirfd, name,
	    RENAME_NOREPLACE) == 0) {
		p->renamed = 1;
		return (0);
	}
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return (-1);
#endif
	return (fault_linkat(p->tmpfd, p->tmp, p->dirfd, name, 0));
}

/*
 * Give the closed temporary file its final name under the duplicate
 * policy.  *made is set when a new name now exists that we created.
 */
static int
p10_place(struct dh_p10 *p, const char *stem, const char *suffix, int dup,
    char *name, size_t cap, int *made)
{
	int	 i, n;

	*made = 0;
	n = snprintf(name, cap, "%s%s", stem, suffix);
	if (n < 0 || (size_t)n >= cap || !dh_path_component_ok(name))
		return (DH_ERR_NAME);
	if (dup == DH_DUP_OVERWRITE) {
		if (fault_renameat(p->tmpfd, p->tmp, p->dirfd, name) == -1)
			return (DH_ERR_SYS);
		p->renamed = 1;
		*made = 1;
		return (DH_OK);
	}
	/* Atomic "create if absent": an existing name is never replaced. */
	if (p10_move(p, name) == 0) {
		*made = 1;
		return (DH_OK);
	}
	if (errno != EEXIST)
		return (DH_ERR_SYS);
	if (dup == DH_DUP_REJECT)
		return (DH_ERR_EXISTS);
	if (dup == DH_DUP_KEEP)
		return (DH_P10_KEPT);
	for (i = 1; i <= P10_BOTH_MAX; i++) {
		n = snprintf(name, cap, "%s_%d%s", stem, i, suffix);
		if (n < 0 || (size_t)n >= cap || !dh_path_component_ok(name))
			return (DH_ERR_NAME);
		if (p10_move(p, name) == 0) {
			*made = 1;
			return (DH_OK);
		}
		if (errno != EEXIST)
			return (DH_ERR_SYS);
	}
	return (DH_ERR_EXISTS);
}

/*
 * Make the file durable under the name stem+suffix in its directory and
 * free the writer, whatever happens.  dup is a DH_DUP_* policy for a name
 * that is taken.  Returns DH_OK when the new file is in place and its
 * directory entry is on disk, DH_P10_KEPT when an existing file was kept
 * (DH_DUP_KEEP), or an error: DH_ERR_EXISTS (DH_DUP_REJECT), DH_ERR_NAME,
 * DH_ERR_SYS with errno.  The final name is copied to final when given.
 */
int
dh_p10_commit(struct dh_p10 *p, const char *stem, const char *suffix,
    int dup, char *final, size_t cap)
{
	char	 name[P10_NAME_MAX + 1];
	int	 rc, made = 0, save;

	if (final != NULL && cap > 0)
		final[0] = '\0';
	if (suffix == NULL)
		suffix = "";
	if (dup < DH_DUP_REJECT || dup > DH_DUP_KEEP_BOTH) {
		p10_free(p, 1);
		return (DH_ERR_INVAL);
	}
	if (p->err != 0) {
		save = p->err;
		p10_free(p, 1);
		errno = save;
		return (DH_ERR_SYS);
	}
	if (!(p->flags & DH_P10_NOFSYNC) && fault_fdatasync(p->fd) == -1)
		goto sysfail;

	/* The file stays open, and locked, while it has a temporary name. */
	rc = p10_place(p, stem, suffix, dup, name, sizeof(name), &made);
	if (rc < 0) {
		save = errno;
		p10_free(p, 1);
		errno = save;
		return (rc);
	}
	/* After a link (or none) the temporary name goes. */
	if (!p->renamed)
		unlinkat(p->tmpfd, p->tmp, 0);
	p->renamed = 1;
	save = close(p->fd);
	p->fd = -1;
	if (rc == DH_OK && (save == -1 || (!(p->flags & DH_P10_NOFSYNC) &&
	    fault_fsync(p->dirfd) == -1))) {
		save = errno;
		/* Not durable, so not stored: take back a name we made. */
		if (made && dup != DH_DUP_OVERWRITE)
			unlinkat(p->dirfd, name, 0);
		p10_free(p, 0);
		errno = save;
		return (DH_ERR_SYS);
	}
	if (final != NULL && cap > 0)
		snprintf(final, cap, "%s", name);
	p10_free(p, 0);
	return (rc);

sysfail:
	save = errno;
	p10_free(p, 1);
	errno = save;
	return (DH_ERR_SYS);
}
