"""`Idempotency-Key` handling for mutating Partner API calls (§3.1, §7.5)."""
