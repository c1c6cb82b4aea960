/* SPDX-License-Identifier: BSD-3-Clause */
/* The IOVA backend registry: drivers register from constructors; init picks one. */
#include <stdarg.h>
#include <string.h>

#include "eal_iova.h"
#include "eal_private.h"

struct eal_iova_state g_iova;

int iova_ops_register(const struct udma_iova_ops *ops)
{
	return EAL_REGISTRY_ADD(g_iova.backends, g_iova.nr_backends, ops, "IOVA backends",
				ops->name);
}

static const struct udma_iova_ops *find(enum udma_iova_mode mode)
{
	for (unsigned int i = 0; i < g_iova.nr_backends; i++)
		if (g_iova.backends[i]->mode == mode)
			return g_iova.backends[i];
	return NULL;
}

void iova_reason_append(const char *fmt, ...)
{
	size_t n = strlen(g_iova.reason);
	va_list ap;

	if (n + 2 >= sizeof(g_iova.reason))
		return;
	if (n)
		memcpy(g_iova.reason + n, "; ", 3);
	n = strlen(g_iova.reason);
	va_start(ap, fmt);
	vsnprintf(g_iova.reason + n, sizeof(g_iova.reason) - n, fmt, ap);
	va_end(ap);
}

/* auto: the usable backend of highest rank (vfio > pa > va) */
static const struct udma_iova_ops *pick_auto(void)
{
	const struct udma_iova_ops *best = NULL;
	char why[256];

	for (int rank = 100; rank > 0 && best == NULL; rank--) {
		for (unsigned int i = 0; i < g_iova.nr_backends; i++) {
			const struct udma_iova_ops *o = g_iova.backends[i];

			if (o->auto_rank != rank)
				continue;
			why[0] = '\0';
			if (o->probe(why, sizeof(why)) == 0) {
				iova_reason_append("%s: %s", o->name, why[0] ? why : "usable, chosen");
				best = o;
				break;
			}
			iova_reason_append("%s: %s", o->name, why);
		}
	}
	return best;
}

/*
 * auto fell to va: no IOMMU and no physical addresses. Right for a device that
 * uses process addresses (a software device, a shared-virtual-memory device);
 * wrong for a real one: it would DMA to the process addresses as if physical.
 */
static void auto_va_warning(void)
{
	static const char msg[] =
		"iova-mode auto fell back to va (no IOMMU, no readable PFNs): IOVAs "
		"are process addresses, so a real device would DMA to wrong addresses. Run as "
		"root for pa, bind the device to vfio-pci for vfio, or pass --iova-mode=va if "
		"the device really uses process addresses";

	udma_log(UDMA_LOG_WARNING, "udma_eal_init(): %s", msg);
	iova_reason_append("WARNING: %s", msg);
}

int iova_select(enum udma_iova_mode mode, const struct iova_mode_opts *opts)
{
	const struct udma_iova_ops *ops;
	char why[256] = "";
	int ret;

	g_iova.reason[0] = '\0';
	g_iova.opts = *opts;
	if (mode == UDMA_IOVA_DC) {
		ops = pick_auto();
		if (ops == NULL) {
			UDMA_LOG_AS(ERR, "udma_eal_init", "no usable IOVA backend: %s",
				    g_iova.reason);
			return -ENODEV;
		}
		UDMA_LOG_AS(INFO, "udma_eal_init", "iova-mode auto picked %s (%s)", ops->name,
			    g_iova.reason);
		if (ops->mode == UDMA_IOVA_VA)
			auto_va_warning();
	} else {
		ops = find(mode);
		if (ops == NULL || ops->probe(why, sizeof(why)) != 0) {
			UDMA_LOG_AS(ERR, "udma_eal_init", "--iova-mode=%s is not usable here: %s",
				    udma_iova_mode_name(mode), ops ? why : "backend not built");
			return ops ? -ENOTSUP : -ENODEV;
		}
		iova_reason_append("%s: requested", ops->name);
	}
	ret = ops->init ? ops->init() : 0;
	if (ret < 0)
		return ret;
	g_iova.ops = ops;
	return 0;
}

void iova_release(void)
{
	if (g_iova.ops && g_iova.ops->fini)
		g_iova.ops->fini();
	g_iova.ops = NULL;
}

const char *udma_iova_mode_reason(void)
{
	return udma_eal_initialized() ? g_iova.reason : "";
}

/* pa and va: the device reaches exactly the memseg memory, through its IOVA runs */
int iova_memseg_resolve(udma_addr_t iova, int write, void **va, size_t *contig)
{
	(void)write;
	*va = memseg_iova2virt(iova, contig);
	return *va ? 0 : -ENOENT;
}
