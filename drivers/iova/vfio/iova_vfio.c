/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio: an IOMMU through VFIO type1v2. One container, any number of groups (those
 * --vfio-group names or every group under /dev/vfio at init; the PCI layer adds
 * more). The IOMMU's aperture (the IOVA ranges of VFIO_IOMMU_GET_INFO) and its
 * free mapping count (DMA_AVAIL) are read at init and after each group joins.
 *
 * Two models, chosen when the first memseg chunk is mapped and told by
 * udma_iova_mode_reason():
 *  - IOVA = VA, when the whole memseg reservation lies in one aperture range and
 *    under the narrowest device mask (--vfio-dma-mask, default 64 bits);
 *  - allocated IOVAs otherwise (libvfn's model): every memseg chunk gets an IOVA
 *    range from lib/iova's allocator, bottom-up inside the aperture (so narrow
 *    masks reach it), aligned as its VA, mapped once at init or growth.
 * Either way the memseg translation tables hold each page's IOVA, so a streaming
 * map stays a table load. Registered memory is mapped at IOVA = VA when the model
 * is IOVA = VA and it fits the aperture, else at an allocated IOVA.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "eal_private.h"
#include "iova_private.h"
#include "iova_vfio.h"
#include "udma_vfio.h"
#include "udma_vfio_pvt.h"

#define MAX_GROUPS 64
#define MAX_RANGES 32
#define PG 4096ULL
#define ALLOC_BASE 0x200000ULL  /* allocated IOVAs start at 2 MiB: 0 stays unused */
#define EEXIST_RETRIES 16

static int real_open(const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC);
}

static int real_ioctl(int fd, unsigned long req, uintptr_t arg)
{
	return ioctl(fd, req, arg);
}

static const struct vfio_sys g_real = {real_open, real_ioctl, close};

enum model { MODEL_UNSET, MODEL_VA, MODEL_ALLOC };

struct group {
	int num, fd, refs;
	bool pinned;   /* attached at init: stays until cleanup */
	bool adopted;  /* the application's fd: never closed */
};

struct dma_map_rec {
	uintptr_t va;
	udma_addr_t iova;
	size_t len;
	bool in_domain; /* the IOVA range is held in the domain (give it back) */
	bool env;       /* an environment driver's (udma_pvt_vfio_dma_map): its IOVA, its unmap */
};

struct range {
	uint64_t start, end; /* inclusive, as the kernel reports them */
};

/* The vfio backend's state (V: every function of this file reads it). */
static struct vfio_state {
	const struct vfio_sys *sys; /* the system calls: g_real, or a test's fake */
	pthread_mutex_t lock;
	int container;
	int ext_container;  /* udma_vfio_set_container(), -1 none */
	bool ready;
	struct group groups[MAX_GROUPS];
	unsigned int ngroups;
	struct range ranges[MAX_RANGES];
	unsigned int nranges;
	uint64_t pgsizes;
	long dma_avail;     /* -1: the kernel does not say; counted per map/unmap udma makes */
	enum model model;
	uint64_t mask;      /* --vfio-dma-mask */
	struct iova_domain *dom;
	struct dma_map_rec *maps;
	size_t nmaps, cap_maps;
	size_t env_maps;    /* of them, the environment driver's */
	unsigned long env_foreign; /* env maps answered EEXIST by another user's mapping */
} V = {
	.sys = &g_real,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.container = -1,
	.ext_container = -1,
};

void vfio_sys_inject(const struct vfio_sys *s)
{
	V.sys = s ? s : &g_real;
}

const struct vfio_sys *vfio_sys(void)
{
	return V.sys;
}

bool vfio_ready(void)
{
	return __atomic_load_n(&V.ready, __ATOMIC_ACQUIRE);
}

/* ---- IOMMU information --------------------------------------------------------- */

/* VFIO_IOMMU_GET_INFO, then its capability chain: the IOVA ranges, DMA_AVAIL */
static int read_info(void)
{
	struct vfio_iommu_type1_info *info = calloc(1, sizeof(*info));
	uint32_t need;

	if (info == NULL)
		return -ENOMEM;
	info->argsz = sizeof(*info);
	if (V.sys->ioctl(V.container, VFIO_IOMMU_GET_INFO, (uintptr_t)info) != 0)
		goto fail;
	need = info->argsz;
	if (need > sizeof(*info)) { /* the capabilities need more room: ask again */
		struct vfio_iommu_type1_info *n = realloc(info, need);

		if (n == NULL) {
			free(info);
			return -ENOMEM;
		}
		info = n;
		memset(info, 0, need);
		info->argsz = need;
		if (V.sys->ioctl(V.container, VFIO_IOMMU_GET_INFO, (uintptr_t)info) != 0)
			goto fail;
	}
	V.pgsizes = (info->flags & VFIO_IOMMU_INFO_PGSIZES) ? info->iova_pgsizes : PG;
	V.nranges = 0;
	V.dma_avail = -1;
	if ((info->flags & VFIO_IOMMU_INFO_CAPS) && info->cap_offset) {
		uint32_t off = info->cap_offset;

		for (int hops = 0; off && hops < 64; hops++) {
			const struct vfio_info_cap_header *h;

			if (off < sizeof(*info) || off + sizeof(*h) > need)
				break;
			h = (const void *)((const uint8_t *)info + off);
			if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
			    off + sizeof(struct vfio_iommu_type1_info_cap_iova_range) <= need) {
				const struct vfio_iommu_type1_info_cap_iova_range *c = (const void *)h;

				for (uint32_t i = 0; i < c->nr_iovas && V.nranges < MAX_RANGES &&
				     off + sizeof(*c) + (i + 1) * sizeof(c->iova_ranges[0]) <= need; i++)
					V.ranges[V.nranges++] = (struct range){c->iova_ranges[i].start,
									       c->iova_ranges[i].end};
			} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL &&
				   off + sizeof(struct vfio_iommu_type1_info_dma_avail) <= need) {
				V.dma_avail = ((const struct vfio_iommu_type1_info_dma_avail *)h)->avail;
			}
			off = h->next;
		}
	}
	if (V.nranges == 0) /* a kernel before 5.4: no range capability, assume 64 bits */
		V.ranges[V.nranges++] = (struct range){0, UINT64_MAX};
	free(info);
	return 0;
fail:
	UDMA_LOG(ERR, "vfio: VFIO_IOMMU_GET_INFO: %s", strerror(errno));
	free(info);
	return -EIO;
}

static void ranges_str(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < V.nranges && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s[%#llx, %#llx]", i ? " " : "",
				      (unsigned long long)V.ranges[i].start,
				      (unsigned long long)V.ranges[i].end);
}

/* is [a, a+len) inside one aperture range? */
static bool in_aperture(uint64_t a, uint64_t len)
{
	for (unsigned int i = 0; i < V.nranges; i++)
		if (a >= V.ranges[i].start && a + len - 1 <= V.ranges[i].end && a + len > a)
			return true;
	return false;
}

/* the holes between and around the ranges leave the allocator's space */
static void domain_holes(void)
{
	uint64_t prev = ALLOC_BASE;

	for (unsigned int i = 0; i <= V.nranges; i++) {
		uint64_t s = i < V.nranges ? V.ranges[i].start : UINT64_MAX;

		if (s > prev) {
			uint64_t lo = prev, hi = s; /* [lo, hi) is not IOVA space */

			/* the domain ends at 2^63: clamp */
			if (hi > (1ULL << 63))
				hi = 1ULL << 63;
			if (hi > lo)
				iova_exclude(V.dom, lo, hi);
		}
		/* a range ending at 2^64 - 1 (no capability: 64 bits assumed) ends them all */
		if (i < V.nranges && (V.ranges[i].end == UINT64_MAX || V.ranges[i].end + 1 > prev))
			prev = V.ranges[i].end == UINT64_MAX ? UINT64_MAX : V.ranges[i].end + 1;
	}
}

/* ---- DMA mappings --------------------------------------------------------------- */

static int ioctl_map(uintptr_t va, udma_addr_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = va,
		.iova = iova,
		.size = len,
	};

	if (V.sys->ioctl(V.container, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m) != 0)
		return -(errno ? errno : EIO);
	if (V.dma_avail > 0)
		V.dma_avail--;
	return 0;
}

static void refresh_info(void);

static void ioctl_unmap(udma_addr_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = len,
	};

	if (V.sys->ioctl(V.container, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u) != 0) {
		UDMA_LOG(ERR, "vfio: VFIO_IOMMU_UNMAP_DMA %#llx+%zu: %s", (unsigned long long)iova,
			 len, strerror(errno));
	} else if (u.size != len) {
		/* the kernel answers with what it unmapped: another user of a shared
		 * container took udma's mapping away; its count is the kernel's again */
		UDMA_LOG(NOTICE, "vfio: VFIO_IOMMU_UNMAP_DMA %#llx+%zu unmapped %llu bytes: "
			 "another user of the container unmapped it", (unsigned long long)iova,
			 len, (unsigned long long)u.size);
		refresh_info();
	} else if (V.dma_avail >= 0) {
		V.dma_avail++;
	}
}

static int rec_add(uintptr_t va, udma_addr_t iova, size_t len, bool in_domain, bool env)
{
	if (V.nmaps == V.cap_maps) {
		size_t cap = V.cap_maps ? V.cap_maps * 2 : 64;
		struct dma_map_rec *n = realloc(V.maps, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		V.maps = n;
		V.cap_maps = cap;
	}
	V.maps[V.nmaps++] = (struct dma_map_rec){va, iova, len, in_domain, env};
	V.env_maps += env;
	return 0;
}

static void rec_drop(size_t i)
{
	struct dma_map_rec r = V.maps[i];

	ioctl_unmap(r.iova, r.len);
	if (r.in_domain && V.dom)
		iova_free_range(V.dom, r.iova, r.len);
	V.env_maps -= r.env;
	V.maps[i] = V.maps[--V.nmaps];
}

static void map_fail_log(uintptr_t va, udma_addr_t iova, size_t len, int err)
{
	char r[256];

	ranges_str(r, sizeof(r));
	UDMA_LOG(ERR, "vfio: VFIO_IOMMU_MAP_DMA va %#lx iova %#llx +%zu: %s (aperture %s%s)",
		 (unsigned long)va, (unsigned long long)iova, len, strerror(err), r,
		 err == ENOSPC ? "; the container's DMA mapping limit is reached: raise "
				 "vfio_iommu_type1's dma_entry_limit" : "");
}

/*
 * Map [va, va+len) at an allocated IOVA, bottom-up, aligned to @align, wholly
 * under @limit. A range someone else mapped (a shared container) answers EEXIST:
 * keep it out of the allocator and try the next.
 */
static int map_allocated(uintptr_t va, size_t len, size_t align, uint64_t limit, udma_addr_t *out)
{
	for (int tries = 0;; tries++) {
		udma_addr_t a = iova_alloc_range(V.dom, len, align, limit);
		int ret;

		if (a == UDMA_MAPPING_ERROR) {
			char r[256];

			ranges_str(r, sizeof(r));
			UDMA_LOG(ERR, "vfio: no free IOVA range of %zu bytes under %#llx in the "
				 "aperture %s", len, (unsigned long long)limit, r);
			return -ENOSPC;
		}
		ret = ioctl_map(va, a, len);
		if (ret == -EEXIST && tries < EEXIST_RETRIES)
			continue; /* someone else's mapping: that range stays out of the allocator */
		if (ret == 0) {
			ret = rec_add(va, a, len, true, false);
			if (ret != 0)
				ioctl_unmap(a, len);
		} else {
			map_fail_log(va, a, len, -ret);
		}
		if (ret != 0) {
			iova_free_range(V.dom, a, len);
			return ret;
		}
		*out = a;
		return 0;
	}
}

/* IOVA = VA; in the domain when @reserve (registrations: so no allocation lands there) */
static int map_identity(uintptr_t va, size_t len, bool reserve)
{
	bool held = reserve && V.dom && iova_reserve(V.dom, va, len) == 0;
	int ret;

	if (reserve && !held)
		return -EEXIST;
	ret = ioctl_map(va, va, len);
	if (ret == 0) {
		ret = rec_add(va, va, len, held, false);
		if (ret != 0)
			ioctl_unmap(va, len);
	} else if (!reserve) { /* a registration falls back to an allocated IOVA */
		map_fail_log(va, va, len, -ret);
	}
	if (ret != 0 && held)
		iova_free_range(V.dom, va, len);
	return ret;
}

/* ---- the model ------------------------------------------------------------------ */

static int choose_model(void)
{
	uint64_t lo = g_mem.va_base, len = g_mem.va_len, top = lo + len - 1;
	uint64_t first = V.ranges[0].start, last = V.ranges[V.nranges - 1].end;
	char r[256];

	ranges_str(r, sizeof(r));
	V.mask = UDMA_BIT_MASK(g_iova.opts.vfio_mask_bits ? g_iova.opts.vfio_mask_bits : 64);
	if (first < ALLOC_BASE)
		first = ALLOC_BASE;
	/* the allocator spans the aperture (up to 2^63); the holes are taken out */
	V.dom = iova_domain_create(first, last > (1ULL << 63) ? 1ULL << 63 : last + 1);
	if (V.dom == NULL)
		return -ENOMEM;
	domain_holes();
	/* allocated IOVAs never land on memsegs (the first chunk is mapped at init,
	 * before any environment mapping; with a memory provider never) */
	if (in_aperture(lo, len) && top <= V.mask && iova_reserve(V.dom, lo, len) == 0) {
		V.model = MODEL_VA;
		iova_reason_append("vfio model IOVA = VA: the memseg reservation [%#llx, %#llx] "
				   "lies in the aperture %s and under the %u-bit device mask",
				   (unsigned long long)lo, (unsigned long long)top, r,
				   64 - __builtin_clzll(V.mask));
	} else {
		V.model = MODEL_ALLOC;
		iova_reason_append("vfio model allocated IOVAs: the memseg reservation [%#llx, "
				   "%#llx] %s, so memseg chunks get IOVAs bottom-up in the aperture",
				   (unsigned long long)lo, (unsigned long long)top,
				   !in_aperture(lo, len) ? "is not inside one range of the aperture"
				   : top > V.mask ? "is above the --vfio-dma-mask"
				   : "cannot be held in the IOVA allocator");
		iova_reason_append("aperture %s", r);
	}
	UDMA_LOG(INFO, "vfio: %s model; aperture %s; DMA mappings available %ld",
		 V.model == MODEL_VA ? "IOVA = VA" : "allocated-IOVA", r, V.dma_avail);
	return 0;
}

/* memseg chunks: one DMA mapping each */
static int vfio_seg_map(void *va, size_t len, unsigned int page_shift, udma_addr_t *iova)
{
	size_t pgsz = 1UL << page_shift;
	udma_addr_t base = (uintptr_t)va;
	int ret = 0;

	pthread_mutex_lock(&V.lock);
	if (V.model == MODEL_UNSET)
		ret = choose_model();
	if (ret == 0 && V.model == MODEL_VA) {
		ret = map_identity((uintptr_t)va, len, false);
	} else if (ret == 0) {
		/* align as the VA (heap and pool alignment hold in IOVA), up to 1 GiB */
		size_t align = (uintptr_t)va ? 1UL << __builtin_ctzl((uintptr_t)va) : 1UL << 30;

		while (align > len && align > pgsz)
			align >>= 1;
		if (align > (1UL << 30))
			align = 1UL << 30;
		ret = map_allocated((uintptr_t)va, len, align, V.mask, &base);
	}
	pthread_mutex_unlock(&V.lock);
	for (size_t i = 0; ret == 0 && i < len / pgsz; i++)
		iova[i] = base + i * pgsz;
	return ret;
}

/* unmap every recorded mapping whose CPU range lies in [va, va+len) */
static void unmap_va_range(uintptr_t va, size_t len)
{
	pthread_mutex_lock(&V.lock);
	for (size_t i = V.nmaps; i-- > 0;)
		if (!V.maps[i].env && V.maps[i].va >= va && V.maps[i].va + V.maps[i].len <= va + len)
			rec_drop(i);
	pthread_mutex_unlock(&V.lock);
}

static void vfio_seg_unmap(void *va, size_t len, unsigned int page_shift, const udma_addr_t *iova)
{
	(void)page_shift;
	(void)iova;
	unmap_va_range((uintptr_t)va, len);
}

/* registered memory: IOVA = VA when the model allows and it fits, else allocated */
static int vfio_reg_map(void *va, size_t len, udma_addr_t *iova)
{
	uintptr_t v = (uintptr_t)va;
	int ret = -EEXIST;

	pthread_mutex_lock(&V.lock);
	if (V.model == MODEL_VA && in_aperture(v, len) && v + len - 1 <= V.mask)
		ret = map_identity(v, len, true);
	if (ret == 0) {
		*iova = v;
	} else if (ret == -EEXIST || ret == -EINVAL) {
		/* above the aperture (a 39-bit VT-d), over a hole, or on an allocation */
		ret = V.dom ? map_allocated(v, len, PG, V.mask, iova) : -ENODEV;
		if (ret == 0)
			UDMA_LOG(DEBUG, "vfio: registered [%p, +%zu) at allocated IOVA %#llx", va,
				 len, (unsigned long long)*iova);
	}
	pthread_mutex_unlock(&V.lock);
	return ret;
}

static void vfio_reg_unmap(void *va, size_t len)
{
	unmap_va_range((uintptr_t)va, len);
}

/* ---- the environment driver's mappings (udma_vfio_pvt.h) --------------------------- */

int udma_pvt_vfio_dma_map(void *va, udma_addr_t iova, size_t len)
{
	uintptr_t v = (uintptr_t)va;
	bool held = false;
	int ret;

	if (va == NULL || len == 0 || ((v | iova | len) & (PG - 1)) || v + len < v ||
	    iova + len < iova) {
		UDMA_LOG(ERR, "vfio: bad mapping (va %p, iova %#llx, len %zu): page-aligned, not "
			 "empty, not wrapping", va, (unsigned long long)iova, len);
		return -EINVAL;
	}
	pthread_mutex_lock(&V.lock);
	if (!V.ready) {
		UDMA_LOG(ERR, "vfio: udma is not in vfio mode (init with --iova-mode=vfio)");
		ret = -ENODEV;
		goto out;
	}
	/* udma's IOVA space, mapped or not yet (the IOVA = VA reservation) */
	if (V.dom && iova >= ALLOC_BASE && in_aperture(iova, len)) {
		held = iova_reserve(V.dom, iova, len) == 0;
		if (!held) {
			UDMA_LOG(ERR, "vfio: IOVA [%#llx, +%zu) for va %p is udma's IOVA space (%s): "
				 "let udma_dpdk_attach() initialise udma, so its memory is DPDK's",
				 (unsigned long long)iova, len, va, V.model == MODEL_VA ?
				 "its memseg reservation at IOVA = VA, or an allocated IOVA" :
				 "an allocated IOVA");
			ret = -EEXIST;
			goto out;
		}
	}
	ret = ioctl_map(v, iova, len); /* counted */
	if (ret == 0) {
		ret = rec_add(v, iova, len, held, true);
		if (ret != 0)
			ioctl_unmap(iova, len);
	} else if (ret == -EEXIST) {
		/* udma's own mapping (searched only now: attach maps page by page)? */
		const struct dma_map_rec *r = NULL;

		for (size_t i = 0; i < V.nmaps && r == NULL; i++)
			if (iova < V.maps[i].iova + V.maps[i].len && V.maps[i].iova < iova + len)
				r = &V.maps[i];
		if (r) {
			UDMA_LOG(ERR, "vfio: IOVA [%#llx, +%zu) for va %p overlaps udma's %smapping "
				 "of va %#lx at [%#llx, +%zu)", (unsigned long long)iova, len, va,
				 r->env ? "environment " : "", (unsigned long)r->va,
				 (unsigned long long)r->iova, r->len);
		} else {
			/* another user of the shared container mapped there; whether at @va
			 * the kernel cannot say without unmapping it. Its mappings count in
			 * the container: udma's count becomes the kernel's again. */
			V.env_foreign++;
			refresh_info();
			ret = 1;
		}
	} else {
		map_fail_log(v, iova, len, -ret);
	}
	if (ret != 0 && held)
		iova_free_range(V.dom, iova, len);
out:
	pthread_mutex_unlock(&V.lock);
	return ret;
}

int udma_pvt_vfio_dma_unmap(udma_addr_t iova, size_t len)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&V.lock);
	if (!V.ready) {
		ret = -ENODEV;
		UDMA_LOG(ERR, "vfio: udma is not in vfio mode");
	} else {
		for (size_t i = 0; i < V.nmaps && ret == -ENOENT; i++)
			if (V.maps[i].env && V.maps[i].iova == iova && V.maps[i].len == len) {
				rec_drop(i);
				ret = 0;
			}
		if (ret != 0)
			UDMA_LOG(ERR, "vfio: no environment mapping at [%#llx, +%zu) to unmap",
				 (unsigned long long)iova, len);
	}
	pthread_mutex_unlock(&V.lock);
	return ret;
}

int udma_pvt_vfio_dma_stats(struct udma_pvt_vfio_dma_stats *st, int reread)
{
	int ret = 0;

	if (st == NULL) {
		UDMA_LOG(ERR, "vfio: NULL stats");
		return -EINVAL;
	}
	pthread_mutex_lock(&V.lock);
	if (!V.ready) {
		ret = -ENODEV;
	} else {
		if (reread)
			refresh_info();
		*st = (struct udma_pvt_vfio_dma_stats){V.dma_avail, V.nmaps, V.env_maps,
						       V.env_foreign};
	}
	pthread_mutex_unlock(&V.lock);
	return ret;
}

/* ---- groups ----------------------------------------------------------------------- */

static struct group *group_find(int num)
{
	for (unsigned int i = 0; i < V.ngroups; i++)
		if (V.groups[i].num == num)
			return &V.groups[i];
	return NULL;
}

static bool iommu_is_set(void)
{
	struct vfio_iommu_type1_info info = {.argsz = sizeof(info)};

	return V.sys->ioctl(V.container, VFIO_IOMMU_GET_INFO, (uintptr_t)&info) == 0;
}

/*
 * Put an open group in the container (type1v2 set on the first); on failure the
 * fd is closed unless adopted. Lock held (or init).
 */
static int group_attach(int num, int fd, bool adopted, bool quiet_busy)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	const char *fail = NULL;
	int err = 0;

	if (V.ngroups == MAX_GROUPS)
		fail = "too many groups";
	else if (V.sys->ioctl(fd, VFIO_GROUP_GET_STATUS, (uintptr_t)&st) != 0)
		fail = "VFIO_GROUP_GET_STATUS";
	else if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		fail = "group not viable: every device in /sys/kernel/iommu_groups/N/devices must be "
		       "bound to vfio-pci (or to no driver)";
	else if (!(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET) &&
		 V.sys->ioctl(fd, VFIO_GROUP_SET_CONTAINER, (uintptr_t)&V.container) != 0)
		fail = "VFIO_GROUP_SET_CONTAINER (its reserved regions may clash with mappings made)";
	else if (!iommu_is_set() &&
		 V.sys->ioctl(V.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0)
		fail = "VFIO_SET_IOMMU type1v2";
	if (fail) {
		err = errno ? errno : EINVAL;
		if (!quiet_busy)
			UDMA_LOG(ERR, "vfio: group %d: %s: %s", num, fail, strerror(err));
		else
			UDMA_LOG(NOTICE, "vfio: group %d skipped: %s", num, fail);
		if (!adopted)
			V.sys->close(fd);
		return -(err == ENOENT ? ENODEV : err);
	}
	V.groups[V.ngroups++] = (struct group){.num = num, .fd = fd, .refs = 0,
					       .adopted = adopted};
	return 0;
}

static int group_open_attach(int num, bool quiet)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", num);
	fd = V.sys->open(path, O_RDWR);
	if (fd < 0) {
		int err = errno;

		if (quiet)
			UDMA_LOG(NOTICE, "vfio: %s skipped: %s", path, strerror(err));
		else
			UDMA_LOG(ERR, "vfio: cannot open %s: %s%s", path, strerror(err),
				 err == EBUSY ? " (the group is open in another process, or in this "
						"one: hand its fd over with udma_vfio_adopt_group())"
				 : err == EACCES || err == EPERM ? " (run as root, or chown the group "
								   "node to the user)"
				 : err == ENOENT ? " (no such group: bind the device to vfio-pci)" : "");
		return -(err == ENOENT ? ENODEV : err);
	}
	return group_attach(num, fd, false, quiet);
}

static void group_detach(unsigned int i)
{
	struct group *g = &V.groups[i];

	if (!g->adopted) {
		V.sys->ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, 0);
		V.sys->close(g->fd);
	}
	V.groups[i] = V.groups[--V.ngroups];
}

/* after a group joined: the aperture may have shrunk */
static void refresh_info(void)
{
	if (read_info() == 0 && V.dom)
		domain_holes();
}

int vfio_group_get(int num, int *fd)
{
	struct group *g;
	int ret = 0;

	pthread_mutex_lock(&V.lock);
	if (!V.ready) {
		ret = -ENODEV;
		UDMA_LOG(ERR, "vfio: udma is not in vfio mode (init with --iova-mode=vfio)");
	} else if ((g = group_find(num)) == NULL) {
		ret = group_open_attach(num, false);
		if (ret == 0)
			refresh_info();
	}
	if (ret == 0) {
		g = group_find(num);
		g->refs++;
		*fd = g->fd;
	}
	pthread_mutex_unlock(&V.lock);
	return ret;
}

void vfio_group_put(int num)
{
	struct group *g;

	pthread_mutex_lock(&V.lock);
	g = group_find(num);
	if (g && g->refs > 0 && --g->refs == 0 && !g->pinned && V.ngroups > 1)
		group_detach((unsigned int)(g - V.groups));
	pthread_mutex_unlock(&V.lock);
}

/* ---- public: the fds -------------------------------------------------------------- */

int udma_vfio_container_fd(void)
{
	return vfio_ready() ? V.container : -1;
}

int udma_vfio_set_container(int fd)
{
	if (fd < -1) {
		UDMA_LOG(ERR, "bad container fd %d", fd);
		return -EINVAL;
	}
	if (udma_eal_initialized()) {
		UDMA_LOG(ERR, "call before udma_eal_init()");
		return -EBUSY;
	}
	V.ext_container = fd;
	return 0;
}

int udma_vfio_adopt_group(int group, int fd)
{
	int ret;

	if (group < 0 || fd < 0) {
		UDMA_LOG(ERR, "bad argument (group %d, fd %d)", group, fd);
		return -EINVAL;
	}
	pthread_mutex_lock(&V.lock);
	if (!V.ready) {
		UDMA_LOG(ERR, "udma is not in vfio mode");
		ret = -ENODEV;
	} else if (group_find(group)) {
		UDMA_LOG(ERR, "vfio: group %d is already in udma's container", group);
		ret = -EEXIST;
	} else {
		ret = group_attach(group, fd, true, false);
		if (ret == 0) {
			group_find(group)->pinned = true;
			refresh_info();
		}
	}
	pthread_mutex_unlock(&V.lock);
	return ret;
}

/* ---- probe / init / fini ----------------------------------------------------------- */

/* the numbered group nodes under /dev/vfio (up to @max) */
static int list_groups(int *out, int max)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/dev/vfio");

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		char *end;
		long g = strtol(de->d_name, &end, 10);

		if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && *end == '\0' && g >= 0 &&
		    g < INT32_MAX)
			out[n++] = (int)g;
	}
	closedir(d);
	return n;
}

static int vfio_probe(char *why, size_t len)
{
	int groups[MAX_GROUPS], fd, n;

	if (V.ext_container >= 0) {
		snprintf(why, len, "the application's container (fd %d), chosen", V.ext_container);
		return 0;
	}
	fd = V.sys->open("/dev/vfio/vfio", O_RDWR);
	if (fd < 0) {
		snprintf(why, len, "/dev/vfio/vfio absent (no VFIO in this kernel, or not loaded)");
		return -ENODEV;
	}
	V.sys->close(fd);
	if (g_iova.opts.vfio_group >= 0) {
		snprintf(why, len, "container and group %ld, chosen", g_iova.opts.vfio_group);
		return 0;
	}
	n = list_groups(groups, MAX_GROUPS);
	if (n == 0) {
		snprintf(why, len, "no VFIO group: bind a device to vfio-pci, or pass --vfio-group=N");
		return -ENODEV;
	}
	snprintf(why, len, "container and %d group(s) under /dev/vfio, chosen", n);
	return 0;
}

static void vfio_fini(void)
{
	pthread_mutex_lock(&V.lock);
	__atomic_store_n(&V.ready, false, __ATOMIC_RELEASE);
	while (V.nmaps) /* a shared container outlives udma: take back what udma mapped */
		rec_drop(V.nmaps - 1);
	free(V.maps);
	V.maps = NULL;
	V.cap_maps = 0;
	V.env_foreign = 0;
	while (V.ngroups)
		group_detach(V.ngroups - 1);
	if (V.container >= 0 && V.container != V.ext_container)
		V.sys->close(V.container); /* drops every DMA mapping */
	V.container = -1;
	iova_domain_destroy(V.dom);
	V.dom = NULL;
	V.model = MODEL_UNSET;
	V.nranges = 0;
	pthread_mutex_unlock(&V.lock);
}

/* container + groups + type1v2 IOMMU + its information; each step says what failed */
static int vfio_init(void)
{
	const char *fail = NULL;
	int groups[MAX_GROUPS], n, ret = 0;

	V.model = MODEL_UNSET;
	V.container = V.ext_container >= 0 ? V.ext_container
					    : V.sys->open("/dev/vfio/vfio", O_RDWR);
	if (V.container < 0)
		fail = "open /dev/vfio/vfio";
	else if (V.sys->ioctl(V.container, VFIO_GET_API_VERSION, 0) != VFIO_API_VERSION)
		fail = "VFIO API version";
	else if (V.sys->ioctl(V.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		fail = "no type1v2 IOMMU support";
	if (fail) {
		UDMA_LOG(ERR, "vfio: %s: %s", fail, strerror(errno));
		vfio_fini();
		return -ENODEV;
	}
	if (g_iova.opts.vfio_group >= 0) {
		ret = group_open_attach((int)g_iova.opts.vfio_group, false);
	} else {
		n = list_groups(groups, MAX_GROUPS);
		for (int i = 0; i < n; i++)
			group_open_attach(groups[i], true);
		if (V.ngroups == 0 && !iommu_is_set()) {
			UDMA_LOG(ERR, "vfio: no group under /dev/vfio could join the container");
			ret = -ENODEV;
		}
	}
	for (unsigned int i = 0; i < V.ngroups; i++)
		V.groups[i].pinned = true;
	if (ret == 0)
		ret = read_info();
	if (ret < 0) {
		vfio_fini();
		return -ENODEV;
	}
	__atomic_store_n(&V.ready, true, __ATOMIC_RELEASE);
	return 0;
}

static void vfio_dump(FILE *f)
{
	char r[256];

	pthread_mutex_lock(&V.lock);
	ranges_str(r, sizeof(r));
	fprintf(f, "vfio: container fd %d%s, type1v2, %s, aperture %s, page sizes %#llx, "
		"%zu DMA mapping(s) (%zu of them the environment's, e.g. DPDK memory at its "
		"IOVAs; %lu of its pages found mapped by another user), %ld more available\n",
		V.container, V.container == V.ext_container ? " (the application's)" : "",
		V.model == MODEL_VA ? "IOVA = VA" : V.model == MODEL_ALLOC ? "allocated IOVAs"
		: "model not chosen", r, (unsigned long long)V.pgsizes, V.nmaps, V.env_maps,
		V.env_foreign, V.dma_avail);
	for (unsigned int i = 0; i < V.ngroups; i++)
		fprintf(f, "  group %d: fd %d, %d open function(s)%s%s\n", V.groups[i].num,
			V.groups[i].fd, V.groups[i].refs, V.groups[i].pinned ? ", from init" : "",
			V.groups[i].adopted ? ", the application's fd" : "");
	pthread_mutex_unlock(&V.lock);
}

static const struct udma_iova_ops vfio_ops = {
	.name = "vfio",
	.mode = UDMA_IOVA_VFIO,
	.auto_rank = 90,
	.probe = vfio_probe,
	.init = vfio_init,
	.fini = vfio_fini,
	.seg_map = vfio_seg_map,
	.seg_unmap = vfio_seg_unmap,
	.reg_map = vfio_reg_map,
	.reg_unmap = vfio_reg_unmap,
	.dev_resolve = iova_memseg_resolve,
	.min_iova = memseg_min_iova,
	.dump = vfio_dump,
};

__attribute__((constructor)) static void vfio_register(void)
{
	iova_ops_register(&vfio_ops);
}
