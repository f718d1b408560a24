-- Rollback of 20261201100000_index_artifacts_and_verification_events_for_retention.sql.

set lock_timeout = '5s';
set statement_timeout = '60s';

drop index public.run_events_verifications_idx;
drop index public.artifacts_workspace_id_created_at_idx;
