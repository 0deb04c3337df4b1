# tests/lib/sshd.sh: a private sshd for login tests (sourced after tap.sh).
#
# sshd 9.2 uses its program name as the PAM service name, so the test runs it through a
# symlink "sshd-czt<suffix>" -> /usr/sbin/sshd and writes /etc/pam.d/sshd-czt<suffix>
# (removed at exit). It listens on 127.0.0.1 on a free port, with its own config, host key,
# pid file and authorized keys (one file per user, in the temp area), key auth only.
#
#   sshd_start PAM_SERVICE_TEXT   writes the service file, starts sshd; sets SSHD_PID (the
#                                 listener), SSHD_PORT, SSHD_SERVICE, SSHD_LOG
#   sshd_authorize USER           lets the test's client key log in as USER
#   sshd_stop                     stops it (also done at exit)
#   sshc USER [SSH-ARGS...]       ssh USER@127.0.0.1 ..., bounded by $SSH_TIMEOUT (30 s)
#   sshc_bg OUT USER [SSH-ARGS...] the same in the background; SSHC_PID
#   sshc_typed USER LINE...       an interactive ssh -tt session with LINEs typed at it; its
#                                 output (without CRs) in $out
#   scpc ARGS...                  scp with the same options (remote side: USER@127.0.0.1:PATH)
#   sftpc USER BATCHFILE          sftp -b BATCHFILE USER@127.0.0.1
#   sshd_monitors                 pids of the per-connection privileged sshd processes
# shellcheck shell=bash disable=SC2034

SSHD_DIR=
SSHD_PID=
SSH_TIMEOUT=${SSH_TIMEOUT:-30}

_sshd_init() {
	[ -n "$SSHD_DIR" ] && return 0
	SSHD_DIR="$T/sshd"
	mkdir -p "$SSHD_DIR/keys" && chmod 755 "$SSHD_DIR" "$SSHD_DIR/keys"
	ssh-keygen -q -t ed25519 -N '' -C cztest-host -f "$SSHD_DIR/host_key" || return 1
	ssh-keygen -q -t ed25519 -N '' -C cztest-client -f "$SSHD_DIR/client_key" || return 1
	# Linux-PAM lowercases service names: the file name must be lowercase
	SSHD_SERVICE="sshd-czt$(printf %s "${T##*.}" | tr A-Z a-z)"
	ln -sfn /usr/sbin/sshd "$SSHD_DIR/$SSHD_SERVICE"
	SSHD_LOG="$SSHD_DIR/sshd.log"
	SSH_OPTS=(-F /dev/null -i "$SSHD_DIR/client_key" -o IdentitiesOnly=yes -o StrictHostKeyChecking=no
		-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10
		-o ServerAliveInterval=5 -o ServerAliveCountMax=3)
	if [ ! -d /run/sshd ]; then
		mkdir -p /run/sshd && chmod 755 /run/sshd
		on_cleanup "rmdir /run/sshd 2>/dev/null"
	fi
	on_cleanup "sshd_stop"
}

sshd_authorize() {
	_sshd_init || return 1
	cp "$SSHD_DIR/client_key.pub" "$SSHD_DIR/keys/$1" && chmod 644 "$SSHD_DIR/keys/$1"
}

_port_free() { [ -z "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]; }

sshd_start() {
	local pamtext=$1 try i port
	_sshd_init || return 1
	if [ ! -e "/etc/pam.d/$SSHD_SERVICE" ]; then
		backup_file "/etc/pam.d/$SSHD_SERVICE"
	fi
	printf '%s\n' "$pamtext" >"/etc/pam.d/$SSHD_SERVICE"
	chmod 644 "/etc/pam.d/$SSHD_SERVICE"
	for try in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		_port_free "$port" || continue
		cat >"$SSHD_DIR/sshd_config" <<-EOF
			Port $port
			ListenAddress 127.0.0.1
			HostKey $SSHD_DIR/host_key
			PidFile $SSHD_DIR/sshd.pid
			AuthorizedKeysFile $SSHD_DIR/keys/%u
			PubkeyAuthentication yes
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			PermitRootLogin no
			StrictModes no
			UsePAM yes
			UseDNS no
			PrintMotd no
			PrintLastLog no
			X11Forwarding no
			AllowAgentForwarding no
			MaxStartups 50
			MaxSessions 20
			LoginGraceTime 30
			LogLevel VERBOSE
			AcceptEnv LANG LC_* CZTEST_*
			Subsystem sftp /usr/lib/openssh/sftp-server
		EOF
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
			"$SSHD_DIR/$SSHD_SERVICE" -D -e -f "$SSHD_DIR/sshd_config" </dev/null >>"$SSHD_LOG" 2>&1 &
		SSHD_PID=$!
		for i in $(seq 100); do
			alive "$SSHD_PID" || break
			if ss -Hltnp "( sport = :$port )" 2>/dev/null | grep -q "pid=$SSHD_PID,"; then
				SSHD_PORT=$port
				return 0
			fi
			sleep 0.05
		done
		kill -KILL "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=
	done
	diag "sshd did not start:" "$(tail -n 20 "$SSHD_LOG" 2>/dev/null)"
	return 1
}

sshd_stop() {
	[ -n "$SSHD_PID" ] || return 0
	local kids k
	kids=$(pgrep -P "$SSHD_PID" 2>/dev/null)
	kill -TERM "$SSHD_PID" 2>/dev/null
	wait_gone "$SSHD_PID" 5 || kill -KILL "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	# per-connection processes outlive the listener: end ours by pid
	for k in $kids; do kill -TERM "$k" 2>/dev/null; done
	for k in $kids; do wait_gone "$k" 3 || kill -KILL "$k" 2>/dev/null; done
	SSHD_PID=
}

sshd_monitors() { pgrep -P "$SSHD_PID" 2>/dev/null; }

sshc() {
	local u=$1; shift
	timeout -k 5 "$SSH_TIMEOUT" ssh "${SSH_OPTS[@]}" -p "$SSHD_PORT" "$u@127.0.0.1" "$@"
}

# sshc_bg OUT USER [SSH-ARGS...]: sshc in the background, output in OUT, stdin /dev/null;
# SSHC_PID is the pid of its `timeout` (a TERM to it reaches ssh), tracked for cleanup
sshc_bg() {
	local o=$1 u=$2; shift 2
	timeout -k 5 "$SSH_TIMEOUT" ssh "${SSH_OPTS[@]}" -p "$SSHD_PORT" "$u@127.0.0.1" "$@" </dev/null >"$o" 2>&1 &
	SSHC_PID=$!
	track_pid "$SSHC_PID"
}

scpc() { timeout -k 5 "$SSH_TIMEOUT" scp "${SSH_OPTS[@]}" -P "$SSHD_PORT" "$@"; }

sftpc() {
	local u=$1 b=$2; shift 2
	timeout -k 5 "$SSH_TIMEOUT" sftp "${SSH_OPTS[@]}" -P "$SSHD_PORT" -b "$b" "$@" "$u@127.0.0.1"
}

# pam_stack_plain: an sshd stack without the module (key auth only; pam_unix session)
PAM_STACK_PLAIN='auth required pam_permit.so
account required pam_permit.so
session required pam_unix.so
session optional pam_permit.so'

# pam_stack_module ARGS...: the same with pam_containerize (from the test build) and ARGS
pam_stack_module() {
	printf '%s\n' 'auth required pam_permit.so' 'account required pam_permit.so' \
		'session required pam_unix.so' "session required $PAMMOD $*" 'session optional pam_permit.so'
}

sshc_typed() {
	local u=$1 feeder
	shift
	# the input stays open after the lines (until the session ends), as a terminal would
	exec 8< <(printf '%s\n' "$@"; exec sleep 25)
	feeder=$!
	track_pid "$feeder"
	out=$(sshc "$u" -tt <&8 2>&1 | tr -d '\r')
	exec 8<&-
	kill "$feeder" 2>/dev/null
}
