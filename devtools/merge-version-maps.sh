#!/bin/sh
# Merge the per-library version maps into one linker version script. Symbols of a
# library's own node (EAL, DMA, ...) are the API: one node, UDMA_0. Symbols of an
# INTERNAL node are what inline code in public headers calls (fast paths, the
# layout check): not API, in a node of their own, INTERNAL, as DPDK does.
out=$1; shift
syms() { # syms NODE_PATTERN INVERT MAP...: symbol lines of matching nodes
	pat=$1; inv=$2; shift 2
	awk -v pat="$pat" -v inv="$inv" '
		/^[A-Za-z_0-9]+[ \t]*\{/ { node = $1; next }
		/^\}/ { node = ""; next }
		/^[ \t]*(global|local):/ { next }
		/^[ \t]*[a-z_0-9*]+;/ { m = (node ~ pat); if (inv) m = !m; if (m) print }
	' "$@"
}
{
	echo "UDMA_0 {"
	echo "	global:"
	syms '^INTERNAL$' 1 "$@"
	echo "};"
	echo ""
	echo "INTERNAL {"
	echo "	global:"
	syms '^INTERNAL$' 0 "$@"
	echo "	local: *;"
	echo "};"
} > "$out"
