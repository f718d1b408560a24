-- Rollback of 20261201100200_validate_retention_checks.sql: the three CHECKs as 20261201100100 left them (NOT VALID).

set lock_timeout = '5s';
set statement_timeout = '60s';

alter table public.retention_policies
drop constraint retention_policies_artifacts_after_days_range,
drop constraint retention_policies_verifications_after_days_range;
alter table public.retention_policies
add constraint retention_policies_artifacts_after_days_range check (artifacts_after_days between 1 and 36500) not valid,
add constraint retention_policies_verifications_after_days_range
check (verifications_after_days between 1 and 36500) not valid;

alter table public.retention_purges drop constraint retention_purges_what_valid;
alter table public.retention_purges add constraint retention_purges_what_valid check (
    what in ('run_events', 'runs', 'artifact_objects', 'artifact_verifications')
) not valid;
