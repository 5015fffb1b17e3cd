#!/bin/bash
# The layer rules of ARCHITECTURE.md / STYLE.md, checked on the built objects
# (make check runs this after the build; prints PASS/FAIL/SKIP lines):
#   edges     from the symbols (nm): an object of one layer resolving a
#             symbol defined in another layer that it may not use.
#             core uses none of the others; sip, sigtran and media use
#             only core; interwork (where they meet, and main) uses all.
#   includes  the same rule on the #include lines, for what nm cannot see
#             (constants, macros, inline functions, struct layouts).
#   prefixes  every symbol an object exports starts with a prefix of its
#             layer (STYLE.md "Names"); the exceptions below say why.
#   self-test a probe object in sip/ that calls into interwork/ must make
#             the edge check fail, so the check cannot pass by seeing nothing.
#
# usage: tests/layers.sh [BUILD_DIR]   (run from the top of the tree)
# LAYERS_EXTRA="layer:file.o ..." adds objects (used by the self-test).
set -u
top=$(pwd)
build=${1:-${TANDEM_BUILD:-$top/build}}
obj=$build/obj
LAYERS="core sip sigtran media isdn interwork"

# Layers each layer may use besides itself.
allowed() {
	case $1 in
	core) echo "" ;;
	sip | sigtran | media | isdn) echo "core" ;;
	interwork) echo "core sip sigtran media isdn" ;;
	esac
}

# Exported-name prefixes per layer, from the code (README tables and the
# module files of each folder).
prefixes() {
	case $1 in
	core) echo "loop_ tandem_ spsc_ tool_" ;;
	sip) echo "sip_ sdp_" ;;
	sigtran) echo "isup_ m3ua_" ;;
	media) echo "media_ rtp_ rtcp_ ec_ g711_ cesop_ jb_ rs_ xc_ dtmf_ tone_ cot_" ;;
	isdn) echo "isdn_" ;;
	interwork) echo "iw_" ;;
	esac
}

# Exported symbols that keep their name, each with its reason. Format:
# "file symbol-pattern" (pattern: '*' matches any run of characters).
EXCEPTIONS=(
	# program entry points
	"interwork/tandemd_main.c main"
	"interwork/tool_main.c main"
	# the media worker's internals shared by worker.c, span.c and tap.c
	# (declared in media/worker_int.h, not in a public header)
	"media/span.c chan_*"
	"media/span.c span_*"
	"media/worker.c worker_*"
	"media/tap.c chan_tap_*"
	# data arrays defined (not declared) by spandsp's <spandsp/g168models.h>,
	# the ITU-T G.168 Annex D echo paths and test signals ec_bench.c uses
	"media/ec_bench.c line_model_*"
	"media/ec_bench.c css_c*"
	"media/ec_bench.c level_measurement_bp_coeffs"
	"media/ec_bench.c tones_6_4_2_7"
)

# "layer source object" lines: the objects of the sources in the tree now
# (a stale object of a deleted source is not looked at), plus extras.
objects() {
	local l c
	for l in $LAYERS; do
		for c in "$l"/*.c; do
			[ -e "$c" ] && echo "$l $c $obj/${c%.c}.o"
		done
	done
	for c in ${LAYERS_EXTRA:-}; do
		echo "${c%%:*} ${c%%:*}/probe.c ${c#*:}"
	done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Collects defined and undefined symbols; prints FAIL lines for the rules
# and returns non-zero when any failed. $1 names the run in messages.
check_edges_prefixes() {
	local run=$1 missing=0 l c o e
	: >"$tmp/objs"
	while read -r l c o; do
		if [ ! -e "$o" ]; then
			echo "  $c: no object $o (build first)"
			missing=1
			continue
		fi
		echo "$o $l $c" >>"$tmp/objs"
	done < <(objects)
	[ $missing = 0 ] || return 2
	# one nm over all objects ("-A": each line starts with "object:");
	# defined globals (text, data, bss, read-only, common, weak) go to def
	# ("symbol layer") and exp ("source symbol"), uses to und ("symbol
	# layer source")
	# shellcheck disable=SC2046 # object paths hold no spaces (tree paths)
	nm -g -A $(cut -d' ' -f1 "$tmp/objs") 2>/dev/null | awk -v def="$tmp/def" \
		-v und="$tmp/und" -v expf="$tmp/exp" '
		FNR == NR { lay[$1] = $2; src[$1] = $3; next }
		{
			o = $1; sub(/:[^:]*$/, "", o)
			if (!(o in lay)) next
			if (NF == 3 && $2 == "U") print $3, lay[o], src[o] > und
			else if (NF == 3 && $2 ~ /^[TDBRCVWGSu]$/) {
				print $3, lay[o] > def; print src[o], $3 > expf
			}
		}' "$tmp/objs" -
	touch "$tmp/def" "$tmp/und" "$tmp/exp"
	# a check that read nothing must not pass
	if [ "$(wc -l <"$tmp/def")" -lt 100 ] || [ "$(wc -l <"$tmp/und")" -lt 100 ]; then
		echo "FAIL layers:$run:edges: nm gave $(wc -l <"$tmp/def") definitions, $(wc -l <"$tmp/und") uses"
		return 2
	fi
	sort -u "$tmp/def" >"$tmp/def.s"
	# symbol -> defining layer; a symbol defined in two layers is reported
	awk '{ n[$1]++; l[$1] = l[$1] " " $2 } END { for (s in n) if (n[s] > 1) print s l[s] }' \
		"$tmp/def.s" >"$tmp/dup"
	local bad=0
	# one pass: the defining layer of each symbol, then every use
	awk -v allow_core="$(allowed core)" -v allow_sip="$(allowed sip)" \
		-v allow_sigtran="$(allowed sigtran)" -v allow_media="$(allowed media)" \
		-v allow_isdn="$(allowed isdn)" -v allow_interwork="$(allowed interwork)" '
		BEGIN {
			split("core sip sigtran media isdn interwork", ls, " ")
			al["core"] = allow_core; al["sip"] = allow_sip
			al["sigtran"] = allow_sigtran; al["media"] = allow_media
			al["isdn"] = allow_isdn; al["interwork"] = allow_interwork
		}
		FNR == NR { if (!($1 in dl)) dl[$1] = $2; next }
		($1 in dl) && dl[$1] != $2 && index(" " al[$2] " ", " " dl[$1] " ") == 0 {
			print "  " $3 " (" $2 ") uses " $1 " of layer " dl[$1]
		}' "$tmp/def.s" "$tmp/und" >"$tmp/edges"
	cat "$tmp/edges"
	[ -s "$tmp/edges" ] && bad=1
	if [ $bad = 0 ]; then echo "PASS layers:$run:edges"; else echo "FAIL layers:$run:edges"; fi
	local pbad=0
	# prefixes and exceptions into awk at once
	{
		for l in $LAYERS; do echo "P $l $(prefixes "$l")"; done
		for e in "${EXCEPTIONS[@]}"; do echo "E $e"; done
	} >"$tmp/rules"
	awk '
		function glob(p) { gsub(/\./, "\\.", p); gsub(/\*/, ".*", p); return "^" p "$" }
		FNR == NR {
			if ($1 == "P") for (i = 3; i <= NF; i++) pre[$2] = pre[$2] " " $i
			else { ne++; ef[ne] = $2; ep[ne] = glob($3) }
			next
		}
		{
			l = $1; sub(/\/.*/, "", l)
			n = split(pre[l], ps, " "); ok = 0
			for (i = 1; i <= n; i++) if (index($2, ps[i]) == 1) { ok = 1; break }
			for (i = 1; !ok && i <= ne; i++) if (ef[i] == $1 && $2 ~ ep[i]) ok = 1
			if (!ok) print "  " $1 " exports " $2 " without a " l " prefix (" substr(pre[l], 2) ")"
		}' "$tmp/rules" "$tmp/exp" >"$tmp/pfx"
	cat "$tmp/pfx"
	[ -s "$tmp/pfx" ] && pbad=1
	while read -r s rest; do
		echo "  $s is defined in more than one layer:$rest"
		pbad=1
	done <"$tmp/dup"
	if [ $pbad = 0 ]; then echo "PASS layers:$run:prefixes"; else echo "FAIL layers:$run:prefixes"; fi
	[ $bad = 0 ] && [ $pbad = 0 ]
}

rc=0
if ! command -v nm >/dev/null; then
	echo "SKIP layers:edges nm not installed"
	exit 0
fi
check_edges_prefixes tree || rc=1

# includes: "#include "layer/..." lines in each layer's .c and .h files
ibad=0
for l in core sip sigtran media isdn; do
	set -- "$l"/*.[ch]
	[ -e "$1" ] || continue
	awk -v l="$l" -v allow=" $(allowed "$l") " -v layers=" $LAYERS " '
		/^[ \t]*#[ \t]*include[ \t]*"[a-z]+\// {
			inc = $0; sub(/^[^"]*"/, "", inc); sub(/\/.*/, "", inc)
			if (inc != l && index(layers, " " inc " ") && !index(allow, " " inc " "))
				print "  " FILENAME ": " $0
		}' "$@" >"$tmp/inc.$l"
	cat "$tmp/inc.$l"
	[ -s "$tmp/inc.$l" ] && ibad=1
done
if [ $ibad = 0 ]; then echo "PASS layers:tree:includes"; else
	echo "FAIL layers:tree:includes" && rc=1; fi

# self-test: a sip object that uses interwork must be caught
if [ -z "${LAYERS_EXTRA:-}" ]; then
	printf '#include <stdint.h>\nconst char *iw_cause_text(uint8_t c);\n%s\n' \
		'const char *sip_layers_probe(void) { return iw_cause_text(16); }' >"$tmp/probe.c"
	if ! ${CC:-cc} -c -o "$tmp/probe.o" "$tmp/probe.c" 2>"$tmp/cc.err"; then
		echo "SKIP layers:self-test cannot compile the probe: $(head -c 200 "$tmp/cc.err")"
	else
		out=$(LAYERS_EXTRA="sip:$tmp/probe.o" bash "$0" "$build" 2>&1)
		if grep -q '^FAIL layers:tree:edges' <<<"$out" &&
			grep -q 'probe.c (sip) uses iw_cause_text of layer interwork' <<<"$out"; then
			echo "PASS layers:self-test (a sip object calling iw_cause_text fails the edge check)"
		else
			echo "FAIL layers:self-test: the probe edge sip -> interwork was not reported"
			rc=1
		fi
	fi
fi
exit $rc
