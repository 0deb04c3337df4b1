# tests/lib/virt.sh: drive autopkgtest-virt-containerize over its stdin/stdout (sourced after
# tap.sh).
#
#   virt_start NAME ARGS...   starts the server (ARGS after --containerize $CZ) as a coprocess;
#                             its stderr goes to $T/NAME.err; sets VPID (its pid), and reads the
#                             greeting into $reply
#   virt_send LINE            sends LINE, reads one reply line into $reply (empty if the server
#                             said nothing within 60 s or died)
#   virt_aux                  after `print-execute-command`: the exec command, decoded, in the
#                             array AUX
#   virt_end                  closes the server's stdin and waits for it ($status)
# shellcheck shell=bash

VIRT_SERVER=$REPO/virt/autopkgtest-virt-containerize

virt_start() {
	local name=$1; shift
	coproc VIRT { exec env --default-signal "$VIRT_SERVER" --containerize "$CZ" "$@" 2>"$T/$name.err"; }
	VPID=$VIRT_PID # bash unsets VIRT_PID when the coprocess ends
	track_pid "$VPID"
	VIRT_IN=${VIRT[1]} VIRT_OUT=${VIRT[0]}
	reply=
	IFS= read -r -t 60 reply <&"$VIRT_OUT" || reply=
}

virt_send() {
	reply=
	printf '%s\n' "$1" 1>&"$VIRT_IN" 2>/dev/null || return 1
	IFS= read -r -t 60 reply <&"$VIRT_OUT" || reply=
}

# url-decode one word of the protocol
_virt_unquote() { printf '%b' "${1//%/\\x}"; }

virt_aux() {
	local parts p
	AUX=()
	IFS=, read -ra parts <<<"${reply#ok }"
	for p in "${parts[@]}"; do AUX+=("$(_virt_unquote "$p")"); done
}

virt_end() {
	local fd=$VIRT_IN
	exec {fd}>&-
	wait_exit "$VPID" "${1:-60}"
}
