-- Why: 20261201100100 added three CHECKs NOT VALID (its transaction takes ACCESS EXCLUSIVE locks on
-- retention_policies and retention_purges); validating them here, in a transaction of its own, takes
-- only a SHARE UPDATE EXCLUSIVE lock: reads and writes of both tables go on meanwhile.

set lock_timeout = '5s';
set statement_timeout = '60s';

alter table public.retention_policies validate constraint retention_policies_artifacts_after_days_range;
alter table public.retention_policies validate constraint retention_policies_verifications_after_days_range;
alter table public.retention_purges validate constraint retention_purges_what_valid;
