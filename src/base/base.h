/* base.h: the room every other room stands on. It owns how msprune fails
 * (status.h), speaks (log.h, progress.h, suggest.h), writes and reads files
 * safely (atomicio.h, conffile.h and confwrite.h for libconfig syntax,
 * json.h and jsonread.h, utf8.h, textline.h for bounded lines, bytebuf.h
 * for little-endian binary files, pathname.h for paths that must stay inside
 * a folder), runs other programs and keeps what they say (command.h),
 * draws random numbers (rng.h), takes Ctrl-C as a request to stop
 * (stopsignal.h), records what an output
 * was built from (stamp.h) and interrupts itself for the crash tests
 * (testpoint.h).
 *
 * Depends on: libc, libconfig, zlib. Nothing of msprune's above it. */
#ifndef MSP_BASE_H
#define MSP_BASE_H

#include "atomicio.h"
#include "bytebuf.h"
#include "command.h"
#include "conffile.h"
#include "confwrite.h"
#include "json.h"
#include "jsonread.h"
#include "log.h"
#include "pathname.h"
#include "progress.h"
#include "rng.h"
#include "stamp.h"
#include "status.h"
#include "stopsignal.h"
#include "suggest.h"
#include "testpoint.h"
#include "textline.h"
#include "utf8.h"

#endif
