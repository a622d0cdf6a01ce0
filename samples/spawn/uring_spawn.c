// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * uring_spawn.c - glibc's posix_spawn() family on io_uring_spawn.
 *
 * A call is one spawn chain, submitted with a single io_uring_enter():
 *
 *   CLONE [attr] -> NOP (with attributes) -> file actions -> EXEC [-> EXEC]
 *
 *   addopen(fd, ...)   CLOSE_RANGE(fd, fd), OPENAT, DUP(FROM_PREV|MOVE, fd)
 *   addclose(fd)       CLOSE_RANGE(fd, fd): not-open fds are skipped
 *   adddup2(fd, new)   DUP(fd, new): onto itself clears FD_CLOEXEC
 *   addchdir_np(path)  CHDIR(AT_FDCWD, path)
 *   addfchdir_np(fd)   CHDIR(fd, NULL)
 *   addclosefrom_np(f) CLOSE_RANGE(f, ~0U)
 *   $PATH search       one EXEC per candidate, IOSQE_IO_HARDLINK'ed
 *   errors glibc's child finds before exec'ing: a NOP injecting the errno
 *
 * The file actions come from glibc's own posix_spawn_file_actions_t, read in
 * the layout of the glibc versions in verified_glibc[] and checked at run
 * time against an object glibc itself builds. What the chain cannot
 * reproduce exactly goes to glibc, as does every call when the kernel cannot
 * run spawn chains.
 *
 * Built twice: as a library with only the io_uring_* names, and with
 * URING_SPAWN_PRELOAD as an LD_PRELOAD object that also defines
 * posix_spawn(), posix_spawnp(), pidfd_spawn() and pidfd_spawnp() and finds
 * glibc's through dlsym(RTLD_NEXT).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io_uring_spawn.h"
#include "uring_spawn.h"

/* For UAPI headers older than the flags (the running kernel decides). */
#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL		0x80U	/* bit 7 */
#endif
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN	0x100U	/* bit 8 */
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER	0x1000U	/* bit 12 */
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN	0x2000U	/* bit 13 */
#endif
#ifndef IO_URING_OP_SUPPORTED
#define IO_URING_OP_SUPPORTED		0x1U	/* bit 0 */
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open			434
#endif

#define API __attribute__((visibility("default")))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Longest chain submitted; longer ones (a huge $PATH) go to glibc. */
#define CHAIN_MAX		4096
/* Smallest ring; a longer chain gets a bigger ring. */
#define RING_MIN		32
/*
 * glibc keeps two real-time signals for itself (SIGCANCEL, SIGSETXID) and
 * never lets a thread block them: its sigprocmask() drops them from a mask.
 */
#define GLIBC_SIGCANCEL		32
#define GLIBC_SIGSETXID		33

/*
 * glibc's file-action element (struct __spawn_action, internal to glibc),
 * as the versions in verified_glibc[] lay it out: a tag, then the union of
 * the arguments. layout_check() compares it with what glibc builds.
 */
enum glibc_tag {
	GLIBC_CLOSE,
	GLIBC_DUP2,
	GLIBC_OPEN,
	GLIBC_CHDIR,
	GLIBC_FCHDIR,
	GLIBC_CLOSEFROM,
	GLIBC_TCSETPGRP,
};

struct glibc_action {
	int tag;
	union {
		struct {
			int fd;
		} close;
		struct {
			int fd;
			int newfd;
		} dup2;
		struct {
			int fd;
			char *path;
			int oflag;
			mode_t mode;
		} open;
		struct {
			char *path;
		} chdir;
		struct {
			int fd;
		} fchdir;
		struct {
			int from;
		} closefrom;
		struct {
			int fd;
		} tcsetpgrp;
	} u;
};

/*
 * The versions the selftests (selftests/userspace) were run against. Add
 * one only after spawn_diff passed on it: the element layout and the child's
 * behaviour are glibc-internal.
 */
static const char *const verified_glibc[] = { "2.36" };

/* What a chain request is, to read its completion. */
enum step_kind {
	STEP_CLONE,
	STEP_SETUP,	/* attribute NOP, file action, injected error */
	STEP_EXEC,
};

/* One call: the arguments and what planning the chain found out. */
struct call {
	const char *fn;			/* for the log: "posix_spawn", ... */
	bool search;			/* the *p variants: search $PATH */
	pid_t *pid;
	int *pidfd;			/* the pidfd_spawn variants */
	const char *file;
	const posix_spawn_file_actions_t *fa;
	const posix_spawnattr_t *attr;
	char *const *argv;
	char *const *envp;

	const char *why;		/* set: io_uring cannot do this call */
	char why_buf[64];
	struct io_uring_spawn_attr uattr;
	unsigned int nsetup;		/* SQEs for the file actions */
	unsigned int ncands;		/* EXECs of the $PATH search */
	char *cands;			/* their paths, each NUL-terminated */
	int fail_errno;			/* glibc fails before exec'ing */
	int attr_errno;			/* glibc's child fails on an attribute */
	pid_t child;			/* for the log */
};

/* A thread's ring, mapped by hand (no liburing). */
struct uring {
	int fd;
	pid_t owner;			/* the process that set it up */
	dev_t dev;			/* fd identity, in case it was closed */
	ino_t ino;
	unsigned int entries;
	unsigned int features;
	unsigned int sq_mask;
	unsigned int cq_mask;
	unsigned int *sq_head;
	unsigned int *sq_tail;
	unsigned int *sq_array;
	unsigned int *cq_head;
	unsigned int *cq_tail;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq_map;
	void *cq_map;
	size_t sq_map_len;
	size_t cq_map_len;
	size_t sqes_len;
	unsigned int gen;		/* tags user_data per chain */
	struct uring *next;		/* on the rings list */
};

/* glibc's functions, for the fallback. */
struct glibc_fns {
	int (*spawn)(pid_t *pid, const char *path,
		     const posix_spawn_file_actions_t *fa,
		     const posix_spawnattr_t *attr,
		     char *const argv[], char *const envp[]);
	int (*spawnp)(pid_t *pid, const char *file,
		      const posix_spawn_file_actions_t *fa,
		      const posix_spawnattr_t *attr,
		      char *const argv[], char *const envp[]);
	int (*pidfd_spawn)(int *pidfd, const char *path,
			   const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr,
			   char *const argv[], char *const envp[]);
	int (*pidfd_spawnp)(int *pidfd, const char *file,
			    const posix_spawn_file_actions_t *fa,
			    const posix_spawnattr_t *attr,
			    char *const argv[], char *const envp[]);
};

static pthread_once_t glibc_once = PTHREAD_ONCE_INIT;
static const char *glibc_why;		/* NULL: glibc's objects are readable */
static char glibc_why_buf[64];
static struct glibc_fns glibc;

/*
 * Whether the kernel runs spawn chains, found once per process:
 * 0 not known yet, 1 yes, -1 no (kernel_why says why).
 */
static int kernel_state;
static char kernel_why[64];

/* Every ring of the process, so a forked child can drop them all. */
static pthread_mutex_t rings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uring *rings;
static pthread_once_t rings_once = PTHREAD_ONCE_INIT;
static pthread_key_t ring_key;
static bool ring_key_ok;

static __thread char supported_why[64];

static const char *errname(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, len, "E%d", err);
	return buf;
}

static void set_why(struct call *c, const char *what, int err)
{
	char num[16];

	snprintf(c->why_buf, sizeof(c->why_buf), "%s:%s", what,
		 errname(err, num, sizeof(num)));
	c->why = c->why_buf;
}

/* ------------------------------------------------------------------ log */

/*
 * One line per call when IO_URING_SPAWN_LOG names a file, written with one
 * write() on an O_APPEND fd so that concurrent processes (make -j) do not
 * interleave. The fd is opened after the spawn: the child never sees it.
 */
static void log_line(const char *kind, const char *fn, const char *what,
		     const char *extra)
{
	const char *path = getenv("IO_URING_SPAWN_LOG");
	char line[256];
	int saved = errno;
	int fd, len;

	if (!path || !*path)
		return;
	len = snprintf(line, sizeof(line), "%s %s %s%s%s\n", kind, fn, what,
		       extra ? " " : "", extra ? extra : "");
	if (len < 0 || (size_t)len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';	/* truncated, still one line */
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd >= 0) {
		if (write(fd, line, len) < 0)
			(void)0;	/* nothing to tell a caller about */
		close(fd);
	}
	errno = saved;
}

static void log_uring(const struct call *c, int err, pid_t pid)
{
	char what[32], num[16];

	if (err)
		snprintf(what, sizeof(what), "%s",
			 errname(err, num, sizeof(num)));
	else
		snprintf(what, sizeof(what), "%d", (int)pid);
	log_line("uring", c->fn, what, NULL);
}

/* -------------------------------------------------------------- glibc */

static bool glibc_verified(const char *version)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verified_glibc); i++)
		if (!strcmp(version, verified_glibc[i]))
			return true;
	return false;
}

static bool action_is(const struct glibc_action *a, int tag, int fd,
		      int arg, const char *path)
{
	if (a->tag != tag)
		return false;
	switch (tag) {
	case GLIBC_DUP2:
		return a->u.dup2.fd == fd && a->u.dup2.newfd == arg;
	case GLIBC_OPEN:
		return a->u.open.fd == fd && a->u.open.oflag == arg &&
		       a->u.open.mode == 0640 && a->u.open.path &&
		       !strcmp(a->u.open.path, path);
	case GLIBC_CHDIR:
		return a->u.chdir.path && !strcmp(a->u.chdir.path, path);
	default:
		/* close, fchdir, closefrom, tcsetpgrp: one int first */
		return a->u.close.fd == fd;
	}
}

/*
 * Build one action of each kind with glibc's own functions and check that
 * the element layout above reads them back: a wrong guess about glibc's
 * internals must end in the glibc path, never in a wrong child.
 */
static const char *layout_check(void)
{
	const int oflag = O_WRONLY | O_APPEND | O_CREAT;
	posix_spawn_file_actions_t fa;
	const struct glibc_action *a;
	const char *why = "glibc-layout-mismatch";

	if (posix_spawn_file_actions_init(&fa))
		return "glibc-layout-check:ENOMEM";
	if (posix_spawn_file_actions_addclose(&fa, 3) ||
	    posix_spawn_file_actions_adddup2(&fa, 4, 5) ||
	    posix_spawn_file_actions_addopen(&fa, 6, "o", oflag, 0640) ||
	    posix_spawn_file_actions_addchdir_np(&fa, "c") ||
	    posix_spawn_file_actions_addfchdir_np(&fa, 7) ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, 8) ||
	    posix_spawn_file_actions_addtcsetpgrp_np(&fa, 2))
		goto out;
	a = (const struct glibc_action *)fa.__actions;
	if (fa.__used == 7 && a &&
	    action_is(&a[0], GLIBC_CLOSE, 3, 0, NULL) &&
	    action_is(&a[1], GLIBC_DUP2, 4, 5, NULL) &&
	    action_is(&a[2], GLIBC_OPEN, 6, oflag, "o") &&
	    action_is(&a[3], GLIBC_CHDIR, 0, 0, "c") &&
	    action_is(&a[4], GLIBC_FCHDIR, 7, 0, NULL) &&
	    action_is(&a[5], GLIBC_CLOSEFROM, 8, 0, NULL) &&
	    action_is(&a[6], GLIBC_TCSETPGRP, 2, 0, NULL))
		why = NULL;
out:
	posix_spawn_file_actions_destroy(&fa);
	return why;
}

static void glibc_resolve(void)
{
#ifdef URING_SPAWN_PRELOAD
	/* This object defines the plain names: glibc's are the next ones. */
	glibc.spawn = dlsym(RTLD_NEXT, "posix_spawn");
	glibc.spawnp = dlsym(RTLD_NEXT, "posix_spawnp");
	glibc.pidfd_spawn = dlsym(RTLD_NEXT, "pidfd_spawn");
	glibc.pidfd_spawnp = dlsym(RTLD_NEXT, "pidfd_spawnp");
#else
	glibc.spawn = posix_spawn;
	glibc.spawnp = posix_spawnp;
	/* glibc 2.39 and later have them; look them up to build on 2.36. */
	glibc.pidfd_spawn = dlsym(RTLD_DEFAULT, "pidfd_spawn");
	glibc.pidfd_spawnp = dlsym(RTLD_DEFAULT, "pidfd_spawnp");
#endif
}

static void glibc_init(void)
{
	const char *version = gnu_get_libc_version();

	glibc_resolve();
	if (!glibc_verified(version)) {
		snprintf(glibc_why_buf, sizeof(glibc_why_buf),
			 "glibc-%s-unverified", version);
		glibc_why = glibc_why_buf;
		return;
	}
	glibc_why = layout_check();
}

static bool glibc_ok(struct call *c)
{
	pthread_once(&glibc_once, glibc_init);
	c->why = glibc_why;
	return !glibc_why;
}

/* ------------------------------------------------------------ planning */

#define SPAWN_FLAGS_OK	(POSIX_SPAWN_RESETIDS | POSIX_SPAWN_SETPGROUP | \
			 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | \
			 POSIX_SPAWN_USEVFORK | POSIX_SPAWN_SETSID)

static void sigmask_convert(__u64 out[2], const sigset_t *set)
{
	io_uring_spawn_sigset(out, set);
	/* As glibc's sigprocmask(), which the child calls with this set. */
	out[0] &= ~(1ULL << (GLIBC_SIGCANCEL - 1));
	out[0] &= ~(1ULL << (GLIBC_SIGSETXID - 1));
}

/*
 * posix_spawnattr_t -> struct io_uring_spawn_attr, through glibc's getters.
 * POSIX_SPAWN_USEVFORK means nothing to glibc since 2.24 (it always
 * uses CLONE_VFORK), so nothing here either.
 */
static bool plan_attr(struct call *c)
{
	struct io_uring_spawn_attr *ua = &c->uattr;
	sigset_t set;
	short flags;
	pid_t pgrp;

	io_uring_spawn_attr_init(ua);
	if (!c->attr)
		return true;
	posix_spawnattr_getflags(c->attr, &flags);
	if (flags & (POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER)) {
		c->why = "attr-sched";
		return false;
	}
	if (flags & ~SPAWN_FLAGS_OK) {
		snprintf(c->why_buf, sizeof(c->why_buf), "attr-flags:%#x",
			 (unsigned int)(unsigned short)flags);
		c->why = c->why_buf;
		return false;
	}
	if (flags & POSIX_SPAWN_SETSID)
		ua->flags |= IORING_SPAWN_SETSID;
	if (flags & POSIX_SPAWN_SETPGROUP) {
		posix_spawnattr_getpgroup(c->attr, &pgrp);
		/*
		 * The kernel refuses a negative pgid at submission; glibc's
		 * child gets EINVAL from setpgid() and dies: fail the chain
		 * there instead (nothing before it is seen by anyone).
		 */
		if (pgrp < 0)
			c->attr_errno = EINVAL;
		else
			ua->flags |= IORING_SPAWN_SETPGROUP;
		ua->pgid = pgrp < 0 ? 0 : pgrp;
	}
	if (flags & POSIX_SPAWN_SETSIGMASK) {
		posix_spawnattr_getsigmask(c->attr, &set);
		sigmask_convert(ua->sigmask, &set);
		ua->flags |= IORING_SPAWN_SETSIGMASK;
	}
	if (flags & POSIX_SPAWN_SETSIGDEF) {
		posix_spawnattr_getsigdefault(c->attr, &set);
		io_uring_spawn_sigset(ua->sigdefault, &set);
		ua->flags |= IORING_SPAWN_SETSIGDEF;
	}
	if (flags & POSIX_SPAWN_RESETIDS)
		ua->flags |= IORING_SPAWN_RESETIDS;
	return true;
}

/*
 * glibc's child treats a failed close() as an error only for an fd outside
 * [0, RLIMIT_NOFILE); CLOSE_RANGE cannot fail that way, so leave that rare
 * case (the limit lowered after addclose) to glibc.
 */
static bool fd_in_range(int fd)
{
	struct rlimit rl;

	if (fd < 0)
		return false;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return true;
	return (rlim_t)fd < rl.rlim_cur;
}

static bool plan_action(struct call *c, const struct glibc_action *a)
{
	switch (a->tag) {
	case GLIBC_CLOSE:
		if (!fd_in_range(a->u.close.fd)) {
			c->why = "close-out-of-range";
			return false;
		}
		c->nsetup += 1;
		return true;
	case GLIBC_OPEN:
		c->nsetup += 3;		/* CLOSE_RANGE, OPENAT, DUP */
		return true;
	case GLIBC_DUP2:
	case GLIBC_CHDIR:
	case GLIBC_FCHDIR:
	case GLIBC_CLOSEFROM:
		c->nsetup += 1;
		return true;
	case GLIBC_TCSETPGRP:
		c->why = "action-tcsetpgrp";
		return false;
	default:
		snprintf(c->why_buf, sizeof(c->why_buf), "action-tag:%d",
			 a->tag);
		c->why = c->why_buf;
		return false;
	}
}

static bool plan_actions(struct call *c)
{
	const struct glibc_action *a;
	int i;

	c->nsetup = c->uattr.flags || c->attr_errno ? 1 : 0;
	if (!c->fa || !c->fa->__used)
		return true;
	a = (const struct glibc_action *)c->fa->__actions;
	if (c->fa->__used < 0 || !a) {
		c->why = "actions-corrupt";
		return false;
	}
	for (i = 0; i < c->fa->__used; i++)
		if (!plan_action(c, &a[i]))
			return false;
	return true;
}

static char *default_path(void)
{
	size_t len = confstr(_CS_PATH, NULL, 0);
	char *path;

	if (!len)
		return strdup("/bin:/usr/bin");
	path = malloc(len);
	if (path)
		confstr(_CS_PATH, path, len);
	return path;
}

/*
 * The candidates of glibc's $PATH search, in its order: an empty element
 * is the current directory (the bare name), any other gets a '/'. Like
 * glibc, skip an element at least as long as the (PATH_MAX-capped) $PATH
 * and stop if it is the last.
 */
static void path_candidates(struct call *c, const char *path, char *out)
{
	size_t flen = strlen(c->file);
	size_t plen = strnlen(path, PATH_MAX - 1) + 1;
	const char *p, *end;

	for (p = path; ; p = end + 1) {
		end = strchrnul(p, ':');
		if ((size_t)(end - p) < plen) {
			memcpy(out, p, end - p);
			out += end - p;
			if (end != p)
				*out++ = '/';
			memcpy(out, c->file, flen + 1);
			out += flen + 1;
			c->ncands++;
		}
		if (!*end)
			break;
	}
}

/*
 * The EXECs: one for posix_spawn() and for a name with a '/', one per
 * $PATH element otherwise, hard-linked so that a failed one goes on to the
 * next. $PATH is the caller's (getenv), as in glibc, not envp's.
 */
static int plan_exec(struct call *c)
{
	const char *path;
	char *dflt = NULL;
	size_t elems = 1;
	const char *p;
	int err = 0;

	c->ncands = 0;
	c->cands = NULL;
	c->fail_errno = 0;
	if (!c->search || strchr(c->file, '/'))
		return 0;
	if (!*c->file) {
		c->fail_errno = ENOENT;
		return 0;
	}
	path = getenv("PATH");
	if (!path) {
		dflt = default_path();
		path = dflt ? dflt : "";
	}
	for (p = path; *p; p++)
		elems += *p == ':';
	c->cands = malloc(strlen(path) + elems * (strlen(c->file) + 2));
	if (c->cands && (dflt || getenv("PATH")))
		path_candidates(c, path, c->cands);
	else
		err = ENOMEM;
	free(dflt);
	/* Nothing tried (one huge element): glibc's errno is stale; say so. */
	if (!err && !c->ncands)
		c->fail_errno = ENOENT;
	return err;
}

static unsigned int chain_len(const struct call *c)
{
	unsigned int n = 1 + c->nsetup;

	if (c->fail_errno)
		return n + 1;
	if (c->search && c->cands)
		return n + c->ncands;
	return n + 1;
}

/* --------------------------------------------------------------- rings */

static int sys_io_uring_setup(unsigned int entries, struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, entries, p);
}

static int sys_io_uring_enter(int fd, unsigned int submit, unsigned int wait,
			      unsigned int flags)
{
	return syscall(__NR_io_uring_enter, fd, submit, wait, flags, NULL, 0);
}

static int sys_io_uring_register(int fd, unsigned int op, void *arg,
				 unsigned int nr)
{
	return syscall(__NR_io_uring_register, fd, op, arg, nr);
}

static void uring_unmap(struct uring *r)
{
	if (r->sqes)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_map && r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_map_len);
	if (r->sq_map)
		munmap(r->sq_map, r->sq_map_len);
	r->sqes = NULL;
	r->cq_map = NULL;
	r->sq_map = NULL;
}

/* The program may have closed our fd (closefrom) and reused the number. */
static bool uring_fd_is_ours(const struct uring *r)
{
	struct stat st;

	return !fstat(r->fd, &st) && st.st_dev == r->dev &&
	       st.st_ino == r->ino;
}

static void uring_release(struct uring *r)
{
	uring_unmap(r);
	if (r->fd >= 0 && uring_fd_is_ours(r))
		close(r->fd);
	free(r);
}

static void *ring_map(int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

static int uring_map(struct uring *r, const struct io_uring_params *p)
{
	char *sq, *cq;

	r->sq_map_len = p->sq_off.array + p->sq_entries * sizeof(__u32);
	r->cq_map_len = p->cq_off.cqes +
			p->cq_entries * sizeof(struct io_uring_cqe);
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_map_len > r->sq_map_len)
			r->sq_map_len = r->cq_map_len;
		r->cq_map_len = r->sq_map_len;
	}
	r->sq_map = ring_map(r->fd, r->sq_map_len, IORING_OFF_SQ_RING);
	if (!r->sq_map)
		return -errno;
	r->cq_map = r->sq_map;
	if (!(p->features & IORING_FEAT_SINGLE_MMAP))
		r->cq_map = ring_map(r->fd, r->cq_map_len, IORING_OFF_CQ_RING);
	r->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = ring_map(r->fd, r->sqes_len, IORING_OFF_SQES);
	if (!r->cq_map || !r->sqes)
		return -errno;

	sq = r->sq_map;
	cq = r->cq_map;
	r->sq_head = (unsigned int *)(sq + p->sq_off.head);
	r->sq_tail = (unsigned int *)(sq + p->sq_off.tail);
	r->sq_array = (unsigned int *)(sq + p->sq_off.array);
	r->sq_mask = *(unsigned int *)(sq + p->sq_off.ring_mask);
	r->cq_head = (unsigned int *)(cq + p->cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p->cq_off.tail);
	r->cq_mask = *(unsigned int *)(cq + p->cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
	r->entries = p->sq_entries;
	r->features = p->features;
	return 0;
}

/*
 * Move the ring's fd to the top of the default table. Left at the lowest
 * free number it would shift what the program's next open() returns, and
 * what a spawned child's open actions get: glibc keeps O_CLOEXEC on an
 * opened fd only when open() returned the target fd itself.
 */
static int fd_move_high(int fd)
{
	struct rlimit rl;
	rlim_t top = 1024;
	int nfd;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < top)
		top = rl.rlim_cur;
	if (top / 2 <= (rlim_t)fd + 1)
		return fd;
	/* The lowest free fd of the top 64 (rings of other threads). */
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, top > 128 ? (int)top - 64 : (int)top / 2);
	if (nfd < 0)
		return fd;
	if ((rlim_t)nfd >= top) {
		/* All taken: do not grow the fd table past its default size. */
		close(nfd);
		return fd;
	}
	close(fd);
	return nfd;
}

/*
 * One ring per thread, so the submitter is always the ring's only task
 * (SINGLE_ISSUER) and completions wait for the submitter itself
 * (DEFER_TASKRUN). SUBMIT_ALL keeps a chain whole should a request fail
 * its checks; COOP_TASKRUN stops the chain's task work from interrupting
 * the program's system calls with EINTR. Older kernels get fewer flags.
 */
static const unsigned int setup_flags[] = {
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
	IORING_SETUP_SINGLE_ISSUER,
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
	0,
};

static int uring_setup_fd(unsigned int entries, struct io_uring_params *p)
{
	size_t i;
	int fd = -1;

	for (i = 0; i < ARRAY_SIZE(setup_flags); i++) {
		memset(p, 0, sizeof(*p));
		p->flags = setup_flags[i];
		fd = sys_io_uring_setup(entries, p);
		if (fd >= 0 || errno != EINVAL)
			break;
	}
	return fd < 0 ? -errno : fd;
}

static struct uring *uring_create(unsigned int entries, int *err)
{
	struct io_uring_params p;
	struct uring *r;
	struct stat st;
	int fd;

	r = calloc(1, sizeof(*r));
	if (!r) {
		*err = ENOMEM;
		return NULL;
	}
	fd = uring_setup_fd(entries, &p);
	if (fd < 0) {
		*err = -fd;
		free(r);
		return NULL;
	}
	r->fd = fd_move_high(fd);
	r->owner = getpid();
	*err = fstat(r->fd, &st) ? errno : -uring_map(r, &p);
	if (*err) {
		uring_unmap(r);
		close(r->fd);
		free(r);
		return NULL;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	return r;
}

static void rings_prefork(void)
{
	pthread_mutex_lock(&rings_lock);
}

static void rings_postfork_parent(void)
{
	pthread_mutex_unlock(&rings_lock);
}

/*
 * In a forked child every ring is its parent's (SINGLE_ISSUER would refuse
 * it anyway) and every other thread is gone: drop them all.
 */
static void rings_postfork_child(void)
{
	struct uring *r, *next;

	for (r = rings; r; r = next) {
		next = r->next;
		uring_release(r);
	}
	rings = NULL;
	if (ring_key_ok)
		pthread_setspecific(ring_key, NULL);
	pthread_mutex_unlock(&rings_lock);
}

static void rings_unlink(struct uring *r)
{
	struct uring **pp;

	pthread_mutex_lock(&rings_lock);
	for (pp = &rings; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&rings_lock);
}

/* Thread exit: the ring goes with its thread. */
static void ring_key_destroy(void *p)
{
	struct uring *r = p;

	rings_unlink(r);
	uring_release(r);
}

static void rings_init(void)
{
	ring_key_ok = !pthread_key_create(&ring_key, ring_key_destroy);
	pthread_atfork(rings_prefork, rings_postfork_parent,
		       rings_postfork_child);
}

static void uring_forget(struct uring *r)
{
	pthread_setspecific(ring_key, NULL);
	rings_unlink(r);
	uring_release(r);
}

static unsigned int ring_size(unsigned int need)
{
	unsigned int n = RING_MIN;

	while (n < need)
		n <<= 1;
	return n;
}

/* This thread's ring with room for @need SQEs, made if needed. */
static struct uring *uring_get(unsigned int need, int *err)
{
	struct uring *r;

	pthread_once(&rings_once, rings_init);
	if (!ring_key_ok) {
		*err = EAGAIN;
		return NULL;
	}
	r = pthread_getspecific(ring_key);
	/* A fork that ran no atfork handlers (_Fork, raw clone) left it. */
	if (r && (r->owner != getpid() || r->entries < need ||
		  !uring_fd_is_ours(r))) {
		uring_forget(r);
		r = NULL;
	}
	if (r)
		return r;
	r = uring_create(ring_size(need), err);
	if (!r)
		return NULL;
	pthread_mutex_lock(&rings_lock);
	r->next = rings;
	rings = r;
	pthread_mutex_unlock(&rings_lock);
	pthread_setspecific(ring_key, r);
	return r;
}

/* The i-th SQE after the current tail, reset by the prep helper. */
static struct io_uring_sqe *uring_sqe(struct uring *r, unsigned int i)
{
	unsigned int tail = *r->sq_tail;

	return &r->sqes[(tail + i) & r->sq_mask];
}

/* Copy out this chain's completions; returns how many arrived. */
static unsigned int uring_reap_ready(struct uring *r, unsigned int want,
				     __s32 *res)
{
	unsigned int head = *r->cq_head;
	unsigned int tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
	unsigned int got = 0;

	for (; head != tail; head++) {
		const struct io_uring_cqe *cqe = &r->cqes[head & r->cq_mask];
		__u32 idx = (__u32)cqe->user_data;

		if ((cqe->user_data >> 32) == r->gen && idx < want) {
			res[idx] = cqe->res;
			got++;
		}
	}
	__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	return got;
}

/*
 * Wait for @want completions. Never give up early: until its last
 * completion the child may still read the caller's strings and ours.
 */
static void uring_wait(struct uring *r, unsigned int want, __s32 *res)
{
	const struct timespec pause = { 0, 1000000 };
	unsigned int got = 0;

	for (;;) {
		got += uring_reap_ready(r, want, res);
		if (got >= want)
			return;
		if (sys_io_uring_enter(r->fd, 0, want - got,
				       IORING_ENTER_GETEVENTS) < 0 &&
		    errno != EINTR && errno != EAGAIN && errno != EBUSY)
			nanosleep(&pause, NULL);
	}
}

/*
 * Publish @n prepared SQEs and submit them in one io_uring_enter(): a chain
 * split over two calls would be cut. Returns how many the kernel took (all
 * of their completions are in @res) and takes the others back; *err is the
 * reason when it took none.
 */
static unsigned int uring_run(struct uring *r, unsigned int n, __s32 *res,
			      int *err)
{
	unsigned int tail = *r->sq_tail;
	unsigned int i, taken;
	int ret;

	for (i = 0; i < n; i++)
		r->sq_array[(tail + i) & r->sq_mask] = (tail + i) & r->sq_mask;
	/* The SQEs and the array must be visible before the new tail. */
	__atomic_store_n(r->sq_tail, tail + n, __ATOMIC_RELEASE);
	do {
		ret = sys_io_uring_enter(r->fd, n, n, IORING_ENTER_GETEVENTS);
	} while (ret < 0 && errno == EINTR &&
		 __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) == tail);
	*err = ret < 0 ? errno : 0;
	taken = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) - tail;
	if (taken < n)
		__atomic_store_n(r->sq_tail, tail + taken, __ATOMIC_RELEASE);
	uring_wait(r, taken, res);
	return taken;
}

/* -------------------------------------------------------------- probe */

static bool ops_supported(struct uring *r)
{
	const unsigned int nr = 256;
	struct io_uring_probe *probe;
	bool ok = false;
	unsigned int op;

	probe = calloc(1, sizeof(*probe) + nr * sizeof(probe->ops[0]));
	if (!probe)
		return false;
	if (sys_io_uring_register(r->fd, IORING_REGISTER_PROBE, probe, nr))
		goto out;
	if (probe->last_op < IORING_OP_CLOSE_RANGE)
		goto out;
	for (op = IORING_OP_CLONE; op <= IORING_OP_CLOSE_RANGE; op++)
		if (!(probe->ops[op].flags & IO_URING_OP_SUPPORTED))
			goto out;
	ok = true;
out:
	free(probe);
	return ok;
}

static const char *kernel_check(struct uring *r)
{
	if (!io_uring_spawn_feature(r->features))
		return "no-IORING_FEAT_SPAWN";
	if (!ops_supported(r))
		return "spawn-opcodes-absent";
	return NULL;
}

static void kernel_set(int state, const char *why)
{
	if (why)
		snprintf(kernel_why, sizeof(kernel_why), "%s", why);
	__atomic_store_n(&kernel_state, state, __ATOMIC_RELEASE);
}

/* The thread's ring if the kernel runs spawn chains, else NULL and why. */
static struct uring *spawn_ring(struct call *c, unsigned int need)
{
	int state = __atomic_load_n(&kernel_state, __ATOMIC_ACQUIRE);
	struct uring *r;
	const char *why;
	int err;

	if (state < 0) {
		c->why = kernel_why;
		return NULL;
	}
	r = uring_get(need, &err);
	if (!r) {
		set_why(c, "io_uring_setup", err);
		/*
		 * Short of memory or fds: try again next time. Anything else
		 * (no io_uring, io_uring_disabled, a kernel too old for every
		 * flag set) stays so for the process.
		 */
		if (err != ENOMEM && err != EMFILE && err != ENFILE &&
		    err != EAGAIN && err != EINTR)
			kernel_set(-1, c->why);
		return NULL;
	}
	if (state > 0)
		return r;
	why = kernel_check(r);
	if (why) {
		uring_forget(r);
		kernel_set(-1, why);
		c->why = kernel_why;
		return NULL;
	}
	kernel_set(1, NULL);
	return r;
}

/* -------------------------------------------------------------- chain */

struct chain {
	struct uring *r;
	unsigned int n;
	unsigned char *kind;
};

static struct io_uring_sqe *chain_add(struct chain *ch, enum step_kind kind)
{
	struct io_uring_sqe *sqe = uring_sqe(ch->r, ch->n);

	sqe->user_data = (__u64)ch->r->gen << 32 | ch->n;
	ch->kind[ch->n++] = kind;
	return sqe;
}

static void chain_link(struct io_uring_sqe *sqe, unsigned int flags)
{
	sqe->flags = flags;
}

static void prep_openat(struct io_uring_sqe *sqe, const char *path,
			int flags, mode_t mode)
{
	io_uring_spawn_sqe_reset(sqe, IORING_OP_OPENAT);
	sqe->fd = AT_FDCWD;
	sqe->addr = (__u64)(unsigned long)path;
	sqe->len = mode;
	sqe->open_flags = flags;
}

/*
 * "open onto fd" as glibc does it: close the target first (POSIX asks for
 * it; it frees the slot and a single-open device), open, then move the
 * new fd onto the target unless open() returned the target itself.
 */
static void chain_open(struct chain *ch, const struct glibc_action *a)
{
	struct io_uring_sqe *sqe;

	sqe = chain_add(ch, STEP_SETUP);
	io_uring_prep_close_range(sqe, a->u.open.fd, a->u.open.fd, 0);
	chain_link(sqe, IOSQE_IO_LINK);
	sqe = chain_add(ch, STEP_SETUP);
	prep_openat(sqe, a->u.open.path, a->u.open.oflag, a->u.open.mode);
	chain_link(sqe, IOSQE_IO_LINK);
	sqe = chain_add(ch, STEP_SETUP);
	io_uring_prep_dup_prev(sqe, a->u.open.fd, IORING_DUP_MOVE);
	chain_link(sqe, IOSQE_IO_LINK);
}

static void chain_action(struct chain *ch, const struct glibc_action *a)
{
	struct io_uring_sqe *sqe;

	if (a->tag == GLIBC_OPEN) {
		chain_open(ch, a);
		return;
	}
	sqe = chain_add(ch, STEP_SETUP);
	switch (a->tag) {
	case GLIBC_CLOSE:
		/* Not-open fds are skipped: glibc ignores that EBADF too. */
		io_uring_prep_close_range(sqe, a->u.close.fd, a->u.close.fd, 0);
		break;
	case GLIBC_DUP2:
		/* Onto itself: clears FD_CLOEXEC, as glibc (POSIX 2024). */
		io_uring_prep_dup(sqe, a->u.dup2.fd, a->u.dup2.newfd, 0);
		break;
	case GLIBC_CHDIR:
		io_uring_prep_chdir(sqe, a->u.chdir.path);
		break;
	case GLIBC_FCHDIR:
		io_uring_prep_fchdir(sqe, a->u.fchdir.fd);
		break;
	default:	/* GLIBC_CLOSEFROM; plan_action() refused the rest */
		io_uring_prep_close_range(sqe, a->u.closefrom.from, ~0U, 0);
		break;
	}
	chain_link(sqe, IOSQE_IO_LINK);
}

static void chain_exec(struct chain *ch, const struct call *c)
{
	struct io_uring_sqe *sqe;
	const char *cand = c->cands;
	unsigned int i;

	if (c->fail_errno) {
		sqe = chain_add(ch, STEP_SETUP);
		io_uring_prep_spawn_fail(sqe, -c->fail_errno);
		return;
	}
	if (!c->cands) {
		sqe = chain_add(ch, STEP_EXEC);
		io_uring_prep_exec(sqe, c->file, c->argv, c->envp);
		return;
	}
	for (i = 0; i < c->ncands; i++) {
		sqe = chain_add(ch, STEP_EXEC);
		io_uring_prep_exec(sqe, cand, c->argv, c->envp);
		if (i + 1 < c->ncands)
			chain_link(sqe, IOSQE_IO_HARDLINK);
		cand += strlen(cand) + 1;
	}
}

/*
 * CLONE, then a NOP when there are attributes: the child applies them
 * before the first linked request and reports a failure (say setpgid's
 * EPERM) as that request's result, which must not be mistaken for an
 * EXEC's in a $PATH search.
 */
static void chain_prep(struct chain *ch, const struct call *c,
		       struct clone_args *ca)
{
	const struct glibc_action *a = NULL;
	struct io_uring_sqe *sqe;
	int i, nact = 0;

	ch->r->gen++;
	sqe = chain_add(ch, STEP_CLONE);
	io_uring_prep_clone(sqe, c->pidfd ? ca : NULL,
			    c->pidfd ? sizeof(*ca) : 0);
	if (c->uattr.flags)
		io_uring_prep_clone_attr(sqe, &c->uattr);
	if (c->uattr.flags || c->attr_errno) {
		sqe = chain_add(ch, STEP_SETUP);
		if (c->attr_errno)
			io_uring_prep_spawn_fail(sqe, -c->attr_errno);
		else
			io_uring_spawn_sqe_reset(sqe, IORING_OP_NOP);
		chain_link(sqe, IOSQE_IO_LINK);
	}
	if (c->fa && c->fa->__used > 0) {
		a = (const struct glibc_action *)c->fa->__actions;
		nact = c->fa->__used;
	}
	for (i = 0; i < nact; i++)
		chain_action(ch, &a[i]);
	chain_exec(ch, c);
}

/*
 * glibc's $PATH search goes on after ENOENT, ESTALE, ENOTDIR, ENODEV,
 * ETIMEDOUT and EACCES and stops at any other error; after the search its
 * errno is EACCES if any candidate gave EACCES, else the last error. The
 * hard-linked chain tries every candidate, so replay that on the results.
 */
struct exec_errors {
	int stop;		/* the error glibc stopped at */
	int last;
	bool eacces;
};

static void exec_error(struct exec_errors *e, int err)
{
	if (err == ECANCELED || e->stop)
		return;
	switch (err) {
	case EACCES:
		e->eacces = true;
		e->last = err;
		break;
	case ENOENT:
	case ESTALE:
	case ENOTDIR:
	case ENODEV:
	case ETIMEDOUT:
		e->last = err;
		break;
	default:
		e->stop = err;
	}
}

/* 0 if an EXEC succeeded, else the errno glibc would return. */
static int chain_result(const struct chain *ch, const __s32 *res)
{
	struct exec_errors e = { 0, 0, false };
	unsigned int i;

	for (i = 1; i < ch->n; i++) {
		if (ch->kind[i] == STEP_EXEC) {
			if (!res[i])
				return 0;
			exec_error(&e, -res[i]);
		} else if (res[i] < 0 && res[i] != -ECANCELED) {
			return -res[i];
		}
	}
	if (e.eacces && !e.stop)
		e.stop = EACCES;
	/* Everything cancelled: not a chain the kernel should produce. */
	if (!e.stop)
		e.stop = e.last ? e.last : ECANCELED;
	return e.stop;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Done with the completions: hand out the child, or clean it up. */
/*
 * No child. Out of processes, memory or fds (for the pidfd) is an error
 * glibc's clone() would get too. Anything else is the kernel refusing the chain itself (the
 * CLONE fails, or a request's checks fail and the CLONE is cancelled):
 * that request is not one this kernel runs, so glibc has to.
 */
static int clone_failed(struct call *c, const struct chain *ch,
			const __s32 *res, int pidfd)
{
	int err = res[0] < 0 ? -res[0] : EAGAIN;
	unsigned int i;

	if (pidfd >= 0)
		close(pidfd);
	if (err == EAGAIN || err == ENOMEM || err == EMFILE || err == ENFILE)
		return err;
	for (i = 1; err == ECANCELED && i < ch->n; i++)
		if (res[i] < 0 && res[i] != -ECANCELED)
			err = -res[i];
	set_why(c, "chain-refused", err);
	return 0;
}

static int chain_finish(struct call *c, const struct chain *ch,
			const __s32 *res, int pidfd)
{
	pid_t pid = res[0];
	int err;

	if (pid <= 0)
		return clone_failed(c, ch, res, pidfd);
	err = chain_result(ch, res);
	if (err) {
		/* The child exits 127 without running anything. */
		reap(pid);
		if (pidfd >= 0)
			close(pidfd);
	} else if (c->pidfd) {
		*c->pidfd = pidfd;
	} else if (c->pid) {
		*c->pid = pid;
	}
	c->child = pid;
	return err;
}

static int chain_run(struct call *c, struct uring *r, unsigned int n)
{
	struct chain ch = { r, 0, NULL };
	struct clone_args ca;
	int pidfd = -1, err;
	unsigned int taken;
	__s32 *res;

	res = malloc(n * (sizeof(*res) + 1));
	err = ENOMEM;
	if (!res)
		return err;
	ch.kind = (unsigned char *)(res + n);
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (__u64)(unsigned long)&pidfd;
	ca.exit_signal = SIGCHLD;
	chain_prep(&ch, c, &ca);
	taken = uring_run(r, n, res, &err);
	if (taken < n) {
		/* A cut chain: its CLONE fails, but never leave a child. */
		if (taken && res[0] > 0)
			reap(res[0]);
		if (pidfd >= 0)
			close(pidfd);
		set_why(c, "io_uring_enter", err ? err : EAGAIN);
		err = 0;
	} else {
		err = chain_finish(c, &ch, res, pidfd);
	}
	free(res);
	return err;
}

/* The io_uring path; c->why set means it did not run the call. */
static int uring_spawn(struct call *c)
{
	struct uring *r;
	unsigned int n;
	int err;

	if (!glibc_ok(c) || !plan_attr(c) || !plan_actions(c))
		return 0;
	err = plan_exec(c);
	if (err)
		return err;
	n = chain_len(c);
	if (n > CHAIN_MAX) {
		c->why = "chain-too-long";
		err = 0;
	} else {
		r = spawn_ring(c, n);
		err = r ? chain_run(c, r, n) : 0;
	}
	free(c->cands);
	c->cands = NULL;
	return err;
}

/* ----------------------------------------------------------- fallback */

static int glibc_spawn(const struct call *c, pid_t *pid)
{
	if (c->search)
		return glibc.spawnp(pid, c->file, c->fa, c->attr, c->argv,
				    c->envp);
	return glibc.spawn(pid, c->file, c->fa, c->attr, c->argv, c->envp);
}

/*
 * glibc before 2.39 has no pidfd_spawn: spawn, then take a pidfd for the
 * child before anything can reap it (it is ours and not waited for yet).
 * Should that fail, the child must not outlive the error.
 */
static int glibc_pidfd_spawn(const struct call *c)
{
	pid_t pid;
	int err, fd;

	if (c->search && glibc.pidfd_spawnp)
		return glibc.pidfd_spawnp(c->pidfd, c->file, c->fa, c->attr,
					  c->argv, c->envp);
	if (!c->search && glibc.pidfd_spawn)
		return glibc.pidfd_spawn(c->pidfd, c->file, c->fa, c->attr,
					 c->argv, c->envp);
	err = glibc_spawn(c, &pid);
	if (err)
		return err;
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		err = errno;
		kill(pid, SIGKILL);
		reap(pid);
		return err;
	}
	*c->pidfd = fd;
	return 0;
}

static int fallback(const struct call *c)
{
	int err = ELIBACC;	/* glibc's functions not found */

	pthread_once(&glibc_once, glibc_init);
	if (glibc.spawn && glibc.spawnp)
		err = c->pidfd ? glibc_pidfd_spawn(c) : glibc_spawn(c, c->pid);
	return err;
}

static int spawn_call(struct call *c)
{
	const char *mode = getenv("IO_URING_SPAWN");
	int err = 0;

	if (mode && !strcmp(mode, "0"))
		c->why = "IO_URING_SPAWN=0";
	else
		err = uring_spawn(c);
	if (!c->why) {
		log_uring(c, err, c->child);
		return err;
	}
	if (mode && !strcmp(mode, "require")) {
		log_line("fallback", c->fn, c->why, "required");
		err = IO_URING_SPAWN_EREQUIRED;
		return err;
	}
	log_line("fallback", c->fn, c->why, NULL);
	return fallback(c);
}

/* ---------------------------------------------------------------- API */

API int io_uring_posix_spawn(pid_t *pid, const char *path,
			     const posix_spawn_file_actions_t *file_actions,
			     const posix_spawnattr_t *attrp,
			     char *const argv[], char *const envp[])
{
	struct call c = {
		.fn = "posix_spawn", .pid = pid, .file = path,
		.fa = file_actions, .attr = attrp, .argv = argv, .envp = envp,
	};

	return spawn_call(&c);
}

API int io_uring_posix_spawnp(pid_t *pid, const char *file,
			      const posix_spawn_file_actions_t *file_actions,
			      const posix_spawnattr_t *attrp,
			      char *const argv[], char *const envp[])
{
	struct call c = {
		.fn = "posix_spawnp", .search = true, .pid = pid, .file = file,
		.fa = file_actions, .attr = attrp, .argv = argv, .envp = envp,
	};

	return spawn_call(&c);
}

API int io_uring_pidfd_spawn(int *pidfd, const char *path,
			     const posix_spawn_file_actions_t *file_actions,
			     const posix_spawnattr_t *attrp,
			     char *const argv[], char *const envp[])
{
	struct call c = {
		.fn = "pidfd_spawn", .pidfd = pidfd, .file = path,
		.fa = file_actions, .attr = attrp, .argv = argv, .envp = envp,
	};

	return spawn_call(&c);
}

API int io_uring_pidfd_spawnp(int *pidfd, const char *file,
			      const posix_spawn_file_actions_t *file_actions,
			      const posix_spawnattr_t *attrp,
			      char *const argv[], char *const envp[])
{
	struct call c = {
		.fn = "pidfd_spawnp", .search = true, .pidfd = pidfd,
		.file = file, .fa = file_actions, .attr = attrp, .argv = argv,
		.envp = envp,
	};

	return spawn_call(&c);
}

API int io_uring_spawn_supported(const char **reason)
{
	struct call c = { .fn = "supported" };
	int ok = glibc_ok(&c) && spawn_ring(&c, 1);

	if (!ok && reason) {
		snprintf(supported_why, sizeof(supported_why), "%s", c.why);
		*reason = supported_why;
	}
	return ok;
}

#ifdef URING_SPAWN_PRELOAD
API int posix_spawn(pid_t *pid, const char *path,
		    const posix_spawn_file_actions_t *file_actions,
		    const posix_spawnattr_t *attrp,
		    char *const argv[], char *const envp[])
{
	return io_uring_posix_spawn(pid, path, file_actions, attrp, argv, envp);
}

API int posix_spawnp(pid_t *pid, const char *file,
		     const posix_spawn_file_actions_t *file_actions,
		     const posix_spawnattr_t *attrp,
		     char *const argv[], char *const envp[])
{
	return io_uring_posix_spawnp(pid, file, file_actions, attrp, argv,
				     envp);
}

API int pidfd_spawn(int *pidfd, const char *path,
		    const posix_spawn_file_actions_t *file_actions,
		    const posix_spawnattr_t *attrp,
		    char *const argv[], char *const envp[])
{
	return io_uring_pidfd_spawn(pidfd, path, file_actions, attrp, argv,
				    envp);
}

API int pidfd_spawnp(int *pidfd, const char *file,
		     const posix_spawn_file_actions_t *file_actions,
		     const posix_spawnattr_t *attrp,
		     char *const argv[], char *const envp[])
{
	return io_uring_pidfd_spawnp(pidfd, file, file_actions, attrp, argv,
				     envp);
}
#endif /* URING_SPAWN_PRELOAD */

