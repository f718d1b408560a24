-- Rollback of 20261201200000_create_queue_reader_role.
-- `drop owned` also removes grants made outside the migrations (e.g. LOGIN setups or test grants),
-- which would otherwise keep the role from being dropped.

drop policy runs_select_queue_reader on public.runs;
revoke select on table public.queue_depth_by_pool from controlroom_queue_reader;
revoke select (workspace_id, pool, status, not_before, created_at) on table public.runs from controlroom_queue_reader;
revoke usage on schema public from controlroom_queue_reader;
alter role controlroom_queue_reader reset statement_timeout;
drop owned by controlroom_queue_reader;
drop role controlroom_queue_reader;
