-- Why: private.assert_run_admitted checked max_priority and max_queued_runs for one run; since
-- 20261130400500 every submit goes through private.submit_runs, which checks both for a whole batch,
-- and nothing calls the helper any more. A second copy of an admission rule would drift.

set lock_timeout = '5s';
set statement_timeout = '60s';

drop function private.assert_run_admitted(uuid, integer);
