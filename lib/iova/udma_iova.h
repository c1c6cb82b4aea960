/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * IOVA backends: which one init chose, and why (udma_iova_mode(),
 * udma_iova_mode_reason(): the IOVA mode is EAL's, declared in udma_eal.h).
 */
#ifndef UDMA_IOVA_H
#define UDMA_IOVA_H

#include "udma_eal.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* UDMA_IOVA_H */
