# Sourced by the guest tests that need a fallback policy for a while
# (walkers/run_walkers.sh, 90-kmemleak.sh): policy_set NAME switches the
# vcompound policy (debugfs), policy_restore puts back the one before.
POLICY_FILE=/sys/kernel/debug/vcompound/policy
POLICY_OLD=

policy_set() {
	[ -w $POLICY_FILE ] || return 1
	POLICY_OLD=$(sed 's/.*\[\(.*\)\].*/\1/' $POLICY_FILE) && echo "$1" > $POLICY_FILE
}

policy_restore() {
	[ -z "$POLICY_OLD" ] || echo "$POLICY_OLD" > $POLICY_FILE
	POLICY_OLD=
}
