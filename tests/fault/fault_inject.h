/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection for test_fault (-Dfault_injection=true): the executable is
 * linked with -Wl,--wrap=SYMBOL for each system and allocation call libudma makes,
 * so every such call from libudma's objects (linked whole into the test) goes
 * through fault_inject.c first. libudma itself is compiled exactly as always.
 */
#ifndef FAULT_INJECT_H
#define FAULT_INJECT_H

#include <stdbool.h>

/* classes of calls; a sweep may pick some */
enum fi_class {
	FI_MMAP = 1u << 0,     /* mmap */
	FI_FALLOC = 1u << 1,   /* fallocate, ftruncate */
	FI_IOCTL = 1u << 2,    /* ioctl (and the fake VFIO's) */
	FI_OPEN = 1u << 3,     /* open, memfd_create, fopen, opendir (and the fake VFIO's) */
	FI_MALLOC = 1u << 4,   /* malloc, calloc, realloc, aligned_alloc, posix_memalign */
	FI_MLOCK = 1u << 5,    /* mlock, mbind */
	FI_ALL = (1u << 6) - 1,
};

/*
 * Count calls of @classes from now on; the @nth of them (1-based) fails with a
 * plausible errno. nth 0: count only, fail none.
 */
void fi_arm(unsigned long nth, unsigned int classes);
/* stop counting and failing; returns the calls counted since fi_arm() */
unsigned long fi_disarm(void);
/* did the armed fault fire? */
bool fi_fired(void);
/* the class and errno of the fault that fired */
const char *fi_fired_what(void);
/* the fake VFIO asks: should this open/ioctl fail? (sets errno) */
bool fi_should_fail(unsigned int cls);

#endif
