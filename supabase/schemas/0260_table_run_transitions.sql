-- Why: the append-only audit of every run status change, written by the runs triggers (0300).
-- UPDATE, DELETE and TRUNCATE raise; only the purge functions (0340) remove rows.

create table public.run_transitions (
    id bigint generated always as identity,
    run_id uuid not null,
    workspace_id uuid not null,
    attempt_no integer,
    from_status text,
    to_status text not null,
    actor text not null,
    reason text not null,
    at timestamptz not null,
    constraint run_transitions_pkey primary key (id),
    constraint run_transitions_from_status_valid check (
        from_status in ('queued', 'claimed', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')
    ),
    constraint run_transitions_to_status_valid check (
        to_status in ('queued', 'claimed', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')
    ),
    constraint run_transitions_status_changes check (from_status is distinct from to_status),
    constraint run_transitions_actor_format check (
        actor ~ '^(user:[0-9a-f-]{36}|executor:[0-9a-f-]{36}|service_role|system:[a-z_]+)$'
    ),
    constraint run_transitions_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade
);

create index run_transitions_run_id_idx on public.run_transitions (run_id, id);
create index run_transitions_workspace_id_idx on public.run_transitions (workspace_id);

comment on table public.run_transitions is
'Append-only audit of every run status change (written by a trigger on runs). UPDATE and DELETE raise; only private.purge_finished_runs removes rows.';
comment on column public.run_transitions.id is 'Order of the transitions.';
comment on column public.run_transitions.run_id is 'The run.';
comment on column public.run_transitions.workspace_id is 'The run''s workspace (for RLS).';
comment on column public.run_transitions.attempt_no is 'The run''s attempt_count after the change (0 before the first claim).';
comment on column public.run_transitions.from_status is 'Status before (null for the submission).';
comment on column public.run_transitions.to_status is 'Status after.';
comment on column public.run_transitions.actor is 'user:<uuid> | executor:<uuid> | service_role | system:<job>.';
comment on column public.run_transitions.reason is 'Why the status changed.';
comment on column public.run_transitions.at is 'When (the as_of of the call that made the change).';

-- RLS on every table: members read their workspaces' rows; nobody writes but the RPCs.
alter table public.run_transitions enable row level security;

revoke all on table public.run_transitions from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.run_transitions to authenticated, service_role;

create policy run_transitions_select_members on public.run_transitions
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

-- Append-only, for every role (0130).
create trigger run_transitions_append_only
before update or delete on public.run_transitions
for each statement execute function private.reject_table_change('run_transitions is an append-only audit.');

create trigger run_transitions_no_truncate
before truncate on public.run_transitions
for each statement execute function private.reject_table_change('run_transitions is an append-only audit.');
