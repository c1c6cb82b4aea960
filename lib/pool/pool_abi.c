/* SPDX-License-Identifier: BSD-3-Clause */
/* The inline layout check done at pool creation (udma_pvt_pool_abi_check). */
#include "pool_private.h"

int udma_pvt_pool_abi_check(uint64_t abi)
{
	const uint64_t mine = UDMA_POOL_PVT_ABI;

	if (udma_likely(abi == mine))
		return 1;
	UDMA_LOG(ERR, "the application was built against another udma pool layout (layout %u, "
		 "UDMA_MAX_LCORES %u, cache line %u, pool view %u bytes) than this library "
		 "%s has (layout %u, UDMA_MAX_LCORES %u, cache line %u, %u bytes): rebuild it "
		 "against this udma's headers; no pool created",
		 (unsigned int)(abi >> 48), (unsigned int)(abi >> 32) & 0xffff,
		 (unsigned int)(abi >> 24) & 0xff, (unsigned int)abi & 0xffffff, UDMA_VERSION_STR,
		 (unsigned int)(mine >> 48), (unsigned int)(mine >> 32) & 0xffff,
		 (unsigned int)(mine >> 24) & 0xff, (unsigned int)mine & 0xffffff);
	errno = EPROTO;
	return 0;
}
