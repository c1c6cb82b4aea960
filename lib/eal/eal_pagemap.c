/* SPDX-License-Identifier: BSD-3-Clause */
/* Physical addresses from /proc/self/pagemap (root sees real PFNs). */
#include <fcntl.h>
#include <unistd.h>

#include "eal_private.h"

#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_PRESENT (1ULL << 63)

int pagemap_open(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void pagemap_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* PA of the page holding @va (must be touched); 0 when PFNs are hidden. */
udma_addr_t pagemap_pa(int fd, const void *va)
{
	uintptr_t v = (uintptr_t)va;
	uint64_t ent;
	off_t off = (off_t)(v >> 12) * sizeof(ent);

	if (pread(fd, &ent, sizeof(ent), off) != sizeof(ent))
		return UDMA_MAPPING_ERROR;
	if (!(ent & PM_PRESENT))
		return UDMA_MAPPING_ERROR;
	if ((ent & PM_PFN_MASK) == 0)
		return 0;
	return ((ent & PM_PFN_MASK) << 12) | (v & 0xfff);
}
