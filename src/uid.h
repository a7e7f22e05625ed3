/*
 * uid.h: the project's UID root and what it names.  A 2.25 root (a UUID
 * written in decimal) needs no registration.  lib/dulhandler.h repeats the
 * implementation class UID for handler authors; test_dh_p10 checks that
 * the two agree.
 */
#ifndef DUL_UID_H
#define DUL_UID_H

#define DUL_UID_ROOT		"2.25.37702220845173676206920092856050917640"
#define DUL_IMPL_CLASS_UID	DUL_UID_ROOT ".1"
#define DUL_IMPL_VERSION	"DULSERVERD_" PACKAGE_VERSION

#endif /* DUL_UID_H */
