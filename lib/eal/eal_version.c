/* SPDX-License-Identifier: BSD-3-Clause */
#include "eal_private.h"

const char *udma_version(void)
{
	return UDMA_VERSION_STR;
}
