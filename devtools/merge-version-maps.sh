#!/bin/sh
# Merge the per-library version maps into one linker version script:
# the global: symbols of every lib under one node, local: * once.
out=$1; shift
{
	echo "UDMA_0 {"
	echo "	global:"
	for m in "$@"; do
		sed -n '/global:/,/local:/p' "$m" | grep -v -e 'global:' -e 'local:' -e '^\s*$'
	done
	echo "	local: *;"
	echo "};"
} > "$out"
