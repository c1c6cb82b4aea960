/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * IOVA backends: which one init chose, and why.
 */
#ifndef UDMA_IOVA_H
#define UDMA_IOVA_H

#include "udma_eal.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Why the IOVA backend in force was chosen: for `--iova-mode=auto` the reasons
 * the better backends were passed over (e.g. "vfio: /dev/vfio/vfio absent; pa:
 * chosen, root reads PFNs"), else "requested".
 * @return a string valid until the next udma_eal_init(); "" when not initialised.
 */
UDMA_API const char *udma_iova_mode_reason(void);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_IOVA_H */
