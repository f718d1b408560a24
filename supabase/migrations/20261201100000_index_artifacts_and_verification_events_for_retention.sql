-- Why: retention of artifact objects and verification records (20261201100100) searches a
-- workspace's artifacts in registration order and its verification events by time; without these
-- indexes each hourly pass would read all of the workspace's artifacts or events. The builds take
-- a SHARE lock (writes to artifacts and run_events wait for them; reads do not): this file holds
-- nothing else, so an operator with a large run_events table can build the same indexes
-- `concurrently` by hand first and mark this migration applied (docs/architecture.md, "Safe
-- migrations"). The run_events index is partial: only the verification events.

set lock_timeout = '5s';
set statement_timeout = '60s';

create index artifacts_workspace_id_created_at_idx on public.artifacts (workspace_id, created_at);
create index run_events_verifications_idx on public.run_events (workspace_id, ts)
where type in ('artifact.verified', 'artifact.verification_failed');
