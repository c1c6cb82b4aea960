/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The umbrella header: everything udma exports under udma_ names.
 * The Linux names (dma_*, pci_*) are in <udma_linux.h>, opt-in.
 */
#ifndef UDMA_H
#define UDMA_H

#include "udma_common.h"
#include "udma_eal.h"
#include "udma_iova.h"
#include "udma_dma.h"
#include "udma_map.h"
#include "udma_sg.h"
#include "udma_noncoherent.h"
#include "udma_sim.h"
#include "udma_pool.h"
#include "udma_debug.h"
#include "udma_pci.h"

#endif /* UDMA_H */
