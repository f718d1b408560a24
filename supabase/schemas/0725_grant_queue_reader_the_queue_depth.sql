-- Why: the queue reader (KEDA, 0011_role_controlroom_queue_reader.sql) selects
-- public.queue_depth_by_pool. The view is security_invoker (the caller's RLS applies through it),
-- so Postgres checks public.runs as the caller too: the reader holds SELECT on exactly the five
-- columns the view reads (never id, spec, params, results or errors), and one policy shows it the
-- active runs only, the rows the view counts (the view's own filter, written the same way).

grant usage on schema public to controlroom_queue_reader;
grant select (workspace_id, pool, status, not_before, created_at) on table public.runs to controlroom_queue_reader;
grant select on table public.queue_depth_by_pool to controlroom_queue_reader;

create policy runs_select_queue_reader on public.runs
for select to controlroom_queue_reader
using (status in ('queued', 'claimed', 'running'));

comment on policy runs_select_queue_reader on public.runs is
'KEDA''s queue reader sees the active runs that public.queue_depth_by_pool counts (and only the columns it reads).';
